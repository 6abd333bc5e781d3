//! Workspaces whose members' manifests are not copied (E0125). An npm,
//! Yarn or pnpm workspace, a Cargo workspace or a Maven reactor declares
//! its members in a manifest; the install reads every member's manifest,
//! so copying the declaration without them fails the build at `npm ci`,
//! `pnpm install`, `cargo build` or `mvn`. The compiler reads the
//! declarations the ecosystem copies and says so first.
//!
//! The declarations are read through the [`Loader`] (regular files of the
//! build context only, size-limited, never through a symbolic link) and
//! parsed without trust: anything not understood means no diagnostic, and
//! no text of theirs reaches a diagnostic unless it is a plain path.

use std::collections::HashSet;
use std::path::Path;

use crate::diagnostic::{Code, Diagnostic, Diagnostics};
use crate::loader::Loader;
use crate::model::{Ecosystem, Image};
use crate::types::glob_match;

/// At most this many Maven modules' `pom.xml` files are read per
/// ecosystem (nested reactors), so the cost stays bounded.
const MAX_POMS: usize = 256;

/// Missing members named in the message; the rest are counted.
const SHOWN: usize = 3;

/// Checks every ecosystem of `image` against the context at `dir`.
pub fn check(loader: &dyn Loader, dir: &Path, image: &Image, d: &mut Diagnostics) {
    for eco in image.builds().flat_map(|b| &b.deps) {
        if let Some(mut diagnostic) = ecosystem(loader, dir, eco) {
            // An ecosystem a template sets: show the image too.
            if eco.span.file != image.span.file {
                diagnostic = diagnostic.secondary(image.span, "in this image");
            }
            d.push(diagnostic);
        }
    }
}

/// The member patterns a workspace declaration lists, as plain relative
/// paths (exclusions and what cannot name a member left out): npm's and
/// Yarn's `workspaces` in package.json, pnpm-workspace.yaml's `packages`,
/// Cargo.toml's `[workspace] members`, pom.xml's `<modules>`. `None` when
/// `file` declares no workspace or is not understood. `imgspec init` reads
/// workspaces with this, as the check does.
pub fn declared_members(file: &str, text: &str) -> Option<Vec<String>> {
    let include = match file {
        "package.json" => npm(text)?.include,
        "pnpm-workspace.yaml" => pnpm(text)?.include,
        "Cargo.toml" => cargo(text)?.include,
        "pom.xml" => maven_modules(text)?,
        _ => return None,
    };
    Some(include.iter().filter_map(|p| member_pattern(p)).collect())
}

/// A workspace declaration: the file that holds it, the manifest each
/// member has, and the member patterns it lists and excludes (relative to
/// the declaration's directory).
struct Declaration {
    file: String,
    manifest: &'static str,
    include: Vec<String>,
    exclude: Vec<String>,
}

/// A member whose manifest is not copied, and the declaration's pattern
/// that names it (for the help line).
struct Missing {
    manifest: String,
    pattern: String,
}

fn ecosystem(loader: &dyn Loader, dir: &Path, eco: &Ecosystem) -> Option<Diagnostic> {
    let prefix = eco.context_prefix();
    let copied = Copied::new(eco);
    let has = |name: &str| copied.exact.contains(name);
    let read = |path: &str| loader.context_read(dir, &format!("{prefix}{path}"));
    let mut declarations = Vec::new();
    if has("pnpm-workspace.yaml") {
        declarations.extend(read("pnpm-workspace.yaml").and_then(|t| pnpm(&t)));
    } else if has("package.json") && !has("pnpm-lock.yaml") {
        declarations.extend(read("package.json").and_then(|t| npm(&t)));
    }
    if has("Cargo.toml") {
        declarations.extend(read("Cargo.toml").and_then(|t| cargo(&t)));
    }
    let mut missing = Vec::new();
    for declaration in &declarations {
        missing.extend(members(loader, dir, &prefix, &copied, declaration));
    }
    let mut maven_file = None;
    if has("pom.xml") {
        missing.extend(maven(loader, dir, &prefix, &copied));
        maven_file = Some("pom.xml");
    }
    if missing.is_empty() {
        return None;
    }
    let file = declarations
        .first()
        .map(|d| d.file.as_str())
        .or(maven_file)
        .unwrap_or_default();
    Some(diagnostic(eco, &format!("{prefix}{file}"), &missing))
}

/// The members of one declaration that the context has and the
/// ecosystem does not copy.
fn members(
    loader: &dyn Loader,
    dir: &Path,
    prefix: &str,
    copied: &Copied,
    declaration: &Declaration,
) -> Vec<Missing> {
    let mut missing = Vec::new();
    let mut seen = HashSet::new();
    let exclude: Vec<String> = declaration
        .exclude
        .iter()
        .filter_map(|e| exclusion(e))
        .collect();
    for pattern in &declaration.include {
        let Some(pattern) = member_pattern(pattern) else {
            continue;
        };
        // Unknown behind a symbolic link: left to the build.
        let Some(manifests) =
            loader.context_glob(dir, &format!("{prefix}{pattern}/{}", declaration.manifest))
        else {
            continue;
        };
        for found in manifests {
            let manifest = found.strip_prefix(prefix).unwrap_or(&found).to_string();
            let member = manifest
                .strip_suffix(declaration.manifest)
                .unwrap_or(&manifest)
                .trim_end_matches('/');
            let excluded = exclude.iter().any(|e| {
                path_match(e, member)
                    || member
                        .strip_prefix(e.as_str())
                        .is_some_and(|rest| rest.starts_with('/'))
            });
            if excluded || !seen.insert(manifest.clone()) || copied.covers(&manifest) {
                continue;
            }
            // A pattern that starts with a wildcard would be refused as a
            // manifest (E0110): the member's own manifest is the fix then.
            let wild = pattern
                .split('/')
                .next()
                .is_some_and(|first| first.chars().all(|c| c == '*' || c == '?'));
            let pattern = if wild {
                manifest.clone()
            } else {
                format!("{pattern}/{}", declaration.manifest)
            };
            missing.push(Missing { manifest, pattern });
        }
    }
    missing
}

/// A Maven reactor: each module's `pom.xml` (or the file it names), and
/// the modules of every module whose `pom.xml` is copied, down to
/// [`MAX_POMS`] files.
fn maven(loader: &dyn Loader, dir: &Path, prefix: &str, copied: &Copied) -> Vec<Missing> {
    let mut missing = Vec::new();
    let mut queue = vec!["pom.xml".to_string()];
    let mut seen: HashSet<String> = queue.iter().cloned().collect();
    let mut read = 0;
    while let Some(pom) = queue.pop() {
        if read == MAX_POMS {
            break;
        }
        read += 1;
        let Some(modules) = loader
            .context_read(dir, &format!("{prefix}{pom}"))
            .and_then(|t| maven_modules(&t))
        else {
            continue;
        };
        let base = pom.rsplit_once('/').map(|(b, _)| format!("{b}/"));
        for module in modules {
            let Some(module) = member_pattern(&module).filter(|m| !m.contains(['*', '?'])) else {
                continue;
            };
            let relative = format!("{}{module}", base.as_deref().unwrap_or_default());
            let manifest = if relative.ends_with(".xml") {
                relative
            } else {
                format!("{relative}/pom.xml")
            };
            if !seen.insert(manifest.clone()) {
                continue;
            }
            let exists = loader
                .context_glob(dir, &format!("{prefix}{manifest}"))
                .is_some_and(|found| !found.is_empty());
            if !exists {
                continue;
            }
            if copied.covers(&manifest) {
                queue.push(manifest);
            } else {
                missing.push(Missing {
                    pattern: manifest.clone(),
                    manifest,
                });
            }
        }
    }
    missing
}

fn diagnostic(eco: &Ecosystem, file: &str, missing: &[Missing]) -> Diagnostic {
    let shown: Vec<String> = missing
        .iter()
        .map(|m| &m.manifest)
        .filter(|m| plain(m))
        .take(SHOWN)
        .map(|m| format!("`{m}`"))
        .collect();
    let rest = missing.len() - shown.len();
    let list = match (shown.as_slice(), rest) {
        ([], 1) => "1 member's manifest".to_string(),
        ([], _) => format!("{rest} members' manifests"),
        ([one], 0) => one.clone(),
        ([first @ .., last], 0) => format!("{} and {last}", first.join(", ")),
        (_, _) => format!("{} and {rest} more", shown.join(", ")),
    };
    let mut patterns: Vec<&str> = Vec::new();
    for m in missing {
        if plain(&m.pattern) && !patterns.contains(&m.pattern.as_str()) {
            patterns.push(&m.pattern);
        }
    }
    let list_patterns = patterns
        .iter()
        .map(|p| format!("\"{p}\""))
        .collect::<Vec<_>>()
        .join(", ");
    // The standard library's cargo stubs the members only as a workspace.
    let call = if eco.name == "cargo" || eco.name.ends_with(".cargo") {
        format!("{}(workspace: true)", eco.name)
    } else {
        format!("{}()", eco.name)
    };
    Diagnostic::error(
        Code::WorkspaceMembers,
        eco.span,
        format!("`{file}` declares workspace members whose manifests are not copied"),
    )
    .label(format!(
        "the install reads every member's manifest, and would fail without {list}"
    ))
    .help(if patterns.is_empty() {
        format!("copy each member's manifest with the other manifests: `{call} {{ manifests += [...] }}`")
    } else {
        format!("copy them with the other manifests: write `{call} {{ manifests += [{list_patterns}] }}`")
    })
}

/// An ecosystem's manifests (relative to its `dir`), as the check asks
/// after them: by name in constant time, then the few copied directories
/// and patterns left as written.
struct Copied<'a> {
    exact: HashSet<&'a str>,
    others: Vec<&'a str>,
}

impl<'a> Copied<'a> {
    fn new(eco: &'a Ecosystem) -> Copied<'a> {
        let (others, exact): (Vec<&str>, Vec<&str>) = eco
            .manifests
            .iter()
            .map(|m| m.value.trim_start_matches("./"))
            .partition(|m| m.ends_with('/') || m.contains(['*', '?']));
        Copied {
            exact: exact.into_iter().collect(),
            others,
        }
    }

    /// Whether `manifest` is copied: named, under a copied directory, or
    /// matched by a pattern left as written.
    fn covers(&self, manifest: &str) -> bool {
        self.exact.contains(manifest)
            || self
                .others
                .iter()
                .any(|c| (c.ends_with('/') && manifest.starts_with(c)) || path_match(c, manifest))
    }
}

/// A member pattern as a relative path: `./` and a trailing `/` dropped;
/// `None` for what cannot name a member here (the root itself, `..`, `**`,
/// character classes, anything but plain path characters).
fn member_pattern(pattern: &str) -> Option<String> {
    let pattern = pattern
        .trim()
        .trim_start_matches("./")
        .trim_end_matches('/');
    let ok = !pattern.is_empty()
        && pattern != "."
        && plain(pattern)
        && !pattern
            .split('/')
            .any(|c| c == ".." || c == "**" || c.is_empty());
    ok.then(|| pattern.to_string())
}

/// An exclusion (`!packages/old`, Cargo's `exclude`) as a relative path;
/// unlike a member pattern it may hold `**` (`!**/test/**`).
fn exclusion(pattern: &str) -> Option<String> {
    let pattern = pattern.trim_start_matches('!').trim();
    let pattern = pattern.trim_start_matches("./").trim_end_matches('/');
    let ok = !pattern.is_empty()
        && plain(pattern)
        && !pattern.split('/').any(|c| c == ".." || c.is_empty());
    ok.then(|| pattern.to_string())
}

/// Plain path characters only: what may be shown in a diagnostic and
/// passed to the context's lookups.
fn plain(text: &str) -> bool {
    text.chars()
        .all(|c| c.is_ascii_alphanumeric() || "-_./*?@+~".contains(c))
}

/// A path against a pattern, component by component: `*` and `?` within
/// one component, `**` for any number of them (pnpm's exclusions).
fn path_match(pattern: &str, path: &str) -> bool {
    let p: Vec<&str> = pattern.split('/').filter(|c| !c.is_empty()).collect();
    let n: Vec<&str> = path.split('/').filter(|c| !c.is_empty()).collect();
    // can[j]: the pattern so far matches the first j components.
    let mut can = vec![false; n.len() + 1];
    can[0] = true;
    for part in p {
        let mut next = vec![false; n.len() + 1];
        if part == "**" {
            let mut any = false;
            for j in 0..=n.len() {
                any |= can[j];
                next[j] = any;
            }
        } else {
            for j in 0..n.len() {
                next[j + 1] = can[j] && glob_match(part, n[j]);
            }
        }
        can = next;
    }
    can[n.len()]
}

/// npm and Yarn: `"workspaces"` in package.json, a list or
/// `{ "packages": [...] }`; `!` excludes.
fn npm(text: &str) -> Option<Declaration> {
    let value: serde_json::Value = serde_json::from_str(text).ok()?;
    let workspaces = value.get("workspaces")?;
    let list = match workspaces {
        serde_json::Value::Array(list) => list,
        serde_json::Value::Object(o) => o.get("packages")?.as_array()?,
        _ => return None,
    };
    let patterns: Vec<String> = list
        .iter()
        .map(|p| p.as_str().map(str::to_string))
        .collect::<Option<_>>()?;
    Some(split("package.json", "package.json", patterns))
}

/// pnpm: the `packages:` list of pnpm-workspace.yaml, as a block
/// (`- "apps/*"`) or a flow (`["apps/*"]`) sequence; `!` excludes.
fn pnpm(text: &str) -> Option<Declaration> {
    let mut lines = text.lines();
    let mut patterns = Vec::new();
    while let Some(line) = lines.next() {
        let Some(rest) = yaml_code(line).strip_prefix("packages:") else {
            continue;
        };
        let rest = rest.trim();
        if rest.starts_with('[') {
            let mut flow = rest.to_string();
            while !flow.trim_end().ends_with(']') {
                flow.push(' ');
                flow.push_str(yaml_code(lines.next()?).trim());
            }
            let inner = flow.trim().strip_prefix('[')?.strip_suffix(']')?;
            for item in split_outside_quotes(inner, ',') {
                if !item.trim().is_empty() {
                    patterns.push(unquote(item.trim())?);
                }
            }
        } else if rest.is_empty() {
            for line in lines.by_ref() {
                let code = yaml_code(line);
                let item = code.trim();
                if item.is_empty() {
                    continue;
                }
                match item.strip_prefix('-') {
                    Some(item) => patterns.push(unquote(item.trim())?),
                    // The next key: the list is over.
                    None if !code.starts_with([' ', '\t']) => break,
                    None => return None,
                }
            }
        } else {
            return None;
        }
        break;
    }
    Some(split("pnpm-workspace.yaml", "package.json", patterns))
}

/// Cargo: `members` and `exclude` of the `[workspace]` table, arrays of
/// strings that may span lines.
fn cargo(text: &str) -> Option<Declaration> {
    let mut table = String::new();
    let mut include = None;
    let mut exclude = Vec::new();
    let mut lines = text.lines();
    while let Some(line) = lines.next() {
        let line = line.trim();
        if line.starts_with('[') {
            // `[table]` or `[[array-of-tables]]`, maybe with a comment.
            let header = line.split('#').next().unwrap_or_default().trim();
            if let Some(name) = header.strip_prefix('[').and_then(|h| h.strip_suffix(']')) {
                table = name.trim_matches(['[', ']']).trim().to_string();
            }
            continue;
        }
        if table != "workspace" {
            continue;
        }
        let Some((key, value)) = line.split_once('=') else {
            continue;
        };
        let key = key.trim();
        if key != "members" && key != "exclude" {
            continue;
        }
        let mut value = value.to_string();
        let items = loop {
            match toml_array(&value) {
                Some(Ok(items)) => break items,
                Some(Err(Incomplete)) => {
                    value.push('\n');
                    value.push_str(lines.next()?);
                }
                None => return None,
            }
        };
        if key == "members" {
            include = Some(items);
        } else {
            exclude = items;
        }
    }
    Some(Declaration {
        file: "Cargo.toml".into(),
        manifest: "Cargo.toml",
        include: include?,
        exclude,
    })
}

/// The `<module>` entries of a pom.xml's `<modules>` (Maven 4:
/// `<subproject>` of `<subprojects>`), outside comments and profiles.
fn maven_modules(text: &str) -> Option<Vec<String>> {
    let text = without(text, "<!--", "-->")?;
    let text = without(&text, "<profiles>", "</profiles>")?;
    let mut modules = Vec::new();
    for (list, item) in [("modules", "module"), ("subprojects", "subproject")] {
        let Some(start) = text.find(&format!("<{list}>")) else {
            continue;
        };
        let end = start + text[start..].find(&format!("</{list}>"))?;
        let mut inner = &text[start + list.len() + 2..end];
        let (open, close) = (format!("<{item}>"), format!("</{item}>"));
        while let Some(i) = inner.find(&open) {
            let rest = &inner[i + open.len()..];
            let j = rest.find(&close)?;
            let module = rest[..j].trim();
            if module.contains(['<', '&']) {
                return None;
            }
            modules.push(module.to_string());
            inner = &rest[j + close.len()..];
        }
    }
    Some(modules)
}

/// `text` without every part from `open` to `close`; `None` when one is
/// never closed.
fn without(text: &str, open: &str, close: &str) -> Option<String> {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(i) = rest.find(open) {
        out.push_str(&rest[..i]);
        let j = rest[i..].find(close)?;
        rest = &rest[i + j + close.len()..];
    }
    out.push_str(rest);
    Some(out)
}

/// Patterns into members and `!` exclusions.
fn split(file: &str, manifest: &'static str, patterns: Vec<String>) -> Declaration {
    let (exclude, include) = patterns.into_iter().partition(|p| p.starts_with('!'));
    Declaration {
        file: file.into(),
        manifest,
        include,
        exclude,
    }
}

/// A YAML line without its comment (a `#` after white space, outside
/// quotes).
fn yaml_code(line: &str) -> &str {
    let mut quote = None;
    let mut previous = ' ';
    for (i, c) in line.char_indices() {
        match quote {
            Some(q) if c == q => quote = None,
            Some(_) => {}
            None if c == '"' || c == '\'' => quote = Some(c),
            None if c == '#' && previous.is_whitespace() => return &line[..i],
            None => {}
        }
        previous = c;
    }
    line
}

fn split_outside_quotes(text: &str, separator: char) -> Vec<&str> {
    let mut parts = Vec::new();
    let mut quote = None;
    let mut start = 0;
    for (i, c) in text.char_indices() {
        match quote {
            Some(q) if c == q => quote = None,
            Some(_) => {}
            None if c == '"' || c == '\'' => quote = Some(c),
            None if c == separator => {
                parts.push(&text[start..i]);
                start = i + c.len_utf8();
            }
            None => {}
        }
    }
    parts.push(&text[start..]);
    parts
}

/// A YAML scalar: plain, or in single or double quotes.
fn unquote(text: &str) -> Option<String> {
    let text = text.trim();
    for q in ['"', '\''] {
        if let Some(inner) = text.strip_prefix(q) {
            return inner.strip_suffix(q).map(str::to_string);
        }
    }
    (!text.is_empty()).then(|| text.to_string())
}

/// An array that continues on the next line.
struct Incomplete;

/// A TOML array of strings at the start of `text`: its items, `Err` when
/// `text` ends before the array does, `None` when it is not one.
fn toml_array(text: &str) -> Option<Result<Vec<String>, Incomplete>> {
    let mut chars = text.trim_start().chars().peekable();
    if chars.next() != Some('[') {
        return None;
    }
    let mut items = Vec::new();
    // Before an item (or `]`), then after one (`,` or `]`).
    let mut expect_item = true;
    loop {
        let Some(c) = chars.next() else {
            return Some(Err(Incomplete));
        };
        match c {
            c if c.is_whitespace() => {}
            '#' => {
                // A comment runs to the end of the line.
                for c in chars.by_ref() {
                    if c == '\n' {
                        break;
                    }
                }
            }
            ']' => return Some(Ok(items)),
            ',' if !expect_item => expect_item = true,
            '"' | '\'' if expect_item => {
                let mut item = String::new();
                loop {
                    match chars.next() {
                        None | Some('\n') => return None,
                        Some(q) if q == c => break,
                        Some('\\') if c == '"' => item.push(chars.next()?),
                        Some(other) => item.push(other),
                    }
                }
                items.push(item);
                expect_item = false;
            }
            _ => return None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn npm_workspaces_as_a_list_or_an_object() {
        let d = npm(r#"{"workspaces": ["apps/*", "!apps/old", "./packages/*/"]}"#).unwrap();
        assert_eq!(d.include, ["apps/*", "./packages/*/"]);
        assert_eq!(d.exclude, ["!apps/old"]);
        let d = npm(r#"{"workspaces": {"packages": ["libs/*"], "nohoist": ["**"]}}"#).unwrap();
        assert_eq!(d.include, ["libs/*"]);
        for malformed in [
            "{",
            r#"{"workspaces": [1]}"#,
            r#"{"workspaces": "x"}"#,
            r#"{"name": "x"}"#,
            "[]",
        ] {
            assert!(npm(malformed).is_none(), "{malformed}");
        }
    }

    #[test]
    fn pnpm_packages_in_block_and_flow_style() {
        let d = pnpm(
            "# the monorepo\npackages:\n  - 'apps/*'\n  - \"packages/*\"  # shared\n  - '!**/test/**'\n\ncatalog:\n  react: ^18\n",
        )
        .unwrap();
        assert_eq!(d.include, ["apps/*", "packages/*"]);
        assert_eq!(d.exclude, ["!**/test/**"]);
        let d = pnpm("packages:\n- libs/*\nonlyBuiltDependencies:\n  - esbuild\n").unwrap();
        assert_eq!(d.include, ["libs/*"]);
        let d = pnpm("packages: ['a/*',\n  \"b\"]\n").unwrap();
        assert_eq!(d.include, ["a/*", "b"]);
        // Settings only (pnpm 10 keeps them here): no members.
        assert!(pnpm("onlyBuiltDependencies:\n  - esbuild\n")
            .unwrap()
            .include
            .is_empty());
        for malformed in [
            "packages: apps/*\n",
            "packages:\n  - 'apps/*\n",
            "packages: [a",
        ] {
            assert!(pnpm(malformed).is_none(), "{malformed}");
        }
    }

    #[test]
    fn cargo_members_and_exclude() {
        let d = cargo(
            "[package]\nname = \"root\"\n\n[workspace] # all of it\nresolver = \"2\"\nmembers = [\n  \"crates/*\", # libraries\n  'tools/cli',\n]\nexclude = [\"crates/legacy\"]\n\n[workspace.dependencies]\nmembers = [\"not/these\"]\n",
        )
        .unwrap();
        assert_eq!(d.include, ["crates/*", "tools/cli"]);
        assert_eq!(d.exclude, ["crates/legacy"]);
        assert!(cargo("[package]\nname = \"solo\"\n").is_none());
        assert!(cargo("[workspace]\nresolver = \"2\"\n").is_none());
        for malformed in [
            "[workspace]\nmembers = [\"a\"",
            "[workspace]\nmembers = [a]\n",
            "[workspace]\nmembers = [\"a\" \"b\"]\n",
            "[workspace]\nmembers = \"a\"\n",
        ] {
            assert!(cargo(malformed).is_none(), "{malformed}");
        }
    }

    #[test]
    fn maven_modules_outside_comments_and_profiles() {
        let pom = "<project>\n<!-- <modules><module>old</module></modules> -->\n<modules>\n  <module>api</module>\n  <module> core </module>\n</modules>\n<profiles><profile><modules><module>extra</module></modules></profile></profiles>\n</project>\n";
        assert_eq!(maven_modules(pom).unwrap(), ["api", "core"]);
        assert!(maven_modules("<project/>").unwrap().is_empty());
        assert!(maven_modules("<modules><module>a</module>").is_none());
        assert!(maven_modules("<!-- <modules>").is_none());
    }

    #[test]
    fn paths_match_patterns_by_component() {
        assert!(path_match("packages/*", "packages/ui"));
        assert!(!path_match("packages/*", "packages/ui/x"));
        assert!(path_match("**/test/**", "packages/test"));
        assert!(path_match("**/test/**", "test/a/b"));
        assert!(!path_match("**/test/**", "packages/tests"));
        assert!(path_match("**", "a/b"));
    }

    #[test]
    fn member_patterns_are_plain_relative_paths() {
        assert_eq!(member_pattern("./apps/*/").as_deref(), Some("apps/*"));
        for refused in [
            ".",
            "",
            "../shared",
            "packages/**",
            "a\u{1b}[31m",
            "a//b",
            "[ab]",
        ] {
            assert!(member_pattern(refused).is_none(), "{refused:?}");
        }
    }
}
