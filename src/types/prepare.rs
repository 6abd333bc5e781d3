//! A runner prepared for its application: its own work directory, the
//! directories the application writes, root setup commands before `USER`,
//! and an init process. These checks make sure each can be carried out and
//! does what it says: a volume the user cannot write, a setup command that
//! installs packages behind the package list, an init with nothing to run.

use super::rules::{absolute, command_text, copy_operand};
use crate::diagnostic::{Code, Diagnostic, Diagnostics};
use crate::ir::{absolute_in, workdir_of};
use crate::model::*;

pub fn check(image: &Image, d: &mut Diagnostics) {
    let runner = &image.runner;
    if let Some(workdir) = &runner.workdir {
        absolute(
            &workdir.value,
            workdir.span,
            "the runner's work directory",
            d,
        );
        copy_operand(
            &workdir.value,
            workdir.span,
            "the runner's work directory",
            d,
        );
    }
    writable(runner, d);
    replaced(image, d);
    volumes(runner, d);
    for command in &runner.setup {
        command_text(&command.value, command.span, &runner.base, d);
        if super::shell::scan(&command.value).package_install {
            d.push(
                Diagnostic::error(Code::PackageInstallInSetup, command.span, "a setup command installs packages")
                    .label("installs behind the package list")
                    .help("list the package in `packages { runtime = [...] }`: it is then checked, pinned where you pin it, installed non-interactively with its cache outside the layer"),
            );
        }
    }
    if let Some(span) = runner.init {
        if runner.cmd.is_none() && runner.entrypoint.is_none() {
            d.push(
                Diagnostic::error(Code::MissingField, span, "`init` needs a command to start")
                    .label("tini would start nothing")
                    .help("set `cmd = [...]` (or `entrypoint`) in the `run` block: the init replaces the base image's own entrypoint"),
            );
        }
    }
}

/// Writable directories are created by a shell command in the runner.
fn writable(runner: &Runner, d: &mut Diagnostics) {
    let shell_less = runner.base.known && runner.base.shell == Shell::None;
    for (i, path) in runner.writable.iter().enumerate() {
        absolute(&path.value, path.span, "a writable directory", d);
        if !plain_path(&path.value) {
            d.push(
                Diagnostic::error(
                    Code::UnsafeString,
                    path.span,
                    "a writable directory is a plain path",
                )
                .label("characters a shell would read")
                .help("use letters, digits and `/._-+@:` only, e.g. \"/app/data\""),
            );
        }
        let trimmed = path.value.trim_end_matches('/');
        if SYSTEM_DIRS.contains(&trimmed) || trimmed.is_empty() {
            d.push(
                Diagnostic::error(
                    Code::InvalidValue,
                    path.span,
                    format!("`{}` is a system directory", path.value),
                )
                .label("giving it to the runtime user would change its owner and mode for everything in the image")
                .help("make a directory of the application's own writable, e.g. \"/var/lib/app\" or \"/var/log/app\""),
            );
        }
        if i == 0 && shell_less {
            d.push(
                Diagnostic::error(
                    Code::ShellForm,
                    path.span,
                    format!(
                        "`{}` has no shell to create writable directories",
                        runner.base.reference.render()
                    ),
                )
                .label("created with a RUN, which needs a shell")
                .secondary(runner.base.span, "shell-less runner base")
                .help("use a runner base with a shell, or let the application write only to volumes mounted at run time"),
            );
        }
    }
}

/// The writable directories are made before anything is copied in: a copy
/// that lands on one of them gives it the owner of the copied files.
fn replaced(image: &Image, d: &mut Diagnostics) {
    let key = |p: &str| p.trim_end_matches('/').to_string();
    // Files from elsewhere are root's too.
    for file in &image.runner.files {
        let Some(path) = image
            .runner
            .writable
            .iter()
            .find(|w| key(&w.value) == key(&file.to))
        else {
            continue;
        };
        d.push(
            Diagnostic::error(
                Code::WritableReplaced,
                path.span,
                format!("`{}` is writable, but a file lands on it", path.value),
            )
            .label("created for the runtime user, then owned by root again")
            .secondary(file.span, "copied here, owned by root")
            .help("give the file a path inside the directory, e.g. its own name after the `/`"),
        );
    }
    for build in image.builds() {
        let workdir = workdir_of(build);
        let landing: Vec<(String, crate::source::Span)> = match &build.artifacts {
            Some(artifacts) => artifacts
                .iter()
                .filter(|a| a.owner == Owner::Root)
                .map(|a| {
                    let to = a.to.clone().unwrap_or_else(|| a.from.clone());
                    (absolute_in(&workdir, &to), a.span)
                })
                .collect(),
            // The work directory arrives whole, with the sources in it.
            None => build
                .sources
                .iter()
                .map(|s| (absolute_in(&workdir, &s.value), s.span))
                .collect(),
        };
        for path in &image.runner.writable {
            let Some((_, span)) = landing.iter().find(|(l, _)| *l == key(&path.value)) else {
                continue;
            };
            d.push(
                Diagnostic::error(
                    Code::WritableReplaced,
                    path.span,
                    format!("`{}` is writable, but a copy lands on it", path.value),
                )
                .label("created for the runtime user, then owned by root again")
                .secondary(*span, "copied here, owned by root")
                .help(if build.artifacts.is_some() {
                    "give that artifact `owner = \"runtime\"`, or make a sub-directory writable instead"
                } else {
                    "list the runner's `artifacts` and give this one `owner = \"runtime\"`, or make a sub-directory writable instead"
                }),
            );
        }
    }
}

/// Directories the whole system shares: `install -d -o` would hand them
/// (and their mode, e.g. /tmp's sticky bit) to the application.
const SYSTEM_DIRS: &[&str] = &[
    "/bin",
    "/boot",
    "/dev",
    "/etc",
    "/home",
    "/lib",
    "/lib64",
    "/opt",
    "/proc",
    "/root",
    "/run",
    "/sbin",
    "/srv",
    "/sys",
    "/tmp",
    "/usr",
    "/usr/local",
    "/var",
    "/var/lib",
    "/var/log",
    "/var/run",
    "/var/tmp",
];

/// A path that reaches the shell as one word, unchanged.
fn plain_path(path: &str) -> bool {
    !path.is_empty()
        && path
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "/._-+@:".contains(c))
}

/// A volume is mounted over its directory: a fresh one copies the
/// directory's owner, so only one the user owns can be written.
fn volumes(runner: &Runner, d: &mut Diagnostics) {
    if runner.user.uid == 0 {
        return;
    }
    let key = |p: &str| p.trim_end_matches('/').to_string();
    for volume in &runner.volumes {
        if runner
            .writable
            .iter()
            .any(|w| key(&w.value) == key(&volume.value))
        {
            continue;
        }
        d.push(
            Diagnostic::error(
                Code::VolumeNotWritable,
                volume.span,
                format!(
                    "the runtime user {} cannot write the volume `{}`",
                    runner.user.uid, volume.value
                ),
            )
            .label("not a writable directory: root would own it")
            .help(format!(
                "add it to writable: `writable = [\"{}\"]` creates it owned by the runtime user",
                volume.value
            )),
        );
    }
}
