//! `imgspec init` on realistic project trees under tests/fixtures/init:
//! each generated spec (with the decisions printed for it) is a reviewed
//! snapshot, and compiles in its tree without errors; the trees it cannot
//! read fail with a diagnostic; broken manifests never make it panic.

mod common;

use std::path::{Path, PathBuf};

use common::{codes, compile_file, copy_dir, imgspec, rendered, sorted_entries};
use imgspec::init::{generate, NoQuestions, SPEC_NAME};

const FIXTURES: &str = "tests/fixtures/init";

/// Trees with nothing `init` recognises.
const UNRECOGNISED: &[&str] = &["lock-without-manifest", "readme-only"];

/// The fixture copied into a fresh project of its own (a `.git` marks it),
/// under `test`'s own directory: tests run in parallel.
fn project(test: &str, name: &str) -> PathBuf {
    let dir = common::workspace(&format!("init/{test}/{name}"), &[]);
    copy_dir(&Path::new(FIXTURES).join(name), &dir);
    std::fs::create_dir_all(dir.join(".git")).expect("mark the project root");
    dir
}

fn fixtures() -> Vec<String> {
    sorted_entries(Path::new(FIXTURES))
        .into_iter()
        .filter(|p| p.is_dir())
        .filter_map(|p| p.file_name().map(|n| n.to_string_lossy().into_owned()))
        .collect()
}

#[test]
fn every_fixture_gets_a_spec_that_compiles() {
    let mut specs = 0;
    for name in fixtures() {
        if UNRECOGNISED.contains(&name.as_str()) {
            continue;
        }
        let dir = project("every_fixture_gets_a_spec_that_compiles", &name);
        let generated = generate(&dir, &mut NoQuestions)
            .unwrap_or_else(|_| panic!("{name}: nothing recognised"));
        let spec = dir.join(SPEC_NAME);
        std::fs::write(&spec, &generated.text).expect("write the spec");
        let c = compile_file(&spec);
        assert!(
            !c.diagnostics.has_errors(),
            "{name}: the generated spec does not compile:\n{}\n{}",
            generated.text,
            rendered(&c)
        );
        assert!(!c.outputs.is_empty(), "{name}: no image");
        let warnings = codes(&c);
        let snapshot = format!(
            "{}\n--- decisions\n{}\n--- warnings when compiled: {}\n",
            generated.text,
            generated.decisions.join("\n"),
            if warnings.is_empty() {
                "none".to_string()
            } else {
                warnings.join(", ")
            }
        );
        insta::assert_snapshot!(format!("init-{name}"), snapshot);
        specs += 1;
    }
    assert!(specs >= 20, "only {specs} fixtures");
}

#[test]
fn trees_without_a_manifest_are_not_recognised() {
    let empty = common::workspace("init/empty", &[]);
    assert!(generate(&empty, &mut NoQuestions).is_err());
    for name in UNRECOGNISED {
        let dir = project("trees_without_a_manifest_are_not_recognised", name);
        let result = generate(&dir, &mut NoQuestions);
        assert!(result.is_err(), "{name}: recognised");
    }
    let orphan = generate(
        &project(
            "trees_without_a_manifest_are_not_recognised",
            "lock-without-manifest",
        ),
        &mut NoQuestions,
    )
    .expect_err("unrecognised");
    assert_eq!(
        orphan.orphans,
        [("package-lock.json".to_string(), "package.json")]
    );
}

#[test]
fn several_ecosystems_at_the_root_are_a_warning_with_the_choice() {
    let g = generate(
        &project(
            "several_ecosystems_at_the_root_are_a_warning_with_the_choice",
            "two-ecosystems",
        ),
        &mut NoQuestions,
    )
    .expect("a spec");
    assert_eq!(
        g.ambiguous,
        ["Python (requirements.txt)", "Node.js (package.json)"]
    );
    assert!(g.text.contains("several ecosystems at the root"));
}

/// An answer for every question, to show `--interactive` changes guesses
/// into decisions.
struct Answers;

impl imgspec::init::Ask for Answers {
    fn choose(&mut self, _: &str, candidates: &[String]) -> Option<usize> {
        Some(candidates.len() - 1)
    }
    fn port(&mut self, _: &str) -> Option<u16> {
        Some(9999)
    }
}

#[test]
fn answers_replace_guesses() {
    let dir = project("answers_replace_guesses", "node-pnpm-workspace");
    let guessed = generate(&dir, &mut NoQuestions).expect("a spec");
    assert!(guessed.text.contains("// imgspec init: 2 candidates"));
    let answered = generate(&dir, &mut Answers).expect("a spec");
    assert!(
        !answered.text.contains("// imgspec init:"),
        "{}",
        answered.text
    );
    assert!(answered.text.contains("apps/api/src/server.js"));
}

#[test]
fn the_command_writes_once_then_refuses_without_force() {
    let dir = project(
        "the_command_writes_once_then_refuses_without_force",
        "python-django-pip",
    );
    let first = imgspec(&dir, &["init"]);
    let stderr = String::from_utf8_lossy(&first.stderr);
    assert_eq!(first.status.code(), Some(0), "{stderr}");
    assert!(stderr.contains("detected framework: Django"), "{stderr}");
    assert!(dir.join(SPEC_NAME).is_file());
    let again = imgspec(&dir, &["init"]);
    assert_eq!(again.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&again.stderr).contains("error[E0181]"));
    let forced = imgspec(&dir, &["init", "--force"]);
    assert_eq!(forced.status.code(), Some(0));
    let printed = imgspec(&dir, &["init", "-o", "-"]);
    assert_eq!(printed.status.code(), Some(0));
    let written = std::fs::read_to_string(dir.join(SPEC_NAME)).expect("spec");
    assert_eq!(String::from_utf8_lossy(&printed.stdout), written);
    let compiled = imgspec(&dir, &["compile", SPEC_NAME]);
    assert_eq!(
        compiled.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&compiled.stderr)
    );
    // A directory named on the command line, from elsewhere.
    let parent = dir.parent().expect("parent");
    let name = dir
        .file_name()
        .expect("name")
        .to_string_lossy()
        .into_owned();
    let other = imgspec(parent, &["init", &name, "-o", "-"]);
    assert_eq!(other.status.code(), Some(0));
}

#[test]
fn interactive_needs_a_terminal() {
    let dir = project("interactive_needs_a_terminal", "go-service");
    let out = imgspec(&dir, &["init", "--interactive"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("error[E0182]"));
    assert!(!dir.join(SPEC_NAME).exists());
}

/// Every manifest of every fixture cut short at several points, and with
/// bytes flipped: `init` reads it or falls back, and never panics.
#[test]
fn broken_manifests_never_panic() {
    let manifests = [
        "package.json",
        "package-lock.json",
        "yarn.lock",
        "pnpm-lock.yaml",
        "pnpm-workspace.yaml",
        "pyproject.toml",
        "poetry.lock",
        "uv.lock",
        "requirements.txt",
        "manage.py",
        "go.mod",
        "go.sum",
        "Cargo.toml",
        "Cargo.lock",
        "pom.xml",
        "build.gradle.kts",
        "settings.gradle.kts",
        "Gemfile",
        "Gemfile.lock",
        "composer.json",
        "composer.lock",
        "Shop.sln",
        "global.json",
        ".nvmrc",
        ".python-version",
        ".ruby-version",
        "rust-toolchain.toml",
    ];
    let mut runs = 0;
    for name in fixtures() {
        let dir = project("broken_manifests_never_panic", &name);
        for manifest in manifests {
            let path = dir.join(manifest);
            let Ok(original) = std::fs::read(&path) else {
                continue;
            };
            let mut variants: Vec<Vec<u8>> = [
                0,
                1,
                7,
                original.len() / 3,
                original.len() / 2,
                original.len().saturating_sub(2),
            ]
            .iter()
            .map(|&n| original[..n.min(original.len())].to_vec())
            .collect();
            let mut flipped = original.clone();
            for i in (0..flipped.len()).step_by(11) {
                flipped[i] = match flipped[i] {
                    b'"' => b'{',
                    b'{' => b'"',
                    b'\n' => b'[',
                    b'=' => b'\n',
                    _ => 0xff,
                };
            }
            variants.push(flipped);
            for variant in variants {
                std::fs::write(&path, &variant).expect("write variant");
                let _ = generate(&dir, &mut NoQuestions);
                runs += 1;
            }
            std::fs::write(&path, &original).expect("restore");
        }
    }
    assert!(runs > 100, "only {runs} runs");
}
