//! From what the probes and frameworks found to a [`Spec`]: one builder
//! per ecosystem family, each deciding the base, the ecosystem call, the
//! sources, the build steps and the run block, and saying every decision
//! in a line for standard error. What it cannot decide it guesses, with a
//! `// imgspec init:` note on the line saying what and why.

use serde_json::Value;

use super::detect::{self, Found, Kind};
use super::framework::{self, SKIPPED};
use super::native;
use super::tree::Tree;
use super::write::{image_name, list, string, Item, Spec};
use super::Ask;

/// The state of one `init` run.
pub struct Ctx<'a> {
    pub tree: &'a Tree,
    /// One line per decision, printed on standard error.
    pub decisions: Vec<String>,
    pub ask: &'a mut dyn Ask,
    /// The project directory's name, for the image's.
    pub dir_name: String,
}

impl Ctx<'_> {
    fn decide(&mut self, line: impl Into<String>) {
        self.decisions.push(line.into());
    }

    /// One of several candidates: the only one, the one the user picks,
    /// or the first with a note saying so.
    fn pick(&mut self, what: &str, candidates: &[String]) -> (usize, Option<String>) {
        if candidates.len() < 2 {
            return (0, None);
        }
        if let Some(i) = self.ask.choose(&format!("Which {what}?"), candidates) {
            self.decide(format!("{what}: {} (chosen)", candidates[i]));
            return (i, None);
        }
        let shown = candidates.join(", ");
        self.decide(format!(
            "{what}: {} of {} candidates ({shown})",
            candidates[0],
            candidates.len()
        ));
        (
            0,
            Some(format!(
                "{} candidates for the {what} ({shown}); took the first",
                candidates.len()
            )),
        )
    }

    /// The application object of a Python web framework (`app =
    /// FastAPI(...)`): the one found, the one picked among several, or
    /// `MODULE:app` guessed, with a note when it was not certain.
    fn application(
        &mut self,
        files: &[String],
        class: &str,
        factory: Option<&str>,
        module: &str,
    ) -> (framework::PyObject, Option<String>) {
        let objects = framework::python_objects(self.tree, files, class, factory);
        let names: Vec<String> = objects.iter().map(|o| o.target()).collect();
        let (i, note) = self.pick(&format!("{class} application"), &names);
        let object = objects.get(i).cloned();
        self.decide(format!(
            "framework: {class} ({})",
            object
                .as_ref()
                .map_or("no application object found".into(), |o| o.target())
        ));
        let note = note.or_else(|| {
            object
                .is_none()
                .then(|| format!("no `{class}(...)` object found; `{module}:app` guessed"))
        });
        let object = object.unwrap_or(framework::PyObject {
            module: module.into(),
            attribute: "app".into(),
            src: false,
        });
        (object, note)
    }

    /// The port: the one found, the user's, or `default` with a note.
    fn port(&mut self, found: Option<u16>, default: u16, why: &str) -> (u16, Option<String>) {
        if let Some(port) = found {
            self.decide(format!("port: {port}"));
            return (port, None);
        }
        if let Some(port) = self.ask.port("Which port does the application listen on?") {
            self.decide(format!("port: {port} (given)"));
            return (port, None);
        }
        self.decide(format!("port: {default} (guessed: {why})"));
        (
            default,
            Some(format!("no port found in the sources; {default} is {why}")),
        )
    }

    fn read_json(&mut self, file: &str) -> Option<Value> {
        let text = self.tree.read(file)?;
        match serde_json::from_str::<Value>(&text) {
            Ok(value) if value.is_object() => Some(value),
            _ => {
                self.decide(format!("{file} is not valid JSON: read as empty"));
                None
            }
        }
    }

    fn read_toml(&mut self, file: &str) -> Option<toml::Table> {
        let text = self.tree.read(file)?;
        match text.parse::<toml::Table>() {
            Ok(table) => Some(table),
            Err(_) => {
                self.decide(format!("{file} is not valid TOML: read as empty"));
                None
            }
        }
    }
}

/// The spec for the ecosystem `found`.
pub fn plan(ctx: &mut Ctx, found: &Found) -> Spec {
    ctx.decide(format!(
        "ecosystem: {} ({})",
        found.kind.name(),
        if found.evidence.is_empty() {
            "no manifest read".to_string()
        } else {
            found.evidence.join(", ")
        }
    ));
    if let Some(lock) = found.missing_lock {
        ctx.decide(format!("{lock} is missing: the install needs it"));
    }
    let mut spec = match found.kind {
        Kind::Pip | Kind::Poetry | Kind::Uv => python(ctx, found),
        Kind::Npm | Kind::Yarn | Kind::YarnBerry | Kind::Pnpm => node(ctx, found.kind),
        Kind::Go => go(ctx),
        Kind::Cargo => cargo(ctx),
        Kind::Maven => maven(ctx),
        Kind::Gradle => gradle(ctx),
        Kind::Bundler => ruby(ctx),
        Kind::Composer => php(ctx),
        Kind::Dotnet => dotnet(ctx),
        Kind::Static => static_site(ctx),
    };
    if spec.image.is_empty() {
        spec.image = image_name(&ctx.dir_name, "app");
    }
    spec
}

fn quoted(text: &str) -> String {
    string(text).unwrap_or_else(|| "\"\"".into())
}

fn version_decision(ctx: &mut Ctx, what: &str, v: &detect::Version) {
    ctx.decide(format!("{what} {} (from {})", v.value, v.from));
}

/// Top-level sources: directories not skipped, and the files `keep` wants.
fn sources(tree: &Tree, dir: &str, skip: &[&str], keep: &dyn Fn(&str) -> bool) -> Vec<String> {
    let mut out = Vec::new();
    for entry in tree.list(dir) {
        let name = entry.name.as_str();
        if name.starts_with('.') || name.ends_with(".imgspec") || name.starts_with("Dockerfile") {
            continue;
        }
        if entry.dir {
            if !SKIPPED.contains(&name) && !skip.contains(&name) && !name.ends_with(".egg-info") {
                out.push(format!("{dir}{name}/"));
            }
        } else if keep(name) && !name.contains(".dockerignore") {
            out.push(format!("{dir}{name}"));
        }
    }
    out
}

fn packages_block(spec: &mut Spec, build: Vec<String>, runtime: Vec<String>) {
    if build.is_empty() && runtime.is_empty() {
        return;
    }
    let mut items = Vec::new();
    if !build.is_empty() {
        items.push(Item::field("build", list(&build)));
    }
    if !runtime.is_empty() {
        items.push(Item::field("runtime", list(&runtime)));
    }
    spec.set(Item::Block {
        key: "packages".into(),
        items,
    });
}

fn cmd(words: &[String]) -> String {
    list(words)
}

fn words(items: &[&str]) -> Vec<String> {
    items.iter().map(|s| s.to_string()).collect()
}

// ---------------------------------------------------------------- Python

/// A distribution name as pip compares them: lower case, `_` and `.` as `-`.
fn normalise(name: &str) -> String {
    name.trim().to_ascii_lowercase().replace(['_', '.'], "-")
}

/// The name of a requirement line (`Django>=5.0 ; python_version...`).
fn requirement_name(line: &str) -> Option<String> {
    let line = line.split('#').next()?.trim();
    if line.is_empty() || line.starts_with('-') {
        return None;
    }
    let name: String = line
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
        .collect();
    (!name.is_empty()).then(|| normalise(&name))
}

/// The requirements of a file and those it includes with `-r` (one level).
fn requirements(tree: &Tree, file: &str) -> (Vec<String>, String) {
    let text = tree.read(file).unwrap_or_default();
    let mut names: Vec<String> = text.lines().filter_map(requirement_name).collect();
    let base = file
        .rsplit_once('/')
        .map(|(d, _)| format!("{d}/"))
        .unwrap_or_default();
    let mut all = text.clone();
    for line in text.lines() {
        let line = line.trim();
        if let Some(included) = line
            .strip_prefix("-r ")
            .or_else(|| line.strip_prefix("--requirement "))
        {
            let included = format!("{base}{}", included.trim());
            if let Some(more) = tree.read(&included) {
                names.extend(more.lines().filter_map(requirement_name));
                all.push_str(&more);
            }
        }
    }
    (names, all)
}

/// Direct dependencies of a pyproject.toml: PEP 621 and Poetry's table.
fn pyproject_dependencies(pyproject: Option<&toml::Table>) -> Vec<String> {
    let mut out = Vec::new();
    let Some(p) = pyproject else {
        return out;
    };
    if let Some(deps) = p
        .get("project")
        .and_then(|p| p.get("dependencies"))
        .and_then(|d| d.as_array())
    {
        out.extend(
            deps.iter()
                .filter_map(|d| d.as_str())
                .filter_map(requirement_name),
        );
    }
    if let Some(deps) = p
        .get("tool")
        .and_then(|t| t.get("poetry"))
        .and_then(|t| t.get("dependencies"))
        .and_then(|d| d.as_table())
    {
        out.extend(deps.keys().filter(|k| *k != "python").map(|k| normalise(k)));
    }
    out
}

/// Every package a lock file (uv.lock, poetry.lock) pins.
fn locked_packages(lock: Option<&toml::Table>) -> Vec<String> {
    lock.and_then(|l| l.get("package"))
        .and_then(|p| p.as_array())
        .map(|packages| {
            packages
                .iter()
                .filter_map(|p| p.get("name")?.as_str().map(normalise))
                .collect()
        })
        .unwrap_or_default()
}

fn python(ctx: &mut Ctx, found: &Found) -> Spec {
    let tree = ctx.tree;
    let kind = found.kind;
    let pyproject = ctx.read_toml("pyproject.toml");
    let version = detect::python_version(tree, pyproject.as_ref());
    version_decision(ctx, "Python", &version);
    let requirements_file = found
        .evidence
        .first()
        .cloned()
        .unwrap_or_else(|| "requirements.txt".into());
    let (mut direct, raw) = match kind {
        Kind::Pip => requirements(tree, &requirements_file),
        _ => (Vec::new(), String::new()),
    };
    direct.extend(pyproject_dependencies(pyproject.as_ref()));
    let locked = match kind {
        Kind::Uv => locked_packages(ctx.read_toml("uv.lock").as_ref()),
        Kind::Poetry => locked_packages(ctx.read_toml("poetry.lock").as_ref()),
        _ => Vec::new(),
    };
    let mut all: Vec<String> = direct.clone();
    all.extend(locked.iter().cloned());
    let mut seen = std::collections::HashSet::new();
    all.retain(|d| seen.insert(d.clone()));
    let has = |name: &str| all.iter().any(|d| d == name);
    let uses_project = kind == Kind::Uv
        && pyproject
            .as_ref()
            .is_some_and(|p| p.contains_key("build-system"));
    let spec = Spec {
        uses: vec!["python"],
        image: pyproject
            .as_ref()
            .and_then(|p| p.get("project").or_else(|| p.get("tool")?.get("poetry")))
            .and_then(|p| p.get("name")?.as_str())
            .map(|n| image_name(n, ""))
            .unwrap_or_default(),
        ..Spec::default()
    };
    // What pip installs beside the requirements file (a server it lacks).
    let mut extra: Vec<String> = Vec::new();
    let mut run: Vec<Item> = Vec::new();
    let mut build: Vec<String> = Vec::new();
    let mut cmd_note = None;
    let files = framework::python_files(tree);
    let (command, port, port_default): (Vec<String>, Option<u16>, Option<(u16, &str)>) = if tree
        .file("manage.py")
        || has("django")
    {
        let manage = tree.read("manage.py").unwrap_or_default();
        let settings = framework::quoted_after(&manage, "DJANGO_SETTINGS_MODULE").filter(|s| {
            s.split('.')
                .all(|p| !p.is_empty() && p.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'))
        });
        let package = settings
            .as_deref()
            .and_then(|s| s.split('.').next())
            .map(str::to_string)
            .or_else(|| {
                tree.glob("*/wsgi.py")
                    .first()
                    .and_then(|w| w.split('/').next().map(str::to_string))
            });
        let Some(package) = package else {
            ctx.decide("framework: Django, but no settings module found");
            cmd_note = Some(
                "Django without a settings module in manage.py; name the WSGI module".to_string(),
            );
            return finish_python(
                ctx,
                spec,
                kind,
                &version.value,
                &requirements_file,
                extra,
                build,
                run,
                words(&["gunicorn", "--bind", "0.0.0.0:8000", "app.wsgi"]),
                cmd_note,
                Some(8000),
                uses_project,
                &all,
            );
        };
        let settings = settings.unwrap_or_else(|| format!("{package}.settings"));
        ctx.decide(format!("framework: Django (settings {settings})"));
        run.push(Item::field(
            "env",
            format!("{{ DJANGO_SETTINGS_MODULE = {} }}", quoted(&settings)),
        ));
        let settings_path = settings.replace('.', "/");
        let settings_text = [
            format!("{settings_path}.py"),
            format!("{settings_path}/__init__.py"),
            format!("{settings_path}/base.py"),
            format!("{settings_path}/production.py"),
        ]
        .iter()
        .filter_map(|f| tree.read(f))
        .collect::<String>();
        // Settings that read a variable without a default fail at import
        // without it: at collectstatic (given a stand-in value on that
        // command only) and at start (the deployment must pass it).
        let required = framework::required_environment(&settings_text);
        if settings_text.contains("STATIC_ROOT") {
            ctx.decide("static files: collectstatic in the build stage (STATIC_ROOT is set)");
            let stand_ins: String = required
                .iter()
                .map(|name| format!("{name}=collectstatic-only "))
                .collect();
            build.push(format!(
                "{stand_ins}python manage.py collectstatic --noinput"
            ));
        }
        if !required.is_empty() {
            let names = required.join(", ");
            ctx.decide(format!(
                "environment the settings require at start: {names}"
            ));
            run.push(Item::Note(format!(
                "the settings read {names} from the environment with no default: pass {} at start (`docker run -e`, or the platform's secrets)",
                if required.len() == 1 { "it" } else { "them" }
            )));
        }
        let asgi = tree.file(&format!("{package}/asgi.py"));
        let command = if has("gunicorn") || (kind == Kind::Pip && !has("uvicorn")) {
            if !has("gunicorn") {
                ctx.decide("gunicorn: installed beside the requirements (not among them)");
                extra.push("gunicorn==23.0.0".into());
            }
            ctx.decide(format!("server: gunicorn {package}.wsgi"));
            run.push(Item::field("init", "true"));
            vec![
                "gunicorn".into(),
                "--bind".into(),
                "0.0.0.0:8000".into(),
                "--workers".into(),
                "3".into(),
                format!("{package}.wsgi"),
            ]
        } else if has("uvicorn") && asgi {
            ctx.decide(format!("server: uvicorn {package}.asgi"));
            vec![
                "uvicorn".into(),
                format!("{package}.asgi:application"),
                "--host".into(),
                "0.0.0.0".into(),
                "--port".into(),
                "8000".into(),
            ]
        } else {
            ctx.decide("server: Django's own (no gunicorn among the dependencies)");
            cmd_note = Some(format!(
                "gunicorn is not a dependency: add it and serve `{package}.wsgi` with it"
            ));
            words(&[
                "python",
                "manage.py",
                "runserver",
                "0.0.0.0:8000",
                "--noreload",
            ])
        };
        (command, Some(8000), None)
    } else if has("fastapi") {
        let (object, note) = ctx.application(&files, "FastAPI", None, "main");
        cmd_note = note;
        if !has("uvicorn") && !raw.contains("fastapi[standard") {
            if kind == Kind::Pip {
                ctx.decide("uvicorn: installed beside the requirements (not among them)");
                extra.push("uvicorn==0.32.1".into());
            } else {
                cmd_note = Some("uvicorn is not a dependency: add it".into());
            }
        }
        let mut command = vec![
            "uvicorn".into(),
            object.target(),
            "--host".into(),
            "0.0.0.0".into(),
            "--port".into(),
            "8000".into(),
        ];
        if object.src && !uses_project {
            command.extend(["--app-dir".into(), "src".into()]);
        }
        (command, Some(8000), None)
    } else if has("flask") {
        let (object, note) = ctx.application(&files, "Flask", Some("create_app"), "app");
        cmd_note = note;
        let command = if has("gunicorn") || kind == Kind::Pip {
            if !has("gunicorn") {
                ctx.decide("gunicorn: installed beside the requirements (not among them)");
                extra.push("gunicorn==23.0.0".into());
            }
            let mut c = words(&["gunicorn", "--bind", "0.0.0.0:5000"]);
            if object.src && !uses_project {
                c.extend(["--chdir".into(), "src".into()]);
            }
            c.push(object.target());
            c
        } else {
            cmd_note = Some(
                "gunicorn is not a dependency: Flask's development server; add gunicorn".into(),
            );
            vec![
                "flask".into(),
                "--app".into(),
                object.target(),
                "run".into(),
                "--host".into(),
                "0.0.0.0".into(),
                "--port".into(),
                "5000".into(),
            ]
        };
        (command, Some(5000), None)
    } else {
        ctx.decide("framework: none recognised");
        let scripts = pyproject.as_ref().and_then(|p| {
            p.get("project")
                .and_then(|p| p.get("scripts"))
                .or_else(|| p.get("tool")?.get("poetry")?.get("scripts"))
                .and_then(|s| s.as_table())
                .map(|t| t.keys().cloned().collect::<Vec<_>>())
        });
        let entries: Vec<String> = [
            "main.py",
            "app.py",
            "server.py",
            "run.py",
            "bot.py",
            "worker.py",
            "src/main.py",
            "app/main.py",
        ]
        .iter()
        .filter(|f| tree.file(f))
        .map(|f| f.to_string())
        .collect();
        let command = match scripts.filter(|s| !s.is_empty() && uses_project) {
            Some(scripts) => {
                let (i, note) = ctx.pick("console script", &scripts);
                cmd_note = note;
                ctx.decide(format!("command: the console script {}", scripts[i]));
                vec![scripts[i].clone()]
            }
            None if !entries.is_empty() => {
                let (i, note) = ctx.pick("entry point", &entries);
                cmd_note = note;
                ctx.decide(format!("command: python {}", entries[i]));
                vec!["python".into(), entries[i].clone()]
            }
            None => {
                ctx.decide("command: none found (python main.py guessed)");
                cmd_note = Some(
                    "no entry point found (main.py, app.py, a console script); name the command"
                        .into(),
                );
                words(&["python", "main.py"])
            }
        };
        let port = entries
            .first()
            .and_then(|e| tree.read(e))
            .and_then(|t| framework::port_in(&t));
        (command, port, Some((8000, "a guess for a Python service")))
    };
    let _ = port_default;
    finish_python(
        ctx,
        spec,
        kind,
        &version.value,
        &requirements_file,
        extra,
        build,
        run,
        command,
        cmd_note,
        port,
        uses_project,
        &all,
    )
}

#[allow(clippy::too_many_arguments)]
fn finish_python(
    ctx: &mut Ctx,
    mut spec: Spec,
    kind: Kind,
    version: &str,
    requirements_file: &str,
    extra: Vec<String>,
    build: Vec<String>,
    mut run: Vec<Item>,
    command: Vec<String>,
    cmd_note: Option<String>,
    port: Option<u16>,
    uses_project: bool,
    all: &[String],
) -> Spec {
    let tree = ctx.tree;
    let requirements_default = requirements_file == "requirements.txt";
    match kind {
        Kind::Pip => {
            let mut args = vec![format!("version: {}", quoted(version))];
            if !requirements_default && extra.is_empty() {
                args.push(format!("requirements: {}", quoted(requirements_file)));
            }
            spec.template = Some(format!("python.service({})", args.join(", ")));
            if !extra.is_empty() {
                let mut pip = Vec::new();
                if !requirements_default {
                    pip.push(format!("requirements: {}", quoted(requirements_file)));
                }
                pip.push(format!("packages: {}", list(&extra)));
                spec.set(Item::field(
                    "deps",
                    format!("[python.pip({})]", pip.join(", ")),
                ));
            }
        }
        Kind::Poetry => {
            spec.set(Item::field(
                "base",
                format!("python.slim(version: {})", quoted(version)),
            ));
            spec.set(Item::field("deps", "[python.poetry()]"));
            run.insert(0, Item::field("env", "{ PYTHONUNBUFFERED = \"1\" }"));
        }
        _ => {
            spec.set(Item::field(
                "base",
                format!("python.slim(version: {})", quoted(version)),
            ));
            let call = if uses_project {
                "python.uv()"
            } else {
                "python.uv(project: false)"
            };
            if !uses_project {
                ctx.decide("uv: the project is not built as a wheel (no [build-system])");
            }
            spec.set(Item::field("deps", format!("[{call}]")));
            run.insert(0, Item::field("env", "{ PYTHONUNBUFFERED = \"1\" }"));
        }
    }
    let names: Vec<&str> = all.iter().map(String::as_str).collect();
    let (build_packages, runtime) = native::packages(names, native::python, &mut ctx.decisions);
    packages_block(&mut spec, build_packages, runtime);
    // Two `env` items (Django's and the ecosystem's) become one.
    let mut env_parts = Vec::new();
    run.retain(|i| match i {
        Item::Field { key, value, .. } if key == "env" => {
            env_parts.push(value.trim_matches(['{', '}', ' ']).to_string());
            false
        }
        _ => true,
    });
    let mut srcs = sources(tree, "", &[], &|name: &str| name.ends_with(".py"));
    if kind == Kind::Uv && uses_project {
        if let Some(readme) = tree
            .read("pyproject.toml")
            .and_then(|t| t.parse::<toml::Table>().ok())
            .and_then(|p| {
                p.get("project")?
                    .get("readme")?
                    .as_str()
                    .map(str::to_string)
            })
            .filter(|r| tree.file(r))
        {
            srcs.push(readme);
        }
    }
    spec.set(Item::field("sources", list(&srcs)));
    if !build.is_empty() {
        spec.set(Item::field("build", list(&build)));
    }
    let mut run_items = Vec::new();
    if !env_parts.is_empty() {
        run_items.push(Item::field(
            "env",
            format!("{{ {} }}", env_parts.join(", ")),
        ));
    }
    run_items.extend(run);
    run_items.push(Item::field("cmd", cmd(&command)).noted(cmd_note));
    let (port, note) = ctx.port(port, 8000, "a guess for a Python web service");
    run_items.push(Item::field("expose", port.to_string()).noted(note));
    spec.run = run_items;
    spec
}

// ---------------------------------------------------------------- Node.js

const SERVERS: &[&str] = &[
    "express",
    "fastify",
    "koa",
    "@nestjs/core",
    "@hapi/hapi",
    "hono",
    "restify",
];
const STATIC_BUILDERS: &[&str] = &["vite", "react-scripts", "astro"];

fn dependency_names(package: Option<&Value>) -> Vec<String> {
    let mut out = Vec::new();
    for key in ["dependencies", "devDependencies"] {
        if let Some(Value::Object(map)) = package.and_then(|p| p.get(key)) {
            out.extend(map.keys().cloned());
        }
    }
    out
}

fn script<'a>(package: Option<&'a Value>, name: &str) -> Option<&'a str> {
    package?.get("scripts")?.get(name)?.as_str()
}

/// The workspace members' directories (`apps/api/`), found from the
/// declaration's patterns.
fn members(tree: &Tree, patterns: &[String], manifest: &str) -> Vec<String> {
    let mut out = Vec::new();
    for pattern in patterns {
        for file in tree.glob(&format!("{pattern}/{manifest}")) {
            let dir = file.strip_suffix(manifest).unwrap_or(&file).to_string();
            if !out.contains(&dir) {
                out.push(dir);
            }
        }
    }
    out
}

/// A directory's top-level part (`apps/api/` → `apps/`).
fn top(dir: &str) -> String {
    format!("{}/", dir.split('/').next().unwrap_or(dir))
}

fn node(ctx: &mut Ctx, kind: Kind) -> Spec {
    let tree = ctx.tree;
    let root_package = ctx.read_json("package.json");
    let version = detect::node_version(tree, root_package.as_ref());
    version_decision(ctx, "Node.js", &version);
    // The workspace, and the member that is the application.
    let (declaration, text) = if kind == Kind::Pnpm {
        ("pnpm-workspace.yaml", tree.read("pnpm-workspace.yaml"))
    } else {
        ("package.json", tree.read("package.json"))
    };
    let patterns = text
        .and_then(|t| crate::workspace::declared_members(declaration, &t))
        .unwrap_or_default();
    let workspace = !patterns.is_empty();
    let member_dirs = members(tree, &patterns, "package.json");
    let mut app_dir = String::new();
    let mut app_note = None;
    if workspace {
        ctx.decide(format!(
            "workspace: {} members ({declaration})",
            member_dirs.len()
        ));
        // Members that start (a `start` script); else those with a `main`.
        let read = |m: &String| {
            tree.read(&format!("{m}package.json"))
                .and_then(|t| serde_json::from_str::<Value>(&t).ok())
        };
        let mut candidates: Vec<String> = member_dirs
            .iter()
            .filter(|m| script(read(m).as_ref(), "start").is_some())
            .cloned()
            .collect();
        if candidates.is_empty() {
            candidates = member_dirs
                .iter()
                .filter(|m| read(m).is_some_and(|p| p.get("main").is_some()))
                .cloned()
                .collect();
        }
        let (i, note) = ctx.pick("application", &candidates);
        app_note = note;
        if let Some(dir) = candidates.get(i) {
            app_dir = dir.clone();
            if candidates.len() == 1 {
                ctx.decide(format!("application: {}", dir.trim_end_matches('/')));
            }
        }
    }
    let package = if app_dir.is_empty() {
        root_package.clone()
    } else {
        ctx.read_json(&format!("{app_dir}package.json"))
    };
    let deps = dependency_names(package.as_ref());
    let has = |n: &str| deps.iter().any(|d| d == n);
    let manager = match kind {
        Kind::Yarn | Kind::YarnBerry => "yarn",
        Kind::Pnpm => "pnpm",
        _ => "npm",
    };
    let run_script = |name: &str| match manager {
        "yarn" => format!("yarn {name}"),
        m => format!("{m} run {name}"),
    };
    let mut spec = Spec {
        uses: vec!["node"],
        image: package
            .as_ref()
            .and_then(|p| p.get("name")?.as_str())
            .map(|n| image_name(n.rsplit('/').next().unwrap_or(n), ""))
            .unwrap_or_default(),
        ..Spec::default()
    };
    // The ecosystem call, with the runtime flag decided below.
    let eco = |runtime: bool| -> String {
        let mut args = Vec::new();
        match kind {
            Kind::YarnBerry => {
                let release = tree
                    .read(".yarnrc.yml")
                    .is_some_and(|t| t.contains("yarnPath"))
                    && tree.dir(".yarn/releases");
                if !release {
                    args.push("release: false".to_string());
                }
            }
            Kind::Pnpm if workspace => args.push("workspace: true".into()),
            _ => {}
        }
        if !runtime {
            args.push("runtime: false".into());
        }
        let name = match kind {
            Kind::Yarn => "yarn",
            Kind::YarnBerry => "yarn_berry",
            Kind::Pnpm => "pnpm",
            _ => "npm",
        };
        let mut call = format!("node.{name}({})", args.join(", "));
        if workspace {
            let manifests: Vec<String> = patterns
                .iter()
                .map(|p| format!("{p}/package.json"))
                .collect();
            let mut block = vec![format!("manifests += {}", list(&manifests))];
            if kind == Kind::Pnpm && runtime {
                let outputs: Vec<String> = member_dirs
                    .iter()
                    .map(|m| format!("{m}node_modules"))
                    .collect();
                block.push(format!("output    += {}", list(&outputs)));
            }
            call = format!("{call} {{\n    {}\n  }}", block.join("\n    "));
        }
        format!("[{call}]")
    };
    let keep = |name: &str| {
        [".js", ".mjs", ".cjs", ".ts", ".mts", ".json", ".html"]
            .iter()
            .any(|e| name.ends_with(e))
            && !matches!(
                name,
                "package.json" | "package-lock.json" | "tsconfig.tsbuildinfo"
            )
    };
    let skip: &[&str] = &[".next", "public_build"];
    let mut srcs = if workspace {
        let mut tops: Vec<String> = member_dirs.iter().map(|m| top(m)).collect();
        tops.dedup();
        tops
    } else {
        sources(tree, "", skip, &keep)
    };
    let natives: Vec<String> = dependency_names(package.as_ref());
    let (build_packages, runtime_packages) = native::packages(
        natives.iter().map(String::as_str),
        native::node,
        &mut ctx.decisions,
    );
    let builder = STATIC_BUILDERS.iter().find(|b| has(b)).copied();
    if has("next") {
        let standalone = framework::next_standalone(tree, &app_dir);
        ctx.decide(format!(
            "framework: Next.js ({})",
            if standalone.is_some() {
                "standalone output"
            } else {
                "next start"
            }
        ));
        spec.set(Item::field(
            "base",
            format!("node.slim(version: {})", quoted(&version.value)),
        ));
        spec.set(Item::field("deps", eco(standalone.is_none())));
        packages_block(&mut spec, build_packages, runtime_packages);
        spec.set(Item::field("sources", list(&srcs)));
        spec.set(Item::field("build", list(&[run_script("build")])));
        let public = tree.dir(&format!("{app_dir}public"));
        if standalone.is_some() {
            let mut artifacts = vec![
                format!(
                    "{{ from = {}, to = \"/app/\" }}",
                    quoted(&format!("{app_dir}.next/standalone/"))
                ),
                format!(
                    "{{ from = {}, to = \"/app/.next/static/\" }}",
                    quoted(&format!("{app_dir}.next/static/"))
                ),
            ];
            if public {
                artifacts.push(format!(
                    "{{ from = {}, to = \"/app/public/\" }}",
                    quoted(&format!("{app_dir}public/"))
                ));
            }
            spec.set(Item::field(
                "artifacts",
                format!("[\n    {},\n  ]", artifacts.join(",\n    ")),
            ));
            spec.run = vec![
                Item::field(
                    "env",
                    "{ NODE_ENV = \"production\", PORT = \"3000\", HOSTNAME = \"0.0.0.0\" }",
                ),
                Item::field("cmd", cmd(&words(&["node", "server.js"]))),
                Item::field("expose", "3000"),
            ];
        } else {
            let mut artifacts = vec![format!("{app_dir}.next/"), format!("{app_dir}package.json")];
            if public {
                artifacts.push(format!("{app_dir}public/"));
            }
            for config in ["next.config.js", "next.config.mjs", "next.config.ts"] {
                if tree.file(&format!("{app_dir}{config}")) {
                    artifacts.push(format!("{app_dir}{config}"));
                }
            }
            spec.set(Item::field("artifacts", list(&artifacts)));
            spec.run = vec![
                Item::field("env", "{ NODE_ENV = \"production\", PORT = \"3000\", HOSTNAME = \"0.0.0.0\" }"),
                Item::field("cmd", cmd(&words(&["node_modules/.bin/next", "start"])))
                    .noted(Some("`output: \"standalone\"` in next.config would let the runner drop node_modules".into())),
                Item::field("expose", "3000"),
            ];
        }
        return spec;
    }
    if let Some(builder) = builder
        .filter(|_| !SERVERS.iter().any(|s| has(s)) && script(package.as_ref(), "build").is_some())
    {
        let output = framework::static_output(tree, &app_dir, builder);
        ctx.decide(format!(
            "framework: {builder} (static output {output} behind nginx)"
        ));
        if kind == Kind::Npm && !workspace {
            spec.uses = vec!["web"];
            spec.template = Some(format!(
                "web.static_site(node_version: {}, output: {})",
                quoted(&version.value),
                quoted(&output)
            ));
            packages_block(&mut spec, build_packages, Vec::new());
            spec.set(Item::field("sources", list(&srcs)));
        } else {
            spec.uses = vec!["node", "web"];
            spec.set(Item::field(
                "base",
                format!("node.slim(version: {})", quoted(&version.value)),
            ));
            spec.set(Item::field("deps", eco(false)));
            packages_block(&mut spec, build_packages, Vec::new());
            spec.set(Item::field("sources", list(&srcs)));
            spec.set(Item::field("cross_compile", "true"));
            spec.set(Item::field("build", list(&[run_script("build")])));
            spec.set(Item::field(
                "artifacts",
                format!(
                    "[{{ from = {}, to = \"/usr/share/nginx/html/\", native = false }}]",
                    quoted(&format!("{app_dir}{output}"))
                ),
            ));
            spec.run = vec![
                Item::field("base", "web.nginx()"),
                Item::field("expose", "8080"),
            ];
        }
        return spec;
    }
    // A server.
    let server = SERVERS.iter().find(|s| has(s)).copied();
    ctx.decide(format!(
        "framework: {}",
        server.unwrap_or("none recognised (a Node.js server)")
    ));
    let start = script(package.as_ref(), "start");
    let mut entry = start.and_then(framework::start_entry);
    if entry.is_none() && has("@nestjs/core") {
        entry = Some("dist/main.js".into());
    }
    let entry = entry
        .or_else(|| {
            package
                .as_ref()
                .and_then(|p| p.get("main")?.as_str())
                .map(|m| m.trim_start_matches("./").to_string())
        })
        .filter(|e| string(e).is_some() && !e.contains(".."));
    let guesses = [
        "server.js",
        "index.js",
        "app.js",
        "main.js",
        "src/server.js",
        "src/index.js",
        "src/app.js",
        "src/main.js",
    ];
    let (entry, mut cmd_note) = match entry {
        Some(e) => (e, None),
        None => match guesses.iter().find(|g| tree.file(&format!("{app_dir}{g}"))) {
            Some(g) => (g.to_string(), None),
            None => (
                "index.js".to_string(),
                Some(
                    "no entry point found (a `start` script, `main`, index.js); name it"
                        .to_string(),
                ),
            ),
        },
    };
    if cmd_note.is_none() {
        cmd_note = app_note;
    }
    ctx.decide(format!("command: node {app_dir}{entry}"));
    let built = ["dist/", "build/", "out/", "lib/"]
        .iter()
        .find(|d| entry.starts_with(*d))
        .copied();
    let build_script = script(package.as_ref(), "build").is_some();
    let source_file = match built {
        Some(d) => entry.replacen(d, "src/", 1).replace(".js", ".ts"),
        None => entry.clone(),
    };
    let port_found = tree
        .read(&format!("{app_dir}{source_file}"))
        .or_else(|| tree.read(&format!("{app_dir}{entry}")))
        .and_then(|t| framework::port_in(&t));
    let template = kind == Kind::Npm && !workspace && built.is_none();
    if template {
        spec.template = Some(format!("node.service(version: {})", quoted(&version.value)));
        packages_block(&mut spec, build_packages, runtime_packages);
        if start.is_some() || tree.file("package.json") {
            srcs.push("package.json".into());
        }
        spec.set(Item::field("sources", list(&srcs)));
    } else {
        spec.set(Item::field(
            "base",
            format!("node.slim(version: {})", quoted(&version.value)),
        ));
        spec.set(Item::field("deps", eco(true)));
        packages_block(&mut spec, build_packages, runtime_packages);
        spec.set(Item::field("sources", list(&srcs)));
        if let Some(dir) = built.filter(|_| build_script) {
            ctx.decide(format!(
                "build: {} into {app_dir}{dir}",
                run_script("build")
            ));
            spec.set(Item::field("build", list(&[run_script("build")])));
            spec.set(Item::field(
                "artifacts",
                list(&[format!("{app_dir}{dir}"), format!("{app_dir}package.json")]),
            ));
        }
        spec.run
            .push(Item::field("env", "{ NODE_ENV = \"production\" }"));
    }
    spec.run.push(
        Item::field(
            "cmd",
            cmd(&["node".to_string(), format!("{app_dir}{entry}")]),
        )
        .noted(cmd_note),
    );
    let (port, note) = ctx.port(port_found, 3000, "the usual Node.js port");
    spec.run
        .push(Item::field("expose", port.to_string()).noted(note));
    spec
}

// ---------------------------------------------------------------- Go

fn go(ctx: &mut Ctx) -> Spec {
    let tree = ctx.tree;
    // A go.work without a root module: the first module it uses.
    let mut dir = String::new();
    if !tree.file("go.mod") {
        let used: Vec<String> = tree
            .read("go.work")
            .unwrap_or_default()
            .lines()
            .map(|l| {
                l.trim()
                    .trim_start_matches("use")
                    .trim()
                    .trim_matches(['(', ')'])
                    .trim()
                    .trim_start_matches("./")
                    .to_string()
            })
            .filter(|l| {
                !l.is_empty()
                    && !l.starts_with("//")
                    && !l.starts_with("go ")
                    && !l.contains("..")
                    && tree.file(&format!("{l}/go.mod"))
            })
            .collect();
        let (i, _) = ctx.pick("module of go.work", &used);
        if let Some(module) = used.get(i) {
            dir = format!("{module}/");
            ctx.decide(format!("go.work: the module {module}"));
        }
    } else if tree.file("go.work") {
        ctx.decide("go.work: the root module is built on its own");
    }
    let go_mod = tree.read(&format!("{dir}go.mod")).unwrap_or_default();
    let version = detect::go_version(&go_mod);
    version_decision(ctx, "Go", &version);
    let module = go_mod
        .lines()
        .find_map(|l| l.trim().strip_prefix("module "))
        .map(|m| m.trim().trim_matches('"').to_string())
        .unwrap_or_default();
    let root_main = tree
        .files(dir.trim_end_matches('/'))
        .iter()
        .filter(|f| f.ends_with(".go") && !f.ends_with("_test.go"))
        .any(|f| {
            tree.read(&format!("{dir}{f}"))
                .is_some_and(|t| t.contains("package main"))
        });
    let mut candidates: Vec<String> = Vec::new();
    if root_main {
        candidates.push(".".into());
    }
    for command in tree.dirs(&format!("{dir}cmd")) {
        if tree
            .files(&format!("{dir}cmd/{command}"))
            .iter()
            .any(|f| f.ends_with(".go"))
        {
            candidates.push(format!("./cmd/{command}"));
        }
    }
    let (i, mut note) = ctx.pick("main package", &candidates);
    let package = candidates.get(i).cloned().unwrap_or_else(|| {
        note = Some("no main package found (main.go, cmd/NAME/); name it".into());
        ".".into()
    });
    let name = if package == "." {
        module.rsplit('/').next().unwrap_or("app").to_string()
    } else {
        package.rsplit('/').next().unwrap_or("app").to_string()
    };
    let name = image_name(&name, "app");
    ctx.decide(format!(
        "main package: {package}, binary /usr/local/bin/{name}"
    ));
    let mut spec = Spec {
        uses: vec!["go"],
        image: name.clone(),
        template: Some(format!(
            "go.service(version: {}, package: {}, binary: {})",
            quoted(&version.value),
            quoted(&package),
            quoted(&format!("/usr/local/bin/{name}"))
        )),
        ..Spec::default()
    };
    let vendor = tree.file(&format!("{dir}vendor/modules.txt"));
    let no_sum = !tree.file(&format!("{dir}go.sum"));
    let mut args = Vec::new();
    if !dir.is_empty() {
        args.push(format!("dir: {}", quoted(dir.trim_end_matches('/'))));
    }
    if vendor {
        ctx.decide("vendor/: built from the vendored modules");
        args.push("vendor: true".into());
    }
    if no_sum && !vendor {
        ctx.decide("go.sum is missing: go.mod alone (a module without dependencies)");
        spec.set(Item::field(
            "deps",
            format!(
                "[go.modules({}) {{ manifests = [{}] }}]",
                args.join(", "),
                quoted("go.mod")
            ),
        ));
    } else if !args.is_empty() {
        spec.set(Item::field(
            "deps",
            format!("[go.modules({})]", args.join(", ")),
        ));
    }
    if !dir.is_empty() {
        spec.set(Item::field(
            "build",
            list(&[format!(
                "go build -C {} -trimpath -ldflags=-s -o /usr/local/bin/{name} {package}",
                dir.trim_end_matches('/')
            )]),
        ));
    }
    let srcs = sources(tree, &dir, &["vendor", "cmd_test"], &|n: &str| {
        n.ends_with(".go") && !n.ends_with("_test.go")
    });
    let srcs: Vec<String> = srcs
        .into_iter()
        .chain(tree.dir(&format!("{dir}cmd")).then(|| format!("{dir}cmd/")))
        .collect::<Vec<_>>();
    let mut unique = Vec::new();
    for s in srcs {
        if !unique.contains(&s) {
            unique.push(s);
        }
    }
    spec.set(Item::field("sources", list(&unique)));
    spec.set(Item::field("cross_compile", "true"));
    let main_file = if package == "." {
        format!("{dir}main.go")
    } else {
        format!("{dir}{}/main.go", package.trim_start_matches("./"))
    };
    let port = tree.read(&main_file).and_then(|t| framework::port_in(&t));
    let (port, port_note) = ctx.port(port, 8080, "the usual Go service port");
    if note.is_some() {
        spec.run.push(Item::Note(note.unwrap_or_default()));
    }
    spec.run
        .push(Item::field("expose", port.to_string()).noted(port_note));
    spec
}

// ---------------------------------------------------------------- Rust

fn cargo_binary(manifest: Option<&toml::Table>) -> Option<String> {
    let m = manifest?;
    if let Some(bin) = m
        .get("bin")
        .and_then(|b| b.as_array())
        .and_then(|b| b.first())
    {
        return bin.get("name")?.as_str().map(str::to_string);
    }
    m.get("package")?.get("name")?.as_str().map(str::to_string)
}

fn cargo(ctx: &mut Ctx) -> Spec {
    let tree = ctx.tree;
    let manifest = ctx.read_toml("Cargo.toml");
    let version = detect::rust_version(tree, manifest.as_ref());
    version_decision(ctx, "Rust", &version);
    let patterns = tree
        .read("Cargo.toml")
        .and_then(|t| crate::workspace::declared_members("Cargo.toml", &t))
        .unwrap_or_default();
    let workspace = manifest
        .as_ref()
        .is_some_and(|m| m.contains_key("workspace"));
    let bin;
    let mut bin_dir = String::new();
    let mut note = None;
    if workspace {
        let member_dirs = members(tree, &patterns, "Cargo.toml");
        ctx.decide(format!("workspace: {} members", member_dirs.len()));
        let mut candidates = Vec::new();
        let mut names = Vec::new();
        for m in &member_dirs {
            let parsed = tree
                .read(&format!("{m}Cargo.toml"))
                .and_then(|t| t.parse::<toml::Table>().ok());
            let is_bin = tree.file(&format!("{m}src/main.rs"))
                || parsed.as_ref().is_some_and(|p| p.contains_key("bin"));
            if let Some(name) = cargo_binary(parsed.as_ref()).filter(|_| is_bin) {
                candidates.push(m.clone());
                names.push(name);
            }
        }
        if manifest.as_ref().is_some_and(|m| m.contains_key("package")) && tree.file("src/main.rs")
        {
            candidates.insert(0, String::new());
            names.insert(0, cargo_binary(manifest.as_ref()).unwrap_or_default());
        }
        let (i, n) = ctx.pick("binary crate", &names);
        note = n;
        bin = names.get(i).cloned();
        bin_dir = candidates.get(i).cloned().unwrap_or_default();
    } else {
        bin = cargo_binary(manifest.as_ref());
    }
    let bin = bin.filter(|b| {
        string(b).is_some()
            && !b.is_empty()
            && b.chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
    });
    let (bin, bin_note) = match bin {
        Some(b) => (b, note),
        None => (
            image_name(&ctx.dir_name, "app"),
            Some("no binary crate found in Cargo.toml; the directory's name guessed".to_string()),
        ),
    };
    ctx.decide(format!("binary: {bin}"));
    let mut spec = Spec {
        uses: vec!["rust"],
        image: image_name(&bin, "app"),
        template: Some(format!(
            "rust.service(version: {}, bin: {})",
            quoted(&version.value),
            quoted(&bin)
        )),
        ..Spec::default()
    };
    if let Some(n) = bin_note {
        spec.items.push(Item::Note(n));
    }
    if workspace {
        let manifests: Vec<String> = patterns.iter().map(|p| format!("{p}/Cargo.toml")).collect();
        spec.set(Item::field(
            "deps",
            format!(
                "[rust.cargo(bin: {}, workspace: true) {{ manifests += {} }}]",
                quoted(&bin),
                list(&manifests)
            ),
        ));
    }
    let mut srcs = sources(
        tree,
        "",
        &["benches", "examples", "tests", "target"],
        &|n: &str| n == "build.rs",
    );
    if workspace {
        srcs.retain(|s| s != "src/" || tree.file("src/main.rs") || tree.file("src/lib.rs"));
    }
    spec.set(Item::field("sources", list(&srcs)));
    let main = tree.read(&format!("{bin_dir}src/main.rs"));
    let port = main.and_then(|t| framework::port_in(&t));
    let (port, port_note) = ctx.port(port, 8080, "the usual Rust service port");
    spec.run
        .push(Item::field("expose", port.to_string()).noted(port_note));
    spec
}

// ---------------------------------------------------------------- Java

/// A pom.xml's own coordinates and settings, outside comments and the
/// sections whose elements share names with them.
struct Pom {
    artifact: Option<String>,
    version: Option<String>,
    packaging: String,
    final_name: Option<String>,
    java: Option<String>,
    boot: bool,
    properties: String,
}

fn pom(text: &str) -> Pom {
    let text = detect::strip(text, "<!--", "-->");
    let boot =
        text.contains("spring-boot-maven-plugin") || text.contains("spring-boot-starter-parent");
    let final_name = detect::tag(&text, "finalName");
    let properties = detect::tag_block(&text, "properties").unwrap_or_default();
    let mut own = text.clone();
    for section in [
        "parent",
        "dependencies",
        "dependencyManagement",
        "build",
        "profiles",
        "modules",
        "properties",
        "reporting",
        "pluginRepositories",
        "repositories",
    ] {
        own = detect::strip(&own, &format!("<{section}>"), &format!("</{section}>"));
    }
    let java = [
        "java.version",
        "maven.compiler.release",
        "maven.compiler.target",
        "maven.compiler.source",
    ]
    .iter()
    .find_map(|p| detect::tag(&properties, p))
    .map(|v| v.trim_start_matches("1.").to_string())
    .filter(|v| v.chars().all(|c| c.is_ascii_digit()) && !v.is_empty());
    Pom {
        artifact: detect::tag(&own, "artifactId"),
        version: detect::tag(&own, "version"),
        packaging: detect::tag(&own, "packaging").unwrap_or_else(|| "jar".into()),
        final_name,
        java,
        boot,
        properties,
    }
}

/// `${name}` references resolved from the pom's properties and
/// coordinates; `None` when one is left.
fn resolve(text: &str, pom: &Pom) -> Option<String> {
    let mut out = text.to_string();
    for _ in 0..8 {
        let Some(start) = out.find("${") else {
            break;
        };
        let end = start + out[start..].find('}')?;
        let name = &out[start + 2..end];
        let value = match name {
            "project.artifactId" | "artifactId" => pom.artifact.clone(),
            "project.version" | "version" => pom.version.clone(),
            other => detect::tag(&pom.properties, other),
        }?;
        out.replace_range(start..=end, &value);
    }
    (!out.contains("${")).then_some(out)
}

fn maven(ctx: &mut Ctx) -> Spec {
    let tree = ctx.tree;
    let root_text = tree.read("pom.xml").unwrap_or_default();
    let root = pom(&root_text);
    let modules: Vec<String> = crate::workspace::declared_members("pom.xml", &root_text)
        .unwrap_or_default()
        .into_iter()
        .filter(|m| tree.file(&format!("{m}/pom.xml")))
        .collect();
    let mut module = String::new();
    let mut app = root;
    let mut note = None;
    if !modules.is_empty() {
        ctx.decide(format!("reactor: {} modules", modules.len()));
        let poms: Vec<(String, Pom)> = modules
            .iter()
            .map(|m| {
                (
                    m.clone(),
                    pom(&tree.read(&format!("{m}/pom.xml")).unwrap_or_default()),
                )
            })
            .collect();
        let candidates: Vec<String> = poms
            .iter()
            .filter(|(_, p)| p.boot && p.packaging != "pom")
            .map(|(m, _)| m.clone())
            .collect();
        let candidates = if candidates.is_empty() {
            poms.iter()
                .filter(|(_, p)| p.packaging != "pom")
                .map(|(m, _)| m.clone())
                .rev()
                .take(1)
                .collect()
        } else {
            candidates
        };
        let (i, n) = ctx.pick("application module", &candidates);
        note = n;
        if let Some(chosen) = candidates.get(i) {
            module = format!("{chosen}/");
            if let Some((_, p)) = poms.into_iter().find(|(m, _)| m == chosen) {
                let java = p.java.clone().or(app.java.clone());
                let version = p.version.clone().or(app.version.clone());
                let boot = p.boot || app.boot;
                let mut properties = app.properties.clone();
                properties.push_str(&p.properties);
                app = Pom {
                    java,
                    version,
                    boot,
                    properties,
                    ..p
                };
            }
        }
    }
    let jdk = app.java.clone().unwrap_or_else(|| "21".into());
    ctx.decide(format!(
        "JDK {jdk} ({})",
        if app.java.is_some() {
            "from pom.xml"
        } else {
            "the default"
        }
    ));
    let war = app.packaging == "war";
    let extension = if war { "war" } else { "jar" };
    let name = match &app.final_name {
        Some(f) => resolve(f, &app),
        None => app
            .artifact
            .as_ref()
            .map(|a| match &app.version {
                Some(v) => format!("{a}-{v}"),
                None => a.clone(),
            })
            .and_then(|n| resolve(&n, &app)),
    };
    let (file, jar_note) = match name.filter(|n| string(n).is_some() && !n.contains('/')) {
        Some(n) => (format!("{module}target/{n}.{extension}"), note),
        None => (
            format!("{module}target/app.{extension}"),
            Some(
                "the jar's name could not be read from pom.xml; name the file `mvn package` writes"
                    .to_string(),
            ),
        ),
    };
    ctx.decide(format!("{}: {file}", if war { "war" } else { "jar" }));
    let wrapper = tree.file("mvnw") && tree.dir(".mvn");
    let mut spec = Spec {
        uses: vec!["java"],
        image: image_name(app.artifact.as_deref().unwrap_or_default(), ""),
        ..Spec::default()
    };
    let call = if war {
        ctx.decide("framework: a WAR in Tomcat");
        format!(
            "java.tomcat_war(jdk: {}, war: {})",
            quoted(&jdk),
            quoted(&file)
        )
    } else if app.boot {
        ctx.decide("framework: Spring Boot");
        format!(
            "java.maven_distroless(jdk: {}, jar: {})",
            quoted(&jdk),
            quoted(&file)
        )
    } else {
        ctx.decide("framework: none recognised (a runnable jar)");
        format!(
            "java.maven_service(jdk: {}, jar: {})",
            quoted(&jdk),
            quoted(&file)
        )
    };
    spec.template = Some(call);
    if let Some(n) = jar_note {
        spec.items.push(Item::Note(n));
    }
    if wrapper || !modules.is_empty() {
        if wrapper {
            ctx.decide("Maven wrapper: mvnw and .mvn/");
        }
        let mut deps = format!("java.maven({})", if wrapper { "wrapper: true" } else { "" });
        if !modules.is_empty() {
            let poms: Vec<String> = modules.iter().map(|m| format!("{m}/pom.xml")).collect();
            deps = format!("{deps} {{ manifests += {} }}", list(&poms));
        }
        spec.set(Item::field("deps", format!("[{deps}]")));
    }
    let srcs: Vec<String> = if modules.is_empty() {
        vec!["src/".into()]
    } else {
        modules
            .iter()
            .filter(|m| tree.dir(&format!("{m}/src")))
            .map(|m| format!("{m}/src/"))
            .collect()
    };
    if !modules.is_empty() || !tree.dir("src") {
        spec.set(Item::field("sources", list(&srcs)));
    }
    if !war {
        let port = framework::spring_port(tree, &format!("{module}src/main/resources/"));
        let (port, port_note) = if app.boot {
            (port.unwrap_or(8080), None)
        } else {
            ctx.port(port, 8080, "a guess for a Java service")
        };
        if !app.boot || port != 8080 {
            ctx.decide(format!("port: {port}"));
        }
        spec.run
            .push(Item::field("expose", port.to_string()).noted(port_note));
        if !app.boot {
            spec.run.push(Item::Note(
                "`java -jar` needs a Main-Class in the jar's manifest".into(),
            ));
        }
    }
    spec
}

fn gradle(ctx: &mut Ctx) -> Spec {
    let tree = ctx.tree;
    let kotlin = tree.file("build.gradle.kts");
    let ext = if kotlin { ".kts" } else { "" };
    let settings = tree
        .read(&format!("settings.gradle{ext}"))
        .unwrap_or_default();
    let root_build = tree.read(&format!("build.gradle{ext}")).unwrap_or_default();
    let root_name = framework::quoted_after(&settings, "rootProject.name")
        .filter(|n| string(n).is_some() && !n.contains('/'))
        .unwrap_or_else(|| ctx.dir_name.clone());
    // Sub-projects: `include("app")`, `include 'app', 'lib'`.
    let mut subprojects = Vec::new();
    for line in settings
        .lines()
        .map(str::trim)
        .filter(|l| l.starts_with("include"))
    {
        for part in line.split(['\'', '"']).skip(1).step_by(2) {
            let dir = part.trim_start_matches(':').replace(':', "/");
            if !dir.is_empty() && !dir.contains("..") && tree.dir(&dir) {
                subprojects.push(dir);
            }
        }
    }
    let boot = |text: &str| text.contains("org.springframework.boot");
    let shadow = |text: &str| text.contains("shadow");
    let mut project = String::new();
    let mut build = root_build.clone();
    let mut note = None;
    if !boot(&root_build) && !subprojects.is_empty() {
        let candidates: Vec<String> = subprojects
            .iter()
            .filter(|s| {
                tree.read(&format!("{s}/build.gradle{ext}"))
                    .is_some_and(|t| boot(&t) || shadow(&t) || t.contains("application"))
            })
            .cloned()
            .collect();
        let (i, n) = ctx.pick("application project", &candidates);
        note = n;
        if let Some(p) = candidates.get(i) {
            project = p.clone();
            build = tree
                .read(&format!("{p}/build.gradle{ext}"))
                .unwrap_or_default();
        }
    }
    let name = if project.is_empty() {
        root_name.clone()
    } else {
        project.rsplit('/').next().unwrap_or(&project).to_string()
    };
    let version = framework::quoted_after(&build, "\nversion")
        .or_else(|| framework::quoted_after(&root_build, "\nversion"))
        .filter(|v| string(v).is_some() && !v.contains('/') && v != "unspecified");
    let jdk = [
        "JavaLanguageVersion.of(",
        "jvmToolchain(",
        "VERSION_",
        "sourceCompatibility = '",
        "sourceCompatibility = \"",
    ]
    .iter()
    .find_map(|m| {
        let text = format!("{build}\n{root_build}");
        let at = text.find(m)? + m.len();
        let digits: String = text[at..]
            .chars()
            .take_while(char::is_ascii_digit)
            .collect();
        (!digits.is_empty()).then_some(digits)
    });
    let jdk = jdk.map(|j| if j == "1" { "8".to_string() } else { j });
    ctx.decide(format!(
        "JDK {} ({})",
        jdk.as_deref().unwrap_or("21"),
        if jdk.is_some() {
            "from the build script"
        } else {
            "the default"
        }
    ));
    let jdk = jdk.unwrap_or_else(|| "21".into());
    let (task, suffix) = if boot(&build) {
        ctx.decide("framework: Spring Boot (bootJar)");
        ("bootJar", "")
    } else if shadow(&build) {
        ctx.decide("framework: none recognised (shadowJar)");
        ("shadowJar", "-all")
    } else {
        ctx.decide("framework: none recognised (jar)");
        ("jar", "")
    };
    let prefix = if project.is_empty() {
        String::new()
    } else {
        format!("{project}/")
    };
    let file = match &version {
        Some(v) => format!("{prefix}build/libs/{name}-{v}{suffix}.jar"),
        None => format!("{prefix}build/libs/{name}{suffix}.jar"),
    };
    let task = if project.is_empty() {
        task.to_string()
    } else {
        format!(":{}:{task}", project.replace('/', ":"))
    };
    ctx.decide(format!("jar: {file}"));
    let mut args = vec![format!("jdk: {}", quoted(&jdk))];
    if kotlin {
        args.push("dsl: \"kotlin\"".into());
    }
    args.push(format!("task: {}", quoted(&task)));
    args.push(format!("jar: {}", quoted(&file)));
    let mut spec = Spec {
        uses: vec!["java"],
        image: image_name(&name, ""),
        template: Some(format!("java.gradle_service({})", args.join(", "))),
        ..Spec::default()
    };
    if !tree.file("gradlew") {
        spec.items.push(Item::Note(
            "no Gradle wrapper (gradlew, gradle/): add it with `gradle wrapper`".into(),
        ));
    }
    if !subprojects.is_empty() {
        let manifests: Vec<String> = subprojects
            .iter()
            .filter(|s| tree.file(&format!("{s}/build.gradle{ext}")))
            .map(|s| format!("{s}/build.gradle{ext}"))
            .collect();
        let dsl = if kotlin { "dsl: \"kotlin\"" } else { "" };
        spec.set(Item::field(
            "deps",
            format!(
                "[java.gradle({dsl}) {{ manifests += {} }}]",
                list(&manifests)
            ),
        ));
        let srcs: Vec<String> = subprojects
            .iter()
            .filter(|s| tree.dir(&format!("{s}/src")))
            .map(|s| format!("{s}/src/"))
            .collect();
        spec.set(Item::field("sources", list(&srcs)).noted(note));
    }
    let port = framework::spring_port(tree, &format!("{prefix}src/main/resources/"));
    let (port, port_note) = if boot(&build) {
        (port.unwrap_or(8080), None)
    } else {
        ctx.port(port, 8080, "a guess for a Java service")
    };
    spec.run
        .push(Item::field("expose", port.to_string()).noted(port_note));
    spec
}

// ---------------------------------------------------------------- Ruby

/// The gems Gemfile.lock's `specs:` name (`    pg (1.5.6)`), and whether
/// `name` is there for a Linux platform (a precompiled gem).
fn gems(lock: &str) -> Vec<String> {
    let mut out = Vec::new();
    for line in lock.lines() {
        // Four spaces: a gem of a source; six: its dependency.
        if line.starts_with("    ") && !line.starts_with("     ") {
            let name = line.trim().split(' ').next().unwrap_or_default();
            if !name.is_empty() && !out.iter().any(|g| g == name) {
                out.push(name.to_string());
            }
        }
    }
    out
}

fn ruby(ctx: &mut Ctx) -> Spec {
    let tree = ctx.tree;
    let version = detect::ruby_version(tree);
    version_decision(ctx, "Ruby", &version);
    let lock = tree.read("Gemfile.lock").unwrap_or_default();
    let gemfile = tree.read("Gemfile").unwrap_or_default();
    let mut names = gems(&lock);
    if names.is_empty() {
        // No lock: the Gemfile's own `gem "name"` lines.
        names = gemfile
            .lines()
            .filter_map(|l| {
                framework::quoted_after(
                    l.trim()
                        .strip_prefix("gem ")
                        .map(|r| format!("x{r}"))
                        .as_deref()?,
                    "x",
                )
            })
            .collect();
    }
    let has = |n: &str| names.iter().any(|g| g == n);
    let precompiled = |gem: &str| {
        lock.contains(&format!("    {gem} ("))
            && lock
                .lines()
                .any(|l| l.trim_start().starts_with(&format!("{gem} (")) && l.contains("-linux"))
    };
    let natives: Vec<&str> = names
        .iter()
        .map(String::as_str)
        .filter(|g| *g != "nokogiri" || !precompiled("nokogiri"))
        .collect();
    let (build, runtime) = native::packages(natives, native::ruby, &mut ctx.decisions);
    let mut spec = Spec {
        uses: vec!["ruby"],
        ..Spec::default()
    };
    let rails = has("rails") || has("railties");
    let keep = |n: &str| n.ends_with(".rb") || matches!(n, "config.ru" | "Rakefile");
    let srcs = sources(tree, "", &["node_modules"], &keep);
    let mut srcs_with_bin = srcs.clone();
    if tree.dir("bin") && !srcs_with_bin.iter().any(|s| s == "bin/") {
        srcs_with_bin.push("bin/".into());
    }
    if rails && tree.file("config/application.rb") {
        let assets = tree.dir("app/assets") || has("propshaft") || has("sprockets-rails");
        ctx.decide(format!(
            "framework: Rails ({})",
            if assets {
                "assets precompiled"
            } else {
                "API only, no assets"
            }
        ));
        let mut args = vec![format!("version: {}", quoted(&version.value))];
        if !assets {
            args.push("assets: false".into());
        }
        spec.template = Some(format!("ruby.rails_service({})", args.join(", ")));
        packages_block(&mut spec, build, runtime);
        spec.set(Item::field("sources", list(&srcs_with_bin)));
        spec.image = image_name(&ctx.dir_name, "web");
        return spec;
    }
    spec.template = Some(format!("ruby.service(version: {})", quoted(&version.value)));
    packages_block(&mut spec, build, runtime);
    spec.set(Item::field("sources", list(&srcs)));
    let (command, note, port) = if tree.file("config.ru") {
        if has("puma") {
            ctx.decide("framework: Rack (config.ru) with Puma");
            (
                words(&["bundle", "exec", "puma", "-b", "tcp://0.0.0.0:9292"]),
                None,
                9292,
            )
        } else {
            ctx.decide("framework: Rack (config.ru) with rackup");
            (
                words(&["bundle", "exec", "rackup", "-o", "0.0.0.0", "-p", "9292"]),
                None,
                9292,
            )
        }
    } else {
        let entries: Vec<String> = ["app.rb", "main.rb", "server.rb"]
            .iter()
            .filter(|f| tree.file(f))
            .map(|f| f.to_string())
            .collect();
        let (i, note) = ctx.pick("entry point", &entries);
        match entries.get(i) {
            Some(e) => {
                ctx.decide(format!("command: ruby {e}"));
                let port = tree
                    .read(e)
                    .and_then(|t| framework::port_in(&t))
                    .unwrap_or(4567);
                (
                    vec!["bundle".into(), "exec".into(), "ruby".into(), e.clone()],
                    note,
                    port,
                )
            }
            None => {
                ctx.decide("command: none found (ruby app.rb guessed)");
                (
                    words(&["bundle", "exec", "ruby", "app.rb"]),
                    Some("no config.ru or entry script found; name the command".into()),
                    4567,
                )
            }
        }
    };
    spec.run.push(Item::field("cmd", cmd(&command)).noted(note));
    spec.run.push(Item::field("expose", port.to_string()));
    spec.image = image_name(&ctx.dir_name, "app");
    spec
}

// ---------------------------------------------------------------- PHP

/// The extensions the official PHP images compile in, as the standard
/// library's PHP bases declare them.
fn php_builtin() -> Vec<String> {
    let text = crate::stdlib::module("php").unwrap_or_default();
    let Some(line) = text
        .lines()
        .find(|l| l.trim_start().starts_with("extensions = ["))
    else {
        return Vec::new();
    };
    line.split('"')
        .skip(1)
        .step_by(2)
        .map(str::to_string)
        .collect()
}

fn php(ctx: &mut Ctx) -> Spec {
    let tree = ctx.tree;
    let composer = ctx.read_json("composer.json");
    let lock = ctx.read_json("composer.lock");
    let version = detect::php_version(composer.as_ref());
    version_decision(ctx, "PHP", &version);
    let required = crate::platform::required_by(composer.as_ref(), lock.as_ref());
    let builtin = php_builtin();
    let missing: Vec<String> = required
        .into_iter()
        .filter(|e| !builtin.contains(e))
        .collect();
    let (pecl, core): (Vec<String>, Vec<String>) = missing
        .into_iter()
        .partition(|e| native::PECL.contains(&e.as_str()));
    if !core.is_empty() || !pecl.is_empty() {
        ctx.decide(format!(
            "extensions the runner lacks: {}",
            core.iter()
                .chain(&pecl)
                .cloned()
                .collect::<Vec<_>>()
                .join(", ")
        ));
    }
    let (_, runtime) = native::packages(
        core.iter().map(String::as_str),
        native::php,
        &mut ctx.decisions,
    );
    let requires = |name: &str| {
        composer
            .as_ref()
            .and_then(|c| c.get("require")?.get(name))
            .is_some()
    };
    let laravel = requires("laravel/framework") || tree.file("artisan");
    let symfony = requires("symfony/framework-bundle");
    let public = tree.dir("public");
    let mut spec = Spec {
        uses: vec!["php"],
        image: composer
            .as_ref()
            .and_then(|c| c.get("name")?.as_str())
            .map(|n| image_name(n.rsplit('/').next().unwrap_or(n), ""))
            .unwrap_or_default(),
        ..Spec::default()
    };
    let mut args = vec![format!("version: {}", quoted(&version.value))];
    if !core.is_empty() {
        args.push(format!("extensions: {}", list(&core)));
    }
    let keep = |n: &str| n.ends_with(".php") || n == "artisan";
    let srcs = sources(tree, "", &["node_modules"], &keep);
    let note = if public {
        ctx.decide(format!(
            "framework: {} under Apache (document root public/)",
            if laravel {
                "Laravel"
            } else if symfony {
                "Symfony"
            } else {
                "PHP"
            }
        ));
        None
    } else {
        ctx.decide("framework: none recognised; no public/ directory");
        Some(
            "no public/ directory: Apache serves /app/public; move the front controller there"
                .to_string(),
        )
    };
    spec.template = Some(format!("php.apache_service({})", args.join(", ")));
    if !runtime.is_empty() {
        packages_block(&mut spec, Vec::new(), runtime);
    }
    spec.set(Item::field("sources", list(&srcs)).noted(note));
    if laravel {
        spec.run.push(Item::add(
            "writable",
            list(&["/app/storage", "/app/bootstrap/cache"]),
        ));
    } else if symfony {
        spec.run.push(Item::add("writable", list(&["/app/var"])));
    }
    if !pecl.is_empty() {
        let commands: Vec<String> = pecl
            .iter()
            .map(|e| format!("pecl install {e} && docker-php-ext-enable {e}"))
            .collect();
        spec.run.push(Item::add("setup", list(&commands)));
    }
    spec
}

// ---------------------------------------------------------------- .NET

fn dotnet(ctx: &mut Ctx) -> Spec {
    let tree = ctx.tree;
    let mut projects: Vec<String> = tree
        .files("")
        .into_iter()
        .filter(|f| f.ends_with(".csproj"))
        .collect();
    if projects.is_empty() {
        for sln in tree.files("").into_iter().filter(|f| f.ends_with(".sln")) {
            for line in tree
                .read(&sln)
                .unwrap_or_default()
                .lines()
                .filter(|l| l.starts_with("Project("))
            {
                if let Some(path) = line.split('"').find(|p| p.ends_with(".csproj")) {
                    let path = path.replace('\\', "/");
                    if tree.file(&path) && !projects.contains(&path) {
                        projects.push(path);
                    }
                }
            }
        }
    }
    if projects.is_empty() {
        projects = tree.glob("src/*/*.csproj");
    }
    let web: Vec<String> = projects
        .iter()
        .filter(|p| {
            tree.read(p)
                .is_some_and(|t| t.contains("Microsoft.NET.Sdk.Web"))
        })
        .filter(|p| !p.to_ascii_lowercase().contains("test"))
        .cloned()
        .collect();
    let runnable: Vec<String> = if web.is_empty() {
        projects
            .iter()
            .filter(|p| !p.to_ascii_lowercase().contains("test"))
            .cloned()
            .collect()
    } else {
        web.clone()
    };
    let (i, note) = ctx.pick("project", &runnable);
    let project = runnable
        .get(i)
        .cloned()
        .unwrap_or_else(|| "App.csproj".into());
    let text = tree.read(&project).unwrap_or_default();
    let version = detect::dotnet_version(tree, &text);
    version_decision(ctx, ".NET", &version);
    let stem = project
        .rsplit('/')
        .next()
        .unwrap_or(&project)
        .trim_end_matches(".csproj")
        .to_string();
    let assembly = detect::tag(&text, "AssemblyName")
        .filter(|a| string(a).is_some())
        .unwrap_or(stem.clone());
    ctx.decide(format!("project: {project} ({assembly}.dll)"));
    let mut spec = Spec {
        uses: vec!["dotnet"],
        image: image_name(&stem, ""),
        ..Spec::default()
    };
    let nested = project.contains('/');
    let dirs: Vec<String> = {
        let mut d: Vec<String> = projects
            .iter()
            .filter(|p| p.contains('/'))
            .map(|p| top(p))
            .collect();
        d.dedup();
        d
    };
    let srcs = if nested {
        dirs.clone()
    } else {
        sources(tree, "", &["bin", "obj", "wwwroot_build"], &|n: &str| {
            n.ends_with(".cs") || (n.starts_with("appsettings") && n.ends_with(".json"))
        })
    };
    let is_web = !web.is_empty();
    if is_web {
        ctx.decide("framework: ASP.NET Core");
        spec.template = Some(format!(
            "dotnet.web(version: {}, project: {}, assembly: {})",
            quoted(&version.value),
            quoted(&project),
            quoted(&format!("{assembly}.dll"))
        ));
        if nested {
            let patterns: Vec<String> = {
                let mut p: Vec<String> = projects
                    .iter()
                    .filter_map(|p| {
                        p.rsplit_once('/').map(|(d, _)| {
                            d.rsplit_once('/')
                                .map_or("*".to_string(), |(parent, _)| format!("{parent}/*"))
                        })
                    })
                    .map(|d| format!("{d}/*.csproj"))
                    .collect();
                p.dedup();
                p
            };
            spec.set(Item::field(
                "deps",
                format!(
                    "[dotnet.nuget(project: {}) {{ manifests += {} }}]",
                    quoted(&project),
                    list(&patterns)
                ),
            ));
        }
        spec.set(Item::field("sources", list(&srcs)).noted(note));
    } else {
        ctx.decide("framework: none recognised (a console application)");
        spec.set(Item::field(
            "base",
            format!("dotnet.sdk(version: {})", quoted(&version.value)),
        ));
        spec.set(Item::field(
            "deps",
            format!("[dotnet.nuget(project: {})]", quoted(&project)),
        ));
        spec.set(Item::field("sources", list(&srcs)).noted(note));
        spec.set(Item::field(
            "build",
            list(&[format!("dotnet publish {project} -c Release -o /out")]),
        ));
        spec.set(Item::field(
            "artifacts",
            "[{ from = \"/out/\", to = \"/app/\" }]",
        ));
        spec.run.push(Item::field(
            "base",
            format!("dotnet.runtime(version: {})", quoted(&version.value)),
        ));
        spec.run.push(Item::field(
            "cmd",
            cmd(&["dotnet".into(), format!("/app/{assembly}.dll")]),
        ));
    }
    spec
}

// ---------------------------------------------------------------- static

fn static_site(ctx: &mut Ctx) -> Spec {
    let tree = ctx.tree;
    ctx.decide("framework: static files served by nginx");
    let keep = |n: &str| {
        [
            ".html",
            ".css",
            ".js",
            ".svg",
            ".png",
            ".ico",
            ".jpg",
            ".webp",
            ".txt",
            ".xml",
            ".json",
            ".webmanifest",
        ]
        .iter()
        .any(|e| n.ends_with(e))
    };
    let srcs = sources(tree, "", &[], &keep);
    let mut spec = Spec {
        uses: vec!["web"],
        image: "site".into(),
        ..Spec::default()
    };
    spec.set(Item::field("base", "web.nginx()"));
    spec.set(Item::field("workdir", "\"/usr/share/nginx/html\""));
    spec.set(Item::field("sources", list(&srcs)));
    spec.run.push(Item::field("expose", "8080"));
    spec
}
