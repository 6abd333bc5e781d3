//! The project tree as `imgspec init` reads it: regular files inside the
//! directory only, never through a symbolic link, each read size-limited
//! (the same lookups the compiler's context checks use), and directory
//! listings bounded, so a tree of any size or shape costs little.

use std::path::{Path, PathBuf};

use crate::fs::{context_glob, context_read};

/// At most this many entries of one directory are looked at.
const MAX_ENTRIES: usize = 4096;

/// One entry of a directory listing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    pub name: String,
    pub dir: bool,
}

pub struct Tree {
    root: PathBuf,
}

impl Tree {
    pub fn new(root: &Path) -> Tree {
        Tree {
            root: root.to_path_buf(),
        }
    }

    /// The text of the regular file at `path` (relative, `/`-separated).
    pub fn read(&self, path: &str) -> Option<String> {
        context_read(&self.root, path)
    }

    /// Whether `path` is a regular file (not through a symbolic link).
    pub fn file(&self, path: &str) -> bool {
        self.meta(path).is_some_and(|m| m.is_file())
    }

    /// Whether `path` is a real directory (not a symbolic link).
    pub fn dir(&self, path: &str) -> bool {
        self.meta(path).is_some_and(|m| m.is_dir())
    }

    fn meta(&self, path: &str) -> Option<std::fs::Metadata> {
        let mut full = self.root.clone();
        for part in path.split('/').filter(|p| !p.is_empty() && *p != ".") {
            if part == ".." {
                return None;
            }
            full.push(part);
            let meta = std::fs::symlink_metadata(&full).ok()?;
            if meta.is_symlink() {
                return None;
            }
        }
        std::fs::symlink_metadata(&full).ok()
    }

    /// The files (relative paths, sorted) that `pattern` matches; `*` and
    /// `?` within one component.
    pub fn glob(&self, pattern: &str) -> Vec<String> {
        context_glob(&self.root, pattern).unwrap_or_default()
    }

    /// The entries of the directory at `path` ("" for the root), sorted by
    /// name; symbolic links and names that are not UTF-8 left out.
    pub fn list(&self, path: &str) -> Vec<Entry> {
        if !path.is_empty() && !self.dir(path) {
            return Vec::new();
        }
        let Ok(entries) = std::fs::read_dir(self.root.join(path)) else {
            return Vec::new();
        };
        let mut out: Vec<Entry> = entries
            .take(MAX_ENTRIES)
            .flatten()
            .filter_map(|e| {
                let name = e.file_name().to_str()?.to_string();
                let kind = e.file_type().ok()?;
                (kind.is_file() || kind.is_dir()).then_some(Entry {
                    name,
                    dir: kind.is_dir(),
                })
            })
            .collect();
        out.sort_by(|a, b| a.name.cmp(&b.name));
        out
    }

    /// The names of the regular files in the directory at `path`.
    pub fn files(&self, path: &str) -> Vec<String> {
        self.list(path)
            .into_iter()
            .filter(|e| !e.dir)
            .map(|e| e.name)
            .collect()
    }

    /// The names of the directories in the directory at `path`.
    pub fn dirs(&self, path: &str) -> Vec<String> {
        self.list(path)
            .into_iter()
            .filter(|e| e.dir)
            .map(|e| e.name)
            .collect()
    }
}
