//! What the build context must hold: every path a Dockerfile copies or
//! bind-mounts from the context exists there (E0122), no `exclude` removes
//! one (E0123), and a directory is copied as a directory (E0124). The
//! compiler knows these would fail the build, so it says so first.
//!
//! Whether a path exists is asked of the [`Loader`], which may not know
//! (specs held in memory): then only the checks that need no file system
//! run.

use std::collections::{HashMap, HashSet};
use std::path::Path;

use globset::{GlobBuilder, GlobMatcher};

use crate::diagnostic::{Code, Diagnostic, Diagnostics};
use crate::ir::{manifest_entries, Dockerfile, Instruction, Mount};
use crate::loader::{ContextEntry, Loader};
use crate::model::{Image, Spanned};
use crate::source::Span;

/// Manifests written as patterns (`packages/*/package.json`, `*/pom.xml`:
/// the members of a workspace or reactor) become the files they match in
/// the context at `dir`, so each is copied to its own place: a COPY of a
/// pattern would put every match in one directory. A pattern that matches
/// nothing, or a loader that cannot look, leaves it as written (E0122
/// then reports what is missing).
///
/// Then each `optional` path the context holds joins the manifests, after
/// them: a file as it is, a directory with its trailing `/`, a pattern as
/// the files it matches. One the context lacks, one an `exclude` removes,
/// one behind a symbolic link, and every one when the loader cannot look,
/// is left out. Matches with a sensitive name (`.env`, `.git`) are never
/// added: E0121 refuses such names when written, and the `.dockerignore`
/// keeps them out of the context.
pub fn expand_manifests(loader: &dyn Loader, dir: &Path, image: &mut Image) {
    let excludes: Vec<GlobMatcher> = image
        .excludes
        .iter()
        .filter_map(|e| matcher(e.value.trim_start_matches("./")))
        .collect();
    for build in image.builds_mut() {
        for eco in &mut build.deps {
            let prefix = eco.context_prefix();
            let mut expanded = Vec::with_capacity(eco.manifests.len());
            for manifest in std::mem::take(&mut eco.manifests) {
                let pattern = manifest.value.trim_start_matches("./");
                let matches = pattern
                    .contains(['*', '?'])
                    .then(|| loader.context_glob(dir, &format!("{prefix}{pattern}")))
                    .flatten()
                    .filter(|m| !m.is_empty());
                match matches {
                    Some(matches) => expanded.extend(matches.into_iter().map(|m| Spanned {
                        value: m.strip_prefix(&prefix).unwrap_or(&m).to_string(),
                        span: manifest.span,
                    })),
                    None => expanded.push(manifest),
                }
            }
            let mut present: HashSet<String> = expanded
                .iter()
                .map(|m| {
                    m.value
                        .trim_start_matches("./")
                        .trim_end_matches('/')
                        .to_string()
                })
                .collect();
            for optional in &eco.optional {
                for path in optional_paths(loader, dir, &prefix, &optional.value) {
                    let context_path = format!("{prefix}{}", path.trim_end_matches('/'));
                    let excluded = excludes.iter().any(|m| m.is_match(&context_path));
                    if !excluded && present.insert(path.trim_end_matches('/').to_string()) {
                        expanded.push(Spanned {
                            value: path,
                            span: optional.span,
                        });
                    }
                }
            }
            eco.manifests = expanded;
        }
    }
}

/// What the context at `dir` holds of one optional manifest (relative to
/// the ecosystem's directory, `prefix`): nothing, the file, the directory
/// written with its trailing `/`, or the files a pattern matches.
fn optional_paths(loader: &dyn Loader, dir: &Path, prefix: &str, optional: &str) -> Vec<String> {
    let path = optional.trim_start_matches("./");
    let found: Vec<String> = if path.contains(['*', '?']) {
        loader
            .context_glob(dir, &format!("{prefix}{path}"))
            .unwrap_or_default()
            .into_iter()
            .map(|m| m.strip_prefix(prefix).unwrap_or(&m).to_string())
            .collect()
    } else {
        let name = path.trim_end_matches('/');
        match loader.context_entry(dir, &format!("{prefix}{name}")) {
            Some(ContextEntry::Directory) => vec![format!("{name}/")],
            // A regular file (`context_glob` lists no symbolic link), found
            // in its directory's listing by the name as written: a file
            // system that ignores case finds `nuget.config` for
            // `NuGet.config`, and the build would not.
            Some(ContextEntry::File) => {
                let mut listed = name.to_string();
                listed.pop();
                listed.push('?');
                loader
                    .context_glob(dir, &format!("{prefix}{listed}"))
                    .unwrap_or_default()
                    .into_iter()
                    .map(|m| m.strip_prefix(prefix).unwrap_or(&m).to_string())
                    .filter(|m| m == name)
                    .collect()
            }
            _ => Vec::new(),
        }
    };
    found
        .into_iter()
        .filter(|p| {
            !p.split('/')
                .any(|c| !c.is_empty() && crate::types::sensitive_name(c))
        })
        .collect()
}

/// Checks the context at `dir` (the spec's directory) against one image.
pub fn check(loader: &dyn Loader, dir: &Path, image: &Image, ir: &Dockerfile, d: &mut Diagnostics) {
    let excludes: Vec<(GlobMatcher, &crate::model::Spanned<String>)> = image
        .excludes
        .iter()
        .filter_map(|e| matcher(e.value.trim_start_matches("./")).map(|m| (m, e)))
        .collect();
    // Linear in the number of paths: each is looked at once, and found
    // among the spec's names through an index.
    let named = names(image);
    let mut seen: HashSet<&str> = HashSet::new();
    for (source, spans) in context_reads(ir) {
        if !seen.insert(source) {
            continue;
        }
        let path = source.trim_start_matches("./");
        let span = named
            .get(path)
            .copied()
            .or_else(|| spans.first().copied())
            .unwrap_or_default();
        let literal = !path.contains(['*', '?', '[']);
        if literal {
            if let Some((_, exclude)) = excludes
                .iter()
                .find(|(m, _)| m.is_match(path.trim_end_matches('/')))
            {
                d.push(
                    Diagnostic::error(Code::ExcludedSource, exclude.span, format!("this exclude removes `{path}`, which the Dockerfile copies"))
                        .label("the build context will not have it")
                        .secondary(span, "copied here")
                        .help("narrow the pattern (e.g. `**/*.pyc` instead of a directory), or stop copying the path"),
                );
                continue;
            }
        }
        if generated(image, path) {
            continue;
        }
        match loader.context_entry(dir, path) {
            Some(ContextEntry::Missing) => d.push(
                Diagnostic::error(Code::MissingSource, span, format!("`{path}` is not in the build context"))
                    .label("the Dockerfile copies it, and the build would fail here")
                    .help("check the path (it is relative to the spec's directory); a file that an earlier CI step makes goes in the image's `generated = [...]`"),
            ),
            Some(ContextEntry::Directory) if literal && !path.ends_with('/') => d.push(
                Diagnostic::error(Code::FlattenedDirectory, span, format!("`{path}` is a directory, written without its trailing `/`"))
                    .label("COPY would spread its contents into the destination")
                    .help(format!("write \"{path}/\", so it keeps its name")),
            ),
            Some(ContextEntry::File) if literal => {
                if let Some((name, key)) = credential(loader, dir, path) {
                    let mut diagnostic = Diagnostic::error(Code::SensitiveSource, span, format!("`{path}` holds a registry credential (`{key}`)"))
                        .label("copied into the build's layers, where whoever has them can read it")
                        .help(credential_help(name));
                    // Named by an imported ecosystem: show the user's image too.
                    if span.file != image.span.file {
                        diagnostic = diagnostic.secondary(image.span, format!("`{path}` is in this image's build context"));
                    }
                    d.push(diagnostic);
                }
            }
            _ => {}
        }
    }
}

/// Registry settings that are copied as a matter of course (optional
/// manifests of the npm, Yarn and cargo ecosystems), by file name, with
/// how a line splits into key and value and the keys that hold a
/// credential when written out. A value taken from the environment
/// (`${NPM_TOKEN}`) holds none.
const CREDENTIALS: &[(&str, Syntax, &[&str])] = &[
    (
        ".npmrc",
        Syntax::Equals,
        &["_authToken", "_auth", "_password"],
    ),
    (
        ".yarnrc",
        Syntax::Space,
        &["_authToken", "_auth", "_password"],
    ),
    (
        ".yarnrc.yml",
        Syntax::Colon,
        &["npmAuthToken", "npmAuthIdent"],
    ),
    ("config.toml", Syntax::Equals, &["token"]),
    ("config", Syntax::Equals, &["token"]),
];

#[derive(Clone, Copy)]
enum Syntax {
    /// `key=value`: `.npmrc` (keys may be scoped to a registry,
    /// `//registry.example.com/:_authToken`), cargo's TOML.
    Equals,
    /// `key value`, either may be quoted: Yarn classic's `.yarnrc`.
    Space,
    /// `key: value`: YAML.
    Colon,
}

/// Whether the registry settings at `path` hold a credential: the file's
/// name and the key that does. Only the key is ever shown, never a value.
fn credential(loader: &dyn Loader, dir: &Path, path: &str) -> Option<(&'static str, &'static str)> {
    let (parent, name) = match path.rsplit_once('/') {
        Some((parent, name)) => (Some(parent), name),
        None => (None, path),
    };
    let (name, syntax, keys) = CREDENTIALS.iter().find(|(n, _, _)| *n == name)?;
    // cargo's settings live in `.cargo/`; a `config.toml` elsewhere is not one.
    let cargo = matches!(*name, "config.toml" | "config");
    if cargo && !parent.is_some_and(|p| p == ".cargo" || p.ends_with("/.cargo")) {
        return None;
    }
    let quotes: &[char] = &['"', '\''];
    let text = loader.context_read(dir, path)?;
    text.lines().find_map(|line| {
        let line = line.trim();
        let (key, value) = match syntax {
            Syntax::Equals => line.split_once('=')?,
            Syntax::Colon => line.split_once(':')?,
            Syntax::Space => match line.strip_prefix('"') {
                Some(quoted) => quoted.split_once('"')?,
                None => line.split_once([' ', '\t'])?,
            },
        };
        // The setting's own name: after a registry scope (`//host/:`) or
        // a TOML table path (`registries.internal.token`).
        let key = key.trim().trim_matches(quotes);
        let key = key.rsplit([':', '.']).next().unwrap_or(key);
        let value = value.trim().trim_matches(quotes).trim();
        let found = keys.iter().find(|k| **k == key)?;
        let secret = !value.is_empty() && !value.starts_with("${") && !line.starts_with(['#', ';']);
        secret.then_some((*name, *found))
    })
}

fn credential_help(name: &str) -> String {
    let (id, target) = match name {
        "config.toml" | "config" => ("cargo_credentials", "/usr/local/cargo/credentials.toml"),
        ".yarnrc.yml" => ("yarnrc", "/root/.yarnrc.yml"),
        ".yarnrc" => ("yarnrc", "/root/.yarnrc"),
        _ => ("npmrc", "/root/.npmrc"),
    };
    format!(
        "give the ecosystem the credential as a build secret, mounted only while it installs: `secrets += [secret(\"{id}\", target: \"{target}\")]` at its use, built with `docker build --secret id={id},src=<file>`; and keep the token out of `{name}` (or stop copying it: `optional = [...]` at the use replaces the list of optional manifests)"
    )
}

/// Every source and manifest by the context path it names, with the span
/// that names it: a COPY line holds several, and a diagnostic points at
/// the one at fault.
fn names(image: &Image) -> HashMap<String, Span> {
    let mut named = HashMap::new();
    for build in image.builds() {
        for source in &build.sources {
            named
                .entry(source.value.trim_start_matches("./").to_string())
                .or_insert(source.span);
        }
        for (path, span) in build.deps.iter().flat_map(manifest_entries) {
            named
                .entry(path.trim_start_matches("./").to_string())
                .or_insert(span);
        }
    }
    named
}

/// Paths the spec says a previous CI step creates in the context.
fn generated(image: &Image, path: &str) -> bool {
    image.generated.iter().any(|g| {
        let g = g.value.trim_start_matches("./").trim_end_matches('/');
        let p = path.trim_end_matches('/');
        p == g || p.starts_with(&format!("{g}/"))
    })
}

/// Every context path the Dockerfile reads, with the spec spans behind it:
/// COPY sources without `--from`, and bind-mount sources.
fn context_reads(ir: &Dockerfile) -> Vec<(&str, &[Span])> {
    let mut out = Vec::new();
    for line in ir.stages.iter().flat_map(|s| &s.lines) {
        match &line.instruction {
            Instruction::Copy(copy) if copy.from.is_none() => {
                out.extend(
                    copy.sources
                        .iter()
                        .map(|s| (s.as_str(), line.spans.as_slice())),
                );
            }
            Instruction::Run(run) => {
                for mount in &run.mounts {
                    if let Mount::Bind { source, .. } = mount {
                        out.push((source.as_str(), line.spans.as_slice()));
                    }
                }
            }
            _ => {}
        }
    }
    out
}

/// A `.dockerignore` pattern as BuildKit matches it: `*` within one path
/// component, `**` across them.
fn matcher(pattern: &str) -> Option<GlobMatcher> {
    GlobBuilder::new(pattern.trim_end_matches('/'))
        .literal_separator(true)
        .build()
        .ok()
        .map(|g| g.compile_matcher())
}
