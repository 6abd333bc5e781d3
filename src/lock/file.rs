//! `imgspec.lock`: reading and writing. Written by hand (not through a
//! serializer) so the layout is fixed: a header, then one table per
//! reference in sorted order.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use serde::Deserialize;

use crate::model::ToolRegistry;

/// The lock file's name, at the root of the project.
pub const LOCK_FILE: &str = "imgspec.lock";

/// The format version this compiler reads and writes.
const VERSION: u32 = 1;

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Lock {
    images: BTreeMap<String, Entry>,
    tools: BTreeMap<ToolKey, ToolEntry>,
}

/// A tool as the specs name it: registry, package, version series.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ToolKey {
    pub registry: ToolRegistry,
    pub package: String,
    pub version: String,
}

impl ToolKey {
    pub fn of(tool: &crate::model::Tool) -> ToolKey {
        ToolKey {
            registry: tool.registry,
            package: tool.package.clone(),
            version: tool.version.clone(),
        }
    }
}

impl std::fmt::Display for ToolKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{}_tool(\"{}\", \"{}\")",
            self.registry.name(),
            self.package,
            self.version
        )
    }
}

/// What a tool's series resolved to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ToolEntry {
    /// The newest release of the series when it was locked.
    pub resolved: String,
    /// The digest of every file of the release (`sha256:` for PyPI,
    /// `sha512:` for npm), the install refuses any other; empty when the
    /// release has dependencies of its own, which are then installed by
    /// version only (a hash check covers the whole dependency tree or
    /// nothing).
    pub hashes: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Entry {
    /// The digest of the reference's manifest (an image index where the
    /// tag names several platforms).
    pub digest: String,
    /// The platforms the digest holds, `os/arch[/variant]`, sorted.
    #[serde(default)]
    pub platforms: Vec<String>,
}

/// A problem in the file, with the byte range it concerns.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseError {
    pub message: String,
    pub range: Option<std::ops::Range<usize>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Raw {
    version: u32,
    #[serde(default)]
    image: Vec<RawImage>,
    #[serde(default)]
    tool: Vec<RawTool>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawTool {
    registry: String,
    package: String,
    version: String,
    resolved: String,
    #[serde(default)]
    hashes: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawImage {
    reference: String,
    #[serde(flatten)]
    entry: Entry,
}

impl Lock {
    pub fn get(&self, reference: &str) -> Option<&Entry> {
        self.images.get(reference)
    }

    pub fn insert(&mut self, reference: String, entry: Entry) {
        self.images.insert(reference, entry);
    }

    pub fn remove(&mut self, reference: &str) -> Option<Entry> {
        self.images.remove(reference)
    }

    pub fn iter(&self) -> impl Iterator<Item = (&String, &Entry)> {
        self.images.iter()
    }

    pub fn len(&self) -> usize {
        self.images.len() + self.tools.len()
    }

    pub fn is_empty(&self) -> bool {
        self.images.is_empty() && self.tools.is_empty()
    }

    pub fn parse(text: &str) -> Result<Lock, ParseError> {
        let raw: Raw = toml::from_str(text).map_err(|e| ParseError {
            message: e.message().to_string(),
            range: e.span(),
        })?;
        if raw.version != VERSION {
            return Err(ParseError {
                message: format!(
                    "lock file version {} is not one this imgspec reads (it reads {VERSION})",
                    raw.version
                ),
                range: None,
            });
        }
        let mut lock = Lock::default();
        for image in raw.image {
            if !is_digest(&image.entry.digest) {
                return Err(ParseError {
                    message: format!(
                        "`{}` has digest `{}`, not `sha256:` and 64 hexadecimal digits",
                        image.reference, image.entry.digest
                    ),
                    range: None,
                });
            }
            if lock
                .images
                .insert(image.reference.clone(), image.entry)
                .is_some()
            {
                return Err(ParseError {
                    message: format!("`{}` is locked twice", image.reference),
                    range: None,
                });
            }
        }
        for tool in raw.tool {
            let (key, entry) = tool_entry(tool)?;
            let name = key.to_string();
            if lock.tools.insert(key, entry).is_some() {
                return Err(ParseError {
                    message: format!("`{name}` is locked twice"),
                    range: None,
                });
            }
        }
        Ok(lock)
    }

    pub fn tool(&self, key: &ToolKey) -> Option<&ToolEntry> {
        self.tools.get(key)
    }

    pub fn insert_tool(&mut self, key: ToolKey, entry: ToolEntry) {
        self.tools.insert(key, entry);
    }

    pub fn tools(&self) -> impl Iterator<Item = (&ToolKey, &ToolEntry)> {
        self.tools.iter()
    }

    /// The file's text: a header, then the references in sorted order.
    pub fn render(&self) -> String {
        let mut out = String::new();
        out.push_str(
            "# imgspec.lock: the digest of every image and the release of every tool the specs use, written by `imgspec lock`.\n",
        );
        out.push_str("# `imgspec update` moves tags to their current digests and tools to the newest release of their series; CI runs `imgspec lock --check`.\n");
        let _ = writeln!(out, "version = {VERSION}");
        for (reference, entry) in &self.images {
            let platforms: Vec<String> = entry.platforms.iter().map(|p| quote(p)).collect();
            let _ = write!(
                out,
                "\n[[image]]\nreference = {}\ndigest = {}\nplatforms = [{}]\n",
                quote(reference),
                quote(&entry.digest),
                platforms.join(", ")
            );
        }
        for (key, entry) in &self.tools {
            let _ = write!(
                out,
                "\n[[tool]]\nregistry = {}\npackage = {}\nversion = {}\nresolved = {}\n",
                quote(key.registry.name()),
                quote(&key.package),
                quote(&key.version),
                quote(&entry.resolved),
            );
            if entry.hashes.is_empty() {
                out.push_str("# The release has dependencies: installed by version, without hashes.\nhashes = []\n");
            } else {
                out.push_str("hashes = [\n");
                for hash in &entry.hashes {
                    let _ = writeln!(out, "  {},", quote(hash));
                }
                out.push_str("]\n");
            }
        }
        out
    }
}

/// A `[[tool]]` table checked: names and versions as a spec may write
/// them, hashes well-formed (they reach a shell command).
fn tool_entry(raw: RawTool) -> Result<(ToolKey, ToolEntry), ParseError> {
    let fail = |message: String| ParseError {
        message,
        range: None,
    };
    let registry = ToolRegistry::from_name(&raw.registry).ok_or_else(|| {
        fail(format!(
            "tool registry `{}` is not `pypi` or `npm`",
            raw.registry
        ))
    })?;
    if !crate::tools::valid_package(registry, &raw.package) {
        return Err(fail(format!(
            "`{}` is not a {} package name",
            raw.package,
            registry.name()
        )));
    }
    for version in [&raw.version, &raw.resolved] {
        if !crate::tools::valid_version(version) {
            return Err(fail(format!(
                "`{}` of `{}` is not a version",
                version, raw.package
            )));
        }
    }
    if !crate::tools::in_series(&raw.resolved, &raw.version) {
        return Err(fail(format!(
            "`{}` resolved to `{}`, which is not in its series `{}`",
            raw.package, raw.resolved, raw.version
        )));
    }
    if let Some(bad) = raw.hashes.iter().find(|h| !is_file_hash(h)) {
        return Err(fail(format!(
            "`{}` has hash `{bad}`, not `sha256:` and 64 or `sha512:` and 128 hexadecimal digits",
            raw.package
        )));
    }
    let mut hashes = raw.hashes;
    hashes.sort();
    hashes.dedup();
    Ok((
        ToolKey {
            registry,
            package: raw.package,
            version: raw.version,
        },
        ToolEntry {
            resolved: raw.resolved,
            hashes,
        },
    ))
}

/// `sha256:` and 64, or `sha512:` and 128, lower-case hexadecimal digits.
pub fn is_file_hash(text: &str) -> bool {
    let hex = |h: &str, len: usize| {
        h.len() == len
            && h.bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
    };
    text.strip_prefix("sha256:").is_some_and(|h| hex(h, 64))
        || text.strip_prefix("sha512:").is_some_and(|h| hex(h, 128))
}

/// The text of the lock file of the project at `root`, or `None` when it
/// has none. A regular file of at most 1 MiB, as specs are.
pub fn read(root: &std::path::Path) -> Result<Option<String>, crate::fs::FileError> {
    let path = root.join(LOCK_FILE);
    match std::fs::symlink_metadata(&path) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        _ => crate::fs::read_regular(&path, crate::fs::SPEC_LIMIT).map(Some),
    }
}

/// `sha256:` and 64 lower-case hexadecimal digits.
pub fn is_digest(text: &str) -> bool {
    text.strip_prefix("sha256:").is_some_and(|hex| {
        hex.len() == 64
            && hex
                .bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
    })
}

/// A TOML basic string. References, digests and platforms are plain
/// characters, but nothing unescaped is ever written.
fn quote(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if c.is_control() => {
                let _ = write!(out, "\\u{:04X}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn digest(c: char) -> String {
        format!("sha256:{}", c.to_string().repeat(64))
    }

    #[test]
    fn what_is_written_reads_back_the_same() {
        let mut lock = Lock::default();
        lock.insert(
            "python:3.12-slim-bookworm".into(),
            Entry {
                digest: digest('a'),
                platforms: vec!["linux/amd64".into(), "linux/arm64".into()],
            },
        );
        lock.insert(
            "debian:bookworm-slim".into(),
            Entry {
                digest: digest('b'),
                platforms: vec![],
            },
        );
        let text = lock.render();
        assert!(
            text.find("debian:bookworm-slim") < text.find("python:3.12"),
            "{text}"
        );
        assert_eq!(Lock::parse(&text), Ok(lock));
    }

    #[test]
    fn a_broken_file_is_refused_with_where() {
        let err = Lock::parse("version = 1\n[[image]]\nreference = \"a:1\"\n").unwrap_err();
        assert!(err.message.contains("digest"), "{err:?}");
        let err = Lock::parse("version = 2\n").unwrap_err();
        assert!(err.message.contains("version 2"), "{err:?}");
        let text = format!("version = 1\n[[image]]\nreference = \"a:1\"\ndigest = \"{}\"\n[[image]]\nreference = \"a:1\"\ndigest = \"{}\"\n", digest('c'), digest('d'));
        assert!(Lock::parse(&text).unwrap_err().message.contains("twice"));
        assert!(Lock::parse(
            "version = 1\n[[image]]\nreference = \"a:1\"\ndigest = \"sha256:xyz\"\n"
        )
        .is_err());
    }
}
