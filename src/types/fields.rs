//! Reading typed values out of evaluated records. Every reader reports a
//! wrong type with a code, a span and a help line, and returns `None`.

use crate::diagnostic::{Code, Diagnostic, Diagnostics};
use crate::eval::{describe, Builtin, Record, Val, V};
use crate::source::Span;
use crate::suggest;
use crate::syntax::marks;

/// The fields of one record, consumed by name; whatever is left at
/// [`Fields::finish`] is an unknown field.
pub struct Fields<'a> {
    record: &'a Record,
    /// What the record is, for messages: "an image", "a `run` block".
    what: &'static str,
    known: Vec<&'static str>,
}

impl<'a> Fields<'a> {
    pub fn new(record: &'a Record, what: &'static str) -> Fields<'a> {
        Fields {
            record,
            what,
            known: Vec::new(),
        }
    }

    pub fn get(&mut self, key: &'static str) -> Option<&'a V> {
        self.known.push(key);
        self.record.get(key).map(|f| &f.value)
    }

    /// Like [`Fields::get`], but a missing field is an error.
    pub fn require(
        &mut self,
        key: &'static str,
        example: &str,
        d: &mut Diagnostics,
    ) -> Option<&'a V> {
        let value = self.get(key);
        if value.is_none() {
            d.push(
                Diagnostic::error(
                    Code::MissingField,
                    self.record.span,
                    format!("{} needs a `{key}` field", self.what),
                )
                .label(format!("`{key}` is missing"))
                .help(format!("add `{key} = {example}`")),
            );
        }
        value
    }

    /// Reports every field that no reader asked for.
    pub fn finish(self, d: &mut Diagnostics) {
        for field in &self.record.fields {
            if self.known.contains(&field.key.name.as_str()) {
                continue;
            }
            d.push(
                Diagnostic::error(
                    Code::UnknownField,
                    field.key.span,
                    format!("{} has no field `{}`", self.what, field.key.name),
                )
                .label("unknown field")
                .help(suggest::help(
                    &field.key.name,
                    self.known.iter().copied(),
                    "its fields are",
                )),
            );
        }
    }
}

pub fn wrong_type(v: &V, expected: &str, help: &str) -> Diagnostic {
    Diagnostic::error(
        Code::WrongType,
        v.span,
        format!("expected {expected}, found {}", describe(v)),
    )
    .label(format!("expected {expected}"))
    .help(help.to_string())
}

/// A string value, with `\$` read as a plain `$` (see [`string_raw`]).
pub fn string(v: &V, d: &mut Diagnostics) -> Option<String> {
    string_raw(v, d).map(|s| marks::plain(&s))
}

/// A shell command: interpolated values quoted (see [`marks::shell`]).
pub fn shell_string(v: &V, d: &mut Diagnostics) -> Option<String> {
    string_raw(v, d).map(|s| marks::shell(&s))
}

/// A string value as decoded, with the compiler's marks (see
/// [`marks`]): for readers that treat them specially.
pub fn string_raw(v: &V, d: &mut Diagnostics) -> Option<String> {
    match &v.val {
        Val::Str(s) => Some(s.clone()),
        Val::Word(w) => {
            d.push(wrong_type(
                v,
                "a string",
                &format!("put it in double quotes: \"{w}\""),
            ));
            None
        }
        _ => {
            d.push(wrong_type(v, "a string", "write it in double quotes"));
            None
        }
    }
}

pub fn int(v: &V, d: &mut Diagnostics) -> Option<i64> {
    match &v.val {
        Val::Int(n) => Some(*n),
        Val::Str(s) if s.parse::<i64>().is_ok() => {
            d.push(wrong_type(
                v,
                "an integer",
                &format!("remove the quotes: {s}"),
            ));
            None
        }
        _ => {
            d.push(wrong_type(
                v,
                "an integer",
                "write a whole number, e.g. 8000",
            ));
            None
        }
    }
}

pub fn boolean(v: &V, d: &mut Diagnostics) -> Option<bool> {
    match &v.val {
        Val::Bool(b) => Some(*b),
        _ => {
            d.push(wrong_type(v, "a boolean", "write `true` or `false`"));
            None
        }
    }
}

pub fn duration(v: &V, d: &mut Diagnostics) -> Option<u64> {
    match &v.val {
        Val::Duration(ms) => Some(*ms),
        Val::Int(n) => {
            d.push(wrong_type(v, "a duration", &format!("add a unit: `{n}s`")));
            None
        }
        _ => {
            d.push(wrong_type(
                v,
                "a duration",
                "write a number with a unit: `500ms`, `30s`, `5m`, `1h`",
            ));
            None
        }
    }
}

/// A list, or a single value standing for a list of one.
pub fn list(v: &V) -> Vec<&V> {
    match &v.val {
        Val::List(items) => items.iter().collect(),
        _ => vec![v],
    }
}

pub fn strings(v: &V, d: &mut Diagnostics) -> Vec<(String, Span)> {
    list(v)
        .into_iter()
        .filter_map(|item| string(item, d).map(|s| (s, item.span)))
        .collect()
}

/// A `{ KEY = "value" }` block read as an ordered map of strings.
pub fn string_map(v: &V, d: &mut Diagnostics) -> Vec<(String, String, Span)> {
    string_map_raw(v, d)
        .into_iter()
        .map(|(k, value, span)| (k, marks::plain(&value), span))
        .collect()
}

/// Like [`string_map`], keeping `\$` marked (see [`string_raw`]).
pub fn string_map_raw(v: &V, d: &mut Diagnostics) -> Vec<(String, String, Span)> {
    let Val::Record(record) = &v.val else {
        d.push(wrong_type(
            v,
            "a block of `NAME = \"value\"` entries",
            "write it as { NAME = \"value\" }",
        ));
        return Vec::new();
    };
    record
        .fields
        .iter()
        .filter_map(|f| {
            let value = match &f.value.val {
                Val::Int(n) => Some(n.to_string()),
                Val::Bool(b) => Some(b.to_string()),
                _ => string_raw(&f.value, d).map(|s| marks::keep_dollars(&s)),
            }?;
            Some((f.key.name.clone(), value, f.key.span.to(f.value.span)))
        })
        .collect()
}

/// A bare word from a fixed set, e.g. `distro = debian`.
pub fn word<T: Copy>(v: &V, choices: &[(&str, T)], what: &str, d: &mut Diagnostics) -> Option<T> {
    let names = choices.iter().map(|(n, _)| *n);
    let text = match &v.val {
        Val::Word(w) => w.as_str(),
        Val::Str(s) => s.as_str(),
        _ => {
            d.push(wrong_type(v, what, &suggest::help("", names, "one of")));
            return None;
        }
    };
    if let Some((_, value)) = choices.iter().find(|(n, _)| *n == text) {
        return Some(*value);
    }
    d.push(
        Diagnostic::error(
            Code::InvalidValue,
            v.span,
            format!("`{text}` is not a valid {what}"),
        )
        .label(format!("unknown {what}"))
        .help(suggest::help(text, names, "valid values")),
    );
    None
}

pub fn record<'v>(v: &'v V, expected: &str, help: &str, d: &mut Diagnostics) -> Option<&'v Record> {
    match &v.val {
        Val::Record(r) => Some(r),
        _ => {
            d.push(wrong_type(v, expected, help));
            None
        }
    }
}

/// The arguments of a built-in call, consumed by name or position.
pub struct Args<'a> {
    builtin: &'a Builtin,
    span: Span,
    positional: usize,
    used: Vec<usize>,
    names: Vec<&'static str>,
}

impl<'a> Args<'a> {
    pub fn new(builtin: &'a Builtin, span: Span) -> Args<'a> {
        Args {
            builtin,
            span,
            positional: 0,
            used: Vec::new(),
            names: Vec::new(),
        }
    }

    /// The next positional argument, or the one named `name`.
    pub fn get(&mut self, name: &'static str, positional: bool) -> Option<&'a V> {
        self.names.push(name);
        if let Some(i) = self
            .builtin
            .args
            .iter()
            .position(|(n, _)| n.as_ref().is_some_and(|n| n.name == name))
        {
            self.used.push(i);
            return Some(&self.builtin.args[i].1);
        }
        if positional {
            let unnamed: Vec<usize> = (0..self.builtin.args.len())
                .filter(|i| self.builtin.args[*i].0.is_none())
                .collect();
            if let Some(&i) = unnamed.get(self.positional) {
                self.positional += 1;
                self.used.push(i);
                return Some(&self.builtin.args[i].1);
            }
        }
        None
    }

    pub fn require(
        &mut self,
        name: &'static str,
        example: &str,
        d: &mut Diagnostics,
    ) -> Option<&'a V> {
        let value = self.get(name, true);
        if value.is_none() {
            d.push(
                Diagnostic::error(
                    Code::MissingArgument,
                    self.span,
                    format!("`{}` needs `{name}`", self.builtin.name),
                )
                .label(format!("`{name}` is missing"))
                .help(format!("write it as {example}")),
            );
        }
        value
    }

    pub fn finish(self, d: &mut Diagnostics) {
        for (i, (name, value)) in self.builtin.args.iter().enumerate() {
            if self.used.contains(&i) {
                continue;
            }
            let (span, message, help) = match name {
                Some(n) => (
                    n.span,
                    format!("`{}` has no parameter `{}`", self.builtin.name, n.name),
                    suggest::help(&n.name, self.names.iter().copied(), "its parameters"),
                ),
                None => (
                    value.span,
                    format!("`{}` takes no more positional arguments", self.builtin.name),
                    format!(
                        "name the argument; `{}` takes {}",
                        self.builtin.name,
                        self.names.join(", ")
                    ),
                ),
            };
            d.push(
                Diagnostic::error(Code::UnknownArgument, span, message)
                    .label("not expected here")
                    .help(help),
            );
        }
    }
}
