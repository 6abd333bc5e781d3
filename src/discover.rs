//! Whole-repository mode: finding every `*.imgspec` below a directory in a
//! stable order, honouring `.gitignore` (and `.ignore`) files. Hidden
//! directories such as `.github/` are searched (only `.git` is not), and
//! every spec that is not compiled is named with the reason, so that a
//! check never passes over a spec it did not look at.

use std::path::{Path, PathBuf};

use crate::fs::is_spec_name;

#[derive(Debug, Default)]
pub struct Search {
    pub specs: Vec<PathBuf>,
    /// Specs found but not compiled, and why.
    pub skipped: Vec<(PathBuf, String)>,
    /// Directories that could not be searched.
    pub errors: Vec<String>,
}

pub fn search(root: &Path) -> Search {
    let mut found = Search::default();
    let mut symlinks = Vec::new();
    for entry in walker(root, true) {
        let entry = match entry {
            Ok(entry) => entry,
            Err(e) => {
                found.errors.push(e.to_string());
                continue;
            }
        };
        if !is_spec_name(entry.path()) || entry.file_type().is_none_or(|t| t.is_dir()) {
            continue;
        }
        let path = tidy(entry.path());
        if entry.path_is_symlink() {
            symlinks.push(path);
        } else {
            // Devices and FIFOs too: compiling refuses them with a code.
            found.specs.push(path);
        }
    }
    // A second walk without the ignore files names the specs they hide.
    // Errors were reported by the first walk. Looked up in a set: a list
    // made the search quadratic in the number of specs.
    let seen: std::collections::HashSet<&PathBuf> = found.specs.iter().chain(&symlinks).collect();
    let mut hidden = Vec::new();
    for entry in walker(root, false).flatten() {
        let path = tidy(entry.path());
        if is_spec_name(&path)
            && !entry.file_type().is_none_or(|t| t.is_dir())
            && !seen.contains(&path)
        {
            hidden.push(path);
        }
    }
    for path in hidden {
        found.skipped.push((
            path,
            "it is excluded by a `.gitignore` or `.ignore` file".into(),
        ));
    }
    for path in symlinks {
        found.skipped.push((
            path,
            "it is a symbolic link, which repository mode does not follow".into(),
        ));
    }
    found.specs.sort();
    found.skipped.sort();
    found
}

/// The specs below `root`; an error if a directory could not be searched.
pub fn specs(root: &Path) -> Result<Vec<PathBuf>, String> {
    let found = search(root);
    match found.errors.first() {
        Some(error) => Err(format!("cannot search `{}`: {error}", root.display())),
        None => Ok(found.specs),
    }
}

fn walker(root: &Path, honour_ignores: bool) -> ignore::Walk {
    ignore::WalkBuilder::new(root)
        .standard_filters(honour_ignores)
        .hidden(false)
        .require_git(false)
        .filter_entry(|e| e.file_name() != ".git")
        .build()
}

fn tidy(path: &Path) -> PathBuf {
    path.strip_prefix("./").unwrap_or(path).to_path_buf()
}
