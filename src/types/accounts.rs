//! Users and groups: what a base image already has, and whether the
//! runner's user is reused from it or created. A uid or gid the base has
//! is reused, never added again, and a name taken with another id is
//! reported: `groupadd` and `useradd` would fail at build time.

use super::base::uid;
use super::fields;
use super::*;

/// Names and ids of users or groups.
type Ids = &'static [(&'static str, u32)];

/// The accounts every image of a distribution family starts with (Debian
/// and Ubuntu: base-passwd; Alpine: alpine-baselayout; RHEL: setup).
/// System ids only; a base adds its own with `users` and `groups`.
fn family(distro: Distro) -> (Ids, Ids) {
    const DEBIAN_USERS: &[(&str, u32)] = &[
        ("root", 0),
        ("daemon", 1),
        ("bin", 2),
        ("sys", 3),
        ("sync", 4),
        ("games", 5),
        ("man", 6),
        ("lp", 7),
        ("mail", 8),
        ("news", 9),
        ("uucp", 10),
        ("proxy", 13),
        ("www-data", 33),
        ("backup", 34),
        ("list", 38),
        ("irc", 39),
        ("_apt", 42),
        ("nobody", 65534),
    ];
    const DEBIAN_GROUPS: &[(&str, u32)] = &[
        ("root", 0),
        ("daemon", 1),
        ("bin", 2),
        ("sys", 3),
        ("adm", 4),
        ("tty", 5),
        ("disk", 6),
        ("lp", 7),
        ("mail", 8),
        ("news", 9),
        ("uucp", 10),
        ("man", 12),
        ("proxy", 13),
        ("kmem", 15),
        ("dialout", 20),
        ("fax", 21),
        ("voice", 22),
        ("cdrom", 24),
        ("floppy", 25),
        ("tape", 26),
        ("sudo", 27),
        ("audio", 29),
        ("dip", 30),
        ("www-data", 33),
        ("backup", 34),
        ("operator", 37),
        ("list", 38),
        ("irc", 39),
        ("src", 40),
        ("shadow", 42),
        ("utmp", 43),
        ("video", 44),
        ("sasl", 45),
        ("plugdev", 46),
        ("staff", 50),
        ("games", 60),
        ("users", 100),
        ("nogroup", 65534),
    ];
    const ALPINE_USERS: &[(&str, u32)] = &[
        ("root", 0),
        ("bin", 1),
        ("daemon", 2),
        ("lp", 4),
        ("sync", 5),
        ("shutdown", 6),
        ("halt", 7),
        ("mail", 8),
        ("news", 9),
        ("uucp", 10),
        ("operator", 11),
        ("man", 13),
        ("postmaster", 14),
        ("cron", 16),
        ("ftp", 21),
        ("sshd", 22),
        ("at", 25),
        ("squid", 31),
        ("xfs", 33),
        ("games", 35),
        ("cyrus", 85),
        ("vpopmail", 89),
        ("ntp", 123),
        ("smmsp", 209),
        ("guest", 405),
        ("nobody", 65534),
    ];
    const ALPINE_GROUPS: &[(&str, u32)] = &[
        ("root", 0),
        ("bin", 1),
        ("daemon", 2),
        ("sys", 3),
        ("adm", 4),
        ("tty", 5),
        ("disk", 6),
        ("lp", 7),
        ("mem", 8),
        ("kmem", 9),
        ("wheel", 10),
        ("floppy", 11),
        ("mail", 12),
        ("news", 13),
        ("uucp", 14),
        ("man", 15),
        ("cron", 16),
        ("console", 17),
        ("audio", 18),
        ("cdrom", 19),
        ("dialout", 20),
        ("ftp", 21),
        ("sshd", 22),
        ("input", 23),
        ("at", 25),
        ("tape", 26),
        ("video", 27),
        ("netdev", 28),
        ("readproc", 30),
        ("squid", 31),
        ("xfs", 33),
        ("kvm", 34),
        ("games", 35),
        ("shadow", 42),
        ("cdrw", 80),
        ("www-data", 82),
        ("usb", 85),
        ("vpopmail", 89),
        ("users", 100),
        ("ntp", 123),
        ("nofiles", 200),
        ("smmsp", 209),
        ("locate", 245),
        ("abuild", 300),
        ("utmp", 406),
        ("ping", 999),
        ("nogroup", 65533),
        ("nobody", 65534),
    ];
    const RHEL_USERS: &[(&str, u32)] = &[
        ("root", 0),
        ("bin", 1),
        ("daemon", 2),
        ("adm", 3),
        ("lp", 4),
        ("sync", 5),
        ("shutdown", 6),
        ("halt", 7),
        ("mail", 8),
        ("operator", 11),
        ("games", 12),
        ("ftp", 14),
        ("nobody", 65534),
    ];
    const RHEL_GROUPS: &[(&str, u32)] = &[
        ("root", 0),
        ("bin", 1),
        ("daemon", 2),
        ("sys", 3),
        ("adm", 4),
        ("tty", 5),
        ("disk", 6),
        ("lp", 7),
        ("mem", 8),
        ("kmem", 9),
        ("wheel", 10),
        ("cdrom", 11),
        ("mail", 12),
        ("man", 15),
        ("dialout", 18),
        ("floppy", 19),
        ("games", 20),
        ("tape", 33),
        ("video", 39),
        ("ftp", 50),
        ("lock", 54),
        ("audio", 63),
        ("users", 100),
        ("nobody", 65534),
    ];
    const ROOT: &[(&str, u32)] = &[("root", 0)];
    match distro {
        Distro::Debian | Distro::Ubuntu => (DEBIAN_USERS, DEBIAN_GROUPS),
        Distro::Alpine | Distro::Wolfi => (ALPINE_USERS, ALPINE_GROUPS),
        Distro::Rhel => (RHEL_USERS, RHEL_GROUPS),
        Distro::Distroless | Distro::Scratch => (ROOT, ROOT),
    }
}

/// The users and groups of a base: its family's, then its own, which win.
pub struct Accounts {
    users: Vec<(String, u32)>,
    groups: Vec<(String, u32)>,
}

impl Accounts {
    pub fn of(base: &Base) -> Accounts {
        let (users, groups) = family(base.distro);
        let merge = |family: &[(&str, u32)], own: &[(String, u32)]| {
            let mut all: Vec<(String, u32)> = own.to_vec();
            for (name, id) in family {
                if !all.iter().any(|(n, i)| n == name || i == id) {
                    all.push((name.to_string(), *id));
                }
            }
            all
        };
        Accounts {
            users: merge(users, &base.users),
            groups: merge(groups, &base.groups),
        }
    }

    pub fn user_by_id(&self, id: u32) -> Option<&str> {
        find_id(&self.users, id)
    }

    pub fn user_by_name(&self, name: &str) -> Option<u32> {
        find_name(&self.users, name)
    }

    pub fn group_by_id(&self, id: u32) -> Option<&str> {
        find_id(&self.groups, id)
    }

    pub fn group_by_name(&self, name: &str) -> Option<u32> {
        find_name(&self.groups, name)
    }
}

fn find_id(list: &[(String, u32)], id: u32) -> Option<&str> {
    list.iter().find(|(_, i)| *i == id).map(|(n, _)| n.as_str())
}

fn find_name(list: &[(String, u32)], name: &str) -> Option<u32> {
    list.iter().find(|(n, _)| n == name).map(|(_, i)| *i)
}

/// The name the compiler gives a user it creates when the spec names none.
pub const DEFAULT_NAME: &str = "app";

/// Whether `name` can name a user or group on every family: what
/// `useradd` and BusyBox `adduser` both accept, and safe in a shell word.
pub fn valid_name(name: &str) -> bool {
    name.len() <= 32
        && name.starts_with(|c: char| c.is_ascii_lowercase() || c == '_')
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '-')
}

/// `users = { www-data = 33 }` in a base: names and ids.
pub(super) fn declared(v: &V, what: &str, d: &mut Diagnostics) -> Vec<(String, u32)> {
    let Some(record) = fields::record(
        v,
        "a block of `name = id` entries",
        "write e.g. `users = { node = 1000 }`",
        d,
    ) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for field in &record.fields {
        let name = &field.key.name;
        if !valid_name(name) {
            d.push(invalid_name(name, field.key.span, what));
            continue;
        }
        if let Some(id) = uid(&field.value, d) {
            out.push((name.clone(), id));
        }
    }
    out
}

pub(super) fn invalid_name(name: &str, span: Span, what: &str) -> Diagnostic {
    Diagnostic::error(
        Code::InvalidValue,
        span,
        format!("`{name}` is not a valid {what} name"),
    )
    .label("invalid name")
    .help("names are lower-case letters, digits, `_` and `-`, starting with a letter or `_`, at most 32 characters")
}

/// Decides whether the runner's user exists in the base (reused) or is
/// created, and with which group. `None` when nothing is created.
pub(super) fn plan(
    base: &Base,
    user: User,
    name: Option<&Spanned<String>>,
    span: Span,
    d: &mut Diagnostics,
) -> Option<NewUser> {
    // Root exists everywhere; a shell-less runner cannot run `useradd`,
    // and a numeric USER needs no entry in /etc/passwd.
    if user.uid == 0 || base.shell == Shell::None || !base.known {
        return None;
    }
    let accounts = Accounts::of(base);
    let existing = accounts
        .user_by_id(user.uid)
        .map(str::to_string)
        .or_else(|| (base.nonroot == Some(user.uid)).then(String::new));
    if let Some(existing) = existing {
        if let Some(name) = name.filter(|n| !existing.is_empty() && n.value != existing) {
            d.push(clash(
                base,
                span,
                format!("uid {} is `{existing}` in `{}`", user.uid, base.reference.render()),
                format!("the base's `{existing}` already has uid {}", user.uid),
                format!(
                    "run as that user with `user(\"{existing}\", uid: {})`, or give `{}` a free uid such as {DEFAULT_UID}",
                    user.uid, name.value
                ),
            ));
        }
        return None;
    }
    let name_text = name.map_or(DEFAULT_NAME, |n| n.value.as_str());
    if let Some(other) = accounts.user_by_name(name_text) {
        let help = match name {
            Some(_) => format!(
                "run as it with `user(\"{name_text}\", uid: {other})`, or choose another name"
            ),
            None => format!(
                "name the new user: `user = user(\"svc\", uid: {})`, or run as `{name_text}` with `user = {other}`",
                user.uid
            ),
        };
        d.push(clash(
            base,
            span,
            format!(
                "`{}` already has a user `{name_text}`, with uid {other}",
                base.reference.render()
            ),
            format!("`{name_text}` exists with uid {other}, not {}", user.uid),
            help,
        ));
        return None;
    }
    let (group, create_group) = match accounts.group_by_id(user.gid) {
        Some(group) => (group.to_string(), false),
        None => {
            if let Some(other) = accounts.group_by_name(name_text) {
                d.push(clash(
                    base,
                    span,
                    format!(
                        "`{}` already has a group `{name_text}`, with gid {other}",
                        base.reference.render()
                    ),
                    format!("the group `{name_text}` has gid {other}, not {}", user.gid),
                    format!("use its gid (`gid: {other}`), or give the user another name"),
                ));
                return None;
            }
            (name_text.to_string(), true)
        }
    };
    Some(NewUser {
        name: name_text.to_string(),
        uid: user.uid,
        gid: user.gid,
        group,
        create_group,
    })
}

fn clash(base: &Base, span: Span, message: String, label: String, help: String) -> Diagnostic {
    Diagnostic::error(Code::UserClash, span, message)
        .label(label)
        .secondary(base.span, "the runner's base")
        .help(format!("{help}; creating it would fail at build time"))
}
