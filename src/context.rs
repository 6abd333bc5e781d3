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
use crate::model::Image;
use crate::source::Span;

/// Manifests written as patterns (`packages/*/package.json`, `*/pom.xml`:
/// the members of a workspace or reactor) become the files they match in
/// the context at `dir`, so each is copied to its own place: a COPY of a
/// pattern would put every match in one directory. A pattern that matches
/// nothing, or a loader that cannot look, leaves it as written (E0122
/// then reports what is missing).
pub fn expand_manifests(loader: &dyn Loader, dir: &Path, image: &mut Image) {
    let builds =
        std::iter::once(&mut image.build).chain(image.stages.iter_mut().map(|s| &mut s.build));
    for build in builds {
        for eco in &mut build.deps {
            let prefix = eco
                .dir
                .as_deref()
                .map(|d| format!("{}/", d.trim_matches('/')))
                .unwrap_or_default();
            let mut expanded = Vec::with_capacity(eco.manifests.len());
            for manifest in std::mem::take(&mut eco.manifests) {
                let pattern = manifest.value.trim_start_matches("./");
                let matches = pattern
                    .contains(['*', '?'])
                    .then(|| loader.context_glob(dir, &format!("{prefix}{pattern}")))
                    .flatten()
                    .filter(|m| !m.is_empty());
                match matches {
                    Some(matches) => {
                        expanded.extend(matches.into_iter().map(|m| crate::model::Spanned {
                            value: m.strip_prefix(&prefix).unwrap_or(&m).to_string(),
                            span: manifest.span,
                        }))
                    }
                    None => expanded.push(manifest),
                }
            }
            eco.manifests = expanded;
        }
    }
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
            _ => {}
        }
    }
}

/// Every source and manifest by the context path it names, with the span
/// that names it: a COPY line holds several, and a diagnostic points at
/// the one at fault.
fn names(image: &Image) -> HashMap<String, Span> {
    let mut named = HashMap::new();
    let builds = std::iter::once(&image.build).chain(image.stages.iter().map(|s| &s.build));
    for build in builds {
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
