//! Parsed modules kept for the rest of the run, by their text: in a
//! repository of many specs, every spec imports the same standard modules
//! and shared templates, and parsing them again for each spec was most of
//! the work (four fifths of `imgspec check` over a thousand specs). A
//! module is kept only when it parsed without a word, so a cached parse
//! never hides a diagnostic; a hit is the tree again with its spans moved
//! to the new file.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};

use super::ast::*;
use crate::diagnostic::Diagnostics;
use crate::source::{FileId, Span};

/// At most this many texts are kept: a language server runs for hours and
/// sees a new text of an imported file at every keystroke; a run over a
/// repository imports far fewer distinct modules.
const CAPACITY: usize = 256;

/// Trees by module text, parsed once per process.
fn trees() -> &'static Mutex<HashMap<Arc<str>, Arc<Module>>> {
    static TREES: OnceLock<Mutex<HashMap<Arc<str>, Arc<Module>>>> = OnceLock::new();
    TREES.get_or_init(Default::default)
}

/// [`super::parse`], remembered: for a text parsed cleanly before, the
/// same tree with its spans in `file`.
pub fn parse_shared(file: FileId, text: &str, diagnostics: &mut Diagnostics) -> Option<Module> {
    let cached = trees().lock().ok().and_then(|t| t.get(text).cloned());
    if let Some(tree) = cached {
        let mut module = (*tree).clone();
        module.refile(file);
        return Some(module);
    }
    let mut own = Diagnostics::default();
    let module = super::parse(file, text, &mut own);
    let clean = own.is_empty();
    diagnostics.extend(own);
    if let (Some(module), true) = (&module, clean) {
        if let Ok(mut trees) = trees().lock() {
            if trees.len() >= CAPACITY {
                trees.clear();
            }
            trees.insert(Arc::from(text), Arc::new(module.clone()));
        }
    }
    module
}

/// Moves every span of a tree to another file (same text, same offsets).
trait Refile {
    fn refile(&mut self, file: FileId);
}

impl Refile for Span {
    fn refile(&mut self, file: FileId) {
        if !self.is_poison() {
            self.file = file;
        }
    }
}

impl<T: Refile> Refile for Vec<T> {
    fn refile(&mut self, file: FileId) {
        self.iter_mut().for_each(|x| x.refile(file));
    }
}

impl<T: Refile> Refile for Option<T> {
    fn refile(&mut self, file: FileId) {
        if let Some(x) = self {
            x.refile(file);
        }
    }
}

impl Refile for Ident {
    fn refile(&mut self, file: FileId) {
        self.span.refile(file);
    }
}

impl Module {
    fn refile(&mut self, file: FileId) {
        self.uses.refile(file);
        self.definitions.refile(file);
    }
}

impl Refile for Use {
    fn refile(&mut self, file: FileId) {
        self.target_span.refile(file);
        self.binding.refile(file);
        self.span.refile(file);
    }
}

impl Refile for Definition {
    fn refile(&mut self, file: FileId) {
        self.name.refile(file);
        self.params.refile(file);
        self.extends.refile(file);
        self.body.refile(file);
        self.head_span.refile(file);
    }
}

impl Refile for Param {
    fn refile(&mut self, file: FileId) {
        self.name.refile(file);
        self.ty.refile(file);
        self.default.refile(file);
        self.span.refile(file);
    }
}

impl Refile for TypeExpr {
    fn refile(&mut self, file: FileId) {
        if let TypeExprKind::List(inner) = &mut self.kind {
            inner.refile(file);
        }
        self.span.refile(file);
    }
}

impl Refile for Block {
    fn refile(&mut self, file: FileId) {
        self.fields.refile(file);
        self.span.refile(file);
    }
}

impl Refile for Field {
    fn refile(&mut self, file: FileId) {
        self.key.refile(file);
        self.value.refile(file);
    }
}

impl Refile for Call {
    fn refile(&mut self, file: FileId) {
        self.callee.refile(file);
        self.args.refile(file);
        self.adjust.refile(file);
        self.span.refile(file);
    }
}

impl Refile for Arg {
    fn refile(&mut self, file: FileId) {
        self.name.refile(file);
        self.value.refile(file);
    }
}

impl Refile for Value {
    fn refile(&mut self, file: FileId) {
        match &mut self.kind {
            ValueKind::List(items) => items.refile(file),
            ValueKind::Block(block) => block.refile(file),
            ValueKind::Call(call) => call.refile(file),
            ValueKind::Str(_)
            | ValueKind::Int(_)
            | ValueKind::Bool(_)
            | ValueKind::Duration(_)
            | ValueKind::Name(_) => {}
        }
        self.span.refile(file);
    }
}

impl<T: Refile> Refile for Box<T> {
    fn refile(&mut self, file: FileId) {
        (**self).refile(file);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cached_tree_is_the_fresh_parse_in_the_new_file() {
        let text = "use std.python\n/// doc\ntemplate t(v: [string] = [\"a\"]) = python.service() {\n  deps = [python.pip() { packages += [\"x\"] }]\n  run { cmd = [\"a\"], expose = 8000 }\n}\n";
        let mut d = Diagnostics::default();
        let first = parse_shared(FileId(3), text, &mut d).expect("parses");
        let again = parse_shared(FileId(7), text, &mut d).expect("parses");
        let fresh = super::super::parse(FileId(7), text, &mut d).expect("parses");
        assert!(d.is_empty());
        assert_eq!(again, fresh);
        assert_ne!(first, again);
    }

    #[test]
    fn a_text_with_a_diagnostic_is_parsed_every_time() {
        let text = "image a { base = \"\\q\" }\n";
        for _ in 0..2 {
            let mut d = Diagnostics::default();
            let _ = parse_shared(FileId(1), text, &mut d);
            assert!(!d.is_empty());
        }
    }
}
