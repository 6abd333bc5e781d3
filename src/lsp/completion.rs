//! `textDocument/completion`: field names of the block at the cursor,
//! standard modules after `use std.`, a module's definitions after
//! `module.`, a call's parameters inside its parentheses, and the names
//! visible where a value goes.

use lsp_types::{
    CompletionItem, CompletionItemKind, Documentation, MarkupContent, MarkupKind, Position,
};

use super::context::{self, Place};
use super::documents::Documents;
use super::schema::{self, BlockKind};
use super::symbols::{self, DefEntry};
use crate::syntax::ast::DefKind;

pub fn complete(documents: &Documents, uri: &str, position: Position) -> Vec<CompletionItem> {
    let Some(document) = documents.get(uri) else {
        return Vec::new();
    };
    let text = &document.text;
    let offset = document.offset(position);
    match context::at(text, offset) {
        Place::UseStd { prefix } => crate::stdlib::names()
            .filter(|name| name.starts_with(&prefix))
            .map(|name| {
                let doc = crate::stdlib::module(name)
                    .map(symbols::module_doc)
                    .unwrap_or_default();
                item(name, CompletionItemKind::MODULE, format!("std.{name}"), doc)
            })
            .collect(),
        Place::Member { module, prefix } => {
            let outline = symbols::outline(text);
            let Some(module) = symbols::imported(documents, uri, &outline, &module) else {
                return Vec::new();
            };
            symbols::outline(&module.text)
                .defs
                .iter()
                .filter(|d| d.kind != DefKind::Image && d.name.starts_with(&prefix))
                .map(|d| definition(d, &module.display))
                .collect()
        }
        Place::Field {
            block,
            prefix,
            present,
        } => {
            let block = match block {
                BlockKind::Adjust(callee) => adjusted(documents, uri, text, &callee),
                other => other,
            };
            schema::fields(&block)
                .iter()
                .filter(|f| f.name.starts_with(&prefix) && !present.contains(&f.name))
                .map(|f| {
                    item(
                        &f.name,
                        CompletionItemKind::FIELD,
                        f.ty.clone(),
                        f.markdown(),
                    )
                })
                .collect()
        }
        Place::Arg {
            callee,
            prefix,
            written,
        } => {
            let Some(found) = symbols::find(documents, uri, text, &callee) else {
                return Vec::new();
            };
            found
                .def
                .params
                .iter()
                .filter(|p| p.name.starts_with(&prefix) && !written.contains(&p.name))
                .map(|p| {
                    let mut item = item(
                        &format!("{}:", p.name),
                        CompletionItemKind::VARIABLE,
                        p.text.clone(),
                        found.def.markdown(&found.module.display),
                    );
                    item.filter_text = Some(p.name.clone());
                    item.insert_text = Some(format!("{}: ", p.name));
                    item
                })
                .collect()
        }
        Place::FieldValue { block, key, prefix } => {
            let block = match block {
                BlockKind::Adjust(callee) => adjusted(documents, uri, text, &callee),
                other => other,
            };
            let mut items: Vec<CompletionItem> = schema::find(&block, &key)
                .map(|field| {
                    schema::words(&field.ty)
                        .into_iter()
                        .filter(|w| w.starts_with(&prefix))
                        .map(|w| {
                            item(
                                &w,
                                CompletionItemKind::ENUM_MEMBER,
                                field.ty.clone(),
                                String::new(),
                            )
                        })
                        .collect()
                })
                .unwrap_or_default();
            items.extend(values(text, uri, &prefix));
            items
        }
        Place::Value { prefix, .. } => values(text, uri, &prefix),
        Place::TopLevel { prefix } => ["use", "image", "template", "base", "ecosystem"]
            .into_iter()
            .filter(|k| k.starts_with(&prefix))
            .map(|k| item(k, CompletionItemKind::KEYWORD, String::new(), String::new()))
            .collect(),
        Place::Other => Vec::new(),
    }
}

/// The definitions and modules in scope where a value goes.
fn values(text: &str, uri: &str, prefix: &str) -> Vec<CompletionItem> {
    let outline = symbols::outline(text);
    let display = Documents::spec_path(uri)
        .file_name()
        .map_or_else(String::new, |n| n.to_string_lossy().into_owned());
    let definitions = outline
        .defs
        .iter()
        .filter(|d| d.kind != DefKind::Image && d.name.starts_with(prefix))
        .map(|d| definition(d, &display));
    let modules = outline
        .uses
        .iter()
        .filter(|u| u.binding.starts_with(prefix))
        .map(|u| {
            let detail = match &u.target {
                symbols::Target::Std(name) => format!("std.{name}"),
                symbols::Target::File(file) => format!("\"{file}\""),
            };
            item(
                &u.binding,
                CompletionItemKind::MODULE,
                detail,
                String::new(),
            )
        });
    definitions.chain(modules).collect()
}

/// The kind of block an adjust block after a call to `callee` is: that of
/// what the callee defines.
fn adjusted(documents: &Documents, uri: &str, text: &str, callee: &str) -> BlockKind {
    match symbols::find(documents, uri, text, callee).map(|f| f.def.kind) {
        Some(DefKind::Base) => BlockKind::Base,
        Some(DefKind::Ecosystem) => BlockKind::Ecosystem,
        Some(DefKind::Template | DefKind::Image) => BlockKind::Image,
        None => BlockKind::Free,
    }
}

fn definition(d: &DefEntry, module: &str) -> CompletionItem {
    let kind = match d.kind {
        DefKind::Base => CompletionItemKind::CLASS,
        DefKind::Ecosystem => CompletionItemKind::MODULE,
        DefKind::Template | DefKind::Image => CompletionItemKind::FUNCTION,
    };
    item(&d.name, kind, d.signature(), d.markdown(module))
}

fn item(label: &str, kind: CompletionItemKind, detail: String, doc: String) -> CompletionItem {
    CompletionItem {
        label: label.to_string(),
        kind: Some(kind),
        detail: (!detail.is_empty()).then_some(detail),
        documentation: (!doc.is_empty()).then_some(Documentation::MarkupContent(MarkupContent {
            kind: MarkupKind::Markdown,
            value: doc,
        })),
        ..CompletionItem::default()
    }
}
