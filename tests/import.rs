//! `imgspec import` on realistic Dockerfiles: one directory per case under
//! tests/fixtures/import, holding a Dockerfile and the files it copies.
//! The generated spec is a reviewed snapshot, and it must compile in that
//! directory (its build context) without errors. The command itself:
//! standard output, `-o` inside the project, no overwrite without
//! `--force`, and the codes of a Dockerfile that cannot be imported.

mod common;

use std::path::{Path, PathBuf};

use common::{compile_file, copy_dir, imgspec, rendered, sorted_entries, workspace};
use imgspec::import::{self, map::Context};

const FIXTURES: &str = "tests/fixtures/import";

fn cases() -> Vec<PathBuf> {
    sorted_entries(Path::new(FIXTURES))
        .into_iter()
        .filter(|p| p.is_dir())
        .collect()
}

/// The case copied into a fresh project, imported there.
fn import_case(case: &Path) -> (PathBuf, import::Imported) {
    let name = case
        .file_name()
        .expect("name")
        .to_string_lossy()
        .into_owned();
    let dir = workspace(&format!("import/{name}"), &[]);
    copy_dir(case, &dir);
    std::fs::create_dir_all(dir.join(".git")).expect("mark the project root");
    let text = std::fs::read_to_string(dir.join("Dockerfile")).expect("Dockerfile");
    let context = Context {
        dir: Some(dir.clone()),
        dockerfile: "Dockerfile".into(),
    };
    let imported = import::import("Dockerfile", &text, &context, &import::image_name(&name));
    (dir, imported)
}

#[test]
fn every_case_imports_to_a_spec_that_compiles() {
    let cases = cases();
    assert!(cases.len() >= 15, "only {} cases", cases.len());
    for case in cases {
        let name = case
            .file_name()
            .expect("name")
            .to_string_lossy()
            .into_owned();
        let (dir, imported) = import_case(&case);
        assert!(
            !imported.diagnostics.has_errors(),
            "{name}: import failed: {:?}",
            imported.diagnostics.sorted()
        );
        let spec = imported.spec.expect("a spec");
        insta::assert_snapshot!(name.clone(), spec);
        let path = dir.join("app.imgspec");
        std::fs::write(&path, &spec).expect("write spec");
        let c = compile_file(&path);
        assert!(
            !c.diagnostics.has_errors(),
            "{name}: the imported spec does not compile:\n{spec}\n{}",
            rendered(&c)
        );
        assert!(!c.outputs.is_empty(), "{name}: compiles to nothing");
    }
}

#[test]
fn prints_the_spec_by_default_and_writes_it_with_o() {
    let dir = workspace(
        "import-cli/write",
        &[
            (".git/HEAD", ""),
            (
                "svc/Dockerfile",
                "FROM python:3.12-slim\nCOPY app.py .\nUSER 10001\nCMD [\"python\", \"app.py\"]\n",
            ),
            ("svc/app.py", "print('hi')\n"),
        ],
    );
    let out = imgspec(&dir, &["import", "svc/Dockerfile"]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let printed = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(printed.contains("image svc {"), "{printed}");

    let out = imgspec(&dir, &["import", "svc/Dockerfile", "-o", "svc/svc.imgspec"]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let written = std::fs::read_to_string(dir.join("svc/svc.imgspec")).expect("written");
    assert_eq!(written, printed);

    // An existing file is kept unless --force.
    std::fs::write(dir.join("svc/svc.imgspec"), "// mine\n").expect("write");
    let out = imgspec(&dir, &["import", "svc/Dockerfile", "-o", "svc/svc.imgspec"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("error[E0178]"));
    assert_eq!(
        std::fs::read_to_string(dir.join("svc/svc.imgspec")).expect("kept"),
        "// mine\n"
    );
    let out = imgspec(
        &dir,
        &[
            "import",
            "svc/Dockerfile",
            "-o",
            "svc/svc.imgspec",
            "--force",
            "--image",
            "api",
        ],
    );
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let written = std::fs::read_to_string(dir.join("svc/svc.imgspec")).expect("written");
    assert!(written.contains("image api {"), "{written}");

    // Nothing is written outside the project.
    let out = imgspec(
        &dir,
        &["import", "svc/Dockerfile", "-o", "../outside.imgspec"],
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("error[E0017]"));
    assert!(!dir.join("../outside.imgspec").exists());
}

#[test]
fn a_file_without_from_or_with_an_open_heredoc_is_refused() {
    let dir = workspace(
        "import-cli/refused",
        &[
            (".git/HEAD", ""),
            ("notes.txt", "RUN make\n"),
            ("Dockerfile", "FROM debian:bookworm\nRUN <<EOF\nmake\n"),
        ],
    );
    let out = imgspec(&dir, &["import", "notes.txt"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("error[E0175]"));
    assert!(out.stdout.is_empty());
    let out = imgspec(&dir, &["import", "Dockerfile"]);
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("error[E0176]"), "{stderr}");
    assert!(stderr.contains("Dockerfile:2:1"), "{stderr}");
    let out = imgspec(&dir, &["import", "missing/Dockerfile"]);
    assert_eq!(out.status.code(), Some(2));
}

/// Every prefix and a set of garbled copies of every case's Dockerfile:
/// reading and mapping never panic, and finish.
#[test]
fn truncated_and_garbled_dockerfiles_never_panic() {
    let context = Context::default();
    for case in cases() {
        let text = std::fs::read_to_string(case.join("Dockerfile")).expect("Dockerfile");
        let mut cuts: Vec<usize> = (0..=text.len())
            .filter(|&i| text.is_char_boundary(i))
            .collect();
        cuts.dedup();
        for cut in cuts {
            let _ = import::import("Dockerfile", &text[..cut], &context, "app");
        }
        let bytes = text.as_bytes();
        for (k, garbage) in [
            "\\", "`", "<<", "<<-X", "[", "\"", "'", "${", "\n", "#", "--", "\u{FEFF}",
        ]
        .iter()
        .enumerate()
        {
            for at in (0..bytes.len()).step_by(7 + k) {
                if !text.is_char_boundary(at) {
                    continue;
                }
                let garbled = format!("{}{garbage}{}", &text[..at], &text[at..]);
                let _ = import::import("Dockerfile", &garbled, &context, "app");
            }
        }
    }
}

/// Inputs built to be slow for a careless reader finish quickly.
#[test]
fn hostile_inputs_take_linear_time() {
    let context = Context::default();
    let n = 20_000;
    let inputs = [
        format!("FROM alpine:3.20\nRUN a \\\n{}b\n", "\\\n".repeat(n)),
        format!(
            "FROM alpine:3.20\nRUN {} cat\n{}",
            "<<A ".repeat(n),
            "x\n".repeat(n)
        ),
        format!("FROM alpine:3.20\n{}", "COPY --from=0 /a /b\n".repeat(n)),
        "FROM alpine:3.20 AS s\n".repeat(n),
        format!("FROM alpine:3.20\nENV {}\n", "A=${B:-${C} ".repeat(n)),
        format!("ARG A={}\nFROM alpine:3.20\n", "${A}".repeat(n)),
        format!("FROM alpine:3.20\nRUN {}\n", "apk add x && ".repeat(n)),
        format!(
            "FROM alpine:3.20\n{}",
            "EXPOSE 8080\nVOLUME /data\nENV A=1\n".repeat(n)
        ),
    ];
    for input in &inputs {
        let start = std::time::Instant::now();
        let _ = import::import("Dockerfile", input, &context, "app");
        assert!(
            start.elapsed() < std::time::Duration::from_secs(10),
            "{}...: {:?}",
            &input[..40.min(input.len())],
            start.elapsed()
        );
    }
}
