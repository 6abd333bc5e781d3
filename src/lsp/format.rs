//! `textDocument/formatting`: the document through `imgspec fmt`'s own
//! formatter, so the editor and the command line agree byte for byte.

/// The formatted text of a document, or `None` when it cannot be
/// formatted (it does not parse, or the formatter's safety net refused):
/// the editor then keeps the text as it is, and the diagnostics say why.
pub fn format_document(text: &str) -> Option<String> {
    crate::format::format_source(text).ok()
}
