//! The staleness check: a unified diff for every generated file whose
//! contents on disk differ from what the spec produces. Only guarded paths
//! ([`super::guard`]) are read, so nothing outside the project, and no
//! device or FIFO, reaches the diff.

use super::{Resolved, OUTPUT_LIMIT};
use crate::fs::{read_regular, FileError};

/// The stale files with their diffs (a missing file counts as empty).
pub fn stale(files: &[Resolved]) -> Vec<(&Resolved, String)> {
    files
        .iter()
        .filter_map(|file| {
            let on_disk = match read_regular(&file.real, OUTPUT_LIMIT) {
                Ok(text) => Some(text),
                Err(FileError::NotFound) => None,
                // Unreadable as text: stale, and shown as replaced whole.
                Err(_) => Some(String::new()),
            };
            if on_disk.as_deref() == Some(file.contents.as_str()) {
                return None;
            }
            let path = file.path.display().to_string();
            let header_old = match &on_disk {
                None => "/dev/null".to_string(),
                Some(_) => format!("a/{path}"),
            };
            let old = on_disk.unwrap_or_default();
            let diff = similar::TextDiff::from_lines(&old, &file.contents)
                .unified_diff()
                .context_radius(3)
                .header(&header_old, &format!("b/{path}"))
                .to_string();
            Some((file, diff))
        })
        .collect()
}
