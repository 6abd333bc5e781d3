//! The command line: parses arguments, calls [`crate::compile`], prints
//! diagnostics and writes files. Exit codes: 0 success (warnings allowed),
//! 1 errors in the input (or stale files with `--check`), 2 usage or I/O
//! errors. With several specs the worst result wins.

use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};

use clap::{CommandFactory, Parser, Subcommand, ValueEnum};

use crate::compile::{compile, Compilation, Options, Output};
use crate::diagnostic::{render_human, render_json, render_sarif, Code, ColorChoice};
use crate::frontend::Frontend;
use crate::loader::FsLoader;
use crate::{bake, discover, explain, output};

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
    /// Compile specs into a Dockerfile and a .dockerignore per image.
    Compile {
        /// .imgspec files, or directories to search (default: the current
        /// directory, honouring .gitignore).
        paths: Vec<PathBuf>,
        /// Where to write (one spec only): a Dockerfile path, a directory
        /// (ending in `/`, or for several images), or `-` for standard
        /// output. Default: where the spec says, else next to the spec.
        #[arg(short, long, value_name = "PATH|-")]
        output: Option<PathBuf>,
        /// Compile only this image.
        #[arg(long, value_name = "NAME")]
        image: Option<String>,
        /// Write nothing; exit 1 with a diff if any generated file on disk
        /// differs from what the specs produce.
        #[arg(long)]
        check: bool,
        /// What to produce: Dockerfiles, or the IR as JSON on standard output.
        #[arg(long, value_enum, default_value_t = Emit::Dockerfile)]
        emit: Emit,
        #[command(flatten)]
        target: Target,
        #[command(flatten)]
        report: Report,
    },
    /// Type-check specs without writing anything.
    Check {
        /// .imgspec files or directories (default: the current directory).
        paths: Vec<PathBuf>,
        #[command(flatten)]
        report: Report,
    },
    /// Show each instruction with the spec line and the rule behind it, or
    /// with --changed, what a change to some files would rebuild (every
    /// image of the file, or the one --image names).
    Explain {
        file: PathBuf,
        #[arg(long, value_name = "NAME")]
        image: Option<String>,
        /// Context paths that changed, e.g. `src/app.py requirements.txt`.
        #[arg(long, value_name = "PATH", num_args = 1..)]
        changed: Vec<String>,
        #[command(flatten)]
        target: Target,
        #[command(flatten)]
        report: Report,
    },
    /// Write a `docker buildx bake` file (JSON) with a target per image.
    Bake {
        /// .imgspec files or directories (default: the current directory).
        paths: Vec<PathBuf>,
        /// Where to write the bake file, or `-` for standard output.
        #[arg(short, long, value_name = "PATH|-", default_value = "docker-bake.json")]
        output: PathBuf,
        #[command(flatten)]
        report: Report,
    },
    /// Print a shell completion script.
    Completions { shell: clap_complete::Shell },
}

#[derive(clap::Args, Debug)]
struct Target {
    /// Dockerfile frontend: `1.N` (from 1.2) for the `# syntax=` line, or
    /// `none`. Overrides the spec's `syntax`; the default is the builder's
    /// built-in frontend (no `# syntax=` line).
    #[arg(long, value_name = "VERSION|none", value_parser = Frontend::parse)]
    syntax: Option<Frontend>,
}

#[derive(clap::Args, Debug)]
struct Report {
    /// How to print diagnostics (on standard error).
    #[arg(long, value_enum, default_value_t = MessageFormat::Human)]
    message_format: MessageFormat,
    /// Colour in diagnostics: auto is on for terminals unless NO_COLOR is set.
    #[arg(long, value_enum, default_value_t = ColorArg::Auto)]
    color: ColorArg,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Emit {
    Dockerfile,
    IrJson,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum MessageFormat {
    Human,
    Json,
    Sarif,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum ColorArg {
    Auto,
    Always,
    Never,
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
            paths,
            output,
            image,
            check,
            emit,
            target,
            report,
        } => {
            let single_file = paths.len() == 1 && !paths[0].is_dir();
            if output.is_some() && !single_file {
                eprintln!(
                    "error: `-o` takes one spec file; without it, each spec's files go next to it"
                );
                return EXIT_USAGE;
            }
            let options = Options {
                frontend: target.syntax,
            };
            let request = CompileRequest {
                output: output.as_deref(),
                image: image.as_deref(),
                check,
                emit,
                planned: Default::default(),
            };
            with_specs(&paths, &options, &report, |spec, c| {
                compile_one(spec, c, &request)
            })
        }
        Command::Check { paths, report } => {
            with_specs(&paths, &Options::default(), &report, |_, _| EXIT_OK)
        }
        Command::Explain {
            file,
            image,
            changed,
            target,
            report,
        } => {
            let options = Options {
                frontend: target.syntax,
            };
            with_specs(
                std::slice::from_ref(&file),
                &options,
                &report,
                |spec, c| match select(spec, c, image.as_deref(), false) {
                    Ok(outputs) => {
                        let reports: Vec<String> = outputs
                            .iter()
                            .map(|o| explain::render(o, &c.sources, &changed))
                            .collect();
                        print_stdout(&reports.join("\n"))
                    }
                    Err(code) => code,
                },
            )
        }
        Command::Bake {
            paths,
            output,
            report,
        } => bake_command(&paths, &output, &report),
        Command::Completions { shell } => {
            clap_complete::generate(
                shell,
                &mut Cli::command(),
                "imgspec",
                &mut std::io::stdout(),
            );
            EXIT_OK
        }
    }
}

struct CompileRequest<'a> {
    output: Option<&'a Path>,
    image: Option<&'a str>,
    check: bool,
    emit: Emit,
    /// Files planned by the specs compiled so far, and which spec planned
    /// each: two specs must not write one file.
    planned: std::cell::RefCell<std::collections::HashMap<PathBuf, PathBuf>>,
}

/// The spec files named by `paths`: files as given, directories searched.
fn spec_files(paths: &[PathBuf]) -> Result<(Vec<PathBuf>, bool), String> {
    let default = [PathBuf::from(".")];
    let paths = if paths.is_empty() {
        &default[..]
    } else {
        paths
    };
    let mut files = Vec::new();
    let mut searched = false;
    for path in paths {
        if path.is_dir() {
            searched = true;
            files.extend(discover::specs(path)?);
        } else {
            files.push(path.clone());
        }
    }
    Ok((files, searched))
}

/// Compiles every spec, prints its diagnostics, and hands each successful
/// compilation to `then`. One failing spec does not stop the others.
fn with_specs(
    paths: &[PathBuf],
    options: &Options,
    report: &Report,
    mut then: impl FnMut(&Path, &Compilation) -> i32,
) -> i32 {
    let (files, searched) = match spec_files(paths) {
        Ok(found) => found,
        Err(error) => {
            eprintln!("error: {error}");
            return EXIT_USAGE;
        }
    };
    if files.is_empty() {
        eprintln!("error: no .imgspec files found");
        return EXIT_USAGE;
    }
    let mut worst = EXIT_OK;
    let mut compilations: Vec<Compilation> = Vec::new();
    for file in &files {
        let compilation = match compile(&FsLoader, file, options) {
            Ok(c) => c,
            Err(error) => {
                eprintln!("error: cannot read `{}`: {error}", file.display());
                worst = worst.max(EXIT_USAGE);
                continue;
            }
        };
        // A searched directory holds template modules too: files without
        // images are imported by others, not compiled.
        let only_no_images = compilation
            .diagnostics
            .sorted()
            .iter()
            .all(|d| d.code == Code::NoImages)
            && !compilation.diagnostics.is_empty();
        if searched && only_no_images {
            continue;
        }
        print_diagnostics(&compilation, file, report);
        let code = if compilation.diagnostics.has_errors() {
            EXIT_INPUT
        } else {
            then(file, &compilation)
        };
        worst = worst.max(code);
        compilations.push(compilation);
    }
    if report.message_format == MessageFormat::Sarif {
        let runs: Vec<_> = compilations
            .iter()
            .map(|c| (&c.diagnostics, &c.sources))
            .collect();
        let _ = std::io::stderr().write_all(render_sarif(&runs).as_bytes());
    }
    worst
}

fn print_diagnostics(compilation: &Compilation, file: &Path, report: &Report) {
    let diagnostics = &compilation.diagnostics;
    let mut stderr = std::io::stderr().lock();
    match report.message_format {
        MessageFormat::Sarif => {}
        MessageFormat::Json => {
            let _ = stderr.write_all(render_json(diagnostics, &compilation.sources).as_bytes());
        }
        MessageFormat::Human => {
            let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
            let color = match report.color {
                ColorArg::Always => ColorChoice::Always,
                ColorArg::Never => ColorChoice::Never,
                ColorArg::Auto if !no_color && std::io::stderr().is_terminal() => {
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

/// The outputs `--image` selects; `single` demands exactly one.
fn select<'c>(
    spec: &Path,
    c: &'c Compilation,
    image: Option<&str>,
    single: bool,
) -> Result<Vec<&'c Output>, i32> {
    let mut outputs: Vec<&Output> = c.outputs.iter().collect();
    if let Some(name) = image {
        outputs.retain(|o| o.image == name);
        if outputs.is_empty() {
            let names: Vec<&str> = c.outputs.iter().map(|o| o.image.as_str()).collect();
            let hint = crate::suggest::help(name, names.iter().copied(), "images in this file");
            eprintln!(
                "error: `{}` has no image `{name}`\n  = help: {hint}",
                spec.display()
            );
            return Err(EXIT_USAGE);
        }
    }
    if single && outputs.len() > 1 {
        let names: Vec<&str> = outputs.iter().map(|o| o.image.as_str()).collect();
        eprintln!(
            "error: `{}` has {} images; this takes one\n  = help: add `--image NAME` (one of: {})",
            spec.display(),
            outputs.len(),
            names.join(", ")
        );
        return Err(EXIT_USAGE);
    }
    Ok(outputs)
}

fn print_stdout(text: &str) -> i32 {
    match std::io::stdout().lock().write_all(text.as_bytes()) {
        Ok(()) => EXIT_OK,
        Err(_) => EXIT_USAGE,
    }
}

fn compile_one(spec: &Path, c: &Compilation, request: &CompileRequest) -> i32 {
    let to_stdout = request.output == Some(Path::new("-"));
    let outputs = match select(spec, c, request.image, to_stdout) {
        Ok(outputs) => outputs,
        Err(code) => return code,
    };
    if request.emit == Emit::IrJson {
        let irs: Vec<_> = outputs.iter().map(|o| &o.ir).collect();
        let json = serde_json::to_string_pretty(&irs).unwrap_or_default();
        return print_stdout(&(json + "\n"));
    }
    if to_stdout {
        return print_stdout(&outputs[0].dockerfile);
    }
    let files = output::plan(spec, request.output, &outputs);
    if let Some(clash) = files
        .iter()
        .enumerate()
        .find(|(i, f)| files[..*i].iter().any(|g| g.path == f.path))
    {
        eprintln!(
            "error: two images of `{}` would write `{}`\n  = help: give each image its own `output = \"...\"`",
            spec.display(),
            clash.1.path.display()
        );
        return EXIT_USAGE;
    }
    let mut planned = request.planned.borrow_mut();
    if let Some((path, other)) = files
        .iter()
        .find_map(|f| planned.get(&f.path).map(|o| (&f.path, o)))
    {
        eprintln!(
            "error: `{}` and `{}` would both write `{}`\n  = help: give one of them `output = \"NAME.Dockerfile\"`",
            other.display(),
            spec.display(),
            path.display()
        );
        return EXIT_USAGE;
    }
    planned.extend(files.iter().map(|f| (f.path.clone(), spec.to_path_buf())));
    drop(planned);
    if request.check {
        let diffs = output::stale(&files);
        for diff in &diffs {
            print!("{diff}");
        }
        if diffs.is_empty() {
            return EXIT_OK;
        }
        eprintln!(
            "error: {} generated file(s) of `{}` are out of date\n  = help: run `imgspec compile {}` and commit the result",
            diffs.len(),
            spec.display(),
            spec.display()
        );
        return EXIT_INPUT;
    }
    match output::write_all(&files) {
        Ok(written) => {
            for file in &written {
                eprintln!("wrote {}", file.path.display());
            }
            if written.len() < files.len() {
                eprintln!(
                    "{} of {} files already up to date",
                    files.len() - written.len(),
                    files.len()
                );
            }
            EXIT_OK
        }
        Err(error) => {
            eprintln!("error: {error}");
            EXIT_USAGE
        }
    }
}

fn bake_command(paths: &[PathBuf], output: &Path, report: &Report) -> i32 {
    let mut targets = Vec::new();
    let code = with_specs(paths, &Options::default(), report, |spec, c| {
        targets.extend(bake::targets(spec, c));
        EXIT_OK
    });
    if code != EXIT_OK {
        return code;
    }
    let text = bake::render(&targets);
    if output == Path::new("-") {
        return print_stdout(&text);
    }
    let file = output::PlannedFile {
        path: output.to_path_buf(),
        contents: text,
    };
    match output::write_all(std::slice::from_ref(&file)) {
        Ok(written) => {
            let state = if written.is_empty() {
                "is up to date"
            } else {
                "written"
            };
            eprintln!("{} {state}", output.display());
            EXIT_OK
        }
        Err(error) => {
            eprintln!("error: {error}");
            EXIT_USAGE
        }
    }
}
