//! Diagnostics: our own types, with stable codes and spans. They are turned
//! into codespan-reporting diagnostics (or JSON) only when printed.

mod code;
mod render;
mod sarif;

pub use code::Code;
pub use render::{render_human, render_json, ColorChoice};
pub use sarif::render_sarif;

use crate::source::Span;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Warning,
    Error,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Label {
    pub span: Span,
    pub message: String,
    pub primary: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Diagnostic {
    pub code: Code,
    pub severity: Severity,
    pub message: String,
    pub labels: Vec<Label>,
    pub notes: Vec<String>,
    pub help: Option<String>,
}

impl Diagnostic {
    /// An error of kind `code` whose primary label is `span`.
    pub fn error(code: Code, span: Span, message: impl Into<String>) -> Diagnostic {
        Diagnostic {
            code,
            severity: Severity::Error,
            message: message.into(),
            labels: vec![Label {
                span,
                message: String::new(),
                primary: true,
            }],
            notes: Vec::new(),
            help: None,
        }
    }

    pub fn warning(code: Code, span: Span, message: impl Into<String>) -> Diagnostic {
        Diagnostic {
            severity: Severity::Warning,
            ..Diagnostic::error(code, span, message)
        }
    }

    /// Sets the text under the primary label.
    pub fn label(mut self, message: impl Into<String>) -> Diagnostic {
        if let Some(primary) = self.labels.iter_mut().find(|l| l.primary) {
            primary.message = message.into();
        }
        self
    }

    /// Adds a secondary label, e.g. the definition a misuse refers to.
    pub fn secondary(mut self, span: Span, message: impl Into<String>) -> Diagnostic {
        self.labels.push(Label {
            span,
            message: message.into(),
            primary: false,
        });
        self
    }

    pub fn help(mut self, help: impl Into<String>) -> Diagnostic {
        self.help = Some(help.into());
        self
    }

    pub fn note(mut self, note: impl Into<String>) -> Diagnostic {
        self.notes.push(note.into());
        self
    }

    pub fn primary_span(&self) -> Span {
        self.labels
            .iter()
            .find(|l| l.primary)
            .map(|l| l.span)
            .unwrap_or_default()
    }
}

/// Diagnostics collected during a run. Every phase pushes here and goes on,
/// so that one run reports all the errors it can find.
#[derive(Debug, Default, Clone)]
pub struct Diagnostics {
    items: Vec<Diagnostic>,
    /// What `items` holds, so a repeat is found in constant time.
    seen: std::collections::HashSet<Diagnostic>,
    errors: usize,
}

impl Diagnostics {
    pub fn push(&mut self, diagnostic: Diagnostic) {
        if diagnostic.primary_span().is_poison() {
            return;
        }
        let mut diagnostic = diagnostic;
        diagnostic.labels.retain(|l| !l.span.is_poison());
        // The same fact reached through two paths (e.g. a template used by
        // two images) is reported once.
        if self.seen.insert(diagnostic.clone()) {
            if diagnostic.severity == Severity::Error {
                self.errors += 1;
            }
            self.items.push(diagnostic);
        }
    }

    pub fn extend(&mut self, other: Diagnostics) {
        for d in other.items {
            self.push(d);
        }
    }

    pub fn has_errors(&self) -> bool {
        self.errors > 0
    }

    pub fn error_count(&self) -> usize {
        self.errors
    }

    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    /// In source order, so output does not depend on the order of checks.
    pub fn sorted(&self) -> Vec<&Diagnostic> {
        let mut items: Vec<&Diagnostic> = self.items.iter().collect();
        items.sort_by_key(|d| {
            let s = d.primary_span();
            (s.file, s.start, s.end, d.code)
        });
        items
    }
}
