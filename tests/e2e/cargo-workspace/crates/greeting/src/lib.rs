//! The greeting, in a library member of the workspace.

pub const GREETING: &str = "hello from cargo-workspace";
