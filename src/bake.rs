//! `docker buildx bake` files: one target per image, a `default` group with
//! all of them, tags, platforms and registry cache settings from each
//! image's `publish` block. Written as JSON, which bake reads natively.

use std::path::{Path, PathBuf};

use serde_json::{json, Map, Value};

use crate::compile::Compilation;
use crate::output;

pub struct Target {
    pub name: String,
    pub context: PathBuf,
    pub dockerfile: PathBuf,
    pub publish: crate::model::Publish,
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

/// The bake file. Target names are the image names, made unique with the
/// spec's directory when two specs share one.
pub fn render(targets: &[Target]) -> String {
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
            "context": t.context.to_string_lossy(),
            "dockerfile": t.dockerfile.to_string_lossy(),
        });
        if !t.publish.tags.is_empty() {
            target["tags"] = json!(t.publish.tags);
        }
        if !t.publish.platforms.is_empty() {
            target["platforms"] = json!(t.publish.platforms);
        }
        if let Some(cache) = &t.publish.cache {
            target["cache-from"] = json!([format!("type=registry,ref={cache}")]);
            target["cache-to"] = json!([format!("type=registry,ref={cache},mode=max")]);
        }
        target_map.insert(name, target);
    }
    let bake = json!({
        "group": { "default": { "targets": names } },
        "target": Value::Object(target_map),
    });
    serde_json::to_string_pretty(&bake).unwrap_or_default() + "\n"
}
