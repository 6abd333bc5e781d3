//! The layout: walks the AST in source order and prints it in the one
//! canonical form (see docs/fmt.md), taking every scalar, key and name
//! from the source slice so that strings keep their escapes byte for byte.
//!
//! Comments are placed by position. At each place where the output can
//! hold a comment of its own line (before an item, a field, a list element,
//! an argument or a parameter, and before a closing bracket), every comment
//! that starts before the next token is printed; a comment on the line of
//! the element before it stays at the end of that line. A comment in a
//! place that has no such slot (inside a definition's header, between a
//! call and its adjusting block) waits for the next slot, so comments are
//! never dropped and never reordered. A list, argument list or block with
//! a comment inside is always broken over several lines.
//!
//! Cost: each node is printed once; deciding whether a list fits renders it
//! flat with a budget of one line, so the work stays linear.

use super::comments::Comment;
use crate::syntax::ast::*;

/// The line width lists, argument lists and inline blocks must fit in.
pub const WIDTH: usize = 100;
const INDENT: usize = 2;
/// Enough bytes for any line of [`WIDTH`] characters.
const FLAT_BUDGET: usize = WIDTH * 4;

pub struct Printer<'a> {
    src: &'a str,
    comments: &'a [Comment<'a>],
    /// The first comment not yet printed.
    next: usize,
    /// Offsets of the source's line feeds, for "is there a line break (or a
    /// blank line) between these two offsets" as a binary search.
    newlines: Vec<usize>,
    /// The source offset just after the last thing printed, for blank lines.
    last: usize,
    out: String,
}

/// A top-level item, for printing in source order.
enum Item<'m> {
    Use(&'m Use),
    Definition(&'m Definition),
}

impl<'a> Printer<'a> {
    pub fn new(src: &'a str, comments: &'a [Comment<'a>]) -> Printer<'a> {
        Printer {
            src,
            comments,
            next: 0,
            newlines: src.match_indices('\n').map(|(i, _)| i).collect(),
            last: 0,
            out: String::with_capacity(src.len() + src.len() / 8),
        }
    }

    pub fn module(mut self, module: &Module) -> String {
        let mut items: Vec<(usize, Item)> = module
            .uses
            .iter()
            .map(|u| (u.target_span.start as usize, Item::Use(u)))
            .chain(
                module
                    .definitions
                    .iter()
                    .map(|d| (d.head_span.start as usize, Item::Definition(d))),
            )
            .collect();
        items.sort_by_key(|(at, _)| *at);
        let first_definition = module
            .definitions
            .iter()
            .map(|d| d.head_span.start as usize)
            .min()
            .unwrap_or(usize::MAX);
        let mut first = true;
        // `use` lines come first, in the order written. Those written after
        // a definition move up to the others; their comments stay where
        // they are, with the definitions around them.
        for use_decl in &module.uses {
            let at = use_decl.target_span.start as usize;
            if at < first_definition {
                self.leading(at, use_decl.span.start as usize, 0, first);
                self.use_line(use_decl);
                let end = use_end(use_decl);
                self.last = end;
                self.trailing(end, self.item_after(&items, at));
            } else {
                self.use_line(use_decl);
            }
            self.out.push('\n');
            first = false;
        }
        for (at, item) in &items {
            let Item::Definition(definition) = item else {
                continue;
            };
            if !first {
                // Exactly one blank line between top-level items.
                self.out.push('\n');
            }
            self.leading_forced(*at);
            self.definition(definition);
            self.trailing(
                definition.body.span.end as usize,
                self.item_after(&items, *at),
            );
            self.out.push('\n');
            first = false;
        }
        self.leading(usize::MAX, usize::MAX, 0, first);
        self.out
    }

    /// Where the item after the one at `at` starts (its comments before it
    /// are its own, not trailing comments of this one). `items` is sorted.
    fn item_after(&self, items: &[(usize, Item)], at: usize) -> usize {
        let next = items.partition_point(|(start, _)| *start <= at);
        items
            .get(next)
            .map_or(usize::MAX, |(start, item)| match item {
                Item::Use(u) => u.span.start as usize,
                Item::Definition(_) => *start,
            })
    }

    /// The leading comments of a definition (its doc comments among them):
    /// the first right after the one blank line the caller printed.
    fn leading_forced(&mut self, until: usize) {
        self.leading(until, until, 0, true);
    }

    fn use_line(&mut self, u: &Use) {
        self.out.push_str("use ");
        self.out
            .push_str(self.slice(u.target_span.start, u.target_span.end));
        if let Some(binding) = &u.binding {
            // `use std.python` binds `python` without an alias.
            if binding.span.start >= u.target_span.end {
                self.out.push_str(" as ");
                self.out.push_str(&binding.name);
            }
        }
    }

    fn definition(&mut self, d: &Definition) {
        self.out.push_str(d.kind.keyword());
        self.out.push(' ');
        self.out
            .push_str(self.slice(d.name.span.start, d.name.span.end));
        let name_end = d.name.span.end as usize;
        if self.next_token(name_end) == Some(b'(') {
            let open = self.next_token_at(name_end);
            let close = self.close_of(d.params.last().map_or(open + 1, param_end), b')');
            let rest = match &d.extends {
                Some(call) => 3 + call.callee.name.len() + 1,
                None => 2,
            };
            self.params(&d.params, open, close, rest);
        }
        if let Some(call) = &d.extends {
            self.out.push_str(" = ");
            self.call(call, 0, 2);
        }
        self.out.push(' ');
        self.block(&d.body, 0, 0, false);
        self.last = d.body.span.end as usize;
    }

    fn params(&mut self, params: &[Param], open: usize, close: usize, rest: usize) {
        let flat = if self.pending_before(close) {
            None
        } else {
            let mut flat = String::from("(");
            let mut ok = true;
            for (i, p) in params.iter().enumerate() {
                if i > 0 {
                    flat.push_str(", ");
                }
                ok = ok && self.flat_param(p, &mut flat);
            }
            flat.push(')');
            ok.then_some(flat)
        };
        if let Some(flat) = flat.filter(|f| self.col() + width(f) + rest <= WIDTH) {
            self.out.push_str(&flat);
            self.last = close + 1;
            return;
        }
        self.out.push('(');
        self.last = open + 1;
        let inner = INDENT;
        let first_start = params.first().map_or(close, |p| p.span.start as usize);
        self.open_trailing(open, first_start);
        self.out.push('\n');
        for (i, p) in params.iter().enumerate() {
            let start = p.span.start as usize;
            let until = p
                .default
                .as_ref()
                .map_or(param_end(p), |v| v.span.start as usize);
            self.leading(until, start, inner, i == 0);
            self.indent(inner);
            self.out
                .push_str(self.slice(p.name.span.start, p.name.span.end));
            self.out.push_str(": ");
            let ty = self.type_expr(&p.ty);
            self.out.push_str(&ty);
            if let Some(default) = &p.default {
                self.out.push_str(" = ");
                self.value(default, inner, 1);
            }
            self.out.push(',');
            self.last = param_end(p);
            let limit = params.get(i + 1).map_or(close, |n| n.span.start as usize);
            self.trailing(param_end(p), limit);
            self.out.push('\n');
        }
        self.leading(close, usize::MAX, inner, params.is_empty());
        self.out.push(')');
        self.last = close + 1;
    }

    fn flat_param(&self, p: &Param, out: &mut String) -> bool {
        out.push_str(self.slice(p.name.span.start, p.name.span.end));
        out.push_str(": ");
        out.push_str(&self.type_expr(&p.ty));
        match &p.default {
            Some(default) => {
                out.push_str(" = ");
                self.flat(default, out)
            }
            None => true,
        }
    }

    fn type_expr(&self, ty: &TypeExpr) -> String {
        match &ty.kind {
            TypeExprKind::Named(name) => name.clone(),
            TypeExprKind::List(inner) => format!("[{}]", self.type_expr(inner)),
        }
    }

    /// A block: inline (`{ A = "1", B = "2" }`) when `inline` allows it, it
    /// was written on one line, holds no comment and fits; else one field a
    /// line. `suffix` is what follows it on its last line.
    fn block(&mut self, b: &Block, indent: usize, suffix: usize, inline: bool) {
        let end = b.span.end as usize;
        if !self.pending_before(end) && (inline || b.fields.is_empty()) {
            let mut flat = String::new();
            if self.flat_block(b, &mut flat)
                && (b.fields.is_empty() || self.col() + width(&flat) + suffix <= WIDTH)
            {
                self.out.push_str(&flat);
                self.last = end;
                return;
            }
        }
        let open = b.span.start as usize;
        let close = end.saturating_sub(1).max(open);
        self.out.push('{');
        self.last = open + 1;
        let first_start = b
            .fields
            .first()
            .map_or(close, |f| f.key.span.start as usize);
        self.open_trailing(open, first_start);
        self.out.push('\n');
        self.fields(b, indent + INDENT, close);
        self.leading(close, usize::MAX, indent + INDENT, b.fields.is_empty());
        self.indent(indent);
        self.out.push('}');
        self.last = end;
    }

    /// The fields of a multi-line block, `=` aligned within each run of
    /// single-line fields.
    fn fields(&mut self, b: &Block, indent: usize, close: usize) {
        let fields = &b.fields;
        // Per field: its flat text when it fits on one line, and whether it
        // starts a new run (a comment line or a blank line before it).
        let mut flats: Vec<Option<String>> = Vec::with_capacity(fields.len());
        let mut breaks: Vec<bool> = Vec::with_capacity(fields.len());
        let mut prev_end = b.span.start as usize + 1;
        for (i, f) in fields.iter().enumerate() {
            let key_start = f.key.span.start as usize;
            let value_start = f.value.span.start as usize;
            let leading_comment = self
                .comments_from(prev_end, value_start)
                .any(|c| !(i > 0 && c.start < key_start && !self.has_newline(prev_end, c.start)));
            breaks.push(leading_comment || self.blank_between(prev_end, key_start));
            let flat = self.flat_field(f, indent);
            flats.push(flat.filter(|_| self.written_op(f).is_some()));
            prev_end = f.value.span.end as usize;
        }
        // A field that would pass the width once padded to its run's
        // longest key leaves the run, and the runs are found again (they
        // only split, so their keys only get shorter). Its list or argument
        // list is then broken; an inline block stays inline, unaligned, as
        // breaking it would make it a block written over several lines, and
        // the next run of the formatter would see another file.
        let mut forced = vec![false; fields.len()];
        for (i, j) in runs(&flats, &breaks) {
            let key_width = self.key_width(&fields[i..j]);
            for k in i..j {
                let f = &fields[k];
                let op = self.written_op(f).map_or(1, |op| op.len() + 2);
                let line = flats[k].as_deref().map_or(0, width);
                if breakable(&f.value) && indent + key_width + op + line > WIDTH {
                    flats[k] = None;
                    forced[k] = !holds_block(&f.value);
                }
            }
        }
        for (i, j) in runs(&flats, &breaks) {
            // Keys are padded to the longest, so operators line up.
            let key_width = self.key_width(&fields[i..j]);
            for k in i..j {
                let f = &fields[k];
                self.leading(
                    f.value.span.start as usize,
                    f.key.span.start as usize,
                    indent,
                    k == 0,
                );
                self.indent(indent);
                let key = self.slice(f.key.span.start, f.key.span.end);
                self.out.push_str(key);
                match (&flats[k], self.written_op(f)) {
                    (Some(flat), Some(op)) => {
                        let own = self.aligned_width(f);
                        pad(&mut self.out, key_width.saturating_sub(own));
                        self.out.push(' ');
                        self.out.push_str(op);
                        self.out.push(' ');
                        self.out.push_str(flat);
                    }
                    (_, Some(op)) => {
                        self.out.push(' ');
                        self.out.push_str(op);
                        self.out.push(' ');
                        // A field taken out of its run is broken even though
                        // it would fit unpadded: a suffix of a whole line
                        // makes its outer group not fit.
                        let suffix = if forced[k] { WIDTH } else { 0 };
                        self.value(&f.value, indent, suffix);
                    }
                    (_, None) => {
                        self.out.push(' ');
                        self.value(&f.value, indent, 0);
                    }
                }
                let end = f.value.span.end as usize;
                self.last = end;
                let limit = fields
                    .get(k + 1)
                    .map_or(close, |n| n.key.span.start as usize);
                self.trailing(end, limit);
                self.out.push('\n');
            }
        }
    }

    /// The longest key among `fields`.
    fn key_width(&self, fields: &[Field]) -> usize {
        fields
            .iter()
            .map(|f| self.aligned_width(f))
            .max()
            .unwrap_or(0)
    }

    /// The width of a key.
    fn aligned_width(&self, f: &Field) -> usize {
        width(self.slice(f.key.span.start, f.key.span.end))
    }

    /// `=` or `+=` as written; `None` for the block form `key { ... }`.
    fn written_op(&self, f: &Field) -> Option<&'static str> {
        match f.op {
            FieldOp::Append => Some("+="),
            FieldOp::Set => (self.next_token(f.key.span.end as usize) == Some(b'=')).then_some("="),
        }
    }

    /// The value of `f` flat, if the whole field fits on a line at `indent`.
    fn flat_field(&self, f: &Field, indent: usize) -> Option<String> {
        let (start, end) = (f.value.span.start as usize, f.value.span.end as usize);
        if self.comments_from(start, end).next().is_some() {
            return None;
        }
        let mut flat = String::new();
        if !self.flat(&f.value, &mut flat) {
            return None;
        }
        let key = width(self.slice(f.key.span.start, f.key.span.end));
        let op = self.written_op(f).map_or(1, |op| op.len() + 2);
        (!breakable(&f.value) || indent + key + op + width(&flat) <= WIDTH).then_some(flat)
    }

    /// A value at the current position; `suffix` is what follows it on its
    /// line (a comma), for deciding whether it fits.
    fn value(&mut self, v: &Value, indent: usize, suffix: usize) {
        match &v.kind {
            ValueKind::List(items) => self.list(v, items, indent, suffix),
            ValueKind::Block(b) => self.block(b, indent, suffix, true),
            ValueKind::Call(call) => self.call(call, indent, suffix),
            _ => self.out.push_str(self.slice(v.span.start, v.span.end)),
        }
        self.last = v.span.end as usize;
    }

    fn list(&mut self, v: &Value, items: &[Value], indent: usize, suffix: usize) {
        let end = v.span.end as usize;
        if !self.pending_before(end) {
            let mut flat = String::new();
            if self.flat(v, &mut flat)
                && (items.is_empty() || self.col() + width(&flat) + suffix <= WIDTH)
            {
                self.out.push_str(&flat);
                return;
            }
        }
        let open = v.span.start as usize;
        let close = end.saturating_sub(1).max(open);
        self.out.push('[');
        self.last = open + 1;
        let spans: Vec<(usize, usize, usize)> = items
            .iter()
            .map(|i| {
                (
                    i.span.start as usize,
                    i.span.start as usize,
                    i.span.end as usize,
                )
            })
            .collect();
        self.elements(&spans, open, close, indent, |p, k, inner| {
            p.value(&items[k], inner, 1)
        });
        self.indent(indent);
        self.out.push(']');
    }

    /// The elements of a broken list or argument list, one a line with a
    /// trailing comma. `spans` holds per element: where its comments end
    /// (its value), where it starts, and where it ends.
    fn elements(
        &mut self,
        spans: &[(usize, usize, usize)],
        open: usize,
        close: usize,
        indent: usize,
        mut print: impl FnMut(&mut Self, usize, usize),
    ) {
        let inner = indent + INDENT;
        self.open_trailing(open, spans.first().map_or(close, |s| s.1));
        self.out.push('\n');
        for (k, &(until, start, end)) in spans.iter().enumerate() {
            self.leading(until, start, inner, k == 0);
            self.indent(inner);
            print(self, k, inner);
            self.out.push(',');
            self.last = end;
            let limit = spans.get(k + 1).map_or(close, |s| s.1);
            self.trailing(end, limit);
            self.out.push('\n');
        }
        self.leading(close, usize::MAX, inner, spans.is_empty());
    }

    fn call(&mut self, call: &Call, indent: usize, suffix: usize) {
        let end = call.span.end as usize;
        if !self.pending_before(end) {
            let mut flat = String::new();
            if self.flat_call(call, &mut flat)
                && (!breakable_call(call) || self.col() + width(&flat) + suffix <= WIDTH)
            {
                self.out.push_str(&flat);
                self.last = end;
                return;
            }
        }
        self.out
            .push_str(self.slice(call.callee.span.start, call.callee.span.end));
        let callee_end = call.callee.span.end as usize;
        let open = self.next_token_at(callee_end);
        let close = self.close_of(
            call.args
                .last()
                .map_or(open + 1, |a| a.value.span.end as usize),
            b')',
        );
        let after = if call.adjust.is_some() { 2 } else { suffix };
        let mut flat = String::from("(");
        let mut ok = !self.pending_before(close);
        for (i, arg) in call.args.iter().enumerate() {
            if i > 0 {
                flat.push_str(", ");
            }
            ok = ok && self.flat_arg(arg, &mut flat);
        }
        flat.push(')');
        if ok && (call.args.is_empty() || self.col() + width(&flat) + after <= WIDTH) {
            self.out.push_str(&flat);
        } else {
            self.out.push('(');
            self.last = open + 1;
            let spans: Vec<(usize, usize, usize)> = call
                .args
                .iter()
                .map(|a| {
                    let start = a.name.as_ref().map_or(a.value.span.start, |n| n.span.start);
                    (
                        a.value.span.start as usize,
                        start as usize,
                        a.value.span.end as usize,
                    )
                })
                .collect();
            self.elements(&spans, open, close, indent, |p, k, inner| {
                let arg = &call.args[k];
                if let Some(name) = &arg.name {
                    p.out.push_str(p.slice(name.span.start, name.span.end));
                    p.out.push_str(": ");
                }
                p.value(&arg.value, inner, 1);
            });
            self.indent(indent);
            self.out.push(')');
        }
        self.last = close + 1;
        if let Some(adjust) = &call.adjust {
            self.out.push(' ');
            self.block(adjust, indent, suffix, true);
        }
    }

    // ---- flat rendering ----

    /// `v` on one line, appended to `out`; false when it cannot be (a
    /// comment inside, a block written over several lines) or is longer
    /// than a line.
    fn flat(&self, v: &Value, out: &mut String) -> bool {
        if out.len() > FLAT_BUDGET {
            return false;
        }
        match &v.kind {
            ValueKind::List(items) => {
                if self
                    .comments_from(v.span.start as usize, v.span.end as usize)
                    .next()
                    .is_some()
                {
                    return false;
                }
                out.push('[');
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        out.push_str(", ");
                    }
                    if !self.flat(item, out) {
                        return false;
                    }
                }
                out.push(']');
                true
            }
            ValueKind::Block(b) => self.flat_block(b, out),
            ValueKind::Call(call) => self.flat_call(call, out),
            _ => {
                out.push_str(self.slice(v.span.start, v.span.end));
                true
            }
        }
    }

    fn flat_block(&self, b: &Block, out: &mut String) -> bool {
        let (start, end) = (b.span.start as usize, b.span.end as usize);
        if self.comments_from(start, end).next().is_some() {
            return false;
        }
        if b.fields.is_empty() {
            out.push_str("{}");
            return true;
        }
        if self.has_newline(start, end) {
            return false;
        }
        out.push_str("{ ");
        for (i, f) in b.fields.iter().enumerate() {
            if i > 0 {
                out.push_str(", ");
            }
            out.push_str(self.slice(f.key.span.start, f.key.span.end));
            match self.written_op(f) {
                Some(op) => {
                    out.push(' ');
                    out.push_str(op);
                    out.push(' ');
                }
                None => out.push(' '),
            }
            if !self.flat(&f.value, out) {
                return false;
            }
        }
        out.push_str(" }");
        out.len() <= FLAT_BUDGET
    }

    fn flat_call(&self, call: &Call, out: &mut String) -> bool {
        let (start, end) = (call.span.start as usize, call.span.end as usize);
        if self.comments_from(start, end).next().is_some() {
            return false;
        }
        out.push_str(self.slice(call.callee.span.start, call.callee.span.end));
        out.push('(');
        for (i, arg) in call.args.iter().enumerate() {
            if i > 0 {
                out.push_str(", ");
            }
            if !self.flat_arg(arg, out) {
                return false;
            }
        }
        out.push(')');
        match &call.adjust {
            Some(adjust) => {
                out.push(' ');
                self.flat_block(adjust, out)
            }
            None => out.len() <= FLAT_BUDGET,
        }
    }

    fn flat_arg(&self, arg: &Arg, out: &mut String) -> bool {
        if let Some(name) = &arg.name {
            out.push_str(self.slice(name.span.start, name.span.end));
            out.push_str(": ");
        }
        self.flat(&arg.value, out)
    }

    // ---- comments ----

    fn pending_before(&self, at: usize) -> bool {
        self.comments.get(self.next).is_some_and(|c| c.start < at)
    }

    /// The comments starting in `start..end`, printed or not.
    fn comments_from(&self, start: usize, end: usize) -> impl Iterator<Item = &Comment<'a>> {
        let first = self.comments.partition_point(|c| c.start < start);
        self.comments[first..]
            .iter()
            .take_while(move |c| c.start < end)
    }

    /// Every comment before `until`, each on its own line at `indent`, then
    /// the blank line (at most one) written before the element at `start`
    /// (`usize::MAX` for a closing bracket or the end of the file: none).
    /// `first`: the first thing in its block, where blank lines go.
    fn leading(&mut self, until: usize, start: usize, indent: usize, mut first: bool) {
        while let Some(c) = self.comments.get(self.next).filter(|c| c.start < until) {
            if !first && self.blank_between(self.last, c.start) {
                self.out.push('\n');
            }
            self.indent(indent);
            self.out.push_str(c.text);
            self.out.push('\n');
            self.last = c.end;
            self.next += 1;
            first = false;
        }
        if !first && start != usize::MAX && self.blank_between(self.last, start) {
            self.out.push('\n');
        }
    }

    /// A comment on the same source line as `after` (and before `limit`)
    /// stays at the end of the line just printed.
    fn trailing(&mut self, after: usize, limit: usize) {
        if let Some(c) = self.comments.get(self.next).copied() {
            if c.start >= after && c.start < limit && !self.has_newline(after, c.start) {
                self.out.push(' ');
                self.out.push_str(c.text);
                self.last = c.end;
                self.next += 1;
            }
        }
    }

    /// A comment right after an opening bracket, on its line.
    fn open_trailing(&mut self, open: usize, limit: usize) {
        self.trailing(open + 1, limit);
    }

    // ---- source helpers ----

    fn slice(&self, start: u32, end: u32) -> &'a str {
        self.src
            .get(start as usize..end as usize)
            .unwrap_or_default()
    }

    fn has_newline(&self, start: usize, end: usize) -> bool {
        start < end && self.newlines_in(start, end) > 0
    }

    /// A blank line lies between the two offsets (two line feeds or more).
    fn blank_between(&self, start: usize, end: usize) -> bool {
        start < end && self.newlines_in(start, end) >= 2
    }

    fn newlines_in(&self, start: usize, end: usize) -> usize {
        let a = self.newlines.partition_point(|&n| n < start);
        let b = self.newlines.partition_point(|&n| n < end);
        b.saturating_sub(a)
    }

    /// The offset of the first byte at or after `at` that is neither
    /// whitespace nor in a comment.
    fn next_token_at(&self, mut at: usize) -> usize {
        let bytes = self.src.as_bytes();
        while at < bytes.len() {
            match bytes[at] {
                b' ' | b'\t' | b'\r' | b'\n' => at += 1,
                b'/' if bytes.get(at + 1) == Some(&b'/') => {
                    while at < bytes.len() && bytes[at] != b'\n' {
                        at += 1;
                    }
                }
                _ => break,
            }
        }
        at
    }

    fn next_token(&self, at: usize) -> Option<u8> {
        self.src.as_bytes().get(self.next_token_at(at)).copied()
    }

    /// The closing bracket `close` after the last element ending at `at`
    /// (past a trailing comma).
    fn close_of(&self, at: usize, close: u8) -> usize {
        let mut at = self.next_token_at(at);
        if self.src.as_bytes().get(at) == Some(&b',') {
            at = self.next_token_at(at + 1);
        }
        if self.src.as_bytes().get(at) == Some(&close) {
            at
        } else {
            at.min(self.src.len())
        }
    }

    // ---- output helpers ----

    fn indent(&mut self, n: usize) {
        pad(&mut self.out, n);
    }

    /// The column the output is at, in characters.
    fn col(&self) -> usize {
        let line_start = self.out.rfind('\n').map_or(0, |i| i + 1);
        width(&self.out[line_start..])
    }
}

/// Where a `use` line ends: its span may run on over the whitespace after
/// it, where the grammar looked for `as`.
fn use_end(u: &Use) -> usize {
    let target = u.target_span.end;
    let binding = u.binding.as_ref().map_or(target, |b| b.span.end);
    target.max(binding) as usize
}

/// Where a parameter ends (its span, like a `use`'s, may run on).
fn param_end(p: &Param) -> usize {
    p.default.as_ref().map_or(p.ty.span.end, |v| v.span.end) as usize
}

/// The runs of aligned fields, as index ranges: consecutive fields that fit
/// on one line (`flats`), none of them after a blank or comment line
/// (`breaks`); every other field is a run of its own.
fn runs(flats: &[Option<String>], breaks: &[bool]) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < flats.len() {
        let mut j = i + 1;
        if flats[i].is_some() {
            while j < flats.len() && flats[j].is_some() && !breaks[j] {
                j += 1;
            }
        }
        out.push((i, j));
        i = j;
    }
    out
}

/// A block, or a call with an adjusting block: breaking it at the top
/// breaks the block.
fn holds_block(v: &Value) -> bool {
    match &v.kind {
        ValueKind::Block(_) => true,
        ValueKind::Call(c) => c.adjust.as_ref().is_some_and(|b| !b.fields.is_empty()),
        _ => false,
    }
}

/// Whether a value can be broken over lines when it does not fit.
fn breakable(v: &Value) -> bool {
    match &v.kind {
        ValueKind::List(items) => !items.is_empty(),
        ValueKind::Block(b) => !b.fields.is_empty(),
        ValueKind::Call(c) => breakable_call(c),
        _ => false,
    }
}

fn breakable_call(c: &Call) -> bool {
    !c.args.is_empty() || c.adjust.as_ref().is_some_and(|b| !b.fields.is_empty())
}

fn pad(out: &mut String, n: usize) {
    out.extend(std::iter::repeat_n(' ', n));
}

/// Display width, counted in characters.
fn width(text: &str) -> usize {
    text.chars().count()
}
