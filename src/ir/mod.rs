//! The intermediate representation: stages of typed Dockerfile
//! instructions, before optimisation and before any text is written.

mod lower;
mod packages;

pub use lower::lower;

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
    /// The shell of the base, for `SHELL` when a RUN has a pipe.
    pub shell: Option<String>,
    pub instructions: Vec<Instruction>,
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
    Arg(Vec<(String, String)>),
    Env(Vec<(String, String)>),
    Label(Vec<(String, String)>),
    User(String),
    Expose(Vec<u16>),
    Volume(Vec<String>),
    StopSignal(String),
    Healthcheck(Healthcheck),
    Entrypoint(Vec<String>),
    Cmd(Vec<String>),
}
