//! What the runner receives, layer by layer: dependency outputs from the
//! stages that never see the sources, then the application's files. These
//! checks keep the two apart, so a source edit re-ships only the latter.

use crate::diagnostic::{Code, Diagnostic, Diagnostics};
use crate::ir::{absolute_in, output_path, whole_workdir, workdir_of, WholeWorkdir};
use crate::model::*;

pub fn check(image: &Image, d: &mut Diagnostics) {
    cross_compiled_outputs(image, d);
    // The runner takes dependency outputs from the main build only; an
    // extra stage gives it its artifacts and nothing else.
    let builds =
        std::iter::once((&image.build, true)).chain(image.stages.iter().map(|s| (&s.build, false)));
    let mut destinations: Vec<(String, crate::source::Span)> = Vec::new();
    for (build, main) in builds {
        let workdir = workdir_of(build);
        let outputs: Vec<(String, &Ecosystem)> = build
            .deps
            .iter()
            .flat_map(|eco| eco.output.iter().map(move |o| (eco, o)))
            .map(|(eco, o)| {
                let path = output_path(&workdir, eco, &o.value);
                (path.trim_end_matches('/').to_string(), eco)
            })
            .filter(|_| main)
            .collect();
        match &build.artifacts {
            None => {
                if let WholeWorkdir::Ambiguous = whole_workdir(build) {
                    ambiguous_workdir(build, &workdir, &outputs, d);
                }
            }
            Some(artifacts) => {
                for artifact in artifacts {
                    glob_into_directory(artifact, d);
                    let from = absolute_in(&workdir, &artifact.from);
                    if let Some((output, eco)) = outputs.iter().find(|(o, _)| overlaps(&from, o)) {
                        d.push(
                            Diagnostic::error(
                                Code::ArtifactOverDependencies,
                                artifact.span,
                                format!("this artifact copies `{output}`, which the runner already takes from `{}`", eco.name),
                            )
                            .label("dependencies would be copied again with the application")
                            .secondary(eco.span, format!("`{}` puts its output in `{output}`", eco.name))
                            .help("list only what the build makes, e.g. \"dist/\": the runner copies the dependencies from their own stage, in a layer a source edit keeps"),
                        );
                    }
                    let to = artifact.to.clone().unwrap_or_else(|| from.clone());
                    let to = to.trim_end_matches('/').to_string();
                    collision(&mut destinations, to, artifact.span, d);
                }
            }
        }
    }
    // `run { files }` land in the same runner.
    for file in &image.runner.files {
        let to = file.to.trim_end_matches('/').to_string();
        collision(&mut destinations, to, file.span, d);
    }
}

fn collision(
    destinations: &mut Vec<(String, crate::source::Span)>,
    to: String,
    span: crate::source::Span,
    d: &mut Diagnostics,
) {
    if let Some((_, first)) = destinations.iter().find(|(t, _)| *t == to) {
        d.push(
            Diagnostic::error(
                Code::ArtifactCollision,
                span,
                format!("two artifacts are copied to `{to}`"),
            )
            .label("this one would replace the other")
            .secondary(*first, "first copied here")
            .help("give one of them another destination with `{ from = ..., to = ... }`"),
        );
    } else {
        destinations.push((to, span));
    }
}

/// Dependencies live in the work directory and build steps write there
/// too: which of the directory's files are the application is unknown.
fn ambiguous_workdir(
    build: &Build,
    workdir: &str,
    outputs: &[(String, &Ecosystem)],
    d: &mut Diagnostics,
) {
    let Some((output, eco)) = outputs
        .iter()
        .find(|(o, _)| o.starts_with(&format!("{}/", workdir.trim_end_matches('/'))))
    else {
        return;
    };
    let relative = output
        .strip_prefix(&format!("{}/", workdir.trim_end_matches('/')))
        .unwrap_or(output);
    let message =
        format!("the runner cannot tell the build's files from `{relative}` in `{workdir}`");
    let installs = format!(
        "`{}` installs `{relative}` inside the work directory",
        eco.name
    );
    let diagnostic = match build.steps.first() {
        Some(step) => Diagnostic::error(Code::AmbiguousWorkdir, step.span, message)
            .label("the build writes into the work directory")
            .secondary(eco.span, installs),
        None => Diagnostic::error(Code::AmbiguousWorkdir, eco.span, message).label(installs),
    };
    // The suggestion names paths where this ecosystem's project lives.
    let dir = eco.context_prefix();
    let manifest = eco
        .manifests
        .iter()
        .find(|m| m.value.ends_with(".json") || m.value.ends_with(".toml"))
        .map(|m| format!(", \"{dir}{}\"", m.value))
        .unwrap_or_default();
    // Without build steps the application is its sources (and whatever a
    // finishing step writes beside them); with them, typically `dist/`.
    let made = if build.steps.is_empty() {
        build
            .sources
            .iter()
            .take(3)
            .map(|s| format!("\"{}\"", s.value))
            .collect::<Vec<_>>()
            .join(", ")
    } else {
        format!("\"{dir}dist/\"")
    };
    let example = format!("{made}{manifest}");
    d.push(diagnostic.help(format!(
        "list what the runner needs from the build, e.g. `artifacts = [{example}]`: the dependencies come from their own stage, so a source edit never re-ships them"
    )));
}

/// Whether one path holds the other (or they are the same).
fn overlaps(a: &str, b: &str) -> bool {
    let within = |inner: &str, outer: &str| {
        inner == outer || outer == "/" || inner.starts_with(&format!("{outer}/"))
    };
    within(a, b) || within(b, a)
}

/// A build on the builder's platform makes native code for that platform
/// unless told otherwise: dependencies the runner takes must hold none.
fn cross_compiled_outputs(image: &Image, d: &mut Diagnostics) {
    let Some(cross) = image.cross_compile else {
        return;
    };
    for eco in &image.build.deps {
        if eco.output.is_empty() || eco.linkage == Linkage::Static {
            continue;
        }
        d.push(
            Diagnostic::error(
                Code::CrossNativeOutput,
                eco.span,
                format!("`{}` would give the runner dependencies built for the builder's platform", eco.name),
            )
            .label("installed on the builder's platform, copied into the target's runner")
            .secondary(cross, "the build stages run on the builder's platform")
            .help("cross-compile only builds whose output is the same on every platform (Go with CGO off, JavaScript bundles, jars), or mark an ecosystem that installs no native code `linkage = static`"),
        );
    }
}

/// A pattern copies any number of files: its destination must be a
/// directory, or COPY makes a file named like the pattern.
fn glob_into_directory(artifact: &Artifact, d: &mut Diagnostics) {
    if !artifact.from.contains(['*', '?']) {
        return;
    }
    if artifact.to.as_deref().is_some_and(|to| to.ends_with('/')) {
        return;
    }
    let message = match &artifact.to {
        Some(to) => format!(
            "the pattern `{}` is copied to `{to}`, which is not a directory",
            artifact.from
        ),
        None => format!(
            "the pattern `{}` would be copied to a path of the same name",
            artifact.from
        ),
    };
    d.push(
        Diagnostic::error(Code::InvalidValue, artifact.span, message)
            .label("several files cannot land on one path")
            .help(
                "give it a directory ending in `/`: `{ from = \"dist/*.js\", to = \"/srv/www/\" }`",
            ),
    );
}
