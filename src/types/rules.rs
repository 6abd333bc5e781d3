//! The rules a checked image must satisfy beyond its field types: non-root,
//! pinned bases, packages for the right manager, what a runner can run,
//! secrets, ports, and strings the Dockerfile can hold.

use super::packages::{self, Problem};
use super::shell;
use crate::diagnostic::{Code, Diagnostic, Diagnostics};
use crate::model::*;
use crate::source::Span;

pub fn check(image: &Image, d: &mut Diagnostics) {
    for build in image.builds() {
        build_rules(build, d);
        if image.runner.base != build.base {
            pinned(&image.runner.base, d);
        }
    }
    package_list(&image.runner.packages, &image.runner.base, "runtime", d);
    for exclude in &image.excludes {
        string_value(&exclude.value, exclude.span, "an exclude pattern", d);
        if let Some((label, help)) = exclude_problem(&exclude.value) {
            d.push(
                Diagnostic::error(
                    Code::InvalidValue,
                    exclude.span,
                    format!("`{}` cannot be an exclude pattern", exclude.value),
                )
                .label(label)
                .help(help),
            );
        }
    }
    unused_installs(image, d);
    env_list(&image.args, d);
    env_list(&image.runner.env, d);
    if let Some(output) = &image.output {
        context_path(&output.value, output.span, "the output path", d);
    }
    runner(image, d);
}

/// The rules of one build stage: its base, packages, paths and commands.
fn build_rules(build: &Build, d: &mut Diagnostics) {
    pinned(&build.base, d);
    package_list(&build.packages, &build.base, "build", d);
    context_paths(build, d);
    let workdir = &build.workdir;
    absolute(&workdir.value, workdir.span, "the work directory", d);
    copy_operand(&workdir.value, workdir.span, "the work directory", d);
    for step in &build.steps {
        command_text(&step.run, step.span, &build.base, d);
        if let Some(dir) = &step.dir {
            context_path(dir, step.span, "a step directory", d);
        }
        for cache in &step.cache {
            mount_value(cache, step.span, "a cache directory", d);
            absolute(cache, step.span, "a cache directory", d);
        }
        for secret in &step.secrets {
            secret_mount(secret, d);
        }
    }
    for eco in &build.deps {
        for secret in &eco.secrets {
            secret_mount(secret, d);
        }
    }
    for eco in &build.deps {
        for text in eco
            .setup
            .iter()
            .chain(&eco.install)
            .chain(&eco.finish)
            .chain(&eco.production)
            .chain(&eco.prune)
        {
            command_text(&text.value, text.span, &build.base, d);
        }
        for cache in &eco.cache {
            mount_value(&cache.value, cache.span, "a cache directory", d);
            absolute(&cache.value, cache.span, "a cache directory", d);
        }
        if eco.bind {
            // Bind mounts name the manifests under the work directory and
            // the ecosystem's directory.
            mount_value(
                &workdir.value,
                workdir.span,
                "the work directory of a bind-mounting ecosystem",
                d,
            );
            if let Some(dir) = &eco.dir {
                mount_value(
                    dir,
                    eco.span,
                    "the directory of a bind-mounting ecosystem",
                    d,
                );
            }
            for manifest in eco.manifests.iter().chain(&eco.optional) {
                mount_value(&manifest.value, manifest.span, "a bind-mounted manifest", d);
            }
        }
        for output in &eco.output {
            string_value(&output.value, output.span, "an ecosystem output", d);
            copy_operand(&output.value, output.span, "an ecosystem output", d);
            if output.value.split('/').any(|p| p == "..") {
                d.push(
                    Diagnostic::error(Code::InvalidValue, output.span, "an ecosystem output cannot contain `..`")
                        .label("would name a path outside the ecosystem's directory")
                        .help("write an absolute path such as \"/opt/venv\", or one relative to the ecosystem's directory such as \"node_modules\""),
                );
            }
        }
        if let Some(project) = &eco.project {
            absolute(&project.value, project.span, "a project directory", d);
            copy_operand(&project.value, project.span, "a project directory", d);
        }
        env_list(&eco.build_env, d);
    }
}

/// Why a reference would move under the build: untagged or `latest`,
/// without a digest.
pub(super) fn unpinned(r: &ImageRef) -> Option<&'static str> {
    if r.is_scratch() || r.digest.is_some() {
        return None;
    }
    match r.tag.as_deref() {
        None => Some("untagged"),
        Some("latest") => Some("tagged `latest`"),
        Some(_) => None,
    }
}

fn pinned(base: &Base, d: &mut Diagnostics) {
    let r = &base.reference;
    if !base.known {
        return;
    }
    let Some(problem) = unpinned(r) else {
        return;
    };
    d.push(
        Diagnostic::error(Code::UnpinnedBase, base.span, format!("the base image `{}` is {problem}", r.render()))
            .label("this base would change under you")
            .secondary(base.def_span, format!("`{}` is defined here", base.name))
            .help("name a version tag, e.g. \"debian:bookworm-slim\", and add its digest for reproducible builds"),
    );
}

fn package_list(list: &[Package], base: &Base, which: &str, d: &mut Diagnostics) {
    if list.is_empty() || !base.known {
        return;
    }
    if base.packages == PackageManager::None {
        let first = &list[0];
        d.push(
            Diagnostic::error(
                Code::NoPackageManager,
                first.span,
                format!("{which} packages need a package manager, but `{}` has none", base.reference.render()),
            )
            .label("cannot be installed")
            .secondary(base.span, "this base has no package manager")
            .help(if which == "runtime" {
                "copy what the runner needs from the build stage as an artifact, or choose a runner base with a package manager"
            } else {
                "build on a base with a package manager, e.g. a Debian or Alpine image"
            }),
        );
        return;
    }
    if which == "runtime" {
        build_tools(list, base, d);
    } else {
        compiler_headers(list, base, d);
    }
    for package in list {
        let Some(problem) = packages::check(package, base.packages) else {
            continue;
        };
        let manager = base.packages.name();
        let diagnostic = match problem {
            Problem::InvalidName { help } => Diagnostic::error(
                Code::InvalidPackage,
                package.span,
                format!("`{}` is not a valid {manager} package name", package.name),
            )
            .label("invalid package name")
            .help(help),
            Problem::InvalidVersion { help } => Diagnostic::error(
                Code::InvalidPackage,
                package.span,
                format!(
                    "`{}` is not a valid {manager} version",
                    package.version.as_deref().unwrap_or_default()
                ),
            )
            .label("invalid version")
            .help(help),
            Problem::Foreign { family, help } => Diagnostic::error(
                Code::ForeignPackage,
                package.span,
                format!(
                    "`{}` is a {family} package name, but this base uses {manager}",
                    package.name
                ),
            )
            .label(format!(
                "not {} {manager} package",
                if manager.starts_with('a') { "an" } else { "a" }
            ))
            .secondary(base.span, format!("the {which} base uses {manager}"))
            .help(help),
        };
        d.push(diagnostic);
    }
}

fn context_paths(build: &Build, d: &mut Diagnostics) {
    for source in &build.sources {
        if context_pattern(&source.value, source.span, "a source", d) {
            context_path(&source.value, source.span, "a source", d);
        }
    }
    for eco in &build.deps {
        if let Some(dir) = &eco.dir {
            context_path(dir, eco.span, "an ecosystem directory", d);
        }
        for manifest in &eco.manifests {
            if context_pattern(&manifest.value, manifest.span, "a manifest", d) {
                context_path(&manifest.value, manifest.span, "a manifest", d);
            }
        }
        // Checked whether or not the context has them: an optional `.env`
        // is refused, never silently copied when it appears.
        for optional in &eco.optional {
            if context_pattern(&optional.value, optional.span, "an optional manifest", d) {
                context_path(&optional.value, optional.span, "an optional manifest", d);
            }
        }
    }
    for artifact in build.artifacts.iter().flatten() {
        for path in std::iter::once(&artifact.from).chain(&artifact.to) {
            string_value(path, artifact.span, "an artifact path", d);
            copy_operand(path, artifact.span, "an artifact path", d);
            if path.split('/').any(|p| p == "..") {
                d.push(
                    Diagnostic::error(
                        Code::InvalidValue,
                        artifact.span,
                        "an artifact path cannot contain `..`",
                    )
                    .label("ambiguous path")
                    .help("write an absolute path, or one relative to the work directory"),
                );
            }
        }
        if let Some(to) = &artifact.to {
            absolute(to, artifact.span, "an artifact destination", d);
        }
    }
}

/// Names that never belong in a build context, wherever they are: the
/// compiler's `.dockerignore` ends by excluding them (see
/// `crate::ir::SENSITIVE`), and a source that names them is refused.
pub(crate) fn sensitive_name(name: &str) -> bool {
    crate::ir::SENSITIVE
        .iter()
        .any(|pattern| glob_match(pattern, name))
}

/// Whether a source or manifest pattern selects a reasonable part of the
/// context: not all of it (E0110: `.`, `./.`, `*`, `**`, `?*`, `*/*`) and nothing
/// sensitive (E0121: `.*` at the top, `.env`, `.git/`). False once reported.
fn context_pattern(path: &str, span: Span, what: &str, d: &mut Diagnostics) -> bool {
    let components: Vec<&str> = path
        .split('/')
        .filter(|c| !c.is_empty() && *c != ".")
        .collect();
    // Only wildcards all the way down: `*/pom.xml` names one file in each
    // directory, `*` and `*/*` name everything.
    let whole = components
        .iter()
        .all(|c| c.chars().all(|c| c == '*' || c == '?'));
    if whole {
        d.push(
            Diagnostic::error(Code::WholeContextSource, span, "copying the whole build context defeats the layer cache")
                .label("every change to any file would re-run the build")
                .help("list the directories and files the build needs, e.g. [\"src/\", \"pyproject.toml\"]"),
        );
        return false;
    }
    let probes = [".git", ".env", ".env.local", ".ssh", ".aws", ".netrc"];
    for (i, component) in components.iter().enumerate() {
        let matched = if component.contains(['*', '?']) {
            // `.*/config` aims at hidden directories; `*/pom.xml` only
            // passes through them, to a file they do not hold, and the
            // compiler's `.dockerignore` keeps them out anyway.
            let aims_at_hidden = component.starts_with('.') || i + 1 == components.len();
            probes
                .iter()
                .find(|p| i == 0 && aims_at_hidden && glob_match(component, p))
                .map(|p| p.to_string())
        } else {
            sensitive_name(component).then(|| component.to_string())
        };
        if let Some(name) = matched {
            let message = if name == *component {
                format!("{what} names `{name}`, which never goes into the build context")
            } else {
                format!("{what} `{component}` matches `{name}`, which never goes into the build context")
            };
            d.push(
                Diagnostic::error(Code::SensitiveSource, span, message)
                    .label("version control, dotenv files and credentials stay out of the context and the image")
                    .help("name the files the build needs; pass secrets with `secrets: [...]` on a step, and commit settings as a template such as `env.example`"),
            );
            return false;
        }
    }
    true
}

/// One path component against a pattern of `*` and `?` wildcards (other
/// characters, `[` included, match themselves).
pub(crate) fn glob_match(pattern: &str, name: &str) -> bool {
    let p: Vec<char> = pattern.chars().collect();
    let n: Vec<char> = name.chars().collect();
    // Two pointers, backtracking to the last `*`.
    let (mut pi, mut ni) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while ni < n.len() {
        if pi < p.len() && (p[pi] == '?' || p[pi] == n[ni]) {
            pi += 1;
            ni += 1;
        } else if pi < p.len() && p[pi] == '*' {
            star = Some((pi, ni));
            pi += 1;
        } else if let Some((sp, sn)) = star {
            pi = sp + 1;
            ni = sn + 1;
            star = Some((sp, sn + 1));
        } else {
            return false;
        }
    }
    p[pi..].iter().all(|c| *c == '*')
}

/// Why BuildKit would not read `pattern` as the exclude it looks like: a
/// leading `!` re-includes, a leading `#` is a comment, surrounding spaces
/// are trimmed, and a malformed `[...]` or `\` escape fails the build.
fn exclude_problem(pattern: &str) -> Option<(&'static str, &'static str)> {
    const WRITE: &str = "write a pattern such as \"**/*.log\" or \"docs/\"; `*`, `?`, `**` and `[a-z]` are wildcards, and `\\` escapes a punctuation character";
    if pattern.trim().is_empty() {
        return Some(("an empty pattern excludes nothing", WRITE));
    }
    if pattern.starts_with('!') {
        return Some((
            "a leading `!` would put files back into the context",
            "excludes only remove files; list what the build needs in `sources`",
        ));
    }
    if pattern.starts_with('#') {
        return Some((
            "a line starting with `#` is a comment in .dockerignore",
            "escape it: \"\\\\#name\"",
        ));
    }
    if pattern.trim() != pattern {
        return Some((
            "BuildKit trims white space around a pattern",
            "remove it, or write a space at either end as the class `[ ]`",
        ));
    }
    let chars: Vec<char> = pattern.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        match chars[i] {
            '\\' => match chars.get(i + 1) {
                Some(c) if c.is_ascii_punctuation() => i += 2,
                _ => return Some(("`\\` must escape a punctuation character", WRITE)),
            },
            '[' => {
                let mut j = i + 1;
                if chars.get(j) == Some(&'^') {
                    j += 1;
                }
                let start = j;
                while j < chars.len() && chars[j] != ']' {
                    let c = chars[j];
                    if c == '[' || c == '\\' {
                        return Some(("a character class cannot hold `[` or `\\`", WRITE));
                    }
                    let range_end = chars.get(j + 1).filter(|n| **n != ']');
                    if c == '-' && j > start && range_end.is_some_and(|n| chars[j - 1] > *n) {
                        return Some(("a range in `[...]` runs backwards", WRITE));
                    }
                    j += 1;
                }
                if j >= chars.len() {
                    return Some(("`[` is never closed", WRITE));
                }
                if j == start {
                    return Some(("an empty `[]` matches nothing", WRITE));
                }
                i = j + 1;
            }
            _ => i += 1,
        }
    }
    None
}

/// A path inside the build context: relative, without `..` escapes.
fn context_path(path: &str, span: Span, what: &str, d: &mut Diagnostics) {
    if path.starts_with('/') || path.split('/').any(|p| p == "..") {
        d.push(
            Diagnostic::error(Code::PathEscapesContext, span, format!("{what} must stay inside the build context"))
                .label("this path leaves the directory of the spec")
                .help("paths are relative to the directory of the .imgspec file, which is the build context; move the file into it"),
        );
        return;
    }
    string_value(path, span, what, d);
    copy_operand(path, span, what, d);
}

pub(super) fn absolute(path: &str, span: Span, what: &str, d: &mut Diagnostics) {
    string_value(path, span, what, d);
    if path.contains('\\') {
        d.push(
            Diagnostic::error(
                Code::UnsafeString,
                span,
                format!("{what} cannot contain `\\`"),
            )
            .label("a backslash is a path separator on some systems and an escape on others")
            .help("use a plain path such as \"/srv/app\""),
        );
    }
    if !path.starts_with('/') {
        d.push(
            Diagnostic::error(
                Code::InvalidValue,
                span,
                format!("{what} must be an absolute path"),
            )
            .label(format!("`{path}` is relative"))
            .help(format!(
                "start it with `/`, e.g. \"/{}\"",
                path.trim_start_matches("./")
            )),
        );
    }
}

/// Packages are installed without "recommends", and on Debian and Alpine
/// the C library headers are only recommended by (or separate from) gcc:
/// a compiler alone cannot build a C extension.
fn compiler_headers(list: &[Package], base: &Base, d: &mut Diagnostics) {
    let (headers, suggestion): (&[&str], &str) = match base.packages {
        PackageManager::Apt => (&["libc6-dev", "libc-dev", "build-essential"], "libc6-dev"),
        PackageManager::Apk => (&["musl-dev", "libc-dev", "build-base"], "musl-dev"),
        _ => return,
    };
    let c_compiler = |name: &str| {
        is_compiler(name) && !["make", "build-essential", "build-base"].contains(&name)
    };
    let Some(compiler) = list.iter().find(|p| c_compiler(&p.name)) else {
        return;
    };
    if list.iter().any(|p| headers.contains(&p.name.as_str())) {
        return;
    }
    d.push(
        Diagnostic::warning(
            Code::CompilerWithoutHeaders,
            compiler.span,
            format!("`{}` is installed without the C library headers", compiler.name),
        )
        .label(format!("without `{suggestion}`, compiling C fails with \"stdlib.h: No such file or directory\""))
        .help(format!(
            "add \"{suggestion}\" next to it (packages are installed without recommended ones), or use \"{}\"",
            headers[2]
        )),
    );
}

fn is_compiler(name: &str) -> bool {
    [
        "gcc",
        "g++",
        "cc",
        "clang",
        "make",
        "build-essential",
        "build-base",
    ]
    .contains(&name)
        || name.starts_with("gcc-")
        || name.starts_with("g++-")
        || name.starts_with("clang-")
}

/// Compilers and headers belong in the build stage (rule 2): a runner that
/// installs them is larger and gives an attacker a toolchain.
fn build_tools(list: &[Package], base: &Base, d: &mut Diagnostics) {
    for package in list {
        let name = package.name.as_str();
        let headers = name.ends_with("-dev") || name.ends_with("-devel");
        if !is_compiler(name) && !headers {
            continue;
        }
        let what = if headers {
            "a development package"
        } else {
            "a compiler"
        };
        let runtime = match (headers, base.packages) {
            (true, PackageManager::Apt) => " (its runtime library is usually named without `-dev`, e.g. `libpq5` for `libpq-dev`)",
            (true, _) => " (its runtime library is usually the name without the suffix)",
            _ => "",
        };
        d.push(
            Diagnostic::warning(
                Code::BuildToolInRunner,
                package.span,
                format!("`{name}` is {what}, installed in the runner"),
            )
            .label("build-time package among the runtime packages")
            .help(format!(
                "move it to `packages {{ build = [...] }}` and keep the runtime library only{runtime}"
            )),
        );
    }
}

/// A COPY operand must not read as a flag or a heredoc marker.
pub(super) fn copy_operand(path: &str, span: Span, what: &str, d: &mut Diagnostics) {
    if path.starts_with('-') || path.contains("<<") || path.contains('\\') {
        d.push(
            Diagnostic::error(
                Code::UnsafeString,
                span,
                format!("{what} cannot start with `-` or contain `<<` or `\\`"),
            )
            .label("COPY would read this as a flag, a heredoc or an escape")
            .help("rename the file, or copy the directory that holds it"),
        );
    }
}

/// A value inside a `--mount=...` flag. BuildKit reads it three times:
/// its flag parser (quotes and `\\`, one byte at a time, so non-ASCII
/// text is garbled), a CSV reader (commas separate options) and its shell
/// lexer (`$` expands). Plain ASCII paths pass all three unchanged.
fn mount_value(text: &str, span: Span, what: &str, d: &mut Diagnostics) {
    if text.chars().any(|c| {
        !c.is_ascii() || c.is_ascii_control() || c.is_ascii_whitespace() || ",=\"'\\<$".contains(c)
    }) {
        d.push(
            Diagnostic::error(
                Code::UnsafeString,
                span,
                format!("{what} cannot contain commas, quotes, `=`, `$`, `<`, spaces or non-ASCII characters"),
            )
            .label("it goes into a --mount flag, where these add options or change the path")
            .help("use a plain absolute path such as \"/root/.cache/pip\""),
        );
    }
}

/// A quoted value (ENV, ARG, LABEL): single-line, and not ending in `\`,
/// which linters misread as escaping the closing quote.
pub(super) fn quoted_value(text: &str, span: Span, what: &str, d: &mut Diagnostics) {
    string_value(text, span, what, d);
    if text.ends_with('\\') {
        d.push(
            Diagnostic::error(
                Code::UnsafeString,
                span,
                format!("{what} cannot end with `\\`"),
            )
            .label("a trailing backslash would escape the closing quote for some parsers")
            .help("remove the trailing backslash, or end the value with another character"),
        );
    }
}

/// A value written into one Dockerfile line: no newlines or control characters.
pub(super) fn string_value(text: &str, span: Span, what: &str, d: &mut Diagnostics) {
    let Some(c) = text.chars().find(|c| c.is_control()) else {
        return;
    };
    let (message, help) = match c {
        '\n' | '\r' => (
            format!("{what} cannot contain a line break"),
            "remove the line break; only build steps may span several lines".to_string(),
        ),
        '\t' => (
            format!("{what} cannot contain a tab"),
            "a tab in a string looks like spaces but is not: replace it with spaces (a `\\t` escape is refused here too)".to_string(),
        ),
        c => (
            format!("{what} cannot contain the control character U+{:04X}", c as u32),
            "remove it; control characters are invisible and have no place in this value".to_string(),
        ),
    };
    d.push(
        Diagnostic::error(Code::UnsafeString, span, message)
            .label("would split or corrupt the Dockerfile line")
            .help(help),
    );
}

pub(super) fn command_text(text: &str, span: Span, base: &Base, d: &mut Diagnostics) {
    if base.known && base.shell == Shell::None {
        d.push(
            Diagnostic::error(Code::ShellForm, span, format!("`{}` has no shell to run this step", base.reference.render()))
                .label("a RUN step needs a shell")
                .secondary(base.span, "shell-less base")
                .help("build in a stage with a shell, and copy the result into the shell-less runner as an artifact"),
        );
        return;
    }
    let facts = shell::scan(text);
    let breakers = [
        (facts.control_char, "contains a control character", "remove it; use printf escapes if the command needs one"),
        (
            facts.trailing_backslash,
            "a line ends in `\\`, which the Dockerfile reads as a continuation",
            "remove the trailing backslash; write separate steps or one multi-line string",
        ),
        (
            facts.heredoc_marker,
            "`<<` would start a Dockerfile heredoc and swallow the lines after it",
            "write the script as a multi-line string (\"line 1\\nline 2\"); imgspec emits it as a heredoc",
        ),
        (
            facts.unterminated_quote,
            "a quote is opened and never closed",
            "close the quote; an open quote would swallow the steps merged after this one",
        ),
        (
            facts.leading_dash,
            "starts with `-`, which BuildKit would read as a flag of RUN (e.g. `--mount=...`)",
            "start the step with the command to run; options go after it",
        ),
        (
            facts.leading_operator,
            "starts with a shell operator",
            "each step is a complete command; imgspec joins steps with `&&` itself",
        ),
        (
            facts.comment,
            "a `#` comment would also hide the steps merged after this one",
            "move the comment into the .imgspec file as a `//` comment",
        ),
    ];
    for (_, label, help) in breakers.iter().filter(|(found, _, _)| *found) {
        d.push(
            Diagnostic::error(
                Code::UnsafeString,
                span,
                "this command cannot be written safely into a RUN instruction",
            )
            .label(*label)
            .help(*help),
        );
    }
    if facts.cd {
        d.push(
            Diagnostic::error(Code::ForbiddenCommand, span, "`cd` in a step does not carry over and hides the working directory")
                .label("uses `cd`")
                .help("set `workdir` for the image, or pass the directory to the tool (e.g. `make -C dir`, `npm --prefix dir`)"),
        );
    }
    if facts.sudo {
        d.push(
            Diagnostic::error(Code::ForbiddenCommand, span, "`sudo` in a build step")
                .label("uses `sudo`")
                .help("build steps already run as root; remove `sudo`"),
        );
    }
    if facts.pipe && base.known && !matches!(base.shell, Shell::Bash | Shell::Ash) {
        d.push(
            Diagnostic::error(
                Code::NoPipefail,
                span,
                "this pipe would hide failures: the base's shell has no `pipefail`",
            )
            .label("a failing command before `|` would go unnoticed")
            .secondary(base.span, "its shell is plain `sh`")
            .help("avoid the pipe (write to a file, then read it), or use a base with bash"),
        );
    }
}

const SECRET_WORDS: &[&str] = &[
    "SECRET",
    "PASSWORD",
    "PASSWD",
    "TOKEN",
    "API_KEY",
    "APIKEY",
    "PRIVATE_KEY",
    "ACCESS_KEY",
    "CREDENTIAL",
    "AUTH",
];

fn env_list(vars: &[EnvVar], d: &mut Diagnostics) {
    for var in vars {
        let valid = var
            .name
            .starts_with(|c: char| c.is_ascii_alphabetic() || c == '_')
            && var
                .name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_');
        if !valid {
            d.push(
                Diagnostic::error(
                    Code::InvalidValue,
                    var.span,
                    format!("`{}` is not a valid variable name", var.name),
                )
                .label("invalid name")
                .help("variable names are letters, digits and `_`, not starting with a digit"),
            );
            continue;
        }
        let upper = var.name.to_ascii_uppercase();
        if let Some(word) = SECRET_WORDS.iter().find(|w| upper.contains(*w)) {
            d.push(
                Diagnostic::error(Code::SecretInEnv, var.span, format!("`{}` looks like a secret", var.name))
                    .label(format!("contains `{word}`; ENV and ARG values are stored in the image"))
                    .help("pass secrets at build time with `step(\"...\", secrets: [\"id\"])`, and at run time from the orchestrator"),
            );
        }
        quoted_value(&var.value, var.span, "a variable value", d);
        if let Some((label, help)) = dollar_problem(&var.value) {
            d.push(
                Diagnostic::error(
                    Code::UnsafeString,
                    var.span,
                    format!("`{}` has a `$` that BuildKit would not keep", var.name),
                )
                .label(label)
                .help(help),
            );
        }
    }
}

/// In ENV and ARG values BuildKit expands `$NAME`, `${NAME}`, `$1`, `$$`,
/// `$@` and the like. A reference to a variable is what `$` is for there;
/// anything that is neither a plain reference nor an ordinary `$` (which
/// the emitter escapes) is refused rather than guessed at.
pub(super) fn dollar_problem(value: &str) -> Option<(&'static str, &'static str)> {
    const LITERAL: &str =
        "write `\\$` for a dollar sign, or `${NAME}` (also `${NAME:-default}`) for a variable";
    let chars: Vec<char> = value.chars().collect();
    let name_start = |c: char| c.is_ascii_alphabetic() || c == '_';
    let name_char = |c: char| c.is_ascii_alphanumeric() || c == '_';
    let mut i = 0;
    while i < chars.len() {
        if chars[i] != '$' {
            i += 1;
            continue;
        }
        match chars.get(i + 1) {
            Some(c) if c.is_ascii_digit() || "@*#?-$!".contains(*c) => {
                return Some((
                    "BuildKit would replace this with a shell parameter",
                    LITERAL,
                ));
            }
            Some('{') => {
                let mut j = i + 2;
                if !chars.get(j).is_some_and(|c| name_start(*c)) {
                    return Some(("`${` must be followed by a variable name", LITERAL));
                }
                while chars.get(j).is_some_and(|c| name_char(*c)) {
                    j += 1;
                }
                let rest: String = chars[j..].iter().take(2).collect();
                let modifier = if rest.starts_with('}') {
                    0
                } else if rest.starts_with(":-") || rest.starts_with(":+") {
                    2
                } else if rest.starts_with('-') || rest.starts_with('+') {
                    1
                } else if rest.is_empty() {
                    return Some(("`${` is never closed", LITERAL));
                } else {
                    return Some((
                        "only `${NAME}`, `${NAME:-default}` and `${NAME:+value}` are supported",
                        LITERAL,
                    ));
                };
                j += modifier;
                while chars
                    .get(j)
                    .is_some_and(|c| *c != '}' && !"${\\\"'".contains(*c))
                {
                    j += 1;
                }
                if chars.get(j) != Some(&'}') {
                    return Some(("`${` is never closed", LITERAL));
                }
                i = j + 1;
            }
            _ => i += 1,
        }
    }
    None
}

/// An ecosystem of the main build with no `output`, no project and no
/// `finish`, where no build step or artifact uses the stage: nothing the
/// runner copies comes from its install, so the install is left out of the
/// Dockerfile and the application would start without its dependencies.
fn unused_installs(image: &Image, d: &mut Diagnostics) {
    let build = &image.build;
    if !build.steps.is_empty() || build.artifacts.is_some() {
        return;
    }
    for eco in &build.deps {
        if eco.output.is_empty() && eco.project.is_none() && eco.finish.is_empty() {
            d.push(
                Diagnostic::warning(
                    Code::UnusedInstall,
                    eco.span,
                    format!("nothing the runner copies comes from `{}`'s install, so the Dockerfile leaves it out", eco.name),
                )
                .label("installed, then unused")
                .help("say where the install puts the dependencies with `output` (e.g. `output = \"/opt/venv\"`), or add the build steps or artifacts that use them"),
            );
        }
    }
}

fn runner(image: &Image, d: &mut Diagnostics) {
    let runner = &image.runner;
    let span = runner.user_span.unwrap_or(image.span);
    if runner.user.uid == 0 {
        match &runner.allow_root {
            Some(reason) => d.push(
                Diagnostic::warning(Code::RootOptOut, span, format!("`{}` runs as root", image.name))
                    .label("root by choice")
                    .secondary(reason.span, "reason given")
                    .help("remove `allow_root` and pick a uid from 10000 up when the reason no longer holds"),
            ),
            None => d.push(
                Diagnostic::error(Code::RootUser, span, format!("`{}` would run as root", image.name))
                    .label("uid 0")
                    .help("use a non-root uid such as 10001, or give a reason: `allow_root = \"...\"`"),
            ),
        }
    } else if runner.user.gid == 0 && runner.allow_root.is_none() {
        d.push(
            Diagnostic::error(
                Code::RootUser,
                span,
                format!("`{}` would run in the root group", image.name),
            )
            .label("gid 0")
            .help("use a non-zero gid, e.g. \"10001:10001\""),
        );
    }
    if let (Some(reason), true) = (
        &runner.allow_root,
        runner.user.uid != 0 && runner.user.gid != 0,
    ) {
        d.push(
            Diagnostic::error(
                Code::RootReasonWithoutRoot,
                reason.span,
                format!(
                    "`allow_root` is given, but `{}` runs as {}:{}",
                    image.name, runner.user.uid, runner.user.gid
                ),
            )
            .label("a reason for root that nothing uses")
            .secondary(span, "the runner's user is not root")
            .help(
                "remove `allow_root`; or, if the image must run as root, set `user = 0` next to it",
            ),
        );
    }
    if runner.user.uid != 0 {
        for port in &runner.expose {
            if port.value < 1024 {
                d.push(
                    Diagnostic::error(
                        Code::PrivilegedPort,
                        port.span,
                        format!(
                            "port {} is privileged, but the runner is not root",
                            port.value
                        ),
                    )
                    .label("ports below 1024 need root to bind")
                    .help(format!(
                        "listen on an unprivileged port such as {} and map it at run time",
                        8000 + port.value
                    )),
                );
            }
        }
    }
    let shell_less = runner.base.known && runner.base.shell == Shell::None;
    for command in [&runner.entrypoint, &runner.cmd].into_iter().flatten() {
        if let (Command::Shell(_), true) = (&command.value, shell_less) {
            d.push(shell_form(command.span, &runner.base));
        }
        command_strings(&command.value, command.span, d);
    }
    if let Some(health) = &runner.health {
        match &health.probe {
            Probe::Command(Command::Shell(_)) if shell_less => {
                d.push(shell_form(health.span, &runner.base))
            }
            Probe::Command(c) => command_strings(c, health.span, d),
            Probe::Http { path, .. } => {
                string_value(path, health.span, "a health check path", d);
                if !path.starts_with('/') {
                    d.push(
                        Diagnostic::error(
                            Code::InvalidValue,
                            health.span,
                            "a health check path starts with `/`",
                        )
                        .label(format!("`{path}`"))
                        .help(format!("write \"/{path}\"")),
                    );
                }
                let has_tool = !runner.base.known
                    || runner.base.distro == Distro::Alpine
                    || runner
                        .packages
                        .iter()
                        .any(|p| p.name == "curl" || p.name == "wget");
                if !has_tool {
                    d.push(
                        Diagnostic::error(Code::MissingHealthTool, health.span, "an HTTP health check needs curl or wget in the runner")
                            .label("nothing in the runner can make the request")
                            .secondary(runner.base.span, "the runner base")
                            .help(if shell_less {
                                "shell-less images have no curl: ship a health-check binary and use `exec([\"/app/healthcheck\"])`"
                            } else {
                                "add \"curl\" to `packages { runtime = [...] }`, or use `exec([...])` with a tool the image has"
                            }),
                    );
                }
            }
        }
    }
    for volume in &runner.volumes {
        absolute(&volume.value, volume.span, "a volume", d);
    }
    for (key, value, span) in &runner.labels {
        let key_ok = key.starts_with(|c: char| c.is_ascii_alphanumeric())
            && key
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "._-".contains(c));
        if !key_ok {
            d.push(
                Diagnostic::error(Code::InvalidValue, *span, format!("`{key}` is not a valid label key"))
                    .label("invalid key")
                    .help("label keys are reverse-DNS names of letters, digits, `.`, `_` and `-`, e.g. \"org.opencontainers.image.title\""),
            );
        }
        quoted_value(value, *span, "a label value", d);
    }
    if let Some(signal) = &runner.stop_signal {
        let s = &signal.value;
        let valid = s.parse::<u8>().is_ok()
            || (s.starts_with("SIG")
                && s.len() > 3
                && s[3..]
                    .chars()
                    .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '+'));
        if !valid {
            d.push(
                Diagnostic::error(
                    Code::InvalidValue,
                    signal.span,
                    format!("`{s}` is not a signal"),
                )
                .label("expected a signal name or number")
                .help("write e.g. \"SIGTERM\" or \"SIGQUIT\""),
            );
        }
    }
    artifacts_fit_runner(image, d);
}

/// Exec-form arguments travel as JSON, so any text is safe except NUL,
/// which no program can receive in an argument.
fn command_strings(command: &Command, span: Span, d: &mut Diagnostics) {
    let has_nul = match command {
        Command::Shell(text) => text.contains('\0'),
        Command::Exec(args) => args.iter().any(|a| a.contains('\0')),
    };
    if has_nul {
        d.push(
            Diagnostic::error(
                Code::UnsafeString,
                span,
                "a command argument cannot contain a NUL character",
            )
            .label("arguments end at NUL")
            .help("remove the \\u{0} from the command"),
        );
    }
}

fn shell_form(span: Span, base: &Base) -> Diagnostic {
    Diagnostic::error(
        Code::ShellForm,
        span,
        format!(
            "`{}` has no shell, so this command cannot run",
            base.reference.render()
        ),
    )
    .label("shell form needs /bin/sh")
    .secondary(base.span, "shell-less runner base")
    .help("write the command as a list, e.g. [\"/app/server\", \"--port\", \"8080\"]")
}

/// What the runner receives must be runnable there: a libc it has, and the
/// interpreter a virtual environment was built for.
fn artifacts_fit_runner(image: &Image, d: &mut Diagnostics) {
    for build in image.builds() {
        let runner = &image.runner.base;
        if !runner.known || !build.base.known {
            continue;
        }
        // Native artifacts: the whole work directory, or those not marked
        // `native = false`.
        let native_artifacts = build
            .artifacts
            .as_ref()
            .is_none_or(|a| a.iter().any(|a| a.native));
        let all_static =
            !build.deps.is_empty() && build.deps.iter().all(|e| e.linkage == Linkage::Static);
        if native_artifacts && !all_static {
            let dynamic = build.deps.iter().find(|e| e.linkage == Linkage::Dynamic);
            let why = match dynamic {
                Some(e) => (
                    e.span,
                    format!("`{}` builds dynamically linked output", e.name),
                ),
                None => (
                    build.base.span,
                    "nothing here declares `linkage = static`".to_string(),
                ),
            };
            libc_fits(&build.base, runner, why, d);
        }
        for eco in &build.deps {
            if !eco.output.is_empty() && eco.linkage == Linkage::Dynamic && !native_artifacts {
                libc_fits(
                    &build.base,
                    runner,
                    (
                        eco.span,
                        format!("`{}` builds dynamically linked output", eco.name),
                    ),
                    d,
                );
            }
            if eco.needs_interpreter && !eco.output.is_empty() {
                interpreter_fits(&build.base, runner, eco, d);
            }
        }
    }
}

fn libc_fits(builder: &Base, runner: &Base, (why_span, why): (Span, String), d: &mut Diagnostics) {
    if runner == builder {
        return;
    }
    if runner.libc == Libc::None {
        d.push(
            Diagnostic::error(
                Code::DynamicIntoScratch,
                runner.span,
                format!("`{}` has no libc, but the artifacts are dynamically linked", runner.reference.render()),
            )
            .label("the artifacts would fail to start here")
            .secondary(why_span, why)
            .help("build a static binary (e.g. Go with CGO_ENABLED=0: `go.modules()`), or use a runner with a libc such as `distroless.glibc()`"),
        );
    } else if builder.libc != Libc::None && runner.libc != builder.libc {
        let name = |l: Libc| if l == Libc::Musl { "musl" } else { "glibc" };
        d.push(
            Diagnostic::error(
                Code::LibcMismatch,
                runner.span,
                format!("the build stage links against {}, but the runner has {}", name(builder.libc), name(runner.libc)),
            )
            .label(format!("{} runner", name(runner.libc)))
            .secondary(builder.span, format!("{} build base", name(builder.libc)))
            .help("build and run on the same libc family (both Debian, or both Alpine), or build static artifacts"),
        );
    }
}

fn interpreter_fits(builder: &Base, runner: &Base, eco: &Ecosystem, d: &mut Diagnostics) {
    let Some(built_with) = &builder.interpreter else {
        return;
    };
    if runner.interpreter.as_ref() == Some(built_with) {
        return;
    }
    let has = match &runner.interpreter {
        Some(other) => format!("the runner has {other}"),
        None => "the runner declares no interpreter".to_string(),
    };
    d.push(
        Diagnostic::error(
            Code::InterpreterMismatch,
            runner.span,
            format!("`{}` was built for {built_with}, but {has}", eco.name),
        )
        .label(format!("needs {built_with}"))
        .secondary(builder.span, format!("built with {built_with}"))
        .help("run on the same interpreter version the build used, e.g. the same `python.slim(version: ...)` for both stages"),
    );
}

/// A secret's id as `docker build --secret id=...` takes it, and a target
/// the mount can hold.
fn secret_mount(secret: &crate::model::Secret, d: &mut Diagnostics) {
    let id_ok = !secret.id.is_empty()
        && secret
            .id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "_.-".contains(c));
    if !id_ok {
        d.push(
            Diagnostic::error(Code::InvalidValue, secret.span, format!("`{}` is not a valid secret id", secret.id))
                .label("invalid id")
                .help("secret ids are letters, digits, `_`, `.` and `-`, as passed to `docker build --secret id=...`"),
        );
    }
    if let Some(target) = &secret.target {
        mount_value(target, secret.span, "a secret target", d);
        absolute(target, secret.span, "a secret target", d);
    }
}
