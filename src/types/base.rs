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
    let extensions = f.get("extensions").map(|v| {
        fields::strings(v, d)
            .into_iter()
            .map(|(e, _)| e.to_ascii_lowercase())
            .collect()
    });
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
        extensions,
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

/// Parses `[registry[:port]/]path[:tag][@digest]` by the reference grammar
/// of container registries: lower-case path components joined by `.`,
/// `_`, `__` or dashes, a host of DNS labels, a tag of word characters,
/// `.` and `-` (not first), at most 128 long.
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
    let problem = reference_problem(name, tag.as_deref());
    if let Some(problem) = problem {
        d.push(
            Diagnostic::error(Code::InvalidValue, span, format!("`{text}` is not a valid image reference"))
                .label(problem)
                .help("write [registry/]name:tag[@sha256:digest]: names are lower case, tags are letters, digits, `_`, `.` and `-`, e.g. \"python:3.12-slim\""),
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

/// What is wrong with a reference's name and tag, if anything.
fn reference_problem(name: &str, tag: Option<&str>) -> Option<&'static str> {
    if name.is_empty() {
        return Some("the image name is empty");
    }
    if name.len() > 255 {
        return Some("the name is longer than 255 characters");
    }
    let mut components: Vec<&str> = name.split('/').collect();
    let first = components[0];
    let has_domain = components.len() > 1
        && (first.contains(['.', ':'])
            || first == "localhost"
            || first.chars().any(|c| c.is_ascii_uppercase()));
    if has_domain {
        if !valid_domain(first) {
            return Some("the registry is not a host name with an optional port");
        }
        components.remove(0);
    }
    if !components.iter().all(|c| valid_path_component(c)) {
        return Some(
            "name components are lower-case letters and digits joined by `.`, `_`, `__` or `-`",
        );
    }
    if let Some(tag) = tag {
        let mut chars = tag.chars();
        let first_ok = chars
            .next()
            .is_some_and(|c| c.is_ascii_alphanumeric() || c == '_');
        let rest_ok = chars.all(|c| c.is_ascii_alphanumeric() || "_.-".contains(c));
        if !first_ok || !rest_ok || tag.len() > 128 {
            return Some("a tag is up to 128 letters, digits, `_`, `.` and `-`, not starting with `.` or `-`");
        }
    }
    None
}

/// `[a-z0-9]+` runs joined by one `.`, one `_`, `__`, or any number of `-`.
fn valid_path_component(text: &str) -> bool {
    let bytes = text.as_bytes();
    let alnum = |b: u8| b.is_ascii_lowercase() || b.is_ascii_digit();
    if bytes.is_empty() || !alnum(bytes[0]) || !alnum(bytes[bytes.len() - 1]) {
        return false;
    }
    let mut i = 0;
    while i < bytes.len() {
        if alnum(bytes[i]) {
            i += 1;
            continue;
        }
        let start = i;
        while i < bytes.len() && !alnum(bytes[i]) {
            i += 1;
        }
        let separator = &text[start..i];
        let ok = matches!(separator, "." | "_" | "__") || separator.bytes().all(|b| b == b'-');
        if !ok {
            return false;
        }
    }
    true
}

/// `host[:port]`, the host being DNS labels joined by `.`.
fn valid_domain(text: &str) -> bool {
    let (host, port) = match text.split_once(':') {
        Some((h, p)) => (h, Some(p)),
        None => (text, None),
    };
    let label_ok = |l: &str| {
        !l.is_empty()
            && l.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
            && !l.starts_with('-')
            && !l.ends_with('-')
    };
    !host.is_empty()
        && host.split('.').all(label_ok)
        && port
            .is_none_or(|p| !p.is_empty() && p.len() <= 5 && p.chars().all(|c| c.is_ascii_digit()))
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

#[cfg(test)]
mod tests {
    use super::reference_problem;

    fn ok(reference: &str) -> bool {
        let (name, tag) = match reference.rsplit_once(':') {
            Some((n, t)) if !t.contains('/') => (n, Some(t)),
            _ => (reference, None),
        };
        reference_problem(name, tag).is_none()
    }

    #[test]
    fn reference_grammar() {
        for good in [
            "python:3.12-slim",
            "gcr.io/distroless/static-debian12:nonroot",
            "localhost:5000/team/app:1.0",
            "registry.access.redhat.com/ubi9/ubi-minimal:9.4",
            "my__org/a--b:_x",
            "scratch",
        ] {
            assert!(ok(good), "{good}");
        }
        for bad in [
            "python:a:b-slim",
            "eclipse-temurin::1-jdk",
            "-python:3",
            "--platform=x:1",
            "Python:3",
            "python:.3",
            "python:-3",
            "a/.b:1",
            "a_-b:1",
            "a..b:1",
            "x y:1",
        ] {
            assert!(!ok(bad), "{bad}");
        }
    }
}
