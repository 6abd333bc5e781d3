//! The intermediate representation: stages of typed Dockerfile
//! instructions, before optimisation and before any text is written.

mod lower;
mod packages;

pub use lower::{
    absolute_in, lower, manifest_entries, output_path, reserved_stage_name, whole_workdir,
    workdir_of, WholeWorkdir,
};
pub use packages::{INIT_PATH, INIT_STAGE};

/// Patterns excluded at the end of every generated `.dockerignore`, after
/// everything it re-includes, so no source can bring them into the build
/// context: version control, dotenv files and credentials.
pub const SENSITIVE: &[&str] = &[".git", ".env", ".env.*", ".ssh", ".aws", ".netrc"];

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Dockerfile {
    /// Image name, for the header comment.
    pub image: String,
    pub stages: Vec<Stage>,
    /// The `.dockerignore` lines (allow-list of what the build reads).
    pub ignore: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Stage {
    pub name: String,
    pub from: String,
    /// `FROM --platform=...`: `$BUILDPLATFORM` for a stage that runs on
    /// the builder's platform and cross-compiles for the target.
    pub platform: Option<String>,
    /// The shell of the base, for `SHELL` when a RUN has a pipe.
    pub shell: Option<String>,
    pub lines: Vec<Line>,
}

/// An instruction and why it is there: for `imgspec explain`.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Line {
    pub instruction: Instruction,
    pub why: Vec<Reason>,
    /// The parts of the spec it comes from.
    #[serde(skip)]
    pub spans: Vec<crate::source::Span>,
}

impl Line {
    pub fn new(
        instruction: Instruction,
        reason: Reason,
        spans: impl IntoIterator<Item = crate::source::Span>,
    ) -> Line {
        Line {
            instruction,
            why: vec![reason],
            spans: spans.into_iter().collect(),
        }
    }
}

/// The rule that placed an instruction, in the words of `docs/output.md`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Reason {
    Pipefail,
    RootForSetup,
    BuildPackages,
    Workdir,
    EcosystemEnv,
    Setup,
    Manifests,
    Install,
    Sources,
    Finish,
    Args,
    CrossCompile,
    TargetArgs,
    BuildStep,
    Production,
    Prune,
    RuntimePackages,
    CreateUser,
    Writable,
    RunnerSetup,
    Init,
    Files,
    Dependencies,
    Project,
    Artifacts,
    RuntimeEnv,
    Metadata,
    Provenance,
    User,
    Healthcheck,
    Command,
}

impl Reason {
    pub fn text(self) -> &'static str {
        match self {
            Reason::Pipefail => "a step pipes, so the stage's shell fails when any part of a pipe fails (rule 7)",
            Reason::RootForSetup => "the base image runs as a non-root user, and installing packages or users needs root; the runner's own USER still comes last (rule 3)",
            Reason::BuildPackages => "build-time system packages first: they change least often, so manifest and source edits never re-run them (rule 1); package caches stay out of the layer (rule 5)",
            Reason::Workdir => "an absolute work directory instead of `cd` (rule 7)",
            Reason::EcosystemEnv => "the ecosystem's build environment, set before its install",
            Reason::Setup => "the ecosystem's own tool, installed before the manifests arrive, so editing them keeps this layer (rule 1)",
            Reason::Manifests => "manifests and lock files copied alone, so only their changes re-run the install (rule 1)",
            Reason::Install => "the dependency install, with the ecosystem's caches mounted; reused until a manifest changes (rule 1)",
            Reason::Sources => "sources after the dependencies: editing them re-runs only what follows (rule 1)",
            Reason::Finish => "the ecosystem's finishing step, which needs the sources",
            Reason::CrossCompile => "the stage runs on the builder's platform and builds for the target's, named by these arguments: no emulation, and one build for every platform (rule 2)",
            Reason::TargetArgs => "the target's platform arguments, declared just before the first command that reads them (building for `$TARGETARCH`), so the layers above stay one for every platform",
            Reason::Args => "build arguments just before the steps that read them, so changing one keeps the layers above",
            Reason::BuildStep => "a build step; consecutive steps with the same mounts share one layer (rule 6)",
            Reason::Production => "production dependencies installed alone, in a stage beside the full install, so the runner gets no development packages and nothing re-runs after a source edit (rule 2)",
            Reason::Prune => "development-only dependencies removed from a copy of the install, never after the build, so a source edit does not re-run it (rule 2)",
            Reason::RuntimePackages => "runtime packages only: compilers and headers stay in the build stage (rule 2)",
            Reason::CreateUser => "the runner's non-root user, created because the base has none (rule 3)",
            Reason::Writable => "the directories the application writes, created owned by its user, so it needs no root at run time (rules 3 and 13)",
            Reason::RunnerSetup => "the runner's setup commands, run as root before USER, in the layer of the runtime packages (rules 3 and 6)",
            Reason::Init => "a pinned, static tini as PID 1, which reaps children and forwards signals (rule 4)",
            Reason::Files => "a file from a pinned image or a download checked against its digest, instead of `curl | sh`; before the application's files, since it changes only with its pin (rules 1 and 4)",
            Reason::Dependencies => "dependencies from the stage that never sees the sources, in their own layer before the application: a source edit neither rebuilds nor re-ships them (rule 1)",
            Reason::Project => "the project installed as a package, in its own layer after the dependencies: a source edit re-ships only this and the application files (rule 1)",
            Reason::Artifacts => "the runner takes built results only, not the toolchain that made them (rule 2)",
            Reason::RuntimeEnv => "the runner's environment",
            Reason::Metadata => "metadata from the `run` block",
            Reason::Provenance => "where the image comes from (OCI labels), from build arguments declared last in the runner: a new commit changes this metadata and no layer, in this stage or any other (rule 1)",
            Reason::User => "a numeric non-root user, last, so everything after runs unprivileged (rule 3)",
            Reason::Healthcheck => "the health check, in exec form (rule 7)",
            Reason::Command => "the command in exec form, so signals reach the process (rule 7)",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, serde::Serialize)]
pub enum Mount {
    /// A file or directory of the build context, mounted for one RUN.
    Bind {
        source: String,
        target: String,
    },
    Cache {
        target: String,
        locked: bool,
    },
    Secret {
        id: String,
        target: Option<String>,
    },
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Run {
    /// Shell commands, joined with `&&` when emitted.
    pub commands: Vec<String>,
    /// A multi-line script, emitted as a heredoc; never merged.
    pub script: Option<String>,
    pub mounts: Vec<Mount>,
    /// hadolint rules this RUN deliberately does not follow, e.g. DL3008
    /// for packages the spec leaves unpinned.
    pub lint_ignores: Vec<&'static str>,
    /// Compiler-made housekeeping (user creation) that may join any RUN.
    pub joins_any: bool,
    /// Whether a command has a pipe (then the stage needs `pipefail`).
    pub has_pipe: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Copy {
    pub from: Option<String>,
    pub sources: Vec<String>,
    pub dest: String,
    pub link: bool,
    /// `--chown=uid:gid`, numeric.
    pub chown: Option<String>,
    /// `--chmod=0755`.
    pub chmod: Option<String>,
}

/// `ADD --checksum=... URL DEST`: a download BuildKit verifies.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Add {
    pub url: String,
    pub checksum: String,
    pub dest: String,
    pub link: bool,
    pub chmod: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Healthcheck {
    pub command: Vec<String>,
    pub interval: Option<String>,
    pub timeout: Option<String>,
    pub start_period: Option<String>,
    pub retries: Option<u32>,
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub enum Instruction {
    Shell(Vec<String>),
    Run(Run),
    Workdir(String),
    Copy(Copy),
    Add(Add),
    Arg(Vec<(String, String)>),
    /// `ARG NAME...` without defaults: BuildKit's automatic platform
    /// arguments, which a stage must declare to read.
    Declare(Vec<String>),
    Env(Vec<(String, String)>),
    Label(Vec<(String, String)>),
    /// `LABEL KEY="${NAME}"`: labels whose values are build arguments,
    /// as (label, argument name).
    LabelFromArgs(Vec<(String, String)>),
    User(String),
    Expose(Vec<u16>),
    Volume(Vec<String>),
    StopSignal(String),
    Healthcheck(Healthcheck),
    Entrypoint(Vec<String>),
    Cmd(Vec<String>),
}
