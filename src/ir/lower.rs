//! Model → IR. Lays out each image as a build stage and a runner stage, in
//! the order of rule 1: base → system packages → user → manifests alone →
//! dependency install → sources → build → runner.

use super::packages::{create_user, install};
use super::{Copy, Dockerfile, Healthcheck, Instruction, Mount, Run, Stage};
use crate::model::{Command, Ecosystem, Image, Probe, Step};
use crate::types::{format_duration, shell};

const BUILD: &str = "build";
const RUNTIME: &str = "runtime";

pub fn lower(image: &Image) -> Dockerfile {
    Dockerfile {
        image: image.name.clone(),
        stages: vec![build_stage(image), runner_stage(image)],
        ignore: ignore_lines(image),
    }
}

fn build_stage(image: &Image) -> Stage {
    let mut out = Vec::new();
    out.extend(install(image.base.packages, &image.build_packages).map(Instruction::Run));
    let workdir = image.workdir.value.trim_end_matches('/').to_string();
    let workdir = if workdir.is_empty() {
        "/".to_string()
    } else {
        workdir
    };
    out.push(Instruction::Workdir(workdir.clone()));

    let build_env: Vec<(String, String)> = image
        .deps
        .iter()
        .flat_map(|e| {
            e.build_env
                .iter()
                .map(|v| (v.name.clone(), v.value.clone()))
        })
        .collect();
    if !build_env.is_empty() {
        out.push(Instruction::Env(build_env));
    }
    let dep_caches: Vec<Mount> = image.deps.iter().flat_map(ecosystem_caches).collect();
    for eco in &image.deps {
        let dir = eco.dir.as_deref().map(|d| d.trim_matches('/'));
        let target = match dir {
            Some(dir) => format!("./{dir}/"),
            None => "./".to_string(),
        };
        let sources = eco
            .manifests
            .iter()
            .map(|m| match dir {
                Some(dir) => format!("{dir}/{}", m.value),
                None => m.value.clone(),
            })
            .collect();
        out.push(Instruction::Copy(Copy {
            from: None,
            sources,
            dest: target,
            link: false,
        }));
        if let Some(dir) = dir {
            out.push(Instruction::Workdir(format!("{workdir}/{dir}")));
        }
        out.push(Instruction::Run(commands(
            eco.install.iter().map(|s| s.value.as_str()),
            ecosystem_caches(eco),
        )));
        if dir.is_some() {
            out.push(Instruction::Workdir(workdir.clone()));
        }
    }
    out.extend(source_copies(image));
    if !image.args.is_empty() {
        out.push(Instruction::Arg(
            image
                .args
                .iter()
                .map(|a| (a.name.clone(), a.value.clone()))
                .collect(),
        ));
    }
    for step in &image.steps {
        out.push(Instruction::Run(build_step(step, &dep_caches)));
    }
    for eco in &image.deps {
        if !eco.prune.is_empty() {
            out.push(Instruction::Run(commands(
                eco.prune.iter().map(|s| s.value.as_str()),
                Vec::new(),
            )));
        }
    }
    Stage {
        name: BUILD.to_string(),
        from: image.base.reference.render(),
        shell: image.base.shell.path().map(str::to_string),
        instructions: out,
    }
}

fn ecosystem_caches(eco: &Ecosystem) -> Vec<Mount> {
    eco.cache
        .iter()
        .map(|c| Mount::Cache {
            target: c.value.clone(),
            locked: false,
        })
        .collect()
}

fn commands<'a>(texts: impl Iterator<Item = &'a str>, mounts: Vec<Mount>) -> Run {
    let commands: Vec<String> = texts.map(str::to_string).collect();
    let has_pipe = commands.iter().any(|c| shell::scan(c).pipe);
    Run {
        commands,
        script: None,
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

/// One COPY per destination directory: files and globs at the top level of
/// the context share `./`; each directory keeps its own path.
fn source_copies(image: &Image) -> Vec<Instruction> {
    let mut groups: Vec<(String, Vec<String>)> = Vec::new();
    for source in &image.sources {
        let path = source.value.trim_start_matches("./");
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
        match groups.iter_mut().find(|(d, _)| *d == dest && !is_dir) {
            Some((_, list)) if !list.iter().any(|s| s.ends_with('/')) => list.push(src),
            _ => groups.push((dest, vec![src])),
        }
    }
    groups
        .into_iter()
        .map(|(dest, sources)| {
            Instruction::Copy(Copy {
                from: None,
                sources,
                dest,
                link: false,
            })
        })
        .collect()
}

fn runner_stage(image: &Image) -> Stage {
    let runner = &image.runner;
    let base = &runner.base;
    let mut out = Vec::new();
    out.extend(install(base.packages, &runner.packages).map(Instruction::Run));
    if runner.create_user {
        out.push(Instruction::Run(create_user(
            base.distro,
            base.packages,
            runner.user,
        )));
    }
    let workdir = image.workdir.value.trim_end_matches('/');
    let workdir = if workdir.is_empty() { "/" } else { workdir };
    out.push(Instruction::Workdir(workdir.to_string()));
    for eco in &image.deps {
        if let Some(output) = &eco.output {
            out.push(copy_from_build(&output.value, &output.value));
        }
    }
    match &image.artifacts {
        None => out.push(copy_from_build(workdir, workdir)),
        Some(artifacts) => {
            for artifact in artifacts {
                let from = in_workdir(workdir, &artifact.from);
                let to = artifact
                    .to
                    .as_deref()
                    .map_or_else(|| from.clone(), |t| t.to_string());
                out.push(copy_from_build(&from, &to));
            }
        }
    }
    let env: Vec<(String, String)> = image
        .deps
        .iter()
        .flat_map(|e| e.runtime_env.iter())
        .chain(&runner.env)
        .map(|v| (v.name.clone(), v.value.clone()))
        .collect();
    if !env.is_empty() {
        out.push(Instruction::Env(env));
    }
    if !runner.labels.is_empty() {
        out.push(Instruction::Label(
            runner
                .labels
                .iter()
                .map(|(k, v, _)| (k.clone(), v.clone()))
                .collect(),
        ));
    }
    if !runner.expose.is_empty() {
        let mut ports: Vec<u16> = runner.expose.iter().map(|p| p.value).collect();
        ports.sort_unstable();
        ports.dedup();
        out.push(Instruction::Expose(ports));
    }
    if !runner.volumes.is_empty() {
        out.push(Instruction::Volume(
            runner.volumes.iter().map(|v| v.value.clone()).collect(),
        ));
    }
    if let Some(signal) = &runner.stop_signal {
        out.push(Instruction::StopSignal(signal.value.clone()));
    }
    out.push(Instruction::User(format!(
        "{}:{}",
        runner.user.uid, runner.user.gid
    )));
    if let Some(health) = &runner.health {
        let command = match &health.probe {
            Probe::Http { path, port } => http_probe(image, path, *port),
            Probe::Command(c) => exec_form(c, base.shell.path()),
        };
        out.push(Instruction::Healthcheck(Healthcheck {
            command,
            interval: health.interval.map(format_duration),
            timeout: health.timeout.map(format_duration),
            start_period: health.start_period.map(format_duration),
            retries: health.retries,
        }));
    }
    if let Some(entrypoint) = &runner.entrypoint {
        out.push(Instruction::Entrypoint(exec_form(
            &entrypoint.value,
            base.shell.path(),
        )));
    }
    if let Some(cmd) = &runner.cmd {
        out.push(Instruction::Cmd(exec_form(&cmd.value, base.shell.path())));
    }
    Stage {
        name: RUNTIME.to_string(),
        from: base.reference.render(),
        shell: base.shell.path().map(str::to_string),
        instructions: out,
    }
}

/// An absolute path, reading relative ones against the work directory.
fn in_workdir(workdir: &str, path: &str) -> String {
    if path.starts_with('/') {
        return path.to_string();
    }
    let trailing = if path.ends_with('/') { "/" } else { "" };
    let path = path.trim_start_matches("./").trim_end_matches('/');
    format!("{}/{path}{trailing}", workdir.trim_end_matches('/'))
}

fn copy_from_build(source: &str, dest: &str) -> Instruction {
    Instruction::Copy(Copy {
        from: Some(BUILD.to_string()),
        sources: vec![source.to_string()],
        dest: dest.to_string(),
        link: true,
    })
}

fn http_probe(image: &Image, path: &str, port: u16) -> Vec<String> {
    let url = format!("http://127.0.0.1:{port}{path}");
    let has_curl = image.runner.packages.iter().any(|p| p.name == "curl");
    if has_curl {
        vec![
            "curl".into(),
            "-fsS".into(),
            "-o".into(),
            "/dev/null".into(),
            url,
        ]
    } else {
        vec![
            "wget".into(),
            "-q".into(),
            "-O".into(),
            "/dev/null".into(),
            url,
        ]
    }
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

/// An allow-list: ignore everything, then re-include what the build copies.
fn ignore_lines(image: &Image) -> Vec<String> {
    let mut lines = vec!["*".to_string()];
    let mut include = |path: &str| {
        let line = format!("!{}", path.trim_start_matches("./").trim_end_matches('/'));
        if !lines.contains(&line) {
            lines.push(line);
        }
    };
    for eco in &image.deps {
        for manifest in &eco.manifests {
            match &eco.dir {
                Some(dir) => include(&format!("{}/{}", dir.trim_matches('/'), manifest.value)),
                None => include(&manifest.value),
            }
        }
    }
    for source in &image.sources {
        include(&source.value);
    }
    for exclude in &image.excludes {
        let line = exclude.value.clone();
        if !lines.contains(&line) {
            lines.push(line);
        }
    }
    lines
}
