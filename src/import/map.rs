//! Shape recognition: the stages of a Dockerfile read as one image. The
//! last stage is the runner; the stages it copies from (and those they
//! copy from) are the build. System packages, a manifest copied before its
//! install, the sources, the build commands and the runner's settings
//! become the spec's fields; whatever has no place there is listed with
//! its line and the reason, never dropped without a word. Boilerplate the
//! compiler writes itself (package lists, cache clean-up, users) is
//! recognised and left out.

use std::collections::BTreeSet;
use std::ops::Range;
use std::path::PathBuf;

use super::base::{self, Family};
use super::dockerfile::{substitute, Args, Dockerfile, Instruction};
use super::shell;
use super::write::{Artifact, Command, File, Spec, Step};

/// The build context, when the Dockerfile lives on disk: `COPY . .` is
/// read as the directory's entries, and manifests are looked for there.
#[derive(Debug, Clone, Default)]
pub struct Context {
    pub dir: Option<PathBuf>,
    /// The Dockerfile's own name, never a source.
    pub dockerfile: String,
}

impl Context {
    fn entry(&self, path: &str) -> Option<crate::loader::ContextEntry> {
        let dir = self.dir.as_ref()?;
        crate::fs::context_entry(dir, path.trim_end_matches('/'))
    }

    fn is_dir(&self, path: &str) -> bool {
        self.entry(path) == Some(crate::loader::ContextEntry::Directory)
    }

    fn exists(&self, path: &str) -> bool {
        matches!(
            self.entry(path),
            Some(crate::loader::ContextEntry::Directory | crate::loader::ContextEntry::File)
        )
    }

    fn read(&self, path: &str) -> Option<String> {
        crate::fs::context_read(self.dir.as_ref()?, path)
    }

    /// The top-level entries, directories with a trailing `/`, sorted.
    fn entries(&self) -> Option<Vec<String>> {
        let dir = self.dir.as_ref()?;
        let mut out = Vec::new();
        for entry in std::fs::read_dir(dir).ok()?.flatten().take(10_000) {
            let Ok(name) = entry.file_name().into_string() else {
                continue;
            };
            let Ok(kind) = entry.file_type() else {
                continue;
            };
            if kind.is_symlink() {
                continue;
            }
            out.push(if kind.is_dir() {
                format!("{name}/")
            } else {
                name
            });
        }
        out.sort();
        Some(out)
    }
}

/// An instruction (or part of one) left out of the spec.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Skipped {
    pub span: Range<usize>,
    pub line: usize,
    pub text: String,
    pub reason: String,
}

#[derive(Debug, Clone)]
pub struct Mapped {
    pub spec: Spec,
    pub skipped: Vec<Skipped>,
    /// Where the runner would have run as root: `USER root`, or the final
    /// `FROM` when no `USER` is given.
    pub root: Option<(Range<usize>, String)>,
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
enum Eco {
    Pip {
        requirements: String,
        packages: Vec<String>,
    },
    Poetry,
    Uv,
    Npm,
    Yarn,
    YarnBerry,
    Pnpm,
    Go,
    Cargo,
    Bundler,
    Composer,
    Maven {
        wrapper: bool,
    },
    Gradle {
        kotlin: bool,
    },
    Nuget {
        project: String,
    },
}

impl Eco {
    fn family(&self) -> &'static str {
        match self {
            Eco::Pip { .. } | Eco::Poetry | Eco::Uv => "python",
            Eco::Npm | Eco::Yarn | Eco::YarnBerry | Eco::Pnpm => "node",
            Eco::Go => "go",
            Eco::Cargo => "rust",
            Eco::Bundler => "ruby",
            Eco::Composer => "php",
            Eco::Maven { .. } | Eco::Gradle { .. } => "java",
            Eco::Nuget { .. } => "dotnet",
        }
    }

    /// Where its installed dependencies land, relative to the work
    /// directory, when that is inside it.
    fn in_workdir(&self) -> Option<&'static str> {
        match self {
            Eco::Npm | Eco::Yarn | Eco::YarnBerry | Eco::Pnpm => Some("node_modules"),
            Eco::Composer => Some("vendor"),
            _ => None,
        }
    }
}

/// The ecosystem a manifest file belongs to.
fn manifest_eco(path: &str) -> Option<Eco> {
    let name = path.rsplit('/').next().unwrap_or(path);
    Some(match name {
        "requirements.txt" => Eco::Pip {
            requirements: path.to_string(),
            packages: Vec::new(),
        },
        n if n.starts_with("requirements") && n.ends_with(".txt") => Eco::Pip {
            requirements: path.to_string(),
            packages: Vec::new(),
        },
        "poetry.lock" => Eco::Poetry,
        "uv.lock" => Eco::Uv,
        "package-lock.json" => Eco::Npm,
        "yarn.lock" => Eco::Yarn,
        "pnpm-lock.yaml" | "pnpm-workspace.yaml" => Eco::Pnpm,
        "go.mod" | "go.sum" => Eco::Go,
        "Cargo.toml" | "Cargo.lock" => Eco::Cargo,
        "Gemfile" | "Gemfile.lock" => Eco::Bundler,
        "composer.json" | "composer.lock" => Eco::Composer,
        "pom.xml" => Eco::Maven { wrapper: false },
        "build.gradle" | "settings.gradle" => Eco::Gradle { kotlin: false },
        "build.gradle.kts" | "settings.gradle.kts" => Eco::Gradle { kotlin: true },
        n if n.ends_with(".csproj") || n.ends_with(".fsproj") || n.ends_with(".sln") => {
            Eco::Nuget {
                project: path.to_string(),
            }
        }
        _ => return None,
    })
}

/// Files that come with an ecosystem's manifests, never a source.
fn is_manifest(path: &str) -> bool {
    let name = path.trim_end_matches('/');
    let name = name.rsplit('/').next().unwrap_or(name);
    manifest_eco(name).is_some()
        || matches!(
            name,
            "package.json"
                | "pyproject.toml"
                | ".npmrc"
                | ".yarnrc.yml"
                | ".yarnrc"
                | "mvnw"
                | ".mvn"
                | "gradlew"
                | "gradle"
                | "gradle.properties"
                | "NuGet.config"
                | "nuget.config"
                | "global.json"
                | "Directory.Build.props"
                | "Directory.Packages.props"
                | ".ruby-version"
                | "rust-toolchain.toml"
        )
        || (name.contains('*') && (name.contains("package") || name.contains("requirements")))
}

/// Packages that only building needs.
fn is_build_package(name: &str) -> bool {
    let bare = name.split('=').next().unwrap_or(name);
    matches!(
        bare,
        "gcc"
            | "g++"
            | "gcc-c++"
            | "make"
            | "cmake"
            | "build-essential"
            | "build-base"
            | "musl-dev"
            | "libc6-dev"
            | "libc-dev"
            | "pkg-config"
            | "pkgconf"
            | "autoconf"
            | "automake"
            | "libtool"
            | "clang"
            | "linux-headers"
            | "git"
    ) || bare.ends_with("-dev")
        || bare.ends_with("-devel")
}

/// The Debian runtime library of a common `-dev` package.
fn runtime_library(dev: &str) -> Option<&'static str> {
    Some(match dev.split('=').next().unwrap_or(dev) {
        "libpq-dev" => "libpq5",
        "libffi-dev" => "libffi8",
        "libssl-dev" => "libssl3",
        "libjpeg-dev" | "libjpeg62-turbo-dev" => "libjpeg62-turbo",
        "zlib1g-dev" => "zlib1g",
        "libxml2-dev" => "libxml2",
        "libxslt1-dev" => "libxslt1.1",
        "libmariadb-dev" | "default-libmysqlclient-dev" => "libmariadb3",
        "libsqlite3-dev" => "libsqlite3-0",
        "libyaml-dev" => "libyaml-0-2",
        "libvips-dev" => "libvips42",
        _ => return None,
    })
}

#[derive(Debug, Clone)]
struct Stage<'a> {
    name: Option<String>,
    reference: String,
    /// The earlier stage `FROM` names, if it names one.
    parent: Option<usize>,
    from: &'a Instruction,
    body: Vec<&'a Instruction>,
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Role {
    /// A stage of the build.
    Build,
    /// The runner of a multi-stage build.
    Final,
    /// The one stage of a single-stage build: both.
    Single,
}

struct Mapper<'a> {
    file: &'a Dockerfile,
    context: &'a Context,
    stages: Vec<Stage<'a>>,
    names: Names,
    /// Per stage: the first stage of its chain, and the work directory it
    /// ends in.
    roots: Vec<usize>,
    workdirs: Vec<String>,
    spec: Spec,
    skipped: Vec<Skipped>,
    ecos: Vec<Eco>,
    manifests: Vec<String>,
    sources: Vec<String>,
    /// Source directories copied flat into the work directory.
    flattened: Vec<String>,
    copies_context: bool,
    build_workdir: String,
    final_workdir: String,
    build_family: Family,
    final_family: Family,
    /// Users created by `useradd`/`adduser`: name and uid.
    created_users: Vec<(String, Option<String>)>,
    user_seen: bool,
    root: Option<(Range<usize>, String)>,
    /// Stage indexes of the build, and of the stages skipped.
    build_stages: BTreeSet<usize>,
    final_language: Option<&'static str>,
    build_base: Option<base::Base>,
    /// Runtime libraries added for `-dev` packages.
    libraries: Vec<&'static str>,
}

fn skipped(i: &Instruction, reason: impl Into<String>) -> Skipped {
    Skipped {
        span: i.span.clone(),
        line: i.line,
        text: i.text.clone(),
        reason: reason.into(),
    }
}

/// Stage names to the indexes of the stages that bear them, ascending.
type Names = std::collections::HashMap<String, Vec<usize>>;

/// A stage reference of `--from=` (or `FROM`) seen in stage `before`: the
/// index of the latest earlier stage of that name, or that number.
fn stage_index(names: &Names, before: usize, name: &str) -> Option<usize> {
    if let Ok(n) = name.parse::<usize>() {
        return (n < before).then_some(n);
    }
    let indexes = names.get(&name.to_ascii_lowercase())?;
    let below = indexes.partition_point(|&i| i < before);
    below.checked_sub(1).map(|k| indexes[k])
}

/// `a/./b/` → `a/b/`, `./x` → `x`; `None` for a path that leaves.
fn clean(path: &str) -> Option<String> {
    let dir = path.ends_with('/') || path.ends_with("/.") || path == ".";
    let mut parts: Vec<&str> = Vec::new();
    for part in path.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                parts.pop()?;
            }
            p => parts.push(p),
        }
    }
    let mut out = parts.join("/");
    if path.starts_with('/') {
        out.insert(0, '/');
    }
    if dir && !out.is_empty() && !out.ends_with('/') {
        out.push('/');
    }
    Some(out)
}

/// `path` made absolute against `workdir`.
fn absolute(path: &str, workdir: &str) -> String {
    if path.starts_with('/') {
        clean(path).unwrap_or_else(|| path.to_string())
    } else {
        let joined = format!("{}/{}", workdir.trim_end_matches('/'), path);
        clean(&joined).unwrap_or(joined)
    }
}

/// `path` relative to `workdir` when it lies below it.
fn relative_to(path: &str, workdir: &str) -> Option<String> {
    let prefix = format!("{}/", workdir.trim_end_matches('/'));
    path.strip_prefix(&prefix).map(str::to_string)
}

fn words_of(i: &Instruction) -> Vec<String> {
    match &i.args {
        Args::Exec(words) => words.clone(),
        Args::Shell(text) => shell::words(text)
            .unwrap_or_else(|| text.split_whitespace().map(str::to_string).collect()),
    }
}

/// A Docker duration (`1m30s`, `500ms`) as an imgspec duration.
fn duration(text: &str) -> Option<String> {
    let mut total_ms: u64 = 0;
    let mut number = String::new();
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if c.is_ascii_digit() {
            number.push(c);
            continue;
        }
        let unit = match (c, chars.peek()) {
            ('m', Some('s')) => {
                chars.next();
                1
            }
            ('h', _) => 3_600_000,
            ('m', _) => 60_000,
            ('s', _) => 1_000,
            _ => return None,
        };
        let n: u64 = number.parse().ok()?;
        total_ms = total_ms.checked_add(n.checked_mul(unit)?)?;
        number.clear();
    }
    if !number.is_empty() {
        return None;
    }
    Some(if total_ms % 3_600_000 == 0 && total_ms > 0 {
        format!("{}h", total_ms / 3_600_000)
    } else if total_ms % 60_000 == 0 && total_ms > 0 {
        format!("{}m", total_ms / 60_000)
    } else if total_ms % 1000 == 0 {
        format!("{}s", total_ms / 1000)
    } else {
        format!("{total_ms}ms")
    })
}

/// `KEY=value KEY2="v 2"` (or legacy `KEY value`) pairs.
fn pairs(i: &Instruction, escape: char) -> Option<Vec<(String, String)>> {
    let text = i.arg_text();
    let words = shell_words_keep_dollar(&text, escape)?;
    if words.first().is_some_and(|w| !w.contains('=')) {
        // Legacy form: the first word is the key, the rest the value.
        let (key, value) = text.trim().split_once(char::is_whitespace)?;
        return Some(vec![(key.to_string(), value.trim().to_string())]);
    }
    words
        .into_iter()
        .map(|w| {
            w.split_once('=')
                .map(|(k, v)| (k.to_string(), v.to_string()))
        })
        .collect()
}

/// Words with quotes removed, `$` kept as text.
fn shell_words_keep_dollar(text: &str, escape: char) -> Option<Vec<String>> {
    let mut out = Vec::new();
    let mut word = String::new();
    let mut in_word = false;
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        match c {
            ' ' | '\t' | '\n' => {
                if in_word {
                    out.push(std::mem::take(&mut word));
                    in_word = false;
                }
            }
            '"' | '\'' => {
                in_word = true;
                loop {
                    match chars.next() {
                        Some(q) if q == c => break,
                        Some(e) if e == escape && c == '"' => word.push(chars.next()?),
                        Some(x) => word.push(x),
                        None => return None,
                    }
                }
            }
            e if e == escape => {
                in_word = true;
                word.push(chars.next()?);
            }
            c => {
                in_word = true;
                word.push(c);
            }
        }
    }
    if in_word {
        out.push(word);
    }
    Some(out)
}

/// Whether imgspec would take `text` as a build step or setup command:
/// one line, no comment, no heredoc, balanced quotes, no `cd` or `sudo`.
fn safe_step(text: &str) -> Result<(), &'static str> {
    if text.contains("<<") {
        return Err("a heredoc inside the command");
    }
    if text.trim_end().ends_with('\\') {
        return Err("a trailing backslash");
    }
    if text.contains(" #") || text.starts_with('#') {
        return Err("a `#` comment");
    }
    if shell::split(text).is_none() && shell::words(text).is_none() {
        let quotes = text.chars().filter(|&c| c == '"').count();
        let singles = text.chars().filter(|&c| c == '\'').count();
        if quotes % 2 == 1 || singles % 2 == 1 {
            return Err("unbalanced quotes");
        }
    }
    for part in text.split(['&', ';', '|']) {
        let first = part.split_whitespace().next().unwrap_or("");
        if first == "cd" {
            return Err("`cd` (imgspec runs steps in a directory with `step(..., dir:)`)");
        }
        if first == "sudo" {
            return Err("`sudo` (build steps run as root)");
        }
    }
    Ok(())
}

/// A line naming a download that is not checked.
fn unchecked_download(text: &str) -> bool {
    let fetch = text.contains("curl ") || text.contains("wget ");
    fetch && (text.contains("| sh") || text.contains("| bash") || text.contains("|sh"))
        || fetch && !text.contains("sha256sum") && !text.contains("--checksum")
}

enum Recognised {
    /// Boilerplate imgspec writes itself: dropped without a word.
    Boilerplate,
    /// Packages to install (`virtual` ones are build-only).
    Packages(Vec<String>, bool),
    Eco(Eco),
    /// A tool an ecosystem installs itself; the text says which.
    Tool(&'static str),
    User(String, Option<String>),
    Skip(String),
    Keep,
}

/// What one command of a `RUN` does.
fn recognise(c: &shell::Command) -> Recognised {
    let words = c.words();
    let program = c.program();
    let args: Vec<&str> = words.iter().skip(1).map(String::as_str).collect();
    let sub = args
        .iter()
        .find(|a| !a.starts_with('-'))
        .copied()
        .unwrap_or("");
    if words.is_empty() {
        if unchecked_download(&c.raw) {
            return Recognised::Skip("a download without a checksum".into());
        }
        return Recognised::Keep;
    }
    let packages_after = |skip_values: &[&str], from: usize| -> (Vec<String>, Option<String>) {
        let mut out = Vec::new();
        let mut virtual_name = None;
        let mut k = from;
        while k < args.len() {
            let a = args[k];
            if skip_values.contains(&a) {
                if a == "--virtual" || a == "-t" {
                    virtual_name = args.get(k + 1).map(|s| s.to_string());
                }
                k += 2;
                continue;
            }
            if !a.starts_with('-') {
                out.push(a.to_string());
            }
            k += 1;
        }
        (out, virtual_name)
    };
    match program {
        "apt-get" | "apt" => match sub {
            "update" | "clean" | "autoremove" | "autoclean" | "purge" | "remove" | "upgrade"
            | "dist-upgrade" => Recognised::Boilerplate,
            "install" => {
                let at = args.iter().position(|a| *a == "install").unwrap_or(0) + 1;
                let (packages, _) = packages_after(&["-o"], at);
                Recognised::Packages(packages, false)
            }
            _ => Recognised::Keep,
        },
        "apk" => match sub {
            "update" | "upgrade" | "del" | "cache" => Recognised::Boilerplate,
            "add" => {
                let at = args.iter().position(|a| *a == "add").unwrap_or(0) + 1;
                let (packages, virtual_name) =
                    packages_after(&["--virtual", "-t", "--repository", "-X"], at);
                Recognised::Packages(packages, virtual_name.is_some())
            }
            _ => Recognised::Keep,
        },
        "dnf" | "yum" | "microdnf" => match sub {
            "clean" | "update" | "upgrade" | "makecache" => Recognised::Boilerplate,
            "install" => {
                let at = args.iter().position(|a| *a == "install").unwrap_or(0) + 1;
                let (packages, _) = packages_after(&[], at);
                let packages = packages
                    .into_iter()
                    .map(|p| match p.split_once('-') {
                        // `name-1.2` pins are written `name=1.2` in a spec.
                        Some((n, v)) if v.starts_with(|c: char| c.is_ascii_digit()) => {
                            format!("{n}={v}")
                        }
                        _ => p,
                    })
                    .collect();
                Recognised::Packages(packages, false)
            }
            _ => Recognised::Keep,
        },
        "rm" if words.len() > 2
            && words[2..]
                .iter()
                .all(|w| w.contains("cache") || w.contains(".bundle") || w.starts_with("/tmp")) =>
        {
            Recognised::Boilerplate
        }
        "rm" if words.iter().any(|w| {
            w.starts_with("/var/lib/apt/lists")
                || w.starts_with("/var/cache/apk")
                || w.starts_with("/var/cache/apt")
                || w.starts_with("/var/cache/dnf")
                || w.starts_with("/var/cache/yum")
                || w.starts_with("/root/.cache")
                || w.starts_with("/tmp/")
        }) =>
        {
            Recognised::Boilerplate
        }
        "pip" | "pip3" | "python" | "python3" => pip(&args),
        "poetry" => match sub {
            "install" => Recognised::Eco(Eco::Poetry),
            "config" => Recognised::Boilerplate,
            _ => Recognised::Keep,
        },
        "uv" if sub == "sync" => Recognised::Eco(Eco::Uv),
        "uv" if sub == "pip" && args.contains(&"-r") => Recognised::Eco(Eco::Pip {
            requirements: flag_value(&args, &["-r"]).unwrap_or_else(|| "requirements.txt".into()),
            packages: Vec::new(),
        }),
        "npm" => match sub {
            "ci" => Recognised::Eco(Eco::Npm),
            "install" | "i" if !args.iter().skip(1).any(|a| !a.starts_with('-')) => {
                Recognised::Eco(Eco::Npm)
            }
            "prune" | "cache" => Recognised::Boilerplate,
            _ => Recognised::Keep,
        },
        "yarn" => match sub {
            "" | "install" => {
                if args.contains(&"--immutable") {
                    Recognised::Eco(Eco::YarnBerry)
                } else {
                    Recognised::Eco(Eco::Yarn)
                }
            }
            "cache" => Recognised::Boilerplate,
            _ => Recognised::Keep,
        },
        "pnpm" => match sub {
            "install" | "i" if !args.iter().skip(1).any(|a| !a.starts_with('-')) => {
                Recognised::Eco(Eco::Pnpm)
            }
            "fetch" => Recognised::Eco(Eco::Pnpm),
            "prune" | "store" => Recognised::Boilerplate,
            _ => Recognised::Keep,
        },
        "corepack" => Recognised::Tool("corepack comes with the Node ecosystem"),
        "go" if args.first() == Some(&"mod")
            && matches!(args.get(1), Some(&"download" | &"verify")) =>
        {
            Recognised::Eco(Eco::Go)
        }
        "cargo" if sub == "fetch" => Recognised::Eco(Eco::Cargo),
        "bundle" | "bundler" => match sub {
            "install" => Recognised::Eco(Eco::Bundler),
            "config" => Recognised::Tool("the Bundler ecosystem sets its own configuration"),
            _ => Recognised::Keep,
        },
        "gem" if args.first() == Some(&"install") && args.contains(&"bundler") => {
            Recognised::Tool("the image's Bundler is used")
        }
        "composer" if sub == "install" => Recognised::Eco(Eco::Composer),
        "mvn" | "mvnw" if args.iter().any(|a| a.starts_with("dependency:")) => {
            Recognised::Eco(Eco::Maven {
                wrapper: program == "mvnw",
            })
        }
        "gradlew" | "gradle" if sub == "dependencies" => {
            Recognised::Eco(Eco::Gradle { kotlin: false })
        }
        "dotnet" if sub == "restore" => Recognised::Eco(Eco::Nuget {
            project: args
                .iter()
                .find(|a| a.ends_with(".csproj") || a.ends_with(".sln") || a.ends_with(".fsproj"))
                .map(|a| a.to_string())
                .unwrap_or_default(),
        }),
        "useradd" | "adduser" => {
            let takes_value = [
                "-u",
                "--uid",
                "-g",
                "--gid",
                "-G",
                "--groups",
                "-s",
                "--shell",
                "-d",
                "--home-dir",
                "--home",
                "-h",
                "-c",
                "--comment",
                "--gecos",
                "-k",
                "--skel",
                "-e",
                "-f",
                "-K",
                "-p",
                "-R",
                "-b",
                "--ingroup",
                "--base-dir",
            ];
            let mut name = None;
            let mut k = 0;
            while k < args.len() {
                let a = args[k];
                if takes_value.contains(&a) {
                    k += 2;
                    continue;
                }
                if !a.starts_with('-') {
                    name = Some(a.to_string());
                    break;
                }
                k += 1;
            }
            let uid = flag_value(&args, &["-u", "--uid"]);
            match name {
                Some(name) => Recognised::User(name, uid),
                None => Recognised::Boilerplate,
            }
        }
        "groupadd" | "addgroup" => Recognised::Boilerplate,
        "chown" => Recognised::Skip(
            "imgspec sets ownership itself: `owner = \"runtime\"` on an artifact, or `writable`"
                .into(),
        ),
        "curl" | "wget" if unchecked_download(&c.raw) => {
            Recognised::Skip("a download without a checksum".into())
        }
        "sudo" => Recognised::Skip("`sudo`: build steps run as root".into()),
        _ => Recognised::Keep,
    }
}

fn flag_value(args: &[&str], names: &[&str]) -> Option<String> {
    for (k, a) in args.iter().enumerate() {
        for name in names {
            if a == name {
                return args.get(k + 1).map(|s| s.to_string());
            }
            if let Some(v) = a.strip_prefix(&format!("{name}=")) {
                return Some(v.to_string());
            }
        }
    }
    None
}

fn pip(args: &[&str]) -> Recognised {
    let args: Vec<&str> = match args {
        ["-m", "pip", rest @ ..] => rest.to_vec(),
        ["-m", "venv", ..] => {
            return Recognised::Tool("the Python ecosystems make their own virtual environment")
        }
        [first, ..] if !first.starts_with('-') => args.to_vec(),
        _ => return Recognised::Keep,
    };
    if args.first() != Some(&"install") {
        return Recognised::Keep;
    }
    let rest = &args[1..];
    let mut requirements = None;
    let mut packages = Vec::new();
    let mut k = 0;
    while k < rest.len() {
        let a = rest[k];
        if a == "-r" || a == "--requirement" {
            requirements = rest.get(k + 1).map(|s| s.to_string());
            k += 2;
            continue;
        }
        if let Some(v) = a.strip_prefix("--requirement=") {
            requirements = Some(v.to_string());
        } else if matches!(
            a,
            "-c" | "--constraint" | "-i" | "--index-url" | "--extra-index-url"
        ) {
            k += 2;
            continue;
        } else if !a.starts_with('-') {
            packages.push(a.to_string());
        }
        k += 1;
    }
    let tools = ["pip", "setuptools", "wheel"];
    if requirements.is_none() {
        if !packages.is_empty() && packages.iter().all(|p| tools.contains(&base_name(p))) {
            return Recognised::Tool("pip, setuptools and wheel are the image's own");
        }
        if packages.iter().any(|p| base_name(p) == "poetry") {
            return Recognised::Tool("the Poetry ecosystem installs Poetry itself");
        }
        if packages.iter().any(|p| base_name(p) == "uv") {
            return Recognised::Tool("the uv ecosystem brings uv itself");
        }
        if packages.iter().any(|p| p == "." || p.starts_with("-e")) {
            return Recognised::Keep;
        }
    }
    Recognised::Eco(Eco::Pip {
        requirements: requirements.unwrap_or_default(),
        packages,
    })
}

fn base_name(package: &str) -> &str {
    package
        .split(['=', '<', '>', '[', '~', '!'])
        .next()
        .unwrap_or(package)
}

pub fn map(file: &Dockerfile, context: &Context, name: &str, from_file: &str) -> Mapped {
    let mut m = Mapper {
        file,
        context,
        stages: Vec::new(),
        names: Names::new(),
        roots: Vec::new(),
        workdirs: Vec::new(),
        spec: Spec {
            name: name.to_string(),
            from_file: from_file.to_string(),
            ..Spec::default()
        },
        skipped: Vec::new(),
        ecos: Vec::new(),
        manifests: Vec::new(),
        sources: Vec::new(),
        flattened: Vec::new(),
        copies_context: false,
        build_workdir: "/".into(),
        final_workdir: "/".into(),
        build_family: Family::Debian,
        final_family: Family::Debian,
        created_users: Vec::new(),
        user_seen: false,
        root: None,
        build_stages: BTreeSet::new(),
        final_language: None,
        build_base: None,
        libraries: Vec::new(),
    };
    m.stages();
    m.run();
    Mapped {
        spec: m.spec,
        skipped: m.skipped,
        root: m.root,
    }
}

impl<'a> Mapper<'a> {
    /// Splits the instructions into stages, substituting the `ARG`s given
    /// before the first `FROM` into each `FROM`.
    fn stages(&mut self) {
        let mut globals: Vec<(String, String)> = Vec::new();
        let escape = self.file.escape;
        for i in &self.file.instructions {
            if i.keyword == "FROM" {
                let words = words_of(i);
                let reference =
                    substitute(words.first().map_or("", String::as_str), &globals, escape);
                let name = match words.as_slice() {
                    [_, as_word, name, ..] if as_word.eq_ignore_ascii_case("as") => {
                        Some(name.to_ascii_lowercase())
                    }
                    _ => None,
                };
                let index = self.stages.len();
                let parent = stage_index(&self.names, index, &reference);
                if let Some(name) = &name {
                    self.names.entry(name.clone()).or_default().push(index);
                }
                if i.flag("platform").is_some() {
                    self.skipped.push(skipped(
                        i,
                        "`--platform`: imgspec builds on the builder's platform with `cross_compile = true`",
                    ));
                }
                self.stages.push(Stage {
                    name,
                    reference,
                    parent,
                    from: i,
                    body: Vec::new(),
                });
                continue;
            }
            match self.stages.last_mut() {
                Some(stage) => stage.body.push(i),
                None if i.keyword == "ARG" => {
                    for (k, v) in arg_pairs(i, self.file.escape) {
                        let v = substitute(&v, &globals, escape);
                        globals.push((k, v));
                    }
                }
                None => self
                    .skipped
                    .push(skipped(i, "it comes before the first FROM")),
            }
        }
        // Parents come before their children, so one pass suffices.
        for k in 0..self.stages.len() {
            let (root, mut workdir) = match self.stages[k].parent {
                Some(p) => (self.roots[p], self.workdirs[p].clone()),
                None => (k, "/".to_string()),
            };
            for i in &self.stages[k].body {
                if i.keyword == "WORKDIR" {
                    let next = absolute(i.arg_text().trim(), &workdir);
                    let next = next.trim_end_matches('/');
                    workdir = if next.is_empty() {
                        "/".into()
                    } else {
                        next.to_string()
                    };
                }
            }
            self.roots.push(root);
            self.workdirs.push(workdir);
        }
    }

    /// The stage and the stages it starts from, root first.
    fn chain(&self, mut index: usize) -> Vec<usize> {
        let mut out = vec![index];
        while let Some(parent) = self.stages[index].parent {
            out.push(parent);
            index = parent;
        }
        out.reverse();
        out
    }

    /// Stages that stage `s` itself copies or mounts from.
    fn copied_from(&self, s: usize) -> Vec<usize> {
        let mut out = Vec::new();
        {
            for i in &self.stages[s].body {
                let from = i.flag("from").map(str::to_string).or_else(|| {
                    i.flags
                        .iter()
                        .filter(|f| f.name == "mount")
                        .filter_map(|f| f.value.as_deref())
                        .flat_map(|v| v.split(','))
                        .find_map(|kv| kv.strip_prefix("from=").map(str::to_string))
                });
                if let Some(from) = from {
                    if let Some(k) = stage_index(&self.names, s, &from) {
                        out.push(k);
                    }
                }
            }
        }
        out
    }

    fn run(&mut self) {
        let Some(last) = self.stages.len().checked_sub(1) else {
            return;
        };
        let final_chain = self.chain(last);
        let in_final: BTreeSet<usize> = final_chain.iter().copied().collect();
        let final_copies: Vec<usize> = final_chain
            .iter()
            .flat_map(|&s| self.copied_from(s))
            .collect();
        // The build: every stage the runner copies from, transitively,
        // with the stages each starts from. Each stage is visited once.
        let mut todo = final_copies.clone();
        let mut build: BTreeSet<usize> = BTreeSet::new();
        while let Some(s) = todo.pop() {
            let mut c = s;
            while !in_final.contains(&c) && build.insert(c) {
                todo.extend(self.copied_from(c));
                match self.stages[c].parent {
                    Some(p) => c = p,
                    None => break,
                }
            }
        }
        let root = final_chain[0];
        let final_base = base::recognise(
            &self.stages[root].reference,
            &format!("{}_runner", base_name_of(&self.spec.name)),
        );
        self.final_family = final_base.family;
        self.final_language = final_base.language;
        if build.is_empty() {
            // One stage: it builds and runs.
            self.set_base(&final_base, root, true);
            self.build_family = final_base.family;
            for s in &final_chain {
                self.walk(*s, Role::Single);
            }
        } else {
            // The main build stage: the last one the runner copies from.
            let main = final_copies
                .into_iter()
                .filter(|s| !in_final.contains(s))
                .max()
                .unwrap_or(0);
            let main_root = self.roots[main];
            let build_base = base::recognise(
                &self.stages[main_root].reference,
                &format!("{}_build", base_name_of(&self.spec.name)),
            );
            self.build_family = build_base.family;
            self.set_base(&build_base, main_root, true);
            let same_base = |m: &Self, s: usize| {
                m.stages[m.roots[s]].reference == m.stages[main_root].reference
            };
            for &s in &build {
                if same_base(self, s) {
                    self.build_stages.insert(s);
                } else {
                    let stage = &self.stages[s];
                    self.skipped.push(skipped(
                        stage.from,
                        format!(
                            "stage `{}` builds on another base: add it under `stages` (its instructions follow)",
                            stage.name.clone().unwrap_or_else(|| s.to_string())
                        ),
                    ));
                    let body: Vec<Skipped> = stage
                        .body
                        .iter()
                        .map(|i| skipped(i, "part of that stage"))
                        .collect();
                    self.skipped.extend(body);
                }
            }
            self.build_workdir = "/".into();
            let stages: Vec<usize> = self.build_stages.iter().copied().collect();
            for s in stages {
                // Each stage starts from its base's work directory; the
                // main chain's WORKDIR sets the spec's.
                self.walk(s, Role::Build);
            }
            self.set_base(&final_base, root, false);
            for s in &final_chain {
                self.walk(*s, Role::Final);
            }
        }
        self.finish();
    }

    fn set_base(&mut self, b: &base::Base, stage: usize, build: bool) {
        if let Some(module) = b.module {
            self.spec.modules.push(module);
        }
        if let Some(definition) = &b.definition {
            self.spec.definitions.push(definition.clone());
        }
        if let Some(note) = &b.note {
            self.spec
                .notes
                .push(format!("line {}: {note}", self.stages[stage].from.line));
        }
        if build {
            self.spec.base = b.call.clone();
            self.build_base = Some(b.clone());
        } else if b.call != self.spec.base {
            self.spec.run.base = Some(b.call.clone());
        }
    }

    fn skip(&mut self, i: &Instruction, reason: impl Into<String>) {
        self.skipped.push(skipped(i, reason));
    }

    fn walk(&mut self, stage: usize, role: Role) {
        let body = self.stages[stage].body.clone();
        for i in body {
            self.instruction(stage, i, role);
        }
    }

    fn workdir(&self, role: Role) -> &str {
        if role == Role::Final {
            &self.final_workdir
        } else {
            &self.build_workdir
        }
    }

    fn instruction(&mut self, stage: usize, i: &'a Instruction, role: Role) {
        match i.keyword.as_str() {
            "WORKDIR" => {
                let path = i.arg_text();
                let path = absolute(path.trim(), self.workdir(role));
                let path = path.trim_end_matches('/').to_string();
                let path = if path.is_empty() { "/".to_string() } else { path };
                match role {
                    Role::Build | Role::Single => {
                        if self.spec.workdir.is_none() && self.sources.is_empty() && self.manifests.is_empty() {
                            if path != "/app" {
                                self.spec.workdir = Some(path.clone());
                            }
                        } else if Some(&path) != self.spec.workdir.as_ref()
                            && !(self.spec.workdir.is_none() && path == "/app")
                        {
                            self.skip(i, "a second work directory: imgspec builds in one (`workdir`), and `step(..., dir:)` runs a step elsewhere");
                        }
                        self.build_workdir = path.clone();
                        if role == Role::Single {
                            self.final_workdir = path;
                        }
                    }
                    Role::Final => self.final_workdir = path,
                }
            }
            "COPY" | "ADD" => self.copy(stage, i, role),
            "RUN" => self.run_instruction(i, role),
            "ENV" => match pairs(i, self.file.escape) {
                Some(pairs) if role != Role::Build => {
                    for (k, v) in pairs {
                        self.env(i, k, v);
                    }
                }
                Some(_) => self.skip(i, "build-stage environment: set it on a step (`step(\"VAR=value cmd\")`) or in an ecosystem's `build_env`"),
                None => self.skip(i, "the line cannot be read as `KEY=value` pairs"),
            },
            "ARG" => {
                for (k, v) in arg_pairs(i, self.file.escape) {
                    let upper = k.to_ascii_uppercase();
                    if upper.starts_with("TARGET") || upper.starts_with("BUILD") {
                        self.skip(i, "imgspec declares the platform arguments itself (`cross_compile = true`)");
                    } else if looks_secret(&k) {
                        self.skip(i, "a secret in a build argument stays in the image's history: use `step(..., secrets: [...])`");
                    } else {
                        self.spec.args.push((k, v));
                    }
                }
            }
            "EXPOSE" if role != Role::Build => self.expose(i),
            "USER" if role != Role::Build => self.user(i),
            "CMD" | "ENTRYPOINT" if role != Role::Build => {
                let command = match &i.args {
                    Args::Exec(words) => Command::Exec(words.clone()),
                    Args::Shell(text) => {
                        if text.trim_start().starts_with('[') {
                            self.spec.notes.push(format!(
                                "line {}: `{}` is not valid JSON, so BuildKit runs it with a shell; so does the spec",
                                i.line,
                                text.trim()
                            ));
                        }
                        Command::Shell(text.trim().to_string())
                    }
                };
                if i.keyword == "CMD" {
                    self.spec.run.cmd = Some(command);
                } else {
                    self.spec.run.entrypoint = Some(command);
                    // An ENTRYPOINT resets an inherited CMD, as in Docker.
                }
            }
            "HEALTHCHECK" if role != Role::Build => self.health(i),
            "VOLUME" if role != Role::Build => {
                let paths = match &i.args {
                    Args::Exec(words) => words.clone(),
                    Args::Shell(text) => text.split_whitespace().map(str::to_string).collect(),
                };
                for p in paths {
                    let p = absolute(&p, &self.final_workdir);
                    let p = p.trim_end_matches('/').to_string();
                    self.spec.run.writable.push(p.clone());
                    self.spec.run.volumes.push(p);
                }
            }
            "STOPSIGNAL" if role != Role::Build => {
                self.spec.run.stop_signal = Some(i.arg_text().trim().to_string());
            }
            "LABEL" if role != Role::Build => match pairs(i, self.file.escape) {
                Some(pairs) => self.spec.run.labels.extend(pairs),
                None => self.skip(i, "the line cannot be read as `KEY=value` pairs"),
            },
            "EXPOSE" | "USER" | "CMD" | "ENTRYPOINT" | "HEALTHCHECK" | "VOLUME" | "STOPSIGNAL"
            | "LABEL" => self.skip(i, "it belongs to a build stage, which never runs"),
            "SHELL" => self.skip(i, "imgspec runs steps with the base's shell (bash with `pipefail` where it can)"),
            "ONBUILD" => self.skip(i, "a trigger for images built from this one: imgspec has none"),
            "MAINTAINER" => self.skip(i, "deprecated: add `\"org.opencontainers.image.authors\"` to `run.labels`"),
            "FROM" => {}
            _ => self.skip(i, "not a Dockerfile instruction"),
        }
    }

    fn env(&mut self, i: &Instruction, key: String, value: String) {
        let venv_path = value.contains("/opt/venv") || value.contains("/.venv");
        if key == "PATH" && venv_path {
            return; // the Python ecosystems set it
        }
        if key == "VIRTUAL_ENV" || (key == "PATH" && value.contains("/root/.local/bin")) {
            return;
        }
        if looks_secret(&key) {
            self.skip(
                i,
                format!("`{key}` looks like a secret: pass it at run time, never in the image"),
            );
            return;
        }
        if matches!(key.as_str(), "DEBIAN_FRONTEND") {
            return; // set on apt-get itself
        }
        if matches!(
            key.as_str(),
            "PIP_NO_CACHE_DIR"
                | "PIP_DISABLE_PIP_VERSION_CHECK"
                | "POETRY_VIRTUALENVS_CREATE"
                | "POETRY_NO_INTERACTION"
                | "POETRY_VIRTUALENVS_IN_PROJECT"
                | "UV_COMPILE_BYTECODE"
                | "UV_LINK_MODE"
                | "CGO_ENABLED"
                | "NPM_CONFIG_LOGLEVEL"
        ) {
            self.skip(
                i,
                format!(
                    "`{key}` is for the install, which the ecosystem runs with its own settings"
                ),
            );
            return;
        }
        self.spec.run.env.push((key, value));
    }

    fn expose(&mut self, i: &Instruction) {
        for word in i.arg_text().split_whitespace() {
            let (port, proto) = word.split_once('/').unwrap_or((word, "tcp"));
            let Ok(port) = port.parse::<u32>() else {
                self.skip(i, format!("`{word}` is not a port number"));
                continue;
            };
            if !proto.eq_ignore_ascii_case("tcp") {
                self.skip(i, format!("`{word}`: `expose` takes TCP ports"));
                continue;
            }
            let port = if port < 1024 {
                if self.final_language == Some("nginx") && port == 80 {
                    self.spec.notes.push(format!(
                        "line {}: port 80 became 8080, where unprivileged nginx listens",
                        i.line
                    ));
                    8080
                } else {
                    self.skip(i, format!("port {port} needs root to bind: make the application listen on a port from 1024 up and expose that"));
                    continue;
                }
            } else {
                port
            };
            self.spec.run.expose.push(port);
        }
    }

    fn user(&mut self, i: &Instruction) {
        self.user_seen = true;
        let text = i.arg_text();
        let text = text.trim();
        let (name, group) = text.split_once(':').unwrap_or((text, ""));
        if name == "root" || name == "0" {
            self.root = Some((i.span.clone(), text.to_string()));
            self.spec.run.user = None;
            return;
        }
        self.root = None;
        let known = |n: &str| {
            matches!(
                n,
                "node" | "www-data" | "nonroot" | "app" | "nginx" | "nobody" | "ubuntu"
            )
        };
        if let Ok(uid) = name.parse::<u32>() {
            self.spec.run.user = Some(match group.parse::<u32>() {
                Ok(gid) if gid != uid => super::write::string(&format!("{uid}:{gid}")),
                _ => uid.to_string(),
            });
            return;
        }
        let created = self.created_users.iter().find(|(n, _)| n == name).cloned();
        self.spec.run.user = Some(match created {
            Some((name, Some(uid))) => format!("user({}, uid: {uid})", super::write::string(&name)),
            Some((name, None)) => {
                self.spec.notes.push(format!(
                    "line {}: user `{name}` was created without a uid: it gets 10001",
                    i.line
                ));
                format!("user({}, uid: 10001)", super::write::string(&name))
            }
            None if known(name) && self.final_family != Family::Bare || name == "nonroot" => {
                if name == "nonroot"
                    || name == "nginx"
                    || (name == "node" && self.final_language == Some("node"))
                    || (name == "app" && self.final_language == Some("dotnet"))
                {
                    // The runner's default user: nothing to say.
                    return self.clear_default_user(name);
                }
                format!("user({})", super::write::string(name))
            }
            None => {
                self.skip(i, format!("user `{name}` is not created here: imgspec runs as a user of its own (uid 10001 unless `run.user` says otherwise)"));
                return;
            }
        });
    }

    /// `USER` naming the base's own non-root user, which imgspec uses
    /// anyway.
    fn clear_default_user(&mut self, _name: &str) {
        self.spec.run.user = None;
    }

    fn health(&mut self, i: &Instruction) {
        let words = words_of(i);
        if words
            .first()
            .is_some_and(|w| w.eq_ignore_ascii_case("NONE"))
        {
            self.skip(i, "the base's health check is switched off: imgspec adds none unless `health` says so");
            return;
        }
        let mut options = Vec::new();
        for flag in &i.flags {
            let value = flag.value.clone().unwrap_or_default();
            let name = match flag.name.as_str() {
                "interval" => "every",
                "timeout" => "timeout",
                "start-period" => "start",
                "retries" => {
                    options.push(format!("retries: {}", value.parse::<u32>().unwrap_or(3)));
                    continue;
                }
                other => {
                    self.skip(
                        i,
                        format!("`--{other}` has no health-check parameter in imgspec"),
                    );
                    continue;
                }
            };
            match duration(&value) {
                Some(d) => options.push(format!("{name}: {d}")),
                None => self.skip(i, format!("`--{}={value}` is not a duration", flag.name)),
            }
        }
        let check = match &i.args {
            Args::Exec(words) if words.first().is_some_and(|w| w == "CMD") => {
                let rest: Vec<String> =
                    words[1..].iter().map(|w| super::write::string(w)).collect();
                format!("exec([{}]", rest.join(", "))
            }
            Args::Exec(words) if words.first().is_some_and(|w| w == "CMD-SHELL") => {
                format!("shell({}", super::write::string(&words[1..].join(" ")))
            }
            Args::Shell(text) => {
                let text = text.trim();
                let rest = text
                    .strip_prefix("CMD")
                    .or_else(|| text.strip_prefix("cmd"))
                    .map(str::trim);
                match rest {
                    Some(rest) => match serde_json::from_str::<Vec<String>>(rest) {
                        Ok(words) => {
                            let words: Vec<String> =
                                words.iter().map(|w| super::write::string(w)).collect();
                            format!("exec([{}]", words.join(", "))
                        }
                        Err(_) => format!("shell({}", super::write::string(rest)),
                    },
                    None => {
                        self.skip(i, "a health check without CMD");
                        return;
                    }
                }
            }
            _ => {
                self.skip(i, "a health check without CMD");
                return;
            }
        };
        let mut text = check;
        for o in options {
            text.push_str(", ");
            text.push_str(&o);
        }
        text.push(')');
        self.spec.run.health = Some(text);
    }

    fn copy(&mut self, stage: usize, i: &'a Instruction, role: Role) {
        if !i.heredocs.is_empty() {
            self.skip(
                i,
                "a file written by a heredoc: add it to the build context and list it in `sources`",
            );
            return;
        }
        let words = words_of(i);
        if words.len() < 2 {
            self.skip(i, "no source and destination");
            return;
        }
        let (srcs, dest) = words.split_at(words.len() - 1);
        let dest = dest[0].clone();
        let from = i.flag("from").map(str::to_string);
        let is_add = i.keyword == "ADD";
        if is_add && srcs.iter().any(|s| s.contains("://")) {
            if let (Some(sum), [url]) = (i.flag("checksum"), srcs) {
                if role != Role::Build {
                    self.skip(i, format!("a checked download: add it to `run.files` as {{ url = \"{url}\", sha256 = \"{}\", to = \"{}\" }}", sum.trim_start_matches("sha256:"), absolute(&dest, &self.final_workdir)));
                    return;
                }
            }
            self.skip(i, "a download in the build: fetch it in a step with a checksum, or in `run.files` with `sha256`");
            return;
        }
        if is_add
            && srcs.iter().any(|s| {
                [".tar", ".tgz", ".tar.gz", ".tar.xz", ".zip"]
                    .iter()
                    .any(|e| s.ends_with(e))
            })
        {
            self.skip(i, "ADD unpacks archives: unpack it in a build step");
            return;
        }
        match from {
            Some(from) => match stage_index(&self.names, stage, &from) {
                Some(k) => self.copy_from_stage(k, i, srcs, &dest, role),
                None => self.copy_from_image(i, &from, srcs, &dest, role),
            },
            None => self.copy_context(i, srcs, &dest, role),
        }
    }

    fn copy_from_image(
        &mut self,
        i: &Instruction,
        image: &str,
        srcs: &[String],
        dest: &str,
        role: Role,
    ) {
        if image.contains("astral-sh/uv") {
            self.skip(i, "uv comes with the uv ecosystem (`python.uv()`)");
            return;
        }
        if role == Role::Build {
            self.skip(i, format!("a file from `{image}` in the build stage: add it to `run.files` if the runner needs it"));
            return;
        }
        let r = base::parse_reference(image);
        if r.tag.is_none() && r.digest.is_none() || r.tag.as_deref() == Some("latest") {
            self.skip(
                i,
                format!("`{image}` is not pinned: add it to `run.files` with a tag or digest"),
            );
            return;
        }
        let mode = i.flag("chmod").map(str::to_string);
        for src in srcs {
            let name = src.trim_end_matches('/').rsplit('/').next().unwrap_or(src);
            let to = if dest.ends_with('/') {
                format!(
                    "{}{}",
                    absolute(dest, &self.final_workdir).trim_end_matches('/'),
                    format_args!("/{name}")
                )
            } else {
                absolute(dest, &self.final_workdir)
            };
            self.spec.run.files.push(File {
                image: image.to_string(),
                from: src.clone(),
                to,
                mode: mode.clone(),
            });
        }
    }

    fn copy_from_stage(
        &mut self,
        k: usize,
        i: &Instruction,
        srcs: &[String],
        dest: &str,
        role: Role,
    ) {
        if role == Role::Build {
            // Between build stages: the dependencies (`node_modules`) or
            // an earlier build's output, all one build stage here.
            return;
        }
        if !self.build_stages.contains(&k) {
            if !self.skipped.iter().any(|s| s.line == i.line) {
                self.skip(i, "copied from a stage that is not imported");
            }
            return;
        }
        let stage_workdir = self.workdirs[k].clone();
        for src in srcs {
            let abs = absolute(src, &stage_workdir);
            let from = match relative_to(&abs, &self.build_workdir) {
                Some(rel) if !rel.is_empty() => rel,
                _ => abs.clone(),
            };
            // Dependencies come from their own stage.
            let dep_dirs = [
                "node_modules",
                "vendor",
                "/opt/venv",
                "/usr/local/bundle",
                ".venv",
            ];
            if dep_dirs.iter().any(|d| {
                from.trim_end_matches('/') == *d
                    || from.trim_end_matches('/').ends_with(&format!("/{d}")) && d.starts_with('/')
            }) {
                continue;
            }
            if from.trim_end_matches('/') == "/usr/local/lib/python3"
                || from.starts_with("/usr/local/lib/python")
                || from.starts_with("/root/.local")
            {
                self.skip(
                    i,
                    "the Python packages come from the ecosystem's virtual environment",
                );
                continue;
            }
            let name = abs
                .trim_end_matches('/')
                .rsplit('/')
                .next()
                .unwrap_or("")
                .to_string();
            let dest_abs = absolute(dest, &self.final_workdir);
            let src_is_dir = src.ends_with('/')
                || src == "."
                || src.ends_with("/.")
                || self.sources.iter().any(|s| {
                    s.trim_end_matches('/') == from.trim_end_matches('/') && s.ends_with('/')
                })
                || matches!(
                    name.as_str(),
                    "public"
                        | "dist"
                        | "build"
                        | "static"
                        | "standalone"
                        | "out"
                        | "publish"
                        | "assets"
                        | "www"
                        | "html"
                        | "site"
                        | "app"
                        | "src"
                        | "routes"
                        | "config"
                        | "lib"
                );
            let to = if dest.ends_with('/') || dest == "." {
                if src_is_dir {
                    format!("{}/", dest_abs.trim_end_matches('/'))
                } else {
                    format!("{}/{name}", dest_abs.trim_end_matches('/'))
                }
            } else if src_is_dir {
                format!("{}/", dest_abs.trim_end_matches('/'))
            } else {
                dest_abs
            };
            let from = if src_is_dir && !from.ends_with('/') {
                format!("{from}/")
            } else {
                from
            };
            // Where it would land by default: the same path in the runner.
            let default_to = if from.starts_with('/') {
                from.clone()
            } else {
                format!("{}/{}", self.build_workdir.trim_end_matches('/'), from)
            };
            let artifact = Artifact {
                from,
                to: (to != default_to
                    && to.trim_end_matches('/') != default_to.trim_end_matches('/'))
                .then_some(to),
                runtime_owner: i.flag("chown").is_some(),
                mode: i.flag("chmod").map(str::to_string),
            };
            self.spec.artifacts.push(artifact);
        }
    }

    fn copy_context(&mut self, i: &Instruction, srcs: &[String], dest: &str, role: Role) {
        if role == Role::Final {
            // A file of the context copied into the runner: it goes through
            // the build stage as a source and comes out as an artifact.
            for src in srcs {
                let Some(src_clean) = clean(src).filter(|s| !s.is_empty() && !s.starts_with('/'))
                else {
                    self.skip(i, "a path outside the build context");
                    return;
                };
                let is_dir = src.ends_with('/') || self.context.is_dir(&src_clean);
                let src_clean = if is_dir && !src_clean.ends_with('/') {
                    format!("{src_clean}/")
                } else {
                    src_clean
                };
                let name = src_clean
                    .trim_end_matches('/')
                    .rsplit('/')
                    .next()
                    .unwrap_or("")
                    .to_string();
                let dest_abs = absolute(dest, &self.final_workdir);
                let to = if is_dir {
                    format!("{}/", dest_abs.trim_end_matches('/'))
                } else if dest.ends_with('/') || dest == "." {
                    format!("{}/{name}", dest_abs.trim_end_matches('/'))
                } else {
                    dest_abs
                };
                self.sources.push(src_clean.clone());
                let default_to =
                    format!("{}/{}", self.build_workdir.trim_end_matches('/'), src_clean);
                self.spec.artifacts.push(Artifact {
                    from: src_clean,
                    to: (to != default_to).then_some(to),
                    runtime_owner: i.flag("chown").is_some(),
                    mode: i.flag("chmod").map(str::to_string),
                });
            }
            return;
        }
        let workdir = self.build_workdir.clone();
        let dest_abs = absolute(dest, &workdir);
        let dest_dir = dest.ends_with('/') || dest == "." || srcs.len() > 1;
        for src in srcs {
            let Some(src_clean) = clean(src) else {
                self.skip(i, "a path outside the build context");
                continue;
            };
            if src_clean.is_empty() {
                // `COPY . .`: the whole context.
                if dest_abs.trim_end_matches('/') != workdir.trim_end_matches('/') {
                    self.skip(i, "the whole context copied outside the work directory");
                    continue;
                }
                self.copies_context = true;
                continue;
            }
            if src_clean.starts_with('/') {
                self.skip(i, "a path outside the build context");
                continue;
            }
            if is_manifest(&src_clean) {
                if let Some(eco) = manifest_eco(&src_clean) {
                    self.manifests_eco(eco);
                }
                self.manifests.push(src_clean);
                continue;
            }
            let is_dir = src_clean.ends_with('/') || self.context.is_dir(&src_clean);
            let name = src_clean.trim_end_matches('/').to_string();
            let expected = format!("{}/{}", workdir.trim_end_matches('/'), name);
            let lands = if is_dir {
                dest_abs.trim_end_matches('/').to_string()
            } else if dest_dir {
                format!(
                    "{}/{}",
                    dest_abs.trim_end_matches('/'),
                    name.rsplit('/').next().unwrap_or(&name)
                )
            } else {
                dest_abs.clone()
            };
            let source = if is_dir {
                format!("{name}/")
            } else {
                name.clone()
            };
            if lands != expected && !(is_dir && lands == workdir.trim_end_matches('/')) {
                self.spec.notes.push(format!(
                    "line {}: `{src}` is copied to `{}` in the spec, not to `{dest}`",
                    i.line, expected
                ));
            } else if is_dir && lands == workdir.trim_end_matches('/') {
                self.flattened.push(source.clone());
            }
            self.sources.push(source);
        }
    }

    fn manifests_eco(&mut self, eco: Eco) {
        // Lock files decide between npm, Yarn and pnpm.
        if !self.ecos.iter().any(|e| {
            e.family() == eco.family() && std::mem::discriminant(e) == std::mem::discriminant(&eco)
        }) {
            self.ecos.push(eco);
        }
    }

    fn run_instruction(&mut self, i: &Instruction, role: Role) {
        // A RUN with a heredoc script: a multi-line step.
        if let Some(h) = i.heredocs.first() {
            let script = h.body.trim_end().to_string();
            if i.heredocs.len() > 1 {
                self.skip(i, "a RUN with several heredocs");
                return;
            }
            if script.contains("<<") {
                self.skip(i, "a heredoc inside the script");
                return;
            }
            self.step(i, role, script, None);
            return;
        }
        let text = match &i.args {
            Args::Exec(words) => shell::join(words),
            Args::Shell(text) => text.trim().to_string(),
        };
        let Some(commands) = shell::split(&text) else {
            if unchecked_download(&text) {
                self.skip(i, "a download without a checksum");
            } else {
                self.step(i, role, text, None);
            }
            return;
        };
        let mut kept: Vec<String> = Vec::new();
        let mut dir: Option<String> = None;
        for c in &commands {
            if c.program() == "cd" && c.words().len() == 2 {
                let target = absolute(
                    &c.words()[1],
                    dir.as_deref().map_or(self.workdir(role), |d| d),
                );
                dir = Some(target);
                continue;
            }
            if c.program() == "set" {
                continue;
            }
            match recognise(c) {
                Recognised::Boilerplate => {}
                Recognised::Packages(packages, virtual_build) => {
                    self.packages(i, packages, role, virtual_build);
                }
                Recognised::Eco(eco) => {
                    if role == Role::Final {
                        self.skip(i, format!("`{}` in the runner: the ecosystem installs in the build and the runner copies the result", c.raw));
                        continue;
                    }
                    self.command_eco(eco);
                }
                Recognised::Tool(why) => {
                    self.skipped.push(Skipped {
                        span: i.span.clone(),
                        line: i.line,
                        text: format!("RUN {}", c.raw),
                        reason: why.to_string(),
                    });
                }
                Recognised::User(name, uid) => {
                    self.created_users.push((name, uid));
                }
                Recognised::Skip(why) => {
                    self.skipped.push(Skipped {
                        span: i.span.clone(),
                        line: i.line,
                        text: format!("RUN {}", c.raw),
                        reason: why,
                    });
                }
                Recognised::Keep => kept.push(c.raw.clone()),
            }
        }
        if !kept.is_empty() {
            let dir = dir.and_then(|d| {
                let base = self.workdir(role).to_string();
                if d == base {
                    None
                } else {
                    Some(relative_to(&d, &base).unwrap_or(d))
                }
            });
            self.step(i, role, kept.join(" && "), dir);
        }
    }

    fn step(&mut self, i: &Instruction, role: Role, command: String, dir: Option<String>) {
        if let Some(d) = &dir {
            if d.starts_with('/') {
                self.skip(
                    i,
                    format!("`cd {d}`: a step runs in the work directory or below it"),
                );
                return;
            }
        }
        if !command.contains('\n') {
            if let Err(why) = safe_step(&command) {
                self.skip(i, format!("imgspec cannot write this command: {why}"));
                return;
            }
        }
        if role == Role::Final {
            if dir.is_some() {
                self.skip(i, "`cd` in the runner's setup");
                return;
            }
            self.spec.run.setup.push(command);
            return;
        }
        let mut cache = Vec::new();
        let mut secrets = Vec::new();
        for mount in i.flags.iter().filter(|f| f.name == "mount") {
            let value = mount.value.clone().unwrap_or_default();
            let fields: Vec<(&str, &str)> = value
                .split(',')
                .map(|kv| kv.split_once('=').unwrap_or((kv, "")))
                .collect();
            let get = |k: &str| fields.iter().find(|(n, _)| *n == k).map(|(_, v)| *v);
            match get("type").unwrap_or("bind") {
                "cache" => {
                    if let Some(target) = get("target").or(get("dst")).or(get("destination")) {
                        cache.push(absolute(target, &self.build_workdir));
                    }
                }
                "secret" => {
                    let id = get("id").unwrap_or("secret").to_string();
                    let target = get("target")
                        .or(get("dst"))
                        .map(str::to_string)
                        .unwrap_or_else(|| format!("/run/secrets/{id}"));
                    secrets.push((id, target));
                }
                other => self.skip(
                    i,
                    format!("a `--mount=type={other}`: imgspec mounts caches and secrets"),
                ),
            }
        }
        if i.flags
            .iter()
            .any(|f| f.name == "network" || f.name == "security")
        {
            self.skip(
                i,
                "`--network` and `--security` have no equivalent in imgspec",
            );
        }
        self.spec.build.push(Step {
            command,
            dir,
            cache,
            secrets,
        });
    }

    fn packages(
        &mut self,
        i: &Instruction,
        packages: Vec<String>,
        role: Role,
        virtual_build: bool,
    ) {
        for p in packages {
            if p.contains(['$', '*', '{']) {
                self.skip(i, format!("package `{p}` is not a plain name"));
                continue;
            }
            let build = match role {
                Role::Build => true,
                Role::Final => false,
                Role::Single => virtual_build || is_build_package(&p),
            };
            if build {
                if role == Role::Single && self.build_family == Family::Debian {
                    if let Some(lib) = runtime_library(&p) {
                        if !self.libraries.contains(&lib) {
                            self.libraries.push(lib);
                            self.spec.notes.push(format!(
                                "line {}: `{lib}` added to the runtime packages: the runner gets the library `{p}` brought with it, not the headers",
                                i.line
                            ));
                            self.spec.runtime_packages.push(lib.to_string());
                        }
                    }
                }
                self.spec.build_packages.push(p);
            } else {
                self.spec.runtime_packages.push(p);
            }
        }
    }

    fn command_eco(&mut self, eco: Eco) {
        match eco {
            Eco::Pip {
                requirements,
                packages,
            } => {
                if let Some(Eco::Pip {
                    requirements: r,
                    packages: p,
                }) = self.ecos.iter_mut().find(|e| matches!(e, Eco::Pip { .. }))
                {
                    if !requirements.is_empty() {
                        *r = requirements;
                    }
                    p.extend(packages);
                } else {
                    self.ecos.push(Eco::Pip {
                        requirements,
                        packages,
                    });
                }
            }
            Eco::Yarn if self.context.exists(".yarnrc.yml") => self.manifests_eco(Eco::YarnBerry),
            other => {
                let other = match other {
                    Eco::Nuget { project } if project.is_empty() => {
                        match self.ecos.iter().find(|e| matches!(e, Eco::Nuget { .. })) {
                            Some(_) => return,
                            None => Eco::Nuget {
                                project: "App.csproj".into(),
                            },
                        }
                    }
                    Eco::Gradle { .. }
                        if self.ecos.iter().any(|e| matches!(e, Eco::Gradle { .. })) =>
                    {
                        return
                    }
                    Eco::Maven { wrapper } => {
                        self.ecos.retain(|e| !matches!(e, Eco::Maven { .. }));
                        Eco::Maven { wrapper }
                    }
                    o => o,
                };
                self.manifests_eco(other);
            }
        }
    }

    /// Chooses the ecosystems, the sources of `COPY . .`, the user
    /// comment, and the artifacts a build needs.
    fn finish(&mut self) {
        let mut ecos = std::mem::take(&mut self.ecos);
        // Node: the lock file decides.
        let has = |ecos: &[Eco], e: &Eco| {
            ecos.iter()
                .any(|x| std::mem::discriminant(x) == std::mem::discriminant(e))
        };
        if has(&ecos, &Eco::Pnpm) || has(&ecos, &Eco::Yarn) || has(&ecos, &Eco::YarnBerry) {
            ecos.retain(|e| *e != Eco::Npm);
        }
        if has(&ecos, &Eco::YarnBerry) {
            ecos.retain(|e| *e != Eco::Yarn);
        }
        if has(&ecos, &Eco::Poetry) || has(&ecos, &Eco::Uv) {
            ecos.retain(|e| !matches!(e, Eco::Pip { requirements, .. } if requirements.is_empty()));
        }
        // A manifest family without its lock: npm needs package-lock.json.
        if ecos.iter().any(|e| e.family() == "node")
            && ecos.contains(&Eco::Npm)
            && !self.context.exists("package-lock.json")
            && self.context.dir.is_some()
        {
            self.spec.notes.push("the npm ecosystem installs with `npm ci`, which needs `package-lock.json`: run `npm install` once and commit it".into());
        }
        let mut deps = Vec::new();
        for eco in &ecos {
            let (module, text) = match eco {
                Eco::Pip {
                    requirements,
                    packages,
                } => {
                    let mut args = Vec::new();
                    let requirements = if requirements.is_empty() {
                        "requirements.txt"
                    } else {
                        requirements.as_str()
                    };
                    if requirements.is_empty()
                        || (!self.context.exists(requirements) && self.context.dir.is_some())
                            && packages.is_empty()
                    {
                        // pip install of named packages only.
                    }
                    if requirements != "requirements.txt" {
                        args.push(format!(
                            "requirements: {}",
                            super::write::string(requirements)
                        ));
                    }
                    if !packages.is_empty() {
                        let p: Vec<String> =
                            packages.iter().map(|p| super::write::string(p)).collect();
                        args.push(format!("packages: [{}]", p.join(", ")));
                    }
                    ("python", format!("python.pip({})", args.join(", ")))
                }
                Eco::Poetry => ("python", "python.poetry()".to_string()),
                Eco::Uv => ("python", "python.uv()".to_string()),
                Eco::Npm => ("node", "node.npm()".to_string()),
                Eco::Yarn => ("node", "node.yarn()".to_string()),
                Eco::YarnBerry => ("node", "node.yarn_berry(release: false)".to_string()),
                Eco::Pnpm => {
                    if self.context.exists("pnpm-workspace.yaml") {
                        ("node", "node.pnpm(workspace: true)".to_string())
                    } else {
                        ("node", "node.pnpm()".to_string())
                    }
                }
                Eco::Go => ("go", "go.modules()".to_string()),
                Eco::Cargo => {
                    let bin = self.cargo_bin();
                    let static_link = self.build_family == Family::Alpine;
                    let mut args = vec![format!("bin: {}", super::write::string(&bin))];
                    if static_link {
                        args.push("linkage: \"static\"".into());
                    }
                    ("rust", format!("rust.cargo({})", args.join(", ")))
                }
                Eco::Bundler => {
                    let ruby = self
                        .build_base
                        .as_ref()
                        .filter(|b| b.language == Some("ruby"))
                        .and_then(|b| b.version.clone())
                        .map(|v| v.split('.').take(2).collect::<Vec<_>>().join("."));
                    match ruby.filter(|v| v != "3.3") {
                        Some(v) => (
                            "ruby",
                            format!("ruby.bundler(ruby: {})", super::write::string(&v)),
                        ),
                        None => ("ruby", "ruby.bundler()".to_string()),
                    }
                }
                Eco::Composer => ("php", "php.composer()".to_string()),
                Eco::Maven { wrapper } => {
                    if *wrapper {
                        ("java", "java.maven(wrapper: true)".to_string())
                    } else {
                        ("java", "java.maven()".to_string())
                    }
                }
                Eco::Gradle { kotlin } => {
                    if *kotlin {
                        ("java", "java.gradle(dsl: \"kotlin\")".to_string())
                    } else {
                        ("java", "java.gradle()".to_string())
                    }
                }
                Eco::Nuget { project } => {
                    let project = if project.is_empty() || project == "App.csproj" {
                        self.manifests
                            .iter()
                            .find(|m| m.ends_with(".csproj") || m.ends_with(".sln"))
                            .cloned()
                            .unwrap_or_else(|| "App.csproj".into())
                    } else {
                        project.clone()
                    };
                    (
                        "dotnet",
                        format!("dotnet.nuget(project: {})", super::write::string(&project)),
                    )
                }
            };
            self.spec.modules.push(module);
            if !deps.contains(&text) {
                deps.push(text);
            }
        }
        self.spec.deps = deps;
        // Build steps that the ecosystem's tool runs: the wrapper scripts
        // the manifests list are not sources.
        if self.copies_context {
            match self.context.entries() {
                Some(entries) => {
                    let ignored = self.dockerignore();
                    for entry in entries {
                        let bare = entry.trim_end_matches('/');
                        if bare.starts_with('.')
                            || bare == self.context.dockerfile
                            || bare.starts_with("Dockerfile")
                            || bare.ends_with(".imgspec")
                            || bare.ends_with(".md")
                            || matches!(bare, "node_modules" | "__pycache__" | "target" | "venv" | "bin" | "obj" | "dist" | "build" | "compose.yaml" | "docker-compose.yml" | "docker-compose.yaml")
                                && !(bare == "bin" && self.build_family != Family::Bare && !self.ecos_is_dotnet(&ecos))
                            || is_manifest(bare)
                            || ignored.iter().any(|p| p.trim_matches('/') == bare)
                        {
                            continue;
                        }
                        self.sources.push(entry);
                    }
                    self.spec.notes.push("`COPY . .` became the entries of the build context listed in `sources` (manifests, dot files and build output left out): check the list".into());
                }
                None => self.spec.notes.push(
                    "`COPY . .`: list the context's directories and files in `sources` (imgspec refuses \".\")".into(),
                ),
            }
        }
        self.sources.sort();
        self.sources.dedup();
        self.spec.sources = std::mem::take(&mut self.sources);
        if self.flattened.len() == 1 && self.spec.run.workdir.is_none() {
            let dir = self.flattened[0].trim_end_matches('/');
            self.spec.run.workdir = Some(format!(
                "{}/{}",
                self.build_workdir.trim_end_matches('/'),
                dir
            ));
            self.spec.notes.push(format!(
                "`{dir}/` was copied flat into the work directory; the spec copies it to `{dir}/` and starts the runner there"
            ));
        }
        // The runner's work directory, when it is not the build's.
        if self.spec.run.workdir.is_none()
            && self.final_workdir != self.build_workdir
            && self.final_workdir != "/"
        {
            self.spec.run.workdir = Some(self.final_workdir.clone());
        }
        // A build whose dependencies live in the work directory names what
        // the runner takes.
        let in_workdir = ecos.iter().any(|e| e.in_workdir().is_some());
        if in_workdir && !self.spec.build.is_empty() && self.spec.artifacts.is_empty() {
            let mut artifacts: Vec<String> = self.spec.sources.clone();
            for m in &self.manifests {
                if m == "package.json" || m == "composer.json" {
                    artifacts.push(m.clone());
                }
            }
            self.spec.artifacts = artifacts
                .into_iter()
                .map(|from| Artifact {
                    from,
                    to: None,
                    runtime_owner: false,
                    mode: None,
                })
                .collect();
            self.spec.notes.push("the runner takes the sources and `package.json`: add what the build steps write to `artifacts`".into());
        }
        // Artifacts copied from the work directory of a stage whose
        // sources are interpreted: keep them relative.
        if !self.user_seen {
            let from = self.stages.last().map(|s| s.from);
            if let Some(from) = from {
                if self.final_family != Family::Bare && self.root.is_none() {
                    self.root = Some((from.span.clone(), String::new()));
                }
            }
        }
        if let Some((_, user)) = &self.root {
            let text = if user.is_empty() {
                "the Dockerfile sets no USER, so it ran as root; imgspec runs it as a non-root user"
                    .to_string()
            } else {
                format!("`USER {user}` ran it as root; imgspec runs it as a non-root user (`run.user`, or `allow_root` with a reason)")
            };
            self.spec.notes.push(text);
        }
        self.spec.modules.sort_unstable();
        self.spec.modules.dedup();
        self.spec.build_packages.sort();
        self.spec.build_packages.dedup();
        self.spec.runtime_packages.sort();
        self.spec.runtime_packages.dedup();
        dedup_in_order(&mut self.spec.run.expose);
        dedup_in_order(&mut self.spec.run.volumes);
        dedup_in_order(&mut self.spec.run.writable);
        dedup_in_order(&mut self.spec.artifacts);
        // A variable set twice keeps its first place and its last value.
        let mut last: std::collections::HashMap<String, String> =
            self.spec.run.env.iter().cloned().collect();
        let mut env = Vec::new();
        for (k, _) in std::mem::take(&mut self.spec.run.env) {
            if let Some(v) = last.remove(&k) {
                env.push((k, v));
            }
        }
        self.spec.run.env = env;
        let mut seen = std::collections::HashSet::new();
        self.spec.args.retain(|(k, _)| seen.insert(k.clone()));
        for s in &self.skipped {
            let text: String = s.text.chars().take(100).collect();
            let ellipsis = if s.text.chars().count() > 100 {
                "..."
            } else {
                ""
            };
            self.spec
                .not_imported
                .push(format!("line {}: {text}{ellipsis} ({})", s.line, s.reason));
        }
    }

    fn ecos_is_dotnet(&self, ecos: &[Eco]) -> bool {
        ecos.iter().any(|e| e.family() == "dotnet")
    }

    /// The binary cargo builds: the package's name in Cargo.toml.
    fn cargo_bin(&self) -> String {
        let from_artifact = self.spec.artifacts.iter().find_map(|a| {
            a.from
                .strip_prefix("target/release/")
                .or_else(|| a.from.rsplit_once("/target/release/").map(|(_, b)| b))
                .map(str::to_string)
        });
        if let Some(bin) = from_artifact {
            return bin;
        }
        let text = self.context.read("Cargo.toml").unwrap_or_default();
        let mut in_package = false;
        for line in text.lines() {
            let line = line.trim();
            if line.starts_with('[') {
                in_package = line == "[package]";
                continue;
            }
            if in_package {
                if let Some(value) = line.strip_prefix("name") {
                    let value = value.trim_start().trim_start_matches('=').trim();
                    return value.trim_matches('"').to_string();
                }
            }
        }
        "app".into()
    }

    /// The top-level patterns of the context's `.dockerignore`.
    fn dockerignore(&self) -> Vec<String> {
        self.context
            .read(".dockerignore")
            .unwrap_or_default()
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty() && !l.starts_with('#') && !l.starts_with('!'))
            .map(|l| l.trim_start_matches("**/").to_string())
            .collect()
    }
}

/// Removes later duplicates, keeping the first of each.
fn dedup_in_order<T: Eq + std::hash::Hash + Clone>(items: &mut Vec<T>) {
    let mut seen = std::collections::HashSet::new();
    items.retain(|i| seen.insert(i.clone()));
}

fn base_name_of(name: &str) -> String {
    name.replace('-', "_")
}

fn looks_secret(name: &str) -> bool {
    let upper = name.to_ascii_uppercase();
    [
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
    ]
    .iter()
    .any(|w| upper.contains(w))
}

/// `ARG NAME` and `ARG NAME=default` (several per line).
fn arg_pairs(i: &Instruction, escape: char) -> Vec<(String, String)> {
    shell_words_keep_dollar(&i.arg_text(), escape)
        .unwrap_or_default()
        .into_iter()
        .map(|w| match w.split_once('=') {
            Some((k, v)) => (k.to_string(), v.to_string()),
            None => (w, String::new()),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(duration("30s").as_deref(), Some("30s"));
        assert_eq!(duration("1m30s").as_deref(), Some("90s"));
        assert_eq!(duration("2m").as_deref(), Some("2m"));
        assert_eq!(duration("500ms").as_deref(), Some("500ms"));
        assert_eq!(duration("x"), None);
    }

    #[test]
    fn paths() {
        assert_eq!(clean("./src/").as_deref(), Some("src/"));
        assert_eq!(clean(".").as_deref(), Some(""));
        assert_eq!(absolute("src", "/app"), "/app/src");
        assert_eq!(clean("../x"), None);
    }
}
