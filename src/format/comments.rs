//! Comments, which the grammar discards: found by a scan of the source that
//! skips string literals exactly as the grammar reads them (a string ends
//! at an unescaped `"` or at the end of its line; a backslash escapes the
//! character after it, whatever it is).

/// A `//` or `///` comment: where it starts and ends in the source, and its
/// text without trailing whitespace (a CRLF file's `\r` included).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Comment<'a> {
    pub start: usize,
    pub end: usize,
    pub text: &'a str,
}

/// Every comment of `src`, in source order. Linear in the length of `src`.
pub fn scan(src: &str) -> Vec<Comment<'_>> {
    let bytes = src.as_bytes();
    let mut comments = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'"' => {
                i += 1;
                while i < bytes.len() && bytes[i] != b'"' && bytes[i] != b'\n' {
                    i += if bytes[i] == b'\\' { 2 } else { 1 };
                }
                i += 1;
            }
            b'/' if bytes.get(i + 1) == Some(&b'/') => {
                let start = i;
                while i < bytes.len() && bytes[i] != b'\n' {
                    i += 1;
                }
                // `/` and `\n` are ASCII, so both ends are char boundaries.
                let text = src[start..i].trim_end();
                comments.push(Comment {
                    start,
                    end: start + text.len(),
                    text,
                });
            }
            _ => i += 1,
        }
    }
    comments
}

#[cfg(test)]
mod tests {
    use super::scan;

    #[test]
    fn strings_hide_slashes_and_comments_end_at_the_line() {
        let src = "a = \"http://x\\\"//\" // one\r\n// two\nb = \"//\n/// three";
        let texts: Vec<&str> = scan(src).iter().map(|c| c.text).collect();
        assert_eq!(texts, ["// one", "// two", "/// three"]);
    }
}
