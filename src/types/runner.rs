//! The `run` block: the runner's base, user, command and metadata.

use super::base::uid;
use super::fields::{self, Args, Fields};
use super::*;

pub(super) fn runner(
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
    let workdir = f.get("workdir").and_then(|v| {
        fields::string(v, d).map(|s| Spanned {
            value: s,
            span: v.span,
        })
    });
    let writable = f
        .get("writable")
        .map(|v| spanned_strings(v, d))
        .unwrap_or_default();
    let setup = f
        .get("setup")
        .map(|v| {
            let mut list = spanned_strings(v, d);
            // Empty when a template switches a command off.
            list.retain(|c| !c.value.trim().is_empty());
            list
        })
        .unwrap_or_default();
    let init = f
        .get("init")
        .and_then(|v| fields::boolean(v, d).map(|on| (on, v.span)))
        .and_then(|(on, span)| on.then_some(span));
    let files = f
        .get("files")
        .map(|v| super::files::files(v, d))
        .unwrap_or_default();
    f.finish(d);

    let base = base.unwrap_or_else(Base::unknown);
    let (user, user_name, user_span) = match user_value {
        Some(v) => {
            let (user, name) = user(v, &base, d)?;
            (user, name, Some(v.span))
        }
        None => {
            let uid = base.nonroot.unwrap_or(DEFAULT_UID);
            (User { uid, gid: uid }, None, None)
        }
    };
    let create_user = super::accounts::plan(
        &base,
        user,
        user_name.as_ref(),
        user_span.unwrap_or(image_span),
        d,
    );
    Some(Runner {
        base,
        user,
        user_span,
        user_name,
        allow_root,
        create_user,
        workdir,
        writable,
        setup,
        init,
        files,
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

/// `10001`, `"10001:10001"`, `"root"`, or `user("app", uid: 10001, gid: 10001)`.
pub(super) fn user(
    v: &V,
    base: &Base,
    d: &mut Diagnostics,
) -> Option<(User, Option<Spanned<String>>)> {
    match &v.val {
        Val::Int(_) => uid(v, d).map(|uid| (User { uid, gid: uid }, None)),
        Val::Str(s) if s == "root" => Some((User { uid: 0, gid: 0 }, None)),
        Val::Str(s) => {
            let numbers = s
                .split_once(':')
                .and_then(|(u, g)| Some((u.parse::<u64>().ok()?, g.parse::<u64>().ok()?)))
                .or_else(|| s.parse::<u64>().ok().map(|u| (u, u)));
            match numbers {
                Some((uid, gid)) => {
                    // The same bound as a number: ids from 2^31 up break
                    // tools that read them as signed.
                    let out_of_range = [uid, gid].into_iter().find(|id| *id >= 1 << 31);
                    if let Some(id) = out_of_range {
                        d.push(
                            Diagnostic::error(Code::InvalidValue, v.span, format!("`{id}` is not a valid uid or gid"))
                                .label("out of range")
                                .help("ids are whole numbers from 0 to 2147483647; pick one from 10000 up"),
                        );
                        return None;
                    }
                    Some((
                        User {
                            uid: uid as u32,
                            gid: gid as u32,
                        },
                        None,
                    ))
                }
                None => {
                    d.push(
                        Diagnostic::error(Code::InvalidValue, v.span, format!("`{s}` is not a numeric user"))
                            .label("expected a uid or \"uid:gid\"")
                            .help("name users by number, e.g. `user = 10001` or `user = \"10001:10001\"`, or by name with `user(\"app\", uid: 10001)`"),
                    );
                    None
                }
            }
        }
        Val::Builtin(b) if b.name == "user" => named_user(b, v.span, base, d),
        _ => {
            d.push(fields::wrong_type(
                v,
                "a uid",
                "write e.g. `user = 10001`, `user = \"10001:10001\"` or `user = user(\"app\", uid: 10001)`",
            ));
            None
        }
    }
}

/// `user("name", uid: N, gid: N)`. A name the base already has may omit
/// the ids; `gid` defaults to the group of the same name, else to `uid`.
fn named_user(
    b: &crate::eval::Builtin,
    span: Span,
    base: &Base,
    d: &mut Diagnostics,
) -> Option<(User, Option<Spanned<String>>)> {
    let mut args = Args::new(b, span);
    let example = "user(\"app\", uid: 10001, gid: 10001)";
    let name = args.require("name", example, d).and_then(|n| {
        let text = fields::string(n, d)?;
        if !super::accounts::valid_name(&text) {
            d.push(super::accounts::invalid_name(&text, n.span, "user"));
            return None;
        }
        Some(Spanned {
            value: text,
            span: n.span,
        })
    });
    let uid_value = args.get("uid", false);
    let gid_value = args.get("gid", false);
    args.finish(d);
    let name = name?;
    let accounts = super::accounts::Accounts::of(base);
    let uid_number = match uid_value {
        Some(v) => uid(v, d)?,
        None => match accounts.user_by_name(&name.value) {
            Some(existing) if base.known => existing,
            _ => {
                d.push(
                    Diagnostic::error(
                        Code::MissingArgument,
                        span,
                        format!("`{}` needs a uid", name.value),
                    )
                    .label("the base has no user of this name")
                    .help(format!(
                        "give it one: `user(\"{}\", uid: {DEFAULT_UID})`",
                        name.value
                    )),
                );
                return None;
            }
        },
    };
    let gid = match gid_value {
        Some(v) => uid(v, d)?,
        None => accounts.group_by_name(&name.value).unwrap_or(uid_number),
    };
    Some((
        User {
            uid: uid_number,
            gid,
        },
        Some(name),
    ))
}

pub(super) fn port(v: &V, d: &mut Diagnostics) -> Option<Spanned<u16>> {
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

pub(super) fn command(v: &V, d: &mut Diagnostics) -> Option<Spanned<Command>> {
    let command = match &v.val {
        Val::Str(s) => Command::Shell(crate::syntax::marks::shell(s)),
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

pub(super) fn health(v: &V, d: &mut Diagnostics) -> Option<Health> {
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
            .and_then(|c| fields::shell_string(c, d))
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
