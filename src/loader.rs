//! Where source text comes from. The compiler core reads files only through
//! [`Loader`], so tests can compile specs held in memory.

use std::collections::BTreeMap;
use std::path::{Component, Path, PathBuf};

use crate::fs::{is_spec_name, read_regular, FileError, Project, SPEC_LIMIT};

pub trait Loader {
    /// Reads the file at `path` (already resolved against the importer).
    fn read(&self, path: &Path) -> Result<String, FileError>;

    /// What the build context at `dir` holds at `path` (relative, as a COPY
    /// source: wildcards allowed), or `None` when this loader cannot tell.
    fn context_entry(&self, _dir: &Path, _path: &str) -> Option<ContextEntry> {
        None
    }

    /// The files of the build context at `dir` that `pattern` matches
    /// (relative, sorted), or `None` when this loader cannot tell.
    fn context_glob(&self, _dir: &Path, _pattern: &str) -> Option<Vec<String>> {
        None
    }

    /// The text of the regular file at `path` in the build context at
    /// `dir` (registry settings, workspace declarations), or `None` when
    /// this loader cannot tell, or the file is missing, behind a symbolic
    /// link, larger than [`crate::fs::CONTEXT_LIMIT`] or not UTF-8. The
    /// text is only ever parsed, never shown.
    fn context_read(&self, _dir: &Path, _path: &str) -> Option<String> {
        None
    }
}

/// A path of the build context, as the checks of [`crate::context`] see it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ContextEntry {
    Missing,
    File,
    Directory,
}

/// Reads from the real file system, and only what a spec may be: a
/// regular `.imgspec` file inside the project, at most [`SPEC_LIMIT`]
/// bytes. Anything else is refused before it is opened, so no other
/// file's text can reach a diagnostic.
pub struct FsLoader {
    project: Project,
}

impl FsLoader {
    pub fn new(project: Project) -> FsLoader {
        FsLoader { project }
    }

    /// A loader for the project that holds `spec` (see [`Project::find`]).
    pub fn for_spec(spec: &Path) -> std::io::Result<FsLoader> {
        Ok(FsLoader::new(Project::find(None, spec)?))
    }
}

impl Loader for FsLoader {
    fn read(&self, path: &Path) -> Result<String, FileError> {
        if !is_spec_name(path) {
            return Err(FileError::NotASpec);
        }
        let real = self.project.resolve(path)?;
        // A symlink named `x.imgspec` may lead to any file of the project.
        if !is_spec_name(&real) {
            return Err(FileError::NotASpec);
        }
        read_regular(&real, SPEC_LIMIT)
    }

    fn context_entry(&self, dir: &Path, path: &str) -> Option<ContextEntry> {
        // Only inside the project: a path that leaves it is refused by the
        // checker anyway (E0111), and is never probed.
        let base = self.project.resolve(dir).ok()?;
        crate::fs::context_entry(&base, path)
    }

    fn context_glob(&self, dir: &Path, pattern: &str) -> Option<Vec<String>> {
        let base = self.project.resolve(dir).ok()?;
        crate::fs::context_glob(&base, pattern)
    }

    fn context_read(&self, dir: &Path, path: &str) -> Option<String> {
        let base = self.project.resolve(dir).ok()?;
        crate::fs::context_read(&base, path)
    }
}

/// Files held in memory, for tests and tools.
#[derive(Default)]
pub struct MemoryLoader {
    files: BTreeMap<PathBuf, String>,
}

impl MemoryLoader {
    pub fn new() -> MemoryLoader {
        MemoryLoader::default()
    }

    pub fn with(mut self, path: impl AsRef<Path>, text: impl Into<String>) -> MemoryLoader {
        self.files.insert(normalize(path.as_ref()), text.into());
        self
    }
}

impl Loader for MemoryLoader {
    fn read(&self, path: &Path) -> Result<String, FileError> {
        self.files
            .get(&normalize(path))
            .cloned()
            .ok_or(FileError::NotFound)
    }
}

/// Resolves `.` and `..` without touching the file system.
pub fn normalize(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for component in path.components() {
        match component {
            Component::CurDir => {}
            // `..` removes a name before it; above the root it stays the
            // root; at the start of a relative path it is kept.
            Component::ParentDir => match out.components().next_back() {
                Some(Component::Normal(_)) => {
                    out.pop();
                }
                Some(Component::RootDir | Component::Prefix(_)) => {}
                _ => out.push(".."),
            },
            other => out.push(other.as_os_str()),
        }
    }
    out
}
