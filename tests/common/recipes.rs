//! The CI recipes of a docs page (docs/ci.md), as data: each marked block,
//! the build job of each recipe with its steps in order, and each `run:` or
//! `script:` entry split into the exact command lines a shell would run.
//!
//! A recipe block is a fenced block with a marker comment on the line
//! before it:
//!
//! ```text
//! <!-- recipe NAME KIND [key=value ...] -->
//! ```
//!
//! KIND is one of `github-workflow`, `gitlab-ci`, `kubernetes` (manifests),
//! `shell` (commands) or `file` (a file the recipe's jobs read, at
//! `path=...`). Several blocks may share one NAME; `job=NAME` on a workflow
//! or GitLab block names the job that builds the images.
//!
//! The end-to-end suite can take [`build_job`]'s commands, set the CI
//! variables they read ([`Command::variables`]), replace the registry
//! ([`Command::with_registry`]) and run them on a local engine; each command
//! says what it needs beyond that ([`Needs`]).

use std::collections::BTreeMap;

use yaml_rust2::{Yaml, YamlLoader};

/// The placeholder registry the recipes push to and cache in.
pub const REGISTRY: &str = "registry.example.com";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    GithubWorkflow,
    GitlabCi,
    Kubernetes,
    Shell,
    File,
}

impl Kind {
    fn parse(word: &str) -> Option<Kind> {
        Some(match word {
            "github-workflow" => Kind::GithubWorkflow,
            "gitlab-ci" => Kind::GitlabCi,
            "kubernetes" => Kind::Kubernetes,
            "shell" => Kind::Shell,
            "file" => Kind::File,
            _ => return None,
        })
    }
}

/// One marked block.
#[derive(Debug, Clone)]
pub struct Part {
    pub kind: Kind,
    /// The `key=value` words of the marker (`job`, `path`).
    pub attrs: BTreeMap<String, String>,
    /// The fence's info string (`yaml`, `sh`, `dockerfile`).
    pub lang: String,
    pub text: String,
    /// The line of the block's first text line in the page (1-based).
    pub line: usize,
}

impl Part {
    /// The YAML documents of a `github-workflow`, `gitlab-ci` or
    /// `kubernetes` block.
    pub fn yaml(&self) -> Result<Vec<Yaml>, String> {
        YamlLoader::load_from_str(&self.text).map_err(|e| e.to_string())
    }
}

#[derive(Debug, Clone)]
pub struct Recipe {
    pub name: String,
    pub parts: Vec<Part>,
}

impl Recipe {
    /// The text of the `file` part at `path`.
    pub fn file(&self, path: &str) -> Option<&str> {
        self.parts
            .iter()
            .find(|p| p.kind == Kind::File && p.attrs.get("path").map(String::as_str) == Some(path))
            .map(|p| p.text.as_str())
    }
}

/// The recipes of a markdown page, in the order they first appear.
/// Panics on a marker that is malformed or not followed by a block.
pub fn recipes(markdown: &str) -> Vec<Recipe> {
    let lines: Vec<&str> = markdown.lines().collect();
    let mut out: Vec<Recipe> = Vec::new();
    let mut i = 0;
    while i < lines.len() {
        let Some(marker) = lines[i]
            .trim()
            .strip_prefix("<!-- recipe ")
            .and_then(|m| m.strip_suffix("-->"))
        else {
            i += 1;
            continue;
        };
        let words: Vec<&str> = marker.split_whitespace().collect();
        let (name, kind) = match words.as_slice() {
            [name, kind, ..] => (
                name.to_string(),
                Kind::parse(kind)
                    .unwrap_or_else(|| panic!("line {}: unknown recipe kind `{kind}`", i + 1)),
            ),
            _ => panic!(
                "line {}: a recipe marker is `<!-- recipe NAME KIND -->`",
                i + 1
            ),
        };
        let attrs = words[2..]
            .iter()
            .map(|w| {
                let (k, v) = w
                    .split_once('=')
                    .unwrap_or_else(|| panic!("line {}: `{w}` is not key=value", i + 1));
                (k.to_string(), v.to_string())
            })
            .collect();
        let fence = lines
            .get(i + 1)
            .and_then(|l| l.strip_prefix("```"))
            .unwrap_or_else(|| panic!("line {}: no fenced block after the marker", i + 1));
        let start = i + 2;
        let end = (start..lines.len())
            .find(|&j| lines[j] == "```")
            .unwrap_or_else(|| panic!("line {}: the block is not closed", i + 2));
        let mut text = lines[start..end].join("\n");
        text.push('\n');
        let part = Part {
            kind,
            attrs,
            lang: fence.to_string(),
            text,
            line: start + 1,
        };
        match out.iter_mut().find(|r| r.name == name) {
            Some(recipe) => recipe.parts.push(part),
            None => out.push(Recipe {
                name,
                parts: vec![part],
            }),
        }
        i = end + 1;
    }
    out
}

/// What a command needs besides a shell in a checkout with the CI's
/// variables set.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Needs {
    /// Logs in to, pushes to or reads the cache of the recipe's registry
    /// (`registry.example.com`, which a local registry can stand for).
    pub registry: bool,
    /// Reaches the internet: package registries, base and builder images,
    /// the imgspec sources.
    pub network: bool,
    /// Needs a Kubernetes cluster.
    pub cluster: bool,
}

/// One command line of a step: a logical line of a script, continuation
/// lines and heredoc bodies included, exactly as written.
#[derive(Debug, Clone)]
pub struct Command {
    pub text: String,
    /// The line of the page it starts on.
    pub line: usize,
    pub needs: Needs,
}

impl Command {
    /// The simple commands of the line (split at `&&`, `||`, `;` and `|`),
    /// as words with the quotes removed; `$VAR`, `$(...)` and `${{ ... }}`
    /// are kept as written, redirections are left out.
    pub fn words(&self) -> Vec<Vec<String>> {
        words(&self.text)
    }

    /// GitHub expressions (`${{ ... }}`) the line holds.
    pub fn expressions(&self) -> Vec<String> {
        expressions(&self.text)
    }

    /// The environment variables the line reads (`$NAME`, `${NAME}`),
    /// those it exports itself included.
    pub fn variables(&self) -> Vec<String> {
        variables(&self.text)
    }

    /// The line with the recipe's registry replaced, e.g. by `localhost:5000`.
    pub fn with_registry(&self, registry: &str) -> String {
        self.text.replace(REGISTRY, registry)
    }
}

#[derive(Debug, Clone)]
pub enum Step {
    /// A GitHub action (`uses:`), with its inputs.
    Action {
        name: Option<String>,
        uses: String,
        with: Vec<(String, String)>,
        needs: Needs,
    },
    /// A `run:` step, or one entry of a GitLab `before_script` or `script`.
    Run {
        name: Option<String>,
        commands: Vec<Command>,
    },
}

#[derive(Debug, Clone)]
pub struct Job {
    pub name: String,
    /// The job's image (GitLab), or its runner (`runs-on`).
    pub image: Option<String>,
    /// Variables the job sets (`env:`, `variables:`).
    pub env: Vec<(String, String)>,
    pub steps: Vec<Step>,
}

impl Job {
    /// Every command of the job's run steps, in order.
    pub fn commands(&self) -> Vec<&Command> {
        self.steps
            .iter()
            .flat_map(|s| match s {
                Step::Run { commands, .. } => commands.iter().collect(),
                Step::Action { .. } => Vec::new(),
            })
            .collect()
    }
}

/// Every job of every part of a recipe (a `shell` part is one job named
/// after the recipe).
pub fn jobs(recipe: &Recipe) -> Vec<Job> {
    recipe
        .parts
        .iter()
        .flat_map(|p| part_jobs(recipe, p))
        .collect()
}

/// The job that builds the recipe's images: the one a workflow or GitLab
/// part names with `job=`, else the recipe's shell part.
pub fn build_job(recipe: &Recipe) -> Option<Job> {
    for part in &recipe.parts {
        if let Some(job) = part.attrs.get("job") {
            return part_jobs(recipe, part).into_iter().find(|j| &j.name == job);
        }
    }
    recipe
        .parts
        .iter()
        .find(|p| p.kind == Kind::Shell)
        .and_then(|p| part_jobs(recipe, p).into_iter().next())
}

fn part_jobs(recipe: &Recipe, part: &Part) -> Vec<Job> {
    let mut located = Locator::new(part);
    match part.kind {
        Kind::Shell => {
            let commands = located.commands(&part.text);
            vec![Job {
                name: recipe.name.clone(),
                image: None,
                env: Vec::new(),
                steps: vec![Step::Run {
                    name: None,
                    commands,
                }],
            }]
        }
        Kind::GithubWorkflow => {
            let docs = part.yaml().unwrap_or_default();
            let Some(jobs) = docs.first().and_then(|d| d["jobs"].as_hash()) else {
                return Vec::new();
            };
            jobs.iter()
                .map(|(name, job)| {
                    let steps = job["steps"]
                        .as_vec()
                        .map(Vec::as_slice)
                        .unwrap_or_default()
                        .iter()
                        .map(|step| {
                            let name = step["name"].as_str().map(str::to_string);
                            match (step["uses"].as_str(), step["run"].as_str()) {
                                (Some(uses), _) => Step::Action {
                                    name,
                                    uses: uses.to_string(),
                                    with: pairs(&step["with"]),
                                    needs: action_needs(uses),
                                },
                                (None, script) => Step::Run {
                                    name,
                                    commands: located.commands(script.unwrap_or_default()),
                                },
                            }
                        })
                        .collect();
                    Job {
                        name: name.as_str().unwrap_or_default().to_string(),
                        image: job["runs-on"].as_str().map(str::to_string),
                        env: pairs(&job["env"]),
                        steps,
                    }
                })
                .collect()
        }
        Kind::GitlabCi => {
            let docs = part.yaml().unwrap_or_default();
            let Some(top) = docs.first().and_then(Yaml::as_hash) else {
                return Vec::new();
            };
            top.iter()
                .filter(|(_, job)| !job["script"].is_badvalue())
                .map(|(name, job)| {
                    let image = job["image"]
                        .as_str()
                        .or_else(|| job["image"]["name"].as_str())
                        .map(str::to_string);
                    let mut steps = Vec::new();
                    for key in ["before_script", "script"] {
                        for entry in job[key].as_vec().map(Vec::as_slice).unwrap_or_default() {
                            steps.push(Step::Run {
                                name: None,
                                commands: located.commands(entry.as_str().unwrap_or_default()),
                            });
                        }
                    }
                    Job {
                        name: name.as_str().unwrap_or_default().to_string(),
                        image,
                        env: pairs(&job["variables"]),
                        steps,
                    }
                })
                .collect()
        }
        Kind::Kubernetes | Kind::File => Vec::new(),
    }
}

/// A mapping's entries as strings (numbers and booleans as written).
fn pairs(yaml: &Yaml) -> Vec<(String, String)> {
    yaml.as_hash()
        .map(|h| {
            h.iter()
                .map(|(k, v)| (scalar(k), scalar(v)))
                .collect::<Vec<_>>()
        })
        .unwrap_or_default()
}

pub fn scalar(yaml: &Yaml) -> String {
    match yaml {
        Yaml::String(s) | Yaml::Real(s) => s.clone(),
        Yaml::Integer(i) => i.to_string(),
        Yaml::Boolean(b) => b.to_string(),
        _ => String::new(),
    }
}

fn action_needs(uses: &str) -> Needs {
    Needs {
        registry: uses.starts_with("docker/login-action"),
        network: !uses.starts_with("actions/checkout"),
        cluster: false,
    }
}

/// Finds the page line of each command: scripts are searched for in the
/// block's text, each after the previous one.
struct Locator<'a> {
    part: &'a Part,
    from: usize,
    /// Builders created with the Kubernetes driver, and the current one.
    kube_builders: Vec<String>,
    current_is_kube: bool,
}

impl<'a> Locator<'a> {
    fn new(part: &'a Part) -> Self {
        Locator {
            part,
            from: 0,
            kube_builders: Vec::new(),
            current_is_kube: false,
        }
    }

    fn line_of(&mut self, first_line: &str) -> usize {
        let lines: Vec<&str> = self.part.text.lines().collect();
        let needle = first_line.trim();
        let found = (self.from..lines.len()).find(|&i| lines[i].contains(needle));
        match found {
            Some(i) => {
                self.from = i + 1;
                self.part.line + i
            }
            None => self.part.line,
        }
    }

    fn commands(&mut self, script: &str) -> Vec<Command> {
        logical_lines(script)
            .into_iter()
            .map(|text| {
                let line = self.line_of(text.lines().next().unwrap_or_default());
                let needs = self.needs(&text);
                Command { text, line, needs }
            })
            .collect()
    }

    fn needs(&mut self, text: &str) -> Needs {
        let mut needs = Needs::default();
        for words in words(text) {
            let w: Vec<&str> = words.iter().map(String::as_str).collect();
            let has = |flag: &str| {
                w.iter()
                    .any(|x| *x == flag || x.starts_with(&format!("{flag}=")))
            };
            let value = |flag: &str| {
                w.iter().enumerate().find_map(|(i, x)| {
                    x.strip_prefix(&format!("{flag}="))
                        .map(str::to_string)
                        .or_else(|| {
                            (*x == flag)
                                .then(|| w.get(i + 1).map(|s| s.to_string()))
                                .flatten()
                        })
                })
            };
            match w.as_slice() {
                ["kubectl", ..] => needs.cluster = true,
                ["cargo", "install", ..] | ["apk", ..] | ["apt-get", ..] | ["curl", ..] => {
                    needs.network = true
                }
                ["docker", "login", ..] => needs.registry = true,
                ["docker", "run", ..] | ["docker", "pull", ..] => needs.network = true,
                ["docker", "buildx", "create", ..] => {
                    needs.network = true;
                    let kube = value("--driver").as_deref() == Some("kubernetes");
                    if kube {
                        needs.cluster = true;
                        self.kube_builders.extend(value("--name"));
                    }
                    if has("--use") {
                        self.current_is_kube = kube;
                    }
                }
                ["docker", "buildx", "use", name, ..] => {
                    self.current_is_kube = self.kube_builders.iter().any(|b| b == name);
                }
                ["docker", "buildx", sub @ ("bake" | "build"), ..] => {
                    if has("--print") || has("--list") {
                        continue;
                    }
                    needs.network = true;
                    // Bake reads the publish blocks' registry caches.
                    needs.registry |= *sub == "bake" || has("--push") || text.contains(REGISTRY);
                    needs.cluster |= match value("--builder") {
                        Some(b) => self.kube_builders.contains(&b),
                        None => self.current_is_kube,
                    };
                }
                [cmd, "build", ..] if cmd.starts_with("buildctl") => {
                    needs.network = true;
                    needs.registry |= text.contains(REGISTRY);
                }
                ["imgspec", "lock", ..] if !has("--check") || has("--remote") => {
                    needs.network = true
                }
                ["imgspec", "update", ..] => needs.network = true,
                _ => {}
            }
        }
        if text.contains(".docker/config.json") {
            needs.registry = true;
        }
        needs
    }
}

/// A script's logical lines: continuation lines joined to theirs and
/// heredoc bodies to their command, blank lines and comments left out. The
/// text is as written, so a shell runs each line the same.
pub fn logical_lines(script: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut lines = script.lines();
    while let Some(line) = lines.next() {
        let trimmed = line.trim();
        if trimmed.is_empty() || trimmed.starts_with('#') {
            continue;
        }
        let mut text = line.trim_start().to_string();
        while text.ends_with('\\') {
            match lines.next() {
                Some(next) => {
                    text.push('\n');
                    text.push_str(next);
                }
                None => break,
            }
        }
        if let Some(terminator) = heredoc_terminator(&text) {
            for body in lines.by_ref() {
                text.push('\n');
                text.push_str(body);
                if body.trim() == terminator {
                    break;
                }
            }
        }
        out.push(text);
    }
    out
}

fn heredoc_terminator(text: &str) -> Option<String> {
    let start = text.find("<<")?;
    let rest = text[start + 2..]
        .trim_start_matches('-')
        .trim_start()
        .trim_start_matches(['\'', '"']);
    let word: String = rest
        .chars()
        .take_while(|c| c.is_alphanumeric() || *c == '_')
        .collect();
    (!word.is_empty()).then_some(word)
}

/// The simple commands of a command line, as words (see [`Command::words`]).
pub fn words(text: &str) -> Vec<Vec<String>> {
    let mut text = text.replace("\\\n", " ");
    if heredoc_terminator(&text).is_some() {
        // The body is the command's input, not words of it.
        text.truncate(text.find('\n').unwrap_or(text.len()));
    }
    let chars: Vec<char> = text.chars().collect();
    let mut commands: Vec<Vec<String>> = vec![Vec::new()];
    let mut word = String::new();
    let mut in_word = false;
    let finish = |word: &mut String, in_word: &mut bool, commands: &mut Vec<Vec<String>>| {
        if *in_word {
            commands
                .last_mut()
                .expect("a command")
                .push(std::mem::take(word));
        }
        *in_word = false;
    };
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        match c {
            ' ' | '\t' | '\n' => finish(&mut word, &mut in_word, &mut commands),
            '#' if !in_word => {
                while i + 1 < chars.len() && chars[i + 1] != '\n' {
                    i += 1;
                }
            }
            '\'' => {
                in_word = true;
                i += 1;
                while i < chars.len() && chars[i] != '\'' {
                    word.push(chars[i]);
                    i += 1;
                }
            }
            '"' => {
                in_word = true;
                i += 1;
                while i < chars.len() && chars[i] != '"' {
                    if chars[i] == '\\' && matches!(chars.get(i + 1), Some('"' | '\\' | '$' | '`'))
                    {
                        i += 1;
                    }
                    word.push(chars[i]);
                    i += 1;
                }
            }
            '\\' => {
                in_word = true;
                if let Some(next) = chars.get(i + 1) {
                    word.push(*next);
                    i += 1;
                }
            }
            '$' if matches!(chars.get(i + 1), Some('(' | '{')) => {
                // `$(...)`, `${...}` and `${{ ... }}` as written.
                in_word = true;
                let (open, close) = if chars[i + 1] == '(' {
                    ('(', ')')
                } else {
                    ('{', '}')
                };
                let mut depth = 0;
                while i < chars.len() {
                    word.push(chars[i]);
                    if chars[i] == open {
                        depth += 1;
                    } else if chars[i] == close {
                        depth -= 1;
                        if depth == 0 {
                            break;
                        }
                    }
                    i += 1;
                }
            }
            '&' | '|' | ';' => {
                finish(&mut word, &mut in_word, &mut commands);
                while matches!(chars.get(i + 1), Some('&' | '|')) {
                    i += 1;
                }
                commands.push(Vec::new());
            }
            '>' | '<' if !in_word || word.chars().all(|c| c.is_ascii_digit()) => {
                // A redirection: left out with its target.
                word.clear();
                in_word = false;
                while matches!(chars.get(i + 1), Some('>' | '<' | '&' | '-')) {
                    i += 1;
                }
                while chars.get(i + 1).is_some_and(|c| *c == ' ' || *c == '\t') {
                    i += 1;
                }
                while chars.get(i + 1).is_some_and(|c| !c.is_whitespace()) {
                    i += 1;
                }
            }
            _ => {
                in_word = true;
                word.push(c);
            }
        }
        i += 1;
    }
    finish(&mut word, &mut in_word, &mut commands);
    commands.retain(|c| !c.is_empty());
    commands
}

/// The GitHub expressions (`${{ ... }}`) in a text.
pub fn expressions(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = text;
    while let Some(start) = rest.find("${{") {
        let Some(end) = rest[start..].find("}}") else {
            break;
        };
        out.push(rest[start..start + end + 2].to_string());
        rest = &rest[start + end + 2..];
    }
    out
}

/// The shell variables (`$NAME`, `${NAME}`) a text reads, sorted, once each.
pub fn variables(text: &str) -> Vec<String> {
    let chars: Vec<char> = text.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        if chars[i] == '$' {
            let braced = chars.get(i + 1) == Some(&'{') && chars.get(i + 2) != Some(&'{');
            let start = if braced { i + 2 } else { i + 1 };
            let name: String = chars[start.min(chars.len())..]
                .iter()
                .take_while(|c| c.is_ascii_alphanumeric() || **c == '_')
                .collect();
            if name
                .chars()
                .next()
                .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
            {
                out.push(name);
            }
        }
        i += 1;
    }
    out.sort();
    out.dedup();
    out
}
