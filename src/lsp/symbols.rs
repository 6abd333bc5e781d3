//! What a module declares, for completion, hover and go to definition:
//! its `use` lines and its definitions with their documentation and
//! parameters. Read from the syntax tree when the text parses, and from
//! the lines of the text when it does not (the buffer being typed in).

use std::ops::Range;
use std::path::{Path, PathBuf};

use crate::diagnostic::Diagnostics;
use crate::loader::normalize;
use crate::source::FileId;
use crate::syntax::{self, ast};

use super::documents::{path_to_uri, std_uri, Documents};

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// `use std.NAME`
    Std(String),
    /// `use "./file.imgspec"`, as written.
    File(String),
}

#[derive(Debug, Clone)]
pub struct UseEntry {
    pub binding: String,
    pub target: Target,
    /// The module path or the string, quotes included.
    pub target_range: Range<usize>,
}

#[derive(Debug, Clone)]
pub struct ParamEntry {
    pub name: String,
    /// `name: type = default`, as written.
    pub text: String,
}

#[derive(Debug, Clone)]
pub struct DefEntry {
    pub kind: ast::DefKind,
    pub name: String,
    pub name_range: Range<usize>,
    pub docs: String,
    pub params: Vec<ParamEntry>,
}

impl DefEntry {
    /// `base slim(version: string = "3.12", ...)`
    pub fn signature(&self) -> String {
        let params: Vec<&str> = self.params.iter().map(|p| p.text.as_str()).collect();
        if params.is_empty() {
            format!("{} {}", self.kind.keyword(), self.name)
        } else {
            format!(
                "{} {}({})",
                self.kind.keyword(),
                self.name,
                params.join(", ")
            )
        }
    }

    /// Markdown: the signature, then the `///` documentation.
    pub fn markdown(&self, module: &str) -> String {
        let mut out = format!("```imgspec\n{}\n```\n", self.signature());
        out.push_str(&format!("*in `{module}`*"));
        if !self.docs.trim().is_empty() {
            out.push_str("\n\n");
            out.push_str(self.docs.trim());
        }
        out
    }
}

#[derive(Debug, Clone, Default)]
pub struct Outline {
    pub uses: Vec<UseEntry>,
    pub defs: Vec<DefEntry>,
}

impl Outline {
    pub fn def(&self, name: &str) -> Option<&DefEntry> {
        self.defs.iter().find(|d| d.name == name)
    }

    pub fn import(&self, binding: &str) -> Option<&UseEntry> {
        self.uses.iter().find(|u| u.binding == binding)
    }
}

/// The outline of a module's text.
pub fn outline(text: &str) -> Outline {
    let mut ignored = Diagnostics::default();
    match syntax::parse(FileId(0), text, &mut ignored) {
        Some(module) => from_ast(text, &module),
        None => from_lines(text),
    }
}

fn from_ast(text: &str, module: &ast::Module) -> Outline {
    let slice = |r: Range<usize>| text.get(r).unwrap_or_default().to_string();
    let uses = module
        .uses
        .iter()
        .filter_map(|u| {
            Some(UseEntry {
                binding: u.binding.as_ref()?.name.clone(),
                target: match &u.target {
                    ast::UseTarget::Std(path) => {
                        Target::Std(path.strip_prefix("std.").unwrap_or(path).to_string())
                    }
                    ast::UseTarget::File(file) => Target::File(file.clone()),
                },
                target_range: u.target_span.range(),
            })
        })
        .collect();
    let defs = module
        .definitions
        .iter()
        .map(|d| DefEntry {
            kind: d.kind,
            name: d.name.name.clone(),
            name_range: d.name.span.range(),
            docs: docs_before(text, d.head_span.start as usize),
            params: d
                .params
                .iter()
                .map(|p| ParamEntry {
                    name: p.name.name.clone(),
                    text: slice(p.span.range()),
                })
                .collect(),
        })
        .collect();
    Outline { uses, defs }
}

/// The `///` lines right above `offset` (a blank line ends them: the
/// paragraph above that documents the module, not this definition).
fn docs_before(text: &str, offset: usize) -> String {
    let head = text.get(..offset).unwrap_or_default();
    let head = &head[..head.rfind('\n').map_or(0, |i| i + 1)];
    let mut lines: Vec<&str> = head
        .lines()
        .rev()
        .map_while(|l| l.trim_start().strip_prefix("///"))
        .map(|l| l.strip_prefix(' ').unwrap_or(l).trim_end())
        .collect();
    lines.reverse();
    lines.join("\n")
}

/// A line-by-line reading for text that does not parse: `use` lines and
/// definition headers that start a line.
fn from_lines(text: &str) -> Outline {
    let mut outline = Outline::default();
    let mut docs: Vec<&str> = Vec::new();
    let mut offset = 0;
    for line in text.split_inclusive('\n') {
        let start = offset;
        offset += line.len();
        let trimmed = line.trim_start();
        let indent = line.len() - trimmed.len();
        if let Some(doc) = trimmed.strip_prefix("///") {
            docs.push(doc.strip_prefix(' ').unwrap_or(doc).trim_end());
            continue;
        }
        let taken = std::mem::take(&mut docs);
        let mut words = trimmed.split_whitespace();
        let Some(keyword) = words.next() else {
            continue;
        };
        if keyword == "use" {
            if let Some(entry) = use_line(trimmed, start + indent) {
                outline.uses.push(entry);
            }
            continue;
        }
        let kind = match keyword {
            "base" => ast::DefKind::Base,
            "ecosystem" => ast::DefKind::Ecosystem,
            "template" => ast::DefKind::Template,
            "image" => ast::DefKind::Image,
            _ => continue,
        };
        let rest = &trimmed[keyword.len()..];
        let name_start = rest.len() - rest.trim_start().len();
        let name: String = rest[name_start..]
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_' || *c == '-')
            .collect();
        if name.is_empty() {
            continue;
        }
        let name_offset = start + indent + keyword.len() + name_start;
        let after = &text[name_offset + name.len()..];
        let params = if after.trim_start().starts_with('(') {
            let open = name_offset + name.len() + (after.len() - after.trim_start().len());
            header_params(text, open)
        } else {
            Vec::new()
        };
        outline.defs.push(DefEntry {
            kind,
            name_range: name_offset..name_offset + name.len(),
            name,
            docs: taken.join("\n"),
            params,
        });
    }
    outline
}

/// `use std.NAME [as X]` or `use "PATH" as X`, on one line.
fn use_line(line: &str, start: usize) -> Option<UseEntry> {
    let rest = line.strip_prefix("use")?;
    let target_start = rest.len() - rest.trim_start().len() + 3;
    let rest = rest.trim_start();
    let (target, length, after) = if let Some(quoted) = rest.strip_prefix('"') {
        let end = quoted.find('"')?;
        (
            Target::File(quoted[..end].to_string()),
            end + 2,
            &quoted[end + 1..],
        )
    } else {
        let path: String = rest
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'))
            .collect();
        let name = path.strip_prefix("std.")?.to_string();
        (Target::Std(name), path.len(), &rest[path.len()..])
    };
    let alias = after
        .trim_start()
        .strip_prefix("as")
        .map(|a| {
            a.trim_start()
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-'))
                .collect::<String>()
        })
        .filter(|a| !a.is_empty());
    let binding = match (&target, alias) {
        (_, Some(alias)) => alias,
        (Target::Std(name), None) => name.rsplit('.').next().unwrap_or(name).to_string(),
        (Target::File(_), None) => return None,
    };
    Some(UseEntry {
        binding,
        target,
        target_range: start + target_start..start + target_start + length,
    })
}

/// The parameters of a header whose `(` is at `open`, split at top-level
/// commas (a default may hold a list or a string with commas).
fn header_params(text: &str, open: usize) -> Vec<ParamEntry> {
    let mut params = Vec::new();
    let mut depth = 0usize;
    let mut in_string = false;
    let mut escaped = false;
    let mut current = String::new();
    for c in text[open + 1..].chars() {
        if in_string {
            current.push(c);
            match (escaped, c) {
                (true, _) => escaped = false,
                (false, '\\') => escaped = true,
                (false, '"') => in_string = false,
                _ => {}
            }
            continue;
        }
        match c {
            '"' => {
                in_string = true;
                current.push(c);
            }
            '(' | '[' | '{' => {
                depth += 1;
                current.push(c);
            }
            ')' | ']' | '}' if depth == 0 => break,
            ')' | ']' | '}' => {
                depth -= 1;
                current.push(c);
            }
            ',' if depth == 0 => params.extend(param(&std::mem::take(&mut current))),
            _ => current.push(c),
        }
    }
    params.extend(param(&current));
    params
}

fn param(text: &str) -> Option<ParamEntry> {
    let text = text.split_whitespace().collect::<Vec<_>>().join(" ");
    let name: String = text
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-'))
        .collect();
    (!name.is_empty()).then_some(ParamEntry { name, text })
}

/// A module a document can see: its text and where it lives.
#[derive(Debug, Clone)]
pub struct Module {
    /// `std.python`, or the file's path as written in the `use`.
    pub display: String,
    pub uri: String,
    pub text: String,
}

/// The module that `target` names, imported from the document at
/// `importer` (a path for the relative file imports).
pub fn module(documents: &Documents, importer: &Path, target: &Target) -> Option<Module> {
    match target {
        Target::Std(name) => Some(Module {
            display: format!("std.{name}"),
            uri: std_uri(name),
            text: crate::stdlib::module(name)?.to_string(),
        }),
        Target::File(relative) => {
            let path = file_target(importer, relative);
            let uri = path_to_uri(&path);
            let text = documents.text(&uri)?;
            Some(Module {
                display: relative.clone(),
                uri,
                text,
            })
        }
    }
}

/// Where `use "relative"` in the spec at `importer` points.
pub fn file_target(importer: &Path, relative: &str) -> PathBuf {
    let base = importer.parent().unwrap_or(Path::new("/"));
    normalize(&base.join(relative))
}

/// A definition found from a name in a document.
pub struct Found {
    pub module: Module,
    pub def: DefEntry,
}

/// What `name` (`slim`, or `python.slim`) refers to in the document at
/// `uri` whose text is `text`.
pub fn find(documents: &Documents, uri: &str, text: &str, name: &str) -> Option<Found> {
    let outline = outline(text);
    match name.split_once('.') {
        None => {
            let def = outline.def(name)?.clone();
            let display = Documents::spec_path(uri)
                .file_name()
                .map_or_else(String::new, |n| n.to_string_lossy().into_owned());
            Some(Found {
                module: Module {
                    display,
                    uri: uri.to_string(),
                    text: text.to_string(),
                },
                def,
            })
        }
        Some((alias, member)) => {
            let module = imported(documents, uri, &outline, alias)?;
            let def = self::outline(&module.text).def(member)?.clone();
            Some(Found { module, def })
        }
    }
}

/// The module bound to `alias` in a document.
pub fn imported(
    documents: &Documents,
    uri: &str,
    outline: &Outline,
    alias: &str,
) -> Option<Module> {
    let entry = outline.import(alias)?;
    module(documents, &Documents::spec_path(uri), &entry.target)
}

/// The opening `///` paragraph of a module: what it is for.
pub fn module_doc(text: &str) -> String {
    text.lines()
        .map_while(|l| l.trim_start().strip_prefix("///"))
        .map(|l| l.strip_prefix(' ').unwrap_or(l))
        .collect::<Vec<_>>()
        .join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn broken_text_still_has_uses_and_headers() {
        let text = "use std.python\nuse \"./lib.imgspec\" as lib\n/// Docs.\nbase b(version: string = \"1, 2\", x: [string] = []) {\n  ref = \nimage app {\n  run {\n";
        let outline = outline(text);
        assert_eq!(outline.uses.len(), 2);
        assert_eq!(outline.uses[0].binding, "python");
        assert_eq!(&text[outline.uses[0].target_range.clone()], "std.python");
        assert_eq!(outline.uses[1].binding, "lib");
        assert_eq!(
            &text[outline.uses[1].target_range.clone()],
            "\"./lib.imgspec\""
        );
        let b = outline.def("b").expect("b");
        assert_eq!(b.docs, "Docs.");
        assert_eq!(b.params.len(), 2);
        assert_eq!(b.params[0].text, "version: string = \"1, 2\"");
        assert!(outline.def("app").is_some());
    }
}
