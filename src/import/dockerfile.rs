//! Reading a Dockerfile as BuildKit's parser does: parser directives at
//! the very top, the escape character (`\` or a backtick), comments, line
//! continuations (comment and empty lines inside a continued instruction
//! are skipped), heredocs on `RUN`, `COPY` and `ADD`, flags, and the exec
//! (JSON) form with its fall-back to shell form. Every instruction keeps
//! its byte span. Reading never fails half-way: problems are collected and
//! the rest of the file is still read; each line is looked at a bounded
//! number of times, so the cost is linear in the file.

use std::ops::Range;

/// A problem found while reading, with the byte range it concerns.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Problem {
    /// `# escape=x` with a value other than `\` or a backtick, or a
    /// directive given twice.
    Directive { span: Range<usize>, message: String },
    /// A heredoc whose terminating word never comes; the span is the
    /// instruction line that opened it.
    UnterminatedHeredoc { span: Range<usize>, word: String },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Directive {
    /// Lower case: `syntax`, `escape`, `check`.
    pub name: String,
    pub value: String,
    pub span: Range<usize>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Heredoc {
    pub word: String,
    /// `<<-WORD`: leading tabs were removed from the body.
    pub strip_tabs: bool,
    /// `<<"WORD"` or `<<'WORD'`: the body is not expanded.
    pub quoted: bool,
    /// The body, each line ending in a new line, without the terminator.
    pub body: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Flag {
    pub name: String,
    pub value: Option<String>,
}

/// The arguments after the keyword and the flags.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Args {
    /// `["a", "b"]`: valid JSON, an array of strings.
    Exec(Vec<String>),
    /// Anything else, continuation lines joined.
    Shell(String),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Instruction {
    /// Upper case, e.g. `RUN`.
    pub keyword: String,
    pub flags: Vec<Flag>,
    pub args: Args,
    pub heredocs: Vec<Heredoc>,
    /// From the keyword to the end of the last line (heredocs included).
    pub span: Range<usize>,
    /// 1-based line of the keyword.
    pub line: usize,
    /// The instruction's first line as written, for messages.
    pub text: String,
}

impl Instruction {
    /// The arguments as one string (exec form joined by spaces).
    pub fn arg_text(&self) -> String {
        match &self.args {
            Args::Exec(words) => words.join(" "),
            Args::Shell(text) => text.clone(),
        }
    }

    pub fn flag(&self, name: &str) -> Option<&str> {
        self.flags
            .iter()
            .find(|f| f.name == name)
            .map(|f| f.value.as_deref().unwrap_or(""))
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Dockerfile {
    pub directives: Vec<Directive>,
    pub instructions: Vec<Instruction>,
    pub problems: Vec<Problem>,
    /// `\`, or a backtick after `# escape=``.
    pub escape: char,
}

/// Instructions whose arguments may hold heredocs.
fn takes_heredocs(keyword: &str) -> bool {
    matches!(keyword, "RUN" | "COPY" | "ADD")
}

/// Instructions whose arguments may be in exec (JSON) form.
fn takes_exec_form(keyword: &str) -> bool {
    matches!(
        keyword,
        "RUN" | "CMD" | "ENTRYPOINT" | "SHELL" | "COPY" | "ADD" | "VOLUME" | "HEALTHCHECK"
    )
}

/// Instructions that take `--flag` options before their arguments.
fn takes_flags(keyword: &str) -> bool {
    matches!(keyword, "RUN" | "COPY" | "ADD" | "FROM" | "HEALTHCHECK")
}

/// A line of the file: its byte range without the line break.
struct Line<'a> {
    text: &'a str,
    start: usize,
    end: usize,
}

fn lines(text: &str) -> Vec<Line<'_>> {
    let mut out = Vec::new();
    // Offsets stay those of the text as given, a byte-order mark included.
    let (text, mut start) = match text.strip_prefix('\u{FEFF}') {
        Some(rest) => (rest, '\u{FEFF}'.len_utf8()),
        None => (text, 0),
    };
    for piece in text.split_inclusive('\n') {
        let end = start + piece.len();
        let body = piece.strip_suffix('\n').unwrap_or(piece);
        let body = body.strip_suffix('\r').unwrap_or(body);
        out.push(Line {
            text: body,
            start,
            end: start + body.len(),
        });
        start = end;
    }
    out
}

/// `# key=value` at the top of the file.
fn directive(line: &str) -> Option<(String, String)> {
    let rest = line.trim_start().strip_prefix('#')?;
    let (key, value) = rest.split_once('=')?;
    let key = key.trim();
    if key.is_empty() || !key.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
        return None;
    }
    Some((key.to_ascii_lowercase(), value.trim().to_string()))
}

/// Reads a Dockerfile. Never fails: problems are in [`Dockerfile::problems`].
pub fn parse(text: &str) -> Dockerfile {
    let lines = lines(text);
    let mut file = Dockerfile {
        escape: '\\',
        ..Dockerfile::default()
    };

    // Parser directives: only before any comment, empty line or instruction.
    let mut i = 0;
    while i < lines.len() {
        let Some((name, value)) = directive(lines[i].text) else {
            break;
        };
        let span = lines[i].start..lines[i].end;
        if !matches!(name.as_str(), "syntax" | "escape" | "check") {
            // An unknown directive is a comment, and ends the directives.
            break;
        }
        if file.directives.iter().any(|d| d.name == name) {
            file.problems.push(Problem::Directive {
                span: span.clone(),
                message: format!("the `{name}` directive is given twice"),
            });
        } else if name == "escape" {
            match value.as_str() {
                "\\" => file.escape = '\\',
                "`" => file.escape = '`',
                _ => file.problems.push(Problem::Directive {
                    span: span.clone(),
                    message: format!("`{value}` is not an escape character"),
                }),
            }
        }
        file.directives.push(Directive { name, value, span });
        i += 1;
    }

    let escape = file.escape;
    while i < lines.len() {
        let line = &lines[i];
        let trimmed = line.text.trim_start();
        if trimmed.is_empty() || trimmed.starts_with('#') {
            i += 1;
            continue;
        }
        // Gather the logical line: continuation lines joined, comment and
        // empty lines inside it skipped.
        let first = i;
        let mut joined = String::new();
        let mut end = line.end;
        let mut current = line.text;
        loop {
            let (body, continued) = continuation(current, escape);
            joined.push_str(body);
            i += 1;
            if !continued {
                break;
            }
            // Skip comment and empty lines inside the instruction.
            while i < lines.len() {
                let t = lines[i].text.trim_start();
                if t.starts_with('#') || t.is_empty() {
                    i += 1;
                } else {
                    break;
                }
            }
            if i >= lines.len() {
                break;
            }
            current = lines[i].text;
            end = lines[i].end;
        }
        let joined = joined.trim();
        let (keyword, rest) = split_word(joined);
        let keyword = keyword.to_ascii_uppercase();
        let (flags, rest) = if takes_flags(&keyword) {
            flags(rest)
        } else {
            (Vec::new(), rest.trim_start())
        };
        let mut heredocs = Vec::new();
        let exec = if takes_exec_form(&keyword) {
            exec_form(rest)
        } else {
            None
        };
        if exec.is_none() && takes_heredocs(&keyword) {
            for (word, strip_tabs, quoted) in heredoc_markers(rest) {
                let opened = lines[first].start..lines[first].end;
                let mut body = String::new();
                let mut closed = false;
                while i < lines.len() {
                    let l = lines[i].text;
                    i += 1;
                    end = lines[i - 1].end;
                    let l = if strip_tabs {
                        l.trim_start_matches('\t')
                    } else {
                        l
                    };
                    if l == word {
                        closed = true;
                        break;
                    }
                    body.push_str(l);
                    body.push('\n');
                }
                if !closed {
                    file.problems.push(Problem::UnterminatedHeredoc {
                        span: opened,
                        word: word.clone(),
                    });
                }
                heredocs.push(Heredoc {
                    word,
                    strip_tabs,
                    quoted,
                    body,
                });
            }
        }
        let args = match exec {
            Some(words) => Args::Exec(words),
            None => Args::Shell(rest.to_string()),
        };
        file.instructions.push(Instruction {
            keyword,
            flags,
            args,
            heredocs,
            span: lines[first].start
                + (lines[first].text.len() - lines[first].text.trim_start().len())
                ..end,
            line: first + 1,
            text: lines[first].text.trim().to_string(),
        });
    }
    file
}

/// A physical line without its continuation escape, and whether it had one
/// (the escape character followed only by blanks).
fn continuation(line: &str, escape: char) -> (&str, bool) {
    let trimmed = line.trim_end_matches([' ', '\t']);
    match trimmed.strip_suffix(escape) {
        Some(body) => (body, true),
        None => (line, false),
    }
}

fn split_word(text: &str) -> (&str, &str) {
    let text = text.trim_start();
    match text.find(char::is_whitespace) {
        Some(at) => (&text[..at], &text[at..]),
        None => (text, ""),
    }
}

/// Leading `--name=value` and `--name` flags.
fn flags(mut rest: &str) -> (Vec<Flag>, &str) {
    let mut flags = Vec::new();
    loop {
        rest = rest.trim_start();
        let Some(after) = rest.strip_prefix("--") else {
            break;
        };
        let (word, tail) = split_word(after);
        if word.is_empty() {
            break;
        }
        let (name, value) = match word.split_once('=') {
            Some((name, value)) => (name, Some(unquote(value))),
            None => (word, None),
        };
        flags.push(Flag {
            name: name.to_string(),
            value,
        });
        rest = tail;
    }
    (flags, rest.trim_start())
}

/// A flag value without surrounding quotes.
fn unquote(value: &str) -> String {
    let bytes = value.as_bytes();
    if bytes.len() >= 2
        && (bytes[0] == b'"' || bytes[0] == b'\'')
        && bytes[bytes.len() - 1] == bytes[0]
    {
        value[1..value.len() - 1].to_string()
    } else {
        value.to_string()
    }
}

/// The exec form: a JSON array of strings. Anything else (invalid JSON
/// included) is shell form, as in BuildKit.
fn exec_form(rest: &str) -> Option<Vec<String>> {
    let rest = rest.trim();
    if !rest.starts_with('[') {
        return None;
    }
    serde_json::from_str::<Vec<String>>(rest).ok()
}

/// The heredoc markers of a shell-form argument string, in order:
/// `<<WORD`, `<<-WORD`, `<<"WORD"`, `<<'WORD'`. Markers inside quotes are
/// not markers; `<<<` (a here-string) is none either.
pub fn heredoc_markers(text: &str) -> Vec<(String, bool, bool)> {
    let bytes = text.as_bytes();
    let mut out = Vec::new();
    let mut quote: Option<u8> = None;
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        match quote {
            Some(q) => {
                if b == q {
                    quote = None;
                } else if b == b'\\' && q == b'"' {
                    i += 1;
                }
                i += 1;
                continue;
            }
            None if b == b'\'' || b == b'"' => {
                quote = Some(b);
                i += 1;
                continue;
            }
            None if b == b'\\' => {
                i += 2;
                continue;
            }
            None => {}
        }
        if b == b'<' && bytes.get(i + 1) == Some(&b'<') && bytes.get(i + 2) != Some(&b'<') {
            let mut j = i + 2;
            let strip_tabs = bytes.get(j) == Some(&b'-');
            if strip_tabs {
                j += 1;
            }
            let open = match bytes.get(j) {
                Some(&q @ (b'"' | b'\'')) => {
                    j += 1;
                    Some(q)
                }
                _ => None,
            };
            let start = j;
            while j < bytes.len() && (bytes[j].is_ascii_alphanumeric() || bytes[j] == b'_') {
                j += 1;
            }
            let word = &text[start..j];
            let closed = match open {
                Some(q) if bytes.get(j) == Some(&q) => {
                    j += 1;
                    true
                }
                Some(_) => false,
                None => true,
            };
            if !word.is_empty() && closed {
                out.push((word.to_string(), strip_tabs, open.is_some()));
            }
            i = j.max(i + 2);
            continue;
        }
        i += 1;
    }
    out
}

/// `${VAR}`, `$VAR`, `${VAR:-default}` and `${VAR:+alt}` replaced from
/// `vars`; unknown variables become empty, as in BuildKit.
pub fn substitute(text: &str, vars: &[(String, String)], escape: char) -> String {
    let lookup = |name: &str| {
        vars.iter()
            .rev()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.clone())
    };
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c == escape && chars.get(i + 1) == Some(&'$') {
            out.push('$');
            i += 2;
            continue;
        }
        if c != '$' {
            out.push(c);
            i += 1;
            continue;
        }
        if chars.get(i + 1) == Some(&'{') {
            let Some(close) = chars[i + 2..].iter().position(|&c| c == '}') else {
                out.extend(&chars[i..]);
                break;
            };
            let inner: String = chars[i + 2..i + 2 + close].iter().collect();
            i += close + 3;
            let value = if let Some((name, default)) = inner.split_once(":-") {
                lookup(name)
                    .filter(|v| !v.is_empty())
                    .unwrap_or_else(|| default.to_string())
            } else if let Some((name, default)) = inner.split_once('-') {
                lookup(name).unwrap_or_else(|| default.to_string())
            } else if let Some((name, alt)) = inner.split_once(":+") {
                if lookup(name).is_some_and(|v| !v.is_empty()) {
                    alt.to_string()
                } else {
                    String::new()
                }
            } else {
                lookup(&inner).unwrap_or_default()
            };
            out.push_str(&value);
            continue;
        }
        let start = i + 1;
        let mut j = start;
        while j < chars.len() && (chars[j].is_ascii_alphanumeric() || chars[j] == '_') {
            j += 1;
        }
        if j == start {
            out.push('$');
            i += 1;
            continue;
        }
        let name: String = chars[start..j].iter().collect();
        out.push_str(&lookup(&name).unwrap_or_default());
        i = j;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one(text: &str) -> Instruction {
        let file = parse(text);
        assert!(file.problems.is_empty(), "{:?}", file.problems);
        file.instructions
            .into_iter()
            .next()
            .expect("an instruction")
    }

    #[test]
    fn continuations_skip_comments_and_empty_lines() {
        let i = one("RUN apt-get update && \\\n# a comment\n\n    apt-get install -y curl\n");
        assert_eq!(i.keyword, "RUN");
        assert_eq!(
            i.args,
            Args::Shell("apt-get update &&     apt-get install -y curl".into())
        );
        assert_eq!(i.line, 1);
    }

    #[test]
    fn escape_directive_uses_a_backtick() {
        let file = parse("# escape=`\nFROM mcr.microsoft.com/windows\nRUN dir `\n  c:\\\n");
        assert_eq!(file.escape, '`');
        assert_eq!(file.instructions[1].args, Args::Shell("dir   c:\\".into()));
    }

    #[test]
    fn directives_only_at_the_top() {
        let file = parse("FROM x\n# escape=`\n");
        assert!(file.directives.is_empty());
        let file = parse("# syntax=docker/dockerfile:1\n# escape=x\nFROM x\n");
        assert_eq!(file.directives.len(), 2);
        assert_eq!(file.problems.len(), 1);
    }

    #[test]
    fn heredocs() {
        let file = parse(
            "RUN <<EOF\necho hi\nEOF\nCOPY <<-\"A\" /a <<'B' /b\n\tone\n\tA\ntwo\nB\nRUN echo\n",
        );
        assert_eq!(file.instructions.len(), 3);
        assert_eq!(file.instructions[0].heredocs[0].body, "echo hi\n");
        let copy = &file.instructions[1];
        assert_eq!(copy.heredocs.len(), 2);
        assert_eq!(copy.heredocs[0].body, "one\n");
        assert!(copy.heredocs[0].quoted && copy.heredocs[0].strip_tabs);
        assert_eq!(copy.heredocs[1].body, "two\n");
        assert_eq!(file.instructions[2].line, 9);
    }

    #[test]
    fn unterminated_heredoc() {
        let file = parse("FROM x\nRUN <<EOF\necho\n");
        assert!(matches!(
            &file.problems[0],
            Problem::UnterminatedHeredoc { span, .. } if *span == (7..16)
        ));
    }

    #[test]
    fn exec_form_and_fallback() {
        assert_eq!(
            one("CMD [\"a\", \"b c\"]").args,
            Args::Exec(vec!["a".into(), "b c".into()])
        );
        assert_eq!(one("CMD [a, b]").args, Args::Shell("[a, b]".into()));
        assert_eq!(one("CMD ['a']").args, Args::Shell("['a']".into()));
    }

    #[test]
    fn flags_are_split() {
        let i = one("COPY --from=build --chown=app:app --link dist/ /srv/");
        assert_eq!(i.flag("from"), Some("build"));
        assert_eq!(i.flag("link"), Some(""));
        assert_eq!(i.args, Args::Shell("dist/ /srv/".into()));
    }

    #[test]
    fn substitution() {
        let vars = vec![("V".to_string(), "3.12".to_string())];
        assert_eq!(
            substitute("python:${V}-slim", &vars, '\\'),
            "python:3.12-slim"
        );
        assert_eq!(substitute("node:${N:-20}", &vars, '\\'), "node:20");
        assert_eq!(substitute("x:$V", &vars, '\\'), "x:3.12");
        assert_eq!(substitute("${V:+set}", &vars, '\\'), "set");
    }
}
