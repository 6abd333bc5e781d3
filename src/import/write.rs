//! The imported spec as text: the comments first (what was not imported,
//! what changed), then the `use` lines, any base defined here, and the
//! image with its fields in the order the language documentation uses.

use std::fmt::Write as _;

/// A command in exec form (a list) or shell form (a string).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    Exec(Vec<String>),
    Shell(String),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Step {
    pub command: String,
    pub dir: Option<String>,
    pub cache: Vec<String>,
    pub secrets: Vec<(String, String)>,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Artifact {
    pub from: String,
    pub to: Option<String>,
    pub runtime_owner: bool,
    pub mode: Option<String>,
}

/// A `files` entry: a path of another image.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct File {
    pub image: String,
    pub from: String,
    pub to: String,
    pub mode: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Run {
    pub base: Option<String>,
    pub user: Option<String>,
    pub workdir: Option<String>,
    pub writable: Vec<String>,
    pub setup: Vec<String>,
    pub files: Vec<File>,
    pub env: Vec<(String, String)>,
    pub expose: Vec<u32>,
    pub entrypoint: Option<Command>,
    pub cmd: Option<Command>,
    pub health: Option<String>,
    pub labels: Vec<(String, String)>,
    pub volumes: Vec<String>,
    pub stop_signal: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Spec {
    pub name: String,
    /// The Dockerfile's name, for the first comment.
    pub from_file: String,
    /// `not imported: line N: ... (why)` lines.
    pub not_imported: Vec<String>,
    /// Other remarks: what changed on the way.
    pub notes: Vec<String>,
    /// Standard modules used.
    pub modules: Vec<&'static str>,
    /// Bases defined in the spec.
    pub definitions: Vec<String>,
    pub base: String,
    pub workdir: Option<String>,
    pub build_packages: Vec<String>,
    pub runtime_packages: Vec<String>,
    pub deps: Vec<String>,
    pub sources: Vec<String>,
    pub args: Vec<(String, String)>,
    pub build: Vec<Step>,
    pub artifacts: Vec<Artifact>,
    pub run: Run,
}

/// A string literal of the language.
pub fn string(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            c if c.is_control() => {
                let _ = write!(out, "\\u{{{:x}}}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

fn list(items: &[String]) -> String {
    let items: Vec<String> = items.iter().map(|i| string(i)).collect();
    format!("[{}]", items.join(", "))
}

/// A block key: a plain name, or a string.
fn key(name: &str) -> String {
    let plain = name
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
    if plain {
        name.to_string()
    } else {
        string(name)
    }
}

fn block(pairs: &[(String, String)], indent: &str) -> String {
    if pairs.len() <= 2 && pairs.iter().all(|(k, v)| k.len() + v.len() < 40) {
        let inner: Vec<String> = pairs
            .iter()
            .map(|(k, v)| format!("{} = {}", key(k), string(v)))
            .collect();
        return format!("{{ {} }}", inner.join(", "));
    }
    let mut out = String::from("{\n");
    for (k, v) in pairs {
        let _ = writeln!(out, "{indent}  {} = {},", key(k), string(v));
    }
    out.push_str(indent);
    out.push('}');
    out
}

fn command(c: &Command) -> String {
    match c {
        Command::Exec(words) => list(words),
        Command::Shell(text) => string(text),
    }
}

fn step(s: &Step) -> String {
    if s.dir.is_none() && s.cache.is_empty() && s.secrets.is_empty() {
        return string(&s.command);
    }
    let mut args = vec![string(&s.command)];
    if let Some(dir) = &s.dir {
        args.push(format!("dir: {}", string(dir)));
    }
    if !s.cache.is_empty() {
        args.push(format!("cache: {}", list(&s.cache)));
    }
    if !s.secrets.is_empty() {
        let secrets: Vec<String> = s
            .secrets
            .iter()
            .map(|(id, target)| format!("secret({}, target: {})", string(id), string(target)))
            .collect();
        args.push(format!("secrets: [{}]", secrets.join(", ")));
    }
    format!("step({})", args.join(", "))
}

fn artifact(a: &Artifact) -> String {
    if a.to.is_none() && !a.runtime_owner && a.mode.is_none() {
        return string(&a.from);
    }
    let mut fields = vec![format!("from = {}", string(&a.from))];
    if let Some(to) = &a.to {
        fields.push(format!("to = {}", string(to)));
    }
    if a.runtime_owner {
        fields.push("owner = \"runtime\"".into());
    }
    if let Some(mode) = &a.mode {
        fields.push(format!("mode = {}", string(mode)));
    }
    format!("{{ {} }}", fields.join(", "))
}

/// A list written on one line when short, else one item per line.
fn items(values: &[String], indent: &str) -> String {
    let one = format!("[{}]", values.join(", "));
    if one.len() + indent.len() < 90 {
        return one;
    }
    let mut out = String::from("[\n");
    for v in values {
        let _ = writeln!(out, "{indent}  {v},");
    }
    out.push_str(indent);
    out.push(']');
    out
}

/// Comment lines, each at most one line of the file.
fn comment(out: &mut String, indent: &str, text: &str) {
    for line in text.lines() {
        let _ = writeln!(out, "{indent}// {line}");
    }
}

pub fn render(spec: &Spec) -> String {
    let mut out = String::new();
    comment(
        &mut out,
        "",
        &format!(
            "Imported from {} by `imgspec import`: review it, then compile it.",
            spec.from_file
        ),
    );
    for note in &spec.notes {
        comment(&mut out, "", &format!("note: {note}"));
    }
    for line in &spec.not_imported {
        comment(&mut out, "", &format!("not imported: {line}"));
    }
    let mut modules = spec.modules.clone();
    modules.sort_unstable();
    modules.dedup();
    for module in &modules {
        let _ = writeln!(out, "use std.{module}");
    }
    out.push('\n');
    for definition in &spec.definitions {
        out.push_str(definition);
        out.push('\n');
    }
    let _ = writeln!(out, "image {} {{", spec.name);
    let mut fields: Vec<(&str, String)> = vec![("base", spec.base.clone())];
    if let Some(workdir) = &spec.workdir {
        fields.push(("workdir", string(workdir)));
    }
    if !spec.deps.is_empty() {
        fields.push(("deps", format!("[{}]", spec.deps.join(", "))));
    }
    if !spec.sources.is_empty() {
        let values: Vec<String> = spec.sources.iter().map(|s| string(s)).collect();
        fields.push(("sources", items(&values, "  ")));
    }
    if !spec.args.is_empty() {
        fields.push(("args", block(&spec.args, "  ")));
    }
    if !spec.build.is_empty() {
        let values: Vec<String> = spec.build.iter().map(step).collect();
        fields.push(("build", items(&values, "  ")));
    }
    if !spec.artifacts.is_empty() {
        let values: Vec<String> = spec.artifacts.iter().map(artifact).collect();
        fields.push(("artifacts", items(&values, "  ")));
    }
    aligned(&mut out, "  ", &fields);
    if !spec.build_packages.is_empty() || !spec.runtime_packages.is_empty() {
        out.push_str("  packages {\n");
        let mut fields = Vec::new();
        if !spec.build_packages.is_empty() {
            fields.push(("build", list(&spec.build_packages)));
        }
        if !spec.runtime_packages.is_empty() {
            fields.push(("runtime", list(&spec.runtime_packages)));
        }
        aligned(&mut out, "    ", &fields);
        out.push_str("  }\n");
    }
    let run = &spec.run;
    let mut fields: Vec<(&str, String)> = Vec::new();
    if let Some(base) = &run.base {
        fields.push(("base", base.clone()));
    }
    if let Some(user) = &run.user {
        fields.push(("user", user.clone()));
    }
    if let Some(workdir) = &run.workdir {
        fields.push(("workdir", string(workdir)));
    }
    if !run.writable.is_empty() {
        fields.push(("writable", list(&run.writable)));
    }
    if !run.setup.is_empty() {
        let values: Vec<String> = run.setup.iter().map(|s| string(s)).collect();
        fields.push(("setup", items(&values, "    ")));
    }
    if !run.files.is_empty() {
        let values: Vec<String> = run
            .files
            .iter()
            .map(|f| {
                let mut parts = vec![
                    format!("image = {}", string(&f.image)),
                    format!("from = {}", string(&f.from)),
                    format!("to = {}", string(&f.to)),
                ];
                if let Some(mode) = &f.mode {
                    parts.push(format!("mode = {}", string(mode)));
                }
                format!("{{ {} }}", parts.join(", "))
            })
            .collect();
        fields.push(("files", items(&values, "    ")));
    }
    if !run.env.is_empty() {
        fields.push(("env", block(&run.env, "    ")));
    }
    if !run.expose.is_empty() {
        let ports: Vec<String> = run.expose.iter().map(u32::to_string).collect();
        fields.push(if ports.len() == 1 {
            ("expose", ports[0].clone())
        } else {
            ("expose", format!("[{}]", ports.join(", ")))
        });
    }
    if let Some(entrypoint) = &run.entrypoint {
        fields.push(("entrypoint", command(entrypoint)));
    }
    if let Some(cmd) = &run.cmd {
        fields.push(("cmd", command(cmd)));
    }
    if let Some(health) = &run.health {
        fields.push(("health", health.clone()));
    }
    if !run.labels.is_empty() {
        fields.push(("labels", block(&run.labels, "    ")));
    }
    if !run.volumes.is_empty() {
        fields.push(("volumes", list(&run.volumes)));
    }
    if let Some(signal) = &run.stop_signal {
        fields.push(("stop_signal", string(signal)));
    }
    if !fields.is_empty() {
        out.push_str("  run {\n");
        aligned(&mut out, "    ", &fields);
        out.push_str("  }\n");
    }
    out.push_str("}\n");
    out
}

/// `name = value` lines with the `=` aligned.
fn aligned(out: &mut String, indent: &str, fields: &[(&str, String)]) {
    let width = fields.iter().map(|(n, _)| n.len()).max().unwrap_or(0);
    for (name, value) in fields {
        let _ = writeln!(out, "{indent}{name:width$} = {value}");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strings_are_escaped() {
        assert_eq!(string("a\"b\\c\nd"), "\"a\\\"b\\\\c\\nd\"");
    }
}
