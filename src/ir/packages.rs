//! System package installation and user creation, per package manager:
//! the right flags, pins and cache handling for each.

use super::{Mount, Run};
use crate::model::{Distro, Package, PackageManager, User};

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
                format!("apt-get install -y --no-install-recommends {names}"),
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

/// Creates the runner's user and group, named `app`, with no home and no
/// login shell.
pub fn create_user(distro: Distro, manager: PackageManager, user: User) -> Run {
    let User { uid, gid } = user;
    let commands = if distro == Distro::Alpine || manager == PackageManager::Apk {
        vec![
            format!("addgroup -S -g {gid} app"),
            format!("adduser -S -D -H -h /nonexistent -s /sbin/nologin -u {uid} -G app app"),
        ]
    } else {
        vec![
            format!("groupadd --gid {gid} app"),
            format!("useradd --no-log-init --no-create-home --uid {uid} --gid {gid} --home-dir /nonexistent --shell /usr/sbin/nologin app"),
        ]
    };
    Run {
        commands,
        script: None,
        mounts: Vec::new(),
        lint_ignores: Vec::new(),
        joins_any: true,
        has_pipe: false,
    }
}
