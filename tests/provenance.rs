//! Provenance: the OCI labels a `publish` block gives the runner from build
//! arguments, the bake variables CI fills them from, the reproducible
//! timestamp, and the attestations bake requests.

mod common;

use std::path::Path;
use std::process::Command;

use common::{compile_with, rendered, stages, workspace};
use imgspec::loader::MemoryLoader;

/// An image with a dependency stage, an argument its version names, and
/// every provenance field.
const SPEC: &str = r#"use std.python

image api = python.service(version: "3.12") {
  sources = ["src/"]
  build   = ["python -m compileall -q src"]
  args    = { VERSION = "1.4.2" }
  publish {
    tags    = ["registry.example.com/team/api:1.4.2"]
    source  = "https://github.com/example/api"
    version = "$VERSION"
    attest  = ["sbom", "provenance"]
  }
  run {
    cmd    = ["gunicorn", "--chdir", "src", "api.wsgi:app"]
    labels = { "org.opencontainers.image.title" = "api" }
  }
}
"#;

fn compile(text: &str) -> imgspec::compile::Compilation {
    let loader = MemoryLoader::new().with("api.imgspec", text);
    compile_with(&loader, Path::new("api.imgspec"))
}

fn dockerfile(text: &str) -> String {
    let c = compile(text);
    assert!(!c.diagnostics.has_errors(), "{}", rendered(&c));
    c.outputs[0].dockerfile.clone()
}

const ARGS: [&str; 4] = [
    "IMGSPEC_CREATED",
    "IMGSPEC_REVISION",
    "IMGSPEC_SOURCE",
    "IMGSPEC_VERSION",
];

#[test]
fn the_runner_carries_the_oci_labels_from_build_arguments() {
    let dockerfile = dockerfile(SPEC);
    insta::assert_snapshot!("api.Dockerfile", dockerfile);
    let stages = stages(&dockerfile);
    let (runner, earlier) = stages.split_last().expect("stages");
    assert!(earlier.len() >= 2, "{dockerfile}");
    // Declared in the runner only: no dependency or build step's cache
    // key ever holds them.
    for (name, lines) in earlier {
        assert!(
            lines
                .iter()
                .all(|(_, rest)| ARGS.iter().all(|a| !rest.contains(a))),
            "stage {name} names a provenance argument:\n{dockerfile}"
        );
    }
    let declared = runner
        .1
        .iter()
        .position(|(k, rest)| k == "ARG" && rest.starts_with("IMGSPEC_CREATED=\"\""))
        .unwrap_or_else(|| panic!("no provenance ARG:\n{dockerfile}"));
    // Nothing after it makes a layer.
    assert!(
        runner.1[declared..]
            .iter()
            .all(|(k, _)| !matches!(k.as_str(), "RUN" | "COPY" | "ADD")),
        "{dockerfile}"
    );
    let (_, args) = &runner.1[declared];
    assert!(
        args.contains(r#"IMGSPEC_SOURCE="https://github.com/example/api""#)
            && args.contains(r#"IMGSPEC_VERSION="$VERSION""#),
        "{args}"
    );
    // The argument the version names is declared before it.
    let version_arg = runner
        .1
        .iter()
        .position(|(k, rest)| k == "ARG" && rest == r#"VERSION="1.4.2""#)
        .unwrap_or_else(|| panic!("ARG VERSION not in the runner:\n{dockerfile}"));
    assert!(version_arg < declared);
    let (_, labels) = &runner.1[declared + 1];
    for (label, arg) in [
        ("created", "IMGSPEC_CREATED"),
        ("revision", "IMGSPEC_REVISION"),
        ("source", "IMGSPEC_SOURCE"),
        ("version", "IMGSPEC_VERSION"),
    ] {
        assert!(
            labels.contains(&format!(r#"org.opencontainers.image.{label}="${{{arg}}}""#)),
            "{labels}"
        );
    }
    // SOURCE_DATE_EPOCH is BuildKit's, read without an ARG; one would put
    // the commit's time into the cache key of every RUN after it.
    assert!(!dockerfile.contains("SOURCE_DATE_EPOCH"), "{dockerfile}");
}

#[test]
fn without_publish_or_with_the_labels_off_there_are_none() {
    let without = SPEC.replace(
        &SPEC[SPEC.find("  publish {").unwrap()..SPEC.find("  run {").unwrap()],
        "",
    );
    // Off, a `source` (say, a template's) goes nowhere.
    let off = SPEC.replace("    version = \"$VERSION\"\n", "    oci_labels = false\n");
    for text in [without, off] {
        let dockerfile = dockerfile(&text);
        assert!(!dockerfile.contains("IMGSPEC_"), "{dockerfile}");
        let stages = stages(&dockerfile);
        let runner = &stages.last().expect("a runner").1;
        assert!(
            runner.iter().all(|(k, _)| k != "ARG"),
            "nothing in the runner names VERSION:\n{dockerfile}"
        );
    }
    // Only `publish` itself: the labels, with empty defaults.
    let minimal = "use std.debian\nimage app {\n  base = debian.bookworm()\n  sources = [\"src/\"]\n  publish {}\n}\n";
    let dockerfile = dockerfile(minimal);
    assert!(
        dockerfile.contains(
            "ARG IMGSPEC_CREATED=\"\" \\\n    IMGSPEC_REVISION=\"\" \\\n    IMGSPEC_SOURCE=\"\" \\\n    IMGSPEC_VERSION=\"\"\n"
        ),
        "{dockerfile}"
    );
}

/// Each misuse: (what replaces the `publish` block's fields, code, words
/// the message or help must hold).
#[test]
fn misuse_is_reported_with_a_code_and_help() {
    let cases: &[(&str, &str, &str)] = &[
        (
            r#"source = "github.com/example/api""#,
            "E0015",
            "not the URL of a repository",
        ),
        (
            r#"source = "ftp://example.com/api""#,
            "E0015",
            "https://host/path",
        ),
        (r#"source = "https://""#, "E0015", "not the URL"),
        (
            r#"source = "https://example.com/a\"b""#,
            "E0015",
            "percent-encode it (`%22`)",
        ),
        (
            r#"source = "https://example.com/$HOME""#,
            "E0015",
            "cannot contain `$`",
        ),
        (
            r#"source = "https://example.com/a b""#,
            "E0015",
            "cannot contain a space",
        ),
        (
            r#"source = "https://example.com/\nRUN id""#,
            "E0113",
            "line break",
        ),
        (r#"version = "1.0\nRUN id""#, "E0113", "line break"),
        (r#"version = "1.0\\""#, "E0113", "cannot end with `\\`"),
        (r#"version = "$1""#, "E0113", "shell parameter"),
        (
            r#"version = "${VERSON}""#,
            "E0005",
            "did you mean `$VERSION`?",
        ),
        (
            r#"version = "$HOME""#,
            "E0005",
            "declare it in the image's `args`",
        ),
        (r#"version = "  ""#, "E0015", "leave `version` out"),
        (
            r#"attest = ["provenace"]"#,
            "E0015",
            "did you mean `provenance`?",
        ),
        (
            r#"attest = "slsa""#,
            "E0015",
            "valid values: `provenance`, `sbom`",
        ),
        (r#"oci_labels = "no""#, "E0010", "`true` or `false`"),
        (
            r#"sources = ["https://example.com/api"]"#,
            "E0007",
            "did you mean `source`?",
        ),
    ];
    for (fields, code, words) in cases {
        let text = format!(
            "use std.debian\nimage app {{\n  base = debian.bookworm()\n  sources = [\"src/\"]\n  args = {{ VERSION = \"1.0\" }}\n  publish {{\n    {fields}\n  }}\n  run {{ env = {{ V = \"$VERSION\" }} }}\n}}\n"
        );
        let c = compile(&text);
        let out = rendered(&c);
        assert!(
            out.contains(&format!("error[{code}]")) && out.contains(words),
            "{fields}: expected {code} with {words:?}, got:\n{out}"
        );
        assert!(out.contains("help:"), "{fields}: no help:\n{out}");
    }
    // A label of its own for one the block writes, and an argument in
    // imgspec's namespace.
    let twice = SPEC.replace(
        r#""org.opencontainers.image.title" = "api""#,
        r#""org.opencontainers.image.source" = "https://example.com/x""#,
    );
    let out = rendered(&compile(&twice));
    assert!(
        out.contains("error[E0015]")
            && out.contains("`org.opencontainers.image.source` is set by the `publish` block")
            && out.contains("write `source = ...` in `publish`"),
        "{out}"
    );
    let reserved = SPEC.replace(
        "VERSION = \"1.4.2\"",
        "VERSION = \"1.4.2\", IMGSPEC_REVISION = \"x\"",
    );
    let out = rendered(&compile(&reserved));
    assert!(
        out.contains("error[E0015]") && out.contains("reserved prefix `IMGSPEC_`"),
        "{out}"
    );
}

fn bake(dir: &Path) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_imgspec"))
        .args(["bake", "-o", "-"])
        .current_dir(dir)
        .output()
        .expect("run imgspec");
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("UTF-8")
}

#[test]
fn bake_passes_the_commit_from_variables_and_requests_attestations() {
    let worker = "use std.debian\nimage worker {\n  base = debian.bookworm()\n  sources = [\"src/\"]\n  publish {\n    tags = [\"registry.example.com/team/worker:2.0.0\"]\n  }\n}\nimage tool {\n  base = debian.bookworm()\n  sources = [\"src/\"]\n}\n";
    let dir = workspace(
        "provenance/bake",
        &[
            ("api/api.imgspec", SPEC),
            ("api/src/app.py", ""),
            ("api/requirements.txt", "gunicorn\n"),
            ("worker/worker.imgspec", worker),
            ("worker/src/run", ""),
        ],
    );
    let text = bake(&dir);
    insta::assert_snapshot!("docker-bake.json", text);
    let bake: serde_json::Value = serde_json::from_str(&text).expect("JSON");
    // Nothing of the commit is in the file: only references to variables
    // that default to null, so bake passes no argument when CI sets none.
    assert_eq!(
        bake["variable"]["IMGSPEC_REVISION"]["default"],
        serde_json::Value::Null
    );
    assert_eq!(
        bake["variable"]["SOURCE_DATE_EPOCH"]["default"],
        serde_json::Value::Null
    );
    assert!(bake["variable"]["IMGSPEC_CREATED"]["default"]
        .as_str()
        .is_some_and(|d| d.contains("timeadd(") && d.contains("SOURCE_DATE_EPOCH")));
    let api = &bake["target"]["api"];
    assert_eq!(
        api["attest"],
        serde_json::json!(["type=provenance,mode=max", "type=sbom"])
    );
    // The spec's source and version win: bake does not pass them.
    assert_eq!(
        api["args"],
        serde_json::json!({
            "IMGSPEC_CREATED": "${IMGSPEC_CREATED}",
            "IMGSPEC_REVISION": "${IMGSPEC_REVISION}",
            "SOURCE_DATE_EPOCH": "${SOURCE_DATE_EPOCH}",
        })
    );
    let worker = &bake["target"]["worker"];
    assert!(worker.get("attest").is_none());
    assert_eq!(worker["args"]["IMGSPEC_SOURCE"], "${IMGSPEC_SOURCE}");
    assert_eq!(worker["args"]["IMGSPEC_VERSION"], "${IMGSPEC_VERSION}");
    // Without `publish`: reproducible timestamps only.
    assert_eq!(
        bake["target"]["tool"]["args"],
        serde_json::json!({ "SOURCE_DATE_EPOCH": "${SOURCE_DATE_EPOCH}" })
    );
}
