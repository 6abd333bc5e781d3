//! The text the service answers with.

pub const TEXT: &str = "hello from rust";
