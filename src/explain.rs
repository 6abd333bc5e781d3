//! `imgspec explain`: every instruction of an image with the spec lines it
//! comes from and the rule that placed it; with changed paths, which
//! instructions a rebuild would run again, computed from the IR the
//! emitter writes.

use std::fmt::Write as _;

use globset::{Glob, GlobMatcher};

use crate::compile::Output;
use crate::emit::one_line_instruction;
use crate::ir::{Instruction, Mount};
use crate::source::SourceMap;

pub fn render(output: &Output, sources: &SourceMap, changed: &[String]) -> String {
    let mut out = format!("image `{}`\n", output.image);
    let rebuilt = rebuilt_from(output, changed);
    if !changed.is_empty() {
        let _ = writeln!(out, "changed: {}", changed.join(", "));
    }
    for (stage, first_rebuilt) in output.ir.stages.iter().zip(&rebuilt) {
        let _ = write!(out, "\nstage `{}` from {}", stage.name, stage.from);
        if !changed.is_empty() {
            match first_rebuilt {
                Some(i) => {
                    let _ = write!(out, ": {} cached, {} rebuilt", i, stage.lines.len() - i);
                }
                None => out.push_str(": all cached"),
            }
        }
        out.push('\n');
        for (i, line) in stage.lines.iter().enumerate() {
            let marker = match (changed.is_empty(), first_rebuilt) {
                (true, _) => String::new(),
                (false, Some(first)) if i >= *first => "rebuilt  ".to_string(),
                (false, _) => "cached   ".to_string(),
            };
            let _ = writeln!(
                out,
                "  {marker}{}",
                one_line_instruction(&line.instruction, stage)
            );
            if changed.is_empty() {
                let mut places: Vec<String> = line
                    .spans
                    .iter()
                    .map(|span| {
                        let (l, _) = sources.line_col(span.file, span.start);
                        format!("{}:{l}", sources.file(span.file).name)
                    })
                    .collect();
                places.dedup();
                if !places.is_empty() {
                    let _ = writeln!(out, "      from: {}", places.join(", "));
                }
                for reason in &line.why {
                    let _ = writeln!(out, "      why:  {}", reason.text());
                }
            }
        }
    }
    out
}

/// For each stage, the index of the first instruction a change to
/// `changed` would run again (everything after it runs again too), or
/// `None` when the whole stage stays cached.
pub fn rebuilt_from(output: &Output, changed: &[String]) -> Vec<Option<usize>> {
    let ignored: Vec<GlobMatcher> = output
        .ir
        .ignore
        .iter()
        .filter(|p| *p != "*" && !p.starts_with('!'))
        .filter_map(|p| matcher(p))
        .collect();
    let changed: Vec<&str> = changed
        .iter()
        .map(|c| c.trim_start_matches("./"))
        .filter(|c| !ignored.iter().any(|g| g.is_match(c)))
        .collect();
    let mut rebuilt_stages: Vec<&str> = Vec::new();
    output
        .ir
        .stages
        .iter()
        .map(|stage| {
            // A stage built on a rebuilt stage is rebuilt whole.
            let first = if rebuilt_stages.contains(&stage.from.as_str()) {
                Some(0)
            } else {
                stage
                    .lines
                    .iter()
                    .position(|line| reads_changed(&line.instruction, &changed, &rebuilt_stages))
            };
            if first.is_some() {
                rebuilt_stages.push(&stage.name);
            }
            first
        })
        .collect()
}

/// Whether an instruction's inputs include a changed context path or a
/// stage that is rebuilt.
fn reads_changed(instruction: &Instruction, changed: &[&str], rebuilt_stages: &[&str]) -> bool {
    match instruction {
        Instruction::Copy(copy) => match &copy.from {
            Some(stage) => rebuilt_stages.contains(&stage.as_str()),
            None => copy
                .sources
                .iter()
                .any(|s| changed.iter().any(|c| covers(s, c))),
        },
        Instruction::Run(run) => run.mounts.iter().any(|m| match m {
            Mount::Bind { source, .. } => changed.iter().any(|c| covers(source, c)),
            _ => false,
        }),
        _ => false,
    }
}

/// The first instruction that reads the context path `path` (a COPY from
/// the context, or a bind mount), counting paths under a copied directory
/// and paths the `.dockerignore` leaves out: a generated file must never
/// land on any of them.
pub fn reader_of<'o>(output: &'o Output, path: &str) -> Option<&'o crate::ir::Line> {
    output
        .ir
        .stages
        .iter()
        .flat_map(|s| s.lines.iter())
        .find(|line| reads_changed(&line.instruction, &[path], &[]))
}

/// Whether the COPY source `source` (a file, a directory ending in `/`, or
/// a glob) includes the context path `path`.
fn covers(source: &str, path: &str) -> bool {
    let source = source.trim_start_matches("./");
    if let Some(dir) = source.strip_suffix('/') {
        return path.starts_with(&format!("{dir}/"));
    }
    if source == path || path.starts_with(&format!("{source}/")) {
        return true;
    }
    matcher(source).is_some_and(|g| g.is_match(path))
}

fn matcher(pattern: &str) -> Option<GlobMatcher> {
    Glob::new(pattern).ok().map(|g| g.compile_matcher())
}
