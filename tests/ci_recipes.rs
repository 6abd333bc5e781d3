//! The CI recipes of docs/ci.md (blocks marked `<!-- recipe NAME KIND -->`,
//! read by `common::recipes`): their YAML parses and has the shape its CI
//! reads, every `imgspec` command parses with the real command line and
//! runs in a scratch project, every `docker buildx` and `buildctl` option
//! is one their references document, and the recipes agree with what
//! `imgspec bake` and `imgspec compile` write. Running the build jobs on an
//! engine is the end-to-end suite's part: it takes the same commands from
//! `common::recipes::build_job`.

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use clap::Parser;
use common::recipes::{build_job, jobs, recipes, scalar, Job, Kind, Recipe, Step, REGISTRY};
use common::{copy_dir, doc_blocks, imgspec, workspace};
use yaml_rust2::Yaml;

const PAGE: &str = "docs/ci.md";

fn page() -> String {
    std::fs::read_to_string(PAGE).expect("read docs/ci.md")
}

fn all() -> Vec<Recipe> {
    recipes(&page())
}

fn recipe(name: &str) -> Recipe {
    all()
        .into_iter()
        .find(|r| r.name == name)
        .unwrap_or_else(|| panic!("{PAGE} has no recipe `{name}`"))
}

/// Every simple command of every job of every recipe, with where it is.
fn simple_commands() -> Vec<(String, Vec<String>)> {
    let mut out = Vec::new();
    for recipe in all() {
        for job in jobs(&recipe) {
            for command in job.commands() {
                for words in command.words() {
                    out.push((format!("{PAGE}:{} ({})", command.line, recipe.name), words));
                }
            }
        }
    }
    out
}

#[test]
fn the_page_has_its_recipes_and_every_ci_file_is_one() {
    let names: Vec<String> = all().into_iter().map(|r| r.name).collect();
    assert_eq!(
        names,
        [
            "github-actions",
            "gitlab-ci",
            "gitlab-ci-rootless",
            "kubernetes-builder",
            "kubernetes-ci",
            "rootless-docker",
        ]
    );
    // A CI file added to the page without a marker would go unchecked.
    let markdown = page();
    let lines: Vec<&str> = markdown.lines().collect();
    for (i, line) in lines.iter().enumerate() {
        if *line == "```yaml" {
            let marked = i > 0 && lines[i - 1].starts_with("<!-- recipe ");
            let end = (i + 1..lines.len())
                .find(|&j| lines[j] == "```")
                .expect("closed");
            let text = lines[i + 1..end].join("\n");
            let ci = ["jobs:", "script:", "apiVersion:"]
                .iter()
                .any(|k| text.contains(k));
            assert!(
                marked || !ci,
                "{PAGE}:{}: a CI file without a recipe marker",
                i + 1
            );
        }
    }
    for recipe in all() {
        for part in &recipe.parts {
            let lang = match part.kind {
                Kind::GithubWorkflow | Kind::GitlabCi | Kind::Kubernetes => "yaml",
                Kind::Shell => "sh",
                Kind::File => "dockerfile",
            };
            assert_eq!(part.lang, lang, "{PAGE}:{}", part.line);
        }
    }
}

fn yaml_of(part: &common::recipes::Part) -> Vec<Yaml> {
    let docs = part
        .yaml()
        .unwrap_or_else(|e| panic!("{PAGE}:{}: YAML does not parse: {e}", part.line));
    assert!(!docs.is_empty(), "{PAGE}:{}: empty", part.line);
    docs
}

/// The actions the workflows may use, each at a major version.
const ACTIONS: &[&str] = &[
    "actions/checkout@v4",
    "actions/cache@v4",
    "docker/setup-qemu-action@v3",
    "docker/setup-buildx-action@v3",
    "docker/login-action@v3",
    "github/codeql-action/upload-sarif@v3",
];

#[test]
fn github_workflows_have_their_shape() {
    let mut workflows = 0;
    for recipe in all() {
        for part in recipe
            .parts
            .iter()
            .filter(|p| p.kind == Kind::GithubWorkflow)
        {
            workflows += 1;
            let at = format!("{PAGE}:{}", part.line);
            let docs = yaml_of(part);
            let workflow = &docs[0];
            // YAML 1.2: `on` is a key, not the boolean YAML 1.1 made of it.
            assert!(!workflow["on"].is_badvalue(), "{at}: no `on`");
            let jobs = workflow["jobs"].as_hash().expect("jobs");
            assert!(!jobs.is_empty(), "{at}: no jobs");
            for (name, job) in jobs {
                let name = scalar(name);
                assert!(
                    job["runs-on"].as_str().is_some(),
                    "{at}: {name} has no runs-on"
                );
                if let Some(need) = job["needs"].as_str() {
                    assert!(
                        !jobs[&Yaml::String(need.into())].is_badvalue(),
                        "{at}: needs {need}"
                    );
                }
                let steps = job["steps"].as_vec().expect("steps");
                assert!(!steps.is_empty(), "{at}: {name} has no steps");
                for step in steps {
                    let uses = step["uses"].as_str();
                    let run = step["run"].as_str();
                    assert!(
                        uses.is_some() != run.is_some(),
                        "{at}: a step has one of uses and run"
                    );
                    if let Some(uses) = uses {
                        assert!(ACTIONS.contains(&uses), "{at}: unknown action {uses}");
                    }
                }
                let first = steps[0]["uses"].as_str();
                assert_eq!(
                    first,
                    Some("actions/checkout@v4"),
                    "{at}: {name} checks out first"
                );
            }
            let job = part.attrs.get("job").expect("job=");
            assert!(
                !workflow["jobs"][job.as_str()].is_badvalue(),
                "{at}: no job {job}"
            );
        }
    }
    assert_eq!(workflows, 1);
}

/// Top-level keys of `.gitlab-ci.yml` that are not jobs.
const GITLAB_KEYWORDS: &[&str] = &["stages", "variables", "default", "include", "workflow"];

#[test]
fn gitlab_pipelines_have_their_shape() {
    let mut pipelines = 0;
    for recipe in all() {
        for part in recipe.parts.iter().filter(|p| p.kind == Kind::GitlabCi) {
            pipelines += 1;
            let at = format!("{PAGE}:{}", part.line);
            let docs = yaml_of(part);
            let top = docs[0].as_hash().expect("a mapping");
            let stages: Vec<String> = docs[0]["stages"]
                .as_vec()
                .map(|s| s.iter().map(scalar).collect())
                .unwrap_or_default();
            for (name, job) in top {
                let name = scalar(name);
                if GITLAB_KEYWORDS.contains(&name.as_str()) {
                    continue;
                }
                let script = job["script"]
                    .as_vec()
                    .unwrap_or_else(|| panic!("{at}: {name} has no script"));
                assert!(!script.is_empty());
                for key in ["before_script", "script"] {
                    for entry in job[key].as_vec().map(Vec::as_slice).unwrap_or_default() {
                        assert!(
                            entry.as_str().is_some(),
                            "{at}: {name}.{key} holds a non-string"
                        );
                    }
                }
                let image = job["image"].as_str().or(job["image"]["name"].as_str());
                assert!(image.is_some(), "{at}: {name} names no image");
                if let Some(stage) = job["stage"].as_str() {
                    assert!(
                        stages.iter().any(|s| s == stage),
                        "{at}: {name}: stage {stage} is not in stages"
                    );
                }
                for rule in job["rules"].as_vec().map(Vec::as_slice).unwrap_or_default() {
                    assert!(
                        rule["if"].as_str().is_some(),
                        "{at}: {name}: a rule without if"
                    );
                }
            }
        }
    }
    assert_eq!(pipelines, 3);
}

#[test]
fn kubernetes_manifests_have_their_shape() {
    let part = recipe("kubernetes-ci")
        .parts
        .into_iter()
        .find(|p| p.kind == Kind::Kubernetes)
        .expect("manifests");
    let docs = yaml_of(&part);
    let kinds: Vec<String> = docs.iter().map(|d| scalar(&d["kind"])).collect();
    assert_eq!(
        kinds,
        ["Namespace", "ServiceAccount", "Role", "RoleBinding"]
    );
    for doc in &docs {
        let kind = scalar(&doc["kind"]);
        let api = scalar(&doc["apiVersion"]);
        let expected = match kind.as_str() {
            "Namespace" | "ServiceAccount" => "v1",
            _ => "rbac.authorization.k8s.io/v1",
        };
        assert_eq!(api, expected, "{kind}");
        assert!(
            doc["metadata"]["name"].as_str().is_some(),
            "{kind} has a name"
        );
    }
    // The role covers what the driver does: manage the Deployment, find its
    // pods, exec into them.
    let rules = docs[2]["rules"].as_vec().expect("rules");
    let allows = |resource: &str, verb: &str| {
        rules.iter().any(|r| {
            r["resources"]
                .as_vec()
                .is_some_and(|v| v.iter().any(|x| x.as_str() == Some(resource)))
                && r["verbs"]
                    .as_vec()
                    .is_some_and(|v| v.iter().any(|x| x.as_str() == Some(verb)))
        })
    };
    for (resource, verb) in [
        ("deployments", "create"),
        ("deployments", "get"),
        ("pods", "list"),
        ("pods/exec", "create"),
    ] {
        assert!(allows(resource, verb), "the role lets {verb} {resource}");
    }
    let binding = &docs[3];
    assert_eq!(
        binding["roleRef"]["name"].as_str(),
        docs[2]["metadata"]["name"].as_str()
    );
    assert_eq!(
        binding["subjects"][0]["name"].as_str(),
        docs[1]["metadata"]["name"].as_str()
    );
    assert_eq!(
        docs[0]["metadata"]["labels"]["pod-security.kubernetes.io/enforce"].as_str(),
        Some("privileged"),
        "rootless BuildKit needs unconfined seccomp and AppArmor profiles"
    );
    // The builder's namespace is the one the manifests make.
    for (at, words) in simple_commands() {
        if words.starts_with(&["docker".into(), "buildx".into(), "create".into()]) {
            for opt in driver_opts(&words) {
                if let Some(ns) = opt.strip_prefix("namespace=") {
                    assert_eq!(ns, "buildkit", "{at}");
                }
            }
        }
    }
}

#[test]
fn every_imgspec_command_parses_with_the_real_command_line() {
    let mut seen = 0;
    for (at, words) in simple_commands() {
        if words.first().map(String::as_str) != Some("imgspec") {
            continue;
        }
        seen += 1;
        if let Err(e) = imgspec::cli::Cli::try_parse_from(&words) {
            panic!("{at}: `{}` does not parse:\n{e}", words.join(" "));
        }
    }
    assert!(seen >= 10, "only {seen} imgspec commands");
}

/// The spec of the page's `publish` example (tags, platforms, cache).
fn publish_spec() -> String {
    doc_blocks(&page())
        .into_iter()
        .find(|b| b.text.contains("cache     ="))
        .expect("the publish example")
        .text
}

/// A repository with the page's publish example at services/api (the
/// python-api example's files with the page's spec), a lock file for its
/// base, and the generated files committed, as the recipes expect.
fn scratch_project(name: &str) -> PathBuf {
    let dir = workspace(name, &[(".git/HEAD", "ref: refs/heads/main\n")]);
    let api = dir.join("services/api");
    copy_dir(Path::new("examples/python-api"), &api);
    std::fs::remove_file(api.join("Dockerfile")).ok();
    std::fs::remove_file(api.join("Dockerfile.dockerignore")).ok();
    std::fs::write(api.join("api.imgspec"), publish_spec()).expect("write spec");
    let lock = format!(
        "version = 1\n\n[[image]]\nreference = \"python:3.12-slim-bookworm\"\ndigest = \"sha256:{}\"\nplatforms = [\"linux/amd64\", \"linux/arm64\"]\n",
        "0".repeat(64)
    );
    std::fs::write(dir.join("imgspec.lock"), lock).expect("write lock");
    let compiled = imgspec(&dir, &["compile"]);
    assert!(
        compiled.status.success(),
        "{}",
        String::from_utf8_lossy(&compiled.stderr)
    );
    dir
}

#[test]
fn every_offline_imgspec_command_runs_in_a_scratch_project() {
    let dir = scratch_project("ci-recipes/run");
    let mut ran = BTreeSet::new();
    for (at, words) in simple_commands() {
        if words.first().map(String::as_str) != Some("imgspec") {
            continue;
        }
        let args: Vec<&str> = words[1..].iter().map(String::as_str).collect();
        let offline = match args.first() {
            Some(&"lock") => args.contains(&"--check") && !args.contains(&"--remote"),
            Some(&"update") => false,
            _ => true,
        };
        if !offline || !ran.insert(args.join(" ")) {
            continue;
        }
        let output = imgspec(&dir, &args);
        assert!(
            output.status.success(),
            "{at}: `imgspec {}` failed in a project made from the example:\n{}",
            args.join(" "),
            String::from_utf8_lossy(&output.stderr)
        );
        if args.contains(&"sarif") {
            let log: serde_json::Value =
                serde_json::from_slice(&output.stderr).expect("SARIF on standard error");
            assert_eq!(log["version"], "2.1.0", "{at}");
        }
    }
    for expected in [
        "compile --check",
        "lock --check",
        "bake",
        "check --message-format sarif",
    ] {
        assert!(
            ran.contains(expected),
            "no recipe runs `imgspec {expected}`: {ran:?}"
        );
    }
    assert!(dir.join("docker-bake.json").is_file());
}

/// `docker buildx` options the recipes may use, per subcommand, with
/// whether each takes a value: from the Docker CLI reference
/// (docs.docker.com/reference/cli/docker/buildx/create/, .../bake/,
/// .../build/).
fn buildx_options(subcommand: &str) -> &'static [(&'static str, bool)] {
    match subcommand {
        "create" => &[
            ("--append", false),
            ("--bootstrap", false),
            ("--builder", true),
            ("--buildkitd-config", true),
            ("--buildkitd-flags", true),
            ("--driver", true),
            ("--driver-opt", true),
            ("--leave", false),
            ("--name", true),
            ("--node", true),
            ("--platform", true),
            ("--use", false),
        ],
        "bake" => &[
            ("--allow", true),
            ("--builder", true),
            ("--call", true),
            ("--check", false),
            ("-f", true),
            ("--file", true),
            ("--list", true),
            ("--load", false),
            ("--metadata-file", true),
            ("--no-cache", false),
            ("--print", false),
            ("--progress", true),
            ("--provenance", true),
            ("--pull", false),
            ("--push", false),
            ("--sbom", true),
            ("--set", true),
            ("--var", true),
        ],
        "build" => &[
            ("--build-arg", true),
            ("--builder", true),
            ("--cache-from", true),
            ("--cache-to", true),
            ("-f", true),
            ("--file", true),
            ("--load", false),
            ("--metadata-file", true),
            ("--no-cache", false),
            ("-o", true),
            ("--output", true),
            ("--platform", true),
            ("--progress", true),
            ("--pull", false),
            ("--push", false),
            ("-t", true),
            ("--tag", true),
            ("--target", true),
        ],
        _ => &[],
    }
}

/// `--driver-opt` keys of the Kubernetes driver: the table of
/// docs.docker.com/build/builders/drivers/kubernetes/.
const KUBERNETES_DRIVER_OPTS: &[&str] = &[
    "image",
    "namespace",
    "default-load",
    "replicas",
    "requests.cpu",
    "requests.memory",
    "requests.ephemeral-storage",
    "limits.cpu",
    "limits.memory",
    "limits.ephemeral-storage",
    "nodeselector",
    "annotations",
    "labels",
    "tolerations",
    "serviceaccount",
    "schedulername",
    "timeout",
    "rootless",
    "loadbalance",
    "qemu.install",
    "qemu.image",
];

/// The options of a command and their values, and its other words, checked
/// against a list of (option, takes a value).
fn options(
    at: &str,
    words: &[String],
    known: &[(&str, bool)],
) -> (Vec<(String, Option<String>)>, Vec<String>) {
    let mut opts = Vec::new();
    let mut positional = Vec::new();
    let mut i = 0;
    while i < words.len() {
        let word = &words[i];
        if word.starts_with('-') && word.len() > 1 {
            let (name, inline) = match word.split_once('=') {
                Some((n, v)) if n.starts_with("--") => (n.to_string(), Some(v.to_string())),
                _ => (word.clone(), None),
            };
            let takes = known
                .iter()
                .find(|(k, _)| *k == name)
                .unwrap_or_else(|| {
                    panic!(
                        "{at}: `{name}` is not in the test's list for `{}`",
                        words.join(" ")
                    )
                })
                .1;
            let value = if takes {
                inline.or_else(|| {
                    i += 1;
                    words.get(i).cloned()
                })
            } else {
                assert!(inline.is_none(), "{at}: `{name}` takes no value");
                None
            };
            assert!(!takes || value.is_some(), "{at}: `{name}` needs a value");
            opts.push((name, value));
        } else {
            positional.push(word.clone());
        }
        i += 1;
    }
    (opts, positional)
}

/// A CSV option value's fields (`a=1,"b=2,3"`), as buildx splits them.
fn csv_fields(value: &str) -> Vec<String> {
    let mut fields = vec![String::new()];
    let mut quoted = false;
    for c in value.chars() {
        match c {
            '"' => quoted = !quoted,
            ',' if !quoted => fields.push(String::new()),
            _ => fields.last_mut().expect("a field").push(c),
        }
    }
    fields
}

fn driver_opts(words: &[String]) -> Vec<String> {
    let (opts, _) = options("", &words[3..], buildx_options("create"));
    opts.into_iter()
        .filter(|(n, _)| n == "--driver-opt")
        .flat_map(|(_, v)| csv_fields(&v.unwrap_or_default()))
        .collect()
}

/// Keys of a cache import or export (`type=registry,ref=...,mode=max`) and
/// of an output, by type: BuildKit's README (cache backends, exporters).
fn check_keys(at: &str, what: &str, value: &str) {
    let fields: BTreeMap<String, String> = csv_fields(value)
        .into_iter()
        .map(|f| {
            let (k, v) = f
                .split_once('=')
                .unwrap_or_else(|| panic!("{at}: `{f}` in {what}"));
            (k.to_string(), v.to_string())
        })
        .collect();
    let kind = fields.get("type").map(String::as_str).unwrap_or("registry");
    let allowed: &[&str] = match (what, kind) {
        ("cache", "registry") => &[
            "type",
            "ref",
            "mode",
            "oci-mediatypes",
            "image-manifest",
            "compression",
            "ignore-error",
        ],
        ("cache", "local") => &["type", "src", "dest", "mode"],
        ("cache", "inline") => &["type"],
        ("output", "image" | "registry") => &[
            "type",
            "name",
            "push",
            "push-by-digest",
            "registry.insecure",
            "oci-mediatypes",
            "compression",
            "rewrite-timestamp",
        ],
        ("output", "local" | "tar") => &["type", "dest"],
        ("output", "cacheonly") => &["type"],
        _ => panic!("{at}: {what} type `{kind}` is not in the test's list"),
    };
    for key in fields.keys() {
        assert!(
            allowed.contains(&key.as_str()),
            "{at}: `{key}` in {what} `{value}`"
        );
    }
    if let Some(mode) = fields.get("mode") {
        assert!(mode == "max" || mode == "min", "{at}: mode={mode}");
    }
}

#[test]
fn docker_buildx_commands_use_documented_options() {
    let mut checked = 0;
    for (at, words) in simple_commands() {
        let w: Vec<&str> = words.iter().map(String::as_str).collect();
        match w.as_slice() {
            ["docker", "buildx", sub, ..] => {
                checked += 1;
                assert!(
                    ["create", "bake", "build", "use"].contains(sub),
                    "{at}: `docker buildx {sub}` is not in the test's list"
                );
                let (opts, positional) = options(&at, &words[3..], buildx_options(sub));
                let value = |name: &str| {
                    opts.iter()
                        .find(|(n, _)| n == name)
                        .and_then(|(_, v)| v.clone())
                };
                match *sub {
                    "create" => {
                        assert!(positional.is_empty(), "{at}: {positional:?}");
                        let driver = value("--driver").unwrap_or_default();
                        assert!(
                            ["docker-container", "kubernetes"].contains(&driver.as_str()),
                            "{at}: driver {driver}"
                        );
                        for opt in driver_opts(&words) {
                            assert_eq!(
                                driver, "kubernetes",
                                "{at}: driver options here are the Kubernetes driver's"
                            );
                            let (key, v) = opt
                                .split_once('=')
                                .unwrap_or_else(|| panic!("{at}: `{opt}`"));
                            assert!(
                                KUBERNETES_DRIVER_OPTS.contains(&key),
                                "{at}: driver option `{key}`"
                            );
                            match key {
                                "rootless" => assert!(v == "true" || v == "false", "{at}: {opt}"),
                                "loadbalance" => {
                                    assert!(v == "sticky" || v == "random", "{at}: {opt}")
                                }
                                "replicas" => assert!(v.parse::<u32>().is_ok(), "{at}: {opt}"),
                                "nodeselector" => assert!(v.contains('='), "{at}: {opt}"),
                                _ => {}
                            }
                        }
                        if let Some(platform) = value("--platform") {
                            assert!(platform.starts_with("linux/"), "{at}: {platform}");
                        }
                    }
                    "bake" => assert!(positional.is_empty(), "{at}: bake builds the default group"),
                    "build" => {
                        assert_eq!(positional.len(), 1, "{at}: one context");
                        for (name, v) in &opts {
                            match name.as_str() {
                                "--cache-from" | "--cache-to" => {
                                    check_keys(&at, "cache", v.as_deref().unwrap_or_default())
                                }
                                "-o" | "--output" => {
                                    check_keys(&at, "output", v.as_deref().unwrap_or_default())
                                }
                                _ => {}
                            }
                        }
                    }
                    _ => {}
                }
            }
            ["docker", "login", ..] => {
                let (_, positional) = options(
                    &at,
                    &words[2..],
                    &[
                        ("--username", true),
                        ("-u", true),
                        ("--password-stdin", false),
                    ],
                );
                assert_eq!(positional.len(), 1, "{at}: one registry");
            }
            ["docker", other, ..] => assert_eq!(*other, "run", "{at}: docker {other}"),
            _ => {}
        }
    }
    assert!(checked >= 10, "only {checked} buildx commands");
}

/// `buildctl build` options: BuildKit's README and `buildctl build --help`.
const BUILDCTL_BUILD: &[(&str, bool)] = &[
    ("--frontend", true),
    ("--local", true),
    ("--opt", true),
    ("--output", true),
    ("-o", true),
    ("--export-cache", true),
    ("--import-cache", true),
    ("--progress", true),
    ("--secret", true),
    ("--ssh", true),
    ("--no-cache", false),
    ("--allow", true),
    ("--metadata-file", true),
];

/// The Dockerfile frontend's `--opt` keys (`build-arg:NAME` and `label:NAME`
/// by prefix).
const FRONTEND_OPTS: &[&str] = &["filename", "platform", "target", "no-cache"];

struct Buildctl {
    at: String,
    opts: Vec<(String, Option<String>)>,
}

impl Buildctl {
    fn all(&self, name: &str) -> Vec<String> {
        self.opts
            .iter()
            .filter(|(n, _)| n == name)
            .filter_map(|(_, v)| v.clone())
            .collect()
    }
}

fn buildctl_commands() -> Vec<Buildctl> {
    let mut out = Vec::new();
    for (at, words) in simple_commands() {
        let Some(program) = words.first() else {
            continue;
        };
        if !program.starts_with("buildctl") {
            continue;
        }
        assert!(
            program == "buildctl" || program == "buildctl-daemonless.sh",
            "{at}: {program}"
        );
        assert_eq!(words.get(1).map(String::as_str), Some("build"), "{at}");
        let (opts, positional) = options(&at, &words[2..], BUILDCTL_BUILD);
        assert!(positional.is_empty(), "{at}: {positional:?}");
        let command = Buildctl { at, opts };
        assert_eq!(
            command.all("--frontend"),
            ["dockerfile.v0"],
            "{}",
            command.at
        );
        for local in command.all("--local") {
            let (name, _) = local.split_once('=').expect("NAME=DIR");
            assert!(
                name == "context" || name == "dockerfile",
                "{}: --local {local}",
                command.at
            );
        }
        for opt in command.all("--opt") {
            let (key, _) = opt
                .split_once('=')
                .unwrap_or_else(|| panic!("{}: --opt {opt}", command.at));
            assert!(
                FRONTEND_OPTS.contains(&key)
                    || key.starts_with("build-arg:")
                    || key.starts_with("label:"),
                "{}: --opt {key}",
                command.at
            );
        }
        for cache in command
            .all("--import-cache")
            .iter()
            .chain(&command.all("--export-cache"))
        {
            check_keys(&command.at, "cache", cache);
        }
        for output in command.all("--output") {
            check_keys(&command.at, "output", &output);
        }
        out.push(command);
    }
    out
}

#[test]
fn buildctl_commands_use_documented_options_and_agree_with_the_bake_file() {
    let commands = buildctl_commands();
    assert_eq!(commands.len(), 1);
    let buildctl = &commands[0];
    let at = &buildctl.at;

    let dir = scratch_project("ci-recipes/bake");
    let output = imgspec(&dir, &["bake", "-o", "-"]);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let bake: serde_json::Value = serde_json::from_slice(&output.stdout).expect("bake JSON");
    let target = &bake["target"]["api"];
    let strings = |v: &serde_json::Value| -> Vec<String> {
        v.as_array()
            .expect("a list")
            .iter()
            .map(|s| s.as_str().expect("a string").to_string())
            .collect()
    };

    let context = target["context"].as_str().expect("context");
    let mut locals = buildctl.all("--local");
    locals.sort();
    assert_eq!(
        locals,
        [
            format!("context={context}"),
            format!("dockerfile={context}")
        ],
        "{at}"
    );
    let opts = buildctl.all("--opt");
    let opt = |key: &str| {
        opts.iter()
            .find_map(|o| o.strip_prefix(&format!("{key}=")))
            .map(str::to_string)
    };
    assert_eq!(
        opt("filename").as_deref(),
        target["dockerfile"].as_str(),
        "{at}"
    );
    assert_eq!(
        opt("platform"),
        Some(strings(&target["platforms"]).join(",")),
        "{at}"
    );
    let args: BTreeSet<&str> = target["args"]
        .as_object()
        .expect("args")
        .keys()
        .map(String::as_str)
        .collect();
    for o in &opts {
        if let Some(arg) = o.strip_prefix("build-arg:") {
            let name = arg.split_once('=').map_or(arg, |(n, _)| n);
            assert!(args.contains(name), "{at}: bake passes no {name}: {args:?}");
        }
    }
    assert!(
        opts.iter()
            .any(|o| o.starts_with("build-arg:SOURCE_DATE_EPOCH=")),
        "{at}"
    );
    assert_eq!(
        buildctl.all("--import-cache"),
        strings(&target["cache-from"]),
        "{at}"
    );
    assert_eq!(
        buildctl.all("--export-cache"),
        strings(&target["cache-to"]),
        "{at}"
    );
    let tags = strings(&target["tags"]);
    assert_eq!(
        buildctl.all("--output"),
        [format!("type=image,name={},push=true", tags.join(","))],
        "{at}"
    );
}

#[test]
fn build_jobs_build_with_bake_and_the_registry_cache() {
    let spec = publish_spec();
    assert!(
        spec.contains(&format!("\"{REGISTRY}/team/cache/api\"")),
        "{spec}"
    );
    for name in [
        "github-actions",
        "gitlab-ci",
        "kubernetes-builder",
        "kubernetes-ci",
    ] {
        let recipe = recipe(name);
        let job = build_job(&recipe).unwrap_or_else(|| panic!("{name}: no build job"));
        let lines: Vec<String> = job.commands().iter().map(|c| c.text.clone()).collect();
        let position = |needle: &str| {
            lines
                .iter()
                .position(|l| l.starts_with(needle))
                .unwrap_or_else(|| panic!("{name}: no `{needle}` in {lines:#?}"))
        };
        let bake = position("imgspec bake");
        let push = lines
            .iter()
            .position(|l| l.starts_with("docker buildx bake") && l.ends_with("--push"))
            .unwrap_or_else(|| panic!("{name}: no push"));
        assert!(
            bake < push,
            "{name}: the bake file is written before bake reads it"
        );
        if name != "kubernetes-builder" {
            assert!(position("export SOURCE_DATE_EPOCH") < bake, "{name}");
            assert!(position("export IMGSPEC_REVISION") < bake, "{name}");
        }
        // The builder can export a cache: not the docker driver.
        let builder = job.steps.iter().any(|s| match s {
            Step::Action { uses, .. } => uses.starts_with("docker/setup-buildx-action"),
            Step::Run { commands, .. } => commands
                .iter()
                .any(|c| c.text.starts_with("docker buildx create")),
        });
        assert!(builder, "{name}: no builder that can export a cache");
        // Multi-platform: emulation, or a node per platform.
        let platforms = job.steps.iter().any(|s| match s {
            Step::Action { uses, .. } => uses.starts_with("docker/setup-qemu-action"),
            Step::Run { commands, .. } => commands.iter().any(|c| {
                c.text.contains("tonistiigi/binfmt") || c.text.contains("--platform linux/arm64")
            }),
        });
        assert!(
            platforms || name == "kubernetes-ci",
            "{name}: nothing builds linux/arm64"
        );
        // The push is logged in first.
        let login = job.steps.iter().position(|s| match s {
            Step::Action { needs, .. } => needs.registry,
            Step::Run { commands, .. } => commands.iter().any(|c| {
                c.text
                    .starts_with("echo \"$CI_REGISTRY_PASSWORD\" | docker login")
            }),
        });
        if name != "kubernetes-builder" {
            let login = login.unwrap_or_else(|| panic!("{name}: no login"));
            let push_step = job
                .steps
                .iter()
                .position(|s| matches!(s, Step::Run { commands, .. } if commands.iter().any(|c| c.text.ends_with("--push"))))
                .expect("push step");
            assert!(login < push_step, "{name}: login before the push");
        }
    }
}

#[test]
fn the_extraction_gives_each_command_with_what_it_needs() {
    let job: Job = build_job(&recipe("github-actions")).expect("images job");
    assert_eq!(job.name, "images");
    let uses: Vec<&str> = job
        .steps
        .iter()
        .filter_map(|s| match s {
            Step::Action { uses, .. } => Some(uses.as_str()),
            Step::Run { .. } => None,
        })
        .collect();
    assert_eq!(
        uses,
        [
            "actions/checkout@v4",
            "docker/setup-qemu-action@v3",
            "docker/setup-buildx-action@v3",
            "docker/login-action@v3"
        ]
    );
    let Some(Step::Action { with, needs, .. }) = job.steps.get(3) else {
        panic!("the login step")
    };
    assert!(needs.registry);
    assert!(with.contains(&("registry".into(), REGISTRY.into())));
    assert!(with
        .iter()
        .any(|(k, v)| k == "password" && v == "${{ secrets.REGISTRY_PASSWORD }}"));

    let commands = job.commands();
    let texts: Vec<&str> = commands.iter().map(|c| c.text.as_str()).collect();
    assert_eq!(
        texts,
        [
            "cargo install --locked --git https://example.com/your-mirror-of/imgspec imgspec",
            "export IMGSPEC_REVISION=\"$(git rev-parse HEAD)\"",
            "export SOURCE_DATE_EPOCH=\"$(git log -1 --format=%ct)\"",
            "export IMGSPEC_SOURCE=\"$GITHUB_SERVER_URL/$GITHUB_REPOSITORY\"",
            "imgspec bake",
            "docker buildx bake --print",
            "docker buildx bake --push",
        ]
    );
    let page = page();
    let lines: Vec<&str> = page.lines().collect();
    for c in &commands {
        assert!(
            lines[c.line - 1].contains(c.text.lines().next().expect("a line")),
            "{c:?}"
        );
        assert!(c.expressions().is_empty(), "{c:?}");
    }
    assert!(commands[0].needs.network && !commands[0].needs.registry);
    assert!(
        !commands[4].needs.network && !commands[4].needs.registry,
        "imgspec bake is offline"
    );
    assert!(!commands[5].needs.network, "--print builds nothing");
    assert!(commands[6].needs.registry && commands[6].needs.network && !commands[6].needs.cluster);
    assert_eq!(
        commands[3].variables(),
        ["GITHUB_REPOSITORY", "GITHUB_SERVER_URL"]
    );
    assert_eq!(
        commands[6].with_registry("localhost:5000"),
        "docker buildx bake --push"
    );

    // GitLab: `before_script` then `script`, one step per entry; the
    // variables a local run must set.
    let gitlab = build_job(&recipe("gitlab-ci")).expect("images job");
    let first = gitlab.commands()[0];
    assert!(first.needs.registry);
    assert_eq!(
        first.variables(),
        ["CI_REGISTRY", "CI_REGISTRY_PASSWORD", "CI_REGISTRY_USER"]
    );
    assert_eq!(gitlab.env, [("DOCKER_TLS_CERTDIR".into(), "/certs".into())]);

    // Kubernetes: the builder and every build on it need the cluster.
    let kube = build_job(&recipe("kubernetes-builder")).expect("shell job");
    let cluster: Vec<bool> = kube.commands().iter().map(|c| c.needs.cluster).collect();
    assert_eq!(cluster, [true, true, true, false, false, true]);
    let rootless = build_job(&recipe("gitlab-ci-rootless")).expect("rootless job");
    assert!(rootless
        .commands()
        .iter()
        .any(|c| c.needs.registry && c.text.contains("config.json")));
    assert_eq!(
        rootless.env,
        [(
            "BUILDKITD_FLAGS".into(),
            "--oci-worker-no-process-sandbox".into()
        )]
    );
}
