//! Optimisation passes over the IR, each a pure function applied in order.

use crate::ir::{Dockerfile, Instruction, Line, Reason, Run, Stage};

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
    for line in &mut stage.lines {
        if let Instruction::Run(run) = &mut line.instruction {
            run.mounts.sort();
            run.mounts.dedup();
        }
    }
    stage
}

/// A WORKDIR that changes nothing, or is replaced before anything uses it,
/// is dropped; RUNs in the same directory then become neighbours.
fn drop_redundant_workdirs(mut stage: Stage) -> Stage {
    let is_workdir = |l: &Line| matches!(l.instruction, Instruction::Workdir(_));
    let mut kept: Vec<Line> = Vec::with_capacity(stage.lines.len());
    let mut lines = stage.lines.into_iter().peekable();
    while let Some(line) = lines.next() {
        let replaced = is_workdir(&line) && lines.peek().is_some_and(is_workdir);
        if !replaced {
            kept.push(line);
        }
    }
    let mut current: Option<String> = None;
    kept.retain(|line| match &line.instruction {
        Instruction::Workdir(dir) if current.as_ref() == Some(dir) => false,
        Instruction::Workdir(dir) => {
            current = Some(dir.clone());
            true
        }
        _ => true,
    });
    stage.lines = kept;
    stage
}

/// Rule 6: consecutive RUNs with the same mounts become one layer.
/// Compiler housekeeping (`joins_any`) may join a RUN with any mounts.
fn merge_runs(mut stage: Stage) -> Stage {
    let mut out: Vec<Line> = Vec::with_capacity(stage.lines.len());
    for line in stage.lines {
        if let Some(previous_line) = out.last_mut() {
            if let (Instruction::Run(previous), Instruction::Run(next)) =
                (&mut previous_line.instruction, &line.instruction)
            {
                if can_merge(previous, next) {
                    absorb(previous, next);
                    for reason in &line.why {
                        if !previous_line.why.contains(reason) {
                            previous_line.why.push(*reason);
                        }
                    }
                    previous_line.spans.extend(line.spans.iter().copied());
                    continue;
                }
            }
        }
        out.push(line);
    }
    stage.lines = out;
    stage
}

fn can_merge(previous: &Run, next: &Run) -> bool {
    previous.mounts == next.mounts || (next.joins_any && next.script.is_none())
}

fn absorb(previous: &mut Run, next: &Run) {
    if previous.script.is_some() || next.script.is_some() {
        // A script absorbs its neighbours as lines; it runs with `set -e`,
        // so this keeps the `&&` semantics.
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
}

fn script_lines(run: &Run) -> Vec<String> {
    let mut lines = run.commands.clone();
    lines.extend(run.script.iter().cloned());
    lines
}

/// Rule 7: a stage whose RUNs pipe gets `SHELL [..., "-o", "pipefail", "-c"]`.
fn pipefail(mut stage: Stage) -> Stage {
    let piped = stage
        .lines
        .iter()
        .any(|l| matches!(&l.instruction, Instruction::Run(r) if r.has_pipe));
    if let (true, Some(shell)) = (piped, &stage.shell) {
        let args = vec![shell.clone(), "-o".into(), "pipefail".into(), "-c".into()];
        stage
            .lines
            .insert(0, Line::new(Instruction::Shell(args), Reason::Pipefail, []));
    }
    stage
}
