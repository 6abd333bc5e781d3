//! Looking up a COPY source in the build context: a path, or a pattern
//! whose `*` and `?` match within one path component (as BuildKit's COPY
//! does). Bounded, so a context of any size costs little.

use std::path::{Path, PathBuf};

use globset::{Glob, GlobMatcher};

use super::{read_regular, CONTEXT_LIMIT};
use crate::loader::ContextEntry;

/// At most this many candidates are followed per component.
const MAX_MATCHES: usize = 10_000;

/// What `base` holds at `pattern`; `None` for a pattern that cannot be
/// looked up (one with `..`, or one globset cannot read).
pub fn context_entry(base: &Path, pattern: &str) -> Option<ContextEntry> {
    let matches = context_matches(base, pattern)?;
    let Some(first) = matches.first() else {
        return Some(ContextEntry::Missing);
    };
    let is_dir = std::fs::symlink_metadata(first).ok()?.is_dir();
    Some(if is_dir {
        ContextEntry::Directory
    } else {
        ContextEntry::File
    })
}

/// The files (not directories) of `base` that `pattern` matches, as
/// `/`-separated paths relative to `base`, sorted.
pub fn context_glob(base: &Path, pattern: &str) -> Option<Vec<String>> {
    let mut found: Vec<String> = context_matches(base, pattern)?
        .into_iter()
        .filter(|p| std::fs::symlink_metadata(p).is_ok_and(|m| m.is_file()))
        .filter_map(|p| {
            let relative = p.strip_prefix(base).ok()?;
            let parts: Vec<String> = relative
                .components()
                .map(|c| c.as_os_str().to_str().map(str::to_string))
                .collect::<Option<_>>()?;
            Some(parts.join("/"))
        })
        .collect();
    found.sort();
    Some(found)
}

/// The text of the regular file at `path` (relative, no wildcards) under
/// `base`, read through [`read_regular`] with [`CONTEXT_LIMIT`]. `None`
/// when it is missing, not a regular file, too large, not UTF-8, or when
/// a symbolic link stands anywhere on the way: nothing outside the project
/// is ever opened.
pub fn context_read(base: &Path, path: &str) -> Option<String> {
    let parts: Vec<&str> = path
        .split('/')
        .filter(|p| !p.is_empty() && *p != ".")
        .collect();
    if parts.is_empty() || parts.iter().any(|p| *p == ".." || p.contains(['*', '?'])) {
        return None;
    }
    let mut file = base.to_path_buf();
    for part in parts {
        file.push(part);
        if std::fs::symlink_metadata(&file).ok()?.is_symlink() {
            return None;
        }
    }
    if !std::fs::symlink_metadata(&file).ok()?.is_file() {
        return None;
    }
    read_regular(&file, CONTEXT_LIMIT).ok()
}

/// The paths under `base` that `pattern` matches, component by component.
fn context_matches(base: &Path, pattern: &str) -> Option<Vec<PathBuf>> {
    let parts: Vec<&str> = pattern
        .split('/')
        .filter(|p| !p.is_empty() && *p != ".")
        .collect();
    if parts.contains(&"..") {
        return None;
    }
    let mut current: Vec<PathBuf> = vec![base.to_path_buf()];
    for part in parts {
        // Only real directories are entered: a symlink might lead out of
        // the project, and nothing outside it is ever looked at. Where one
        // stands in the way, whether the path exists is left unknown.
        if current
            .iter()
            .any(|dir| std::fs::symlink_metadata(dir).is_ok_and(|m| m.is_symlink()))
        {
            return None;
        }
        let mut next = Vec::new();
        if part.contains(['*', '?']) {
            let glob = component_matcher(part)?;
            for dir in &current {
                let Ok(entries) = std::fs::read_dir(dir) else {
                    continue;
                };
                for entry in entries.flatten() {
                    if glob.is_match(entry.file_name()) {
                        next.push(entry.path());
                    }
                    if next.len() >= MAX_MATCHES {
                        break;
                    }
                }
            }
        } else {
            next.extend(
                current
                    .iter()
                    .map(|dir| dir.join(part))
                    .filter(|p| std::fs::symlink_metadata(p).is_ok()),
            );
        }
        if next.is_empty() {
            return Some(Vec::new());
        }
        next.truncate(MAX_MATCHES);
        current = next;
    }
    Some(current)
}

/// One path component as a pattern: `*` and `?` are wildcards; `[` and
/// `]` are literal, as imgspec writes them for COPY.
fn component_matcher(part: &str) -> Option<GlobMatcher> {
    let mut pattern = String::new();
    for c in part.chars() {
        match c {
            '[' => pattern.push_str("[[]"),
            ']' => pattern.push_str("[]]"),
            '{' | '}' | '\\' => {
                pattern.push('\\');
                pattern.push(c);
            }
            c => pattern.push(c),
        }
    }
    Glob::new(&pattern).ok().map(|g| g.compile_matcher())
}
