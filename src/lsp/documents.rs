//! Open editor buffers, the loader that reads them before the disk, URIs
//! and the line index that turns byte offsets into the UTF-16 positions
//! the protocol speaks.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use lsp_types::Position;

use crate::compile::{compile, Compilation, Options};
use crate::fs::{is_spec_name, FileError, Project};
use crate::loader::{normalize, ContextEntry, FsLoader, Loader};

/// The scheme of the standard modules, served as virtual documents
/// (`imgspec-std:/python.imgspec`): they have no file on disk.
pub const STD_SCHEME: &str = "imgspec-std:";

/// The URI of standard module `name`.
pub fn std_uri(name: &str) -> String {
    format!("{STD_SCHEME}/{name}.imgspec")
}

/// The standard module a URI names, if it is one of ours.
pub fn std_module(uri: &str) -> Option<&'static str> {
    let rest = uri.strip_prefix(STD_SCHEME)?.trim_start_matches('/');
    let name = rest.strip_suffix(".imgspec").unwrap_or(rest);
    crate::stdlib::names().find(|n| *n == name)
}

/// The file a `file:` URI names (percent-decoded), or `None` for any
/// other scheme.
pub fn uri_to_path(uri: &str) -> Option<PathBuf> {
    let rest = uri.strip_prefix("file://")?;
    // `file:///p` and `file://localhost/p`; other hosts are not ours.
    let rest = rest.strip_prefix("localhost").unwrap_or(rest);
    if !rest.starts_with('/') {
        return None;
    }
    let decoded = percent_decode(rest)?;
    let path = PathBuf::from(decoded);
    path.is_absolute().then(|| normalize(&path))
}

/// The `file:` URI of an absolute path.
pub fn path_to_uri(path: &Path) -> String {
    let mut out = String::from("file://");
    for byte in path.to_string_lossy().bytes() {
        match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'/' | b'-' | b'_' | b'.' | b'~' => {
                out.push(byte as char)
            }
            _ => out.push_str(&format!("%{byte:02X}")),
        }
    }
    out
}

fn percent_decode(text: &str) -> Option<String> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = text.get(i + 1..i + 3)?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

/// Byte offsets of line starts, for conversions between byte offsets and
/// LSP positions (line, UTF-16 code units).
#[derive(Debug, Clone)]
pub struct LineIndex {
    starts: Vec<usize>,
}

impl LineIndex {
    pub fn new(text: &str) -> LineIndex {
        LineIndex {
            starts: std::iter::once(0)
                .chain(text.match_indices('\n').map(|(i, _)| i + 1))
                .collect(),
        }
    }

    pub fn position(&self, text: &str, offset: usize) -> Position {
        let mut offset = offset.min(text.len());
        while !text.is_char_boundary(offset) {
            offset -= 1;
        }
        let line = self.starts.partition_point(|&s| s <= offset).max(1) - 1;
        let start = self.starts[line];
        let character: usize = text[start..offset].chars().map(char::len_utf16).sum();
        Position::new(line as u32, character as u32)
    }

    /// The byte offset of `position`, clamped to the line and the text: a
    /// client's position past the end is not an error.
    pub fn offset(&self, text: &str, position: Position) -> usize {
        let Some(&start) = self.starts.get(position.line as usize) else {
            return text.len();
        };
        let end = self
            .starts
            .get(position.line as usize + 1)
            .map_or(text.len(), |&next| next - 1);
        let mut units = 0usize;
        for (i, c) in text[start..end].char_indices() {
            if units >= position.character as usize {
                return start + i;
            }
            units += c.len_utf16();
        }
        end
    }
}

/// One open buffer.
#[derive(Debug, Clone)]
pub struct Document {
    pub text: String,
    pub version: i32,
    pub lines: LineIndex,
}

impl Document {
    pub fn new(text: String, version: i32) -> Document {
        let lines = LineIndex::new(&text);
        Document {
            text,
            version,
            lines,
        }
    }

    pub fn offset(&self, position: Position) -> usize {
        self.lines.offset(&self.text, position)
    }

    pub fn position(&self, offset: usize) -> Position {
        self.lines.position(&self.text, offset)
    }
}

/// Every open buffer, by URI.
#[derive(Default)]
pub struct Documents {
    open: HashMap<String, Document>,
    /// `--root`: the project of every document; by default each one's is
    /// found as the command line finds a spec's.
    root: Option<PathBuf>,
}

/// A document compiled: what the compiler saw and where each of its files
/// lives, for mapping diagnostics back to URIs.
pub struct Compiled {
    pub compilation: Compilation,
    /// The URI of each file of `compilation.sources`, by file id.
    pub uris: Vec<String>,
    /// The spec files (not the standard modules) it read, for recompiling
    /// it when one of them changes.
    pub files: Vec<PathBuf>,
}

impl Documents {
    pub fn new(root: Option<PathBuf>) -> Documents {
        Documents {
            open: HashMap::new(),
            root,
        }
    }

    pub fn get(&self, uri: &str) -> Option<&Document> {
        self.open.get(uri)
    }

    pub fn set(&mut self, uri: String, document: Document) {
        self.open.insert(uri, document);
    }

    pub fn remove(&mut self, uri: &str) {
        self.open.remove(uri);
    }

    /// The text at `uri`: the open buffer, a standard module, or a spec
    /// file of the document's project on disk.
    pub fn text(&self, uri: &str) -> Option<String> {
        if let Some(document) = self.open.get(uri) {
            return Some(document.text.clone());
        }
        if let Some(name) = std_module(uri) {
            return crate::stdlib::module(name).map(str::to_string);
        }
        let path = uri_to_path(uri)?;
        self.loader_for(&path, None).read(&path).ok()
    }

    /// The path a document compiles under: its own for a `file:` URI,
    /// else a made-up one (an untitled buffer has no place on disk, and
    /// imports from it find nothing).
    pub fn spec_path(uri: &str) -> PathBuf {
        if let Some(path) = uri_to_path(uri) {
            return path;
        }
        let name: String = uri
            .rsplit(['/', ':'])
            .next()
            .unwrap_or("untitled")
            .chars()
            .map(|c| {
                if c.is_alphanumeric() || c == '-' || c == '_' {
                    c
                } else {
                    '_'
                }
            })
            .collect();
        let name = name.strip_suffix("_imgspec").unwrap_or(&name).to_string();
        PathBuf::from("/").join(format!(
            "{}.imgspec",
            if name.is_empty() { "untitled" } else { &name }
        ))
    }

    /// A loader for compiling the spec at `path`: open buffers first, then
    /// the file system, both inside the spec's project only. `root` is the
    /// document itself when it has no file (an untitled buffer).
    pub fn loader_for<'a>(&'a self, path: &Path, root: Option<(&Path, &'a str)>) -> Overlay<'a> {
        let project = uri_is_file(path)
            .then(|| Project::find(self.root.as_deref(), path).ok())
            .flatten();
        Overlay {
            documents: self,
            root: root.map(|(p, text)| (normalize(p), text)),
            fs: project.clone().map(FsLoader::new),
            project,
        }
    }

    /// Compiles the document at `uri` as `imgspec check` would, reading
    /// its imports through [`Overlay`]. `None` when it is not open.
    pub fn compile(&self, uri: &str) -> Option<Compiled> {
        let document = self.open.get(uri)?;
        let path = Documents::spec_path(uri);
        let loader = self.loader_for(&path, Some((&path, &document.text)));
        let lock = loader.project.as_ref().and_then(|project| {
            crate::lock::file::read(project.root())
                .ok()
                .flatten()
                .map(|text| (crate::lock::LOCK_FILE.to_string(), text))
        });
        let options = Options {
            frontend: None,
            lock,
        };
        // The root is in the overlay, so reading it cannot fail; should it,
        // there is nothing to report against.
        let compilation = compile(&loader, &path, &options).ok()?;
        let root_name = path.display().to_string();
        let project_root = loader.project.as_ref().map(|p| p.root().to_path_buf());
        let mut files = Vec::new();
        let uris = compilation
            .sources
            .files()
            .map(|(_, file)| {
                if file.name == root_name {
                    return uri.to_string();
                }
                if let Some(name) = file.name.strip_prefix("std.") {
                    if crate::stdlib::module(name).is_some() {
                        return std_uri(name);
                    }
                }
                let named = Path::new(&file.name);
                let path = if named.is_absolute() {
                    named.to_path_buf()
                } else if let Some(root) = &project_root {
                    root.join(named)
                } else {
                    return uri.to_string();
                };
                if is_spec_name(&path) {
                    files.push(path.clone());
                }
                path_to_uri(&path)
            })
            .collect();
        Some(Compiled {
            compilation,
            uris,
            files,
        })
    }
}

fn uri_is_file(path: &Path) -> bool {
    // Made-up paths of untitled buffers lie in the root directory, where
    // no project is looked for.
    path.parent().is_some_and(|p| p != Path::new("/"))
}

/// Reads open buffers before the disk; like [`FsLoader`], only specs
/// inside the project.
pub struct Overlay<'a> {
    documents: &'a Documents,
    root: Option<(PathBuf, &'a str)>,
    fs: Option<FsLoader>,
    pub project: Option<Project>,
}

impl Loader for Overlay<'_> {
    fn read(&self, path: &Path) -> Result<String, FileError> {
        let normal = normalize(path);
        // The buffer being compiled is read whatever its name: the editor
        // says it is a spec.
        if let Some((root, text)) = &self.root {
            if *root == normal {
                return Ok(text.to_string());
            }
        }
        if !is_spec_name(path) {
            return Err(FileError::NotASpec);
        }
        let (Some(project), Some(fs)) = (&self.project, &self.fs) else {
            return Err(FileError::NotFound);
        };
        if let Some(document) = self.documents.open.get(&path_to_uri(&normal)) {
            let real = project.resolve(&normal)?;
            if !is_spec_name(&real) {
                return Err(FileError::NotASpec);
            }
            return Ok(document.text.clone());
        }
        fs.read(path)
    }

    fn context_entry(&self, dir: &Path, path: &str) -> Option<ContextEntry> {
        self.fs.as_ref()?.context_entry(dir, path)
    }

    fn context_glob(&self, dir: &Path, pattern: &str) -> Option<Vec<String>> {
        self.fs.as_ref()?.context_glob(dir, pattern)
    }

    fn context_read(&self, dir: &Path, path: &str) -> Option<String> {
        self.fs.as_ref()?.context_read(dir, path)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_count_utf16_units() {
        let text = "a = \"é😀\" x\nsecond";
        let lines = LineIndex::new(text);
        let x = text.find('x').unwrap_or_default();
        // `é` is one unit, the emoji two.
        assert_eq!(lines.position(text, x), Position::new(0, 10));
        assert_eq!(lines.offset(text, Position::new(0, 10)), x);
        assert_eq!(lines.offset(text, Position::new(1, 3)), text.len() - 3);
        assert_eq!(
            lines.offset(text, Position::new(0, 99)),
            text.find('\n').unwrap_or_default()
        );
        assert_eq!(lines.offset(text, Position::new(9, 0)), text.len());
    }

    #[test]
    fn file_uris_round_trip() {
        let path = Path::new("/srv/a dir/é.imgspec");
        let uri = path_to_uri(path);
        assert_eq!(uri, "file:///srv/a%20dir/%C3%A9.imgspec");
        assert_eq!(uri_to_path(&uri).as_deref(), Some(path));
        assert_eq!(uri_to_path("untitled:Untitled-1"), None);
        assert_eq!(std_module(&std_uri("python")), Some("python"));
    }
}
