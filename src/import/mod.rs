//! `imgspec import`: a starting spec from an existing Dockerfile. The
//! Dockerfile is read as BuildKit reads it ([`dockerfile`]), its stages are
//! recognised as one image ([`map`], with [`base`] for the images it
//! names and [`shell`] for its commands), and the spec is written as text
//! ([`write`]). What has no place in a spec is listed at its top as a
//! comment, with its line and the reason, and reported as a warning.

pub mod base;
pub mod dockerfile;
pub mod map;
pub mod shell;
pub mod write;

use std::path::{Path, PathBuf};

use crate::diagnostic::{Code, Diagnostic, Diagnostics};
use crate::fs::{read_regular, Project};
use crate::report::Reporter;
use crate::source::{SourceMap, Span};

/// The most of a Dockerfile that is read: 1 MiB.
pub const DOCKERFILE_LIMIT: u64 = 1024 * 1024;

#[derive(clap::Args, Debug)]
pub struct Args {
    /// The Dockerfile to read.
    pub dockerfile: PathBuf,
    /// Where to write the spec, inside the project, or `-` for standard
    /// output (the default). Its directory is the spec's build context:
    /// put it next to the Dockerfile.
    #[arg(short, long, value_name = "PATH|-")]
    pub output: Option<PathBuf>,
    /// Overwrite the file `-o` names when it exists.
    #[arg(long)]
    pub force: bool,
    /// The image's name (default: the name of the Dockerfile's directory).
    #[arg(long, value_name = "NAME")]
    pub image: Option<String>,
}

/// The result of importing a Dockerfile's text.
#[derive(Debug)]
pub struct Imported {
    /// The spec, unless the Dockerfile could not be read as one.
    pub spec: Option<String>,
    pub diagnostics: Diagnostics,
    pub sources: SourceMap,
}

/// An image name from a directory name: lower case letters, digits and
/// `-`, starting with a letter.
pub fn image_name(dir: &str) -> String {
    let mut name: String = dir
        .chars()
        .map(|c| {
            let c = c.to_ascii_lowercase();
            if c.is_ascii_alphanumeric() || c == '_' {
                c
            } else {
                '-'
            }
        })
        .collect();
    while name.contains("--") {
        name = name.replace("--", "-");
    }
    let name = name.trim_matches('-').to_string();
    let name = if name.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_') {
        name
    } else {
        format!("app{}{name}", if name.is_empty() { "" } else { "-" })
    };
    if matches!(
        name.as_str(),
        "use" | "as" | "base" | "ecosystem" | "template" | "image" | "true" | "false"
    ) {
        format!("{name}-app")
    } else {
        name
    }
}

/// Imports `text`, the Dockerfile shown as `name`, whose build context is
/// `context` (when it is on disk).
pub fn import(name: &str, text: &str, context: &map::Context, image: &str) -> Imported {
    let mut sources = SourceMap::default();
    let file_id = sources.add(name, text);
    let span = |range: std::ops::Range<usize>| Span::new(file_id, range);
    let mut diagnostics = Diagnostics::default();
    let file = dockerfile::parse(text);
    for problem in &file.problems {
        match problem {
            dockerfile::Problem::Directive { span: at, message } => diagnostics.push(
                Diagnostic::error(
                    Code::MalformedDirective,
                    span(at.clone()),
                    format!("malformed parser directive: {message}"),
                )
                .label("BuildKit refuses this directive")
                .help("a directive is `# name=value` at the very top, once: `# escape=\\` (the default) or `# escape=` followed by a backtick"),
            ),
            dockerfile::Problem::UnterminatedHeredoc { span: at, word } => diagnostics.push(
                Diagnostic::error(
                    Code::UnterminatedHeredoc,
                    span(at.clone()),
                    format!("the heredoc `{word}` is never terminated"),
                )
                .label(format!("opened here; no line `{word}` follows"))
                .help(format!(
                    "end the heredoc with a line holding only `{word}` (with `<<-`, tabs may precede it)"
                )),
            ),
        }
    }
    if !file.instructions.iter().any(|i| i.keyword == "FROM") {
        let first = file.instructions.first().map_or(
            0..text.len().min(text.find('\n').unwrap_or(text.len())),
            |i| i.span.clone(),
        );
        diagnostics.push(
            Diagnostic::error(
                Code::NotADockerfile,
                span(first),
                format!("`{name}` is not a Dockerfile: it has no FROM"),
            )
            .label(if file.instructions.is_empty() {
                "no instruction in the file"
            } else {
                "the first instruction"
            })
            .help("name a Dockerfile: its first instruction (after `ARG`s) is `FROM image:tag`"),
        );
    }
    if diagnostics.has_errors() {
        return Imported {
            spec: None,
            diagnostics,
            sources,
        };
    }
    let mapped = map::map(&file, context, image, name);
    for s in &mapped.skipped {
        diagnostics.push(
            Diagnostic::warning(
                Code::NotImported,
                span(s.span.clone()),
                format!("line {} is not imported: {}", s.line, s.reason),
            )
            .label("listed as a comment at the top of the spec")
            .help("add it to the spec by hand where it belongs, or leave it out"),
        );
    }
    if let Some((at, user)) = &mapped.root {
        let message = if user.is_empty() {
            "the Dockerfile sets no USER, so its container ran as root".to_string()
        } else {
            format!("`USER {user}` runs the container as root")
        };
        diagnostics.push(
            Diagnostic::warning(Code::ImportedRoot, span(at.clone()), message)
                .label(if user.is_empty() {
                    "the runner's base, with no USER after it"
                } else {
                    "root"
                })
                .help("the spec runs it as a non-root user; give `run.user`, or `user = 0` with `allow_root` if it truly needs root"),
        );
    }
    Imported {
        spec: Some(write::render(&mapped.spec)),
        diagnostics,
        sources,
    }
}

/// Runs `imgspec import`; returns the exit code.
pub fn run(root: Option<&Path>, args: &Args, reporter: &mut Reporter) -> i32 {
    use crate::cli::{EXIT_INPUT, EXIT_USAGE};
    let path = &args.dockerfile;
    let project = match Project::find(root, path) {
        Ok(project) => project,
        Err(error) => {
            reporter.error(
                Code::FileIo,
                path,
                &format!("cannot find the project of `{}`: {error}", path.display()),
                "no project root",
                "give an existing directory with `--root`",
            );
            return EXIT_USAGE;
        }
    };
    let real = match project.resolve(path) {
        Ok(real) => real,
        Err(error) => {
            reporter.error(
                error.code(),
                path,
                &format!("cannot read `{}`: {error}", path.display()),
                "not read",
                "name a Dockerfile inside the project (the repository holding it, or `--root`)",
            );
            return EXIT_USAGE;
        }
    };
    let text = match read_regular(&real, DOCKERFILE_LIMIT) {
        Ok(text) => text,
        Err(error) => {
            let code = match &error {
                crate::fs::FileError::NotUtf8(_) => Code::NotADockerfile,
                other => other.code(),
            };
            let help = match &error {
                crate::fs::FileError::NotFound => "check the path of the Dockerfile".to_string(),
                crate::fs::FileError::TooLarge { .. } => {
                    "a Dockerfile larger than 1 MiB is not imported".to_string()
                }
                crate::fs::FileError::NotUtf8(_) => {
                    "name a Dockerfile: a text file in UTF-8".to_string()
                }
                other => other.help(),
            };
            reporter.error(
                code,
                path,
                &format!("cannot read `{}`: {error}", path.display()),
                "not read",
                &help,
            );
            return EXIT_USAGE;
        }
    };
    let dir = real.parent().map(Path::to_path_buf).unwrap_or_default();
    let image = match &args.image {
        Some(name) => {
            let clean = image_name(name);
            if &clean != name {
                reporter.error(
                    Code::Usage,
                    path,
                    &format!("`{name}` is not an image name"),
                    "given with `--image`",
                    &format!("image names are lower-case letters, digits and `-`, e.g. `{clean}`"),
                );
                return EXIT_USAGE;
            }
            clean
        }
        None => {
            let named = dir
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            image_name(&named)
        }
    };
    let context = map::Context {
        dir: Some(dir),
        dockerfile: real
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default(),
    };
    let shown = path.display().to_string();
    let imported = import(&shown, &text, &context, &image);
    reporter.diagnostics(&imported.diagnostics, &imported.sources);
    let Some(spec) = imported.spec else {
        return EXIT_INPUT;
    };
    match args.output.as_deref() {
        None => crate::cli::print_stdout(&spec, reporter),
        Some(out) if out == Path::new("-") => crate::cli::print_stdout(&spec, reporter),
        Some(out) => write_spec(&project, out, spec, args.force, reporter),
    }
}

/// Writes the spec at `out`, inside the project, atomically; an existing
/// file only with `--force`.
fn write_spec(
    project: &Project,
    out: &Path,
    spec: String,
    force: bool,
    reporter: &mut Reporter,
) -> i32 {
    use crate::cli::{EXIT_OK, EXIT_USAGE};
    let real = match crate::output::writable(project, out) {
        Ok(real) => real,
        Err(error) => {
            reporter.error(
                error.code(),
                out,
                &format!("cannot write `{}`: {error}", out.display()),
                "not written",
                &error.help(),
            );
            return EXIT_USAGE;
        }
    };
    if !force && std::fs::symlink_metadata(&real).is_ok() {
        reporter.error(
            Code::ImportTargetExists,
            out,
            &format!("`{}` exists; the import would overwrite it", out.display()),
            "already there",
            "pass `--force` to replace it, or name another file with `-o`",
        );
        return EXIT_USAGE;
    }
    match crate::output::write_one(out, real, spec) {
        Ok(_) => {
            reporter.status(&format!("wrote {}", out.display()));
            EXIT_OK
        }
        Err(error) => {
            reporter.error(
                Code::FileIo,
                out,
                &error.to_string(),
                "not written",
                "nothing was written; check the directory's permissions and the disk",
            );
            EXIT_USAGE
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn image_names() {
        assert_eq!(image_name("My App"), "my-app");
        assert_eq!(image_name("2048"), "app-2048");
        assert_eq!(image_name("image"), "image-app");
        assert_eq!(image_name(""), "app");
    }
}
