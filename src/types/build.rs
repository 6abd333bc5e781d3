//! What a build stage is made of: packages, ecosystems, steps, artifacts.

use super::fields::{self, Args, Fields};
use super::*;
use crate::syntax::marks;

pub(super) fn package_sets(v: &V, d: &mut Diagnostics) -> (Vec<Package>, Vec<Package>) {
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

pub(super) fn package_list(v: &V, d: &mut Diagnostics) -> Vec<Package> {
    // As with commands, an entry that renders empty is left out, so a
    // template can switch one off with an interpolation.
    fields::strings(v, d)
        .into_iter()
        .filter(|(text, _)| !text.trim().is_empty())
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

pub(super) const LINKAGES: &[(&str, Linkage)] =
    &[("static", Linkage::Static), ("dynamic", Linkage::Dynamic)];

pub(super) fn ecosystem(v: &V, d: &mut Diagnostics) -> Option<Ecosystem> {
    let i = instance(v, DefKind::Ecosystem, "python.pip()", d)?;
    let mut f = Fields::new(&i.body, "an ecosystem");
    let dir = f
        .get("dir")
        .and_then(|v| fields::string(v, d))
        .filter(|s| !s.is_empty() && s != ".");
    let manifests = f
        .require("manifests", "[\"requirements.txt\"]", d)
        .map(|v| commands(v, d))
        .unwrap_or_default();
    let optional = f
        .get("optional")
        .map(|v| commands(v, d))
        .unwrap_or_default();
    let install = f
        .require("install", "\"pip install -r requirements.txt\"", d)
        .map(|v| shell_commands(v, d))
        .unwrap_or_default();
    // An entry that renders empty is left out, as with commands.
    let cache: Vec<Spanned<String>> = f
        .get("cache")
        .map(|v| spanned_strings(v, d))
        .unwrap_or_default()
        .into_iter()
        .filter(|c| !c.value.trim().is_empty())
        .collect();
    let cache_locked = f
        .get("cache_locked")
        .and_then(|v| fields::boolean(v, d))
        .unwrap_or(false);
    let secrets = match f.get("secrets") {
        Some(v) => match &v.val {
            Val::List(items) => items.iter().filter_map(|s| secret(s, d)).collect(),
            _ => secret(v, d).into_iter().collect(),
        },
        None => Vec::new(),
    };
    let bind = f
        .get("bind")
        .and_then(|v| fields::boolean(v, d))
        .unwrap_or(false);
    let tools = f
        .get("tools")
        .map(|v| super::tools::tools(v, d))
        .unwrap_or_default();
    let setup = f
        .get("setup")
        .map(|v| shell_commands(v, d))
        .unwrap_or_default();
    let finish = f
        .get("finish")
        .map(|v| shell_commands(v, d))
        .unwrap_or_default();
    let production = f
        .get("production")
        .map(|v| shell_commands(v, d))
        .unwrap_or_default();
    let prune = f
        .get("prune")
        .map(|v| shell_commands(v, d))
        .unwrap_or_default();
    let needs_interpreter = f
        .get("needs_interpreter")
        .and_then(|v| fields::boolean(v, d))
        .unwrap_or(false);
    let output = f.get("output").map(|v| commands(v, d)).unwrap_or_default();
    // Empty when a template switches it off with an interpolation.
    let project = f.get("project").and_then(|v| {
        fields::string(v, d)
            .filter(|s| !s.trim().is_empty())
            .map(|s| Spanned {
                value: s,
                span: v.span,
            })
    });
    // As with commands, an entry that renders empty is left out, so a
    // template can switch one off with an interpolation.
    let set = |vars: Vec<EnvVar>| -> Vec<EnvVar> {
        vars.into_iter().filter(|v| !v.value.is_empty()).collect()
    };
    let env = set(f.get("env").map(|v| env_vars(v, d)).unwrap_or_default());
    let build_env = set(f
        .get("build_env")
        .map(|v| env_vars(v, d))
        .unwrap_or_default());
    let cross_env = set(f
        .get("cross_env")
        .map(|v| env_vars(v, d))
        .unwrap_or_default());
    let cross = f.get("cross").and_then(|v| fields::boolean(v, d));
    let linkage = match f.get("linkage") {
        Some(v) => fields::word(v, LINKAGES, "linkage", d),
        None => Some(Linkage::Dynamic),
    };
    f.finish(d);
    let mut all_build_env = env.clone();
    all_build_env.extend(build_env);
    Some(Ecosystem {
        cross_env,
        cross,
        name: i.name.clone(),
        dir,
        manifests,
        optional,
        install,
        bind,
        cache_locked,
        secrets,
        tools,
        setup,
        finish,
        cache,
        production,
        prune,
        output,
        project,
        build_env: all_build_env,
        runtime_env: env,
        linkage: linkage?,
        needs_interpreter,
        span: v.span,
        def_span: i.def_span,
    })
}

pub(super) fn step(v: &V, d: &mut Diagnostics) -> Option<Step> {
    match &v.val {
        Val::Str(s) => Some(Step {
            run: marks::shell(s),
            dir: None,
            cache: Vec::new(),
            secrets: Vec::new(),
            span: v.span,
        }),
        Val::Builtin(b) if b.name == "step" => {
            let mut args = Args::new(b, v.span);
            let run = args
                .require("run", "step(\"make\", cache: [\"/root/.cache\"])", d)
                .and_then(|r| fields::shell_string(r, d));
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
pub(super) fn artifact(v: &V, d: &mut Diagnostics) -> Option<Artifact> {
    match &v.val {
        Val::Str(path) => Some(Artifact {
            from: marks::plain(path),
            to: None,
            native: true,
            owner: Owner::Root,
            mode: None,
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
            let owner = match f.get("owner") {
                Some(v) => fields::string(v, d).and_then(|text| owner(&text, v.span, d)),
                None => Some(Owner::Root),
            };
            let mode = f
                .get("mode")
                .and_then(|v| fields::string(v, d).and_then(|text| mode(&text, v.span, d)));
            f.finish(d);
            Some(Artifact {
                from: from?,
                to,
                native,
                owner: owner?,
                mode,
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

/// `"root"` (the default) or `"runtime"`, the runner's user.
fn owner(text: &str, span: Span, d: &mut Diagnostics) -> Option<Owner> {
    match text {
        "root" => Some(Owner::Root),
        "runtime" => Some(Owner::Runtime),
        _ => {
            d.push(
                Diagnostic::error(Code::InvalidValue, span, format!("`{text}` is not an artifact owner"))
                    .label("expected \"root\" or \"runtime\"")
                    .help("write `owner = \"runtime\"` for files the application writes; the default, root, keeps them read-only for it"),
            );
            None
        }
    }
}

/// Octal permissions, written with four digits: `"755"` is `0755`.
pub(super) fn mode(text: &str, span: Span, d: &mut Diagnostics) -> Option<String> {
    let octal = (3..=4).contains(&text.len()) && text.chars().all(|c| ('0'..='7').contains(&c));
    if !octal {
        d.push(
            Diagnostic::error(Code::InvalidValue, span, format!("`{text}` is not a file mode"))
                .label("expected three or four octal digits")
                .help("write the mode as a string of octal digits, e.g. `mode = \"0755\"` for an executable"),
        );
        return None;
    }
    Some(format!("{text:0>4}"))
}

pub(super) fn secret(v: &V, d: &mut Diagnostics) -> Option<Secret> {
    match &v.val {
        Val::Str(id) => Some(Secret {
            id: marks::plain(id),
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

/// Ecosystem commands and manifests. Empty ones are dropped, so a template
/// can switch one off with an interpolation such as
/// `"{% if prune %}...{% endif %}"`.
fn commands(v: &V, d: &mut Diagnostics) -> Vec<Spanned<String>> {
    let mut list = spanned_strings(v, d);
    list.retain(|c| !c.value.trim().is_empty());
    list
}

/// Like [`commands`], for shell commands: interpolated values quoted.
fn shell_commands(v: &V, d: &mut Diagnostics) -> Vec<Spanned<String>> {
    let mut list: Vec<Spanned<String>> = fields::list(v)
        .into_iter()
        .filter_map(|item| {
            fields::shell_string(item, d).map(|value| Spanned {
                value,
                span: item.span,
            })
        })
        .collect();
    list.retain(|c| !c.value.trim().is_empty());
    list
}
