//! Multi-platform builds: the Dockerfile of each cross-compiling shape
//! (reviewed snapshots), and where the emulation warning (W0123) and the
//! cross-compiling errors fire and where they do not.

mod common;

use std::path::Path;

use common::{compile_with, rendered};
use imgspec::loader::MemoryLoader;

fn compile(spec: &str) -> imgspec::compile::Compilation {
    let loader = MemoryLoader::new().with("t.imgspec", spec.to_string());
    compile_with(&loader, Path::new("t.imgspec"))
}

fn codes(c: &imgspec::compile::Compilation) -> Vec<&'static str> {
    c.diagnostics
        .sorted()
        .iter()
        .map(|d| d.code.as_str())
        .collect()
}

/// The Dockerfile of a spec that must compile without any diagnostic.
fn dockerfile(spec: &str) -> String {
    let c = compile(spec);
    assert!(c.diagnostics.is_empty(), "{spec}\n{}", rendered(&c));
    c.outputs[0].dockerfile.clone()
}

const PLATFORMS: &str = "  publish {\n    platforms = [\"linux/amd64\", \"linux/arm64\"]\n  }\n";

#[test]
fn rust_glibc_cross() {
    let spec = format!("use std.rust\n\nimage server = rust.service(bin: \"server\", cross_compile: true) {{\n{PLATFORMS}}}\n");
    insta::assert_snapshot!(dockerfile(&spec));
}

#[test]
fn rust_musl_cross() {
    let spec = format!("use std.rust\n\nimage server = rust.static_service(bin: \"server\", cross_compile: true) {{\n{PLATFORMS}}}\n");
    insta::assert_snapshot!(dockerfile(&spec));
}

#[test]
fn rust_workspace_cross() {
    let spec = format!(
        "use std.rust\n\nimage server = rust.service(bin: \"server\", cross_compile: true) {{\n  deps    = [rust.cargo(bin: \"server\", workspace: true, cross: true) {{ manifests += [\"crates/*/Cargo.toml\"] }}]\n  sources = [\"crates/\"]\n{PLATFORMS}}}\n"
    );
    insta::assert_snapshot!(dockerfile(&spec));
}

#[test]
fn dotnet_cross() {
    let spec = format!("use std.dotnet\n\nimage api = dotnet.web(project: \"Api.csproj\", assembly: \"Api.dll\", cross_compile: true) {{\n  sources = [\"Program.cs\"]\n{PLATFORMS}}}\n");
    insta::assert_snapshot!(dockerfile(&spec));
}

/// Templates that cross-compile by default are not warned about.
#[test]
fn cross_templates_are_not_warned_about() {
    for call in [
        "use std.go\n\nimage api = go.service()",
        "use std.web\n\nimage site = web.static_site()",
    ] {
        let spec = format!("{call} {{\n  sources = [\"src/\"]\n{PLATFORMS}}}\n");
        dockerfile(&spec);
    }
}

/// Without `cross_compile`, W0123 says whether it is possible.
#[test]
fn emulated_builds_are_warned_about() {
    let rust =
        format!("use std.rust\n\nimage server = rust.service(bin: \"server\") {{\n{PLATFORMS}}}\n");
    let c = compile(&rust);
    assert_eq!(codes(&c), ["W0123"], "{}", rendered(&c));
    assert!(rendered(&c).contains("`cargo` builds for the platform it runs on"));
    // A bundle: nothing native reaches the runner, so it can cross-compile.
    let bundle = format!(
        "use std.node\n\nimage site {{\n  base      = node.slim()\n  deps      = [node.npm(runtime: false)]\n  sources   = [\"src/\"]\n  build     = [\"npm run build\"]\n  artifacts = [{{ from = \"dist/\", to = \"/srv/\", native = false }}]\n{PLATFORMS}}}\n"
    );
    let c = compile(&bundle);
    assert_eq!(codes(&c), ["W0123"], "{}", rendered(&c));
    assert!(rendered(&c).contains("set `cross_compile = true`"));
    // One platform, or none: nothing to say.
    let one = rust.replace(", \"linux/arm64\"", "");
    assert!(compile(&one).diagnostics.is_empty());
}

/// Node dependencies the runner copies are still E0150 when the image
/// cross-compiles; an Express service cannot.
#[test]
fn node_runtime_dependencies_do_not_cross_compile() {
    let spec = "use std.node\n\nimage api = node.service() {\n  sources       = [\"src/\"]\n  cross_compile = true\n}\n";
    assert_eq!(codes(&compile(spec)), ["E0150"]);
}

/// A target other than amd64 and arm64 fails the build with a message,
/// never building for the builder's platform.
#[test]
fn other_targets_fail_the_build() {
    let spec = "use std.rust\n\nimage server = rust.service(cross_compile: true) {}\n";
    let text = dockerfile(spec);
    assert!(text.contains(
        "*) echo \"cargo cross-compiles for amd64 and arm64, not '$TARGETARCH'\" >&2; exit 1 ;;"
    ));
}
