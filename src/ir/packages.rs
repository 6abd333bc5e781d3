//! System package installation and user creation, per package manager:
//! the right flags, pins and cache handling for each.

use super::{Mount, Run};
use crate::model::{Distro, NewUser, Package, PackageManager};

/// One RUN installing `packages` (sorted, deduplicated) with `manager`.
pub fn install(manager: PackageManager, packages: &[Package]) -> Option<Run> {
    if packages.is_empty() || manager == PackageManager::None {
        return None;
    }
    let mut list: Vec<&Package> = packages.iter().collect();
    list.sort_by(|a, b| (&a.name, &a.version).cmp(&(&b.name, &b.version)));
    list.dedup_by(|a, b| a.name == b.name && a.version == b.version);
    let pinned = |p: &&Package| match (&p.version, manager) {
        (None, _) => p.name.clone(),
        (Some(v), PackageManager::Dnf | PackageManager::Microdnf) => format!("{}-{v}", p.name),
        (Some(v), _) => format!("{}={v}", p.name),
    };
    let names = list.iter().map(pinned).collect::<Vec<_>>().join(" ");
    let unpinned = list.iter().any(|p| p.version.is_none());
    let (commands, mounts, pin_rule) = match manager {
        PackageManager::Apt => (
            vec![
                // Keep downloaded packages in the cache mount, not the layer.
                "rm -f /etc/apt/apt.conf.d/docker-clean".to_string(),
                "apt-get update".to_string(),
                // Never a prompt (tzdata asks for a time zone): set for
                // this command only, not left in the image's environment.
                format!("DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends {names}"),
            ],
            vec![
                Mount::Cache {
                    target: "/var/cache/apt".into(),
                    locked: true,
                },
                Mount::Cache {
                    target: "/var/lib/apt/lists".into(),
                    locked: true,
                },
            ],
            "DL3008",
        ),
        PackageManager::Apk => (
            vec![format!("apk add --no-cache {names}")],
            Vec::new(),
            "DL3018",
        ),
        PackageManager::Dnf => (
            vec![
                format!("dnf install -y --setopt=install_weak_deps=False --nodocs {names}"),
                "dnf clean all".to_string(),
            ],
            Vec::new(),
            "DL3041",
        ),
        PackageManager::Microdnf => (
            vec![
                format!("microdnf install -y --setopt=install_weak_deps=0 --nodocs {names}"),
                "microdnf clean all".to_string(),
            ],
            Vec::new(),
            "DL3041",
        ),
        PackageManager::None => return None,
    };
    Some(Run {
        commands,
        script: None,
        mounts,
        lint_ignores: if unpinned { vec![pin_rule] } else { Vec::new() },
        joins_any: false,
        has_pipe: false,
    })
}

/// Creates the runner's user, with no home and no login shell, and its
/// group unless the base already has one with that gid.
pub fn create_user(distro: Distro, manager: PackageManager, user: &NewUser) -> Run {
    let NewUser {
        name,
        uid,
        gid,
        group,
        create_group,
    } = user;
    let mut commands = Vec::new();
    if distro == Distro::Alpine || manager == PackageManager::Apk {
        if *create_group {
            commands.push(format!("addgroup -S -g {gid} {group}"));
        }
        commands.push(format!(
            "adduser -S -D -H -h /nonexistent -s /sbin/nologin -u {uid} -G {group} {name}"
        ));
    } else {
        if *create_group {
            commands.push(format!("groupadd --gid {gid} {group}"));
        }
        commands.push(format!("useradd --no-log-init --no-create-home --uid {uid} --gid {gid} --home-dir /nonexistent --shell /usr/sbin/nologin {name}"));
    }
    housekeeping(commands)
}

/// Creates `paths` (and their parents) owned by `uid:gid`; existing ones
/// change owner.
pub fn writable_dirs(uid: u32, gid: u32, paths: &[String]) -> Run {
    housekeeping(vec![format!(
        "install -d -o {uid} -g {gid} {}",
        paths.join(" ")
    )])
}

/// Hands `paths`, and everything in them, back to `uid:gid` (after a copy
/// replaced them with root's).
pub fn reown_dirs(uid: u32, gid: u32, paths: &[String]) -> Run {
    housekeeping(vec![format!("chown -R {uid}:{gid} {}", paths.join(" "))])
}

/// Compiler-made commands that may join the RUN before them.
fn housekeeping(commands: Vec<String>) -> Run {
    Run {
        commands,
        script: None,
        mounts: Vec::new(),
        lint_ignores: Vec::new(),
        joins_any: true,
        has_pipe: false,
    }
}

/// The stage that provides the init process.
pub const INIT_STAGE: &str = "init";
/// Where the runner finds tini.
pub const INIT_PATH: &str = "/usr/local/bin/tini";
/// Debian's tini package ships a static build, so the one binary runs on
/// every runner: glibc, musl, distroless and scratch alike. Pinned to
/// upstream 0.19.0, whatever the Debian revision of each architecture.
const INIT_BASE: &str = "debian:bookworm-slim";
const INIT_PACKAGE: &str = "tini";
const INIT_VERSION: &str = "0.19.0-1*";
pub const INIT_BINARY: &str = "/usr/bin/tini-static";

/// `FROM debian AS init` with tini installed, pinned.
pub fn init_stage() -> (String, Run) {
    let tini = Package {
        name: INIT_PACKAGE.to_string(),
        version: Some(INIT_VERSION.to_string()),
        span: crate::source::Span::poison(),
    };
    let run = install(PackageManager::Apt, &[tini]).unwrap_or_else(|| housekeeping(Vec::new()));
    (INIT_BASE.to_string(), run)
}
