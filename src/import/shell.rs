//! Just enough of the POSIX shell to recognise what a `RUN` does: a
//! command line split into the commands joined by `&&` or `;`, and each
//! command into words. Anything more involved (pipes, redirections,
//! substitutions) is kept as written and never interpreted.

/// One command of a `RUN` line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Command {
    /// As written, trimmed.
    pub raw: String,
    /// Its words with quotes removed, or `None` when it uses shell syntax
    /// beyond plain words (a pipe, a redirection, `$(...)`, a glob is fine).
    pub words: Option<Vec<String>>,
}

impl Command {
    /// The words, or none for a command that is not plain words.
    pub fn words(&self) -> &[String] {
        self.words.as_deref().unwrap_or(&[])
    }

    /// The program, without a leading path (`/usr/bin/apt-get` → `apt-get`).
    pub fn program(&self) -> &str {
        let first = self.words().first().map(String::as_str).unwrap_or("");
        first.rsplit('/').next().unwrap_or(first)
    }
}

/// Splits at top-level `&&` and `;`. `None` when the line has a construct
/// that joins commands otherwise (`||`, a lone `&`, a subshell, a quote that
/// never closes), so it must be kept whole.
pub fn split(line: &str) -> Option<Vec<Command>> {
    let bytes = line.as_bytes();
    let mut parts = Vec::new();
    let mut start = 0;
    let mut quote: Option<u8> = None;
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        if let Some(q) = quote {
            if b == q {
                quote = None;
            } else if b == b'\\' && q == b'"' {
                i += 1;
            }
            i += 1;
            continue;
        }
        match b {
            b'\'' | b'"' => quote = Some(b),
            b'\\' => i += 1,
            b'&' if bytes.get(i + 1) == Some(&b'&') => {
                parts.push(&line[start..i]);
                i += 2;
                start = i;
                continue;
            }
            b'&' | b'(' | b')' | b'{' | b'}' | b'`' => return None,
            b'|' if bytes.get(i + 1) == Some(&b'|') => return None,
            b';' => {
                parts.push(&line[start..i]);
                start = i + 1;
            }
            b'\n' => {
                parts.push(&line[start..i]);
                start = i + 1;
            }
            _ => {}
        }
        i += 1;
    }
    if quote.is_some() {
        return None;
    }
    parts.push(&line[start..]);
    Some(
        parts
            .into_iter()
            .map(str::trim)
            .filter(|p| !p.is_empty())
            .map(|raw| Command {
                raw: raw.to_string(),
                words: words(raw),
            })
            .collect(),
    )
}

/// The words of a simple command, quotes removed. `None` when it has a
/// pipe, a redirection or a command substitution (variables stay as
/// written).
pub fn words(text: &str) -> Option<Vec<String>> {
    let mut out = Vec::new();
    let mut word = String::new();
    let mut in_word = false;
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            ' ' | '\t' | '\n' => {
                if in_word {
                    out.push(std::mem::take(&mut word));
                    in_word = false;
                }
            }
            '\'' => {
                in_word = true;
                loop {
                    match chars.next() {
                        Some('\'') => break,
                        Some(c) => word.push(c),
                        None => return None,
                    }
                }
            }
            '"' => {
                in_word = true;
                loop {
                    match chars.next() {
                        Some('"') => break,
                        Some('\\') => match chars.next() {
                            Some(c @ ('"' | '\\' | '$' | '`')) => word.push(c),
                            Some(c) => {
                                word.push('\\');
                                word.push(c);
                            }
                            None => return None,
                        },
                        Some('`') => return None,
                        Some(c) => word.push(c),
                        None => return None,
                    }
                }
            }
            '\\' => {
                in_word = true;
                word.push(chars.next()?);
            }
            '|' | '>' | '<' | '`' | '&' | ';' | '(' | ')' => return None,
            c => {
                in_word = true;
                word.push(c);
            }
        }
    }
    if in_word {
        out.push(word);
    }
    Some(out)
}

/// Words written back as a shell command, quoted where needed.
pub fn join(words: &[String]) -> String {
    words.iter().map(|w| quote(w)).collect::<Vec<_>>().join(" ")
}

fn quote(word: &str) -> String {
    let plain = !word.is_empty()
        && word
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_./=:,+@%^*?[]~".contains(c));
    if plain {
        word.to_string()
    } else {
        format!("'{}'", word.replace('\'', "'\\''"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_and_words() {
        let parts = split("apt-get update && apt-get install -y 'a b' c; rm -rf /x/*").unwrap();
        assert_eq!(parts.len(), 3);
        assert_eq!(parts[1].words(), ["apt-get", "install", "-y", "a b", "c"]);
        assert_eq!(parts[2].program(), "rm");
        assert!(split("a || b").is_none());
        assert!(split("echo 'x").is_none());
        assert_eq!(split("curl x | sh").unwrap()[0].words, None);
    }

    #[test]
    fn joins_with_quotes() {
        assert_eq!(join(&["echo".into(), "a b".into()]), "echo 'a b'");
    }
}
