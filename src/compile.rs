//! The pipeline, top to bottom: load → expand → check → lower → optimise →
//! emit. Pure apart from the [`Loader`]; nothing is written here.

use std::path::Path;

use crate::diagnostic::{Code, Diagnostic, Diagnostics};
use crate::emit;
use crate::frontend::Frontend;
use crate::fs::FileError;
use crate::loader::Loader;
use crate::source::{SourceMap, Span};
use crate::{context, eval, ir, lock, opt, platform, resolve, types, workspace};

#[derive(Debug, Clone, Default)]
pub struct Options {
    /// Overrides each image's own `syntax`; without either, the builder's
    /// built-in frontend.
    pub frontend: Option<Frontend>,
    /// The project's lock file (its name as shown, and its text): image
    /// references it locks are emitted with their digests.
    pub lock: Option<(String, String)>,
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
    /// The image references it pulls by tag (before the lock pins them),
    /// each with the span that names it, for `imgspec lock`.
    pub references: Vec<(String, Span)>,
    /// The tools its ecosystems install, each with the span of its
    /// declaration, for `imgspec lock`.
    pub tools: Vec<(crate::lock::ToolKey, Span)>,
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
    let (mut program, mut diagnostics) = resolve::load(loader, path)?;
    let lock = options
        .lock
        .as_ref()
        .and_then(|(name, text)| read_lock(&mut program.sources, name, text, &mut diagnostics));
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
        for (tool, span) in crate::tools::put_in_setup(image, lock.as_ref()) {
            diagnostics.push(unlocked_tool(span, &tool));
        }
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
                let mut ir = opt::optimise(ir);
                let references = reference_spans(image, &ir);
                let tools = crate::tools::of_image(image)
                    .map(|(tool, key)| (key, tool.span))
                    .collect();
                if let Some(lock) = &lock {
                    for reference in lock::pin(&mut ir, lock) {
                        let span = references
                            .iter()
                            .find(|(r, _)| *r == reference)
                            .map_or(image.span, |(_, s)| *s);
                        diagnostics.push(unlocked(span, &reference));
                    }
                }
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
                    references,
                    tools,
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

/// The references `ir` pulls by tag, each with the span of the base or
/// file that names it (the image's name for those the compiler adds, such
/// as the init stage's).
fn reference_spans(image: &crate::model::Image, ir: &ir::Dockerfile) -> Vec<(String, Span)> {
    let mut named: Vec<(String, Span)> = Vec::new();
    for build in image.builds() {
        named.push((build.base.reference.render(), build.base.span));
    }
    named.push((image.runner.base.reference.render(), image.runner.base.span));
    for file in &image.runner.files {
        if let crate::model::FileSource::Image { reference, .. } = &file.source {
            named.push((reference.render(), file.span));
        }
    }
    lock::references(ir)
        .into_iter()
        .map(|reference| {
            let span = named
                .iter()
                .find(|(r, _)| *r == reference)
                .map_or(image.span, |(_, s)| *s);
            (reference, span)
        })
        .collect()
}

/// The lock file, parsed; a file that cannot be is an error on its text.
fn read_lock(
    sources: &mut crate::source::SourceMap,
    name: &str,
    text: &str,
    diagnostics: &mut Diagnostics,
) -> Option<lock::Lock> {
    match lock::Lock::parse(text) {
        Ok(lock) => Some(lock),
        Err(error) => {
            let file = sources.add(name, text);
            let span = Span::new(file, error.range.unwrap_or(0..0));
            diagnostics.push(
                Diagnostic::error(Code::LockFile, span, format!("`{name}` cannot be read: {}", error.message))
                    .label("not a lock file this imgspec reads")
                    .help("write it again with `imgspec lock` (it resolves every reference anew), or fix the entry by hand"),
            );
            None
        }
    }
}

/// A reference the lock file has no entry for: emitted by tag.
fn unlocked(span: Span, reference: &str) -> Diagnostic {
    Diagnostic::warning(
        Code::UnlockedReference,
        span,
        format!("`{reference}` has no entry in the lock file, so it is pulled by tag"),
    )
    .label("this image reference")
    .help("run `imgspec lock` to add its digest (CI: `imgspec lock --check` fails until then)")
}

/// A tool the lock file has no entry for: the newest release of its
/// series is installed, whichever that is on the day of the build.
fn unlocked_tool(span: Span, tool: &lock::ToolKey) -> Diagnostic {
    Diagnostic::warning(
        Code::UnlockedTool,
        span,
        format!("`{tool}` has no entry in the lock file, so the build installs whichever release of the series is newest, unchecked"),
    )
    .label("this tool")
    .help("run `imgspec lock` to pin its release and hashes (CI: `imgspec lock --check` fails until then)")
}

fn no_images(span: Span) -> Diagnostic {
    Diagnostic::error(Code::NoImages, span, "this file defines no image")
        .label("nothing to compile")
        .help("add `image NAME { base = ... }`; files with only templates are imported with `use`, not compiled")
}
