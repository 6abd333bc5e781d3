//! Workspace declarations whose members' manifests are not copied (E0125):
//! npm and Yarn `workspaces`, pnpm-workspace.yaml, Cargo's `[workspace]`,
//! Maven's `<modules>`. The npm case is also the code's fixture
//! (tests/fixtures/diagnostics/E0125-workspace-members/).

mod common;

use std::path::{Path, PathBuf};

use common::{codes, compile_file, rendered, workspace};
use imgspec::diagnostic::Code;

/// A project (a `.git` marks its root) holding `app.imgspec` and `files`.
fn project(name: &str, spec: &str, files: &[(&str, &str)]) -> PathBuf {
    let mut all = vec![("app.imgspec", spec)];
    all.extend_from_slice(files);
    let dir = workspace(&format!("workspace/{name}"), &all);
    std::fs::create_dir_all(dir.join(".git")).expect("mark the project");
    dir
}

/// The E0125 of the project's spec, if any: (message, label, help).
fn e0125(dir: &Path) -> Option<(String, String, String)> {
    let c = compile_file(&dir.join("app.imgspec"));
    let sorted = c.diagnostics.sorted();
    let d = sorted.iter().find(|d| d.code == Code::WorkspaceMembers)?;
    let others: Vec<&str> = codes(&c).into_iter().filter(|c| *c != "E0125").collect();
    assert!(others.is_empty(), "{}", rendered(&c));
    Some((
        d.message.clone(),
        d.labels[0].message.clone(),
        d.help.clone().unwrap_or_default(),
    ))
}

fn compiles_clean(dir: &Path) -> String {
    let c = compile_file(&dir.join("app.imgspec"));
    assert!(codes(&c).is_empty(), "{}", rendered(&c));
    c.outputs[0].dockerfile.clone()
}

const NODE: &str = "use std.node\nimage api {\n  base    = node.slim()\n  deps    = [@]\n  sources = [\"apps/api/src/\"]\n  run { cmd = [\"node\", \"apps/api/src/server.js\"] }\n}\n";

fn node(deps: &str) -> String {
    NODE.replace('@', deps)
}

#[test]
fn npm_members_not_copied_are_reported_once_with_the_fix() {
    let files: &[(&str, &str)] = &[
        (
            "package.json",
            r#"{"workspaces": ["apps/*", "packages/*", "!packages/old", "tools/cli"]}"#,
        ),
        ("package-lock.json", "{}\n"),
        ("apps/api/package.json", "{}\n"),
        ("apps/api/src/server.js", "\n"),
        ("packages/ui/package.json", "{}\n"),
        ("packages/old/package.json", "{}\n"),
        // A directory without a manifest is no member.
        ("packages/notes/README.md", "\n"),
        ("tools/cli/package.json", "{}\n"),
    ];
    let dir = project(
        "npm",
        &node("node.npm() { manifests += [\"apps/*/package.json\"] }"),
        files,
    );
    let (message, label, help) = e0125(&dir).expect("E0125");
    assert_eq!(
        message,
        "`package.json` declares workspace members whose manifests are not copied"
    );
    assert!(
        label.ends_with("`packages/ui/package.json` and `tools/cli/package.json`"),
        "{label}"
    );
    assert_eq!(
        help,
        "copy them with the other manifests: write `node.npm() { manifests += [\"packages/*/package.json\", \"tools/cli/package.json\"] }`"
    );
    // The fix, applied: nothing to say.
    let dir = project(
        "npm-fixed",
        &node("node.npm() { manifests += [\"apps/*/package.json\", \"packages/*/package.json\", \"tools/cli/package.json\"] }"),
        files,
    );
    compiles_clean(&dir);
    // A copied directory holds its members' manifests.
    let dir = project(
        "npm-directory",
        &node("node.npm() { manifests += [\"apps/*/package.json\", \"packages/\", \"tools/\"] }"),
        files,
    );
    compiles_clean(&dir);
}

/// `*/package.json` as a manifest would copy from the whole context
/// (E0110): the help names the members' manifests instead.
#[test]
fn a_pattern_that_starts_with_a_wildcard_is_spelt_out() {
    let dir = project(
        "npm-star",
        &node("node.npm()"),
        &[
            ("package.json", r#"{"workspaces": ["*"]}"#),
            ("package-lock.json", "{}\n"),
            ("api/package.json", "{}\n"),
            ("web/package.json", "{}\n"),
            ("apps/api/src/server.js", "\n"),
        ],
    );
    let (_, _, help) = e0125(&dir).expect("E0125");
    assert!(
        help.ends_with(
            "`node.npm() { manifests += [\"api/package.json\", \"web/package.json\"] }`"
        ),
        "{help}"
    );
}

#[test]
fn yarn_workspaces_as_an_object_under_a_directory() {
    let spec = "use std.node\nimage web {\n  base    = node.slim()\n  deps    = [node.yarn(dir: \"web\")]\n  sources = [\"web/src/\"]\n  run { cmd = [\"node\", \"web/src/index.js\"] }\n}\n";
    let dir = project(
        "yarn",
        spec,
        &[
            (
                "web/package.json",
                r#"{"private": true, "workspaces": {"packages": ["libs/*"], "nohoist": ["**/x"]}}"#,
            ),
            ("web/yarn.lock", "\n"),
            ("web/libs/a/package.json", "{}\n"),
            ("web/src/index.js", "\n"),
        ],
    );
    let (message, label, help) = e0125(&dir).expect("E0125");
    assert!(
        message.starts_with("`web/package.json` declares"),
        "{message}"
    );
    // Relative to the ecosystem's directory, as its manifests are.
    assert!(label.ends_with("`libs/a/package.json`"), "{label}");
    assert!(
        help.ends_with("`node.yarn() { manifests += [\"libs/*/package.json\"] }`"),
        "{help}"
    );
}

#[test]
fn pnpm_members_from_pnpm_workspace_yaml() {
    let files: &[(&str, &str)] = &[
        // package.json's own `workspaces` means nothing to pnpm.
        ("package.json", r#"{"workspaces": ["nothing/*"]}"#),
        ("pnpm-lock.yaml", "lockfileVersion: '9.0'\n"),
        (
            "pnpm-workspace.yaml",
            "packages:\n  - 'apps/*'\n  - \"packages/*\"\n  - '!**/fixtures/**'\n\nonlyBuiltDependencies:\n  - esbuild\n",
        ),
        ("nothing/x/package.json", "{}\n"),
        ("apps/api/package.json", "{}\n"),
        ("apps/api/src/server.js", "\n"),
        ("packages/core/package.json", "{}\n"),
        ("packages/fixtures/package.json", "{}\n"),
    ];
    // pnpm-workspace.yaml is an optional manifest of node.pnpm(): copied
    // because it is there, and read.
    let dir = project("pnpm", &node("node.pnpm()"), files);
    let (message, label, help) = e0125(&dir).expect("E0125");
    assert!(
        message.starts_with("`pnpm-workspace.yaml` declares"),
        "{message}"
    );
    assert!(
        label.ends_with("`apps/api/package.json` and `packages/core/package.json`"),
        "{label}"
    );
    assert!(
        help.ends_with(
            "`node.pnpm() { manifests += [\"apps/*/package.json\", \"packages/*/package.json\"] }`"
        ),
        "{help}"
    );
    let dir = project(
        "pnpm-fixed",
        &node(
            "node.pnpm() { manifests += [\"apps/*/package.json\", \"packages/*/package.json\"] }",
        ),
        files,
    );
    let dockerfile = compiles_clean(&dir);
    assert!(
        dockerfile.contains("COPY package.json pnpm-lock.yaml pnpm-workspace.yaml ./"),
        "{dockerfile}"
    );
}

#[test]
fn cargo_members_less_exclude() {
    let files: &[(&str, &str)] = &[
        (
            "Cargo.toml",
            "[workspace]\nresolver = \"2\"\nmembers = [\n  \"crates/*\",  # libraries and the server\n  \"tools/gen\",\n]\nexclude = [\"crates/old\"]\n\n[workspace.dependencies]\nserde = \"1\"\n",
        ),
        ("Cargo.lock", "\n"),
        ("crates/server/Cargo.toml", "[package]\nname = \"server\"\n"),
        ("crates/server/src/main.rs", "fn main() {}\n"),
        ("crates/greeting/Cargo.toml", "[package]\nname = \"greeting\"\n"),
        ("crates/old/Cargo.toml", "[package]\nname = \"old\"\n"),
        ("tools/gen/Cargo.toml", "[package]\nname = \"gen\"\n"),
    ];
    let spec = |deps: &str| {
        format!("use std.rust\nimage hello = rust.service(bin: \"server\") {{\n  deps    = [{deps}]\n  sources = [\"crates/\", \"tools/\"]\n}}\n")
    };
    let dir = project("cargo", &spec("rust.cargo(bin: \"server\")"), files);
    let (message, label, help) = e0125(&dir).expect("E0125");
    assert_eq!(
        message,
        "`Cargo.toml` declares workspace members whose manifests are not copied"
    );
    assert!(
        label.ends_with(
            "`crates/greeting/Cargo.toml`, `crates/server/Cargo.toml` and `tools/gen/Cargo.toml`"
        ),
        "{label}"
    );
    assert_eq!(
        help,
        "copy them with the other manifests: write `rust.cargo(workspace: true) { manifests += [\"crates/*/Cargo.toml\", \"tools/gen/Cargo.toml\"] }`"
    );
    let dir = project(
        "cargo-fixed",
        &spec("rust.cargo(bin: \"server\", workspace: true) { manifests += [\"crates/*/Cargo.toml\", \"tools/gen/Cargo.toml\"] }"),
        files,
    );
    let dockerfile = compiles_clean(&dir);
    // The excluded crate's manifest came with the pattern, harmlessly.
    assert!(
        dockerfile.contains("COPY crates/greeting/Cargo.toml ./crates/greeting/"),
        "{dockerfile}"
    );
}

/// From a template: the diagnostic is on the standard library's line, and
/// also points at the image.
#[test]
fn an_ecosystem_a_template_sets_points_at_the_image_too() {
    let dir = project(
        "cargo-template",
        "use std.rust\nimage hello = rust.service(bin: \"server\") {}\n",
        &[
            ("Cargo.toml", "[workspace]\nmembers = [\"server\"]\n"),
            ("Cargo.lock", "\n"),
            ("server/Cargo.toml", "[package]\nname = \"server\"\n"),
            ("src/main.rs", "fn main() {}\n"),
        ],
    );
    let c = compile_file(&dir.join("app.imgspec"));
    assert_eq!(codes(&c), ["E0125"], "{}", rendered(&c));
    assert!(rendered(&c).contains("in this image"), "{}", rendered(&c));
}

#[test]
fn maven_modules_down_through_copied_poms() {
    let root = "<project>\n  <modules>\n    <module>api</module>\n    <module>core</module>\n  </modules>\n  <profiles><profile><modules><module>bench</module></modules></profile></profiles>\n</project>\n";
    let files: &[(&str, &str)] = &[
        ("pom.xml", root),
        ("api/pom.xml", "<project/>\n"),
        (
            "core/pom.xml",
            "<project>\n  <modules>\n    <module>impl</module>\n  </modules>\n</project>\n",
        ),
        ("core/impl/pom.xml", "<project/>\n"),
        ("bench/pom.xml", "<project/>\n"),
        ("api/src/Main.java", "\n"),
    ];
    let spec = |deps: &str| {
        format!("use std.java\nimage orders = java.maven_service(jar: \"api/target/app.jar\") {{\n  deps    = [{deps}]\n  sources = [\"api/src/\"]\n}}\n")
    };
    let dir = project("maven", &spec("java.maven()"), files);
    let (message, label, help) = e0125(&dir).expect("E0125");
    assert!(message.starts_with("`pom.xml` declares"), "{message}");
    assert!(
        label.ends_with("`api/pom.xml` and `core/pom.xml`"),
        "{label}"
    );
    assert!(
        help.ends_with("`java.maven() { manifests += [\"api/pom.xml\", \"core/pom.xml\"] }`"),
        "{help}"
    );
    // The reactor's modules copied, but not the nested module of `core`.
    let dir = project(
        "maven-nested",
        &spec("java.maven() { manifests += [\"api/pom.xml\", \"core/pom.xml\"] }"),
        files,
    );
    let (_, label, help) = e0125(&dir).expect("E0125");
    assert!(label.ends_with("`core/impl/pom.xml`"), "{label}");
    assert!(help.contains("[\"core/impl/pom.xml\"]"), "{help}");
    let dir = project(
        "maven-fixed",
        &spec("java.maven() { manifests += [\"api/pom.xml\", \"core/pom.xml\", \"core/impl/pom.xml\"] }"),
        files,
    );
    compiles_clean(&dir);
}

/// Declarations that cannot be read or followed report nothing: the
/// build has the last word.
#[test]
fn malformed_or_unreadable_declarations_report_nothing() {
    let cases: &[(&str, &str, &str)] = &[
        ("json", "package.json", "{\"workspaces\": [\"apps/*\""),
        ("json-type", "package.json", "{\"workspaces\": [1, 2]}"),
        (
            "globstar",
            "package.json",
            "{\"workspaces\": [\"apps/**\"]}",
        ),
        (
            "parent",
            "package.json",
            "{\"workspaces\": [\"../apps/*\"]}",
        ),
        (
            "control",
            "package.json",
            "{\"workspaces\": [\"apps/*\\u001b[31m\"]}",
        ),
        ("not-utf8", "package.json", "\u{0}"),
    ];
    for (name, file, text) in cases {
        let dir = project(
            &format!("malformed-{name}"),
            &node("node.npm()"),
            &[
                (file, text),
                ("package-lock.json", "{}\n"),
                ("apps/api/package.json", "{}\n"),
                ("apps/api/src/server.js", "\n"),
            ],
        );
        assert!(e0125(&dir).is_none(), "{name}");
    }
    let rust = "use std.rust\nimage app = rust.service() {}\n";
    for (name, text) in [
        ("unclosed", "[workspace]\nmembers = [\"crates/*\"\n"),
        ("bare", "[workspace]\nmembers = [crates]\n"),
        (
            "multiline-string",
            "[workspace]\nmembers = [\"\"\"crates/*\"\"\"]\n",
        ),
    ] {
        let dir = project(
            &format!("malformed-cargo-{name}"),
            rust,
            &[
                ("Cargo.toml", text),
                ("Cargo.lock", "\n"),
                ("crates/a/Cargo.toml", "[package]\n"),
                ("src/main.rs", "fn main() {}\n"),
            ],
        );
        assert!(e0125(&dir).is_none(), "cargo {name}");
    }
    let dir = project(
        "malformed-maven",
        "use std.java\nimage orders = java.maven_service() {}\n",
        &[
            ("pom.xml", "<project><modules><module>api</module>"),
            ("api/pom.xml", "<project/>\n"),
            ("src/Main.java", "\n"),
        ],
    );
    assert!(e0125(&dir).is_none(), "maven");
    // Larger than the 1 MiB a context file may be: not read.
    let mut big = String::from("{\"workspaces\": [\"apps/*\"], \"x\": \"");
    big.push_str(&"x".repeat(1024 * 1024));
    big.push_str("\"}");
    let dir = project(
        "too-large",
        &node("node.npm()"),
        &[
            ("package.json", &big),
            ("package-lock.json", "{}\n"),
            ("apps/api/package.json", "{}\n"),
            ("apps/api/src/server.js", "\n"),
        ],
    );
    assert!(e0125(&dir).is_none(), "too large");
}

/// Neither a declaration nor a member is looked at through a symlink,
/// which might lead out of the project.
#[test]
fn symlinks_are_never_followed() {
    let outside = workspace(
        "workspace/symlink-outside",
        &[
            ("package.json", r#"{"workspaces": ["apps/*"]}"#),
            ("apps/x/package.json", "{}\n"),
        ],
    );
    let dir = project(
        "symlink-declaration",
        &node("node.npm()"),
        &[
            ("package-lock.json", "{}\n"),
            ("apps/api/package.json", "{}\n"),
            ("apps/api/src/server.js", "\n"),
        ],
    );
    std::os::unix::fs::symlink(outside.join("package.json"), dir.join("package.json"))
        .expect("symlink");
    assert!(e0125(&dir).is_none());
    let dir = project(
        "symlink-members",
        &node("node.npm()"),
        &[
            ("package.json", r#"{"workspaces": ["apps/*", "linked/*"]}"#),
            ("package-lock.json", "{}\n"),
            ("apps/api/src/server.js", "\n"),
        ],
    );
    std::os::unix::fs::symlink(outside.join("apps"), dir.join("linked")).expect("symlink");
    assert!(e0125(&dir).is_none());
}

/// From memory the context is unknown: nothing is read, nothing reported.
#[test]
fn specs_compiled_from_memory_are_not_checked() {
    let loader = imgspec::loader::MemoryLoader::new().with("app.imgspec", node("node.npm()"));
    let c = common::compile_with(&loader, Path::new("app.imgspec"));
    assert!(codes(&c).is_empty(), "{}", rendered(&c));
}

/// The repository's own workspaces copy their members' manifests.
#[test]
fn the_workspace_examples_are_not_flagged() {
    for spec in [
        "tests/e2e/npm-workspace/service.imgspec",
        "tests/e2e/cargo-workspace/service.imgspec",
        "examples/node-workspace/services.imgspec",
        "examples/monorepo/services.imgspec",
    ] {
        let c = compile_file(Path::new(spec));
        assert!(codes(&c).is_empty(), "{spec}: {}", rendered(&c));
    }
}

/// Member names come from the context: one that is not a plain path is
/// counted, never printed.
#[test]
fn member_names_that_are_not_plain_paths_are_not_shown() {
    let dir = project(
        "hostile-name",
        &node("node.npm()"),
        &[
            ("package.json", r#"{"workspaces": ["apps/*"]}"#),
            ("package-lock.json", "{}\n"),
            ("apps/evil\u{1b}[2J/package.json", "{}\n"),
            ("apps/api/src/server.js", "\n"),
        ],
    );
    let c = compile_file(&dir.join("app.imgspec"));
    assert_eq!(codes(&c), ["E0125"], "{}", rendered(&c));
    let text = rendered(&c);
    assert!(!text.contains('\u{1b}'), "{text:?}");
    assert!(text.contains("without 1 member's manifest"), "{text}");
}
