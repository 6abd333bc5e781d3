//! Where source text comes from. The compiler core reads files only through
//! [`Loader`], so tests can compile specs held in memory.

use std::collections::BTreeMap;
use std::io;
use std::path::{Component, Path, PathBuf};

pub trait Loader {
    /// Reads the file at `path` (already resolved against the importer).
    fn read(&self, path: &Path) -> io::Result<String>;
}

/// Reads from the real file system.
pub struct FsLoader;

impl Loader for FsLoader {
    fn read(&self, path: &Path) -> io::Result<String> {
        crate::source::decode(std::fs::read(path)?)
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
    fn read(&self, path: &Path) -> io::Result<String> {
        self.files
            .get(&normalize(path))
            .cloned()
            .ok_or_else(|| io::Error::new(io::ErrorKind::NotFound, "no such file"))
    }
}

/// Resolves `.` and `..` without touching the file system.
pub fn normalize(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for component in path.components() {
        match component {
            Component::CurDir => {}
            Component::ParentDir => {
                if !out.pop() {
                    out.push("..");
                }
            }
            other => out.push(other.as_os_str()),
        }
    }
    out
}
