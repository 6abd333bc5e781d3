//! The command line: parses arguments, calls [`crate::compile`], prints
//! diagnostics and writes files. Exit codes: 0 success (warnings allowed),
//! 1 errors in the input (or stale files with `--check`), 2 usage or I/O
//! errors. With several specs the worst result wins.

use std::io::Write;
use std::path::{Path, PathBuf};

use clap::{CommandFactory, Parser, Subcommand, ValueEnum};

use crate::compile::{compile, Compilation, Options, Output};
use crate::diagnostic::{Code, Diagnostic, Diagnostics};
use crate::frontend::Frontend;
use crate::fs::Project;
use crate::loader::FsLoader;
use crate::report::{ColorArg, MessageFormat, Reporter};
use crate::{bake, discover, explain, output};

#[derive(Parser, Debug)]
#[command(
    name = "imgspec",
    version,
    about = "Compile .imgspec files into optimal, non-root, multi-stage Dockerfiles"
)]
pub struct Cli {
    /// The project: imports are read and files written only inside it.
    /// Default: the repository holding the spec (the nearest directory
    /// above it with `.git`), else the current directory (or the spec's
    /// own directory when it lies outside that).
    #[arg(long, global = true, value_name = "DIR")]
    root: Option<PathBuf>,
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
        /// Name every file, the unchanged ones too (by default: the written
        /// ones, then a summary).
        #[arg(short, long)]
        verbose: bool,
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
    /// Resolve every image reference the specs use to a digest and write
    /// them to the project's imgspec.lock; `compile` then pins them.
    Lock {
        /// .imgspec files or directories (default: the current directory).
        paths: Vec<PathBuf>,
        /// Write nothing and use no network: exit 1 when a reference has no
        /// entry, or an entry no spec uses (for CI).
        #[arg(long)]
        check: bool,
        /// With `--check`: also ask the registries, and fail when a locked
        /// tag now names another digest.
        #[arg(long, requires = "check")]
        remote: bool,
        #[command(flatten)]
        registry: RegistryArgs,
        #[command(flatten)]
        report: Report,
    },
    /// Move locked tags to the digests their registries serve now, and
    /// print what changed.
    Update {
        /// References to update, as the specs write them (default: all).
        references: Vec<String>,
        /// Where the specs are (default: the current directory).
        #[arg(long = "specs", value_name = "PATH")]
        paths: Vec<PathBuf>,
        #[command(flatten)]
        registry: RegistryArgs,
        #[command(flatten)]
        report: Report,
    },
    /// Read a project tree and write a spec for it (`service.imgspec`),
    /// printing each decision; guesses are noted in the spec.
    Init {
        /// The project's directory.
        #[arg(default_value = ".")]
        dir: PathBuf,
        /// Replace an existing spec.
        #[arg(long)]
        force: bool,
        /// Where to write the spec, or `-` for standard output.
        #[arg(short, long, value_name = "PATH|-")]
        output: Option<PathBuf>,
        /// Ask what cannot be decided (needs a terminal).
        #[arg(long)]
        interactive: bool,
        #[command(flatten)]
        report: Report,
    },
    /// Rewrite specs in the canonical layout (docs/fmt.md), or with
    /// --check, exit 1 with a diff for every spec that is not in it.
    Fmt {
        /// .imgspec files or directories (default: the current directory,
        /// honouring .gitignore); `-` reads standard input and prints the
        /// formatted text on standard output.
        paths: Vec<PathBuf>,
        /// Write nothing; exit 1 naming (and showing the diff of) every
        /// spec that is not formatted.
        #[arg(long)]
        check: bool,
        /// Format standard input to standard output (as `-`).
        #[arg(long)]
        stdin: bool,
        #[command(flatten)]
        report: Report,
    },
    /// Print a shell completion script.
    Completions { shell: clap_complete::Shell },
    /// Write a starting spec from an existing Dockerfile (on standard
    /// output, or with `-o` to a file).
    Import {
        #[command(flatten)]
        args: crate::import::Args,
        #[command(flatten)]
        report: Report,
    },
    /// Run the language server (JSON-RPC over standard input and output)
    /// for editors: diagnostics, completion, hover, go to definition and a
    /// preview of the Dockerfiles. See docs/editor.md.
    Lsp,
}

#[derive(clap::Args, Debug)]
struct RegistryArgs {
    /// Seconds each registry request may take.
    #[arg(long, value_name = "SECONDS", default_value_t = 20)]
    timeout: u64,
    /// Attempts after the first, on a timeout, 429 or 5xx (with backoff).
    #[arg(long, value_name = "N", default_value_t = 3)]
    retries: u32,
    /// Speak plain HTTP to this registry (`host:port`), as Docker's
    /// insecure-registries; repeatable.
    #[arg(long = "insecure-registry", value_name = "HOST")]
    insecure: Vec<String>,
    /// Where private registry CAs are: one directory per registry holding
    /// `*.crt`, as Docker's certs.d.
    #[arg(long, value_name = "DIR", default_value = "/etc/docker/certs.d")]
    certs_dir: PathBuf,
    /// The Python Package Index that tools from `pypi_tool(...)` are looked up
    /// in (a mirror's root, serving `/pypi/NAME/json`).
    #[arg(long, value_name = "URL", default_value = "https://pypi.org")]
    pypi: String,
    /// The npm registry that tools from `npm_tool(...)` are looked up in.
    #[arg(long, value_name = "URL", default_value = "https://registry.npmjs.org")]
    npm: String,
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
    let root = cli.root.as_deref();
    match cli.command {
        Command::Compile {
            paths,
            output,
            image,
            check,
            emit,
            verbose,
            target,
            report,
        } => {
            let mut reporter = Reporter::new(report.message_format, report.color);
            let single_file = paths.len() == 1 && !paths[0].is_dir();
            if output.is_some() && !single_file {
                let first = paths.first().map_or(Path::new("."), PathBuf::as_path);
                reporter.error(
                    Code::Usage,
                    first,
                    "`-o` takes one spec file",
                    "more than one spec, or a directory to search",
                    "without `-o`, each spec's files go next to it or where its `output` says",
                );
                reporter.finish();
                return EXIT_USAGE;
            }
            let options = Options {
                frontend: target.syntax,
                lock: None,
            };
            let request = CompileRequest {
                output: output.as_deref(),
                image: image.as_deref(),
                check,
                emit,
                planned: Default::default(),
                verbose,
                written: Default::default(),
                unchanged: Default::default(),
            };
            let specs = Specs {
                paths: &paths,
                root,
                options: &options,
                read_lock: true,
                checking: check,
                tally: Default::default(),
            };
            let code = specs.each(&mut reporter, |spec, c, project, reporter| {
                compile_one(spec, c, project, &request, reporter)
            });
            let (compiled, failed) = specs.tally.get();
            if output.is_none() && !check && emit == Emit::Dockerfile && compiled > 0 {
                reporter.status(&summary(
                    compiled,
                    failed,
                    request.written.get(),
                    request.unchanged.get(),
                ));
            }
            reporter.finish();
            code
        }
        Command::Check { paths, report } => {
            let mut reporter = Reporter::new(report.message_format, report.color);
            let specs = Specs {
                paths: &paths,
                root,
                options: &Options::default(),
                read_lock: true,
                checking: false,
                tally: Default::default(),
            };
            let code = specs.each(&mut reporter, |_, _, _, _| EXIT_OK);
            reporter.finish();
            code
        }
        Command::Explain {
            file,
            image,
            changed,
            target,
            report,
        } => {
            let mut reporter = Reporter::new(report.message_format, report.color);
            let options = Options {
                frontend: target.syntax,
                lock: None,
            };
            let specs = Specs {
                paths: std::slice::from_ref(&file),
                root,
                options: &options,
                read_lock: true,
                checking: false,
                tally: Default::default(),
            };
            let code = specs.each(&mut reporter, |spec, c, _, reporter| {
                match select(spec, c, image.as_deref(), false, reporter) {
                    Ok(outputs) => {
                        let reports: Vec<String> = outputs
                            .iter()
                            .map(|o| explain::render(o, &c.sources, &changed))
                            .collect();
                        print_stdout(&reports.join("\n"), reporter)
                    }
                    Err(code) => code,
                }
            });
            reporter.finish();
            code
        }
        Command::Bake {
            paths,
            output,
            report,
        } => {
            let mut reporter = Reporter::new(report.message_format, report.color);
            let code = bake_command(&paths, root, &output, &mut reporter);
            reporter.finish();
            code
        }
        Command::Lock {
            paths,
            check,
            remote,
            registry,
            report,
        } => {
            let mut reporter = Reporter::new(report.message_format, report.color);
            let mode = if check {
                crate::lock::command::Mode::Check { remote }
            } else {
                crate::lock::command::Mode::Lock
            };
            let code = lock_command(&paths, root, mode, &registry, &mut reporter);
            reporter.finish();
            code
        }
        Command::Update {
            references,
            paths,
            registry,
            report,
        } => {
            let mut reporter = Reporter::new(report.message_format, report.color);
            let mode = crate::lock::command::Mode::Update(references);
            let code = lock_command(&paths, root, mode, &registry, &mut reporter);
            reporter.finish();
            code
        }
        Command::Init {
            dir,
            force,
            output,
            interactive,
            report,
        } => {
            let mut reporter = Reporter::new(report.message_format, report.color);
            let code = crate::init::command(
                root,
                &dir,
                force,
                output.as_deref(),
                interactive,
                &mut reporter,
            );
            reporter.finish();
            code
        }
        Command::Fmt {
            paths,
            check,
            stdin,
            report,
        } => {
            let mut reporter = Reporter::new(report.message_format, report.color);
            let mode = if check {
                crate::format::command::Mode::Check
            } else {
                crate::format::command::Mode::Write
            };
            let code = crate::format::command::run(&paths, root, mode, stdin, &mut reporter);
            reporter.finish();
            code
        }
        Command::Completions { shell } => {
            let mut script = Vec::new();
            clap_complete::generate(shell, &mut Cli::command(), "imgspec", &mut script);
            let mut reporter = Reporter::new(MessageFormat::Human, ColorArg::Auto);
            print_stdout(&String::from_utf8_lossy(&script), &mut reporter)
        }
        Command::Import { args, report } => {
            let mut reporter = Reporter::new(report.message_format, report.color);
            let code = crate::import::run(root, &args, &mut reporter);
            reporter.finish();
            code
        }
        Command::Lsp => crate::lsp::run(root),
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
    verbose: bool,
    /// Files written and left as they were, for the summary.
    written: std::cell::Cell<usize>,
    unchanged: std::cell::Cell<usize>,
}

/// The specs a command works on: files as given, directories searched.
struct Specs<'a> {
    paths: &'a [PathBuf],
    root: Option<&'a Path>,
    options: &'a Options,
    /// Compile with the project's lock file (all but `lock` and `update`,
    /// which compare the specs' own references with it).
    read_lock: bool,
    /// `compile --check`: a spec that is found but not compiled fails it.
    checking: bool,
    /// Specs done, and how many of them failed.
    tally: std::cell::Cell<(usize, usize)>,
}

/// A spec to compile, with the path its project is found from.
struct Found {
    spec: PathBuf,
    /// The spec itself, or the directory searched for it.
    start: PathBuf,
    searched: bool,
}

impl Specs<'_> {
    /// The spec files, every skipped one and every search failure reported.
    fn find(&self, reporter: &mut Reporter) -> (Vec<Found>, i32) {
        let default = [PathBuf::from(".")];
        let paths = if self.paths.is_empty() {
            &default[..]
        } else {
            self.paths
        };
        let mut files = Vec::new();
        let mut worst = EXIT_OK;
        for path in paths {
            if !path.is_dir() {
                files.push(Found {
                    spec: path.clone(),
                    start: path.clone(),
                    searched: false,
                });
                continue;
            }
            let search = discover::search(path);
            for error in &search.errors {
                reporter.error(
                    Code::FileIo,
                    path,
                    &format!("cannot search `{}`: {error}", path.display()),
                    "specs below here may be missed",
                    "make the directory readable, or name the specs to compile",
                );
                worst = worst.max(EXIT_USAGE);
            }
            for (spec, why) in &search.skipped {
                worst = worst.max(self.skipped(spec, why, reporter));
            }
            files.extend(search.specs.into_iter().map(|spec| Found {
                spec,
                start: path.clone(),
                searched: true,
            }));
        }
        if files.is_empty() && worst == EXIT_OK {
            let first = paths.first().map_or(Path::new("."), PathBuf::as_path);
            reporter.error(
                Code::Usage,
                first,
                "no .imgspec files found",
                "nothing to compile here",
                "name a spec, or a directory that holds some",
            );
            worst = EXIT_USAGE;
        }
        (files, worst)
    }

    /// A spec found but not compiled: a warning, or under `--check` an
    /// error, since its generated files were not compared.
    fn skipped(&self, spec: &Path, why: &str, reporter: &mut Reporter) -> i32 {
        let message = format!("`{}` was not compiled: {why}", spec.display());
        if self.checking {
            reporter.file_problem(spec, |span| {
                Diagnostic::error(Code::StaleOutput, span, message)
                    .label("not checked")
                    .help("its generated files may be out of date; name it on the command line, or remove it")
            });
            EXIT_INPUT
        } else {
            reporter.file_problem(spec, |span| {
                Diagnostic::warning(Code::SpecSkipped, span, message)
                    .label("skipped")
                    .help("name it on the command line to compile it")
            });
            EXIT_OK
        }
    }

    /// Compiles every spec, reports its diagnostics, and hands each
    /// successful compilation to `then`. One failing spec does not stop
    /// the others; the worst exit code wins.
    fn each(
        &self,
        reporter: &mut Reporter,
        mut then: impl FnMut(&Path, &Compilation, &Project, &mut Reporter) -> i32,
    ) -> i32 {
        let (files, mut worst) = self.find(reporter);
        let mut locks: std::collections::HashMap<PathBuf, Option<(String, String)>> =
            std::collections::HashMap::new();
        // Compiled in parallel a chunk at a time, reported in order: the
        // output does not depend on which thread finished first, and only
        // one chunk of compilations is held at once.
        for chunk in files.chunks(PARALLEL_CHUNK) {
            let mut jobs: Vec<(&Found, Project, Options)> = Vec::with_capacity(chunk.len());
            for found in chunk {
                let project = match Project::find(self.root, &found.start) {
                    Ok(project) => project,
                    Err(error) => {
                        let root = self.root.unwrap_or(&found.start);
                        reporter.error(
                            Code::FileIo,
                            root,
                            &format!(
                                "cannot find the project of `{}`: {error}",
                                found.spec.display()
                            ),
                            "no project root",
                            "give an existing directory with `--root`",
                        );
                        worst = worst.max(EXIT_USAGE);
                        self.count(EXIT_USAGE);
                        continue;
                    }
                };
                // Read once per project, however many specs it holds.
                let lock = match locks.get(project.root()) {
                    _ if !self.read_lock => Ok(None),
                    Some(lock) => Ok(lock.clone()),
                    None => read_lock_file(&project, reporter).inspect(|lock| {
                        locks.insert(project.root().to_path_buf(), lock.clone());
                    }),
                };
                match lock {
                    Ok(lock) => {
                        let options = Options {
                            lock,
                            ..self.options.clone()
                        };
                        jobs.push((found, project, options));
                    }
                    Err(code) => {
                        worst = worst.max(code);
                        self.count(code);
                    }
                }
            }
            let compiled = compile_in_parallel(&jobs);
            for ((found, project, _), compilation) in jobs.iter().zip(compiled) {
                let file = &found.spec;
                let compilation = match compilation {
                    Ok(c) => c,
                    Err(error) => {
                        let message = format!("cannot read `{}`: {error}", file.display());
                        reporter.file_problem(file, |span| {
                            Diagnostic::error(error.code(), span, message)
                                .label("not read")
                                .help(error.help())
                        });
                        worst = worst.max(EXIT_USAGE);
                        self.count(EXIT_USAGE);
                        continue;
                    }
                };
                // A searched directory holds template modules too: files
                // without images are imported by others, not compiled.
                let only_no_images = compilation
                    .diagnostics
                    .sorted()
                    .iter()
                    .all(|d| d.code == Code::NoImages)
                    && !compilation.diagnostics.is_empty();
                if found.searched && only_no_images {
                    continue;
                }
                reporter.compilation(&compilation.diagnostics, &compilation.sources, file);
                let code = if compilation.diagnostics.has_errors() {
                    EXIT_INPUT
                } else {
                    then(file, &compilation, project, reporter)
                };
                worst = worst.max(code);
                self.count(code);
            }
        }
        worst
    }

    /// One spec done, with its exit code: for `compile`'s summary.
    fn count(&self, code: i32) {
        let (specs, failed) = self.tally.get();
        self.tally
            .set((specs + 1, failed + usize::from(code != EXIT_OK)));
    }
}

/// How many specs are compiled before their results are reported: enough
/// to keep every core busy, few enough that memory stays small.
const PARALLEL_CHUNK: usize = 64;

/// Compiles each job on as many threads as there are cores; the results
/// in the jobs' order.
fn compile_in_parallel(
    jobs: &[(&Found, Project, Options)],
) -> Vec<Result<Compilation, crate::fs::FileError>> {
    let one = |(found, project, options): &(&Found, Project, Options)| {
        compile(&FsLoader::new(project.clone()), &found.spec, options)
    };
    let threads = std::thread::available_parallelism()
        .map_or(1, usize::from)
        .min(jobs.len());
    if threads <= 1 {
        return jobs.iter().map(one).collect();
    }
    let next = std::sync::atomic::AtomicUsize::new(0);
    let mut done: Vec<(usize, Result<Compilation, crate::fs::FileError>)> =
        std::thread::scope(|scope| {
            let workers: Vec<_> = (0..threads)
                .map(|_| {
                    scope.spawn(|| {
                        let mut mine = Vec::new();
                        loop {
                            let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                            let Some(job) = jobs.get(i) else { break };
                            mine.push((i, one(job)));
                        }
                        mine
                    })
                })
                .collect();
            workers
                .into_iter()
                .flat_map(|w| {
                    w.join()
                        .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
                })
                .collect()
        });
    done.sort_by_key(|(i, _)| *i);
    done.into_iter().map(|(_, result)| result).collect()
}

/// The outputs `--image` selects; `single` demands exactly one.
fn select<'c>(
    spec: &Path,
    c: &'c Compilation,
    image: Option<&str>,
    single: bool,
    reporter: &mut Reporter,
) -> Result<Vec<&'c Output>, i32> {
    let mut outputs: Vec<&Output> = c.outputs.iter().collect();
    if let Some(name) = image {
        outputs.retain(|o| o.image == name);
        if outputs.is_empty() {
            let names: Vec<&str> = c.outputs.iter().map(|o| o.image.as_str()).collect();
            let hint = crate::suggest::help(name, names.iter().copied(), "images in this file");
            reporter.error(
                Code::Usage,
                spec,
                &format!("`{}` has no image `{name}`", spec.display()),
                "asked for with `--image`",
                &hint,
            );
            return Err(EXIT_USAGE);
        }
    }
    if single && outputs.len() > 1 {
        let names: Vec<&str> = outputs.iter().map(|o| o.image.as_str()).collect();
        reporter.error(
            Code::Usage,
            spec,
            &format!(
                "`{}` has {} images; this takes one",
                spec.display(),
                outputs.len()
            ),
            "several images",
            &format!("add `--image NAME` (one of: {})", names.join(", ")),
        );
        return Err(EXIT_USAGE);
    }
    Ok(outputs)
}

/// Writes `text` to standard output; a closed or failing one is reported.
pub(crate) fn print_stdout(text: &str, reporter: &mut Reporter) -> i32 {
    let mut stdout = std::io::stdout().lock();
    match stdout
        .write_all(text.as_bytes())
        .and_then(|()| stdout.flush())
    {
        Ok(()) => EXIT_OK,
        Err(error) => {
            reporter.error(
                Code::FileIo,
                Path::new("-"),
                &format!("cannot write to standard output: {error}"),
                "standard output",
                "keep standard output open until imgspec exits, or write to a file with `-o`",
            );
            EXIT_USAGE
        }
    }
}

fn compile_one(
    spec: &Path,
    c: &Compilation,
    project: &Project,
    request: &CompileRequest,
    reporter: &mut Reporter,
) -> i32 {
    let to_stdout = request.output == Some(Path::new("-"));
    let outputs = match select(spec, c, request.image, to_stdout, reporter) {
        Ok(outputs) => outputs,
        Err(code) => return code,
    };
    if request.emit == Emit::IrJson {
        let irs: Vec<_> = outputs.iter().map(|o| &o.ir).collect();
        let json = serde_json::to_string_pretty(&irs).unwrap_or_default();
        return print_stdout(&(json + "\n"), reporter);
    }
    if to_stdout {
        return print_stdout(&outputs[0].dockerfile, reporter);
    }
    let files = output::plan(spec, request.output, &outputs);
    let report = |reporter: &mut Reporter, diagnostics: Vec<Diagnostic>| {
        let mut all = Diagnostics::default();
        for d in diagnostics {
            all.push(d);
        }
        reporter.diagnostics(&all, &c.sources);
    };
    if let Some((i, file)) = files
        .iter()
        .enumerate()
        .find(|(i, f)| files[..*i].iter().any(|g| g.path == f.path))
    {
        let first = files[..i].iter().find(|g| g.path == file.path);
        let mut d = Diagnostic::error(
            Code::OutputClash,
            file.field.unwrap_or(outputs[file.output].span),
            format!(
                "two images of `{}` would write `{}`",
                spec.display(),
                file.path.display()
            ),
        )
        .label("this image's Dockerfile")
        .help("give each image its own `output = \"...\"`");
        if let Some(first) = first {
            d = d.secondary(
                first.field.unwrap_or(outputs[first.output].span),
                "and this one's",
            );
        }
        report(reporter, vec![d]);
        return EXIT_USAGE;
    }
    let mut planned = request.planned.borrow_mut();
    if let Some((file, other)) = files
        .iter()
        .find_map(|f| planned.get(&f.path).map(|o| (f, o)))
    {
        let d = Diagnostic::error(
            Code::OutputClash,
            file.field.unwrap_or(outputs[file.output].span),
            format!(
                "`{}` and `{}` would both write `{}`",
                other.display(),
                spec.display(),
                file.path.display()
            ),
        )
        .label("this image's Dockerfile")
        .help("give one of them `output = \"NAME.Dockerfile\"`");
        report(reporter, vec![d]);
        return EXIT_USAGE;
    }
    planned.extend(files.iter().map(|f| (f.path.clone(), spec.to_path_buf())));
    drop(planned);
    let resolved = match output::guard(spec, project, &files, &outputs) {
        Ok(resolved) => resolved,
        Err(refusals) => {
            let in_spec = refusals.iter().all(|r| r.field);
            report(
                reporter,
                refusals.into_iter().map(|r| r.diagnostic).collect(),
            );
            return if in_spec { EXIT_INPUT } else { EXIT_USAGE };
        }
    };
    if request.check {
        let stale = output::stale(&resolved);
        let mut diagnostics = Vec::new();
        for (file, diff) in &stale {
            print!("{diff}");
            diagnostics.push(
                Diagnostic::error(
                    Code::StaleOutput,
                    outputs[file.output].span,
                    format!("`{}` is out of date", file.path.display()),
                )
                .label(format!("generates `{}`", file.path.display()))
                .help(format!(
                    "the difference is on standard output; run `imgspec compile {}` and commit the result",
                    spec.display()
                )),
            );
        }
        if diagnostics.is_empty() {
            return EXIT_OK;
        }
        report(reporter, diagnostics);
        return EXIT_INPUT;
    }
    match output::write_all(&resolved) {
        Ok(written) => {
            for file in &resolved {
                let changed = written.iter().any(|w| w.path == file.path);
                if changed {
                    reporter.status(&format!("wrote {}", file.path.display()));
                } else if request.verbose {
                    reporter.status(&format!("unchanged {}", file.path.display()));
                }
            }
            request.written.set(request.written.get() + written.len());
            request
                .unchanged
                .set(request.unchanged.get() + resolved.len() - written.len());
            EXIT_OK
        }
        Err(error) => {
            reporter.error(
                Code::FileIo,
                &error.path,
                &error.to_string(),
                "not written",
                "nothing was written; check the directory's permissions and the disk",
            );
            EXIT_USAGE
        }
    }
}

fn bake_command(
    paths: &[PathBuf],
    root: Option<&Path>,
    output: &Path,
    reporter: &mut Reporter,
) -> i32 {
    let mut targets = Vec::new();
    let specs = Specs {
        paths,
        root,
        options: &Options::default(),
        read_lock: true,
        checking: false,
        tally: Default::default(),
    };
    let code = specs.each(reporter, |spec, c, _, _| {
        targets.extend(bake::targets(spec, c));
        EXIT_OK
    });
    if code != EXIT_OK {
        return code;
    }
    let text = bake::render(&targets);
    if output == Path::new("-") {
        print_stdout(&text, reporter)
    } else {
        write_bake_file(root, output, text, reporter)
    }
}

/// The bake file goes inside the project of the current directory, like
/// every other file imgspec writes.
fn write_bake_file(root: Option<&Path>, path: &Path, text: String, reporter: &mut Reporter) -> i32 {
    let refuse = |reporter: &mut Reporter, code: Code, why: String, help: String| {
        reporter.error(
            code,
            path,
            &format!("cannot write `{}`: {why}", path.display()),
            "the bake file",
            &help,
        );
        EXIT_USAGE
    };
    let project = match Project::find(root, Path::new(".")) {
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
    let real = match output::target(&project, path) {
        Ok(real) => real,
        Err(output::Refused::File(e)) => {
            return refuse(reporter, e.code(), e.to_string(), e.help())
        }
        Err(output::Refused::Spec) => {
            return refuse(
                reporter,
                Code::ProtectedOutput,
                "it is a spec".into(),
                "write the bake file elsewhere, e.g. `docker-bake.json`".into(),
            )
        }
    };
    match output::write_one(path, real, text) {
        Ok(changed) => {
            let state = if changed { "written" } else { "is up to date" };
            reporter.status(&format!("{} {state}", path.display()));
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

/// The project's lock file, when it has one: its name as diagnostics show
/// it, and its text.
fn read_lock_file(
    project: &Project,
    reporter: &mut Reporter,
) -> Result<Option<(String, String)>, i32> {
    let path = project.root().join(crate::lock::LOCK_FILE);
    match crate::lock::file::read(project.root()) {
        Ok(text) => Ok(text.map(|text| (crate::lock::LOCK_FILE.to_string(), text))),
        Err(error) => {
            reporter.error(
                error.code(),
                &path,
                &format!("cannot read `{}`: {error}", path.display()),
                "the lock file",
                &error.help(),
            );
            Err(EXIT_USAGE)
        }
    }
}

/// `lock`, `lock --check` and `update`.
fn lock_command(
    paths: &[PathBuf],
    root: Option<&Path>,
    mode: crate::lock::command::Mode,
    registry: &RegistryArgs,
    reporter: &mut Reporter,
) -> i32 {
    use crate::lock::command::{table, Locking, Mode};
    use crate::lock::credentials::Credentials;
    use crate::lock::registry::{Client, Settings};
    let client = Client::new(
        Settings {
            timeout: std::time::Duration::from_secs(registry.timeout.max(1)),
            retries: registry.retries,
            insecure: registry.insecure.clone(),
            certs_dir: registry.certs_dir.clone(),
            ..Settings::default()
        },
        Credentials::from_docker_config(),
    );
    let checking = matches!(mode, Mode::Check { .. });
    let offline = mode == Mode::Check { remote: false };
    let updating = matches!(mode, Mode::Update(_));
    let named = match &mode {
        Mode::Update(named) => named.clone(),
        _ => Vec::new(),
    };
    let registries = crate::lock::tools::PackageRegistries {
        pypi: registry.pypi.clone(),
        npm: registry.npm.clone(),
    };
    let mut locking = Locking::new(mode, (!offline).then_some(&client), registries);
    let options = Options::default();
    let specs = Specs {
        paths,
        root,
        options: &options,
        read_lock: false,
        checking: false,
        tally: Default::default(),
    };
    let code = specs.each(reporter, |_, compilation, project, reporter| {
        if let Err(why) = locking.open(project.root()) {
            reporter.error(
                Code::LockFile,
                &shown(&project.root().join(crate::lock::LOCK_FILE)),
                &why,
                "the lock file",
                "fix or remove it, then run `imgspec lock` again",
            );
            locking.failed = true;
            return EXIT_INPUT;
        }
        let diagnostics = locking.take(project.root(), compilation);
        reporter.diagnostics(&diagnostics, &compilation.sources);
        if diagnostics.has_errors() {
            EXIT_INPUT
        } else {
            EXIT_OK
        }
    });
    if checking {
        for (path, why) in locking.stale() {
            reporter.error(
                Code::NotLocked,
                &shown(&path),
                &why,
                "the lock file does not match the specs",
                "run `imgspec lock` and commit the lock file",
            );
        }
    }
    for reference in &named {
        if !locking.uses(reference) {
            reporter.error(
                Code::Usage,
                Path::new(crate::lock::LOCK_FILE),
                &format!("no spec uses `{reference}`"),
                "nothing to update",
                "name a reference as the specs write it, e.g. `python:3.12-slim-bookworm`, or a tool's package, e.g. `uv`",
            );
            return EXIT_USAGE;
        }
    }
    if code != EXIT_OK || locking.failed {
        return code.max(EXIT_INPUT);
    }
    if checking {
        return EXIT_OK;
    }
    for (path, text, changes) in locking.results() {
        let path_shown = shown(&path);
        if let Err(error) = output::write_one(&path, path.clone(), text) {
            reporter.error(
                Code::FileIo,
                &path_shown,
                &format!("cannot write `{}`: {}", path_shown.display(), error.error),
                "the lock file was not changed",
                "check the directory's permissions",
            );
            return EXIT_USAGE;
        }
        if updating && !changes.is_empty() {
            print!("{}", table(&changes));
        }
        reporter.status(&format!(
            "wrote {} ({} changed)",
            path_shown.display(),
            changes.len()
        ));
    }
    EXIT_OK
}

/// A path as the user would write it: relative to the current directory
/// when it lies below it.
fn shown(path: &Path) -> PathBuf {
    std::env::current_dir()
        .ok()
        .and_then(|cwd| {
            let cwd = cwd.canonicalize().unwrap_or(cwd);
            path.strip_prefix(&cwd).ok().map(Path::to_path_buf)
        })
        .unwrap_or_else(|| path.to_path_buf())
}

/// `compile`'s last line: how many specs, and what became of their files.
fn summary(specs: usize, failed: usize, written: usize, unchanged: usize) -> String {
    let plural =
        |n: usize, one: &str, many: &str| format!("{n} {}", if n == 1 { one } else { many });
    let mut parts = vec![
        format!("{} written", plural(written, "file", "files")),
        format!("{unchanged} unchanged"),
    ];
    if failed > 0 {
        parts.push(format!("{} failed", plural(failed, "spec", "specs")));
    }
    format!(
        "compiled {}: {}",
        plural(specs, "spec", "specs"),
        parts.join(", ")
    )
}
