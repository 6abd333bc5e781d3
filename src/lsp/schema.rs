//! The fields of each kind of block, with their types and documentation,
//! for completion and hover. They are read from the field tables of the
//! language reference (docs/language.md, docs/ci.md), embedded at build
//! time, so the editor says what the reference says; the few blocks the
//! reference describes in prose are listed here.

use std::sync::OnceLock;

const LANGUAGE: &str = include_str!("../../docs/language.md");
const CI: &str = include_str!("../../docs/ci.md");

/// What a block at the cursor is, as far as fields go.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BlockKind {
    /// An image or template body.
    Image,
    Run,
    Base,
    Ecosystem,
    Packages,
    Publish,
    /// The `stages { ... }` block: its fields are stage names.
    Stages,
    /// One stage under `stages`.
    Stage,
    /// An item of `artifacts = [{ ... }]`.
    Artifact,
    /// The block after a call used as a value (`pip() { ... }`): the
    /// fields of what the callee defines.
    Adjust(String),
    /// A map of names the user chooses (`env`, `labels`, `args`...).
    Free,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldDoc {
    pub name: String,
    /// The type column of the reference, as written there.
    pub ty: String,
    /// The default, when the reference gives one.
    pub default: Option<String>,
    pub doc: String,
}

impl FieldDoc {
    /// Markdown for a hover or a completion item's documentation.
    pub fn markdown(&self) -> String {
        let mut out = format!("`{}`: {}", self.name, self.ty);
        if let Some(default) = &self.default {
            out.push_str(&format!(" (default: {default})"));
        }
        if !self.doc.is_empty() {
            out.push_str("\n\n");
            out.push_str(&self.doc);
        }
        out
    }
}

struct Schema {
    image: Vec<FieldDoc>,
    run: Vec<FieldDoc>,
    base: Vec<FieldDoc>,
    ecosystem: Vec<FieldDoc>,
    publish: Vec<FieldDoc>,
    packages: Vec<FieldDoc>,
    stage: Vec<FieldDoc>,
    artifact: Vec<FieldDoc>,
}

fn schema() -> &'static Schema {
    static SCHEMA: OnceLock<Schema> = OnceLock::new();
    SCHEMA.get_or_init(|| {
        let image = table(LANGUAGE, "## Images");
        // A stage takes a subset of the image's fields (see "Parallel build
        // stages" in the reference).
        let stage = image
            .iter()
            .filter(|f| {
                [
                    "base",
                    "workdir",
                    "packages",
                    "deps",
                    "sources",
                    "build",
                    "artifacts",
                ]
                .contains(&f.name.as_str())
            })
            .cloned()
            .collect();
        let mut publish = vec![
            field(
                "tags",
                "list of strings",
                "the image's tags, for `imgspec bake`",
            ),
            field(
                "platforms",
                "list of strings",
                "the platforms to build, e.g. `[\"linux/amd64\", \"linux/arm64\"]`",
            ),
            field(
                "cache",
                "string",
                "a registry reference for the build cache",
            ),
        ];
        publish.extend(table(CI, "## Where an image comes from"));
        Schema {
            image,
            run: table(LANGUAGE, "## The `run` block"),
            base: table(LANGUAGE, "## Bases"),
            ecosystem: table(LANGUAGE, "## Ecosystems"),
            publish,
            packages: vec![
                field(
                    "build",
                    "list of strings",
                    "packages installed in the build stage",
                ),
                field(
                    "runtime",
                    "list of strings",
                    "packages installed in the runner",
                ),
            ],
            stage,
            artifact: vec![
                field("from", "path", "what to copy from the build stage"),
                field("to", "absolute path", "where it goes in the runner"),
                field(
                    "native",
                    "boolean",
                    "whether it is native code (checked against the runner's libc)",
                ),
            ],
        }
    })
}

fn field(name: &str, ty: &str, doc: &str) -> FieldDoc {
    FieldDoc {
        name: name.into(),
        ty: ty.into(),
        default: None,
        doc: doc.into(),
    }
}

/// The fields of a kind of block (an adjust block's are resolved by the
/// caller into the kind of its callee).
pub fn fields(kind: &BlockKind) -> &'static [FieldDoc] {
    let s = schema();
    match kind {
        BlockKind::Image => &s.image,
        BlockKind::Run => &s.run,
        BlockKind::Base => &s.base,
        BlockKind::Ecosystem => &s.ecosystem,
        BlockKind::Packages => &s.packages,
        BlockKind::Publish => &s.publish,
        BlockKind::Stage => &s.stage,
        BlockKind::Artifact => &s.artifact,
        BlockKind::Stages | BlockKind::Adjust(_) | BlockKind::Free => &[],
    }
}

pub fn find(kind: &BlockKind, name: &str) -> Option<&'static FieldDoc> {
    fields(kind).iter().find(|f| f.name == name)
}

/// The words a field's type lists as its values (`` `glibc` `musl`
/// `none` ``), for completion of enum fields.
pub fn words(ty: &str) -> Vec<String> {
    ty.split('`')
        .skip(1)
        .step_by(2)
        .filter(|w| !w.is_empty() && w.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'))
        .filter(|w| w.starts_with(|c: char| c.is_ascii_alphabetic()))
        .map(str::to_string)
        .collect()
}

/// The kind of the block that field `key` of a `parent` block opens.
pub fn child(parent: &BlockKind, key: &str) -> BlockKind {
    match (parent, key) {
        (BlockKind::Image, "run") => BlockKind::Run,
        (BlockKind::Image | BlockKind::Stage, "packages") => BlockKind::Packages,
        (BlockKind::Image, "publish") => BlockKind::Publish,
        (BlockKind::Image, "stages") => BlockKind::Stages,
        (BlockKind::Stages, _) => BlockKind::Stage,
        _ => BlockKind::Free,
    }
}

/// The kind of a block written as an item of list field `key`.
pub fn item(key: &str) -> BlockKind {
    match key {
        "artifacts" => BlockKind::Artifact,
        _ => BlockKind::Free,
    }
}

/// The rows of the first table after `heading`: `| \`name\` | type |
/// [default |] meaning |`.
fn table(page: &str, heading: &str) -> Vec<FieldDoc> {
    let Some(start) = page.find(heading) else {
        return Vec::new();
    };
    let mut rows = Vec::new();
    let mut header: Vec<String> = Vec::new();
    let mut seen_table = false;
    for line in page[start..].lines().skip(1) {
        let line = line.trim();
        if !line.starts_with('|') {
            if seen_table {
                break;
            }
            if line.starts_with("## ") {
                break;
            }
            continue;
        }
        let cells = cells(line);
        if !seen_table {
            seen_table = true;
            header = cells.iter().map(|c| c.to_lowercase()).collect();
            continue;
        }
        if cells
            .iter()
            .all(|c| c.chars().all(|ch| ch == '-' || ch == ':'))
        {
            continue;
        }
        let Some(name) = cells
            .first()
            .and_then(|c| c.strip_prefix('`')?.strip_suffix('`'))
        else {
            continue;
        };
        let column = |title: &str| {
            header
                .iter()
                .position(|h| h == title)
                .and_then(|i| cells.get(i))
                .cloned()
        };
        let ty = column("type")
            .or_else(|| column("values"))
            .unwrap_or_default();
        let default = column("default").filter(|d| d != "none" && !d.is_empty());
        rows.push(FieldDoc {
            name: name.to_string(),
            ty,
            default,
            doc: column("meaning").unwrap_or_default(),
        });
    }
    rows
}

/// The cells of a Markdown table row; `|` inside backticks stays.
fn cells(line: &str) -> Vec<String> {
    let inner = line.trim().trim_start_matches('|').trim_end_matches('|');
    let mut cells = Vec::new();
    let mut current = String::new();
    let mut code = false;
    for c in inner.chars() {
        match c {
            '`' => {
                code = !code;
                current.push(c);
            }
            '|' if !code => cells.push(std::mem::take(&mut current).trim().to_string()),
            _ => current.push(c),
        }
    }
    cells.push(current.trim().to_string());
    cells
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_reference_tables_are_read() {
        for (kind, expected) in [
            (
                BlockKind::Image,
                &["base", "workdir", "deps", "run", "publish"][..],
            ),
            (
                BlockKind::Run,
                &["user", "cmd", "entrypoint", "health", "stop_signal"],
            ),
            (
                BlockKind::Base,
                &["ref", "distro", "libc", "nonroot", "groups"],
            ),
            (
                BlockKind::Ecosystem,
                &["manifests", "install", "needs_interpreter"],
            ),
            (BlockKind::Publish, &["tags", "source", "attest"]),
            (BlockKind::Stage, &["artifacts", "sources"]),
        ] {
            let names: Vec<&str> = fields(&kind).iter().map(|f| f.name.as_str()).collect();
            for name in expected {
                assert!(names.contains(name), "{kind:?} lacks {name}: {names:?}");
            }
        }
        let workdir = find(&BlockKind::Image, "workdir").expect("workdir");
        assert_eq!(workdir.ty, "absolute path");
        assert_eq!(workdir.default.as_deref(), Some("`\"/app\"`"));
        assert!(find(&BlockKind::Base, "ref").is_some_and(|f| f.doc.contains("latest")));
    }
}
