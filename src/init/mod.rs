//! `imgspec init [DIR]`: reads a project tree and writes a spec for it
//! that compiles. [`detect`] finds the ecosystems at the root,
//! [`framework`] the command and port, [`native`] the system packages of
//! native dependencies, [`plan`] turns that into a [`write::Spec`], and
//! [`write`] into text. Every decision is printed on standard error, one
//! line each; a guess is also a `// imgspec init:` note in the spec.

pub mod detect;
pub mod framework;
pub mod native;
pub mod plan;
pub mod tree;
pub mod write;

use std::io::{BufRead, IsTerminal, Write as _};
use std::path::{Path, PathBuf};

use crate::cli::{EXIT_INPUT, EXIT_OK, EXIT_USAGE};
use crate::diagnostic::{Code, Diagnostic};
use crate::fs::Project;
use crate::report::Reporter;

/// The name `init` writes, as the examples name their specs.
pub const SPEC_NAME: &str = "service.imgspec";

/// The questions `--interactive` asks; without it none is asked and the
/// answer is a guess, noted in the spec.
pub trait Ask {
    /// The index of the chosen candidate.
    fn choose(&mut self, question: &str, candidates: &[String]) -> Option<usize>;
    fn port(&mut self, question: &str) -> Option<u16>;
}

/// Asks nothing.
pub struct NoQuestions;

impl Ask for NoQuestions {
    fn choose(&mut self, _: &str, _: &[String]) -> Option<usize> {
        None
    }
    fn port(&mut self, _: &str) -> Option<u16> {
        None
    }
}

/// Asks on the terminal: the question on standard error, the answer from
/// standard input; an empty or unreadable answer keeps the guess.
pub struct Terminal;

impl Terminal {
    fn line(&mut self, prompt: &str) -> Option<String> {
        eprint!("{prompt} ");
        let _ = std::io::stderr().flush();
        let mut answer = String::new();
        std::io::stdin().lock().read_line(&mut answer).ok()?;
        let answer = answer.trim().to_string();
        (!answer.is_empty()).then_some(answer)
    }
}

impl Ask for Terminal {
    fn choose(&mut self, question: &str, candidates: &[String]) -> Option<usize> {
        eprintln!("{question}");
        for (i, c) in candidates.iter().enumerate() {
            eprintln!("  {}) {c}", i + 1);
        }
        let answer = self.line(&format!("[1-{}, Enter for 1]", candidates.len()))?;
        let n: usize = answer.parse().ok()?;
        (1..=candidates.len()).contains(&n).then(|| n - 1)
    }

    fn port(&mut self, question: &str) -> Option<u16> {
        self.line(&format!("{question} [Enter to guess]"))?
            .parse()
            .ok()
    }
}

/// What `init` made of a directory.
#[derive(Debug)]
pub struct Generated {
    pub text: String,
    /// One line per decision.
    pub decisions: Vec<String>,
    /// Several ecosystems at the root: each with its files, the chosen first.
    pub ambiguous: Vec<String>,
    /// Lock files the install needs that the project lacks.
    pub missing_locks: Vec<&'static str>,
}

/// Why nothing was generated.
#[derive(Debug)]
pub struct Unrecognised {
    /// Lock files found without the manifest they belong to.
    pub orphans: Vec<(String, &'static str)>,
}

/// The spec for the project at `dir`.
pub fn generate(dir: &Path, ask: &mut dyn Ask) -> Result<Generated, Unrecognised> {
    let tree = tree::Tree::new(dir);
    let probe = detect::probe(&tree);
    let Some(first) = probe.found.first().cloned() else {
        return Err(Unrecognised {
            orphans: probe.orphans,
        });
    };
    let mut families: Vec<&str> = Vec::new();
    let mut ambiguous = Vec::new();
    for found in &probe.found {
        if !families.contains(&found.kind.family()) {
            families.push(found.kind.family());
            ambiguous.push(format!(
                "{} ({})",
                found.kind.family(),
                found.evidence.first().map_or("", String::as_str)
            ));
        }
    }
    if ambiguous.len() < 2 {
        ambiguous.clear();
    }
    let dir_name = std::fs::canonicalize(dir)
        .ok()
        .and_then(|d| d.file_name().map(|n| n.to_string_lossy().into_owned()))
        .unwrap_or_default();
    let mut ctx = plan::Ctx {
        tree: &tree,
        decisions: Vec::new(),
        ask,
        dir_name,
    };
    let spec = plan::plan(&mut ctx, &first);
    let mut header = vec![format!(
        "Written by `imgspec init` ({}): review it, then compile.",
        first.kind.name()
    )];
    if !ambiguous.is_empty() {
        header.push(format!(
            "imgspec init: several ecosystems at the root ({}); this spec is for the first.",
            ambiguous.join(", ")
        ));
    }
    if let Some(lock) = first.missing_lock {
        header.push(format!(
            "imgspec init: {lock} is missing; the install needs it, so create and commit it."
        ));
    }
    let text = spec.render(&header);
    Ok(Generated {
        text,
        decisions: ctx.decisions,
        ambiguous,
        missing_locks: first.missing_lock.into_iter().collect(),
    })
}

/// `imgspec init`: the exit code.
pub fn command(
    root: Option<&Path>,
    dir: &Path,
    force: bool,
    output: Option<&Path>,
    interactive: bool,
    reporter: &mut Reporter,
) -> i32 {
    if !dir.is_dir() {
        reporter.error(
            Code::FileIo,
            dir,
            &format!("cannot read `{}`: not a directory", dir.display()),
            "the project directory",
            "name the directory that holds the project, or run `imgspec init` inside it",
        );
        return EXIT_USAGE;
    }
    if interactive && !std::io::stdin().is_terminal() {
        reporter.error(
            Code::InitNeedsTerminal,
            dir,
            "`--interactive` needs a terminal on standard input",
            "standard input is not a terminal",
            "run it in a terminal, or without `--interactive`: every guess is then noted in the spec with `// imgspec init:`",
        );
        return EXIT_USAGE;
    }
    let to_stdout = output == Some(Path::new("-"));
    let spec_path = match output.filter(|_| !to_stdout) {
        Some(path) => path.to_path_buf(),
        None => dir.join(SPEC_NAME),
    };
    if !to_stdout && !force && std::fs::symlink_metadata(&spec_path).is_ok() {
        reporter.error(
            Code::InitSpecExists,
            &spec_path,
            &format!("`{}` already exists", spec_path.display()),
            "not overwritten",
            "add `--force` to replace it, or `-o -` to print the new spec instead",
        );
        return EXIT_USAGE;
    }
    let mut terminal = Terminal;
    let mut none = NoQuestions;
    let ask: &mut dyn Ask = if interactive {
        &mut terminal
    } else {
        &mut none
    };
    let generated = match generate(dir, ask) {
        Ok(g) => g,
        Err(unrecognised) => {
            let mut message = format!("nothing in `{}` that imgspec recognises", dir.display());
            if let Some((lock, manifest)) = unrecognised.orphans.first() {
                message = format!("{message}: `{lock}` is there without `{manifest}`");
            }
            reporter.error(
                Code::InitNothingRecognised,
                dir,
                &message,
                "no manifest at the top of the directory",
                &format!(
                    "looked for {}; run `imgspec init` in the application's own directory",
                    detect::LOOKED_FOR
                ),
            );
            return EXIT_INPUT;
        }
    };
    for line in &generated.decisions {
        reporter.status(&format!("detected {line}"));
    }
    if !generated.ambiguous.is_empty() {
        let chosen = generated.ambiguous[0].clone();
        reporter.file_problem(dir, |span| {
            Diagnostic::warning(
                Code::InitAmbiguous,
                span,
                format!(
                    "several ecosystems at the root: {}",
                    generated.ambiguous.join(", ")
                ),
            )
            .label(format!("the spec is for {chosen}"))
            .help("run `imgspec init DIR` in each application's own directory, or edit the spec")
        });
    }
    for lock in &generated.missing_locks {
        reporter.file_problem(dir, |span| {
            Diagnostic::warning(
                Code::InitMissingLock,
                span,
                format!("`{lock}` is missing; the spec's install needs it"),
            )
            .label("the manifest has no lock file")
            .help("create it with the package manager and commit it; until then the spec does not compile (E0122)")
        });
    }
    if to_stdout {
        return crate::cli::print_stdout(&generated.text, reporter);
    }
    write_spec(root, &spec_path, generated.text, reporter)
}

/// The spec written atomically, inside the project only.
fn write_spec(root: Option<&Path>, path: &Path, text: String, reporter: &mut Reporter) -> i32 {
    let start = path
        .parent()
        .map_or_else(|| PathBuf::from("."), Path::to_path_buf);
    let refuse = |reporter: &mut Reporter, code: Code, why: String, help: String| {
        reporter.error(
            code,
            path,
            &format!("cannot write `{}`: {why}", path.display()),
            "the spec",
            &help,
        );
        EXIT_USAGE
    };
    let project = match Project::find(root, &start) {
        Ok(project) => project,
        Err(e) => {
            return refuse(
                reporter,
                Code::FileIo,
                e.to_string(),
                "give an existing directory with `--root`".into(),
            )
        }
    };
    let real = match crate::output::writable(&project, path) {
        Ok(real) => real,
        Err(e) => return refuse(reporter, e.code(), e.to_string(), e.help()),
    };
    match crate::output::write_one(path, real, text) {
        Ok(_) => {
            reporter.status(&format!(
                "wrote {}; compile it with `imgspec compile {}`",
                path.display(),
                path.display()
            ));
            EXIT_OK
        }
        Err(error) => refuse(
            reporter,
            Code::FileIo,
            error.error.to_string(),
            "check the directory's permissions and the disk".into(),
        ),
    }
}
