//! Where generated files go, and writing them safely: all files of a run
//! are staged as temporary siblings and renamed into place only when every
//! one was written. Also the staleness check: what would change on disk.

use std::path::{Path, PathBuf};

use crate::compile::Output;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlannedFile {
    pub path: PathBuf,
    pub contents: String,
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
    for o in outputs {
        let default_name = if several {
            format!("{}.Dockerfile", o.image)
        } else {
            "Dockerfile".to_string()
        };
        let dockerfile = match (target_dir, target) {
            (Some(dir), _) => dir.join(&default_name),
            (None, Some(path)) => path.to_path_buf(),
            (None, None) => match &o.path {
                Some(relative) => spec_dir.join(relative),
                None => spec_dir.join(&default_name),
            },
        };
        let mut ignore = dockerfile.clone().into_os_string();
        ignore.push(".dockerignore");
        files.push(PlannedFile {
            path: dockerfile,
            contents: o.dockerfile.clone(),
        });
        files.push(PlannedFile {
            path: PathBuf::from(ignore),
            contents: o.dockerignore.clone(),
        });
    }
    files
}

/// Writes every file that changed, or none: each goes to a temporary
/// sibling first and is renamed into place once all are written. Files
/// whose contents are already right are left alone (and keep their
/// modification time). Returns the files written.
pub fn write_all(files: &[PlannedFile]) -> Result<Vec<&PlannedFile>, String> {
    let files: Vec<&PlannedFile> = files
        .iter()
        .filter(|f| std::fs::read_to_string(&f.path).ok().as_deref() != Some(f.contents.as_str()))
        .collect();
    let mut temps: Vec<PathBuf> = Vec::new();
    let cleanup = |temps: &[PathBuf]| {
        for t in temps {
            let _ = std::fs::remove_file(t);
        }
    };
    for file in &files {
        if let Some(parent) = file.path.parent().filter(|p| !p.as_os_str().is_empty()) {
            if let Err(e) = std::fs::create_dir_all(parent) {
                cleanup(&temps);
                return Err(format!("cannot create `{}`: {e}", parent.display()));
            }
        }
        let name = file
            .path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let temp = file
            .path
            .with_file_name(format!(".{name}.imgspec-{}.tmp", std::process::id()));
        if let Err(e) = std::fs::write(&temp, &file.contents) {
            let _ = std::fs::remove_file(&temp);
            cleanup(&temps);
            return Err(format!("cannot write `{}`: {e}", file.path.display()));
        }
        temps.push(temp);
    }
    for (file, temp) in files.iter().zip(&temps) {
        if let Err(e) = std::fs::rename(temp, &file.path) {
            cleanup(&temps);
            return Err(format!("cannot write `{}`: {e}", file.path.display()));
        }
    }
    Ok(files)
}

/// A unified diff for every planned file whose contents on disk differ
/// (a missing file counts as empty).
pub fn stale(files: &[PlannedFile]) -> Vec<String> {
    files
        .iter()
        .filter_map(|file| {
            let on_disk = std::fs::read_to_string(&file.path).ok();
            if on_disk.as_deref() == Some(file.contents.as_str()) {
                return None;
            }
            let path = file.path.display().to_string();
            let old = on_disk.unwrap_or_default();
            let diff = similar::TextDiff::from_lines(&old, &file.contents);
            let header_old = if old.is_empty() {
                "/dev/null".to_string()
            } else {
                format!("a/{path}")
            };
            Some(
                diff.unified_diff()
                    .context_radius(3)
                    .header(&header_old, &format!("b/{path}"))
                    .to_string(),
            )
        })
        .collect()
}
