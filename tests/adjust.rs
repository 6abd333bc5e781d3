//! Adjusting a stdlib ecosystem where it is used (`eco() { field += [...] }`):
//! appending to a field the ecosystem sets to one string makes a list, and
//! a misuse says what to write.

mod common;

use common::{codes, compile_file, rendered, workspace};

fn project(name: &str, spec: &str) -> std::path::PathBuf {
    let dir = workspace(
        &format!("adjust/{name}"),
        &[
            ("app.imgspec", spec),
            ("package.json", "{}\n"),
            ("pnpm-lock.yaml", "lockfileVersion: '9.0'\n"),
            ("pnpm-workspace.yaml", "packages:\n  - apps/*\n"),
            ("apps/api/package.json", "{}\n"),
            ("apps/api/src/server.js", "\n"),
        ],
    );
    std::fs::create_dir_all(dir.join(".git")).expect("mark the project");
    dir.join("app.imgspec")
}

#[test]
fn appending_to_a_single_output_makes_a_list() {
    let spec = "use std.node\nimage api = node.service() {\n  deps = [node.pnpm(workspace: true) {\n    manifests += [\"apps/*/package.json\"]\n    output    += [\"apps/api/node_modules\"]\n  }]\n  sources = [\"apps/api/src/\"]\n  run { cmd = [\"node\", \"apps/api/src/server.js\"] }\n}\n";
    let c = compile_file(&project("output-list", spec));
    assert_eq!(codes(&c), Vec::<&str>::new(), "{}", rendered(&c));
    let dockerfile = &c.outputs[0].dockerfile;
    for copy in [
        "COPY --link --from=prod-deps /app/node_modules /app/node_modules",
        "COPY --link --from=prod-deps /app/apps/api/node_modules /app/apps/api/node_modules",
    ] {
        assert!(dockerfile.contains(copy), "no `{copy}` in\n{dockerfile}");
    }
}

#[test]
fn appending_a_bare_string_asks_for_brackets() {
    let spec = "use std.node\nimage api = node.service() {\n  deps = [node.pnpm() { manifests += [\"apps/*/package.json\"]\n output += \"apps/api/node_modules\" }]\n  sources = [\"apps/api/src/\"]\n  run { cmd = [\"node\", \"apps/api/src/server.js\"] }\n}\n";
    let c = compile_file(&project("bare-string", spec));
    assert_eq!(codes(&c), ["E0010"], "{}", rendered(&c));
    let text = rendered(&c);
    assert!(
        text.contains("`+=` appends a list, found a string"),
        "{text}"
    );
    assert!(text.contains("write the added value in brackets"), "{text}");
}

#[test]
fn an_ecosystem_secret_is_mounted_for_its_install_and_not_for_build_steps() {
    let spec = "use std.node\nimage api = node.service() {\n  deps = [node.pnpm(workspace: true) {\n    manifests += [\"apps/*/package.json\"]\n    secrets   += [secret(\"npmrc\", target: \"/root/.npmrc\")]\n  }]\n  sources = [\"apps/api/src/\"]\n  build   = [\"node --version\"]\n  artifacts = [\"apps/api/src/\"]\n  run { cmd = [\"node\", \"apps/api/src/server.js\"] }\n}\n";
    let c = compile_file(&project("secret", spec));
    assert_eq!(codes(&c), Vec::<&str>::new(), "{}", rendered(&c));
    let dockerfile = &c.outputs[0].dockerfile;
    let runs: Vec<&str> = dockerfile.split("\nRUN ").skip(1).collect();
    let mount = "--mount=type=secret,id=npmrc,target=/root/.npmrc";
    for run in &runs {
        let install = run.contains("pnpm install") || run.contains("corepack enable");
        assert_eq!(run.contains(mount), install, "RUN {run}\nin\n{dockerfile}");
    }
    assert!(
        runs.iter().any(|r| r.contains("node --version")),
        "{dockerfile}"
    );
}

#[test]
fn an_ecosystem_secret_id_is_checked() {
    let spec = "use std.node\nimage api = node.service() {\n  deps = [node.pnpm(workspace: true) {\n    manifests += [\"apps/*/package.json\"]\n    secrets   += [secret(\"npm rc\", target: \"/root/.npmrc\")]\n  }]\n  sources = [\"apps/api/src/\"]\n  run { cmd = [\"node\", \"apps/api/src/server.js\"] }\n}\n";
    let c = compile_file(&project("secret-id", spec));
    assert_eq!(codes(&c), ["E0015"], "{}", rendered(&c));
}

#[test]
fn a_parameter_written_as_a_field_says_to_pass_it_in_the_call() {
    let spec = "use std.python\nimage api = python.service() {\n  deps = [python.pip() { packages += [\"gunicorn==23.0.0\"] }]\n  sources = [\"src/\"]\n  run { cmd = [\"gunicorn\", \"app:app\"] }\n}\n";
    let dir = workspace(
        "adjust/parameter",
        &[
            ("app.imgspec", spec),
            ("requirements.txt", "flask\n"),
            ("src/app.py", "\n"),
        ],
    );
    std::fs::create_dir_all(dir.join(".git")).expect("mark the project");
    let c = compile_file(&dir.join("app.imgspec"));
    assert_eq!(codes(&c), ["E0007"], "{}", rendered(&c));
    let text = rendered(&c);
    assert!(
        text.contains(
            "`packages` is a parameter of `python.pip`, not a field the block can change"
        ),
        "{text}"
    );
    assert!(
        text.contains("pass it in the call: `python.pip(packages: ...)`"),
        "{text}"
    );
}

#[test]
fn commands_that_render_empty_leave_no_empty_run() {
    // A vendored Go module: nothing to install, the copies are the layer;
    // a build step a template switches off.
    let spec = "use std.go\nimage app = go.service(version: \"1.22\", package: \"./cmd/app\") {\n  deps    = [go.modules() { install = \"\"\n manifests += [\"vendor/\"] }]\n  sources = [\"cmd/\"]\n  build   = [\"\", \"go build -mod=vendor -o /usr/local/bin/app ./cmd/app\"]\n}\n";
    let dir = workspace(
        "adjust/empty-commands",
        &[
            ("app.imgspec", spec),
            ("go.mod", "module example.com/app\n\ngo 1.22\n"),
            ("go.sum", ""),
            (
                "vendor/modules.txt",
                "# github.com/x/y v1.0.0\n## explicit\ngithub.com/x/y\n",
            ),
            ("cmd/app/main.go", "package main\n\nfunc main() {}\n"),
        ],
    );
    std::fs::create_dir_all(dir.join(".git")).expect("mark the project");
    let c = compile_file(&dir.join("app.imgspec"));
    assert_eq!(codes(&c), Vec::<&str>::new(), "{}", rendered(&c));
    let dockerfile = &c.outputs[0].dockerfile;
    assert!(
        dockerfile.contains("COPY vendor/ ./vendor/"),
        "{dockerfile}"
    );
    for run in dockerfile.split("\nRUN ").skip(1) {
        let command = run
            .lines()
            .map(|l| l.trim().trim_end_matches('\\').trim())
            .filter(|l| !l.starts_with("--mount"))
            .collect::<Vec<_>>()
            .join(" ");
        assert!(
            !command.trim().is_empty() && !command.trim().starts_with("&&"),
            "an empty RUN in\n{dockerfile}"
        );
    }
}
