//! Every example compiles, matches its reviewed snapshot, and keeps the
//! promises of the brief: non-root runner, manifests before sources,
//! build-only packages absent from the runner, deterministic output.

mod common;

use common::{compile_file, example_specs, rendered, stages};

fn snapshot_name(spec: &std::path::Path, image: &str) -> String {
    let dir = spec
        .parent()
        .and_then(|p| p.file_name())
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    format!("{dir}__{image}")
}

#[test]
fn examples_match_snapshots() {
    let specs = example_specs();
    assert!(
        specs.len() >= 4,
        "expected at least four examples, found {specs:?}"
    );
    for spec in specs {
        let c = compile_file(&spec);
        assert!(
            !c.diagnostics.has_errors(),
            "{} failed:\n{}",
            spec.display(),
            rendered(&c)
        );
        assert!(
            !c.outputs.is_empty(),
            "{} produced no image",
            spec.display()
        );
        for output in &c.outputs {
            let name = snapshot_name(&spec, &output.image);
            insta::assert_snapshot!(format!("{name}.Dockerfile"), output.dockerfile);
            insta::assert_snapshot!(format!("{name}.dockerignore"), output.dockerignore);
        }
    }
}

#[test]
fn runner_user_is_numeric_and_not_root() {
    for spec in example_specs() {
        for output in compile_file(&spec).outputs {
            let stages = stages(&output.dockerfile);
            let runner = &stages.last().expect("a runner stage").1;
            let user = runner
                .iter()
                .rev()
                .find(|(k, _)| k == "USER")
                .map(|(_, v)| v.clone());
            let user = user.unwrap_or_else(|| panic!("{}: runner has no USER", output.image));
            let (uid, gid) = user.split_once(':').unwrap_or((&user, "0"));
            let uid: u32 = uid
                .parse()
                .unwrap_or_else(|_| panic!("{}: USER {user} is not numeric", output.image));
            let gid: u32 = gid
                .parse()
                .unwrap_or_else(|_| panic!("{}: group in {user} is not numeric", output.image));
            assert!(
                uid != 0 && gid != 0,
                "{}: runner runs as {user}",
                output.image
            );
        }
    }
}

/// The commands that install dependencies, for every stdlib ecosystem.
const INSTALLS: &[&str] = &[
    "pip install",
    "npm ci",
    "go mod download",
    "uv sync",
    "poetry install",
    "yarn install",
    "pnpm install",
    "dependency:go-offline",
    "gradlew",
    "cargo build",
    "bundle install",
    "composer install",
    "dotnet restore",
];

/// What may be copied before the install: manifests and lock files only.
fn is_manifest(path: &str) -> bool {
    let name = path
        .trim_end_matches('/')
        .rsplit('/')
        .next()
        .unwrap_or(path);
    matches!(
        name,
        "package.json"
            | "package-lock.json"
            | "yarn.lock"
            | ".yarnrc.yml"
            | "releases"
            | "pnpm-lock.yaml"
            | "go.mod"
            | "go.sum"
            | "pyproject.toml"
            | "poetry.lock"
            | "uv.lock"
            | "pom.xml"
            | "gradlew"
            | "gradle"
            | "settings.gradle"
            | "build.gradle"
            | "settings.gradle.kts"
            | "build.gradle.kts"
            | "Cargo.toml"
            | "Cargo.lock"
            | "Gemfile"
            | "Gemfile.lock"
            | "composer.json"
            | "composer.lock"
    ) || name.starts_with("requirements")
        || name.ends_with(".csproj")
}

#[test]
fn manifests_are_installed_before_sources_are_copied() {
    let mut checked = 0;
    for spec in example_specs() {
        for output in compile_file(&spec).outputs {
            for (stage, instructions) in stages(&output.dockerfile) {
                if stage == "runtime" {
                    continue;
                }
                let is_install = |(k, v): &(String, String)| {
                    k == "RUN" && INSTALLS.iter().any(|i| v.contains(i))
                };
                let Some(install) = instructions.iter().position(is_install) else {
                    continue;
                };
                for (keyword, rest) in &instructions[..install] {
                    if keyword == "COPY" {
                        let words: Vec<&str> = rest
                            .split_whitespace()
                            .filter(|w| !w.starts_with("--"))
                            .collect();
                        let sources = &words[..words.len() - 1];
                        assert!(
                            sources.iter().all(|s| is_manifest(s)),
                            "{} ({stage}): {rest:?} is copied before the install:\n{}",
                            output.image,
                            output.dockerfile
                        );
                    }
                }
                let after = instructions[install + 1..]
                    .iter()
                    .filter(|(k, _)| k == "COPY")
                    .count();
                assert!(
                    after >= 1,
                    "{} ({stage}): no sources after the install",
                    output.image
                );
                checked += 1;
            }
        }
    }
    assert!(
        checked >= 15,
        "only {checked} stages had a dependency install"
    );
}

/// System packages come before anything from the context, so a manifest
/// or source change never re-runs them.
#[test]
fn system_packages_come_before_anything_copied() {
    let managers = [
        "apt-get install",
        "apk add",
        "dnf install",
        "microdnf install",
    ];
    let mut checked = 0;
    for spec in example_specs() {
        for output in compile_file(&spec).outputs {
            for (stage, instructions) in stages(&output.dockerfile) {
                let is_packages = |(k, v): &(String, String)| {
                    k == "RUN" && managers.iter().any(|m| v.contains(m))
                };
                let Some(packages) = instructions.iter().position(is_packages) else {
                    continue;
                };
                let first_copy = instructions
                    .iter()
                    .position(|(k, _)| k == "COPY")
                    .unwrap_or(usize::MAX);
                assert!(
                    packages < first_copy,
                    "{} ({stage}): packages installed after a COPY",
                    output.image
                );
                checked += 1;
            }
        }
    }
    assert!(
        checked >= 10,
        "only {checked} stages install system packages"
    );
}

#[test]
fn build_only_packages_stay_out_of_the_runner() {
    for spec in example_specs() {
        for output in compile_file(&spec).outputs {
            let stages = stages(&output.dockerfile);
            let runner = &stages.last().expect("runner").1;
            for forbidden in ["gcc", "libpq-dev", "build-essential"] {
                for (keyword, text) in runner {
                    let words: Vec<&str> = text.split_whitespace().collect();
                    assert!(
                        !(keyword == "RUN" && words.contains(&forbidden)),
                        "{}: runner installs {forbidden}",
                        output.image
                    );
                }
            }
        }
    }
}

#[test]
fn output_is_byte_identical_across_runs() {
    for spec in example_specs() {
        let first = compile_file(&spec).outputs;
        for _ in 0..10 {
            assert_eq!(
                compile_file(&spec).outputs,
                first,
                "{} is not deterministic",
                spec.display()
            );
        }
    }
}

/// A base whose own USER is not root (unprivileged nginx) gets `USER 0:0`
/// only when the stage has something to install, and the runner's own
/// numeric user still comes last.
#[test]
fn non_root_bases_switch_to_root_only_to_install() {
    let compile = |packages: &str| {
        let spec = format!("use std.web\nimage site = web.static_site() {{\n  sources = [\"src/\"]\n  {packages}\n}}\n");
        let loader = imgspec::loader::MemoryLoader::new().with("site.imgspec", spec);
        let c = common::compile_with(&loader, std::path::Path::new("site.imgspec"));
        assert!(!c.diagnostics.has_errors(), "{}", common::rendered(&c));
        let stages = stages(&c.outputs[0].dockerfile);
        stages.last().expect("runner").1.clone()
    };
    let with_curl = compile("packages { runtime = [\"curl\"] }");
    let users: Vec<&str> = with_curl
        .iter()
        .filter(|(k, _)| k == "USER")
        .map(|(_, v)| v.as_str())
        .collect();
    assert_eq!(users, ["0:0", "101:101"]);
    assert_eq!(with_curl[0].0, "USER", "root comes before the install");
    let without = compile("");
    assert!(without.iter().all(|(k, v)| k != "USER" || v == "101:101"));
}
