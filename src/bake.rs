//! `docker buildx bake` files: one target per image, a `default` group with
//! all of them, tags, platforms, registry cache settings and attestations
//! from each image's `publish` block. Written as JSON, which bake reads
//! natively.
//!
//! What changes with every commit (the revision, the commit's time) is
//! never written into the file: each target passes it from a bake
//! `variable` that CI sets in the environment. A variable left unset is
//! `null`, and bake passes no argument for it, so the Dockerfile's default
//! holds.

use std::path::{Path, PathBuf};

use serde_json::{json, Map, Value};

use crate::compile::Compilation;
use crate::model::{Attestation, Provenance, Publish};
use crate::output;

pub struct Target {
    pub name: String,
    pub context: PathBuf,
    pub dockerfile: PathBuf,
    pub publish: Publish,
}

/// The targets of one compiled spec, with the Dockerfiles where `compile`
/// writes them by default.
pub fn targets(spec: &Path, compilation: &Compilation) -> Vec<Target> {
    let outputs: Vec<_> = compilation.outputs.iter().collect();
    let files = output::plan(spec, None, &outputs);
    let context = spec.parent().map(Path::to_path_buf).unwrap_or_default();
    let context = if context.as_os_str().is_empty() {
        PathBuf::from(".")
    } else {
        context
    };
    outputs
        .iter()
        .zip(files.iter().step_by(2))
        .map(|(o, file)| {
            let dockerfile = file
                .path
                .strip_prefix(&context)
                .map(Path::to_path_buf)
                .unwrap_or_else(|_| file.path.clone());
            Target {
                name: o.image.clone(),
                context: context.clone(),
                dockerfile,
                publish: o.publish.clone(),
            }
        })
        .collect()
}

/// BuildKit's reproducible-timestamp argument: with it, the image's
/// creation time and history are the commit's, not the build's. Passed to
/// every target; no stage declares it, so no RUN step sees it or changes
/// its cache key with it.
const SOURCE_DATE_EPOCH: &str = "SOURCE_DATE_EPOCH";

/// `IMGSPEC_CREATED`, when CI does not set it, is the time of
/// `SOURCE_DATE_EPOCH` in RFC 3339 (what the OCI `created` label holds),
/// and unset without it.
const CREATED_FROM_EPOCH: &str = "${SOURCE_DATE_EPOCH == null || SOURCE_DATE_EPOCH == \"\" ? null : timeadd(\"1970-01-01T00:00:00Z\", format(\"%ss\", SOURCE_DATE_EPOCH))}";

/// The build arguments a target passes from bake variables: the reproducible
/// timestamp, and the provenance labels the spec leaves to CI (the spec's
/// own `source` and `version` are the Dockerfile's defaults, and win).
fn variable_args(publish: &Publish) -> Vec<&'static str> {
    let mut args = vec![SOURCE_DATE_EPOCH];
    if let Some(provenance) = &publish.provenance {
        for (_, arg) in Provenance::LABELS {
            let given = match arg {
                "IMGSPEC_SOURCE" => provenance.source.is_some(),
                "IMGSPEC_VERSION" => provenance.version.is_some(),
                _ => false,
            };
            if !given {
                args.push(arg);
            }
        }
    }
    args
}

/// `attest` entries: SLSA provenance with the whole build definition
/// (`mode=max`), and an SBOM of the image.
fn attest(attestations: &[Attestation]) -> Vec<&'static str> {
    attestations
        .iter()
        .map(|a| match a {
            Attestation::Provenance => "type=provenance,mode=max",
            Attestation::Sbom => "type=sbom",
        })
        .collect()
}

/// A value bake must read as written: its strings are HCL templates, where
/// `${...}` interpolates and `%{...}` is a directive, so a directory named
/// `app-${x}` would be read as a variable. `$${` and `%%{` are the escapes.
fn literal(text: &str) -> String {
    text.replace("${", "$${").replace("%{", "%%{")
}

/// The bake file. Target names are the image names, made unique with the
/// spec's directory when two specs share one.
pub fn render(targets: &[Target]) -> String {
    let mut variables: Vec<&'static str> = Vec::new();
    let mut names: Vec<String> = Vec::new();
    let mut target_map = Map::new();
    for t in targets {
        let mut name = t.name.clone();
        if names.contains(&name) {
            let dir = t.context.to_string_lossy().replace(['/', '.'], "-");
            name = format!("{}-{}", dir.trim_matches('-'), t.name);
        }
        names.push(name.clone());
        let mut target = json!({
            "context": literal(&t.context.to_string_lossy()),
            "dockerfile": literal(&t.dockerfile.to_string_lossy()),
        });
        let literals = |list: &[String]| list.iter().map(|s| literal(s)).collect::<Vec<_>>();
        if !t.publish.tags.is_empty() {
            target["tags"] = json!(literals(&t.publish.tags));
        }
        if !t.publish.platforms.is_empty() {
            target["platforms"] = json!(literals(&t.publish.platforms));
        }
        if let Some(cache) = &t.publish.cache {
            let cache = literal(cache);
            target["cache-from"] = json!([format!("type=registry,ref={cache}")]);
            target["cache-to"] = json!([format!("type=registry,ref={cache},mode=max")]);
        }
        let mut args = Map::new();
        for arg in variable_args(&t.publish) {
            args.insert(arg.to_string(), json!(format!("${{{arg}}}")));
            if !variables.contains(&arg) {
                variables.push(arg);
            }
        }
        target["args"] = Value::Object(args);
        if !t.publish.attest.is_empty() {
            target["attest"] = json!(attest(&t.publish.attest));
        }
        target_map.insert(name, target);
    }
    let mut variable_map = Map::new();
    for v in variables {
        let default = if v == "IMGSPEC_CREATED" {
            json!(CREATED_FROM_EPOCH)
        } else {
            Value::Null
        };
        variable_map.insert(v.to_string(), json!({ "default": default }));
    }
    let bake = json!({
        "variable": Value::Object(variable_map),
        "group": { "default": { "targets": names } },
        "target": Value::Object(target_map),
    });
    serde_json::to_string_pretty(&bake).unwrap_or_default() + "\n"
}

#[cfg(test)]
mod literal_tests {
    use super::literal;

    #[test]
    fn template_characters_in_values_are_escaped() {
        assert_eq!(literal("svc/${X}/%{ if y }"), "svc/$${X}/%%{ if y }");
        assert_eq!(literal("plain/$HOME/%d"), "plain/$HOME/%d");
    }
}
