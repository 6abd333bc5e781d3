//! The checked model of an image: every field typed, every default filled.
//! `types` builds it from an expanded record; `ir` lowers it to stages.

use crate::source::Span;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Distro {
    Debian,
    Ubuntu,
    Alpine,
    Rhel,
    Wolfi,
    Distroless,
    Scratch,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Libc {
    Glibc,
    Musl,
    None,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shell {
    Bash,
    Ash,
    Sh,
    None,
}

impl Shell {
    pub fn path(self) -> Option<&'static str> {
        match self {
            Shell::Bash => Some("/bin/bash"),
            Shell::Ash => Some("/bin/ash"),
            Shell::Sh => Some("/bin/sh"),
            Shell::None => None,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PackageManager {
    Apt,
    Apk,
    Dnf,
    Microdnf,
    None,
}

impl PackageManager {
    pub fn name(self) -> &'static str {
        match self {
            PackageManager::Apt => "apt",
            PackageManager::Apk => "apk",
            PackageManager::Dnf => "dnf",
            PackageManager::Microdnf => "microdnf",
            PackageManager::None => "none",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImageRef {
    /// registry/name, e.g. `python` or `gcr.io/distroless/static-debian12`.
    pub name: String,
    pub tag: Option<String>,
    pub digest: Option<String>,
}

impl ImageRef {
    pub fn is_scratch(&self) -> bool {
        self.name == "scratch"
    }

    pub fn render(&self) -> String {
        let mut out = self.name.clone();
        if let Some(tag) = &self.tag {
            out.push(':');
            out.push_str(tag);
        }
        if let Some(digest) = &self.digest {
            out.push('@');
            out.push_str(digest);
        }
        out
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Base {
    /// As written at the use, e.g. `python.slim`.
    pub name: String,
    pub reference: ImageRef,
    pub distro: Distro,
    pub libc: Libc,
    pub shell: Shell,
    pub packages: PackageManager,
    /// A non-root user that already exists in the image.
    pub nonroot: Option<u32>,
    /// The uid the image's own `USER` leaves in place (0 unless it ends
    /// with a non-root `USER`, as unprivileged server images do).
    pub default_user: u32,
    /// The language runtime the image provides, e.g. `python3.12`.
    pub interpreter: Option<String>,
    /// Users and groups the image has beyond its distribution's own
    /// (`users = { node = 1000 }`), by name and id.
    pub users: Vec<(String, u32)>,
    pub groups: Vec<(String, u32)>,
    /// The PHP extensions compiled into the image (`None`: not declared,
    /// so nothing is checked against them).
    pub extensions: Option<Vec<String>>,
    pub span: Span,
    pub def_span: Span,
    /// False for the stand-in used after the real base failed to check;
    /// rules that depend on the base skip it.
    pub known: bool,
}

impl Base {
    pub fn unknown() -> Base {
        Base {
            name: String::new(),
            reference: ImageRef {
                name: "scratch".into(),
                tag: None,
                digest: None,
            },
            distro: Distro::Debian,
            libc: Libc::Glibc,
            shell: Shell::Bash,
            packages: PackageManager::Apt,
            nonroot: None,
            default_user: 0,
            interpreter: None,
            users: Vec::new(),
            groups: Vec::new(),
            extensions: None,
            span: Span::poison(),
            def_span: Span::poison(),
            known: false,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Package {
    pub name: String,
    pub version: Option<String>,
    pub span: Span,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Linkage {
    Static,
    Dynamic,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Spanned<T> {
    pub value: T,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub struct EnvVar {
    pub name: String,
    pub value: String,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Ecosystem {
    pub name: String,
    /// Sub-directory of the context holding the manifests (monorepos).
    pub dir: Option<String>,
    /// Manifest and lock files, relative to `dir`.
    pub manifests: Vec<Spanned<String>>,
    /// Files the install reads when the project has them (`.npmrc`,
    /// `rust-toolchain.toml`), relative to `dir`: those the build context
    /// holds join `manifests` when the spec is compiled from disk
    /// (see [`crate::context::expand_manifests`]); the others are left out.
    pub optional: Vec<Spanned<String>>,
    pub install: Vec<Spanned<String>>,
    /// Tools the ecosystem installs from a package registry (Poetry, uv,
    /// corepack): installed first in the setup, at the version the lock
    /// file resolved (see [`crate::tools`]).
    pub tools: Vec<Tool>,
    /// Commands that prepare the tool itself (e.g. install Poetry), run
    /// before the manifests are copied, so manifest edits keep that layer.
    pub setup: Vec<Spanned<String>>,
    /// Mount the manifests for the install instead of copying them; they
    /// are then copied with the sources.
    pub bind: bool,
    /// Commands run once the sources are in place, before the build steps.
    pub finish: Vec<Spanned<String>>,
    /// Cache directories mounted during install and build steps.
    pub cache: Vec<Spanned<String>>,
    /// The tool's cache is not safe for two writers at once: its mounts
    /// are locked, so parallel stages take turns.
    pub cache_locked: bool,
    /// Secrets (registry credentials) mounted for the ecosystem's own
    /// commands only, never for build steps.
    pub secrets: Vec<Secret>,
    /// Commands that install the production dependencies alone, in a
    /// stage of their own beside the full install; the runner takes the
    /// output from there.
    pub production: Vec<Spanned<String>>,
    /// Commands that remove development dependencies from a copy of the
    /// full install (when there is no `production` install).
    pub prune: Vec<Spanned<String>>,
    /// The dependencies the runner copies from the dependency stage:
    /// absolute paths, or paths relative to `dir` under the work directory.
    pub output: Vec<Spanned<String>>,
    /// Where `finish` installs the project itself (absolute): copied from
    /// the build stage after the dependencies, as its own layer.
    pub project: Option<Spanned<String>>,
    pub build_env: Vec<EnvVar>,
    pub runtime_env: Vec<EnvVar>,
    /// Environment set only when the image cross-compiles, from the
    /// target's platform arguments (Go: `GOARCH = "$TARGETARCH"`).
    pub cross_env: Vec<EnvVar>,
    /// Whether the builds it serves can target another platform than the
    /// one they run on (`cross = true`: its commands build for
    /// `$TARGETARCH`), or only their own (`cross = false`, E0151 in an
    /// image that cross-compiles); `None` when the ecosystem does not say.
    pub cross: Option<bool>,
    pub linkage: Linkage,
    /// The output only runs with the build base's interpreter (a venv).
    pub needs_interpreter: bool,
    pub span: Span,
    pub def_span: Span,
}

/// A tool from a package registry: `pypi_tool("poetry", "2")`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tool {
    pub registry: ToolRegistry,
    pub package: String,
    /// The version as written: a series (`"2"`, `"0.13"`) or an exact
    /// release (`"2.5.1"`); the lock file holds the release it resolved to.
    pub version: String,
    pub span: Span,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ToolRegistry {
    /// The Python Package Index: installed with pip into a virtual
    /// environment of its own at `/opt/PACKAGE`.
    Pypi,
    /// The npm registry: installed with `npm install --global`.
    Npm,
}

impl ToolRegistry {
    pub fn name(self) -> &'static str {
        match self {
            ToolRegistry::Pypi => "pypi",
            ToolRegistry::Npm => "npm",
        }
    }

    /// As messages name it.
    pub fn title(self) -> &'static str {
        match self {
            ToolRegistry::Pypi => "PyPI",
            ToolRegistry::Npm => "the npm registry",
        }
    }

    pub fn from_name(name: &str) -> Option<ToolRegistry> {
        match name {
            "pypi" => Some(ToolRegistry::Pypi),
            "npm" => Some(ToolRegistry::Npm),
            _ => None,
        }
    }
}

impl Ecosystem {
    /// Its directory as a prefix of context paths (`services/api/`), or
    /// nothing at the context's root.
    pub fn context_prefix(&self) -> String {
        self.dir
            .as_deref()
            .map(|d| format!("{}/", d.trim_matches('/')))
            .unwrap_or_default()
    }
}

/// A path the runner copies from the build stage.
#[derive(Debug, Clone, PartialEq)]
pub struct Artifact {
    /// Absolute, or relative to the work directory.
    pub from: String,
    /// Where it goes in the runner; `None` means the same path.
    pub to: Option<String>,
    /// Whether it holds native code, which must fit the runner's libc.
    pub native: bool,
    /// Who owns the copied files in the runner.
    pub owner: Owner,
    /// Octal permissions for every copied file, e.g. `0755`.
    pub mode: Option<String>,
    pub span: Span,
}

/// A file the runner takes from outside the build context: a path of
/// another image, or a download checked against its digest. Owned by root.
#[derive(Debug, Clone, PartialEq)]
pub struct ExternalFile {
    pub source: FileSource,
    /// Absolute path in the runner.
    pub to: String,
    /// Octal permissions, e.g. `0755`.
    pub mode: Option<String>,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub enum FileSource {
    /// `COPY --from=<reference> <path>`.
    Image { reference: ImageRef, path: String },
    /// `ADD --checksum=<checksum> <url>`.
    Url { url: String, checksum: String },
}

/// The owner of an artifact in the runner: root (read-only for the
/// application, the default) or the runtime user.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Owner {
    Root,
    Runtime,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Secret {
    pub id: String,
    pub target: Option<String>,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Step {
    pub run: String,
    /// Sub-directory of the work directory to run in.
    pub dir: Option<String>,
    pub cache: Vec<String>,
    pub secrets: Vec<Secret>,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Command {
    /// `["gunicorn", "app:app"]`: run directly.
    Exec(Vec<String>),
    /// `"gunicorn app:app"`: run through the base's shell.
    Shell(String),
}

#[derive(Debug, Clone, PartialEq)]
pub enum Probe {
    Http { path: String, port: u16 },
    Command(Command),
}

#[derive(Debug, Clone, PartialEq)]
pub struct Health {
    pub probe: Probe,
    pub interval: Option<u64>,
    pub timeout: Option<u64>,
    pub start_period: Option<u64>,
    pub retries: Option<u32>,
    pub span: Span,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct User {
    pub uid: u32,
    pub gid: u32,
}

/// A user the compiler creates in the runner, because the base lacks it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewUser {
    pub name: String,
    pub uid: u32,
    pub gid: u32,
    /// The primary group's name: an existing group of the base, or a new
    /// one named like the user.
    pub group: String,
    /// False when the base already has a group with this gid.
    pub create_group: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Runner {
    pub base: Base,
    pub user: User,
    pub user_span: Option<Span>,
    /// The name given with `user("name", ...)`, if any.
    pub user_name: Option<Spanned<String>>,
    /// The reason given for running as root, if any.
    pub allow_root: Option<Spanned<String>>,
    /// The user the compiler must create (the base lacks it).
    pub create_user: Option<NewUser>,
    /// Where the application starts, when it differs from the build's
    /// work directory.
    pub workdir: Option<Spanned<String>>,
    /// Directories created and owned by the runtime user.
    pub writable: Vec<Spanned<String>>,
    /// Commands run as root before `USER`, after the runtime packages.
    pub setup: Vec<Spanned<String>>,
    /// `init = true`: the span of the setting, and tini becomes PID 1.
    pub init: Option<Span>,
    /// Files from other images and checked downloads.
    pub files: Vec<ExternalFile>,
    pub env: Vec<EnvVar>,
    pub expose: Vec<Spanned<u16>>,
    pub entrypoint: Option<Spanned<Command>>,
    pub cmd: Option<Spanned<Command>>,
    pub health: Option<Health>,
    pub labels: Vec<(String, String, Span)>,
    pub volumes: Vec<Spanned<String>>,
    pub stop_signal: Option<Spanned<String>>,
    pub packages: Vec<Package>,
}

/// What one build stage does: the main build, or a named extra stage.
#[derive(Debug, Clone, PartialEq)]
pub struct Build {
    pub base: Base,
    pub workdir: Spanned<String>,
    pub packages: Vec<Package>,
    pub deps: Vec<Ecosystem>,
    pub sources: Vec<Spanned<String>>,
    pub steps: Vec<Step>,
    /// Paths the runner copies from this stage; `None` means the whole
    /// work directory (main build only).
    pub artifacts: Option<Vec<Artifact>>,
}

/// A named build stage beside the main one (e.g. a frontend bundle), built
/// in parallel by BuildKit and feeding the runner through its artifacts.
#[derive(Debug, Clone, PartialEq)]
pub struct ExtraStage {
    pub name: String,
    pub span: Span,
    pub build: Build,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Image {
    pub name: String,
    pub span: Span,
    pub build: Build,
    pub stages: Vec<ExtraStage>,
    pub excludes: Vec<Spanned<String>>,
    /// Paths an earlier CI step creates in the build context: copied, but
    /// not checked for existence at compile time.
    pub generated: Vec<Spanned<String>>,
    pub args: Vec<EnvVar>,
    pub runner: Runner,
    /// The frontend the spec targets (`syntax = "1.7"`), unless the command
    /// line says otherwise.
    pub frontend: Option<crate::frontend::Frontend>,
    /// Where the Dockerfile goes, relative to the spec (`output = "..."`).
    pub output: Option<Spanned<String>>,
    pub publish: Publish,
    /// The build stages run on the builder's platform and compile for the
    /// target's (`FROM --platform=$BUILDPLATFORM`): where the spec says so.
    pub cross_compile: Option<Span>,
}

impl Image {
    /// The main build, then the named stages' builds, in order.
    pub fn builds(&self) -> impl Iterator<Item = &Build> {
        std::iter::once(&self.build).chain(self.stages.iter().map(|s| &s.build))
    }

    /// [`Image::builds`], to change them.
    pub fn builds_mut(&mut self) -> impl Iterator<Item = &mut Build> {
        std::iter::once(&mut self.build).chain(self.stages.iter_mut().map(|s| &mut s.build))
    }
}

/// How CI builds and pushes the image: read by `imgspec bake`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Publish {
    pub tags: Vec<String>,
    pub platforms: Vec<String>,
    /// The `platforms` field, for diagnostics.
    pub platforms_span: Option<Span>,
    /// A registry reference for the BuildKit layer cache.
    pub cache: Option<String>,
    /// The standard OCI labels the runner carries from build arguments:
    /// present with a `publish` block unless `oci_labels = false`.
    pub provenance: Option<Provenance>,
    /// The attestations bake requests (`attest = ["provenance", "sbom"]`),
    /// sorted and deduplicated.
    pub attest: Vec<Attestation>,
}

/// `org.opencontainers.image.{created,revision,source,version}`, each from
/// a build argument the runner declares last, so a new commit changes
/// that metadata and no layer. The spec gives `source` and `version` as
/// the arguments' defaults; CI gives the rest at build time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Provenance {
    /// A URL of the source repository.
    pub source: Option<Spanned<String>>,
    /// The version, as written: `$NAME` refers to one of the image's
    /// `args`, as in `env`.
    pub version: Option<Spanned<String>>,
    /// The `publish` block, for `explain`.
    pub span: Span,
}

impl Provenance {
    /// Each label and the build argument it takes its value from, in the
    /// order they are written.
    pub const LABELS: [(&'static str, &'static str); 4] = [
        ("org.opencontainers.image.created", "IMGSPEC_CREATED"),
        ("org.opencontainers.image.revision", "IMGSPEC_REVISION"),
        ("org.opencontainers.image.source", "IMGSPEC_SOURCE"),
        ("org.opencontainers.image.version", "IMGSPEC_VERSION"),
    ];

    /// The default the runner's `ARG` gives each argument: what the spec
    /// says, else empty (a plain `docker build` still works).
    pub fn default_of(&self, arg: &str) -> String {
        let given = match arg {
            "IMGSPEC_SOURCE" => self.source.as_ref(),
            "IMGSPEC_VERSION" => self.version.as_ref(),
            _ => None,
        };
        given.map(|s| s.value.clone()).unwrap_or_default()
    }
}

/// An attestation BuildKit attaches to the pushed image.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Attestation {
    /// SLSA provenance, `mode=max`: the build's full definition.
    Provenance,
    /// A software bill of materials of the runner's files.
    Sbom,
}
