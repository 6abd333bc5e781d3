//! Every example compiles, matches its reviewed snapshot, and keeps the
//! promises of the brief: non-root runner, manifests before sources,
//! build-only packages absent from the runner, deterministic output.

mod common;

use common::{compile_file, example_specs, rendered, stages};
use imgspec::ir::{Dockerfile, Instruction, Line, Reason, Stage};

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

/// The stages a stage is built on, itself first (`FROM deps AS build`).
fn ancestry<'a>(ir: &'a Dockerfile, stage: &'a Stage) -> Vec<&'a Stage> {
    let mut chain = vec![stage];
    let mut from = &stage.from;
    while let Some(parent) = ir.stages.iter().find(|s| &s.name == from) {
        chain.push(parent);
        from = &parent.from;
    }
    chain
}

fn copies_from_context(stage: &Stage) -> impl Iterator<Item = &Line> {
    stage
        .lines
        .iter()
        .filter(|l| matches!(&l.instruction, Instruction::Copy(c) if c.from.is_none()))
}

/// Rule 1 across stages: every dependency install runs in a stage whose
/// whole ancestry copied manifests and nothing else from the context.
#[test]
fn dependency_installs_never_see_the_sources() {
    let mut checked = 0;
    for spec in example_specs() {
        for output in compile_file(&spec).outputs {
            let ir = &output.ir;
            for stage in &ir.stages {
                let installs = stage.lines.iter().any(|l| {
                    l.why
                        .iter()
                        .any(|r| matches!(r, Reason::Install | Reason::Production | Reason::Prune))
                });
                if !installs {
                    continue;
                }
                for ancestor in ancestry(ir, stage) {
                    for line in copies_from_context(ancestor) {
                        assert!(
                            line.why.contains(&Reason::Manifests),
                            "{} ({}): {:?} is in the ancestry of a dependency install:\n{}",
                            output.image,
                            stage.name,
                            line.instruction,
                            output.dockerfile
                        );
                    }
                }
                checked += 1;
            }
            // The sources arrive after the install, in a build on top of it
            // (unless the runner takes them from the context, and the
            // build stage was left out as unused).
            if let Some(build) = ir.stages.iter().find(|s| s.name == "build") {
                if ir.stages.iter().any(|s| s.name == "deps") {
                    assert_eq!(build.from, "deps", "{}", output.image);
                }
            }
        }
    }
    assert!(
        checked >= 15,
        "only {checked} stages had a dependency install"
    );
}

/// In the runner, dependencies come from stages that never saw a source,
/// before anything that does: a source edit neither rebuilds nor re-ships
/// them.
#[test]
fn the_runner_copies_dependencies_from_stages_without_sources() {
    let mut checked = 0;
    for spec in example_specs() {
        for output in compile_file(&spec).outputs {
            let ir = &output.ir;
            let runner = ir.stages.last().expect("runner");
            let mut seen_application = false;
            for line in &runner.lines {
                let Instruction::Copy(copy) = &line.instruction else {
                    continue;
                };
                // The init binary and pinned files never change: they come
                // first of all.
                if line.why.contains(&Reason::Init) || line.why.contains(&Reason::Files) {
                    continue;
                }
                if !line.why.contains(&Reason::Dependencies) {
                    seen_application = true;
                    continue;
                }
                assert!(
                    !seen_application,
                    "{}: dependencies copied after the application:\n{}",
                    output.image, output.dockerfile
                );
                let from = copy.from.as_deref().expect("a stage");
                let stage = ir.stages.iter().find(|s| s.name == from).expect("stage");
                for ancestor in ancestry(ir, stage) {
                    assert!(
                        copies_from_context(ancestor).all(|l| l.why.contains(&Reason::Manifests)),
                        "{}: `{}` copies dependencies from `{from}`, which sees sources:\n{}",
                        output.image,
                        copy.sources.join(" "),
                        output.dockerfile
                    );
                }
                checked += 1;
            }
        }
    }
    assert!(
        checked >= 12,
        "only {checked} dependency copies into runners"
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
