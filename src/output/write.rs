//! Writing generated files all or none: each new file is staged as a
//! temporary sibling, and only when every one is written are they renamed
//! into place; should a rename fail, the files already replaced get their
//! previous contents back. Only guarded paths ([`super::guard`]) come here.

use std::io::Write;
use std::path::{Path, PathBuf};

use super::{Resolved, OUTPUT_LIMIT};
use crate::fs::read_regular;

#[derive(Debug)]
pub struct WriteError {
    /// As planned, for the message.
    pub path: PathBuf,
    pub error: std::io::Error,
}

impl std::fmt::Display for WriteError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "cannot write `{}`: {}", self.path.display(), self.error)
    }
}

/// Writes one file (`path` as the user named it, `real` where it really
/// is) as [`write_all`] does; `true` when it changed.
pub fn write_one(path: &Path, real: PathBuf, contents: String) -> Result<bool, WriteError> {
    let file = Resolved {
        path: path.to_path_buf(),
        output: 0,
        real,
        contents,
    };
    write_all(std::slice::from_ref(&file)).map(|written| !written.is_empty())
}

/// Writes every file that changed, or none. Files whose contents are
/// already right are left alone (and keep their modification time).
/// Returns the files written.
pub fn write_all(files: &[Resolved]) -> Result<Vec<&Resolved>, WriteError> {
    let files: Vec<&Resolved> = files
        .iter()
        .filter(|f| {
            read_regular(&f.real, OUTPUT_LIMIT)
                .ok()
                .is_none_or(|text| text != f.contents)
        })
        .collect();
    let mut staged: Vec<PathBuf> = Vec::new();
    for file in &files {
        match stage(file) {
            Ok(temp) => staged.push(temp),
            Err(error) => {
                remove(&staged);
                return Err(WriteError {
                    path: file.path.clone(),
                    error,
                });
            }
        }
    }
    // Renamed into place one by one; `done` holds each replaced file and
    // the copy of what it held before, to undo on failure.
    let mut done: Vec<(&Path, Option<PathBuf>)> = Vec::new();
    for (i, (file, temp)) in files.iter().zip(&staged).enumerate() {
        let result = keep_previous(&file.real).and_then(|backup| {
            std::fs::rename(temp, &file.real).inspect_err(|_| remove(backup.as_slice()))?;
            Ok(backup)
        });
        match result {
            Ok(backup) => done.push((&file.real, backup)),
            Err(error) => {
                undo(&done);
                remove(&staged[i..]);
                return Err(WriteError {
                    path: file.path.clone(),
                    error,
                });
            }
        }
    }
    for (_, backup) in &done {
        remove(backup.as_slice());
    }
    Ok(files)
}

/// A temporary sibling holding the new contents; never an existing file.
fn stage(file: &Resolved) -> std::io::Result<PathBuf> {
    if let Some(parent) = file.real.parent() {
        std::fs::create_dir_all(parent)?;
    }
    let temp = sibling(&file.real, "tmp");
    let result = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&temp)
        .and_then(|mut f| f.write_all(file.contents.as_bytes()));
    if result.is_err() {
        let _ = std::fs::remove_file(&temp);
    }
    result.map(|()| temp)
}

/// A second name for the file at `real` (a hard link, or a copy where
/// links are not possible), so it can be put back; `None` if it does not
/// exist.
fn keep_previous(real: &Path) -> std::io::Result<Option<PathBuf>> {
    if std::fs::symlink_metadata(real).is_err() {
        return Ok(None);
    }
    let backup = sibling(real, "old");
    let _ = std::fs::remove_file(&backup);
    if std::fs::hard_link(real, &backup).is_err() {
        std::fs::copy(real, &backup)?;
    }
    Ok(Some(backup))
}

fn undo(done: &[(&Path, Option<PathBuf>)]) {
    for (real, backup) in done.iter().rev() {
        let _ = match backup {
            Some(backup) => std::fs::rename(backup, real),
            None => std::fs::remove_file(real),
        };
    }
}

fn sibling(real: &Path, suffix: &str) -> PathBuf {
    let name = real
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    real.with_file_name(format!(".{name}.imgspec-{}.{suffix}", std::process::id()))
}

fn remove(paths: &[PathBuf]) {
    for path in paths {
        let _ = std::fs::remove_file(path);
    }
}
