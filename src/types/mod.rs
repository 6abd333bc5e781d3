//! Type checking: turns each expanded image record into the typed
//! [`model::Image`], then runs the rules of `rules` over it. Every problem
//! is reported; an image with errors yields no model.

mod fields;
pub mod packages;
mod rules;
pub mod shell;

use crate::diagnostic::{Code, Diagnostic, Diagnostics};
use crate::eval::{ExpandedImage, Instance, Val, V};
use crate::model::*;
use crate::source::Span;
use crate::syntax::ast::DefKind;
use fields::{Args, Fields};

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
            (d.error_count() == before).then_some(model)
        })
        .collect()
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
    let publish = f.get("publish").map(|v| publish(v, d)).unwrap_or_default();
    let run = f.get("run");
    f.finish(d);
    let build = build?;
    let runner = runner(run, &build.base, image.body.span, runtime_packages, d)?;
    Some(Image {
        name: image.name.name.clone(),
        span: image.name.span,
        build,
        stages,
        excludes,
        args,
        runner,
        frontend,
        output,
        publish,
    })
}

/// `publish { tags = [...] platforms = [...] cache = "registry/repo" }`
fn publish(v: &V, d: &mut Diagnostics) -> Publish {
    let Some(record) = fields::record(
        v,
        "a `publish` block",
        "write `publish { tags = [\"registry/app:1.0\"] }`",
        d,
    ) else {
        return Publish::default();
    };
    let mut f = Fields::new(record, "a `publish` block");
    let tags = f
        .get("tags")
        .map(|v| fields::strings(v, d))
        .unwrap_or_default();
    let platforms = f
        .get("platforms")
        .map(|v| fields::strings(v, d))
        .unwrap_or_default();
    let cache = f
        .get("cache")
        .and_then(|v| fields::string(v, d).map(|s| (s, v.span)));
    f.finish(d);
    for (tag, span) in &tags {
        if let Some(reference) = image_ref(tag, *span, d) {
            if reference.tag.is_none() {
                d.push(
                    Diagnostic::error(Code::InvalidValue, *span, format!("`{tag}` has no tag"))
                        .label("a pushed image needs a tag")
                        .help(format!("write e.g. \"{tag}:1.0.0\"")),
                );
            }
        }
    }
    for (platform, span) in &platforms {
        let parts: Vec<&str> = platform.split('/').collect();
        let valid = (2..=3).contains(&parts.len())
            && parts
                .iter()
                .all(|p| !p.is_empty() && p.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'));
        if !valid {
            d.push(
                Diagnostic::error(
                    Code::InvalidValue,
                    *span,
                    format!("`{platform}` is not a platform"),
                )
                .label("expected os/arch[/variant]")
                .help("write e.g. \"linux/amd64\" or \"linux/arm64\""),
            );
        }
    }
    if let Some((cache, span)) = &cache {
        image_ref(cache, *span, d);
    }
    Publish {
        tags: tags.into_iter().map(|(t, _)| t).collect(),
        platforms: platforms.into_iter().map(|(p, _)| p).collect(),
        cache: cache.map(|(c, _)| c),
    }
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
        if !valid || matches!(name.name.as_str(), "build" | "runtime") {
            d.push(
                Diagnostic::error(Code::InvalidValue, name.span, format!("`{}` cannot name a stage", name.name))
                    .label("invalid stage name")
                    .help("stage names are lower-case words other than `build` and `runtime`, e.g. `frontend`"),
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

fn spanned_strings(v: &V, d: &mut Diagnostics) -> Vec<Spanned<String>> {
    fields::strings(v, d)
        .into_iter()
        .map(|(value, span)| Spanned { value, span })
        .collect()
}

fn env_vars(v: &V, d: &mut Diagnostics) -> Vec<EnvVar> {
    fields::string_map(v, d)
        .into_iter()
        .map(|(name, value, span)| EnvVar { name, value, span })
        .collect()
}

fn instance<'v>(
    v: &'v V,
    kind: DefKind,
    example: &str,
    d: &mut Diagnostics,
) -> Option<&'v Instance> {
    match &v.val {
        Val::Instance(i) if i.kind == kind => Some(i),
        Val::Word(w) if !w.is_empty() => {
            d.push(fields::wrong_type(
                v,
                &format!("a {}", kind.keyword()),
                &format!("call it: `{w}()`"),
            ));
            None
        }
        _ => {
            d.push(fields::wrong_type(
                v,
                &format!("a {}", kind.keyword()),
                &format!("write e.g. `{example}`"),
            ));
            None
        }
    }
}

const DISTROS: &[(&str, Distro)] = &[
    ("debian", Distro::Debian),
    ("ubuntu", Distro::Ubuntu),
    ("alpine", Distro::Alpine),
    ("rhel", Distro::Rhel),
    ("wolfi", Distro::Wolfi),
    ("distroless", Distro::Distroless),
    ("scratch", Distro::Scratch),
];
const LIBCS: &[(&str, Libc)] = &[
    ("glibc", Libc::Glibc),
    ("musl", Libc::Musl),
    ("none", Libc::None),
];
const SHELLS: &[(&str, Shell)] = &[
    ("bash", Shell::Bash),
    ("ash", Shell::Ash),
    ("sh", Shell::Sh),
    ("none", Shell::None),
];
const MANAGERS: &[(&str, PackageManager)] = &[
    ("apt", PackageManager::Apt),
    ("apk", PackageManager::Apk),
    ("dnf", PackageManager::Dnf),
    ("microdnf", PackageManager::Microdnf),
    ("none", PackageManager::None),
];

fn base(v: &V, d: &mut Diagnostics) -> Option<Base> {
    let i = instance(v, DefKind::Base, "debian.bookworm()", d)?;
    let mut f = Fields::new(&i.body, "a base");
    let reference = f
        .require("ref", "\"debian:bookworm-slim\"", d)
        .and_then(|r| {
            let text = fields::string(r, d)?;
            image_ref(&text, r.span, d)
        });
    let digest = f.get("digest").and_then(|r| {
        let text = fields::string(r, d)?;
        if text.is_empty() {
            return Some(None);
        }
        valid_digest(&text, r.span, d).then_some(Some(text))
    });
    let distro = f
        .require("distro", "debian", d)
        .and_then(|v| fields::word(v, DISTROS, "distro", d));
    let libc = f
        .require("libc", "glibc", d)
        .and_then(|v| fields::word(v, LIBCS, "libc", d));
    let shell = f
        .require("shell", "bash", d)
        .and_then(|v| fields::word(v, SHELLS, "shell", d));
    let packages = f
        .require("packages", "apt", d)
        .and_then(|v| fields::word(v, MANAGERS, "package manager", d));
    let interpreter = f.get("interpreter").and_then(|v| fields::string(v, d));
    let nonroot = match f.get("nonroot") {
        Some(v) => uid(v, d).map(Some),
        None => Some(None),
    };
    f.finish(d);
    let mut reference = reference?;
    if let Some(Some(digest)) = digest {
        reference.digest = Some(digest);
    }
    Some(Base {
        name: i.name.clone(),
        reference,
        distro: distro?,
        libc: libc?,
        shell: shell?,
        packages: packages?,
        nonroot: nonroot?,
        interpreter,
        span: v.span,
        def_span: i.def_span,
        known: true,
    })
}

fn uid(v: &V, d: &mut Diagnostics) -> Option<u32> {
    let n = fields::int(v, d)?;
    match u32::try_from(n) {
        Ok(uid) if uid < 2_147_483_648 => Some(uid),
        _ => {
            d.push(
                Diagnostic::error(
                    Code::InvalidValue,
                    v.span,
                    format!("`{n}` is not a valid uid"),
                )
                .label("out of range")
                .help("uids are whole numbers from 0 to 2147483647; pick one from 10000 up"),
            );
            None
        }
    }
}

/// Parses `[registry/]name[:tag][@digest]`.
fn image_ref(text: &str, span: Span, d: &mut Diagnostics) -> Option<ImageRef> {
    let (rest, digest) = match text.split_once('@') {
        Some((r, dg)) => (r, Some(dg.to_string())),
        None => (text, None),
    };
    let last_slash = rest.rfind('/').map_or(0, |i| i + 1);
    let (name, tag) = match rest[last_slash..].rfind(':') {
        Some(i) => (
            &rest[..last_slash + i],
            Some(rest[last_slash + i + 1..].to_string()),
        ),
        None => (rest, None),
    };
    let name_ok = !name.is_empty()
        && name.split('/').all(|part| {
            !part.is_empty()
                && part
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || "._-:".contains(c))
        })
        && name
            .rsplit('/')
            .next()
            .is_some_and(|n| n.chars().all(|c| !c.is_ascii_uppercase()));
    let tag_ok = tag.as_deref().is_none_or(|t| {
        !t.is_empty()
            && t.len() <= 128
            && t.chars()
                .all(|c| c.is_ascii_alphanumeric() || "_.-".contains(c))
            && !t.starts_with(['.', '-'])
    });
    if !name_ok || !tag_ok {
        d.push(
            Diagnostic::error(Code::InvalidValue, span, format!("`{text}` is not a valid image reference"))
                .label("expected [registry/]name:tag[@sha256:digest]")
                .help("image names are lower case; tags are letters, digits, `_`, `.` and `-`, e.g. \"python:3.12-slim\""),
        );
        return None;
    }
    if let Some(dg) = &digest {
        if !valid_digest(dg, span, d) {
            return None;
        }
    }
    Some(ImageRef {
        name: name.to_string(),
        tag,
        digest,
    })
}

fn valid_digest(text: &str, span: Span, d: &mut Diagnostics) -> bool {
    let ok = text.strip_prefix("sha256:").is_some_and(|hex| {
        hex.len() == 64
            && hex
                .chars()
                .all(|c| c.is_ascii_digit() || ('a'..='f').contains(&c))
    });
    if !ok {
        d.push(
            Diagnostic::error(
                Code::InvalidValue,
                span,
                format!("`{text}` is not a valid image digest"),
            )
            .label("expected sha256: and 64 lower-case hex digits")
            .help("copy the digest from `docker buildx imagetools inspect IMAGE`"),
        );
    }
    ok
}

fn package_sets(v: &V, d: &mut Diagnostics) -> (Vec<Package>, Vec<Package>) {
    let Some(record) = fields::record(
        v,
        "a `packages` block",
        "write `packages { build = [...] runtime = [...] }`",
        d,
    ) else {
        return (Vec::new(), Vec::new());
    };
    let mut f = Fields::new(record, "a `packages` block");
    let build = f
        .get("build")
        .map(|v| package_list(v, d))
        .unwrap_or_default();
    let runtime = f
        .get("runtime")
        .map(|v| package_list(v, d))
        .unwrap_or_default();
    f.finish(d);
    (build, runtime)
}

fn package_list(v: &V, d: &mut Diagnostics) -> Vec<Package> {
    fields::strings(v, d)
        .into_iter()
        .map(|(text, span)| match text.split_once('=') {
            Some((name, version)) => Package {
                name: name.to_string(),
                version: Some(version.to_string()),
                span,
            },
            None => Package {
                name: text,
                version: None,
                span,
            },
        })
        .collect()
}

const LINKAGES: &[(&str, Linkage)] = &[("static", Linkage::Static), ("dynamic", Linkage::Dynamic)];

fn ecosystem(v: &V, d: &mut Diagnostics) -> Option<Ecosystem> {
    let i = instance(v, DefKind::Ecosystem, "python.pip()", d)?;
    let mut f = Fields::new(&i.body, "an ecosystem");
    let dir = f
        .get("dir")
        .and_then(|v| fields::string(v, d))
        .filter(|s| !s.is_empty() && s != ".");
    let manifests = f
        .require("manifests", "[\"requirements.txt\"]", d)
        .map(|v| spanned_strings(v, d))
        .unwrap_or_default();
    let install = f
        .require("install", "\"pip install -r requirements.txt\"", d)
        .map(|v| spanned_strings(v, d))
        .unwrap_or_default();
    let cache = f
        .get("cache")
        .map(|v| spanned_strings(v, d))
        .unwrap_or_default();
    let bind = f
        .get("bind")
        .and_then(|v| fields::boolean(v, d))
        .unwrap_or(false);
    let finish = f
        .get("finish")
        .map(|v| spanned_strings(v, d))
        .unwrap_or_default();
    let prune = f
        .get("prune")
        .map(|v| spanned_strings(v, d))
        .unwrap_or_default();
    let needs_interpreter = f
        .get("needs_interpreter")
        .and_then(|v| fields::boolean(v, d))
        .unwrap_or(false);
    let output = f.get("output").and_then(|v| {
        fields::string(v, d).map(|s| Spanned {
            value: s,
            span: v.span,
        })
    });
    let env = f.get("env").map(|v| env_vars(v, d)).unwrap_or_default();
    let build_env = f
        .get("build_env")
        .map(|v| env_vars(v, d))
        .unwrap_or_default();
    let linkage = match f.get("linkage") {
        Some(v) => fields::word(v, LINKAGES, "linkage", d),
        None => Some(Linkage::Dynamic),
    };
    f.finish(d);
    let mut all_build_env = env.clone();
    all_build_env.extend(build_env);
    Some(Ecosystem {
        name: i.name.clone(),
        dir,
        manifests,
        install,
        bind,
        finish,
        cache,
        prune,
        output,
        build_env: all_build_env,
        runtime_env: env,
        linkage: linkage?,
        needs_interpreter,
        span: v.span,
        def_span: i.def_span,
    })
}

fn step(v: &V, d: &mut Diagnostics) -> Option<Step> {
    match &v.val {
        Val::Str(s) => Some(Step {
            run: s.clone(),
            dir: None,
            cache: Vec::new(),
            secrets: Vec::new(),
            span: v.span,
        }),
        Val::Builtin(b) if b.name == "step" => {
            let mut args = Args::new(b, v.span);
            let run = args
                .require("run", "step(\"make\", cache: [\"/root/.cache\"])", d)
                .and_then(|r| fields::string(r, d));
            let dir = args
                .get("dir", false)
                .and_then(|v| fields::string(v, d))
                .filter(|s| !s.is_empty() && s != ".");
            let cache = args
                .get("cache", false)
                .map(|c| fields::strings(c, d))
                .unwrap_or_default();
            let secrets = args
                .get("secrets", false)
                .map(|s| {
                    fields::list(s)
                        .into_iter()
                        .filter_map(|s| secret(s, d))
                        .collect()
                })
                .unwrap_or_default();
            args.finish(d);
            Some(Step {
                run: run?,
                dir,
                cache: cache.into_iter().map(|(c, _)| c).collect(),
                secrets,
                span: v.span,
            })
        }
        _ => {
            d.push(fields::wrong_type(
                v,
                "a build step",
                "write a command string, or `step(\"...\", cache: [...], secrets: [...])`",
            ));
            None
        }
    }
}

/// `"/out/app"`, or `{ from = "dist/", to = "/usr/share/nginx/html/" }`.
fn artifact(v: &V, d: &mut Diagnostics) -> Option<Artifact> {
    match &v.val {
        Val::Str(path) => Some(Artifact {
            from: path.clone(),
            to: None,
            native: true,
            span: v.span,
        }),
        Val::Record(record) => {
            let mut f = Fields::new(record, "an artifact");
            let from = f
                .require("from", "\"dist/\"", d)
                .and_then(|v| fields::string(v, d));
            let to = f.get("to").and_then(|v| fields::string(v, d));
            let native = f
                .get("native")
                .and_then(|v| fields::boolean(v, d))
                .unwrap_or(true);
            f.finish(d);
            Some(Artifact {
                from: from?,
                to,
                native,
                span: v.span,
            })
        }
        _ => {
            d.push(fields::wrong_type(
                v,
                "an artifact",
                "write a path, or `{ from = \"dist/\", to = \"/srv/www/\" }`",
            ));
            None
        }
    }
}

fn secret(v: &V, d: &mut Diagnostics) -> Option<Secret> {
    match &v.val {
        Val::Str(id) => Some(Secret {
            id: id.clone(),
            target: None,
            span: v.span,
        }),
        Val::Builtin(b) if b.name == "secret" => {
            let mut args = Args::new(b, v.span);
            let id = args
                .require("id", "secret(\"npmrc\", target: \"/root/.npmrc\")", d)
                .and_then(|i| fields::string(i, d));
            let target = args.get("target", false).and_then(|t| fields::string(t, d));
            args.finish(d);
            Some(Secret {
                id: id?,
                target,
                span: v.span,
            })
        }
        _ => {
            d.push(fields::wrong_type(
                v,
                "a secret",
                "write a secret id, or `secret(\"id\", target: \"/path\")`",
            ));
            None
        }
    }
}

fn runner(
    run: Option<&V>,
    image_base: &Base,
    image_span: Span,
    packages: Vec<Package>,
    d: &mut Diagnostics,
) -> Option<Runner> {
    let empty = crate::eval::Record {
        fields: Vec::new(),
        span: image_span,
    };
    let record = match run {
        Some(v) => fields::record(v, "a `run` block", "write `run { cmd = [...] }`", d)?,
        None => &empty,
    };
    let mut f = Fields::new(record, "a `run` block");
    let base = match f.get("base") {
        Some(v) => base(v, d),
        None => Some(image_base.clone()),
    };
    let user_value = f.get("user");
    let allow_root = f.get("allow_root").and_then(|v| {
        fields::string(v, d).map(|s| Spanned {
            value: s,
            span: v.span,
        })
    });
    let env = f.get("env").map(|v| env_vars(v, d)).unwrap_or_default();
    let expose = f
        .get("expose")
        .map(|v| {
            fields::list(v)
                .into_iter()
                .filter_map(|p| port(p, d))
                .collect()
        })
        .unwrap_or_default();
    let entrypoint = f.get("entrypoint").and_then(|v| command(v, d));
    let cmd = f.get("cmd").and_then(|v| command(v, d));
    let health = f.get("health").and_then(|v| health(v, d));
    let labels = f
        .get("labels")
        .map(|v| fields::string_map(v, d))
        .unwrap_or_default();
    let volumes = f
        .get("volumes")
        .map(|v| spanned_strings(v, d))
        .unwrap_or_default();
    let stop_signal = f.get("stop_signal").and_then(|v| {
        fields::string(v, d).map(|s| Spanned {
            value: s,
            span: v.span,
        })
    });
    f.finish(d);

    let base = base.unwrap_or_else(Base::unknown);
    let (user, user_span) = match user_value {
        Some(v) => (user(v, d)?, Some(v.span)),
        None => {
            let uid = base.nonroot.unwrap_or(DEFAULT_UID);
            (User { uid, gid: uid }, None)
        }
    };
    let create_user = user.uid != 0 && base.nonroot != Some(user.uid) && base.shell != Shell::None;
    Some(Runner {
        base,
        user,
        user_span,
        allow_root,
        create_user,
        env,
        expose,
        entrypoint,
        cmd,
        health,
        labels,
        volumes,
        stop_signal,
        packages,
    })
}

fn user(v: &V, d: &mut Diagnostics) -> Option<User> {
    match &v.val {
        Val::Int(_) => uid(v, d).map(|uid| User { uid, gid: uid }),
        Val::Str(s) if s == "root" => Some(User { uid: 0, gid: 0 }),
        Val::Str(s) => {
            let parsed = s
                .split_once(':')
                .and_then(|(u, g)| Some((u.parse::<u32>().ok()?, g.parse::<u32>().ok()?)))
                .or_else(|| s.parse::<u32>().ok().map(|u| (u, u)));
            match parsed {
                Some((uid, gid)) => Some(User { uid, gid }),
                None => {
                    d.push(
                        Diagnostic::error(Code::InvalidValue, v.span, format!("`{s}` is not a numeric user"))
                            .label("expected a uid or \"uid:gid\"")
                            .help("name users by number, e.g. `user = 10001` or `user = \"10001:10001\"`, so the runtime can check they are not root"),
                    );
                    None
                }
            }
        }
        _ => {
            d.push(fields::wrong_type(
                v,
                "a uid",
                "write e.g. `user = 10001` or `user = \"10001:10001\"`",
            ));
            None
        }
    }
}

fn port(v: &V, d: &mut Diagnostics) -> Option<Spanned<u16>> {
    let n = fields::int(v, d)?;
    match u16::try_from(n) {
        Ok(p) if p > 0 => Some(Spanned {
            value: p,
            span: v.span,
        }),
        _ => {
            d.push(
                Diagnostic::error(
                    Code::InvalidValue,
                    v.span,
                    format!("`{n}` is not a valid port"),
                )
                .label("out of range")
                .help("ports are 1 to 65535; non-root services use 1024 and above"),
            );
            None
        }
    }
}

fn command(v: &V, d: &mut Diagnostics) -> Option<Spanned<Command>> {
    let command = match &v.val {
        Val::Str(s) => Command::Shell(s.clone()),
        Val::List(_) => Command::Exec(fields::strings(v, d).into_iter().map(|(s, _)| s).collect()),
        _ => {
            d.push(fields::wrong_type(
                v,
                "a command",
                "write a list such as [\"gunicorn\", \"app:app\"]",
            ));
            return None;
        }
    };
    if matches!(&command, Command::Exec(args) if args.is_empty()) {
        d.push(
            Diagnostic::error(Code::InvalidValue, v.span, "the command is empty")
                .label("nothing to run")
                .help("name the program and its arguments, e.g. [\"./server\"]"),
        );
        return None;
    }
    Some(Spanned {
        value: command,
        span: v.span,
    })
}

fn health(v: &V, d: &mut Diagnostics) -> Option<Health> {
    let Val::Builtin(b) = &v.val else {
        d.push(fields::wrong_type(
            v,
            "a health check",
            "write `http(\"/healthz\", port: 8000)` or `exec([\"/app/check\"])`",
        ));
        return None;
    };
    let mut args = Args::new(b, v.span);
    let probe = match b.name.as_str() {
        "http" => {
            let path = args
                .require("path", "http(\"/healthz\", port: 8000)", d)
                .and_then(|p| fields::string(p, d));
            let port = args
                .require("port", "http(\"/healthz\", port: 8000)", d)
                .and_then(|p| port(p, d));
            Some(Probe::Http {
                path: path?,
                port: port?.value,
            })
        }
        "exec" => {
            let cmd = args.require("command", "exec([\"/app/healthcheck\"])", d);
            cmd.and_then(|c| match &c.val {
                Val::List(_) => Some(Probe::Command(Command::Exec(
                    fields::strings(c, d).into_iter().map(|(s, _)| s).collect(),
                ))),
                _ => {
                    d.push(fields::wrong_type(
                        c,
                        "a list",
                        "write the command as a list, e.g. [\"/app/healthcheck\"]",
                    ));
                    None
                }
            })
        }
        "shell" => args
            .require(
                "command",
                "shell(\"curl -f http://localhost/ || exit 1\")",
                d,
            )
            .and_then(|c| fields::string(c, d))
            .map(|s| Probe::Command(Command::Shell(s))),
        _ => {
            d.push(fields::wrong_type(
                v,
                "a health check",
                "write `http(...)`, `exec([...])` or `shell(\"...\")`",
            ));
            None
        }
    };
    let interval = args
        .get("every", false)
        .and_then(|v| fields::duration(v, d));
    let timeout = args
        .get("timeout", false)
        .and_then(|v| fields::duration(v, d));
    let start_period = args
        .get("start", false)
        .and_then(|v| fields::duration(v, d));
    let retries = args
        .get("retries", false)
        .and_then(|v| fields::int(v, d))
        .and_then(|n| u32::try_from(n).ok());
    args.finish(d);
    Some(Health {
        probe: probe?,
        interval,
        timeout,
        start_period,
        retries,
        span: v.span,
    })
}
