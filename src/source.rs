//! Source files and spans. Spans are byte ranges into a file of the
//! [`SourceMap`]; every AST node and every diagnostic label carries one.

use std::ops::Range;

/// Index of a file in the [`SourceMap`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct FileId(pub u32);

/// A byte range in one source file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Span {
    pub file: FileId,
    pub start: u32,
    pub end: u32,
}

impl Span {
    pub fn new(file: FileId, range: Range<usize>) -> Span {
        Span {
            file,
            start: range.start as u32,
            end: range.end as u32,
        }
    }

    /// The span of a value that stands in for one already reported as
    /// wrong; diagnostics at this span are dropped, so one mistake is not
    /// reported again by every use of it.
    pub fn poison() -> Span {
        Span {
            file: FileId(u32::MAX),
            start: 0,
            end: 0,
        }
    }

    pub fn is_poison(self) -> bool {
        self.file.0 == u32::MAX
    }

    pub fn range(self) -> Range<usize> {
        self.start as usize..self.end as usize
    }

    /// The smallest span covering both (same file assumed).
    pub fn to(self, other: Span) -> Span {
        Span {
            file: self.file,
            start: self.start.min(other.start),
            end: self.end.max(other.end),
        }
    }
}

/// A loaded source file: the name shown in diagnostics and its text.
#[derive(Debug, Clone)]
pub struct SourceFile {
    pub name: String,
    pub text: String,
    /// Byte offsets where lines start, so a position's line is a binary
    /// search, not a scan: reporting many diagnostics stays linear.
    line_starts: Vec<usize>,
}

/// All files loaded during one compilation, addressed by [`FileId`].
#[derive(Debug, Default, Clone)]
pub struct SourceMap {
    files: Vec<SourceFile>,
}

impl SourceMap {
    pub fn add(&mut self, name: impl Into<String>, text: impl Into<String>) -> FileId {
        let text = text.into();
        let line_starts = std::iter::once(0)
            .chain(text.match_indices('\n').map(|(i, _)| i + 1))
            .collect();
        self.files.push(SourceFile {
            name: name.into(),
            text,
            line_starts,
        });
        FileId(self.files.len() as u32 - 1)
    }

    pub fn file(&self, id: FileId) -> &SourceFile {
        &self.files[id.0 as usize]
    }

    pub fn files(&self) -> impl Iterator<Item = (FileId, &SourceFile)> {
        self.files
            .iter()
            .enumerate()
            .map(|(i, f)| (FileId(i as u32), f))
    }

    /// 1-based line and column of a byte offset.
    pub fn line_col(&self, file: FileId, offset: u32) -> (usize, usize) {
        let file = self.file(file);
        let text = &file.text;
        let mut offset = (offset as usize).min(text.len());
        while !text.is_char_boundary(offset) {
            offset -= 1;
        }
        // The last line start at or before the offset.
        let line = file.line_starts.partition_point(|&start| start <= offset);
        let line_start = file.line_starts[line - 1];
        let column = text[line_start..offset].chars().count() + 1;
        (line, column)
    }
}

/// Source bytes that are not UTF-8: the offset of the first bad byte and
/// the text decoded with replacement characters, to show where it is.
#[derive(Debug)]
pub struct NotUtf8 {
    pub offset: usize,
    pub lossy: String,
}

impl std::fmt::Display for NotUtf8 {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "not valid UTF-8 at byte {}", self.offset)
    }
}

impl std::error::Error for NotUtf8 {}

/// Decodes a spec file read as bytes; text that is not UTF-8 becomes a
/// [`NotUtf8`], which the resolver reports at the first bad byte.
pub fn decode(bytes: Vec<u8>) -> Result<String, NotUtf8> {
    String::from_utf8(bytes).map_err(|error| {
        let offset = error.utf8_error().valid_up_to();
        let lossy = String::from_utf8_lossy(error.as_bytes()).into_owned();
        NotUtf8 { offset, lossy }
    })
}
