//! Optimisation passes over the IR, each a pure function applied in order.

use crate::ir::{Dockerfile, Instruction, Run, Stage};

pub fn optimise(mut dockerfile: Dockerfile) -> Dockerfile {
    dockerfile.stages = dockerfile
        .stages
        .into_iter()
        .map(normalise_mounts)
        .map(drop_redundant_workdirs)
        .map(merge_runs)
        .map(pipefail)
        .collect();
    dockerfile
}

/// Sorted, deduplicated mounts, so equal mount sets compare equal.
fn normalise_mounts(mut stage: Stage) -> Stage {
    for instruction in &mut stage.instructions {
        if let Instruction::Run(run) = instruction {
            run.mounts.sort();
            run.mounts.dedup();
        }
    }
    stage
}

/// A WORKDIR that changes nothing, or is replaced before anything uses it,
/// is dropped; RUNs in the same directory then become neighbours.
fn drop_redundant_workdirs(mut stage: Stage) -> Stage {
    let is_workdir = |i: &Instruction| matches!(i, Instruction::Workdir(_));
    let mut kept: Vec<Instruction> = Vec::with_capacity(stage.instructions.len());
    let mut instructions = stage.instructions.into_iter().peekable();
    while let Some(instruction) = instructions.next() {
        let replaced = is_workdir(&instruction) && instructions.peek().is_some_and(is_workdir);
        if !replaced {
            kept.push(instruction);
        }
    }
    let mut current: Option<String> = None;
    kept.retain(|instruction| match instruction {
        Instruction::Workdir(dir) if current.as_ref() == Some(dir) => false,
        Instruction::Workdir(dir) => {
            current = Some(dir.clone());
            true
        }
        _ => true,
    });
    stage.instructions = kept;
    stage
}

/// Rule 6: consecutive RUNs with the same mounts become one layer.
/// Compiler housekeeping (`joins_any`) may join a RUN with any mounts.
fn merge_runs(mut stage: Stage) -> Stage {
    let mut out: Vec<Instruction> = Vec::with_capacity(stage.instructions.len());
    for instruction in stage.instructions {
        if let (Some(Instruction::Run(previous)), Instruction::Run(next)) =
            (out.last_mut(), &instruction)
        {
            if can_merge(previous, next) {
                if previous.script.is_some() || next.script.is_some() {
                    // A script absorbs its neighbours as lines; it runs with
                    // `set -e`, so this keeps the `&&` semantics.
                    let lines: Vec<String> = [&*previous, next]
                        .iter()
                        .flat_map(|r| script_lines(r))
                        .collect();
                    previous.commands.clear();
                    previous.script = Some(lines.join("\n"));
                } else {
                    previous.commands.extend(next.commands.iter().cloned());
                }
                previous.has_pipe |= next.has_pipe;
                for rule in &next.lint_ignores {
                    if !previous.lint_ignores.contains(rule) {
                        previous.lint_ignores.push(rule);
                    }
                }
                continue;
            }
        }
        out.push(instruction);
    }
    stage.instructions = out;
    stage
}

fn can_merge(previous: &Run, next: &Run) -> bool {
    previous.mounts == next.mounts || (next.joins_any && next.script.is_none())
}

fn script_lines(run: &Run) -> Vec<String> {
    let mut lines = run.commands.clone();
    lines.extend(run.script.iter().cloned());
    lines
}

/// Rule 7: a stage whose RUNs pipe gets `SHELL [..., "-o", "pipefail", "-c"]`.
fn pipefail(mut stage: Stage) -> Stage {
    let piped = stage
        .instructions
        .iter()
        .any(|i| matches!(i, Instruction::Run(r) if r.has_pipe));
    if let (true, Some(shell)) = (piped, &stage.shell) {
        stage.instructions.insert(
            0,
            Instruction::Shell(vec![
                shell.clone(),
                "-o".into(),
                "pipefail".into(),
                "-c".into(),
            ]),
        );
    }
    stage
}
