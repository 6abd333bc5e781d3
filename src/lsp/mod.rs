//! `imgspec lsp`: a language server over standard input and output.
//!
//! Diagnostics come from the same [`crate::compile::compile`] as the
//! command line, through a loader that reads open buffers before the disk
//! (and, like the command line, only inside the project). Completion and
//! hover read the text around the cursor, so they work on text that does
//! not parse yet. Standard modules have no file: they are served as
//! `imgspec-std:/NAME.imgspec` documents whose text the custom request
//! `imgspec/stdlibSource` returns. See docs/editor.md.

mod completion;
mod context;
mod definition;
mod diagnostics;
mod documents;
mod format;
mod hover;
mod preview;
mod schema;
mod server;
mod symbols;

pub use server::run;
