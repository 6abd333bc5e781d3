//! The lock file: the digest of every image reference the specs use, so
//! that a rebuild of the same commit pulls the same bytes. `imgspec lock`
//! writes it (resolving tags through the registries), `compile` reads it
//! and emits `FROM name:tag@sha256:...`, and `lock --check` tells CI,
//! without the network, whether it still matches the specs.
//!
//! The file is TOML, one `[[image]]` table per reference, sorted, so a
//! change is a small diff and a tool that updates image digests (Renovate,
//! Dependabot) can be pointed at it.

pub mod command;
pub mod credentials;
pub mod file;
pub mod registry;
pub mod tools;

use std::collections::BTreeSet;

use crate::ir::{Dockerfile, Instruction};

pub use file::{Entry, Lock, ToolEntry, ToolKey, LOCK_FILE};

/// The image references a Dockerfile pulls by tag: the `FROM` of every
/// stage and every `COPY --from=` that names an image rather than a stage,
/// without `scratch` and without those already pinned by digest.
pub fn references(dockerfile: &Dockerfile) -> BTreeSet<String> {
    let stages: BTreeSet<&str> = dockerfile.stages.iter().map(|s| s.name.as_str()).collect();
    let mut out = BTreeSet::new();
    let mut take = |reference: &str| {
        if !stages.contains(reference) && reference != "scratch" && !reference.contains('@') {
            out.insert(reference.to_string());
        }
    };
    for stage in &dockerfile.stages {
        take(&stage.from);
        for line in &stage.lines {
            if let Instruction::Copy(copy) = &line.instruction {
                if let Some(from) = &copy.from {
                    take(from);
                }
            }
        }
    }
    out
}

/// Pins every reference of `dockerfile` that `lock` has to its digest;
/// returns those it has no entry for.
pub fn pin(dockerfile: &mut Dockerfile, lock: &Lock) -> Vec<String> {
    let unpinned: BTreeSet<String> = references(dockerfile);
    let mut missing = Vec::new();
    for reference in &unpinned {
        if lock.get(reference).is_none() {
            missing.push(reference.clone());
        }
    }
    let pinned = |reference: &str| -> Option<String> {
        unpinned
            .contains(reference)
            .then(|| lock.get(reference))
            .flatten()
            .map(|entry| format!("{reference}@{}", entry.digest))
    };
    for stage in &mut dockerfile.stages {
        if let Some(p) = pinned(&stage.from) {
            stage.from = p;
        }
        for line in &mut stage.lines {
            if let Instruction::Copy(copy) = &mut line.instruction {
                if let Some(p) = copy.from.as_deref().and_then(pinned) {
                    copy.from = Some(p);
                }
            }
        }
    }
    missing
}
