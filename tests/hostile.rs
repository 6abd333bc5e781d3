//! Hostile strings in every field that reaches the Dockerfile must either be
//! rejected with a coded diagnostic or come out inside the instruction they
//! belong to, with their exact value. The outputs are also written under
//! the cargo target directory for `.ci/check_dockerfiles.py`, which checks
//! them with BuildKit's own parser.

mod common;

use std::path::Path;

use common::{compile_with, instructions, rendered};
use imgspec::loader::MemoryLoader;

const HOSTILE: &[&str] = &[
    "plain",
    "two\nlines",
    "a\nRUN rm -rf /",
    "quote\"inside",
    "single'quote",
    "back\\slash",
    "ends with\\",
    "\\",
    "$HOME and ${PATH:-x}",
    "EOF",
    "EOT",
    "<<EOF",
    "#comment",
    "&& rm -rf /",
    "`id`",
    "[\"json\"]",
    "tab\there",
    "nul\u{0}byte",
    "carriage\rreturn",
    "unicode é ✓",
    "--mount=type=bind,source=/,target=/host,rw",
    "-",
    "a,b",
    "it's.txt",
    "a'b'c",
    "5$",
    "$1 and $$",
    "${X",
    "\u{202E}evil",
    "next\u{85}line",
    " leading",
    "trailing ",
    "two  spaces",
    "data[1].csv",
    "nbsp\u{a0}",
    ".env",
    "*",
    ".*",
    "x /*",
];

/// Each field under test: a spec with `@` where the hostile string goes.
const FIELDS: &[(&str, &str)] = &[
    ("env", r#"run { env = { GREETING = @ } }"#),
    (
        "label",
        r#"run { labels = { "org.opencontainers.image.title" = @ } }"#,
    ),
    ("cmd", r#"run { cmd = ["/app/run", @] }"#),
    ("entrypoint", r#"run { entrypoint = [@] }"#),
    ("shell_cmd", r#"run { cmd = @ }"#),
    ("health", r#"run { health = exec(["/app/check", @]) }"#),
    ("step", r#"build = [@]"#),
    ("source", r#"sources = [@]"#),
    ("exclude", r#"exclude = [@]"#),
    ("artifact", r#"artifacts = [@]"#),
    ("workdir", r#"workdir = @"#),
    ("volume", r#"run { writable = [@] volumes = [@] }"#),
    ("writable", r#"run { writable = [@] }"#),
    ("runner_workdir", r#"run { workdir = @ }"#),
    ("setup", r#"run { setup = [@] }"#),
    ("user_name", r#"run { user = user(@, uid: 10001) }"#),
    (
        "artifact_mode",
        r#"artifacts = [{ from = "out/", to = "/srv/out/", mode = @ }]"#,
    ),
    (
        "artifact_owner",
        r#"artifacts = [{ from = "out/", to = "/srv/out/", owner = @ }]"#,
    ),
    ("package", r#"packages { build = [@] }"#),
    ("stop_signal", r#"run { stop_signal = @ }"#),
    // Files from elsewhere: a URL after `https://example.com/`, paths
    // after `/`, and an image reference as it is.
    (
        "file_url",
        r#"run { files = [{ url = @, sha256 = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef", to = "/usr/local/bin/tool" }] }"#,
    ),
    (
        "file_to",
        r#"run { files = [{ url = "https://example.com/tool", sha256 = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef", to = @ }] }"#,
    ),
    (
        "file_image",
        r#"run { files = [{ image = @, from = "/bin/busybox", to = "/usr/local/bin/busybox" }] }"#,
    ),
    (
        "file_from",
        r#"run { files = [{ image = "busybox:1.36", from = @, to = "/usr/local/bin/busybox" }] }"#,
    ),
    (
        "arg",
        r#"args = { VERSION = @ } build = ["make VERSION=$VERSION"]"#,
    ),
    // The OCI labels' defaults: a version as written, a URL after
    // `https://example.com/`.
    ("publish_version", r#"publish { version = @ }"#),
    ("publish_source", r#"publish { source = @ }"#),
    ("cache", r#"build = [step("make", cache: [@])]"#),
    ("secret", r#"build = [step("make", secrets: [@])]"#),
    ("step_dir", r#"build = [step("make", dir: @)]"#),
    // Fields of a user-defined ecosystem (see `spec`).
    ("eco_install", "ecosystem install = @"),
    ("eco_manifest", "ecosystem manifests = [@]"),
    // Checked as written, though from memory nothing optional is copied.
    ("eco_optional", "ecosystem optional = [@]"),
    ("eco_output", "ecosystem output = @"),
    ("eco_cache", "ecosystem cache = [@]"),
    ("eco_finish", "ecosystem finish = @"),
    ("eco_dir", "ecosystem dir = @"),
    // A base of the spec's own, and a stdlib template parameter.
    ("base_ref", "base ref = @"),
    ("rust_bin", "rust bin = @"),
];

fn imgspec_literal(text: &str) -> String {
    let mut out = String::from("\"");
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            c if c.is_control() => out.push_str(&format!("\\u{{{:x}}}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

fn spec(field: &str, value: &str) -> String {
    if field == "base ref = @" {
        return format!(
            "base mine() {{\n  ref = {}\n  distro = debian\n  libc = glibc\n  shell = bash\n  packages = apt\n}}\nimage app {{\n  base = mine()\n  sources = [\"src/\"]\n}}\n",
            imgspec_literal(value)
        );
    }
    if field == "rust bin = @" {
        return format!(
            "use std.rust\nimage app = rust.service(bin: {}) {{}}\n",
            imgspec_literal(value)
        );
    }
    if let Some(eco_field) = field.strip_prefix("ecosystem ") {
        let eco_field = eco_field.replace('@', &imgspec_literal(value));
        let key = eco_field.split_whitespace().next().unwrap_or_default();
        let mut eco = vec![format!("  {eco_field}")];
        if key != "manifests" {
            eco.push("  manifests = [\"deps.txt\"]".to_string());
        }
        if key != "install" {
            eco.push("  install = \"make deps\"".to_string());
        }
        return format!(
            "use std.debian\necosystem custom() {{\n{}\n}}\nimage app {{\n  base = debian.bookworm()\n  deps = [custom()]\n  sources = [\"src/\"]\n}}\n",
            eco.join("\n")
        );
    }
    let body = field.replace('@', &imgspec_literal(value));
    let sources = if field.contains("sources") {
        ""
    } else {
        "sources = [\"src/\"]"
    };
    format!("use std.debian\nimage app {{\n  base = debian.bookworm()\n  {sources}\n  {body}\n}}\n")
}

fn keywords(dockerfile: &str) -> Vec<String> {
    instructions(dockerfile)
        .into_iter()
        .map(|(k, _)| k)
        .collect()
}

/// The argument list of the first instruction with this keyword, read back
/// as JSON.
fn exec_form(dockerfile: &str, keyword: &str) -> Option<Vec<String>> {
    let (_, rest) = instructions(dockerfile)
        .into_iter()
        .find(|(k, _)| k == keyword)?;
    let json = rest.trim_start_matches(|c| c != '[');
    serde_json::from_str(json).ok()
}

/// Undoes the emitter's `KEY="value"` quoting, as the Dockerfile parser does.
fn assignment_value(dockerfile: &str, keyword: &str) -> Option<String> {
    let (_, rest) = instructions(dockerfile)
        .into_iter()
        .find(|(k, _)| k == keyword)?;
    let start = rest.find("=\"")? + 2;
    let mut out = String::new();
    let mut chars = rest[start..].chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => out.push(chars.next()?),
            '"' => return Some(out),
            c => out.push(c),
        }
    }
    None
}

#[test]
fn hostile_strings_never_change_the_instruction_structure() {
    let out_dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("hostile");
    let _ = std::fs::remove_dir_all(&out_dir);
    std::fs::create_dir_all(&out_dir).expect("output directory");
    let mut accepted = 0;
    let mut rejected = 0;
    for (name, field) in FIELDS {
        let baseline_value = match *name {
            "workdir" | "volume" | "cache" | "eco_output" | "eco_cache" | "writable"
            | "runner_workdir" => "/plain",
            "stop_signal" => "SIGTERM",
            "base_ref" => "debian:bookworm-slim",
            "file_url" => "https://example.com/tool",
            "publish_source" => "https://example.com/plain",
            "file_to" | "file_from" => "/plain",
            "file_image" => "busybox:1.36",
            "artifact_mode" => "0755",
            "artifact_owner" => "runtime",
            _ => "plain",
        };
        let baseline = compile_one(&spec(field, baseline_value));
        let baseline = baseline.unwrap_or_else(|e| panic!("{name}: baseline failed:\n{e}"));
        for (i, value) in HOSTILE.iter().enumerate() {
            // Absolute-path fields get a leading `/` so the value is tested
            // rather than rejected for being relative.
            let value = &if matches!(
                *name,
                "workdir"
                    | "volume"
                    | "cache"
                    | "eco_output"
                    | "eco_cache"
                    | "writable"
                    | "runner_workdir"
                    | "file_to"
                    | "file_from"
            ) {
                format!("/{value}")
            } else if *name == "file_url" || *name == "publish_source" {
                format!("https://example.com/{value}")
            } else {
                value.to_string()
            };
            let text = spec(field, value);
            let dockerfile = match compile_one(&text) {
                Ok(d) => d,
                Err(diagnostics) => {
                    assert!(
                        !diagnostics.contains("E0001"),
                        "{name} {value:?}: the test's own spec did not parse:\n{diagnostics}"
                    );
                    assert!(
                        diagnostics.contains("help:"),
                        "{name} {value:?}: rejection without help:\n{diagnostics}"
                    );
                    rejected += 1;
                    continue;
                }
            };
            accepted += 1;
            let context = format!("{name} = {value:?}:\n{dockerfile}");
            if !matches!(*name, "step" | "eco_install" | "eco_finish" | "setup") {
                assert_eq!(
                    keywords(&dockerfile),
                    keywords(&baseline),
                    "structure changed for {context}"
                );
            } else {
                let runs = keywords(&dockerfile).iter().filter(|k| *k == "RUN").count();
                let base_runs = keywords(&baseline).iter().filter(|k| *k == "RUN").count();
                assert_eq!(runs, base_runs, "RUN count changed for {context}");
            }
            let expected_exec: Option<(&str, Vec<String>)> = match *name {
                "cmd" => Some(("CMD", vec!["/app/run".into(), value.to_string()])),
                "entrypoint" => Some(("ENTRYPOINT", vec![value.to_string()])),
                "shell_cmd" => Some((
                    "CMD",
                    vec!["/bin/bash".into(), "-c".into(), value.to_string()],
                )),
                "health" => Some(("HEALTHCHECK", vec!["/app/check".into(), value.to_string()])),
                "rust_bin" => Some(("CMD", vec![format!("/usr/local/bin/{value}")])),
                _ => None,
            };
            if let Some((keyword, expected)) = &expected_exec {
                assert_eq!(
                    exec_form(&dockerfile, keyword).as_ref(),
                    Some(expected),
                    "{context}"
                );
            }
            match *name {
                "env" => assert_eq!(
                    assignment_value(&dockerfile, "ENV").as_deref(),
                    Some(value.as_str()),
                    "{context}"
                ),
                "label" => {
                    let escaped = value.replace('$', "\\$");
                    let raw = assignment_value(&dockerfile, "LABEL").map(|v| v.replace('$', "\\$"));
                    assert_eq!(raw.as_deref(), Some(escaped.as_str()), "{context}");
                }
                _ => {}
            }
            let stem = format!("{name}-{i:02}");
            std::fs::write(out_dir.join(format!("{stem}.Dockerfile")), &dockerfile)
                .expect("write output");
            let values = expected_values(name, value);
            let expect = serde_json::json!({
                "keywords": keywords(&dockerfile),
                "exec": expected_exec.map(|(k, v)| serde_json::json!({"keyword": k, "args": v})),
                "values": values,
            });
            std::fs::write(
                out_dir.join(format!("{stem}.expect.json")),
                expect.to_string(),
            )
            .expect("write expectation");
        }
    }
    assert!(
        accepted > 50,
        "only {accepted} hostile cases compiled; the test would prove little"
    );
    assert!(rejected > 20, "only {rejected} hostile cases were rejected");
}

/// Where BuildKit must find `value` once it has parsed the Dockerfile and
/// run its word processing (quotes, escapes, variables): checked by
/// `.ci/check_dockerfiles.py`, which applies BuildKit's rules.
fn expected_values(field: &str, value: &str) -> Vec<serde_json::Value> {
    use serde_json::json;
    let plain = value.replace('\u{FDD0}', "$");
    let context_path = |p: &str| {
        let p = p.trim_start_matches("./");
        if p.ends_with('/') {
            format!("{}/", p.trim_end_matches('/'))
        } else {
            p.to_string()
        }
    };
    match field {
        "env" => vec![json!({"keyword": "ENV", "key": "GREETING", "value": plain})],
        "arg" => vec![json!({"keyword": "ARG", "key": "VERSION", "value": plain})],
        "publish_version" => {
            vec![json!({"keyword": "ARG", "key": "IMGSPEC_VERSION", "value": plain})]
        }
        "publish_source" => {
            vec![json!({"keyword": "ARG", "key": "IMGSPEC_SOURCE", "value": plain})]
        }
        "label" => vec![
            json!({"keyword": "LABEL", "key": "org.opencontainers.image.title", "value": plain}),
        ],
        "workdir" => {
            let w = plain.trim_end_matches('/');
            let w = if w.is_empty() { "/" } else { w };
            vec![json!({"keyword": "WORKDIR", "value": w})]
        }
        "volume" => vec![json!({"keyword": "VOLUME", "value": plain})],
        "source" | "eco_manifest" => {
            vec![json!({"keyword": "COPY", "source": context_path(&plain)})]
        }
        "artifact" => {
            let from = if plain.starts_with('/') {
                plain.clone()
            } else {
                format!("/app/{}", context_path(&plain))
            };
            vec![json!({"keyword": "COPY", "source": from})]
        }
        "eco_output" | "file_from" => vec![json!({"keyword": "COPY", "source": plain})],
        "file_url" => vec![json!({"keyword": "ADD", "source": plain})],
        "file_to" => {
            vec![json!({"keyword": "ADD", "source": "https://example.com/tool", "dest": plain})]
        }
        "rust_bin" => {
            vec![json!({"keyword": "COPY", "source": format!("/app/target/release/{plain}")})]
        }
        _ => Vec::new(),
    }
}

fn compile_one(text: &str) -> Result<String, String> {
    let loader = MemoryLoader::new().with("app.imgspec", text);
    let c = compile_with(&loader, Path::new("app.imgspec"));
    match c.outputs.first() {
        Some(output) if !c.diagnostics.has_errors() => Ok(output.dockerfile.clone()),
        _ => Err(rendered(&c)),
    }
}

#[test]
fn escaped_dollar_stays_a_dollar_in_env_and_arg() {
    let text = "use std.debian\nimage app {\n  base = debian.bookworm()\n  sources = [\"src/\"]\n  build = [\"make\"]\n  args = { PRICE = \"\\$5 and ${TAG:-x}\" }\n  run { env = { HOME_TEXT = \"\\$HOME\", PATH = \"/opt/bin:$PATH\" } }\n}\n";
    let dockerfile = compile_one(text).expect("compiles");
    assert!(
        dockerfile.contains(r#"ARG PRICE="\$5 and ${TAG:-x}""#),
        "{dockerfile}"
    );
    assert!(dockerfile.contains(r#"HOME_TEXT="\$HOME""#), "{dockerfile}");
    assert!(
        dockerfile.contains(r#"PATH="/opt/bin:$PATH""#),
        "{dockerfile}"
    );
    for bad in ["${HOME", "$1", "$$", "${A?x}", "${}"] {
        let text = format!(
            "use std.debian\nimage app {{\n  base = debian.bookworm()\n  sources = [\"src/\"]\n  run {{ env = {{ X = \"{bad}\" }} }}\n}}\n"
        );
        let error = compile_one(&text).expect_err(bad);
        assert!(
            error.contains("E0113") && error.contains("`\\$`"),
            "{bad}: {error}"
        );
    }
}

#[test]
fn template_values_are_quoted_in_commands_and_exact_in_paths() {
    let text = "use std.rust\nimage app = rust.service(bin: \"x /y\") {}\n";
    let dockerfile = compile_one(text).expect("compiles");
    assert!(
        dockerfile.contains("rm -rf src target/release/\"x /y\" "),
        "{dockerfile}"
    );
    assert!(!dockerfile.contains("x /y "), "{dockerfile}");
    assert!(
        dockerfile.contains(
            r#"COPY --link --from=build ["/app/target/release/x /y", "/usr/local/bin/x /y"]"#
        ),
        "{dockerfile}"
    );
    // A wildcard would make COPY match files, not name one: refused.
    let text = "use std.rust\nimage app = rust.service(bin: \"x /*\") {}\n";
    let error = compile_one(text).expect_err("a pattern as a file name");
    assert!(error.contains("E0015"), "{error}");
}
