//! Reading and writing files when the specs come from someone else's pull
//! request: every read and write stays inside the project, only regular
//! files are opened, nothing that is not a spec reaches a diagnostic, and
//! no input is ever overwritten. Devices and FIFOs are made in temporary
//! directories; every command runs under a timeout, so a regression that
//! blocks fails instead of hanging.

#![cfg(unix)]

mod common;

use std::ffi::CString;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

const SPEC: &str = "use std.debian\nimage app {\n  base = debian.bookworm()\n  sources = [\"src/\"]\n  run { cmd = [\"/app/src/run\"] }\n}\n";
/// A source file for SPEC, so its build context holds it.
const RUN: &str = "#!/bin/sh\n";
const SECRET: &str = "TOKEN=never-print-this-secret";

/// A fresh project (a `.git` marks its root) holding `files`, and a
/// directory beside it that is outside the project.
fn project(name: &str, files: &[(&str, &str)]) -> (PathBuf, PathBuf) {
    let dir = common::workspace(&format!("fs/{name}/project"), files);
    std::fs::create_dir_all(dir.join(".git")).expect("mark the root");
    let outside = common::workspace(&format!("fs/{name}/outside"), &[]);
    (dir, outside)
}

/// Runs imgspec in `dir`, killing it after ten seconds.
fn run(dir: &Path, args: &[&str]) -> Output {
    let child = Command::new(env!("CARGO_BIN_EXE_imgspec"))
        .args(args)
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run imgspec");
    wait(child, args)
}

fn wait(mut child: std::process::Child, args: &[&str]) -> Output {
    let deadline = Instant::now() + Duration::from_secs(10);
    while child.try_wait().expect("poll").is_none() {
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("imgspec {args:?} did not finish within 10 s");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    child.wait_with_output().expect("collect output")
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn c_path(path: &Path) -> CString {
    CString::new(path.as_os_str().as_encoded_bytes()).expect("no NUL in path")
}

fn mkfifo(path: &Path) {
    let status = unsafe { libc::mkfifo(c_path(path).as_ptr(), 0o644) };
    assert_eq!(status, 0, "mkfifo {}", path.display());
}

/// A character device like the system's `/dev/zero` (endless zeros), or
/// `false` with a note when this machine does not allow making one.
fn mkdev_zero(path: &Path) -> bool {
    let dev = libc::makedev(1, 5);
    let status = unsafe { libc::mknod(c_path(path).as_ptr(), libc::S_IFCHR | 0o666, dev) };
    if status != 0 {
        eprintln!(
            "note: skipped: mknod is not permitted here ({})",
            std::io::Error::last_os_error()
        );
        return false;
    }
    true
}

fn is_char_device(path: &Path) -> bool {
    use std::os::unix::fs::FileTypeExt;
    std::fs::symlink_metadata(path).is_ok_and(|m| m.file_type().is_char_device())
}

fn symlink(target: &Path, link: &Path) {
    std::os::unix::fs::symlink(target, link).expect("symlink");
}

fn with_use(path: &str) -> String {
    format!("use \"{path}\" as lib\n{SPEC}")
}

/// The names in `dir`, sorted, without the `.git` marker.
fn names(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .expect("list")
        .filter_map(Result::ok)
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n != ".git")
        .collect();
    names.sort();
    names
}

// 1. Reading stays inside the project.

#[test]
fn an_import_outside_the_project_is_refused_unread() {
    let (dir, outside) = project("read-outside", &[]);
    std::fs::write(outside.join("company.imgspec"), format!("{SECRET}\n")).expect("write");
    let spec = with_use(&format!("{}/company.imgspec", outside.display()));
    std::fs::write(dir.join("app.imgspec"), &spec).expect("write");
    std::fs::write(
        dir.join("rel.imgspec"),
        with_use("../outside/company.imgspec"),
    )
    .expect("w");
    for file in ["app.imgspec", "rel.imgspec"] {
        for format in ["human", "json", "sarif"] {
            let o = run(&dir, &["check", "--message-format", format, file]);
            assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
            assert!(stderr(&o).contains("E0017"), "{}", stderr(&o));
            assert!(!stderr(&o).contains(SECRET), "{}", stderr(&o));
        }
    }
}

#[test]
fn a_file_that_is_not_a_spec_is_never_read() {
    let (dir, outside) = project("read-not-spec", &[(".env", SECRET)]);
    std::fs::write(outside.join("environ"), SECRET).expect("write");
    let cases = [
        // The CI job's environment, the classic.
        "/proc/self/environ".to_string(),
        format!("{}/environ", outside.display()),
        ".env".to_string(),
    ];
    for target in &cases {
        std::fs::write(dir.join("app.imgspec"), with_use(target)).expect("write");
        let o = run(&dir, &["check", "app.imgspec"]);
        assert_eq!(o.status.code(), Some(1), "{target}: {}", stderr(&o));
        let err = stderr(&o);
        assert!(err.contains("E0018") || err.contains("E0017"), "{err}");
        assert!(!err.contains(SECRET) && !err.contains("PATH="), "{err}");
    }
    // Named on the command line, too.
    let o = run(&dir, &["check", ".env"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("E0018") && !stderr(&o).contains(SECRET));
}

#[test]
fn symlinks_are_resolved_before_the_check() {
    let (dir, outside) = project("read-symlink", &[(".env", SECRET), ("src/run", RUN)]);
    std::fs::write(outside.join("company.imgspec"), SECRET).expect("write");
    symlink(&outside.join("company.imgspec"), &dir.join("out.imgspec"));
    symlink(Path::new(".env"), &dir.join("env.imgspec"));
    symlink(&outside, &dir.join("shared"));
    for (target, code) in [
        ("out.imgspec", "E0017"),
        ("env.imgspec", "E0018"),
        ("shared/company.imgspec", "E0017"),
    ] {
        std::fs::write(dir.join("app.imgspec"), with_use(target)).expect("write");
        let o = run(&dir, &["check", "app.imgspec"]);
        assert_eq!(o.status.code(), Some(1), "{target}: {}", stderr(&o));
        assert!(stderr(&o).contains(code), "{target}: {}", stderr(&o));
        assert!(!stderr(&o).contains(SECRET), "{}", stderr(&o));
    }
    // A symlink to a spec inside the project is fine.
    std::fs::write(dir.join("lib-real.imgspec"), "use std.debian\n").expect("write");
    symlink(Path::new("lib-real.imgspec"), &dir.join("lib.imgspec"));
    std::fs::write(dir.join("app.imgspec"), with_use("lib.imgspec")).expect("write");
    let o = run(&dir, &["check", "app.imgspec"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
}

#[test]
fn fifos_and_directories_are_refused_at_once() {
    let (dir, _) = project("read-fifo", &[("app.imgspec", &with_use("pipe.imgspec"))]);
    mkfifo(&dir.join("pipe.imgspec"));
    std::fs::create_dir_all(dir.join("dir.imgspec")).expect("mkdir");
    let o = run(&dir, &["check", "app.imgspec"]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("E0019") && stderr(&o).contains("FIFO"),
        "{}",
        stderr(&o)
    );
    for root in ["pipe.imgspec", "dir.imgspec/"] {
        let o = run(&dir, &["check", "--message-format", "json", root]);
        assert_ne!(o.status.code(), Some(0), "{root}");
        let lines: Vec<serde_json::Value> = stderr(&o)
            .lines()
            .map(|l| serde_json::from_str(l).expect("JSON line"))
            .collect();
        assert!(!lines.is_empty(), "{root}: nothing reported");
    }
    let o = run(&dir, &["check", "pipe.imgspec"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("E0019"), "{}", stderr(&o));
}

#[test]
fn devices_are_refused_at_once() {
    let (dir, _) = project("read-device", &[("app.imgspec", &with_use("zero.imgspec"))]);
    if !mkdev_zero(&dir.join("zero.imgspec")) {
        return;
    }
    let o = run(&dir, &["check", "app.imgspec"]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("E0019") && stderr(&o).contains("device"),
        "{}",
        stderr(&o)
    );
    let o = run(&dir, &["check", "zero.imgspec"]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).contains("E0019"), "{}", stderr(&o));
}

#[test]
fn specs_have_a_size_limit() {
    let (dir, _) = project("read-large", &[]);
    let big = std::fs::File::create(dir.join("big.imgspec")).expect("create");
    big.set_len(1024 * 1024 + 1).expect("grow");
    let o = run(&dir, &["check", "big.imgspec"]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).contains("E0020"), "{}", stderr(&o));
    // Exactly the limit is read (and is not a valid spec, being zeros).
    big.set_len(1024 * 1024).expect("shrink");
    let o = run(&dir, &["check", "big.imgspec"]);
    assert!(!stderr(&o).contains("E0020"), "{}", stderr(&o));
}

#[test]
fn the_root_is_the_repository_or_the_given_directory() {
    let module =
        "use std.debian\ntemplate svc() {\n  base = debian.bookworm()\n  sources = [\"src/\"]\n}\n";
    let app = "use \"../platform/t.imgspec\" as t\nimage app = t.svc() {}\n";
    let (dir, _) = project(
        "root",
        &[
            ("platform/t.imgspec", module),
            ("svc/app.imgspec", app),
            ("svc/src/run", RUN),
        ],
    );
    // Inside the repository: the import is read.
    let o = run(&dir.join("svc"), &["check", "app.imgspec"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    // A narrower --root excludes it.
    let o = run(&dir, &["--root", "svc", "check", "svc/app.imgspec"]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert!(stderr(&o).contains("E0017"), "{}", stderr(&o));
    // `--root .` makes the current directory the project.
    let o = run(&dir.join("svc"), &["--root", ".", "check", "app.imgspec"]);
    assert!(stderr(&o).contains("E0017"), "{}", stderr(&o));

    // Outside any repository, the current directory is the project.
    let plain = std::env::temp_dir().join(format!("imgspec-fs-root-{}", std::process::id()));
    if plain.ancestors().any(|a| a.join(".git").exists()) {
        eprintln!("note: skipped: the temporary directory is inside a repository");
        return;
    }
    for (path, text) in [
        ("platform/t.imgspec", module),
        ("svc/app.imgspec", app),
        ("svc/src/run", RUN),
    ] {
        std::fs::create_dir_all(plain.join(path).parent().expect("parent")).expect("mkdir");
        std::fs::write(plain.join(path), text).expect("write");
    }
    let from_top = run(&plain, &["check", "svc/app.imgspec"]);
    let from_svc = run(&plain.join("svc"), &["check", "app.imgspec"]);
    let _ = std::fs::remove_dir_all(&plain);
    assert_eq!(from_top.status.code(), Some(0), "{}", stderr(&from_top));
    assert!(stderr(&from_svc).contains("E0017"), "{}", stderr(&from_svc));
}

// 2. Writing stays inside the project and never destroys input.

#[test]
fn output_onto_a_device_is_refused_and_the_device_kept() {
    let (dir, _) = project("write-device", &[("app.imgspec", SPEC), ("src/run", RUN)]);
    let dev = dir.join("zero");
    if !mkdev_zero(&dev) {
        return;
    }
    for extra in [&[][..], &["--check"][..]] {
        let mut args = vec!["compile", "app.imgspec", "-o", "zero"];
        args.extend_from_slice(extra);
        let o = run(&dir, &args);
        assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
        assert!(stderr(&o).contains("E0019"), "{}", stderr(&o));
        assert!(is_char_device(&dev), "the device node was replaced");
    }
    assert_eq!(names(&dir), ["app.imgspec", "src", "zero"]);
}

#[test]
fn output_onto_a_fifo_is_refused_at_once() {
    let (dir, _) = project("write-fifo", &[("app.imgspec", SPEC), ("src/run", RUN)]);
    mkfifo(&dir.join("pipe"));
    mkfifo(&dir.join("Dockerfile.dockerignore"));
    for args in [
        &["compile", "app.imgspec", "-o", "pipe"][..],
        &["compile", "--check", "app.imgspec", "-o", "pipe"][..],
        &["compile", "app.imgspec"][..],
        &["bake", "-o", "pipe"][..],
    ] {
        let o = run(&dir, args);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {}", stderr(&o));
        assert!(stderr(&o).contains("E0019"), "{args:?}: {}", stderr(&o));
    }
    // The Dockerfile of the pair was not written either.
    assert!(!dir.join("Dockerfile").exists());
}

#[test]
fn output_through_a_symlinked_directory_stays_inside() {
    let field = SPEC.replace("image app {", "image app {\n  output = \"d/Dockerfile\"");
    let (dir, outside) = project(
        "write-symlink",
        &[("app.imgspec", &field), ("src/run", RUN)],
    );
    symlink(&outside, &dir.join("d"));
    let o = run(&dir, &["compile", "app.imgspec"]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert!(stderr(&o).contains("E0017"), "{}", stderr(&o));
    assert!(
        names(&outside).is_empty(),
        "written outside: {:?}",
        names(&outside)
    );
    // `-o` through the link, and onto a link that leads out.
    std::fs::write(outside.join("Dockerfile"), "theirs\n").expect("write");
    symlink(&outside.join("Dockerfile"), &dir.join("Dockerfile"));
    for args in [
        &["compile", "app.imgspec", "-o", "d/Dockerfile"][..],
        &["compile", "app.imgspec", "-o", "Dockerfile"][..],
    ] {
        let o = run(&dir, args);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {}", stderr(&o));
        assert!(stderr(&o).contains("E0017"), "{args:?}: {}", stderr(&o));
    }
    assert_eq!(names(&outside), ["Dockerfile"], "written outside");
    assert_eq!(
        std::fs::read_to_string(outside.join("Dockerfile")).expect("read"),
        "theirs\n"
    );
}

#[test]
fn a_symlink_inside_the_project_is_written_through() {
    let (dir, _) = project(
        "write-link-inside",
        &[("app.imgspec", SPEC), ("src/run", RUN)],
    );
    std::fs::create_dir_all(dir.join("build")).expect("mkdir");
    std::fs::write(dir.join("build/Dockerfile"), "old\n").expect("write");
    symlink(Path::new("build/Dockerfile"), &dir.join("Dockerfile"));
    let o = run(&dir, &["compile", "app.imgspec"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let target = std::fs::read_to_string(dir.join("build/Dockerfile")).expect("read");
    assert!(target.contains("FROM "), "{target}");
    assert!(std::fs::symlink_metadata(dir.join("Dockerfile")).is_ok_and(|m| m.is_symlink()));
    // A dangling link leads nowhere known: refused.
    let (dir, _) = project(
        "write-link-dangling",
        &[("app.imgspec", SPEC), ("src/run", RUN)],
    );
    symlink(Path::new("nowhere/Dockerfile"), &dir.join("Dockerfile"));
    let o = run(&dir, &["compile", "app.imgspec"]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).contains("E0019"), "{}", stderr(&o));
}

#[test]
fn outputs_never_overwrite_a_spec_or_an_input() {
    let python = "use std.python\nimage api = python.service(version: \"3.12\") {\n  sources = [\"src/\"]\n}\n";
    let (dir, _) = project(
        "write-inputs",
        &[
            ("app.imgspec", python),
            ("requirements.txt", "flask\n"),
            ("src/app.py", "print()\n"),
        ],
    );
    for (args, code) in [
        (&["compile", "app.imgspec", "-o", "app.imgspec"][..], 2),
        (&["compile", "app.imgspec", "-o", "requirements.txt"][..], 2),
        (&["compile", "app.imgspec", "-o", "src/app.py"][..], 2),
        (&["compile", "app.imgspec", "-o", "src/"][..], 2),
        (
            &[
                "compile",
                "--check",
                "app.imgspec",
                "-o",
                "requirements.txt",
            ][..],
            2,
        ),
    ] {
        let o = run(&dir, args);
        assert_eq!(o.status.code(), Some(code), "{args:?}: {}", stderr(&o));
        assert!(stderr(&o).contains("E0022"), "{args:?}: {}", stderr(&o));
        assert!(stdout(&o).is_empty(), "{args:?}: no diff of an input");
    }
    for field in ["requirements.txt", "src/Dockerfile", "other.imgspec"] {
        let spec = python.replace("sources", &format!("output = \"{field}\"\n  sources"));
        std::fs::write(dir.join("app.imgspec"), &spec).expect("write");
        let o = run(&dir, &["compile", "app.imgspec"]);
        assert_eq!(o.status.code(), Some(1), "{field}: {}", stderr(&o));
        assert!(stderr(&o).contains("E0022"), "{field}: {}", stderr(&o));
        assert!(
            stderr(&o).contains("output = "),
            "the field is shown: {}",
            stderr(&o)
        );
    }
    assert_eq!(
        std::fs::read_to_string(dir.join("requirements.txt")).expect("kept"),
        "flask\n"
    );
    assert_eq!(names(&dir.join("src")), ["app.py"]);
    assert_eq!(names(&dir), ["app.imgspec", "requirements.txt", "src"]);
}

#[test]
fn check_never_diffs_a_file_outside_the_project() {
    let (dir, outside) = project("check-outside", &[("app.imgspec", SPEC), ("src/run", RUN)]);
    std::fs::write(outside.join("Dockerfile"), format!("{SECRET}\n")).expect("write");
    symlink(&outside, &dir.join("d"));
    let outside_o = format!("{}/Dockerfile", outside.display());
    for args in [
        &[
            "compile",
            "--check",
            "app.imgspec",
            "-o",
            "../outside/Dockerfile",
        ][..],
        &["compile", "--check", "app.imgspec", "-o", "d/Dockerfile"][..],
        &["compile", "--check", "app.imgspec", "-o", &outside_o][..],
    ] {
        let o = run(&dir, args);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {}", stderr(&o));
        assert!(stderr(&o).contains("E0017"), "{}", stderr(&o));
        assert!(!stdout(&o).contains(SECRET) && !stderr(&o).contains(SECRET));
    }
}

#[test]
fn a_pair_is_written_all_or_nothing() {
    // Refused before writing: the ignore file's place is a directory.
    let (dir, _) = project(
        "write-pair",
        &[
            ("app.imgspec", SPEC),
            ("src/run", RUN),
            ("Dockerfile", "previous\n"),
        ],
    );
    std::fs::create_dir_all(dir.join("Dockerfile.dockerignore/x")).expect("mkdir");
    let o = run(&dir, &["compile", "app.imgspec"]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).contains("E0019"), "{}", stderr(&o));
    assert_eq!(
        std::fs::read_to_string(dir.join("Dockerfile")).expect("kept"),
        "previous\n"
    );

    // Failing at the last rename: the first file gets its contents back.
    let resolved = |path: &Path, contents: &str| imgspec::output::Resolved {
        path: path.to_path_buf(),
        output: 0,
        real: path.to_path_buf(),
        contents: contents.to_string(),
    };
    let files = [
        resolved(&dir.join("Dockerfile"), "new\n"),
        resolved(&dir.join("Dockerfile.dockerignore"), "*\n"),
    ];
    assert!(imgspec::output::write_all(&files).is_err());
    assert_eq!(
        std::fs::read_to_string(dir.join("Dockerfile")).expect("restored"),
        "previous\n"
    );
    assert_eq!(
        names(&dir),
        [
            "Dockerfile",
            "Dockerfile.dockerignore",
            "app.imgspec",
            "src"
        ]
    );

    // And a new file is removed again.
    std::fs::remove_file(dir.join("Dockerfile")).expect("remove");
    assert!(imgspec::output::write_all(&files).is_err());
    assert_eq!(
        names(&dir),
        ["Dockerfile.dockerignore", "app.imgspec", "src"]
    );
}

// 6. Repository mode finds every spec, or says why not.

#[test]
fn repository_mode_searches_hidden_directories() {
    let (dir, _) = project(
        "repo-hidden",
        &[
            (".github/images/app.imgspec", SPEC),
            (".github/images/src/run", RUN),
        ],
    );
    let o = run(&dir, &["compile"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(dir.join(".github/images/Dockerfile").exists());
    let o = run(&dir, &["compile", "--check"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    std::fs::write(dir.join(".github/images/Dockerfile"), "stale\n").expect("edit");
    let o = run(&dir, &["compile", "--check"]);
    assert_eq!(o.status.code(), Some(1), "a hidden spec is checked too");
}

#[test]
fn skipped_specs_are_named_and_fail_the_check() {
    let (dir, outside) = project(
        "repo-skipped",
        &[
            ("app.imgspec", SPEC),
            ("src/run", RUN),
            ("vendor/lib.imgspec", SPEC),
            (".gitignore", "vendor/\n"),
        ],
    );
    std::fs::write(outside.join("x.imgspec"), SECRET).expect("write");
    symlink(&outside.join("x.imgspec"), &dir.join("linked.imgspec"));
    assert_eq!(
        run(&dir, &["compile", "app.imgspec"]).status.code(),
        Some(0)
    );
    let o = run(&dir, &["compile"]);
    assert_eq!(
        o.status.code(),
        Some(0),
        "skipping is a warning: {}",
        stderr(&o)
    );
    let err = stderr(&o);
    assert!(
        err.contains("warning[W0001]") && err.contains("vendor/lib.imgspec"),
        "{err}"
    );
    assert!(
        err.contains("linked.imgspec") && err.contains("symbolic link"),
        "{err}"
    );
    assert!(!err.contains(SECRET));
    assert!(!dir.join("vendor/Dockerfile").exists());
    let o = run(&dir, &["compile", "--check"]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert!(stderr(&o).contains("error[E0023]"), "{}", stderr(&o));
    // Named, it is checked.
    let o = run(&dir, &["compile", "--check", "app.imgspec"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
}

#[test]
fn a_fifo_among_the_specs_does_not_block_the_search() {
    let (dir, _) = project("repo-fifo", &[("app.imgspec", SPEC), ("src/run", RUN)]);
    mkfifo(&dir.join("pipe.imgspec"));
    let o = run(&dir, &["check"]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).contains("E0019"), "{}", stderr(&o));
}

// 7. Machine-readable modes stay machine-readable.

#[test]
fn json_and_sarif_hold_nothing_but_diagnostics() {
    let (dir, _) = project("machine", &[("app.imgspec", SPEC), ("src/run", RUN)]);
    std::fs::write(dir.join("Dockerfile"), "stale\n").expect("write");
    mkfifo(&dir.join("pipe.imgspec"));
    for args in [
        &["compile", "--check", "app.imgspec"][..],
        &["check", "missing.imgspec"][..],
        &["check", "pipe.imgspec", "app.imgspec"][..],
        &["compile", "app.imgspec", "-o", "app.imgspec"][..],
        &["compile", "app.imgspec", "--image", "nope"][..],
    ] {
        let mut json_args = args.to_vec();
        json_args.splice(1..1, ["--message-format", "json"]);
        let o = run(&dir, &json_args);
        assert_ne!(o.status.code(), Some(0), "{args:?}");
        for line in stderr(&o).lines() {
            let value: serde_json::Value = serde_json::from_str(line)
                .unwrap_or_else(|e| panic!("{args:?}: not JSON ({e}): {line}"));
            assert!(
                value["code"].is_string() && value["help"].is_string(),
                "{line}"
            );
        }
        let mut sarif_args = args.to_vec();
        sarif_args.splice(1..1, ["--message-format", "sarif"]);
        let o = run(&dir, &sarif_args);
        let log: serde_json::Value = serde_json::from_slice(&o.stderr)
            .unwrap_or_else(|e| panic!("{args:?}: not one JSON document ({e}): {}", stderr(&o)));
        let results = log["runs"][0]["results"].as_array().expect("results");
        assert!(!results.is_empty(), "{args:?}: no results");
    }
    // Writing in a machine-readable mode prints no progress lines.
    std::fs::remove_file(dir.join("Dockerfile")).expect("remove");
    let o = run(
        &dir,
        &["compile", "--message-format", "json", "app.imgspec"],
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(o.stderr.is_empty(), "{}", stderr(&o));
}

/// Runs imgspec with a standard output whose reading end is closed.
#[cfg(target_os = "linux")]
fn run_with_closed_stdout(dir: &Path, args: &[&str]) -> Output {
    let mut fds = [0; 2];
    // Close-on-exec, or a child spawned meanwhile by another test would
    // inherit the reading end and keep the pipe open.
    let made = unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC) };
    assert_eq!(made, 0, "pipe");
    unsafe { libc::close(fds[0]) };
    // SAFETY: `fds[1]` is a fresh descriptor owned by nothing else.
    let write_end = unsafe { <std::fs::File as std::os::fd::FromRawFd>::from_raw_fd(fds[1]) };
    let child = Command::new(env!("CARGO_BIN_EXE_imgspec"))
        .args(args)
        .current_dir(dir)
        .stdin(Stdio::null())
        .stdout(Stdio::from(write_end))
        .stderr(Stdio::piped())
        .spawn()
        .expect("run imgspec");
    wait(child, args)
}

#[test]
#[cfg(target_os = "linux")]
fn a_closed_stdout_is_an_error_not_a_panic() {
    let (dir, _) = project("closed-stdout", &[("app.imgspec", SPEC), ("src/run", RUN)]);
    for args in [
        &["completions", "bash"][..],
        &["compile", "app.imgspec", "-o", "-"][..],
        &[
            "compile",
            "--message-format",
            "json",
            "app.imgspec",
            "-o",
            "-",
        ][..],
        &["explain", "app.imgspec"][..],
    ] {
        let o = run_with_closed_stdout(&dir, args);
        let err = stderr(&o);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {err}");
        assert!(!err.contains("panicked"), "{args:?}: {err}");
        assert!(err.contains("standard output"), "{args:?}: {err}");
    }
    let o = run_with_closed_stdout(
        &dir,
        &[
            "compile",
            "--message-format",
            "json",
            "app.imgspec",
            "-o",
            "-",
        ],
    );
    for line in stderr(&o).lines() {
        serde_json::from_str::<serde_json::Value>(line).expect("JSON");
    }
}
