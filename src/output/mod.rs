//! Where generated files go ([`plan`]), whether they may go there
//! ([`guard`]), writing them all or none ([`write_all`]), and the
//! staleness check ([`stale`]).

mod guard;
mod stale;
mod write;

pub use guard::{guard, target, writable, Refusal, Refused, Resolved};
pub use stale::stale;
pub use write::{write_all, write_one, WriteError};

use std::path::{Path, PathBuf};

use crate::compile::Output;
use crate::source::Span;

/// The most of an existing generated file that is read to compare it.
pub const OUTPUT_LIMIT: u64 = 16 * 1024 * 1024;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlannedFile {
    pub path: PathBuf,
    pub contents: String,
    /// Which of the outputs given to [`plan`] it belongs to.
    pub output: usize,
    /// The `output = "..."` field that chose the path, if one did.
    pub field: Option<Span>,
}

/// The files for `outputs` of the spec at `spec`. `target` is `-o`: a
/// Dockerfile path, or a directory (an existing one, one ending in `/`, or
/// any when there are several images). Otherwise each image goes where its
/// spec says (`output = "..."`), or next to the spec: `Dockerfile` for one
/// image, `NAME.Dockerfile` for several. The ignore file is always
/// `<Dockerfile>.dockerignore`, which BuildKit reads in preference to the
/// context's `.dockerignore`.
pub fn plan(spec: &Path, target: Option<&Path>, outputs: &[&Output]) -> Vec<PlannedFile> {
    let spec_dir = spec.parent().map(Path::to_path_buf).unwrap_or_default();
    let several = outputs.len() > 1;
    // Whether `-o` names a directory: decided once, not per image.
    let target_dir =
        target.filter(|path| several || path.is_dir() || path.to_string_lossy().ends_with('/'));
    let mut files = Vec::new();
    for (index, o) in outputs.iter().enumerate() {
        let default_name = if several {
            format!("{}.Dockerfile", o.image)
        } else {
            "Dockerfile".to_string()
        };
        let (dockerfile, field) = match (target_dir, target) {
            (Some(dir), _) => (dir.join(&default_name), None),
            (None, Some(path)) => (path.to_path_buf(), None),
            (None, None) => match &o.path {
                Some(relative) => (spec_dir.join(&relative.value), Some(relative.span)),
                None => (spec_dir.join(&default_name), None),
            },
        };
        let mut ignore = dockerfile.clone().into_os_string();
        ignore.push(".dockerignore");
        files.push(PlannedFile {
            path: dockerfile,
            contents: o.dockerfile.clone(),
            output: index,
            field,
        });
        files.push(PlannedFile {
            path: PathBuf::from(ignore),
            contents: o.dockerignore.clone(),
            output: index,
            field,
        });
    }
    files
}
