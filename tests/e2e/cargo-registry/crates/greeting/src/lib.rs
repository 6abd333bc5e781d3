//! The greeting, in a library member of the workspace, and a number
//! formatted by `itoa` (a crates.io dependency of this member).

pub const GREETING: &str = "hello from cargo-registry";

/// `n` in decimal, as `itoa` writes it.
pub fn decimal(n: u64) -> String {
    itoa::Buffer::new().format(n).to_owned()
}
