//! Bases: the image reference and the profile the checker relies on.

use super::fields::{self, Fields};
use super::*;

pub(super) const DISTROS: &[(&str, Distro)] = &[
    ("debian", Distro::Debian),
    ("ubuntu", Distro::Ubuntu),
    ("alpine", Distro::Alpine),
    ("rhel", Distro::Rhel),
    ("wolfi", Distro::Wolfi),
    ("distroless", Distro::Distroless),
    ("scratch", Distro::Scratch),
];

pub(super) const LIBCS: &[(&str, Libc)] = &[
    ("glibc", Libc::Glibc),
    ("musl", Libc::Musl),
    ("none", Libc::None),
];

pub(super) const SHELLS: &[(&str, Shell)] = &[
    ("bash", Shell::Bash),
    ("ash", Shell::Ash),
    ("sh", Shell::Sh),
    ("none", Shell::None),
];

pub(super) const MANAGERS: &[(&str, PackageManager)] = &[
    ("apt", PackageManager::Apt),
    ("apk", PackageManager::Apk),
    ("dnf", PackageManager::Dnf),
    ("microdnf", PackageManager::Microdnf),
    ("none", PackageManager::None),
];

pub(super) fn base(v: &V, d: &mut Diagnostics) -> Option<Base> {
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
    let default_user = match f.get("default_user") {
        Some(v) => uid(v, d),
        None => Some(0),
    };
    let users = f
        .get("users")
        .map(|v| super::accounts::declared(v, "user", d))
        .unwrap_or_default();
    let groups = f
        .get("groups")
        .map(|v| super::accounts::declared(v, "group", d))
        .unwrap_or_default();
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
        default_user: default_user?,
        interpreter,
        users,
        groups,
        span: v.span,
        def_span: i.def_span,
        known: true,
    })
}

pub(super) fn uid(v: &V, d: &mut Diagnostics) -> Option<u32> {
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
pub(super) fn image_ref(text: &str, span: Span, d: &mut Diagnostics) -> Option<ImageRef> {
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

pub(super) fn valid_digest(text: &str, span: Span, d: &mut Diagnostics) -> bool {
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
