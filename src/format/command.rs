//! `imgspec fmt [PATH...] [--check]` and `imgspec fmt -`: formats specs in
//! place (each one written whole or not at all, and only inside its
//! project), checks them, or formats standard input to standard output.

use std::io::Read;
use std::path::{Path, PathBuf};

use crate::cli::{EXIT_INPUT, EXIT_OK, EXIT_USAGE};
use crate::diagnostic::{Code, Diagnostics};
use crate::fs::{is_spec_name, read_regular, FileError, Project, SPEC_LIMIT};
use crate::report::Reporter;
use crate::source::SourceMap;
use crate::{discover, output};

/// What `fmt` was asked to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Rewrite files that are not formatted.
    Write,
    /// Write nothing; exit 1 with a diff when a file is not formatted.
    Check,
}

/// Runs `fmt` over `paths` (files, or directories searched as `compile`
/// does; the current directory when there are none), or over standard
/// input when `stdin` is set or the only path is `-`.
pub fn run(
    paths: &[PathBuf],
    root: Option<&Path>,
    mode: Mode,
    stdin: bool,
    reporter: &mut Reporter,
) -> i32 {
    let dash = paths.iter().any(|p| p == Path::new("-"));
    if stdin || dash {
        if paths.len() > usize::from(dash) || (stdin && !paths.is_empty()) {
            reporter.error(
                Code::Usage,
                Path::new("-"),
                "standard input is formatted alone",
                "`-` or `--stdin` with other paths",
                "run `imgspec fmt -` for standard input and `imgspec fmt PATH...` for files",
            );
            return EXIT_USAGE;
        }
        return from_stdin(mode, reporter);
    }
    let (files, mut worst) = find(paths, reporter);
    let mut tally = Tally::default();
    for (file, start) in &files {
        let code = one(file, start, root, mode, reporter, &mut tally);
        worst = worst.max(code);
    }
    if !files.is_empty() {
        reporter.status(&tally.summary(mode));
    }
    worst
}

#[derive(Default)]
struct Tally {
    files: usize,
    changed: usize,
    failed: usize,
}

impl Tally {
    fn summary(&self, mode: Mode) -> String {
        let plural = |n: usize| if n == 1 { "file" } else { "files" };
        let mut line = match mode {
            Mode::Write => format!(
                "formatted {} {}: {} changed, {} unchanged",
                self.files,
                plural(self.files),
                self.changed,
                self.files - self.changed - self.failed
            ),
            Mode::Check => format!(
                "checked {} {}: {} not formatted",
                self.files,
                plural(self.files),
                self.changed
            ),
        };
        if self.failed > 0 {
            line.push_str(&format!(", {} failed", self.failed));
        }
        line
    }
}

/// The spec files to format, each with the path its project is found from.
fn find(paths: &[PathBuf], reporter: &mut Reporter) -> (Vec<(PathBuf, PathBuf)>, i32) {
    let default = [PathBuf::from(".")];
    let paths = if paths.is_empty() {
        &default[..]
    } else {
        paths
    };
    let mut files = Vec::new();
    let mut worst = EXIT_OK;
    for path in paths {
        if !path.is_dir() {
            files.push((path.clone(), path.clone()));
            continue;
        }
        let search = discover::search(path);
        for error in &search.errors {
            reporter.error(
                Code::FileIo,
                path,
                &format!("cannot search `{}`: {error}", path.display()),
                "specs below here may be missed",
                "make the directory readable, or name the specs to format",
            );
            worst = EXIT_USAGE;
        }
        files.extend(search.specs.into_iter().map(|s| (s, path.clone())));
    }
    if files.is_empty() && worst == EXIT_OK {
        let first = paths.first().map_or(Path::new("."), PathBuf::as_path);
        reporter.error(
            Code::Usage,
            first,
            "no .imgspec files found",
            "nothing to format here",
            "name a spec, or a directory that holds some",
        );
        worst = EXIT_USAGE;
    }
    (files, worst)
}

/// Formats (or checks) one file.
fn one(
    file: &Path,
    start: &Path,
    root: Option<&Path>,
    mode: Mode,
    reporter: &mut Reporter,
    tally: &mut Tally,
) -> i32 {
    tally.files += 1;
    let refuse = |reporter: &mut Reporter, code: Code, why: String, help: String| {
        reporter.error(
            code,
            file,
            &format!("cannot format `{}`: {why}", file.display()),
            "not formatted",
            &help,
        );
        EXIT_USAGE
    };
    let project = match Project::find(root, start) {
        Ok(project) => project,
        Err(e) => {
            tally.failed += 1;
            return refuse(
                reporter,
                Code::FileIo,
                e.to_string(),
                "give an existing directory with `--root`".into(),
            );
        }
    };
    // Inside the project, symlinks resolved, and a spec: nothing else is
    // read or written.
    let real = match project.resolve(file) {
        Ok(real) if is_spec_name(file) && is_spec_name(&real) => real,
        resolved => {
            let e = resolved.err().unwrap_or(FileError::NotASpec);
            tally.failed += 1;
            return refuse(reporter, e.code(), e.to_string(), e.help());
        }
    };
    let text = match read_regular(&real, SPEC_LIMIT) {
        Ok(text) => text,
        Err(e) => {
            tally.failed += 1;
            return refuse(reporter, e.code(), e.to_string(), e.help());
        }
    };
    let mut sources = SourceMap::default();
    let id = sources.add(file.display().to_string(), text.clone());
    let formatted = match super::format_file(id, &text) {
        Ok(formatted) => formatted,
        Err(diagnostics) => {
            tally.failed += 1;
            failed(file, &diagnostics, &sources, reporter);
            return EXIT_INPUT;
        }
    };
    if formatted == text {
        return EXIT_OK;
    }
    tally.changed += 1;
    match mode {
        Mode::Check => {
            let path = file.display().to_string();
            let diff = similar::TextDiff::from_lines(&text, &formatted)
                .unified_diff()
                .context_radius(3)
                .header(&format!("a/{path}"), &format!("b/{path}"))
                .to_string();
            print!("{diff}");
            reporter.status(&format!("not formatted: {path}"));
            EXIT_INPUT
        }
        Mode::Write => {
            let resolved = output::Resolved {
                path: file.to_path_buf(),
                output: 0,
                real,
                contents: formatted,
            };
            match output::write_all(std::slice::from_ref(&resolved)) {
                Ok(_) => {
                    reporter.status(&format!("formatted {}", file.display()));
                    EXIT_OK
                }
                Err(error) => {
                    tally.failed += 1;
                    tally.changed -= 1;
                    refuse(
                        reporter,
                        Code::FileIo,
                        error.error.to_string(),
                        "the file was left as it was; check its permissions and the disk".into(),
                    )
                }
            }
        }
    }
}

/// The diagnostics of a file that was not formatted, rendered as `check`
/// renders them, and the line that says so.
fn failed(file: &Path, diagnostics: &Diagnostics, sources: &SourceMap, reporter: &mut Reporter) {
    reporter.diagnostics(diagnostics, sources);
    let errors = diagnostics.error_count();
    let plural = if errors == 1 { "" } else { "s" };
    reporter.status(&format!(
        "error: could not format `{}` due to {errors} error{plural}; it was left unchanged",
        file.display()
    ));
}

fn from_stdin(mode: Mode, reporter: &mut Reporter) -> i32 {
    let mut bytes = Vec::new();
    let read = std::io::stdin()
        .lock()
        .take(SPEC_LIMIT + 1)
        .read_to_end(&mut bytes);
    let problem = match read {
        Err(e) => Some(format!("cannot read standard input: {e}")),
        Ok(_) if bytes.len() as u64 > SPEC_LIMIT => {
            Some("standard input is larger than the 1 MiB limit of a spec".to_string())
        }
        Ok(_) => None,
    };
    if let Some(problem) = problem {
        reporter.error(
            Code::FileIo,
            Path::new("-"),
            &problem,
            "standard input",
            "pipe a spec of at most 1 MiB into `imgspec fmt -`",
        );
        return EXIT_USAGE;
    }
    let text = match String::from_utf8(bytes) {
        Ok(text) => text,
        Err(_) => {
            reporter.error(
                Code::FileIo,
                Path::new("-"),
                "standard input is not valid UTF-8",
                "standard input",
                "save the file as UTF-8",
            );
            return EXIT_USAGE;
        }
    };
    let mut sources = SourceMap::default();
    let id = sources.add("<stdin>", text.clone());
    match super::format_file(id, &text) {
        Ok(formatted) => {
            if mode == Mode::Check {
                if formatted == text {
                    return EXIT_OK;
                }
                let diff = similar::TextDiff::from_lines(&text, &formatted)
                    .unified_diff()
                    .context_radius(3)
                    .header("a/<stdin>", "b/<stdin>")
                    .to_string();
                print!("{diff}");
                reporter.status("not formatted: <stdin>");
                return EXIT_INPUT;
            }
            crate::cli::print_stdout(&formatted, reporter)
        }
        Err(diagnostics) => {
            failed(Path::new("<stdin>"), &diagnostics, &sources, reporter);
            EXIT_INPUT
        }
    }
}
