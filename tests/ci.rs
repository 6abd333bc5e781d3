//! The features for CI and large repositories: staleness check, repository
//! mode, explain, bake, machine-readable output, frontend versions.

mod common;

use std::path::Path;
use std::process::{Command, Output};

use common::{compile_file, example_specs, instructions, workspace};
use imgspec::explain::rebuilt_from;

fn run(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_imgspec"))
        .args(args)
        .current_dir(dir)
        .output()
        .expect("run imgspec")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// A source file for the specs, so their build context holds it.
const RUN: &str = "#!/bin/sh\n";
const SPEC: &str = "use std.debian\nimage app {\n  base = debian.bookworm()\n  sources = [\"src/\"]\n  run { cmd = [\"/app/src/run\"] }\n}\n";

#[test]
fn check_reports_stale_files_with_a_diff() {
    let dir = workspace("ci/stale", &[("app.imgspec", SPEC), ("src/run", RUN)]);
    let missing = run(&dir, &["compile", "--check", "app.imgspec"]);
    assert_eq!(missing.status.code(), Some(1), "missing files are stale");
    assert_eq!(
        run(&dir, &["compile", "app.imgspec"]).status.code(),
        Some(0)
    );
    let fresh = run(&dir, &["compile", "--check", "app.imgspec"]);
    assert_eq!(fresh.status.code(), Some(0), "{}", text(&fresh.stderr));
    assert!(fresh.stdout.is_empty());

    let dockerfile = dir.join("Dockerfile");
    let edited = std::fs::read_to_string(&dockerfile)
        .expect("read")
        .replace("USER 10001:10001", "USER root");
    std::fs::write(&dockerfile, edited).expect("hand edit");
    let stale = run(&dir, &["compile", "--check", "app.imgspec"]);
    assert_eq!(stale.status.code(), Some(1));
    let diff = text(&stale.stdout);
    assert!(
        diff.contains("--- a/Dockerfile") && diff.contains("+++ b/Dockerfile"),
        "{diff}"
    );
    assert!(
        diff.contains("-USER root") && diff.contains("+USER 10001:10001"),
        "{diff}"
    );
    assert!(text(&stale.stderr).contains("out of date"));
    assert_eq!(
        std::fs::read_to_string(&dockerfile)
            .map(|d| d.contains("USER root"))
            .ok(),
        Some(true),
        "--check writes nothing"
    );
}

#[test]
fn check_works_with_an_output_path() {
    let dir = workspace("ci/stale-o", &[("app.imgspec", SPEC), ("src/run", RUN)]);
    assert_eq!(
        run(&dir, &["compile", "app.imgspec", "-o", "build/Dockerfile"])
            .status
            .code(),
        Some(0)
    );
    assert_eq!(
        run(
            &dir,
            &[
                "compile",
                "--check",
                "app.imgspec",
                "-o",
                "build/Dockerfile"
            ]
        )
        .status
        .code(),
        Some(0)
    );
    std::fs::write(dir.join("build/Dockerfile.dockerignore"), "*\n").expect("edit");
    assert_eq!(
        run(
            &dir,
            &[
                "compile",
                "--check",
                "app.imgspec",
                "-o",
                "build/Dockerfile"
            ]
        )
        .status
        .code(),
        Some(1)
    );
}

#[test]
fn repository_mode_compiles_everything_and_reports_the_worst() {
    let module = "use std.debian\ntemplate svc(dir: path) {\n  base = debian.bookworm()\n  sources = [\"{{ dir }}/\"]\n}\n";
    let dir = workspace(
        "ci/repo",
        &[
            ("platform/templates.imgspec", module),
            (
                "a/a.imgspec",
                "use \"../platform/templates.imgspec\" as t\nimage a = t.svc(dir: \"src\") {}\n",
            ),
            ("b/b.imgspec", SPEC),
            ("b/src/run", RUN),
            ("a/src/run", RUN),
            (
                "broken/c.imgspec",
                "use std.debian\nimage c { base = debian.bookworm() sources = [\".\"] }\n",
            ),
            ("vendor/v.imgspec", "this is not a spec"),
            (".gitignore", "vendor/\n"),
        ],
    );
    let out = run(&dir, &["compile"]);
    assert_eq!(
        out.status.code(),
        Some(1),
        "the broken spec sets the exit code"
    );
    let err = text(&out.stderr);
    assert!(err.contains("E0110"), "{err}");
    assert!(
        !err.contains("E0001"),
        "ignored directories are not compiled: {err}"
    );
    assert!(
        err.contains("warning[W0001]") && err.contains("vendor/v.imgspec"),
        "but the specs in them are named: {err}"
    );
    assert!(
        !err.contains("E0016"),
        "template modules are skipped: {err}"
    );
    assert!(
        dir.join("a/Dockerfile").exists() && dir.join("b/Dockerfile").exists(),
        "good specs are written"
    );
    assert!(
        !dir.join("broken/Dockerfile").exists(),
        "the broken spec writes nothing"
    );
    assert!(!dir.join("platform/Dockerfile").exists());
    assert_eq!(
        run(&dir, &["compile", "--check", "a", "b"]).status.code(),
        Some(0)
    );
}

#[test]
fn explain_names_spec_lines_and_rules() {
    let out = run(
        Path::new("."),
        &["explain", "examples/python-api/api.imgspec"],
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let report = text(&out.stdout);
    assert!(
        report.contains("stage `deps` from python:3.12-slim-bookworm"),
        "{report}"
    );
    assert!(report.contains("stage `build` from deps"), "{report}");
    assert!(
        report.contains("from: examples/python-api/api.imgspec:"),
        "{report}"
    );
    assert!(
        report.contains("why:  manifests and lock files copied alone"),
        "{report}"
    );
    assert!(report.contains("why:  a numeric non-root user"), "{report}");
}

/// Whether `explain --changed` marks the line containing `needle` as
/// "cached" or "rebuilt".
fn marked(spec: &str, changed: &str, needle: &str) -> String {
    let report = text(&run(Path::new("."), &["explain", spec, "--changed", changed]).stdout);
    let line = report.lines().find(|l| l.contains(needle));
    let line = line.unwrap_or_else(|| panic!("no `{needle}` in:\n{report}"));
    line.split_whitespace()
        .next()
        .unwrap_or_default()
        .to_string()
}

#[test]
fn explain_changed_marks_what_a_rebuild_runs() {
    let spec = "examples/python-api/api.imgspec";
    assert_eq!(marked(spec, "src/api/wsgi.py", "apt-get install"), "cached");
    assert_eq!(marked(spec, "src/api/wsgi.py", "pip install"), "cached");
    assert_eq!(marked(spec, "src/api/wsgi.py", "COPY src/"), "rebuilt");
    assert_eq!(
        marked(spec, "requirements.txt", "libc6-dev libpq-dev"),
        "cached"
    );
    assert_eq!(marked(spec, "requirements.txt", "pip install"), "rebuilt");
    // Excluded by the .dockerignore: not in the context at all.
    assert_eq!(
        marked(spec, "src/api/__pycache__/x.pyc", "COPY src/"),
        "cached"
    );
}

/// `explain` works on the IR; the emitter writes the same instructions in
/// the same order. And for every example, a source edit never reaches a
/// dependency install, and a manifest edit never reaches system packages.
#[test]
fn explain_agrees_with_the_emitted_order() {
    for spec in example_specs() {
        for output in compile_file(&spec).outputs {
            let emitted: Vec<String> = instructions(&output.dockerfile)
                .into_iter()
                .map(|(k, _)| k)
                .filter(|k| k != "FROM")
                .collect();
            let from_ir: Vec<String> = output
                .ir
                .stages
                .iter()
                .flat_map(|s| s.lines.iter())
                .map(|l| imgspec::emit::one_line_instruction(&l.instruction, &output.ir.stages[0]))
                .map(|t| t.split(' ').next().unwrap_or_default().to_string())
                .collect();
            assert_eq!(emitted, from_ir, "{}", output.image);

            let sources: Vec<String> = output
                .ir
                .stages
                .iter()
                .flat_map(|s| s.lines.iter())
                .filter_map(|l| match &l.instruction {
                    imgspec::ir::Instruction::Copy(c) if c.from.is_none() => {
                        Some(c.sources.clone())
                    }
                    _ => None,
                })
                .flatten()
                .collect();
            let Some(last_source) = sources.last() else {
                continue;
            };
            let edited = if last_source.ends_with('/') {
                format!("{last_source}edited.txt")
            } else {
                last_source.clone()
            };
            let rebuilt = rebuilt_from(&output, std::slice::from_ref(&edited));
            assert!(
                rebuilt.iter().any(Option::is_some),
                "{}: editing {edited} rebuilds nothing",
                output.image
            );
            for (stage, first) in output.ir.stages.iter().zip(&rebuilt) {
                let Some(first) = first else { continue };
                for line in &stage.lines[*first..] {
                    assert!(
                        !line.why.contains(&imgspec::ir::Reason::Install)
                            && !line.why.contains(&imgspec::ir::Reason::BuildPackages),
                        "{}: editing {edited} re-runs {:?}",
                        output.image,
                        line.instruction
                    );
                }
            }
        }
    }
}

#[test]
fn bake_file_has_a_target_per_image() {
    let spec = "use std.debian\nimage api {\n  base = debian.bookworm()\n  sources = [\"src/\"]\n  publish {\n    tags = [\"registry.example.com/api:1.0.0\"]\n    platforms = [\"linux/amd64\", \"linux/arm64\"]\n    cache = \"registry.example.com/cache/api\"\n  }\n}\nimage worker {\n  base = debian.bookworm()\n  sources = [\"worker/\"]\n}\n";
    let dir = workspace(
        "ci/bake",
        &[
            ("svc/app.imgspec", spec),
            ("svc/src/run", RUN),
            ("svc/worker/run", RUN),
        ],
    );
    let out = run(&dir, &["bake", "-o", "-"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let bake: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    assert_eq!(
        bake["group"]["default"]["targets"],
        serde_json::json!(["api", "worker"])
    );
    let api = &bake["target"]["api"];
    assert_eq!(api["context"], "svc");
    assert_eq!(api["dockerfile"], "api.Dockerfile");
    assert_eq!(
        api["platforms"],
        serde_json::json!(["linux/amd64", "linux/arm64"])
    );
    assert_eq!(
        api["cache-from"][0],
        "type=registry,ref=registry.example.com/cache/api"
    );
    assert_eq!(
        api["cache-to"][0],
        "type=registry,ref=registry.example.com/cache/api,mode=max"
    );
    assert!(bake["target"]["worker"].get("tags").is_none());
}

#[test]
fn machine_readable_outputs() {
    let ir = run(
        Path::new("."),
        &[
            "compile",
            "examples/go-scratch/server.imgspec",
            "--emit",
            "ir-json",
        ],
    );
    assert_eq!(ir.status.code(), Some(0), "{}", text(&ir.stderr));
    let ir: serde_json::Value = serde_json::from_slice(&ir.stdout).expect("IR JSON");
    let stages = ir[0]["stages"].as_array().expect("stages");
    let names: Vec<&str> = stages.iter().filter_map(|s| s["name"].as_str()).collect();
    assert_eq!(names, ["deps", "build", "runtime"]);

    let sarif = run(
        Path::new("."),
        &[
            "check",
            "--message-format",
            "sarif",
            "tests/fixtures/diagnostics/E0104-foreign-package.imgspec",
        ],
    );
    assert_eq!(sarif.status.code(), Some(1));
    let log: serde_json::Value = serde_json::from_slice(&sarif.stderr).expect("SARIF JSON");
    assert_eq!(log["version"], "2.1.0");
    let results = log["runs"][0]["results"].as_array().expect("results");
    assert_eq!(results.len(), 2);
    assert_eq!(results[0]["ruleId"], "E0104");
    assert_eq!(
        results[0]["locations"][0]["physicalLocation"]["region"]["startLine"],
        7
    );

    let completions = run(Path::new("."), &["completions", "bash"]);
    assert!(text(&completions.stdout).contains("imgspec"));
}

#[test]
fn frontend_version_from_the_spec_or_the_command_line() {
    let spec = "use std.debian\nimage app {\n  syntax = \"1.3\"\n  base = debian.bookworm()\n  sources = [\"src/\"]\n  build = [\"make\", \"for f in a b; do\\n  echo $f\\ndone\"]\n}\n";
    let dir = workspace("ci/frontend", &[("app.imgspec", spec), ("src/run", RUN)]);
    let old = text(&run(&dir, &["compile", "app.imgspec", "-o", "-"]).stdout);
    assert!(old.starts_with("# syntax=docker/dockerfile:1.3\n"), "{old}");
    assert!(!old.contains("<<") && !old.contains("--link"), "{old}");
    assert!(
        old.contains(r#"RUN ["/bin/bash", "-ec", "make\nfor f in a b; do\n  echo $f\ndone"]"#),
        "{old}"
    );
    let new = text(
        &run(
            &dir,
            &["compile", "app.imgspec", "-o", "-", "--syntax", "1.7"],
        )
        .stdout,
    );
    assert!(
        new.starts_with("# syntax=docker/dockerfile:1.7\n") && new.contains("RUN <<'EOT'"),
        "{new}"
    );
}

#[test]
fn images_can_say_where_their_dockerfile_goes() {
    let spec = "use std.debian\nimage api {\n  base = debian.bookworm()\n  sources = [\"src/\"]\n  output = \"deploy/api/Dockerfile\"\n}\nimage worker {\n  base = debian.bookworm()\n  sources = [\"worker/\"]\n}\n";
    let dir = workspace(
        "ci/output-field",
        &[("app.imgspec", spec), ("src/run", RUN), ("worker/run", RUN)],
    );
    let out = run(&dir, &["compile", "app.imgspec"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(
        dir.join("deploy/api/Dockerfile").exists()
            && dir.join("deploy/api/Dockerfile.dockerignore").exists()
    );
    assert!(dir.join("worker.Dockerfile").exists());
    assert_eq!(
        run(&dir, &["compile", "--check", "app.imgspec"])
            .status
            .code(),
        Some(0)
    );

    let clash = spec.replace(
        "image worker {",
        "image worker {\n  output = \"deploy/api/Dockerfile\"",
    );
    let dir = workspace(
        "ci/output-clash",
        &[
            ("app.imgspec", &clash),
            ("src/run", RUN),
            ("worker/run", RUN),
        ],
    );
    let out = run(&dir, &["compile", "app.imgspec"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("two images"),
        "{}",
        text(&out.stderr)
    );

    let outside = spec.replace("deploy/api/Dockerfile", "../elsewhere/Dockerfile");
    let dir = workspace(
        "ci/output-outside",
        &[
            ("app.imgspec", &outside),
            ("src/run", RUN),
            ("worker/run", RUN),
        ],
    );
    assert_eq!(
        run(&dir, &["compile", "app.imgspec"]).status.code(),
        Some(1),
        "E0111"
    );
}

#[test]
fn two_specs_may_not_write_one_file() {
    let dir = workspace(
        "ci/clash",
        &[
            ("a.imgspec", SPEC),
            ("src/run", RUN),
            ("b.imgspec", SPEC),
            ("src/run", RUN),
        ],
    );
    let out = run(&dir, &["compile"]);
    assert_eq!(out.status.code(), Some(2));
    let err = text(&out.stderr);
    assert!(
        err.contains("would both write") && err.contains("output ="),
        "{err}"
    );
}
