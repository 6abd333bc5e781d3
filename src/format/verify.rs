//! The formatter's safety net: the output must parse to the input's AST
//! (spans aside) and keep every comment, in order. Anything else is a bug
//! in the formatter, reported as E0170 instead of written.

use super::comments::{self, Comment};
use crate::diagnostic::{Code, Diagnostic, Diagnostics};
use crate::source::{FileId, Span};
use crate::syntax::ast::*;

/// Checks `formatted` against the parsed input `module` and its comments.
pub fn verify(
    file: FileId,
    module: &Module,
    comments: &[Comment],
    formatted: &str,
) -> Result<(), Diagnostics> {
    let mut ignored = Diagnostics::default();
    let reparsed = crate::syntax::parse(file, formatted, &mut ignored).map(stripped);
    let problem = match reparsed {
        None => Some("the formatted text does not parse"),
        Some(output) if output != stripped(module.clone()) => {
            Some("the formatted text parses to a different file")
        }
        Some(_) => {
            let before = comments.iter().map(|c| c.text);
            let after = comments::scan(formatted);
            (!before.eq(after.iter().map(|c| c.text)))
                .then_some("a comment would be lost, changed or moved out of order")
        }
    };
    match problem {
        None => Ok(()),
        Some(what) => Err(lost(file, what)),
    }
}

/// The E0170 diagnostic: `what` says which check failed.
pub fn lost(file: FileId, what: &str) -> Diagnostics {
    let mut diagnostics = Diagnostics::default();
    diagnostics.push(
        Diagnostic::error(
            Code::FormatterLost,
            Span::new(file, 0..0),
            "the formatter could not keep the file's meaning or comments; the file is left unchanged",
        )
        .label(what.to_string())
        .help("this is a bug in imgspec: please report it with the file (or a part of it that shows the problem)"),
    );
    diagnostics
}

/// The module with every span zeroed, for comparing two parses.
pub fn stripped(mut module: Module) -> Module {
    for u in &mut module.uses {
        u.target_span = Span::default();
        u.span = Span::default();
        if let Some(b) = &mut u.binding {
            b.span = Span::default();
        }
    }
    for d in &mut module.definitions {
        d.name.span = Span::default();
        d.head_span = Span::default();
        for p in &mut d.params {
            p.name.span = Span::default();
            p.span = Span::default();
            type_expr(&mut p.ty);
            if let Some(v) = &mut p.default {
                value(v);
            }
        }
        if let Some(c) = &mut d.extends {
            call(c);
        }
        block(&mut d.body);
    }
    module
}

fn type_expr(ty: &mut TypeExpr) {
    ty.span = Span::default();
    if let TypeExprKind::List(inner) = &mut ty.kind {
        type_expr(inner);
    }
}

fn block(b: &mut Block) {
    b.span = Span::default();
    for f in &mut b.fields {
        f.key.span = Span::default();
        value(&mut f.value);
    }
}

fn call(c: &mut Call) {
    c.span = Span::default();
    c.callee.span = Span::default();
    for a in &mut c.args {
        if let Some(n) = &mut a.name {
            n.span = Span::default();
        }
        value(&mut a.value);
    }
    if let Some(b) = &mut c.adjust {
        block(b);
    }
}

fn value(v: &mut Value) {
    v.span = Span::default();
    match &mut v.kind {
        ValueKind::List(items) => items.iter_mut().for_each(value),
        ValueKind::Block(b) => block(b),
        ValueKind::Call(c) => call(c),
        ValueKind::Str(_)
        | ValueKind::Int(_)
        | ValueKind::Bool(_)
        | ValueKind::Duration(_)
        | ValueKind::Name(_) => {}
    }
}
