//! Type checking: turns each expanded image record into the typed
//! [`model::Image`], then runs the rules of `rules` over it. Every problem
//! is reported; an image with errors yields no model.

mod accounts;
mod base;
mod build;
mod cached;
mod cross;
mod fields;
mod files;
mod layers;
pub mod packages;
mod prepare;
mod publish;
mod rules;
mod runner;
pub mod shell;
mod tools;

use crate::diagnostic::{Code, Diagnostic, Diagnostics};
use crate::eval::{ExpandedImage, Instance, Val, V};
use crate::model::*;
use crate::source::Span;
use crate::syntax::ast::DefKind;
use base::{base, image_ref};
use build::{artifact, ecosystem, package_sets, step};
use fields::Fields;
use runner::runner;

pub use files::frontend_supports;
pub(crate) use rules::{glob_match, sensitive_name};

/// The uid:gid given to the user the compiler creates when the runner's
/// base has no non-root user of its own.
pub const DEFAULT_UID: u32 = 10001;

pub fn check(images: &[ExpandedImage], d: &mut Diagnostics) -> Vec<Image> {
    images
        .iter()
        .filter_map(|image| {
            let before = d.error_count();
            let model = image_model(image, d)?;
            rules::check(&model, d);
            layers::check(&model, d);
            cross::check(&model, d);
            prepare::check(&model, d);
            cached::check(&model, d);
            publish::check(&model, d);
            (d.error_count() == before).then_some(model)
        })
        .collect()
}

/// The bare words a field takes as values (`distro = debian`), so that a
/// parameter of the same name cannot shadow them.
pub fn enum_words(field: &str) -> Vec<&'static str> {
    fn names<T>(choices: &[(&'static str, T)]) -> Vec<&'static str> {
        choices.iter().map(|(n, _)| *n).collect()
    }
    match field {
        "distro" => names(base::DISTROS),
        "libc" => names(base::LIBCS),
        "shell" => names(base::SHELLS),
        "packages" => names(base::MANAGERS),
        "linkage" => names(build::LINKAGES),
        _ => Vec::new(),
    }
}

pub fn format_duration(ms: u64) -> String {
    if ms % 3_600_000 == 0 && ms > 0 {
        format!("{}h", ms / 3_600_000)
    } else if ms % 60_000 == 0 && ms > 0 {
        format!("{}m", ms / 60_000)
    } else if ms % 1000 == 0 {
        format!("{}s", ms / 1000)
    } else {
        format!("{ms}ms")
    }
}

fn image_model(image: &ExpandedImage, d: &mut Diagnostics) -> Option<Image> {
    let mut f = Fields::new(&image.body, "an image");
    let (build, runtime_packages) = build_fields(&mut f, image.name.span, d);
    let stages = f
        .get("stages")
        .map(|v| extra_stages(v, d))
        .unwrap_or_default();
    let excludes = f
        .get("exclude")
        .map(|v| spanned_strings(v, d))
        .unwrap_or_default();
    let generated = f
        .get("generated")
        .map(|v| spanned_strings(v, d))
        .unwrap_or_default();
    let args = f.get("args").map(|v| env_vars(v, d)).unwrap_or_default();
    let frontend = f.get("syntax").and_then(|v| {
        let text = fields::string(v, d)?;
        crate::frontend::Frontend::parse(&text)
            .map_err(|message| {
                d.push(
                    Diagnostic::error(Code::InvalidValue, v.span, message)
                        .label("not a supported frontend")
                        .help("write e.g. `syntax = \"1.7\"`, or `syntax = \"none\"` for the builder's own"),
                )
            })
            .ok()
    });
    let output = f.get("output").and_then(|v| {
        fields::string(v, d).map(|s| Spanned {
            value: s,
            span: v.span,
        })
    });
    let publish = f
        .get("publish")
        .map(|v| publish::publish(v, d))
        .unwrap_or_default();
    let cross_compile = f
        .get("cross_compile")
        .and_then(|v| fields::boolean(v, d).filter(|on| *on).map(|_| v.span));
    let run = f.get("run");
    f.finish(d);
    let build = build?;
    let runner = runner(run, &build.base, image.body.span, runtime_packages, d)?;
    Some(Image {
        cross_compile,
        name: image.name.name.clone(),
        span: image.name.span,
        build,
        stages,
        excludes,
        generated,
        args,
        runner,
        frontend,
        output,
        publish,
    })
}

/// The fields an image shares with an extra stage. Also returns the
/// runtime packages, which only the image may have.
fn build_fields(
    f: &mut Fields,
    name_span: Span,
    d: &mut Diagnostics,
) -> (Option<Build>, Vec<Package>) {
    let base = f
        .require("base", "debian.bookworm()", d)
        .and_then(|v| base(v, d));
    let workdir = match f.get("workdir") {
        Some(v) => fields::string(v, d).map(|s| Spanned {
            value: s,
            span: v.span,
        }),
        None => Some(Spanned {
            value: "/app".to_string(),
            span: name_span,
        }),
    };
    let (packages, runtime_packages) = match f.get("packages") {
        Some(v) => package_sets(v, d),
        None => (Vec::new(), Vec::new()),
    };
    let deps: Vec<Ecosystem> = f
        .get("deps")
        .map(|v| {
            fields::list(v)
                .into_iter()
                .filter_map(|e| ecosystem(e, d))
                .collect()
        })
        .unwrap_or_default();
    let sources = f
        .get("sources")
        .map(|v| spanned_strings(v, d))
        .unwrap_or_default();
    let steps: Vec<Step> = f
        .get("build")
        .map(|v| {
            fields::list(v)
                .into_iter()
                .filter_map(|s| step(s, d))
                // A step that renders empty is left out, as ecosystem
                // commands are: a template switches one off that way.
                .filter(|s| !s.run.trim().is_empty())
                .collect()
        })
        .unwrap_or_default();
    let artifacts = f.get("artifacts").map(|v| {
        fields::list(v)
            .into_iter()
            .filter_map(|a| artifact(a, d))
            .collect()
    });
    // Without a valid base, check the rest against a stand-in so that all
    // other mistakes are still reported.
    let build = workdir.map(|workdir| Build {
        base: base.unwrap_or_else(Base::unknown),
        workdir,
        packages,
        deps,
        sources,
        steps,
        artifacts,
    });
    (build, runtime_packages)
}

/// `stages { NAME { base = ... artifacts = [...] } ... }`
fn extra_stages(v: &V, d: &mut Diagnostics) -> Vec<ExtraStage> {
    let Some(record) = fields::record(
        v,
        "a `stages` block",
        "write `stages { frontend { base = ... } }`",
        d,
    ) else {
        return Vec::new();
    };
    let mut stages = Vec::new();
    for field in &record.fields {
        let name = &field.key;
        let valid = name.name.starts_with(|c: char| c.is_ascii_lowercase())
            && name
                .name
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_');
        if !valid || crate::ir::reserved_stage_name(&name.name) {
            d.push(
                Diagnostic::error(Code::InvalidValue, name.span, format!("`{}` cannot name a stage", name.name))
                    .label("invalid stage name")
                    .help("stage names are lower-case words other than `build`, `runtime` and the names of imgspec's own stages (`setup`, `deps`, `prod-deps`, and names ending in `-setup` or `-deps`), e.g. `frontend`"),
            );
            continue;
        }
        let Some(body) = fields::record(
            &field.value,
            "a stage block",
            "write `NAME { base = ... artifacts = [...] }`",
            d,
        ) else {
            continue;
        };
        let mut f = Fields::new(body, "a stage");
        let (build, runtime) = build_fields(&mut f, name.span, d);
        f.finish(d);
        if let Some(first) = runtime.first() {
            d.push(
                Diagnostic::error(
                    Code::InvalidValue,
                    first.span,
                    "a build stage has no runtime packages",
                )
                .label("only the runner installs runtime packages")
                .help("move it to the image's `packages { runtime = [...] }`"),
            );
        }
        let Some(build) = build else { continue };
        if build.artifacts.as_ref().is_none_or(|a| a.is_empty()) {
            d.push(
                Diagnostic::error(Code::MissingField, name.span, format!("stage `{}` needs `artifacts`", name.name))
                    .label("nothing reaches the runner from this stage")
                    .help("list what the runner takes, e.g. `artifacts = [{ from = \"dist/\", to = \"/app/static/\" }]`"),
            );
        }
        stages.push(ExtraStage {
            name: name.name.clone(),
            span: name.span,
            build,
        });
    }
    stages
}

pub(super) fn spanned_strings(v: &V, d: &mut Diagnostics) -> Vec<Spanned<String>> {
    fields::strings(v, d)
        .into_iter()
        .map(|(value, span)| Spanned { value, span })
        .collect()
}

pub(super) fn env_vars(v: &V, d: &mut Diagnostics) -> Vec<EnvVar> {
    fields::string_map_raw(v, d)
        .into_iter()
        .map(|(name, value, span)| EnvVar { name, value, span })
        .collect()
}

pub(super) fn instance<'v>(
    v: &'v V,
    kind: DefKind,
    example: &str,
    d: &mut Diagnostics,
) -> Option<&'v Instance> {
    let expected = match kind {
        DefKind::Ecosystem => "an ecosystem",
        _ => "a base",
    };
    let help = match &v.val {
        Val::Instance(i) if i.kind == kind => return Some(i),
        Val::Word(w) if !w.is_empty() => format!("call it: `{w}()`"),
        Val::Str(reference) if kind == DefKind::Base => format!(
            "a base is a profiled image, not a name: use a standard one such as `{example}`, \
             or declare `base mine() {{ ref = \"{reference}\" distro = ... libc = ... shell = ... packages = ... }}`"
        ),
        _ => format!("write e.g. `{example}`"),
    };
    d.push(fields::wrong_type(v, expected, &help));
    None
}
