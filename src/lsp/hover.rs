//! `textDocument/hover`: the `///` documentation and signature of a
//! definition (on its name or a call of it), of a parameter (on an
//! argument name), of a field (from the language reference) and of a
//! module (on a `use` or a module name).

use lsp_types::{Hover, HoverContents, MarkupContent, MarkupKind, Position, Range};

use super::context;
use super::documents::{Documents, LineIndex};
use super::schema::{self, BlockKind};
use super::symbols::{self, Target};
use crate::syntax::ast::DefKind;

pub fn hover(documents: &Documents, uri: &str, position: Position) -> Option<Hover> {
    let text = documents.text(uri)?;
    let lines = LineIndex::new(&text);
    let offset = lines.offset(&text, position);
    let (word, range) = context::word_at(&text, offset)?;
    let markdown = describe(documents, uri, &text, offset, &word, range.clone())?;
    Some(Hover {
        contents: HoverContents::Markup(MarkupContent {
            kind: MarkupKind::Markdown,
            value: markdown,
        }),
        range: Some(Range::new(
            lines.position(&text, range.start),
            lines.position(&text, range.end),
        )),
    })
}

fn describe(
    documents: &Documents,
    uri: &str,
    text: &str,
    offset: usize,
    word: &str,
    range: std::ops::Range<usize>,
) -> Option<String> {
    let outline = symbols::outline(text);
    // `use std.python`: the module.
    if let Some(entry) = outline
        .uses
        .iter()
        .find(|u| u.target_range.contains(&offset))
    {
        return Some(module_markdown(documents, uri, &entry.target));
    }
    if let Some(callee) = context::arg_at(text, range.start, range.end) {
        let found = symbols::find(documents, uri, text, &callee)?;
        let param = found.def.params.iter().find(|p| p.name == word)?;
        return Some(format!(
            "```imgspec\n{}\n```\nparameter of `{}`\n\n{}",
            param.text,
            found.def.signature(),
            found.def.docs.trim()
        ));
    }
    if let Some(block) = context::field_at(text, range.start, range.end) {
        let block = match block {
            BlockKind::Adjust(callee) => {
                match symbols::find(documents, uri, text, &callee)?.def.kind {
                    DefKind::Base => BlockKind::Base,
                    DefKind::Ecosystem => BlockKind::Ecosystem,
                    DefKind::Template | DefKind::Image => BlockKind::Image,
                }
            }
            other => other,
        };
        return schema::find(&block, word).map(|f| f.markdown());
    }
    if let Some((alias, _)) = word.split_once('.') {
        if offset <= range.start + alias.len() {
            let entry = outline.import(alias)?;
            return Some(module_markdown(documents, uri, &entry.target));
        }
    }
    let found = symbols::find(documents, uri, text, word)?;
    Some(found.def.markdown(&found.module.display))
}

fn module_markdown(documents: &Documents, uri: &str, target: &Target) -> String {
    match target {
        Target::Std(name) => {
            let doc = crate::stdlib::module(name)
                .map(symbols::module_doc)
                .unwrap_or_default();
            format!("module `std.{name}` (built in)\n\n{doc}")
        }
        Target::File(file) => {
            let doc = symbols::module(documents, &Documents::spec_path(uri), target)
                .map(|m| symbols::module_doc(&m.text))
                .unwrap_or_default();
            format!("module `\"{file}\"`\n\n{doc}")
        }
    }
}
