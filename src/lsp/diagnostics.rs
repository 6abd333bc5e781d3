//! Diagnostics as the user types: a document's compilation turned into
//! `textDocument/publishDiagnostics` per file, with the compiler's codes,
//! messages, severities, labels (as related information) and help.

use std::collections::BTreeMap;

use lsp_types::{
    DiagnosticRelatedInformation, DiagnosticSeverity, Location, NumberOrString, Range, Uri,
};

use super::documents::{Compiled, LineIndex};
use crate::diagnostic::{Code, Diagnostic, Severity};
use crate::source::Span;

/// The diagnostics of one compilation, by the URI of the file each is in.
pub fn by_file(compiled: &Compiled) -> BTreeMap<String, Vec<lsp_types::Diagnostic>> {
    let sources = &compiled.compilation.sources;
    let files: Vec<(&str, LineIndex)> = sources
        .files()
        .map(|(_, f)| (f.text.as_str(), LineIndex::new(&f.text)))
        .collect();
    let locate = |span: Span| -> Option<(String, Range)> {
        let index = span.file.0 as usize;
        let uri = compiled.uris.get(index)?;
        let (text, lines) = files.get(index)?;
        let range = Range::new(
            lines.position(text, span.start as usize),
            lines.position(text, span.end as usize),
        );
        Some((uri.clone(), range))
    };
    let mut out: BTreeMap<String, Vec<lsp_types::Diagnostic>> = BTreeMap::new();
    // A module opened on its own defines no image, and is not meant to:
    // it is imported with `use`. The command line reports that (E0016)
    // when asked to compile one; an editor showing it would be noise.
    let module_only = compiled
        .compilation
        .sources
        .files()
        .next()
        .is_some_and(|(_, f)| !super::symbols::outline(&f.text).defs.is_empty());
    for d in compiled.compilation.diagnostics.sorted() {
        if d.code == Code::NoImages && module_only {
            continue;
        }
        let Some((uri, range)) = locate(d.primary_span()) else {
            continue;
        };
        out.entry(uri).or_default().push(convert(d, range, &locate));
    }
    out
}

fn convert(
    d: &Diagnostic,
    range: Range,
    locate: &dyn Fn(Span) -> Option<(String, Range)>,
) -> lsp_types::Diagnostic {
    let mut message = d.message.clone();
    for note in &d.notes {
        message.push_str(&format!("\nnote: {note}"));
    }
    if let Some(help) = &d.help {
        message.push_str(&format!("\nhelp: {help}"));
    }
    let related: Vec<DiagnosticRelatedInformation> = d
        .labels
        .iter()
        .filter(|l| !l.message.is_empty())
        .filter_map(|l| {
            let (uri, range) = locate(l.span)?;
            Some(DiagnosticRelatedInformation {
                location: Location::new(uri.parse::<Uri>().ok()?, range),
                message: l.message.clone(),
            })
        })
        .collect();
    lsp_types::Diagnostic {
        range,
        severity: Some(match d.severity {
            Severity::Error => DiagnosticSeverity::ERROR,
            Severity::Warning => DiagnosticSeverity::WARNING,
        }),
        code: Some(NumberOrString::String(d.code.as_str().to_string())),
        source: Some("imgspec".to_string()),
        message,
        related_information: (!related.is_empty()).then_some(related),
        ..lsp_types::Diagnostic::default()
    }
}

/// What has been published: each compiled document's diagnostics by file,
/// so that a file's list is the union over the open documents that reach
/// it, and a file whose problems are gone is sent an empty list.
#[derive(Default)]
pub struct Published {
    by_root: BTreeMap<String, BTreeMap<String, Vec<lsp_types::Diagnostic>>>,
}

impl Published {
    /// Records `root`'s new diagnostics; returns every file whose list may
    /// have changed, with its list now.
    pub fn update(
        &mut self,
        root: &str,
        files: BTreeMap<String, Vec<lsp_types::Diagnostic>>,
    ) -> Vec<(String, Vec<lsp_types::Diagnostic>)> {
        let mut touched: Vec<String> = files.keys().cloned().collect();
        touched.push(root.to_string());
        if let Some(old) = self.by_root.insert(root.to_string(), files) {
            touched.extend(old.into_keys());
        }
        self.collect(touched)
    }

    /// Forgets `root` (closed): its files' lists without its share.
    pub fn remove(&mut self, root: &str) -> Vec<(String, Vec<lsp_types::Diagnostic>)> {
        let mut touched = vec![root.to_string()];
        if let Some(old) = self.by_root.remove(root) {
            touched.extend(old.into_keys());
        }
        self.collect(touched)
    }

    fn collect(&self, mut touched: Vec<String>) -> Vec<(String, Vec<lsp_types::Diagnostic>)> {
        touched.sort();
        touched.dedup();
        touched
            .into_iter()
            // Standard modules are not the user's to fix, nor on disk.
            .filter(|uri| !uri.starts_with(super::documents::STD_SCHEME))
            .map(|uri| {
                // The same problem reached from two open documents is
                // listed once.
                let mut seen = std::collections::HashSet::new();
                let all = self
                    .by_root
                    .values()
                    .filter_map(|files| files.get(&uri))
                    .flatten()
                    .filter(|d| seen.insert(serde_json::to_string(d).unwrap_or_default()))
                    .cloned()
                    .collect();
                (uri, all)
            })
            .collect()
    }
}
