//! The command line: parses arguments, calls [`crate::compile`], prints
//! diagnostics and writes files. Exit codes: 0 success (warnings allowed),
//! 1 errors in the input, 2 usage or I/O errors.

use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};

use clap::{Parser, Subcommand, ValueEnum};

use crate::compile::{compile, Compilation, Options, Output};
use crate::diagnostic::{render_human, render_json, ColorChoice};
use crate::emit::Frontend;
use crate::loader::FsLoader;

#[derive(Parser, Debug)]
#[command(
    name = "imgspec",
    version,
    about = "Compile .imgspec files into optimal, non-root, multi-stage Dockerfiles"
)]
pub struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Compile a spec into a Dockerfile and a .dockerignore per image.
    Compile {
        /// The .imgspec file.
        file: PathBuf,
        /// Where to write: a Dockerfile path, a directory (ending in `/`, or
        /// for several images), or `-` for standard output. Default: next to
        /// the spec. Each Dockerfile gets a `<Dockerfile>.dockerignore`.
        #[arg(short, long, value_name = "PATH|-")]
        output: Option<PathBuf>,
        /// Compile only this image of the file.
        #[arg(long, value_name = "NAME")]
        image: Option<String>,
        /// Dockerfile frontend for the `# syntax=` line, e.g. `1.7`, or `none`.
        #[arg(long, value_name = "VERSION|none", default_value = "1.7", value_parser = parse_syntax)]
        syntax: SyntaxArg,
        #[command(flatten)]
        report: Report,
    },
    /// Type-check specs without writing anything.
    Check {
        #[arg(required = true)]
        files: Vec<PathBuf>,
        #[command(flatten)]
        report: Report,
    },
}

#[derive(clap::Args, Debug)]
struct Report {
    /// How to print diagnostics.
    #[arg(long, value_enum, default_value_t = MessageFormat::Human)]
    message_format: MessageFormat,
    /// Colour in diagnostics: auto is on for terminals unless NO_COLOR is set.
    #[arg(long, value_enum, default_value_t = ColorArg::Auto)]
    color: ColorArg,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum MessageFormat {
    Human,
    Json,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum ColorArg {
    Auto,
    Always,
    Never,
}

#[derive(Debug, Clone)]
struct SyntaxArg(Option<String>);

fn parse_syntax(text: &str) -> Result<SyntaxArg, String> {
    if text == "none" {
        return Ok(SyntaxArg(None));
    }
    let parts: Vec<&str> = text.split('.').collect();
    let numeric = parts
        .iter()
        .all(|p| !p.is_empty() && p.chars().all(|c| c.is_ascii_digit()));
    let minor: u32 = parts
        .get(1)
        .and_then(|m| m.parse().ok())
        .unwrap_or(u32::MAX);
    if !numeric || parts.len() > 3 || parts[0] != "1" || (parts.len() > 1 && minor < 4) {
        return Err("expected `none` or a frontend version 1.4 or newer, e.g. `1.7` or `1`".into());
    }
    Ok(SyntaxArg(Some(format!("docker/dockerfile:{text}"))))
}

pub const EXIT_OK: i32 = 0;
pub const EXIT_INPUT: i32 = 1;
pub const EXIT_USAGE: i32 = 2;

/// Runs the command line and returns the process exit code.
pub fn run(args: impl IntoIterator<Item = std::ffi::OsString>) -> i32 {
    let cli = match Cli::try_parse_from(args) {
        Ok(cli) => cli,
        Err(error) => {
            let _ = error.print();
            return if error.use_stderr() {
                EXIT_USAGE
            } else {
                EXIT_OK
            };
        }
    };
    match cli.command {
        Command::Compile {
            file,
            output,
            image,
            syntax,
            report,
        } => {
            let options = Options {
                frontend: Frontend { syntax: syntax.0 },
            };
            compile_command(
                &file,
                output.as_deref(),
                image.as_deref(),
                &options,
                &report,
            )
        }
        Command::Check { files, report } => {
            let mut worst = EXIT_OK;
            for file in &files {
                let code = match load(file, &Options::default(), &report) {
                    Ok(_) => EXIT_OK,
                    Err(code) => code,
                };
                worst = worst.max(code);
            }
            worst
        }
    }
}

/// Compiles and prints diagnostics; `Err(exit code)` when nothing may be written.
fn load(file: &Path, options: &Options, report: &Report) -> Result<Compilation, i32> {
    let compilation = match compile(&FsLoader, file, options) {
        Ok(c) => c,
        Err(error) => {
            eprintln!("error: cannot read `{}`: {error}", file.display());
            return Err(EXIT_USAGE);
        }
    };
    print_diagnostics(&compilation, file, report);
    if compilation.diagnostics.has_errors() {
        return Err(EXIT_INPUT);
    }
    Ok(compilation)
}

fn print_diagnostics(compilation: &Compilation, file: &Path, report: &Report) {
    let diagnostics = &compilation.diagnostics;
    let mut stderr = std::io::stderr().lock();
    match report.message_format {
        MessageFormat::Json => {
            let _ = stderr.write_all(render_json(diagnostics, &compilation.sources).as_bytes());
        }
        MessageFormat::Human => {
            let color = match report.color {
                ColorArg::Always => ColorChoice::Always,
                ColorArg::Never => ColorChoice::Never,
                ColorArg::Auto
                    if std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
                        && std::io::stderr().is_terminal() =>
                {
                    ColorChoice::Always
                }
                ColorArg::Auto => ColorChoice::Never,
            };
            let _ = stderr.write_all(&render_human(diagnostics, &compilation.sources, color));
            let errors = diagnostics.error_count();
            if errors > 0 {
                let plural = if errors == 1 { "" } else { "s" };
                let _ = writeln!(
                    stderr,
                    "error: could not compile `{}` due to {errors} error{plural}",
                    file.display()
                );
            }
        }
    }
}

fn compile_command(
    file: &Path,
    output: Option<&Path>,
    image: Option<&str>,
    options: &Options,
    report: &Report,
) -> i32 {
    let compilation = match load(file, options, report) {
        Ok(c) => c,
        Err(code) => return code,
    };
    let mut outputs: Vec<&Output> = compilation.outputs.iter().collect();
    if let Some(name) = image {
        outputs.retain(|o| o.image == name);
        if outputs.is_empty() {
            let names: Vec<&str> = compilation
                .outputs
                .iter()
                .map(|o| o.image.as_str())
                .collect();
            let hint = crate::suggest::help(name, names.iter().copied(), "images in this file");
            eprintln!(
                "error: `{}` has no image `{name}`\n  = help: {hint}",
                file.display()
            );
            return EXIT_USAGE;
        }
    }
    if output == Some(Path::new("-")) {
        if outputs.len() > 1 {
            let names: Vec<&str> = outputs.iter().map(|o| o.image.as_str()).collect();
            eprintln!(
                "error: `{}` has {} images; standard output takes one\n  = help: add `--image NAME` (one of: {})",
                file.display(),
                outputs.len(),
                names.join(", ")
            );
            return EXIT_USAGE;
        }
        let mut stdout = std::io::stdout().lock();
        for o in outputs {
            if stdout.write_all(o.dockerfile.as_bytes()).is_err() {
                return EXIT_USAGE;
            }
        }
        return EXIT_OK;
    }
    let planned = plan_files(file, output, &outputs);
    match write_all(&planned) {
        Ok(()) => {
            for (path, _) in planned.iter().step_by(2) {
                eprintln!("wrote {}", path.display());
            }
            EXIT_OK
        }
        Err(error) => {
            eprintln!("error: {error}");
            EXIT_USAGE
        }
    }
}

/// Where each Dockerfile goes; its ignore file is always `<Dockerfile>.dockerignore`,
/// which BuildKit reads in preference to the context's `.dockerignore`.
fn plan_files(spec: &Path, output: Option<&Path>, outputs: &[&Output]) -> Vec<(PathBuf, String)> {
    let spec_dir = spec.parent().map(Path::to_path_buf).unwrap_or_default();
    let several = outputs.len() > 1;
    // `-o PATH` names the Dockerfile, unless PATH is a directory (or ends in
    // `/`), or there are several images: then files go into it.
    let (dir, file) = match output {
        Some(path)
            if several || path.is_dir() || path.as_os_str().to_string_lossy().ends_with('/') =>
        {
            (path.to_path_buf(), None)
        }
        Some(path) => (PathBuf::new(), Some(path.to_path_buf())),
        None => (spec_dir, None),
    };
    let mut files = Vec::new();
    for o in outputs {
        let dockerfile = match (&file, several) {
            (Some(path), _) => path.clone(),
            (None, true) => dir.join(format!("{}.Dockerfile", o.image)),
            (None, false) => dir.join("Dockerfile"),
        };
        let mut ignore = dockerfile.clone().into_os_string();
        ignore.push(".dockerignore");
        files.push((dockerfile, o.dockerfile.clone()));
        files.push((PathBuf::from(ignore), o.dockerignore.clone()));
    }
    files
}

/// Writes every file to a temporary sibling first and renames only when all
/// are written, so a failure never leaves a half-written output.
fn write_all(files: &[(PathBuf, String)]) -> Result<(), String> {
    let mut temps = Vec::new();
    let cleanup = |temps: &[PathBuf]| {
        for t in temps {
            let _ = std::fs::remove_file(t);
        }
    };
    for (path, text) in files {
        if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
            if let Err(e) = std::fs::create_dir_all(parent) {
                cleanup(&temps);
                return Err(format!("cannot create `{}`: {e}", parent.display()));
            }
        }
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let temp = path.with_file_name(format!(".{name}.imgspec-{}.tmp", std::process::id()));
        if let Err(e) = std::fs::write(&temp, text) {
            cleanup(&temps);
            let _ = std::fs::remove_file(&temp);
            return Err(format!("cannot write `{}`: {e}", path.display()));
        }
        temps.push(temp);
    }
    for ((path, _), temp) in files.iter().zip(&temps) {
        if let Err(e) = std::fs::rename(temp, path) {
            cleanup(&temps);
            return Err(format!("cannot write `{}`: {e}", path.display()));
        }
    }
    Ok(())
}
