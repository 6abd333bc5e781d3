//! pest parse tree → AST. The grammar guarantees the shape of every pair,
//! so the walkers below only ever see the children the grammar allows.

use pest::iterators::Pair;
use pest::Parser as _;
use pest_derive::Parser;

use super::ast::*;
use super::marks;
use super::rule_names::human_name;
use super::slips::{self, Slip};
use crate::diagnostic::{Code, Diagnostic, Diagnostics};
use crate::source::{FileId, Span};

#[derive(Parser)]
#[grammar = "../grammar/imgspec.pest"]
struct Grammar;

/// Parses one file. On a syntax error the module is `None` and the error is
/// in `diagnostics`; string escape errors still yield a module.
pub fn parse(file: FileId, text: &str, diagnostics: &mut Diagnostics) -> Option<Module> {
    if text.starts_with('\u{FEFF}') {
        diagnostics.push(
            Diagnostic::error(
                Code::Syntax,
                Span::new(file, 0..'\u{FEFF}'.len_utf8()),
                "the file starts with a byte-order mark",
            )
            .label("an invisible U+FEFF before the first line")
            .help("save the file as UTF-8 without a byte-order mark (\"UTF-8\", not \"UTF-8 with BOM\")"),
        );
        return None;
    }
    if let Some(offset) = brackets(text).too_deep {
        diagnostics.push(
            Diagnostic::error(
                Code::Syntax,
                Span::new(file, offset..offset + 1),
                "brackets are nested too deeply",
            )
            .label(format!("more than {MAX_NESTING} levels deep"))
            .help("flatten the value; specs never need this much nesting"),
        );
        return None;
    }
    match Grammar::parse(Rule::file, text) {
        Ok(mut pairs) => {
            let builder = Builder { file, diagnostics };
            pairs.next().map(|root| builder.module(root))
        }
        Err(error) => {
            diagnostics.push(syntax_error(file, text, error));
            None
        }
    }
}

/// Nesting beyond this is refused before parsing, so a hostile file cannot
/// exhaust the parser's stack.
const MAX_NESTING: usize = 64;

/// Brackets as a scan outside strings and comments sees them.
struct Brackets {
    /// The first bracket nested deeper than [`MAX_NESTING`].
    too_deep: Option<usize>,
    /// Brackets still open at the end of the text: offset and character.
    unclosed: Vec<(usize, char)>,
}

fn brackets(text: &str) -> Brackets {
    let bytes = text.as_bytes();
    let mut open: Vec<(usize, char)> = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'"' => {
                i += 1;
                while i < bytes.len() && bytes[i] != b'"' && bytes[i] != b'\n' {
                    i += if bytes[i] == b'\\' { 2 } else { 1 };
                }
            }
            b'/' if bytes.get(i + 1) == Some(&b'/') => {
                while i < bytes.len() && bytes[i] != b'\n' {
                    i += 1;
                }
            }
            c @ (b'(' | b'[' | b'{') => {
                open.push((i, c as char));
                if open.len() > MAX_NESTING {
                    return Brackets {
                        too_deep: Some(i),
                        unclosed: open,
                    };
                }
            }
            b')' | b']' | b'}' => {
                open.pop();
            }
            _ => {}
        }
        i += 1;
    }
    Brackets {
        too_deep: None,
        unclosed: open,
    }
}

fn syntax_error(file: FileId, text: &str, error: pest::error::Error<Rule>) -> Diagnostic {
    let offset = match error.location {
        pest::error::InputLocation::Pos(p) => p,
        pest::error::InputLocation::Span((s, _)) => s,
    };
    // Point at the offending token (or the end of the file).
    let rest = &text[offset..];
    let len = rest
        .find(|c: char| c.is_whitespace())
        .unwrap_or(rest.len())
        .clamp(usize::from(!rest.is_empty()), 40);
    let len = (0..=len)
        .rev()
        .find(|l| rest.is_char_boundary(*l))
        .unwrap_or(0);
    let span = Span::new(file, offset..offset + len);
    let found = if rest.is_empty() {
        "end of file".to_string()
    } else {
        format!("`{}`", &rest[..len])
    };
    if let Some(diagnostic) = slip(file, text, offset) {
        return diagnostic;
    }
    let expected = match &error.variant {
        pest::error::ErrorVariant::ParsingError { positives, .. } => describe_expected(positives),
        pest::error::ErrorVariant::CustomError { message } => message.clone(),
    };
    if rest.trim().is_empty() {
        if let Some(&(opened, bracket)) = brackets(text).unclosed.last() {
            let close = match bracket {
                '(' => ')',
                '[' => ']',
                _ => '}',
            };
            return Diagnostic::error(Code::Syntax, span, format!("`{bracket}` is never closed"))
                .label("the file ends here")
                .secondary(Span::new(file, opened..opened + 1), "opened here")
                .help(format!(
                    "add `{close}` where the {} ends",
                    if bracket == '{' {
                        "block"
                    } else {
                        "list or call"
                    }
                ));
        }
    }
    Diagnostic::error(
        Code::Syntax,
        span,
        format!("expected {expected}, found {found}"),
    )
    .label(format!("expected {expected}"))
    .help(syntax_help(&expected, rest))
}

/// The first common slip at or before the line of a syntax error, if
/// any, as a diagnostic that names it.
fn slip(file: FileId, text: &str, error_at: usize) -> Option<Diagnostic> {
    let line_end = text[error_at.min(text.len())..]
        .find('\n')
        .map_or(text.len(), |i| error_at + i);
    let (at, slip) = slips::scan(text)
        .into_iter()
        .find(|(at, _)| *at <= line_end)?;
    Some(match slip {
        Slip::Stray(c) => {
            let what = slips::describe(c);
            let help = if c.is_whitespace() || c == '\u{FEFF}' || matches!(c, '\u{200B}'..='\u{200D}' | '\u{2060}') {
                "replace it with an ordinary space (it often comes with text copied from a web page or a word processor)".to_string()
            } else if matches!(c, '\u{201C}' | '\u{201D}' | '\u{201E}' | '\u{2033}' | '\u{2018}' | '\u{2019}') {
                "strings use the plain double quote `\"`; turn off \"smart quotes\" in the editor".to_string()
            } else {
                "outside strings and comments only ASCII is allowed; put the text in a string".to_string()
            };
            Diagnostic::error(
                Code::Syntax,
                Span::new(file, at..at + c.len_utf8()),
                format!("{what} where only ordinary spaces and ASCII are allowed"),
            )
            .label(format!("{what} here"))
            .help(help)
        }
        Slip::Unclosed => Diagnostic::error(Code::Syntax, Span::new(file, at..at + 1), "this string is never closed")
            .label("opened here, and the line ends before a closing `\"`")
            .help("strings end on the line they start: add the missing `\"`, and write `\\n` for a line break"),
        Slip::MissingComma => Diagnostic::error(Code::Syntax, Span::new(file, at..at), "a comma is missing between two items")
            .label("add `,` here")
            .help("items of a list or of a call are separated by commas: [\"a\", \"b\"]"),
    })
}

fn describe_expected(rules: &[Rule]) -> String {
    let value_rules = [Rule::string, Rule::number, Rule::list];
    let mut names: Vec<&str> = Vec::new();
    if value_rules.iter().all(|r| rules.contains(r)) {
        names.push("a value");
    }
    let is_value_part = |r: &Rule| {
        matches!(
            r,
            Rule::string
                | Rule::number
                | Rule::list
                | Rule::duration
                | Rule::boolean
                | Rule::block
                | Rule::call
                | Rule::name
        )
    };
    for rule in rules {
        if !names.is_empty() && names[0] == "a value" && is_value_part(rule) {
            continue;
        }
        let name = human_name(*rule);
        if !names.contains(&name) {
            names.push(name);
        }
    }
    match names.len() {
        0 => "something else".to_string(),
        1 => names[0].to_string(),
        n => format!("{} or {}", names[..n - 1].join(", "), names[n - 1]),
    }
}

fn syntax_help(expected: &str, rest: &str) -> String {
    if rest.starts_with('\'') {
        return "strings use double quotes: \"...\"".to_string();
    }
    if rest.starts_with(':') && expected.contains('=') {
        return "fields are set with `=`, as in `workdir = \"/app\"`; `:` is for call arguments"
            .to_string();
    }
    let leading_number: String = rest
        .chars()
        .take_while(|c| c.is_ascii_digit() || *c == '.')
        .collect();
    if leading_number.contains('.') && leading_number.starts_with(|c: char| c.is_ascii_digit()) {
        return format!(
            "numbers are whole numbers; write versions as strings: \"{leading_number}\""
        );
    }
    if expected.contains("definition") || expected.contains("`use`") {
        return "a file holds `use` lines and `base`, `ecosystem`, `template` and `image` definitions".to_string();
    }
    "see docs/language.md for the syntax of each construct".to_string()
}

struct Builder<'d> {
    file: FileId,
    diagnostics: &'d mut Diagnostics,
}

impl Builder<'_> {
    fn span(&self, pair: &Pair<Rule>) -> Span {
        let s = pair.as_span();
        Span::new(self.file, s.start()..s.end())
    }

    fn ident(&self, pair: Pair<Rule>) -> Ident {
        Ident {
            name: pair.as_str().to_string(),
            span: self.span(&pair),
        }
    }

    fn module(mut self, root: Pair<Rule>) -> Module {
        let mut module = Module {
            uses: Vec::new(),
            definitions: Vec::new(),
        };
        for item in root.into_inner() {
            match item.as_rule() {
                Rule::use_decl => module.uses.push(self.use_decl(item)),
                Rule::base_def => module
                    .definitions
                    .push(self.definition(DefKind::Base, item)),
                Rule::ecosystem_def => module
                    .definitions
                    .push(self.definition(DefKind::Ecosystem, item)),
                Rule::template_def => module
                    .definitions
                    .push(self.definition(DefKind::Template, item)),
                Rule::image_def => module
                    .definitions
                    .push(self.definition(DefKind::Image, item)),
                _ => {}
            }
        }
        module
    }

    fn use_decl(&mut self, pair: Pair<Rule>) -> Use {
        let span = self.span(&pair);
        let mut target = UseTarget::Std(String::new());
        let mut target_span = span;
        let mut binding = None;
        for part in pair.into_inner() {
            match part.as_rule() {
                Rule::module_path => {
                    target_span = self.span(&part);
                    let path = part.as_str().to_string();
                    let last = path.rsplit('.').next().unwrap_or_default().to_string();
                    let last_start = target_span.end as usize - last.len();
                    binding = Some(Ident {
                        name: last,
                        span: Span::new(self.file, last_start..target_span.end as usize),
                    });
                    target = UseTarget::Std(path);
                }
                Rule::string => {
                    target_span = self.span(&part);
                    target = UseTarget::File(self.string(part));
                }
                Rule::ident => binding = Some(self.ident(part)),
                _ => {}
            }
        }
        Use {
            target,
            target_span,
            binding,
            span,
        }
    }

    fn definition(&mut self, kind: DefKind, pair: Pair<Rule>) -> Definition {
        let mut docs = Vec::new();
        let mut name = None;
        let mut params = Vec::new();
        let mut extends = None;
        let mut body = None;
        let mut head_end = 0;
        let start = pair.as_span().start();
        let mut head_start = start;
        for part in pair.into_inner() {
            match part.as_rule() {
                Rule::kw_base | Rule::kw_ecosystem | Rule::kw_template | Rule::kw_image => {
                    head_start = part.as_span().start();
                }
                Rule::docs => {
                    for line in part.into_inner() {
                        docs.push(line.as_str().trim_start_matches("///").trim().to_string());
                    }
                }
                Rule::ident => {
                    head_end = part.as_span().end();
                    name = Some(self.ident(part));
                }
                Rule::params => {
                    head_end = part.as_span().end();
                    params = part.into_inner().map(|p| self.param(p)).collect();
                }
                Rule::extends => {
                    if let Some(call) = part.into_inner().next() {
                        extends = Some(self.call(call));
                    }
                }
                Rule::block => body = Some(self.block(part)),
                _ => {}
            }
        }
        Definition {
            kind,
            name: name.unwrap_or(Ident {
                name: String::new(),
                span: Span::new(self.file, start..start),
            }),
            docs: docs.join("\n"),
            params,
            extends,
            body: body.unwrap_or(Block {
                fields: Vec::new(),
                span: Span::new(self.file, start..start),
            }),
            head_span: Span::new(self.file, head_start..head_end.max(head_start)),
        }
    }

    fn param(&mut self, pair: Pair<Rule>) -> Param {
        let span = self.span(&pair);
        let mut inner = pair.into_inner();
        let name = inner.next().map(|p| self.ident(p));
        let ty = inner.next().map(|p| self.type_expr(p));
        let default = inner.next().map(|p| self.value(p));
        Param {
            name: name.unwrap_or(Ident {
                name: String::new(),
                span,
            }),
            ty: ty.unwrap_or(TypeExpr {
                kind: TypeExprKind::Named(String::new()),
                span,
            }),
            default,
            span,
        }
    }

    fn type_expr(&mut self, pair: Pair<Rule>) -> TypeExpr {
        let span = self.span(&pair);
        let inner = pair.into_inner().next();
        let kind = match inner {
            Some(p) if p.as_rule() == Rule::list_type => {
                let element = p.into_inner().next().map(|e| self.type_expr(e));
                match element {
                    Some(e) => TypeExprKind::List(Box::new(e)),
                    None => TypeExprKind::Named(String::new()),
                }
            }
            Some(p) => TypeExprKind::Named(p.as_str().to_string()),
            None => TypeExprKind::Named(String::new()),
        };
        TypeExpr { kind, span }
    }

    fn block(&mut self, pair: Pair<Rule>) -> Block {
        let span = self.span(&pair);
        let fields = pair.into_inner().map(|f| self.field(f)).collect();
        Block { fields, span }
    }

    fn field(&mut self, pair: Pair<Rule>) -> Field {
        let mut key = None;
        let mut op = FieldOp::Set;
        let mut value = None;
        for part in pair.into_inner() {
            match part.as_rule() {
                Rule::key => {
                    if let Some(k) = part.into_inner().next() {
                        let span = self.span(&k);
                        let name = if k.as_rule() == Rule::string {
                            self.string(k)
                        } else {
                            k.as_str().to_string()
                        };
                        key = Some(Ident { name, span });
                    }
                }
                Rule::assign => op = FieldOp::Set,
                Rule::append => op = FieldOp::Append,
                _ => value = Some(self.value(part)),
            }
        }
        let key = key.unwrap_or(Ident {
            name: String::new(),
            span: Span::default(),
        });
        let value = value.unwrap_or(Value {
            kind: ValueKind::List(Vec::new()),
            span: key.span,
        });
        Field { key, op, value }
    }

    fn value(&mut self, pair: Pair<Rule>) -> Value {
        let span = self.span(&pair);
        let kind = match pair.as_rule() {
            Rule::string => ValueKind::Str(self.string(pair)),
            Rule::number => match pair.as_str().parse::<i64>() {
                Ok(n) => ValueKind::Int(n),
                Err(_) => {
                    self.diagnostics.push(
                        Diagnostic::error(Code::InvalidValue, span, "this number is too large")
                            .label("does not fit in 64 bits")
                            .help("numbers in imgspec are 64-bit integers"),
                    );
                    ValueKind::Int(0)
                }
            },
            Rule::boolean => ValueKind::Bool(pair.as_str() == "true"),
            Rule::duration => ValueKind::Duration(self.duration(&pair, span)),
            Rule::list => ValueKind::List(pair.into_inner().map(|v| self.value(v)).collect()),
            Rule::block => ValueKind::Block(self.block(pair)),
            Rule::call => ValueKind::Call(self.call(pair)),
            _ => ValueKind::Name(pair.as_str().to_string()),
        };
        Value { kind, span }
    }

    fn duration(&mut self, pair: &Pair<Rule>, span: Span) -> u64 {
        let text = pair.as_str();
        let digits_end = text
            .find(|c: char| !c.is_ascii_digit())
            .unwrap_or(text.len());
        let (digits, unit) = text.split_at(digits_end);
        let factor = match unit {
            "ms" => 1,
            "s" => 1_000,
            "m" => 60_000,
            _ => 3_600_000,
        };
        match digits
            .parse::<u64>()
            .ok()
            .and_then(|n| n.checked_mul(factor))
        {
            Some(ms) => ms,
            None => {
                self.diagnostics.push(
                    Diagnostic::error(Code::InvalidValue, span, "this duration is too large")
                        .label("out of range")
                        .help("write a smaller duration, e.g. `30s` or `5m`"),
                );
                0
            }
        }
    }

    /// A `call` (a value, perhaps with an adjusting block) or a
    /// `call_head` (a definition's header).
    fn call(&mut self, pair: Pair<Rule>) -> Call {
        let span = self.span(&pair);
        let mut head = None;
        let mut adjust = None;
        if pair.as_rule() == Rule::call_head {
            head = Some(pair);
        } else {
            for part in pair.into_inner() {
                match part.as_rule() {
                    Rule::call_head => head = Some(part),
                    Rule::adjust => adjust = part.into_inner().next().map(|b| self.block(b)),
                    _ => {}
                }
            }
        }
        let mut inner = head.into_iter().flat_map(|h| h.into_inner());
        let callee = inner.next().map(|p| self.ident(p)).unwrap_or(Ident {
            name: String::new(),
            span,
        });
        let args = inner
            .map(|arg| {
                let mut name = None;
                let mut value = None;
                for part in arg.into_inner() {
                    if part.as_rule() == Rule::word {
                        name = Some(self.ident(part));
                    } else {
                        value = Some(self.value(part));
                    }
                }
                Arg {
                    name,
                    value: value.unwrap_or(Value {
                        kind: ValueKind::List(Vec::new()),
                        span,
                    }),
                }
            })
            .collect();
        Call {
            callee,
            args,
            adjust,
            span,
        }
    }

    /// Decodes escapes; reports unknown ones and keeps going.
    fn string(&mut self, pair: Pair<Rule>) -> String {
        let mut out = String::new();
        for part in pair.into_inner() {
            match part.as_rule() {
                Rule::string_text => {
                    let text = part.as_str();
                    if let Some((at, c)) = text.char_indices().find(|(_, c)| marks::is_mark(*c)) {
                        let start = part.as_span().start() + at;
                        let end = start + c.len_utf8();
                        self.diagnostics.push(
                            Diagnostic::error(
                                Code::UnsafeString,
                                Span::new(self.file, start..end),
                                format!("a string cannot contain U+{:04X}", c as u32),
                            )
                            .label("a noncharacter reserved for the compiler's own use")
                            .help("remove it; write `\\$` for a literal dollar sign"),
                        );
                    }
                    out.push_str(text);
                }
                Rule::escape => {
                    let text = part.as_str();
                    match decode_escape(text) {
                        Some(c) => out.push(c),
                        None => {
                            let span = self.span(&part);
                            self.diagnostics.push(
                                Diagnostic::error(Code::InvalidEscape, span, format!("unknown escape sequence `{text}`"))
                                    .label("not a valid escape")
                                    .help("valid escapes are \\\\, \\\", \\n, \\t, \\r, \\$ and \\u{XXXX}"),
                            );
                        }
                    }
                }
                _ => {}
            }
        }
        out
    }
}

fn decode_escape(text: &str) -> Option<char> {
    let body = text.strip_prefix('\\')?;
    match body {
        "\\" => Some('\\'),
        "\"" => Some('"'),
        "n" => Some('\n'),
        "t" => Some('\t'),
        "r" => Some('\r'),
        "$" => Some(marks::LITERAL_DOLLAR),
        _ => {
            let hex = body.strip_prefix("u{")?.strip_suffix('}')?;
            char::from_u32(u32::from_str_radix(hex, 16).ok()?).filter(|c| !marks::is_mark(*c))
        }
    }
}
