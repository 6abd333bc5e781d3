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

pub(super) fn user(v: &V, d: &mut Diagnostics) -> Option<User> {
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
