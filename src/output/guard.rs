//! Whether generated files may go where they are planned: inside the
//! project once symlinks are resolved, onto nothing but a regular file,
//! and never onto a spec or anything the image reads from its context
//! (sources, manifests, bind-mounted files). Checked before anything is
//! read or written.

use std::path::{Path, PathBuf};

use super::PlannedFile;
use crate::compile::Output;
use crate::diagnostic::{Code, Diagnostic};
use crate::fs::{irregular, is_spec_name, FileError, Project};
use crate::source::Span;

/// A planned file with the real location it will be written to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Resolved {
    /// As planned, for messages.
    pub path: PathBuf,
    /// Which output of [`super::plan`] it belongs to.
    pub output: usize,
    /// Symlinks resolved, inside the project.
    pub real: PathBuf,
    pub contents: String,
}

/// A file that may not be written, as a diagnostic on the spec; `field`
/// says whether the spec's `output = "..."` chose the path (an error in
/// the spec) rather than `-o` (a usage error).
#[derive(Debug)]
pub struct Refusal {
    pub diagnostic: Diagnostic,
    pub field: bool,
}

/// Every planned file resolved, or every reason some may not be written.
pub fn guard(
    spec: &Path,
    project: &Project,
    files: &[PlannedFile],
    outputs: &[&Output],
) -> Result<Vec<Resolved>, Vec<Refusal>> {
    let context = match spec.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir,
        _ => Path::new("."),
    };
    let context = project.resolve(context).ok();
    let mut resolved = Vec::new();
    let mut refusals = Vec::new();
    for file in files {
        let output = outputs[file.output];
        let span = file.field.unwrap_or(output.span);
        let refuse = |diagnostic: Diagnostic| Refusal {
            diagnostic,
            field: file.field.is_some(),
        };
        match check(file, output, project, context.as_deref(), span) {
            Ok(real) => resolved.push(Resolved {
                path: file.path.clone(),
                output: file.output,
                real,
                contents: file.contents.clone(),
            }),
            Err(diagnostic) => refusals.push(refuse(diagnostic)),
        }
    }
    if refusals.is_empty() {
        Ok(resolved)
    } else {
        Err(refusals)
    }
}

fn check(
    file: &PlannedFile,
    output: &Output,
    project: &Project,
    context: Option<&Path>,
    span: Span,
) -> Result<PathBuf, Diagnostic> {
    let shown = file.path.display();
    let label = format!("image `{}` would be written to `{shown}`", output.image);
    let cannot = |error: FileError| {
        Diagnostic::error(
            error.code(),
            span,
            format!("cannot write `{shown}`: {error}"),
        )
        .label(label.clone())
        .help(error.help())
    };
    let real = match target(project, &file.path) {
        Ok(real) => real,
        Err(Refused::File(error)) => return Err(cannot(error)),
        Err(Refused::Spec) => {
            return Err(Diagnostic::error(
                Code::ProtectedOutput,
                span,
                format!("`{shown}` is a spec; writing the Dockerfile there would destroy it"),
            )
            .label(label.clone())
            .help("write the Dockerfile elsewhere, e.g. `Dockerfile` next to the spec"))
        }
    };
    let in_context = context
        .and_then(|c| real.strip_prefix(c).ok())
        .map(|p| p.to_string_lossy().replace('\\', "/"));
    if let Some(line) = in_context.and_then(|p| crate::explain::reader_of(output, &p)) {
        let mut d = Diagnostic::error(
            Code::ProtectedOutput,
            span,
            format!(
                "`{shown}` is read by image `{}`; writing there would overwrite its input",
                output.image
            ),
        )
        .label(label.clone())
        .help(
            "write the Dockerfile outside the image's sources and manifests, e.g. next to the spec",
        );
        for input in &line.spans {
            d = d.secondary(*input, "the image reads it here");
        }
        return Err(d);
    }
    Ok(real)
}

/// Why a path may not be written at all, whatever the image.
#[derive(Debug)]
pub enum Refused {
    File(FileError),
    /// It is (or, through a symlink, leads to) a spec.
    Spec,
}

/// Where a file at `path` would really be written: inside the project,
/// onto a regular file or nothing.
pub fn writable(project: &Project, path: &Path) -> Result<PathBuf, FileError> {
    let real = project.resolve(path)?;
    if let Ok(meta) = std::fs::symlink_metadata(&real) {
        if let Some(what) = irregular(&meta) {
            return Err(FileError::NotRegular(what));
        }
    }
    Ok(real)
}

/// Where a generated file at `path` would really be written: as
/// [`writable`], and not onto a spec.
pub fn target(project: &Project, path: &Path) -> Result<PathBuf, Refused> {
    let real = writable(project, path).map_err(Refused::File)?;
    if is_spec_name(path) || is_spec_name(&real) {
        return Err(Refused::Spec);
    }
    Ok(real)
}
