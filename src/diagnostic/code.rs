//! The stable diagnostic codes. A code never changes meaning once released;
//! `docs/diagnostics.md` documents each one and `tests/diagnostics.rs` holds
//! one fixture per code.

macro_rules! codes {
    ($($variant:ident = $code:literal, $summary:literal;)*) => {
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum Code { $($variant,)* }

        impl Code {
            pub const ALL: &'static [Code] = &[$(Code::$variant,)*];

            /// The stable code, e.g. `E0005`.
            pub fn as_str(self) -> &'static str {
                match self { $(Code::$variant => $code,)* }
            }

            /// One line saying what the code means.
            pub fn summary(self) -> &'static str {
                match self { $(Code::$variant => $summary,)* }
            }
        }
    };
}

codes! {
    Syntax = "E0001", "the file does not follow the imgspec grammar";
    InvalidEscape = "E0002", "a string contains an unknown escape sequence";
    ModuleNotFound = "E0003", "a `use` (or the command line) names a module or file that does not exist";
    ImportCycle = "E0004", "modules import each other in a cycle";
    UnknownName = "E0005", "a name refers to nothing in scope";
    DuplicateDefinition = "E0006", "two definitions in one file share a name";
    UnknownField = "E0007", "a block has a field its kind does not define";
    DuplicateField = "E0008", "a block sets the same field twice";
    MissingField = "E0009", "a required field is missing";
    WrongType = "E0010", "a value has the wrong type for its place";
    UnknownArgument = "E0011", "a call passes an argument the definition does not take";
    MissingArgument = "E0012", "a call omits a parameter that has no default";
    TemplateRecursion = "E0013", "a template extends itself, directly or through others";
    Interpolation = "E0014", "a `{{ }}` interpolation is malformed or names an unknown parameter";
    InvalidValue = "E0015", "a value has the right type but is not allowed";
    NoImages = "E0016", "the file defines no image to compile";
    OutsideProject = "E0017", "a file to read or write lies outside the project";
    NotASpec = "E0018", "a file read as a spec does not end in `.imgspec`";
    NotRegularFile = "E0019", "a file to read or write is a directory, device, FIFO, socket or broken link";
    FileTooLarge = "E0020", "a spec is larger than the 1 MiB limit";
    FileIo = "E0021", "a file cannot be read or written";
    ProtectedOutput = "E0022", "an output would overwrite a spec, a source, a manifest or another input of the image";
    StaleOutput = "E0023", "a generated file on disk differs from what its spec produces, or its spec was not checked";
    OutputClash = "E0024", "two images would write the same file";
    Usage = "E0025", "the command line asks for something the specs do not have";
    SpecSkipped = "W0001", "repository mode found a spec it did not compile";
    RootUser = "E0101", "the runner would run as root without an explicit opt-out";
    UnpinnedBase = "E0102", "a base image (or an image files are copied from) is untagged or tagged `latest`";
    InvalidPackage = "E0103", "a package name or version is not valid for the package manager";
    ForeignPackage = "E0104", "a package belongs to a different package manager than the base's";
    ShellForm = "E0105", "shell syntax is used where the runner has no shell";
    DynamicIntoScratch = "E0106", "a dynamically linked artifact goes into a runner without a libc";
    LibcMismatch = "E0107", "an artifact built against one libc goes into a runner with another";
    SecretInEnv = "E0108", "a secret-looking name is set as an ENV or ARG";
    PrivilegedPort = "E0109", "a port below 1024 is exposed by a non-root runner";
    WholeContextSource = "E0110", "a source copies the whole build context, defeating the layer cache";
    PathEscapesContext = "E0111", "a path leaves the build context";
    NoPackageManager = "E0112", "packages are requested on a base without a package manager";
    UnsafeString = "E0113", "a string cannot be written into the Dockerfile without changing its structure";
    NoPipefail = "E0114", "a step uses a pipe but the base has no shell with `pipefail`";
    ForbiddenCommand = "E0115", "a step uses `cd` or `sudo`, which the Dockerfile expresses otherwise";
    MissingHealthTool = "E0116", "an HTTP health check needs curl or wget in the runner";
    InterpreterMismatch = "E0117", "the runner lacks the interpreter version an ecosystem's output was built for";
    AmbiguousWorkdir = "E0118", "dependencies and build results share the work directory, and no artifacts say which the runner takes";
    ArtifactOverDependencies = "E0119", "an artifact copies dependencies the runner already takes from their own stage";
    ArtifactCollision = "E0120", "two artifacts are copied to the same path in the runner";
    SensitiveSource = "E0121", "a source or manifest would bring `.git`, a dotenv file or credentials into the build context";
    MissingSource = "E0122", "a path the Dockerfile copies is not in the build context";
    ExcludedSource = "E0123", "an exclude removes a path the Dockerfile copies";
    FlattenedDirectory = "E0124", "a directory is copied without its trailing `/`, so its contents would be spread out";
    WorkspaceMembers = "E0125", "a copied workspace declaration lists members whose manifests are not copied, so the install would fail";
    MissingExtension = "E0126", "the runner lacks a PHP extension the Composer dependencies require, so the application would fail at start-up";
    UserClash = "E0130", "the runner's user or group clashes with an account the base image already has";
    VolumeNotWritable = "E0131", "a volume is not among the directories the runtime user can write";
    RootReasonWithoutRoot = "E0132", "`allow_root` is given, but the runner's user is not root";
    ArtifactInCache = "E0133", "an artifact is taken from a path that a cache mount covers, so it is not in the layer";
    PackageInstallInSetup = "E0134", "a runner setup command installs packages instead of listing them";
    WritableReplaced = "E0135", "a writable directory is also where a root-owned copy lands, which takes it back";
    UncheckedDownload = "E0140", "a remote file is downloaded without a checksum";
    FrontendTooOld = "E0141", "the spec uses a Dockerfile feature its frontend version lacks, with no fallback";
    CrossNativeOutput = "E0150", "a build that cross-compiles gives the runner native dependencies built for the builder's platform";
    CrossHostOnly = "E0151", "an image cross-compiles, but an ecosystem of its builds builds only for the platform it runs on";
    LockFile = "E0160", "the lock file cannot be read";
    NotLocked = "E0161", "an image reference has no entry in the lock file (`imgspec lock --check`)";
    RegistryFailure = "E0162", "a registry could not resolve an image reference";
    ToolNotLocked = "E0163", "a tool has no entry in the lock file (`imgspec lock --check`), or a newer release of its series is out";
    ToolRegistryFailure = "E0164", "a package registry could not resolve a tool's version series";
    InitNothingRecognised = "E0180", "`imgspec init` found no manifest it recognises in the directory";
    InitSpecExists = "E0181", "`imgspec init` would overwrite an existing spec without `--force`";
    InitNeedsTerminal = "E0182", "`imgspec init --interactive` was run without a terminal on standard input";
    NotADockerfile = "E0175", "a file given to `import` is not a Dockerfile: no `FROM`, or not text";
    UnterminatedHeredoc = "E0176", "a heredoc in a Dockerfile is never terminated";
    MalformedDirective = "E0177", "a Dockerfile parser directive is malformed or given twice";
    ImportTargetExists = "E0178", "the file `import -o` names exists, and `--force` is not given";
    FormatterLost = "E0170", "the formatter could not keep a file's meaning or comments, so it left the file unchanged";
    RootOptOut = "W0101", "the runner runs as root by an explicit opt-out";
    CompilerWithoutHeaders = "W0102", "a C compiler is installed without the C library headers";
    BuildToolInRunner = "W0110", "a compiler or development package is installed in the runner";
    InitAmbiguous = "W0180", "`imgspec init` found several ecosystems at the root and wrote a spec for one";
    InitMissingLock = "W0181", "`imgspec init` found a manifest without the lock file its install needs";
    UnlockedReference = "W0120", "an image reference has no entry in the lock file, so it is pulled by tag";
    UnusedInstall = "W0122", "an ecosystem's install feeds nothing the runner copies, so the Dockerfile leaves it out";
    EmulatedBuild = "W0123", "the image is published for several platforms without cross-compiling, so its build stages run under emulation";
    CrossHeaders = "W0124", "a build that cross-compiles installs C libraries for the builder's platform only";
    UnlockedTool = "W0121", "a tool has no entry in the lock file, so the newest release of its series is installed unchecked";
    NotImported = "W0175", "a Dockerfile instruction has no place in the imported spec, and is listed as a comment";
    ImportedRoot = "W0176", "the imported Dockerfile runs its container as root; the spec runs it as a non-root user";
}
