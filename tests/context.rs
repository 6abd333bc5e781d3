//! The build context, read from disk: manifests written as patterns become
//! the members of a workspace, each copied to its own place, and what a
//! Dockerfile would copy but the context lacks is reported.

mod common;

use std::path::Path;

use common::{codes, compile_file, rendered, workspace};

#[test]
fn workspace_members_are_copied_each_to_its_place() {
    let c = compile_file(Path::new("tests/e2e/npm-workspace/service.imgspec"));
    assert!(!c.diagnostics.has_errors(), "{}", rendered(&c));
    let dockerfile = &c.outputs[0].dockerfile;
    for line in [
        "COPY apps/api/package.json ./apps/api/",
        "COPY packages/greeting/package.json ./packages/greeting/",
    ] {
        assert!(dockerfile.contains(line), "{line}\n{dockerfile}");
    }
    assert!(
        !dockerfile.contains('*'),
        "a pattern was copied:\n{dockerfile}"
    );
    // Only manifests come before the install.
    let install = dockerfile.find("npm ci").expect("install");
    assert!(!dockerfile[..install].contains("/src/"), "{dockerfile}");
    // And the context's allow-list lets each of them in.
    let ignore = &c.outputs[0].dockerignore;
    assert!(ignore.contains("!apps/api/package.json"), "{ignore}");
    assert!(
        ignore.contains("!packages/greeting/package.json"),
        "{ignore}"
    );
}

#[test]
fn a_pattern_that_matches_nothing_is_reported() {
    let spec = "use std.node\nimage api = node.service() {\n  deps    = [node.npm() { manifests += [\"packages/*/package.json\"] }]\n  sources = [\"src/\"]\n  run { cmd = [\"node\", \"src/server.js\"] }\n}\n";
    let dir = workspace(
        "context/no-members",
        &[
            ("app.imgspec", spec),
            ("package.json", "{}\n"),
            ("package-lock.json", "{}\n"),
            ("src/server.js", "\n"),
        ],
    );
    std::fs::create_dir_all(dir.join(".git")).expect("mark the project");
    let c = compile_file(&dir.join("app.imgspec"));
    assert_eq!(codes(&c), ["E0122"], "{}", rendered(&c));
    assert!(
        rendered(&c).contains("`packages/*/package.json` is not in the build context"),
        "{}",
        rendered(&c)
    );
}

#[test]
fn a_missing_lock_file_is_reported_at_the_ecosystem() {
    let spec = "use std.python\nimage api {\n  base    = python.slim()\n  deps    = [python.poetry()]\n  sources = [\"app/\"]\n}\n";
    let dir = workspace(
        "context/no-lock",
        &[
            ("app.imgspec", spec),
            ("pyproject.toml", "[tool.poetry]\n"),
            ("app/main.py", "\n"),
        ],
    );
    std::fs::create_dir_all(dir.join(".git")).expect("mark the project");
    let c = compile_file(&dir.join("app.imgspec"));
    assert_eq!(codes(&c), ["E0122"], "{}", rendered(&c));
    assert!(rendered(&c).contains("`poetry.lock`"), "{}", rendered(&c));
}

/// The check never looks through a symlink, which might lead out of the
/// project: whether a path behind one exists is left to the build, and
/// nothing outside is probed (so no diagnostic can tell what is there).
#[test]
fn paths_behind_a_symlink_are_not_looked_up() {
    let spec = "use std.debian\nimage app {\n  base = debian.bookworm()\n  sources = [\"src/\", \"shared/missing.txt\"]\n  run { cmd = [\"/app/src/run\"] }\n}\n";
    let dir = workspace(
        "context/symlink",
        &[("app.imgspec", spec), ("src/run", "#!/bin/sh\n")],
    );
    std::fs::create_dir_all(dir.join(".git")).expect("mark the project");
    let outside = workspace("context/symlink-outside", &[("present.txt", "x\n")]);
    let _ = std::fs::remove_file(dir.join("shared"));
    std::os::unix::fs::symlink(&outside, dir.join("shared")).expect("symlink");
    let c = compile_file(&dir.join("app.imgspec"));
    assert!(codes(&c).is_empty(), "{}", rendered(&c));
}
