//! Model → IR. Lays out each image as its build stages and a runner stage,
//! in the order of rule 1: base → system packages → user → manifests alone
//! → dependency install → sources → build → runner.

use std::collections::{HashMap, HashSet};

use super::packages::{
    create_user, init_stage, install, reown_dirs, writable_dirs, INIT_BINARY, INIT_PATH, INIT_STAGE,
};
use super::{Copy, Dockerfile, Healthcheck, Instruction, Line, Mount, Reason, Run, Stage};
use crate::model::{
    Build, Command, Ecosystem, FileSource, Image, Owner, Package, PackageManager, Probe, Step,
};
use crate::source::Span;
use crate::types::{format_duration, shell};

const BUILD: &str = "build";
const RUNTIME: &str = "runtime";

/// A base whose own USER is not root cannot install packages or create
/// users: such a stage starts with `USER 0:0` when it has anything to RUN.
fn root_for_setup(mut stage: Stage, default_user: u32) -> Stage {
    let runs = stage
        .lines
        .iter()
        .any(|l| matches!(l.instruction, Instruction::Run(_)));
    if default_user != 0 && runs {
        let root = Line::new(
            Instruction::User("0:0".to_string()),
            Reason::RootForSetup,
            [],
        );
        stage.lines.insert(0, root);
    }
    stage
}

pub fn lower(image: &Image) -> Dockerfile {
    // Extra stages first: they are independent of `build`, so BuildKit runs
    // them in parallel, and the runner copies from all of them.
    let mut stages: Vec<Stage> = Vec::new();
    let mut layouts = Vec::new();
    for s in &image.stages {
        // The runner takes an extra stage's artifacts and nothing else:
        // its dependencies stay behind.
        let mut layout = build_stages(
            &mut stages,
            &s.name,
            &s.build,
            &[],
            false,
            image.cross_compile.is_some(),
        );
        layout.dependencies.clear();
        layout.projects.clear();
        layouts.push(layout);
    }
    let main = build_stages(
        &mut stages,
        BUILD,
        &image.build,
        &image.args,
        true,
        image.cross_compile.is_some(),
    );
    layouts.insert(0, main);
    if image.runner.init.is_some() {
        let (from, run) = init_stage();
        stages.push(Stage {
            name: INIT_STAGE.to_string(),
            from,
            platform: None,
            shell: Some("/bin/bash".to_string()),
            lines: vec![Line::new(
                Instruction::Run(run),
                Reason::Init,
                image.runner.init,
            )],
        });
    }
    stages.push(root_for_setup(
        runner_stage(image, &layouts),
        image.runner.base.default_user,
    ));
    for stage in &mut stages {
        declare_targets(&mut stage.lines);
    }
    Dockerfile {
        image: image.name.clone(),
        stages,
        ignore: ignore_lines(image),
    }
}

/// BuildKit's platform arguments a command may read (`$TARGETARCH`).
const TARGET_ARGS: [&str; 4] = ["TARGETOS", "TARGETARCH", "TARGETVARIANT", "TARGETPLATFORM"];

/// A stage reads the target's platform arguments only where it declares
/// them: before its first RUN that names one (an ecosystem's install that
/// builds for the target, a build step), unless declared already. Declared
/// where read and no earlier, since an ARG joins the cache key of every
/// RUN after it.
fn declare_targets(lines: &mut Vec<Line>) {
    let reads = |line: &Line| match &line.instruction {
        Instruction::Run(run) => run
            .commands
            .iter()
            .chain(&run.script)
            .any(|text| TARGET_ARGS.iter().any(|name| names_variable(text, name))),
        _ => false,
    };
    let Some(at) = lines.iter().position(reads) else {
        return;
    };
    if lines[..at]
        .iter()
        .any(|l| matches!(l.instruction, Instruction::Declare(_)))
    {
        return;
    }
    let mut names: Vec<String> = ["TARGETOS", "TARGETARCH", "TARGETVARIANT"]
        .map(String::from)
        .to_vec();
    let platform = lines[at..].iter().any(|l| match &l.instruction {
        Instruction::Run(run) => run
            .commands
            .iter()
            .chain(&run.script)
            .any(|text| names_variable(text, "TARGETPLATFORM")),
        _ => false,
    });
    if platform {
        names.push("TARGETPLATFORM".to_string());
    }
    lines.insert(
        at,
        Line::new(Instruction::Declare(names), Reason::TargetArgs, []),
    );
}

/// Whether imgspec names one of its own stages `name`, so a user's extra
/// stage may not.
pub fn reserved_stage_name(name: &str) -> bool {
    matches!(
        name,
        "build" | "runtime" | "setup" | "deps" | "prod-deps" | INIT_STAGE
    ) || name.ends_with("-setup")
        || name.ends_with("-deps")
}

/// Where the stages of one build left what the runner takes.
struct Layout {
    /// The build stage's name (`build`, or the extra stage's).
    stage: String,
    /// Dependency outputs: (stage, absolute path, spans), copied into the
    /// runner before anything the sources produce.
    dependencies: Vec<(String, String, Vec<Span>)>,
    /// Projects installed by `finish`, copied after the dependencies.
    projects: Vec<(String, Vec<Span>)>,
}

/// The stages of one build: its dependencies in a stage that never sees
/// the sources (`deps`), production dependencies in their own (`prod-deps`),
/// and the build itself on top of `deps`. A build without ecosystems is one
/// stage.
fn build_stages(
    stages: &mut Vec<Stage>,
    name: &str,
    build: &Build,
    args: &[crate::model::EnvVar],
    feeds_runner: bool,
    cross: bool,
) -> Layout {
    let default_user = build.base.default_user;
    let workdir = workdir_of(build);
    let prefix = |role: &str| {
        if name == BUILD {
            role.to_string()
        } else {
            format!("{name}-{role}")
        }
    };
    let mut layout = Layout {
        stage: name.to_string(),
        dependencies: Vec::new(),
        projects: Vec::new(),
    };
    let mut setup = setup_lines(build, &workdir);
    // Build arguments an ecosystem's commands name (a private index's URL,
    // a version) are declared where the dependencies are installed too:
    // an ARG is scoped to its stage.
    let install_texts = build
        .deps
        .iter()
        .flat_map(|e| e.setup.iter().chain(&e.install).chain(&e.production))
        .map(|c| c.value.as_str())
        .collect::<Vec<_>>();
    let named: Vec<&crate::model::EnvVar> = args
        .iter()
        .filter(|a| {
            install_texts
                .iter()
                .any(|text| names_variable(text, &a.name))
        })
        .collect();
    if !named.is_empty() {
        let declare = Line::new(
            Instruction::Arg(
                named
                    .iter()
                    .map(|a| (a.name.clone(), a.value.clone()))
                    .collect(),
            ),
            Reason::Args,
            named.iter().map(|a| a.span),
        );
        let at = setup
            .iter()
            .position(|l| l.why.contains(&Reason::Setup))
            .unwrap_or(setup.len());
        setup.insert(at, declare);
    }
    let from_base = build.base.reference.render();
    let shell = build.base.shell.path().map(str::to_string);
    let stage = |name: String, from: String, lines: Vec<Line>| {
        // Cross-compiling: stages from the base run on the builder's
        // platform, and every stage names the target's.
        let platform = (cross && from == from_base).then(|| "$BUILDPLATFORM".to_string());
        root_for_setup(
            Stage {
                name,
                from,
                platform,
                shell: shell.clone(),
                lines,
            },
            default_user,
        )
    };
    if build.deps.is_empty() {
        let mut lines = setup;
        lines.extend(source_lines(build, &workdir, args, cross));
        stages.push(stage(name.to_string(), from_base.clone(), lines));
        return layout;
    }
    // Production installs share the setup with the full install: then the
    // setup is a stage of its own that both start from.
    let productions: Vec<&Ecosystem> = build
        .deps
        .iter()
        .filter(|e| feeds_runner && !e.production.is_empty() && !e.output.is_empty())
        .collect();
    let deps_name = prefix("deps");
    let mut deps_lines = Vec::new();
    let deps_from = if productions.is_empty() {
        deps_lines = setup;
        from_base.clone()
    } else {
        stages.push(stage(prefix("setup"), from_base.clone(), setup));
        prefix("setup")
    };
    for eco in &build.deps {
        deps_lines.extend(install_lines(eco, &workdir, &eco.install, Reason::Install));
    }
    stages.push(stage(deps_name.clone(), deps_from.clone(), deps_lines));

    let numbered = |i: usize, count: usize| {
        if count > 1 {
            format!("{}-{}", prefix("prod-deps"), i + 1)
        } else {
            prefix("prod-deps")
        }
    };
    let pruned: Vec<&Ecosystem> = build
        .deps
        .iter()
        .filter(|e| {
            feeds_runner && e.production.is_empty() && !e.prune.is_empty() && !e.output.is_empty()
        })
        .collect();
    let count = productions.len() + pruned.len();
    let mut made = 0;
    for eco in &build.deps {
        let from_stage = if productions.iter().any(|p| std::ptr::eq(*p, eco)) {
            let prod = numbered(made, count);
            made += 1;
            let lines = install_lines(eco, &workdir, &eco.production, Reason::Production);
            stages.push(stage(prod.clone(), deps_from.clone(), lines));
            prod
        } else if pruned.iter().any(|p| std::ptr::eq(*p, eco)) {
            // A prune works on a copy of the full install, never after the
            // build: a source edit does not re-run it.
            let prod = numbered(made, count);
            made += 1;
            let run = commands(
                eco.prune.iter().map(|s| s.value.as_str()),
                ecosystem_mounts(eco),
            );
            let mut lines = Vec::new();
            in_dir(
                &mut lines,
                &workdir,
                eco.dir.as_deref(),
                run,
                Reason::Prune,
                eco.span,
            );
            stages.push(stage(prod.clone(), deps_name.clone(), lines));
            prod
        } else {
            deps_name.clone()
        };
        for output in &eco.output {
            layout.dependencies.push((
                from_stage.clone(),
                output_path(&workdir, eco, &output.value),
                vec![output.span, eco.span],
            ));
        }
        if let Some(project) = &eco.project {
            layout
                .projects
                .push((project.value.clone(), vec![project.span, eco.span]));
        }
    }
    let lines = source_lines(build, &workdir, args, cross);
    stages.push(Stage {
        name: name.to_string(),
        from: deps_name,
        platform: None,
        shell: shell.clone(),
        lines,
    });
    layout
}

/// Build packages, the work directory, the ecosystems' build environment
/// and their own tools: what every stage of a build starts with.
fn setup_lines(build: &Build, workdir: &str) -> Vec<Line> {
    let mut out: Vec<Line> = Vec::new();
    let package_spans = build.packages.iter().map(|p| p.span);
    out.extend(
        install(build.base.packages, &build.packages)
            .map(|run| Line::new(Instruction::Run(run), Reason::BuildPackages, package_spans)),
    );
    out.push(Line::new(
        Instruction::Workdir(workdir.to_string()),
        Reason::Workdir,
        [build.workdir.span],
    ));
    let build_env: Vec<(String, String)> = build
        .deps
        .iter()
        .flat_map(|e| {
            e.build_env
                .iter()
                .map(|v| (v.name.clone(), v.value.clone()))
        })
        .collect();
    if !build_env.is_empty() {
        let spans = build.deps.iter().map(|e| e.span);
        out.push(Line::new(
            Instruction::Env(build_env),
            Reason::EcosystemEnv,
            spans,
        ));
    }
    for eco in &build.deps {
        if !eco.setup.is_empty() {
            let run = commands(
                eco.setup.iter().map(|s| s.value.as_str()),
                ecosystem_mounts(eco),
            );
            out.push(Line::new(Instruction::Run(run), Reason::Setup, [eco.span]));
        }
    }
    out
}

/// An ecosystem's manifests copied alone (or bind-mounted), then `install`
/// run with its caches.
fn install_lines(
    eco: &Ecosystem,
    workdir: &str,
    install: &[crate::model::Spanned<String>],
    reason: Reason,
) -> Vec<Line> {
    let mut out = Vec::new();
    let mut mounts = ecosystem_mounts(eco);
    if eco.bind {
        mounts.extend(manifest_paths(eco).into_iter().map(|path| Mount::Bind {
            target: subdir(workdir, &path),
            source: path,
        }));
    } else {
        out.extend(copies(&manifest_entries(eco), Reason::Manifests));
    }
    // Nothing to run when the dependencies come with the manifests (a Go
    // module's vendor/): the copies alone are the dependency layer.
    if !install.is_empty() {
        let run = commands(install.iter().map(|s| s.value.as_str()), mounts);
        in_dir(&mut out, workdir, eco.dir.as_deref(), run, reason, eco.span);
    }
    out
}

/// The sources, the ecosystems' finishing steps, the build arguments and
/// the build steps: the part of a build that a source edit re-runs.
fn source_lines(
    build: &Build,
    workdir: &str,
    args: &[crate::model::EnvVar],
    cross: bool,
) -> Vec<Line> {
    let mut out = Vec::new();
    // The target's platform, declared for the build only (an ARG is part
    // of the cache key of every RUN after it): the dependency stages above
    // stay the same for every target.
    let cross_env: Vec<(String, String)> = build
        .deps
        .iter()
        .flat_map(|e| &e.cross_env)
        .filter(|_| cross)
        .map(|v| (v.name.clone(), v.value.clone()))
        .collect();
    // Declared only where read: a platform-independent build (a site)
    // stays one build for every target.
    let reads_target = build
        .steps
        .iter()
        .map(|s| s.run.as_str())
        .chain(
            build
                .deps
                .iter()
                .flat_map(|e| &e.finish)
                .map(|f| f.value.as_str()),
        )
        .any(|text| text.contains("TARGET"));
    if cross && (!cross_env.is_empty() || reads_target) {
        let names = ["TARGETOS", "TARGETARCH", "TARGETVARIANT"].map(String::from);
        out.push(Line::new(
            Instruction::Declare(names.to_vec()),
            Reason::CrossCompile,
            [],
        ));
    }
    if !cross_env.is_empty() {
        let spans = build.deps.iter().map(|e| e.span);
        out.push(Line::new(
            Instruction::Env(cross_env),
            Reason::CrossCompile,
            spans,
        ));
    }
    // Bind-mounted manifests are not in the tree yet: they come with the sources.
    let mut sources: Vec<(String, Span)> = build
        .deps
        .iter()
        .filter(|e| e.bind)
        .flat_map(manifest_entries)
        .collect();
    sources.extend(build.sources.iter().map(|s| (s.value.clone(), s.span)));
    out.extend(copies(&sources, Reason::Sources));
    for eco in &build.deps {
        if !eco.finish.is_empty() {
            let run = commands(
                eco.finish.iter().map(|s| s.value.as_str()),
                ecosystem_mounts(eco),
            );
            in_dir(
                &mut out,
                workdir,
                eco.dir.as_deref(),
                run,
                Reason::Finish,
                eco.span,
            );
        }
    }
    if !args.is_empty() {
        let pairs = args
            .iter()
            .map(|a| (a.name.clone(), a.value.clone()))
            .collect();
        out.push(Line::new(
            Instruction::Arg(pairs),
            Reason::Args,
            args.iter().map(|a| a.span),
        ));
    }
    let dep_caches: Vec<Mount> = build.deps.iter().flat_map(ecosystem_caches).collect();
    for step in &build.steps {
        let run = build_step(step, &dep_caches);
        in_dir(
            &mut out,
            workdir,
            step.dir.as_deref(),
            run,
            Reason::BuildStep,
            step.span,
        );
    }
    out
}

/// An ecosystem output as an absolute path: relative ones are under the
/// ecosystem's directory in the work directory.
pub fn output_path(workdir: &str, eco: &Ecosystem, output: &str) -> String {
    if output.starts_with('/') {
        return output.to_string();
    }
    let base = match &eco.dir {
        Some(dir) => subdir(workdir, dir),
        None => workdir.to_string(),
    };
    let output = output.trim_start_matches("./");
    format!("{}/{output}", base.trim_end_matches('/'))
}

/// The work directory without a trailing `/` (`/` itself for the root).
pub fn workdir_of(build: &Build) -> String {
    let workdir = build.workdir.value.trim_end_matches('/');
    if workdir.is_empty() {
        "/".to_string()
    } else {
        workdir.to_string()
    }
}

/// A path of the build stage as an absolute path without a trailing `/`:
/// relative ones are read against the work directory.
pub fn absolute_in(workdir: &str, path: &str) -> String {
    let path = path.trim_end_matches('/');
    if path.starts_with('/') {
        return path.to_string();
    }
    let path = path.trim_start_matches("./");
    if path.is_empty() || path == "." {
        return workdir.to_string();
    }
    format!("{}/{path}", workdir.trim_end_matches('/'))
}

/// `dir` joined to the work directory, for ecosystems and steps that run
/// in a sub-directory.
fn subdir(workdir: &str, dir: &str) -> String {
    format!(
        "{}/{}",
        workdir.trim_end_matches('/'),
        dir.trim_matches('/')
    )
}

/// Runs `run` in `dir` (if any) and returns to the work directory.
fn in_dir(
    out: &mut Vec<Line>,
    workdir: &str,
    dir: Option<&str>,
    run: Run,
    reason: Reason,
    span: Span,
) {
    if let Some(dir) = dir {
        out.push(Line::new(
            Instruction::Workdir(subdir(workdir, dir)),
            Reason::Workdir,
            [span],
        ));
    }
    out.push(Line::new(Instruction::Run(run), reason, [span]));
    if dir.is_some() {
        out.push(Line::new(
            Instruction::Workdir(workdir.to_string()),
            Reason::Workdir,
            [],
        ));
    }
}

/// An ecosystem's manifests as context paths (under its `dir`).
fn manifest_paths(eco: &Ecosystem) -> Vec<String> {
    eco.manifests
        .iter()
        .map(|m| match &eco.dir {
            Some(dir) => format!("{}/{}", dir.trim_matches('/'), m.value),
            None => m.value.clone(),
        })
        .collect()
}

/// The manifests as context paths, each with the span that names it.
pub fn manifest_entries(eco: &Ecosystem) -> Vec<(String, Span)> {
    manifest_paths(eco)
        .into_iter()
        .zip(eco.manifests.iter().map(|m| m.span))
        .collect()
}

fn ecosystem_caches(eco: &Ecosystem) -> Vec<Mount> {
    eco.cache
        .iter()
        .map(|c| Mount::Cache {
            target: c.value.clone(),
            locked: eco.cache_locked,
        })
        .collect()
}

/// What every RUN of the ecosystem's own commands mounts: its caches, and
/// its secrets (registry credentials), which build steps never see.
fn ecosystem_mounts(eco: &Ecosystem) -> Vec<Mount> {
    let mut mounts = ecosystem_caches(eco);
    mounts.extend(eco.secrets.iter().map(|s| Mount::Secret {
        id: s.id.clone(),
        target: s.target.clone(),
    }));
    mounts
}

/// A RUN of `texts` joined with `&&`; if one spans several lines, all of
/// them become one heredoc script instead, as multi-line steps do.
fn commands<'a>(texts: impl Iterator<Item = &'a str>, mounts: Vec<Mount>) -> Run {
    let mut commands: Vec<String> = texts.map(|t| t.trim_end().to_string()).collect();
    let has_pipe = commands.iter().any(|c| shell::scan(c).pipe);
    let script = commands
        .iter()
        .any(|c| c.contains('\n'))
        .then(|| std::mem::take(&mut commands).join("\n"));
    Run {
        commands,
        script,
        mounts,
        lint_ignores: Vec::new(),
        joins_any: false,
        has_pipe,
    }
}

fn build_step(step: &Step, dep_caches: &[Mount]) -> Run {
    let mut mounts: Vec<Mount> = dep_caches.to_vec();
    mounts.extend(step.cache.iter().map(|c| Mount::Cache {
        target: c.clone(),
        locked: false,
    }));
    mounts.extend(step.secrets.iter().map(|s| Mount::Secret {
        id: s.id.clone(),
        target: s.target.clone(),
    }));
    let mut run = commands(std::iter::empty(), mounts);
    run.has_pipe = shell::scan(&step.run).pipe;
    if step.run.trim_end().contains('\n') {
        run.script = Some(step.run.trim_end().to_string());
    } else {
        run.commands.push(step.run.trim().to_string());
    }
    run
}

/// One COPY per destination directory: files and globs of one directory
/// share a COPY; each directory source keeps its own path (COPY copies a
/// directory's contents, so `src/` must land in `./src/`).
fn copies(paths: &[(String, Span)], reason: Reason) -> Vec<Line> {
    struct Group {
        dest: String,
        sources: Vec<String>,
        spans: Vec<Span>,
    }
    let mut groups: Vec<Group> = Vec::new();
    // Linear in the number of paths: a group of files is found by its
    // destination (a directory keeps a COPY of its own), a duplicate by
    // its (destination, source) pair.
    let mut file_group: HashMap<String, usize> = HashMap::new();
    let mut seen: HashSet<(String, String)> = HashSet::new();
    for (path, span) in paths {
        let path = path.trim_start_matches("./");
        let is_dir = path.ends_with('/');
        let trimmed = path.trim_end_matches('/');
        let dest = if is_dir {
            format!("./{trimmed}/")
        } else {
            match trimmed.rsplit_once('/') {
                Some((parent, _)) => format!("./{parent}/"),
                None => "./".to_string(),
            }
        };
        let src = if is_dir {
            format!("{trimmed}/")
        } else {
            trimmed.to_string()
        };
        if !seen.insert((dest.clone(), src.clone())) {
            continue;
        }
        match file_group.get(&dest).filter(|_| !is_dir) {
            Some(&i) => {
                groups[i].sources.push(src);
                groups[i].spans.push(*span);
            }
            None => {
                if !is_dir {
                    file_group.insert(dest.clone(), groups.len());
                }
                groups.push(Group {
                    dest,
                    sources: vec![src],
                    spans: vec![*span],
                });
            }
        }
    }
    groups
        .into_iter()
        .map(|group| {
            let copy = Instruction::Copy(Copy {
                from: None,
                sources: group.sources,
                dest: group.dest,
                link: false,
                chown: None,
                chmod: None,
            });
            Line::new(copy, reason, group.spans)
        })
        .collect()
}

fn runner_stage(image: &Image, layouts: &[Layout]) -> Stage {
    let runner = &image.runner;
    let base = &runner.base;
    let mut out: Vec<Line> = Vec::new();
    let mut packages = runner.packages.clone();
    if runner.create_user.is_some() && base.packages == PackageManager::Microdnf {
        // Minimal RHEL images lack useradd and groupadd.
        packages.push(Package {
            name: "shadow-utils".to_string(),
            version: None,
            span: image.span,
        });
    }
    let package_spans = runner.packages.iter().map(|p| p.span);
    out.extend(install(base.packages, &packages).map(|run| {
        Line::new(
            Instruction::Run(run),
            Reason::RuntimePackages,
            package_spans,
        )
    }));
    // User, writable directories and setup join the package RUN: one
    // root layer, before anything is copied in.
    if let Some(user) = &runner.create_user {
        let run = create_user(base.distro, base.packages, user);
        out.push(Line::new(
            Instruction::Run(run),
            Reason::CreateUser,
            runner.user_span,
        ));
    }
    if !runner.writable.is_empty() {
        let mut paths: Vec<String> = runner
            .writable
            .iter()
            .map(|w| w.value.trim_end_matches('/').to_string())
            .collect();
        paths.sort();
        paths.dedup();
        let run = writable_dirs(runner.user.uid, runner.user.gid, &paths);
        out.push(Line::new(
            Instruction::Run(run),
            Reason::Writable,
            runner.writable.iter().map(|w| w.span),
        ));
    }
    if !runner.setup.is_empty() {
        let mut run = commands(runner.setup.iter().map(|s| s.value.as_str()), Vec::new());
        // A script stays a heredoc of its own; plain commands join the
        // package RUN, whose cache mounts they do not touch.
        run.joins_any = run.script.is_none();
        out.push(Line::new(
            Instruction::Run(run),
            Reason::RunnerSetup,
            runner.setup.iter().map(|s| s.span),
        ));
    }
    if let Some(span) = runner.init {
        let mut copy = copy_from(INIT_STAGE, INIT_BINARY, INIT_PATH);
        if let Instruction::Copy(c) = &mut copy {
            c.chmod = Some("0755".to_string());
        }
        out.push(Line::new(copy, Reason::Init, [span]));
    }
    out.extend(external_files(&runner.files));
    let workdir = match &runner.workdir {
        Some(w) => w.value.trim_end_matches('/').to_string(),
        None => workdir_of(&image.build),
    };
    let workdir = if workdir.is_empty() {
        "/".to_string()
    } else {
        workdir
    };
    let mut copies = runner_copies(image, layouts);
    artifact_ownership(&mut copies, image);
    // The work directory matters to the runner when something lands in it
    // or a command may use relative paths; a site copied into a web
    // server's directory needs none.
    let inside = format!("{}/", workdir.trim_end_matches('/'));
    let lands_in_workdir = copies.iter().any(|line| {
        matches!(&line.instruction, Instruction::Copy(c) if c.dest == workdir || c.dest.starts_with(&inside))
    });
    let command_health = runner
        .health
        .as_ref()
        .is_some_and(|h| matches!(h.probe, Probe::Command(_)));
    if runner.workdir.is_some()
        || lands_in_workdir
        || runner.cmd.is_some()
        || runner.entrypoint.is_some()
        || command_health
    {
        let span = runner
            .workdir
            .as_ref()
            .map_or(image.build.workdir.span, |w| w.span);
        out.push(Line::new(
            Instruction::Workdir(workdir.clone()),
            Reason::Workdir,
            [span],
        ));
    }
    let covered = writable_under_copies(&runner.writable, &copies);
    out.extend(copies);
    // A directory copied from a build stage may hold a writable directory
    // the build made (Rails' tmp/, after assets:precompile): it arrives
    // owned by root and takes the place of the one made above, so it is
    // handed back to the runtime user once everything is in.
    if !covered.is_empty() {
        let run = reown_dirs(runner.user.uid, runner.user.gid, &covered);
        out.push(Line::new(
            Instruction::Run(run),
            Reason::Writable,
            runner.writable.iter().map(|w| w.span),
        ));
    }
    // Build arguments the runner's environment names (a version, a
    // commit): declared here too, since an ARG is scoped to its stage. A
    // `version` in `publish` may name one too. Labels are literal (`$`
    // included), so they name none.
    let provenance = image.publish.provenance.as_ref();
    let metadata: Vec<&str> = image
        .build
        .deps
        .iter()
        .flat_map(|e| e.runtime_env.iter())
        .chain(&runner.env)
        .map(|v| v.value.as_str())
        .chain(
            provenance
                .and_then(|p| p.version.as_ref())
                .map(|v| v.value.as_str()),
        )
        .collect();
    let carried: Vec<&crate::model::EnvVar> = image
        .args
        .iter()
        .filter(|a| metadata.iter().any(|text| names_variable(text, &a.name)))
        .collect();
    if !carried.is_empty() {
        out.push(Line::new(
            Instruction::Arg(
                carried
                    .iter()
                    .map(|a| (a.name.clone(), a.value.clone()))
                    .collect(),
            ),
            Reason::Args,
            carried.iter().map(|a| a.span),
        ));
    }
    let env_vars: Vec<&crate::model::EnvVar> = image
        .build
        .deps
        .iter()
        .flat_map(|e| e.runtime_env.iter())
        .chain(&runner.env)
        .collect();
    if !env_vars.is_empty() {
        let pairs = env_vars
            .iter()
            .map(|v| (v.name.clone(), v.value.clone()))
            .collect();
        out.push(Line::new(
            Instruction::Env(pairs),
            Reason::RuntimeEnv,
            env_vars.iter().map(|v| v.span),
        ));
    }
    if !runner.labels.is_empty() {
        let pairs = runner
            .labels
            .iter()
            .map(|(k, v, _)| (k.clone(), v.clone()))
            .collect();
        out.push(Line::new(
            Instruction::Label(pairs),
            Reason::Metadata,
            runner.labels.iter().map(|l| l.2),
        ));
    }
    if let Some(provenance) = provenance {
        out.extend(provenance_lines(provenance));
    }
    if !runner.expose.is_empty() {
        let mut ports: Vec<u16> = runner.expose.iter().map(|p| p.value).collect();
        ports.sort_unstable();
        ports.dedup();
        out.push(Line::new(
            Instruction::Expose(ports),
            Reason::Metadata,
            runner.expose.iter().map(|p| p.span),
        ));
    }
    if !runner.volumes.is_empty() {
        let paths = runner.volumes.iter().map(|v| v.value.clone()).collect();
        out.push(Line::new(
            Instruction::Volume(paths),
            Reason::Metadata,
            runner.volumes.iter().map(|v| v.span),
        ));
    }
    if let Some(signal) = &runner.stop_signal {
        out.push(Line::new(
            Instruction::StopSignal(signal.value.clone()),
            Reason::Metadata,
            [signal.span],
        ));
    }
    let user = format!("{}:{}", runner.user.uid, runner.user.gid);
    out.push(Line::new(
        Instruction::User(user),
        Reason::User,
        runner.user_span,
    ));
    if let Some(health) = &runner.health {
        let command = match &health.probe {
            Probe::Http { path, port } => http_probe(image, path, *port),
            Probe::Command(c) => exec_form(c, base.shell.path()),
        };
        let check = Instruction::Healthcheck(Healthcheck {
            command,
            interval: health.interval.map(format_duration),
            timeout: health.timeout.map(format_duration),
            start_period: health.start_period.map(format_duration),
            retries: health.retries,
        });
        out.push(Line::new(check, Reason::Healthcheck, [health.span]));
    }
    // With an init, tini starts the entrypoint (or, without one, the CMD).
    let init = runner
        .init
        .map(|_| vec![INIT_PATH.to_string(), "--".to_string()]);
    let entrypoint = runner
        .entrypoint
        .as_ref()
        .map(|e| (exec_form(&e.value, base.shell.path()), vec![e.span]));
    let entrypoint = match (init, entrypoint) {
        (Some(mut init), Some((args, spans))) => {
            init.extend(args);
            Some((init, spans))
        }
        (Some(init), None) => Some((init, runner.init.into_iter().collect())),
        (None, entrypoint) => entrypoint,
    };
    if let Some((args, spans)) = entrypoint {
        out.push(Line::new(
            Instruction::Entrypoint(args),
            Reason::Command,
            spans,
        ));
    }
    if let Some(cmd) = &runner.cmd {
        let args = exec_form(&cmd.value, base.shell.path());
        out.push(Line::new(
            Instruction::Cmd(args),
            Reason::Command,
            [cmd.span],
        ));
    }
    Stage {
        platform: None,
        name: RUNTIME.to_string(),
        from: base.reference.render(),
        shell: base.shell.path().map(str::to_string),
        lines: out,
    }
}

/// The OCI labels of `publish`, each from a build argument. Declared in
/// the runner only, after every layer: BuildKit reads an ARG's value into
/// the cache key of the RUN steps after it, so in any earlier place a new
/// commit would rebuild them. A plain `docker build` gets the defaults (the
/// spec's `source` and `version`, else empty).
fn provenance_lines(provenance: &crate::model::Provenance) -> [Line; 2] {
    use crate::model::Provenance;
    let spans = || {
        std::iter::once(provenance.span)
            .chain(provenance.source.as_ref().map(|s| s.span))
            .chain(provenance.version.as_ref().map(|v| v.span))
    };
    let args = Provenance::LABELS
        .iter()
        .map(|(_, arg)| (arg.to_string(), provenance.default_of(arg)))
        .collect();
    let labels = Provenance::LABELS
        .iter()
        .map(|(label, arg)| (label.to_string(), arg.to_string()))
        .collect();
    [
        Line::new(Instruction::Arg(args), Reason::Provenance, spans()),
        Line::new(
            Instruction::LabelFromArgs(labels),
            Reason::Provenance,
            spans(),
        ),
    ]
}

/// Artifacts given an `owner` or a `mode` keep them in the runner: found
/// by their span among the copies, so the order of the copies stays as
/// `runner_copies` lays it out.
fn artifact_ownership(copies: &mut [Line], image: &Image) {
    let user = format!("{}:{}", image.runner.user.uid, image.runner.user.gid);
    let artifacts: Vec<&crate::model::Artifact> = image
        .builds()
        .flat_map(|b| b.artifacts.iter().flatten())
        .filter(|a| a.owner == Owner::Runtime || a.mode.is_some())
        .collect();
    for line in copies.iter_mut() {
        let Instruction::Copy(copy) = &mut line.instruction else {
            continue;
        };
        let Some(artifact) = artifacts.iter().find(|a| line.spans == [a.span]) else {
            continue;
        };
        if artifact.owner == Owner::Runtime {
            copy.chown = Some(user.clone());
        }
        copy.chmod.clone_from(&artifact.mode);
    }
}

/// What the runner copies, in order of volatility: every build's
/// dependencies (from the stages that never see the sources), then the
/// projects that ecosystems install, then the application's own files.
fn runner_copies(image: &Image, layouts: &[Layout]) -> Vec<Line> {
    let mut out = Vec::new();
    for layout in layouts {
        for (stage, path, spans) in &layout.dependencies {
            let copy = copy_from(stage, path, path);
            out.push(Line::new(copy, Reason::Dependencies, spans.iter().copied()));
        }
    }
    for layout in layouts {
        for (path, spans) in &layout.projects {
            let copy = copy_from(&layout.stage, path, path);
            out.push(Line::new(copy, Reason::Project, spans.iter().copied()));
        }
    }
    let builds = image.builds();
    for (layout, build) in layouts.iter().zip(builds) {
        application_files(&mut out, &layout.stage, build);
    }
    out
}

/// How the runner receives a build's own files when `artifacts` does not
/// list them.
pub enum WholeWorkdir {
    /// Build steps wrote there: copied from the build stage in one layer.
    FromBuild,
    /// The build adds only the sources: the runner copies them (and the
    /// manifests) from the context, as the build stage would hold them, so
    /// it never waits for or depends on the build stage, and dependencies
    /// in the work directory arrive once, from their own stage.
    FromContext,
    /// A dependency output lives in the work directory and build steps
    /// write there too: the runner cannot tell them apart (E0118).
    Ambiguous,
}

pub fn whole_workdir(build: &Build) -> WholeWorkdir {
    let workdir = workdir_of(build);
    let inside = format!("{}/", workdir.trim_end_matches('/'));
    let in_workdir = build.deps.iter().any(|eco| {
        eco.output.iter().any(|o| {
            let path = output_path(&workdir, eco, &o.value);
            let path = path.trim_end_matches('/');
            path == workdir || path.starts_with(&inside)
        })
    });
    let writes = !build.steps.is_empty() || build.deps.iter().any(|e| !e.finish.is_empty());
    match (in_workdir, writes) {
        (_, false) => WholeWorkdir::FromContext,
        (false, true) => WholeWorkdir::FromBuild,
        (true, true) => WholeWorkdir::Ambiguous,
    }
}

/// The artifacts of one build, or its whole work directory.
fn application_files(out: &mut Vec<Line>, stage: &str, build: &Build) {
    let workdir = workdir_of(build);
    match &build.artifacts {
        None => match whole_workdir(build) {
            WholeWorkdir::FromContext => {
                let mut paths: Vec<(String, Span)> =
                    build.deps.iter().flat_map(manifest_entries).collect();
                paths.extend(build.sources.iter().map(|s| (s.value.clone(), s.span)));
                for mut line in copies(&paths, Reason::Artifacts) {
                    if let Instruction::Copy(copy) = &mut line.instruction {
                        copy.link = true;
                        copy.dest = in_workdir(&workdir, &copy.dest);
                    }
                    out.push(line);
                }
            }
            WholeWorkdir::FromBuild | WholeWorkdir::Ambiguous => out.push(Line::new(
                copy_from(stage, &workdir, &workdir),
                Reason::Artifacts,
                [],
            )),
        },
        Some(artifacts) => {
            for artifact in artifacts {
                let from = in_workdir(&workdir, &artifact.from);
                let to = artifact
                    .to
                    .as_deref()
                    .map_or_else(|| from.clone(), str::to_string);
                out.push(Line::new(
                    copy_from(stage, &from, &to),
                    Reason::Artifacts,
                    [artifact.span],
                ));
            }
        }
    }
}

/// Whether `text` refers to the variable `name` (`$NAME` or `${NAME...}`).
fn names_variable(text: &str, name: &str) -> bool {
    let is_ident = |c: char| c.is_ascii_alphanumeric() || c == '_';
    text.match_indices('$').any(|(i, _)| {
        let rest = &text[i + 1..];
        let rest = rest.strip_prefix('{').unwrap_or(rest);
        rest.strip_prefix(name)
            .is_some_and(|after| !after.starts_with(is_ident))
    })
}

/// An absolute path, reading relative ones against the work directory.
fn in_workdir(workdir: &str, path: &str) -> String {
    if path.starts_with('/') {
        return path.to_string();
    }
    let trailing = if path.ends_with('/') { "/" } else { "" };
    let path = path.trim_start_matches("./").trim_end_matches('/');
    if path.is_empty() || path == "." {
        return format!("{}{trailing}", workdir.trim_end_matches('/'));
    }
    format!("{}/{path}{trailing}", workdir.trim_end_matches('/'))
}

/// `run { files }`, in the order written: a pinned image's path with
/// `COPY --from=<reference>`, a download with `ADD --checksum`.
fn external_files(files: &[crate::model::ExternalFile]) -> Vec<Line> {
    files
        .iter()
        .map(|file| {
            let instruction = match &file.source {
                FileSource::Image { reference, path } => {
                    let mut copy = copy_from(&reference.render(), path, &file.to);
                    if let Instruction::Copy(c) = &mut copy {
                        c.chmod.clone_from(&file.mode);
                    }
                    copy
                }
                // A download is written 0600 unless told otherwise: 0644
                // lets the non-root runtime user read it.
                FileSource::Url { url, checksum } => Instruction::Add(super::Add {
                    url: url.clone(),
                    checksum: checksum.clone(),
                    dest: file.to.clone(),
                    link: true,
                    chmod: Some(file.mode.clone().unwrap_or_else(|| "0644".to_string())),
                }),
            };
            Line::new(instruction, Reason::Files, [file.span])
        })
        .collect()
}

fn copy_from(stage: &str, source: &str, dest: &str) -> Instruction {
    Instruction::Copy(Copy {
        from: Some(stage.to_string()),
        sources: vec![source.to_string()],
        dest: dest.to_string(),
        link: true,
        chown: None,
        chmod: None,
    })
}

fn http_probe(image: &Image, path: &str, port: u16) -> Vec<String> {
    let url = format!("http://127.0.0.1:{port}{path}");
    let has_curl = image.runner.packages.iter().any(|p| p.name == "curl");
    let tool = if has_curl {
        ["curl", "-fsS", "-o", "/dev/null"]
    } else {
        ["wget", "-q", "-O", "/dev/null"]
    };
    tool.iter().map(|s| s.to_string()).chain([url]).collect()
}

/// Shell-form commands become an explicit `sh -c` in exec form, so signals
/// and arguments behave the same way everywhere.
fn exec_form(command: &Command, shell: Option<&str>) -> Vec<String> {
    match command {
        Command::Exec(args) => args.clone(),
        Command::Shell(text) => vec![
            shell.unwrap_or("/bin/sh").to_string(),
            "-c".into(),
            text.clone(),
        ],
    }
}

/// An allow-list: ignore everything, then re-include what the builds copy,
/// then the spec's excludes, and last the sensitive names, so nothing
/// before them can put those back.
fn ignore_lines(image: &Image) -> Vec<String> {
    let mut lines = vec!["*".to_string()];
    let mut seen: HashSet<String> = lines.iter().cloned().collect();
    let mut push = |line: String| {
        if seen.insert(line.clone()) {
            lines.push(line);
        }
    };
    let builds = image.stages.iter().map(|s| &s.build).chain([&image.build]);
    for build in builds {
        for eco in &build.deps {
            for path in manifest_paths(eco) {
                push(format!("!{}", ignore_literal(&path)));
            }
        }
        for source in &build.sources {
            push(format!("!{}", ignore_literal(&source.value)));
        }
    }
    for exclude in &image.excludes {
        push(exclude.value.clone());
    }
    for name in super::SENSITIVE {
        push(format!("**/{name}"));
    }
    lines
}

/// A source as a `.dockerignore` pattern that matches it literally apart
/// from its `*` and `?` wildcards: BuildKit reads `[`, `]` and `\` as
/// pattern syntax and trims white space around a line, so those are
/// escaped (white space at the ends as a class such as `[ ]`).
fn ignore_literal(path: &str) -> String {
    let path = path.trim_start_matches("./").trim_end_matches('/');
    let chars: Vec<char> = path.chars().collect();
    let lead = chars.iter().take_while(|c| c.is_whitespace()).count();
    let trail = chars[lead..]
        .iter()
        .rev()
        .take_while(|c| c.is_whitespace())
        .count();
    let mut out = String::with_capacity(path.len());
    for (i, c) in chars.iter().enumerate() {
        match c {
            c if c.is_whitespace() && (i < lead || i >= chars.len() - trail) => {
                out.push('[');
                out.push(*c);
                out.push(']');
            }
            '[' | ']' | '\\' => {
                out.push('\\');
                out.push(*c);
            }
            c => out.push(*c),
        }
    }
    out
}

/// The writable directories that lie inside a directory some runner COPY
/// brings from another stage, sorted.
fn writable_under_copies(
    writable: &[crate::model::Spanned<String>],
    copies: &[Line],
) -> Vec<String> {
    let mut covered: Vec<String> = writable
        .iter()
        .map(|w| w.value.trim_end_matches('/').to_string())
        .filter(|path| {
            copies.iter().any(|line| match &line.instruction {
                Instruction::Copy(c) if c.from.is_some() => {
                    let dest = c.dest.trim_end_matches('/');
                    path.starts_with(&format!("{dest}/"))
                }
                _ => false,
            })
        })
        .collect();
    covered.sort();
    covered.dedup();
    covered
}

#[cfg(test)]
mod tests {
    use super::ignore_literal;

    #[test]
    fn ignore_lines_are_literal() {
        assert_eq!(ignore_literal("./src/"), "src");
        assert_eq!(ignore_literal("data[1].csv"), "data\\[1\\].csv");
        assert_eq!(ignore_literal(" a b "), "[ ]a b[ ]");
        assert_eq!(ignore_literal("src/*.py"), "src/*.py");
    }
}
