//! The pipeline, top to bottom: load → expand → check → lower → optimise →
//! emit. Pure apart from the [`Loader`]; nothing is written here.

use std::path::Path;

use crate::diagnostic::{Code, Diagnostic, Diagnostics};
use crate::emit;
use crate::frontend::Frontend;
use crate::fs::FileError;
use crate::loader::Loader;
use crate::source::{SourceMap, Span};
use crate::{context, eval, ir, opt, platform, resolve, types, workspace};

#[derive(Debug, Clone, Default)]
pub struct Options {
    /// Overrides each image's own `syntax`; without either, the builder's
    /// built-in frontend.
    pub frontend: Option<Frontend>,
}

/// One image's generated files.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Output {
    pub image: String,
    pub dockerfile: String,
    pub dockerignore: String,
    pub ir: ir::Dockerfile,
    /// The image's name in the spec.
    pub span: Span,
    /// Where the spec wants the Dockerfile, relative to the spec.
    pub path: Option<crate::model::Spanned<String>>,
    pub publish: crate::model::Publish,
}

#[derive(Debug)]
pub struct Compilation {
    pub sources: SourceMap,
    pub diagnostics: Diagnostics,
    /// Empty whenever there is an error: output is all or nothing.
    pub outputs: Vec<Output>,
}

/// Compiles every image of the spec at `path`. `Err` only when the root file
/// itself cannot be read.
pub fn compile(
    loader: &dyn Loader,
    path: &Path,
    options: &Options,
) -> Result<Compilation, FileError> {
    let (program, mut diagnostics) = resolve::load(loader, path)?;
    let expanded = eval::expand_images(&program, &mut diagnostics);
    if expanded.is_empty() && !diagnostics.has_errors() {
        if let Some(root) = program.root {
            let has_images = program.modules[root.0]
                .ast
                .definitions
                .iter()
                .any(|d| d.kind == crate::syntax::ast::DefKind::Image);
            if !has_images {
                diagnostics.push(no_images(root_span(&program)));
            }
        }
    }
    let images = types::check(&expanded, &mut diagnostics);
    // The header names the spec by file name only, so the output does not
    // depend on the directory the compiler was run from.
    let source = path.file_name().map_or_else(
        || path.display().to_string(),
        |n| n.to_string_lossy().into_owned(),
    );
    // The build context is the spec's directory.
    let context_dir = path.parent().unwrap_or(Path::new(""));
    let mut images = images;
    for image in &mut images {
        context::expand_manifests(loader, context_dir, image);
    }
    for image in &images {
        let frontend = options
            .frontend
            .clone()
            .or_else(|| image.frontend.clone())
            .unwrap_or_default();
        types::frontend_supports(
            image,
            &frontend,
            options.frontend.is_some(),
            &mut diagnostics,
        );
    }
    let lowered: Vec<ir::Dockerfile> = images
        .iter()
        .map(|image| {
            let ir = ir::lower(image);
            context::check(loader, context_dir, image, &ir, &mut diagnostics);
            workspace::check(loader, context_dir, image, &mut diagnostics);
            platform::check(loader, context_dir, image, &mut diagnostics);
            ir
        })
        .collect();
    let outputs = if diagnostics.has_errors() {
        Vec::new()
    } else {
        images
            .iter()
            .zip(lowered)
            .map(|(image, ir)| {
                let ir = opt::optimise(ir);
                let frontend = options
                    .frontend
                    .clone()
                    .or_else(|| image.frontend.clone())
                    .unwrap_or_default();
                Output {
                    image: image.name.clone(),
                    dockerfile: emit::dockerfile(&ir, &source, &frontend),
                    dockerignore: emit::dockerignore(&ir, &source),
                    ir,
                    span: image.span,
                    path: image.output.clone(),
                    publish: image.publish.clone(),
                }
            })
            .collect()
    };
    Ok(Compilation {
        sources: program.sources,
        diagnostics,
        outputs,
    })
}

fn root_span(program: &resolve::Program) -> Span {
    program
        .sources
        .files()
        .next()
        .map(|(id, _)| Span::new(id, 0..0))
        .unwrap_or_default()
}

fn no_images(span: Span) -> Diagnostic {
    Diagnostic::error(Code::NoImages, span, "this file defines no image")
        .label("nothing to compile")
        .help("add `image NAME { base = ... }`; files with only templates are imported with `use`, not compiled")
}
