//! Where the cursor is, read from the text before it: which block, call
//! or list it is in, and whether a field name, an argument name or a value
//! goes there. A small scanner rather than the parser, because the text
//! being typed rarely parses.

use super::schema::{self, BlockKind};

/// What may be written at the cursor.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Place {
    /// After `use std.`: a standard module name.
    UseStd { prefix: String },
    /// After `module.`: a definition of that module.
    Member { module: String, prefix: String },
    /// A field name of a block; `present` are those the block already sets.
    Field {
        block: BlockKind,
        prefix: String,
        present: Vec<String>,
    },
    /// An argument name inside a call's parentheses; `written` are those
    /// already given.
    Arg {
        callee: String,
        prefix: String,
        written: Vec<String>,
    },
    /// The value of field `key` of a block.
    FieldValue {
        block: BlockKind,
        key: String,
        prefix: String,
    },
    /// A value, of field `key` when known.
    Value { key: Option<String>, prefix: String },
    /// Between definitions.
    TopLevel { prefix: String },
    /// In a string, a comment, or somewhere nothing is offered.
    Other,
}

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    Word(String),
    Str,
    Punct(char),
    Newline,
    /// A closed `(...)`, `[...]` or `{...}`; for parentheses the callee.
    Group(char, Option<String>),
}

#[derive(Debug, Clone)]
enum Frame {
    Block(BlockKind),
    Call { callee: String, header: bool },
    List { key: Option<String> },
    Other,
}

struct Open {
    frame: Frame,
    close: char,
    /// The tokens of the enclosing level, restored when this one closes.
    saved: Vec<Tok>,
}

/// Reads `text[..offset]` and says what goes at `offset`.
pub fn at(text: &str, offset: usize) -> Place {
    let mut offset = offset.min(text.len());
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    let before = &text[..offset];
    let line = &before[before.rfind('\n').map_or(0, |i| i + 1)..];
    if let Some(rest) = line.trim_start().strip_prefix("use") {
        if let Some(prefix) = rest.trim_start().strip_prefix("std.") {
            if rest.starts_with(char::is_whitespace)
                && prefix
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '_')
            {
                return Place::UseStd {
                    prefix: prefix.to_string(),
                };
            }
        }
    }
    let Some(scan) = scan(before) else {
        return Place::Other;
    };
    let Scan {
        mut stack,
        mut tokens,
    } = scan;
    // The word being typed, if the cursor ends one.
    let prefix = match tokens.last() {
        Some(Tok::Word(w)) if before.ends_with(|c: char| is_word_char(c) || c == '.') => {
            let w = w.clone();
            tokens.pop();
            w
        }
        _ => String::new(),
    };
    if let Some((module, member)) = prefix.rsplit_once('.') {
        return Place::Member {
            module: module.to_string(),
            prefix: member.to_string(),
        };
    }
    let since = since_boundary(&tokens);
    match stack.pop().map(|o| o.frame) {
        None => Place::TopLevel { prefix },
        Some(Frame::Block(block)) => match since {
            [] => Place::Field {
                block,
                prefix,
                present: keys(&tokens),
            },
            [Tok::Word(key), Tok::Punct('='), ..]
            | [Tok::Word(key), Tok::Punct('+'), Tok::Punct('='), ..] => Place::FieldValue {
                block,
                key: key.clone(),
                prefix,
            },
            _ => Place::Other,
        },
        Some(Frame::Call { header: true, .. }) => Place::Other,
        Some(Frame::Call { callee, .. }) => match since {
            [] => Place::Arg {
                callee,
                prefix,
                written: keys(&tokens),
            },
            _ => Place::Value { key: None, prefix },
        },
        Some(Frame::List { key }) => Place::Value { key, prefix },
        Some(Frame::Other) => Place::Other,
    }
}

/// The block kind at `offset` and whether the word there is a field
/// name, for hover: `Some(kind)` when it is.
pub fn field_at(text: &str, word_start: usize, word_end: usize) -> Option<BlockKind> {
    let after = text.get(word_end..)?.trim_start();
    let is_key = after.starts_with('=') || after.starts_with("+=") || after.starts_with('{');
    if !is_key {
        return None;
    }
    match at(text, word_start) {
        Place::Field { block, .. } => Some(block),
        _ => None,
    }
}

/// The call whose argument name starts at `word_start`, for hover.
pub fn arg_at(text: &str, word_start: usize, word_end: usize) -> Option<String> {
    let after = text.get(word_end..)?.trim_start();
    if !after.starts_with(':') {
        return None;
    }
    match at(text, word_start) {
        Place::Arg { callee, .. } => Some(callee),
        _ => None,
    }
}

fn is_word_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_' || c == '-'
}

/// The dotted word around `offset` and its byte range.
pub fn word_at(text: &str, offset: usize) -> Option<(String, std::ops::Range<usize>)> {
    let offset = offset.min(text.len());
    if !text.is_char_boundary(offset) {
        return None;
    }
    let is = |c: char| is_word_char(c) || c == '.';
    let start = text[..offset]
        .char_indices()
        .rev()
        .take_while(|(_, c)| is(*c))
        .last()
        .map_or(offset, |(i, _)| i);
    let end = text[offset..]
        .char_indices()
        .find(|(_, c)| !is(*c))
        .map_or(text.len(), |(i, _)| offset + i);
    let word = text[start..end].trim_matches('.');
    if word.is_empty() {
        return None;
    }
    let lead = text[start..end].len() - text[start..end].trim_start_matches('.').len();
    let start = start + lead;
    Some((word.to_string(), start..start + word.len()))
}

/// The tokens after the last field or argument boundary of this level.
fn since_boundary(tokens: &[Tok]) -> &[Tok] {
    let from = tokens
        .iter()
        .rposition(|t| matches!(t, Tok::Newline | Tok::Punct(',')))
        .map_or(0, |i| i + 1);
    &tokens[from..]
}

/// The first word after each boundary: the keys already written.
fn keys(tokens: &[Tok]) -> Vec<String> {
    let mut keys = Vec::new();
    let mut at_start = true;
    for t in tokens {
        match t {
            Tok::Newline | Tok::Punct(',') => at_start = true,
            Tok::Word(w) if at_start => {
                keys.push(w.clone());
                at_start = false;
            }
            _ => at_start = false,
        }
    }
    keys
}

struct Scan {
    stack: Vec<Open>,
    tokens: Vec<Tok>,
}

/// Tokenises `text`, keeping the open brackets and the tokens of the
/// innermost level. `None` when the text ends inside a string or comment.
fn scan(text: &str) -> Option<Scan> {
    let mut stack: Vec<Open> = Vec::new();
    let mut tokens: Vec<Tok> = Vec::new();
    let mut chars = text.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        match c {
            '\n' => tokens.push(Tok::Newline),
            c if c.is_whitespace() => {}
            '/' if text[i..].starts_with("//") => {
                match text[i..].find('\n') {
                    // The newline itself is read next.
                    Some(n) => {
                        while chars.peek().is_some_and(|(j, _)| *j < i + n) {
                            chars.next();
                        }
                    }
                    None => return None,
                }
            }
            '"' => {
                let mut escaped = false;
                let mut closed = false;
                for (_, s) in chars.by_ref() {
                    match (escaped, s) {
                        (true, _) => escaped = false,
                        (false, '\\') => escaped = true,
                        (false, '"') => {
                            closed = true;
                            break;
                        }
                        // Strings do not span lines: the rest is code.
                        (false, '\n') => {
                            closed = true;
                            tokens.push(Tok::Newline);
                            break;
                        }
                        _ => {}
                    }
                }
                if !closed {
                    return None;
                }
                tokens.push(Tok::Str);
            }
            '{' | '(' | '[' => {
                let frame = open_frame(c, stack.last().map(|o| &o.frame), &tokens);
                let close = match c {
                    '{' => '}',
                    '(' => ')',
                    _ => ']',
                };
                let saved = std::mem::take(&mut tokens);
                stack.push(Open {
                    frame,
                    close,
                    saved,
                });
            }
            '}' | ')' | ']' => {
                // A stray closer closes up to its match, or is ignored.
                if let Some(depth) = stack.iter().rposition(|o| o.close == c) {
                    stack.truncate(depth + 1);
                    if let Some(open) = stack.pop() {
                        tokens = open.saved;
                        let callee = match &open.frame {
                            Frame::Call { callee, .. } => Some(callee.clone()),
                            _ => None,
                        };
                        let opener = match c {
                            '}' => '{',
                            ')' => '(',
                            _ => '[',
                        };
                        tokens.push(Tok::Group(opener, callee));
                        if stack.is_empty() && opener == '{' {
                            // A definition ended.
                            tokens.clear();
                        }
                    }
                }
            }
            c if is_word_char(c) => {
                let mut end = i + c.len_utf8();
                while let Some(&(j, n)) = chars.peek() {
                    if is_word_char(n) || n == '.' {
                        end = j + n.len_utf8();
                        chars.next();
                    } else {
                        break;
                    }
                }
                tokens.push(Tok::Word(text[i..end].to_string()));
            }
            c => tokens.push(Tok::Punct(c)),
        }
    }
    Some(Scan { stack, tokens })
}

const DEFINITION_KEYWORDS: [&str; 4] = ["image", "template", "base", "ecosystem"];

fn open_frame(c: char, parent: Option<&Frame>, tokens: &[Tok]) -> Frame {
    let since = since_boundary(tokens);
    match c {
        '(' => match tokens.last() {
            Some(Tok::Word(callee)) => {
                // `base NAME(` at the top level is a header, not a call.
                let header = parent.is_none()
                    && matches!(tokens.iter().rev().nth(1), Some(Tok::Word(k)) if DEFINITION_KEYWORDS.contains(&k.as_str()));
                Frame::Call {
                    callee: callee.clone(),
                    header,
                }
            }
            _ => Frame::Other,
        },
        '[' => match parent {
            Some(Frame::Block(_)) => Frame::List {
                key: match since.first() {
                    Some(Tok::Word(key)) => Some(key.clone()),
                    _ => None,
                },
            },
            Some(Frame::List { key }) => Frame::List { key: key.clone() },
            _ => Frame::List { key: None },
        },
        _ => {
            let block = match parent {
                None => {
                    let keyword = tokens.iter().rev().find_map(|t| match t {
                        Tok::Word(w) if DEFINITION_KEYWORDS.contains(&w.as_str()) => {
                            Some(w.as_str())
                        }
                        _ => None,
                    });
                    match keyword {
                        Some("base") => BlockKind::Base,
                        Some("ecosystem") => BlockKind::Ecosystem,
                        Some(_) => BlockKind::Image,
                        None => BlockKind::Free,
                    }
                }
                Some(Frame::Block(parent)) => match (tokens.last(), since.first()) {
                    (Some(Tok::Group('(', Some(callee))), _) => BlockKind::Adjust(callee.clone()),
                    (_, Some(Tok::Word(key))) => schema::child(parent, key),
                    _ => BlockKind::Free,
                },
                Some(Frame::List { key }) => match tokens.last() {
                    Some(Tok::Group('(', Some(callee))) => BlockKind::Adjust(callee.clone()),
                    _ => key.as_deref().map_or(BlockKind::Free, schema::item),
                },
                Some(Frame::Call { .. }) => match tokens.last() {
                    Some(Tok::Group('(', Some(callee))) => BlockKind::Adjust(callee.clone()),
                    _ => BlockKind::Free,
                },
                Some(Frame::Other) => BlockKind::Free,
            };
            Frame::Block(block)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn place(text: &str) -> Place {
        let offset = text.find('|').expect("cursor");
        let text = text.replace('|', "");
        at(&text, offset)
    }

    fn block(text: &str) -> Option<BlockKind> {
        match place(text) {
            Place::Field { block, .. } => Some(block),
            _ => None,
        }
    }

    #[test]
    fn blocks_are_recognised() {
        assert_eq!(block("image a {\n  |"), Some(BlockKind::Image));
        assert_eq!(
            block("image a = t(x: 1) {\n  run {\n    |"),
            Some(BlockKind::Run)
        );
        assert_eq!(
            block("image a {\n  run = { cmd = [\"x\"], |"),
            Some(BlockKind::Run)
        );
        assert_eq!(
            block("base b(v: string = \"1\") {\n  |"),
            Some(BlockKind::Base)
        );
        assert_eq!(
            block("ecosystem e {\n  x = 1\n  |"),
            Some(BlockKind::Ecosystem)
        );
        assert_eq!(
            block("template t(v: string) = u() {\n  packages {\n  |"),
            Some(BlockKind::Packages)
        );
        assert_eq!(
            block("image a {\n  deps = [python.pip() {\n   |"),
            Some(BlockKind::Adjust("python.pip".into()))
        );
        assert_eq!(
            block("image a {\n  stages {\n    web {\n      |"),
            Some(BlockKind::Stage)
        );
        assert_eq!(
            block("image a {\n  run { env = {\n |"),
            Some(BlockKind::Free)
        );
        assert_eq!(
            block("image a {\n  run {}\n  // a { comment\n  s = \"{\"\n  |"),
            Some(BlockKind::Image)
        );
    }

    #[test]
    fn places() {
        assert_eq!(
            place("use std.py|"),
            Place::UseStd {
                prefix: "py".into()
            }
        );
        assert_eq!(
            place("use std.python\nimage a {\n  base = python.s|"),
            Place::Member {
                module: "python".into(),
                prefix: "s".into()
            }
        );
        assert_eq!(
            place("image a {\n  base = python.slim(ver|"),
            Place::Arg {
                callee: "python.slim".into(),
                prefix: "ver".into(),
                written: vec![]
            }
        );
        assert_eq!(
            place("image a {\n  base = python.slim(version: \"3\", |"),
            Place::Arg {
                callee: "python.slim".into(),
                prefix: "".into(),
                written: vec!["version".into()]
            }
        );
        assert_eq!(
            place("image a {\n  base = |"),
            Place::FieldValue {
                block: BlockKind::Image,
                key: "base".into(),
                prefix: "".into()
            }
        );
        assert_eq!(
            place("image a {\n  workdir = \"/x\"\n  ru|"),
            Place::Field {
                block: BlockKind::Image,
                prefix: "ru".into(),
                present: vec!["workdir".into()]
            }
        );
        assert_eq!(place("image a {\n  s = \"ab|"), Place::Other);
    }

    #[test]
    fn words() {
        let text = "base = python.slim(version: \"3\")";
        let at = text.find("slim").unwrap_or_default();
        assert_eq!(word_at(text, at), Some(("python.slim".into(), 7..18)));
        assert_eq!(word_at(text, 0), Some(("base".into(), 0..4)));
        assert_eq!(word_at(text, 5), None);
    }
}
