//! `imgspec fmt`: the canonical layout of a spec. [`format_source`] is the
//! whole formatter, independent of the file system (the command line and
//! an editor's "format document" both call it); [`command`] is the CLI.
//!
//! The pipeline: parse (a file that does not parse is refused with its
//! syntax diagnostic), collect comments ([`comments`]), print the AST with
//! them ([`printer`]), then check the result ([`verify`]): it must parse to
//! the same AST (spans aside) with the same comments in the same order, or
//! the input is returned unformatted as error E0170.

pub mod command;
pub mod comments;
mod printer;
pub mod verify;

use crate::diagnostic::Diagnostics;
use crate::source::FileId;

pub use printer::WIDTH;

/// The text of a spec in canonical layout (see docs/fmt.md). `Err` holds
/// the syntax diagnostic of a file that does not parse, or E0170 when the
/// layout would change the file's meaning or lose a comment; diagnostics
/// point into `text` as file 0 of a source map.
pub fn format_source(text: &str) -> Result<String, Diagnostics> {
    format_file(FileId(0), text)
}

/// [`format_source`] for the file `file` of a caller's source map.
pub fn format_file(file: FileId, text: &str) -> Result<String, Diagnostics> {
    let mut diagnostics = Diagnostics::default();
    let Some(module) = crate::syntax::parse(file, text, &mut diagnostics) else {
        return Err(diagnostics);
    };
    let comments = comments::scan(text);
    let formatted = printer::Printer::new(text, &comments).module(&module);
    verify::verify(file, &module, &comments, &formatted)?;
    Ok(formatted)
}
