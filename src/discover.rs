//! Whole-repository mode: finding every `*.imgspec` below a directory,
//! honouring `.gitignore` (and `.ignore`) files, in a stable order.

use std::path::{Path, PathBuf};

pub fn specs(root: &Path) -> Result<Vec<PathBuf>, String> {
    let mut found = Vec::new();
    let walker = ignore::WalkBuilder::new(root).require_git(false).build();
    for entry in walker {
        let entry = entry.map_err(|e| format!("cannot search `{}`: {e}", root.display()))?;
        let path = entry.path();
        if entry.file_type().is_some_and(|t| t.is_file())
            && path.extension().is_some_and(|e| e == "imgspec")
        {
            found.push(path.strip_prefix("./").unwrap_or(path).to_path_buf());
        }
    }
    found.sort();
    Ok(found)
}
