//! The project root: the one directory tree imgspec reads specs from and
//! writes generated files into. It is `--root DIR` when given; otherwise
//! the nearest directory at or above the spec holding `.git` (the
//! repository); otherwise the current directory, or the spec's own
//! directory when the spec lies outside the current one.

use std::io;
use std::path::{Path, PathBuf};

use super::FileError;
use crate::loader::normalize;

#[derive(Debug, Clone)]
pub struct Project {
    /// Absolute, symlinks resolved.
    root: PathBuf,
}

impl Project {
    /// The project at `dir` exactly.
    pub fn at(dir: &Path) -> io::Result<Project> {
        Ok(Project {
            root: std::fs::canonicalize(dir)?,
        })
    }

    /// The project of the spec (or searched directory) at `path`: `root`
    /// if given, else found as the module documentation says.
    pub fn find(root: Option<&Path>, path: &Path) -> io::Result<Project> {
        if let Some(root) = root {
            return Project::at(root);
        }
        let absolute = normalize(&std::path::absolute(path)?);
        let start = if absolute.is_dir() {
            absolute.as_path()
        } else {
            absolute.parent().unwrap_or(Path::new("/"))
        };
        // `.git` is a directory in a clone and a file in a worktree or
        // submodule; either marks the top of a repository.
        if let Some(top) = start
            .ancestors()
            .find(|dir| std::fs::symlink_metadata(dir.join(".git")).is_ok())
        {
            return Project::at(top);
        }
        let cwd = normalize(&std::env::current_dir()?);
        if start.starts_with(&cwd) {
            Project::at(&cwd)
        } else {
            Project::at(start)
        }
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    /// Where `path` really is, with every symlink resolved, if that is
    /// inside the project. The path need not exist: the longest existing
    /// prefix is resolved and the rest appended (it holds no `..` and no
    /// symlink, since it does not exist yet).
    pub fn resolve(&self, path: &Path) -> Result<PathBuf, FileError> {
        let path = if path.as_os_str().is_empty() {
            Path::new(".")
        } else {
            path
        };
        let absolute = normalize(&std::path::absolute(path)?);
        let existing = absolute
            .ancestors()
            .find(|a| std::fs::symlink_metadata(a).is_ok())
            .unwrap_or(Path::new("/"));
        let rest = absolute.strip_prefix(existing).unwrap_or(Path::new(""));
        let real = match std::fs::canonicalize(existing) {
            // Joining an empty rest would add a trailing `/`.
            Ok(real) if rest.as_os_str().is_empty() => real,
            Ok(real) => real.join(rest),
            // A dangling or looping symlink: where it leads is unknown.
            Err(_) => return Err(FileError::NotRegular("a broken symbolic link")),
        };
        if real.starts_with(&self.root) {
            Ok(real)
        } else {
            Err(FileError::OutsideProject)
        }
    }
}
