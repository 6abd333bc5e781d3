//! Parsing: source text → spanned AST (`ast`), with readable syntax errors.

pub mod ast;
mod cache;
mod parser;
mod rule_names;
mod slips;

pub mod marks;

pub use cache::parse_shared;
pub use marks::LITERAL_DOLLAR;
pub use parser::parse;
