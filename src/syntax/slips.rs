//! Common slips that make a file fail to parse, found by a plain scan so
//! the syntax error can name them: invisible or typographic characters
//! between tokens, a string left open at the end of its line, a missing
//! comma between the items of a list or call. Only consulted once the
//! grammar has failed, so a valid file never sees these.

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Slip {
    /// A character that is not allowed outside strings and comments
    /// (the grammar is ASCII there), such as a non-breaking space.
    Stray(char),
    /// A string opened here that is not closed on its line.
    Unclosed,
    /// Two items of a list or call with nothing but space between them;
    /// the offset is where the comma belongs.
    MissingComma,
}

/// Every slip in `text`, by byte offset, in order.
pub fn scan(text: &str) -> Vec<(usize, Slip)> {
    let mut slips = Vec::new();
    let mut open: Vec<char> = Vec::new();
    // Where the last value ended, while only white space has followed it.
    let mut value_end: Option<usize> = None;
    let mut chars = text.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        match c {
            '/' if chars.peek().is_some_and(|(_, n)| *n == '/') => {
                for (_, n) in chars.by_ref() {
                    if n == '\n' {
                        break;
                    }
                }
            }
            '"' => {
                missing_comma(&open, value_end, &mut slips);
                let mut closed = None;
                while let Some((j, n)) = chars.next() {
                    match n {
                        '\\' if chars.peek().is_some_and(|(_, n)| *n != '\n') => {
                            chars.next();
                        }
                        '"' => {
                            closed = Some(j + 1);
                            break;
                        }
                        '\n' => break,
                        _ => {}
                    }
                }
                match closed {
                    Some(end) => value_end = Some(end),
                    None => {
                        slips.push((i, Slip::Unclosed));
                        value_end = None;
                    }
                }
            }
            c if c.is_ascii_whitespace() => {}
            c if !c.is_ascii() => {
                slips.push((i, Slip::Stray(c)));
                value_end = None;
            }
            '[' | '(' | '{' => {
                if c != '(' {
                    missing_comma(&open, value_end, &mut slips);
                }
                open.push(c);
                value_end = None;
            }
            ']' | ')' | '}' => {
                open.pop();
                value_end = Some(i + 1);
            }
            c if c.is_ascii_alphanumeric() || c == '_' || c == '.' || c == '-' => {
                if value_end.is_some_and(|end| end < i) {
                    missing_comma(&open, value_end, &mut slips);
                }
                value_end = Some(i + c.len_utf8());
            }
            _ => value_end = None,
        }
    }
    slips
}

fn missing_comma(open: &[char], value_end: Option<usize>, slips: &mut Vec<(usize, Slip)>) {
    if let (Some(end), Some('[' | '(')) = (value_end, open.last()) {
        slips.push((end, Slip::MissingComma));
    }
}

/// A person's name for a stray character.
pub fn describe(c: char) -> String {
    let name = match c {
        '\u{00A0}' => "a non-breaking space",
        '\u{2007}' | '\u{202F}' => "a narrow or figure non-breaking space",
        '\u{200B}' => "a zero-width space",
        '\u{200C}' | '\u{200D}' | '\u{2060}' => "an invisible joiner",
        '\u{FEFF}' => "a byte-order mark",
        '\u{2028}' | '\u{2029}' => "a Unicode line separator",
        '\u{0085}' => "a next-line control character",
        '\u{201C}' | '\u{201D}' | '\u{201E}' | '\u{2033}' => "a typographic double quote",
        '\u{2018}' | '\u{2019}' => "a typographic single quote",
        c if c.is_whitespace() => "a Unicode space",
        _ => "",
    };
    if name.is_empty() {
        format!("`{c}` (U+{:04X})", c as u32)
    } else {
        format!("{name} (U+{:04X})", c as u32)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_slips() {
        assert_eq!(scan("x = [\"a\" \"b\"]"), vec![(8, Slip::MissingComma)]);
        assert_eq!(
            scan("x = [\n  \"a\"\n  \"b\"\n]"),
            vec![(11, Slip::MissingComma)]
        );
        assert_eq!(scan("x = [1 2]"), vec![(6, Slip::MissingComma)]);
        assert_eq!(scan("f(a: \"x\" b: 1)"), vec![(8, Slip::MissingComma)]);
        assert_eq!(scan("x = [\"a\", \"b\"]"), vec![]);
        assert_eq!(scan("b { x = \"a\" y = \"b\" }"), vec![]);
        assert_eq!(scan("x = \"a\ny = 1"), vec![(4, Slip::Unclosed)]);
        assert_eq!(scan("x =\u{a0}1"), vec![(3, Slip::Stray('\u{a0}'))]);
        assert_eq!(scan("// é\nx = \"é\""), vec![]);
        assert_eq!(scan("t(n: int = 1, s: [string])"), vec![]);
    }
}
