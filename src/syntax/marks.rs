//! Marks the compiler puts inside decoded strings, all Unicode
//! noncharacters (reserved for a program's internal use, refused in
//! source text):
//!
//! - [`LITERAL_DOLLAR`]: what the escape `\$` decodes to, a dollar sign
//!   that is never a variable reference. ENV and ARG values keep it and
//!   the emitter writes `\$`; everywhere else it reads as `$`.
//! - [`OPEN`] ... [`CLOSE`]: text a `{{ }}` interpolation inserted that is
//!   not a plain word (it has spaces, quotes, `$`, ...). In a shell command
//!   it is quoted so the shell sees exactly that text as data; everywhere
//!   else the marks are dropped and the value's own field escapes it.

pub const LITERAL_DOLLAR: char = '\u{FDD0}';
pub const OPEN: char = '\u{FDD1}';
pub const CLOSE: char = '\u{FDD2}';

/// Whether `c` is one of the marks (refused in source text).
pub fn is_mark(c: char) -> bool {
    matches!(c, LITERAL_DOLLAR | OPEN | CLOSE)
}

/// Text an interpolation may insert unmarked: it reads the same to the
/// shell, to BuildKit and to a path.
pub fn plain_word(text: &str) -> bool {
    !text.starts_with('-')
        && text
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "._-/:+@=,%^~".contains(c))
}

/// An interpolated value, marked unless it is a plain word.
pub fn mark(text: &str) -> String {
    if plain_word(text) {
        text.to_string()
    } else {
        format!("{OPEN}{text}{CLOSE}")
    }
}

/// `text` for a field where `$` means nothing special: marks dropped.
pub fn plain(text: &str) -> String {
    text.chars()
        .filter(|c| *c != OPEN && *c != CLOSE)
        .map(|c| if c == LITERAL_DOLLAR { '$' } else { c })
        .collect()
}

/// `text` for ENV and ARG: interpolation marks dropped, literal dollars kept.
pub fn keep_dollars(text: &str) -> String {
    text.chars().filter(|c| *c != OPEN && *c != CLOSE).collect()
}

/// `text` for a shell command: each interpolated value quoted for the
/// quoting context it lands in, so the shell reads it as one piece of data
/// (unquoted: in double quotes; inside `"..."`: `\`, `"`, `$` and `` ` ``
/// escaped; inside `'...'`: each `'` closed, escaped and reopened).
pub fn shell(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut single = false;
    let mut double = false;
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        match c {
            OPEN => {
                let value: String = chars.by_ref().take_while(|c| *c != CLOSE).collect();
                let value = plain(&value);
                if single {
                    out.push_str(&value.replace('\'', "'\\''"));
                    continue;
                }
                if !double {
                    out.push('"');
                }
                for v in value.chars() {
                    if "\\\"$`".contains(v) {
                        out.push('\\');
                    }
                    out.push(v);
                }
                if !double {
                    out.push('"');
                }
            }
            CLOSE => {}
            LITERAL_DOLLAR => out.push('$'),
            '\\' if !single => {
                out.push(c);
                if let Some(next) = chars.next() {
                    out.push(if next == LITERAL_DOLLAR { '$' } else { next });
                }
            }
            '\'' if !double => {
                single = !single;
                out.push(c);
            }
            '"' if !single => {
                double = !double;
                out.push(c);
            }
            _ => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn interpolated_values_are_quoted_for_their_context() {
        let bin = mark("x /*");
        assert_eq!(
            shell(&format!("rm -rf target/{bin}")),
            "rm -rf target/\"x /*\""
        );
        assert_eq!(shell(&format!("echo \"{bin}\"")), "echo \"x /*\"");
        let tricky = mark("a'b\"$c");
        assert_eq!(shell(&format!("echo {tricky}")), r#"echo "a'b\"\$c""#);
        assert_eq!(shell(&format!("echo \"{tricky}\"")), r#"echo "a'b\"\$c""#);
        assert_eq!(shell(&format!("echo '{tricky}'")), r#"echo 'a'\''b"$c'"#);
        assert_eq!(mark("3.12"), "3.12");
        assert_eq!(plain(&format!("{bin}\u{FDD0}")), "x /*$");
    }
}
