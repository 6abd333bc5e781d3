//! Optimisation passes over the IR, each a pure function applied in order.

use crate::ir::{Dockerfile, Instruction, Line, Reason, Run, Stage};

pub fn optimise(mut dockerfile: Dockerfile) -> Dockerfile {
    dockerfile.stages = fuse_single_children(drop_unused_stages(dockerfile.stages))
        .into_iter()
        .map(normalise_mounts)
        .map(drop_redundant_workdirs)
        .map(merge_runs)
        .map(pipefail)
        .collect();
    dockerfile
}

/// Stages the runner does not reach, through `FROM` or `COPY --from`, are
/// left out: BuildKit would skip them anyway, and a reader
/// should not wonder what they are for. (A build stage that only copies
/// the sources is one, when the runner takes the sources from the context.)
fn drop_unused_stages(stages: Vec<Stage>) -> Vec<Stage> {
    let mut used = vec![false; stages.len()];
    if let Some(last) = used.last_mut() {
        *last = true;
    }
    // Stages only refer to earlier ones: one pass from the end suffices.
    for i in (0..stages.len()).rev() {
        if !used[i] {
            continue;
        }
        let stage = &stages[i];
        let mut refs: Vec<&str> = vec![stage.from.as_str()];
        for line in &stage.lines {
            if let Instruction::Copy(copy) = &line.instruction {
                refs.extend(copy.from.as_deref());
            }
        }
        for (j, other) in stages[..i].iter().enumerate() {
            if refs.contains(&other.name.as_str()) {
                used[j] = true;
            }
        }
    }
    stages
        .into_iter()
        .zip(used)
        .filter_map(|(stage, used)| used.then_some(stage))
        .collect()
}

/// A shared `setup` stage that only one stage is left to start from (when
/// the full install was unused and dropped) is folded into that stage.
fn fuse_single_children(mut stages: Vec<Stage>) -> Vec<Stage> {
    let mut i = 0;
    while i + 1 < stages.len() {
        let name = stages[i].name.clone();
        if name != "setup" && !name.ends_with("-setup") {
            i += 1;
            continue;
        }
        let children: Vec<usize> = (i + 1..stages.len())
            .filter(|&j| stages[j].from == name)
            .collect();
        let copied = stages.iter().flat_map(|s| &s.lines).any(
            |l| matches!(&l.instruction, Instruction::Copy(c) if c.from.as_deref() == Some(name.as_str())),
        );
        if let ([child], false) = (children.as_slice(), copied) {
            let parent = stages.remove(i);
            let child = &mut stages[*child - 1];
            let mut lines = parent.lines;
            // The parent already switched to root for its setup.
            let parent_is_root = lines
                .iter()
                .any(|l| matches!(&l.instruction, Instruction::User(u) if u == "0:0"));
            lines.extend(child.lines.drain(..).filter(|l| {
                !(parent_is_root && matches!(&l.instruction, Instruction::User(u) if u == "0:0"))
            }));
            child.lines = lines;
            child.from = parent.from;
            child.platform = parent.platform;
            continue;
        }
        i += 1;
    }
    stages
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
