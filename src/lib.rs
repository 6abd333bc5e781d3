//! imgspec: a typed, declarative language compiled to Dockerfiles.
//!
//! The pipeline, top to bottom: [`syntax`] (text → AST) → [`resolve`]
//! (imports, names) → [`eval`] (templates and parameters expanded) →
//! [`types`] (checked model) → [`ir`] (stages and steps) → [`opt`] (passes)
//! → [`emit`] (Dockerfile text). [`compile`] drives it; [`cli`] is a thin
//! shell around that.

pub mod bake;
pub mod cli;
pub mod compile;
pub mod context;
pub mod diagnostic;
pub mod discover;
pub mod emit;
pub mod eval;
pub mod explain;
pub mod format;
pub mod frontend;
pub mod fs;
pub mod import;
pub mod init;
pub mod ir;
pub mod loader;
pub mod lock;
pub mod lsp;
pub mod model;
pub mod opt;
pub mod output;
pub mod platform;
pub mod report;
pub mod resolve;
pub mod source;
pub mod stdlib;
pub mod suggest;
pub mod syntax;
pub mod tools;
pub mod types;
pub mod workspace;
