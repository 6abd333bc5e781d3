//! One fixture per diagnostic code under tests/fixtures/diagnostics, named
//! `CODE-what.imgspec`. Each must report its code, and its rendering
//! (source, labels, help) is a reviewed snapshot. Codes about files and
//! the command line have a directory `CODE-what/` instead: a small project
//! that the command in its `args` (one argument per line) is run in, after
//! the lines of an optional `setup` file (`sparse PATH BYTES`) are done.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::{codes, compile_file, copy_dir, rendered, sorted_entries};
use imgspec::diagnostic::{render_json, Code, Severity};

const FIXTURES: &str = "tests/fixtures/diagnostics";

fn fixtures() -> Vec<std::path::PathBuf> {
    sorted_entries(Path::new(FIXTURES))
        .into_iter()
        .filter(|p| p.extension().is_some_and(|e| e == "imgspec"))
        .collect()
}

/// Directories named `CODE-what`; the others (`support/`, and `src/`,
/// `app/` of the fixtures' own build context) are not fixtures.
fn command_fixtures() -> Vec<PathBuf> {
    sorted_entries(Path::new(FIXTURES))
        .into_iter()
        .filter(|p| p.is_dir() && is_code(&code_of(p)))
        .collect()
}

fn is_code(text: &str) -> bool {
    let mut chars = text.chars();
    matches!(chars.next(), Some('E' | 'W')) && text.len() == 5 && chars.all(|c| c.is_ascii_digit())
}

fn code_of(path: &Path) -> String {
    let stem = path
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    stem.split('-').next().unwrap_or_default().to_string()
}

#[test]
fn every_fixture_reports_its_code() {
    for fixture in fixtures() {
        let code = code_of(&fixture);
        let c = compile_file(&fixture);
        let text = rendered(&c);
        let codes = codes(&c);
        assert!(
            codes.contains(&code.as_str()),
            "{}: expected {code}, got {codes:?}\n{text}",
            fixture.display()
        );
        for d in c.diagnostics.sorted() {
            assert!(
                d.help.is_some(),
                "{}: {} has no help line",
                fixture.display(),
                d.code.as_str()
            );
            assert!(
                !d.labels.is_empty(),
                "{}: {} has no span",
                fixture.display(),
                d.code.as_str()
            );
        }
        if code.starts_with('E') {
            assert!(
                c.outputs.is_empty(),
                "{}: an error must not produce output",
                fixture.display()
            );
        } else {
            assert!(
                !c.diagnostics.has_errors(),
                "{}: a warning fixture must compile\n{text}",
                fixture.display()
            );
        }
        let name = fixture
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default();
        insta::assert_snapshot!(name, text);
    }
}

/// Codes that no input triggers, so they can have no fixture: each names
/// the test that reports it through a library hook instead.
const WITHOUT_INPUT: &[(&str, &str)] = &[(
    "E0170",
    "reports a bug of the formatter; tests/fmt.rs (`the_safety_net_reports_e0170`) feeds format::verify a damaged output",
)];

#[test]
fn every_code_has_a_fixture_and_documentation() {
    let fixture_codes: Vec<String> = fixtures()
        .iter()
        .chain(&command_fixtures())
        .map(|f| code_of(f))
        .collect();
    let docs = std::fs::read_to_string("docs/diagnostics.md").expect("docs/diagnostics.md");
    for code in Code::ALL {
        let code = code.as_str();
        assert!(
            fixture_codes.iter().any(|c| c == code)
                || WITHOUT_INPUT.iter().any(|(c, _)| *c == code),
            "no fixture for {code} in {FIXTURES}"
        );
        assert!(
            docs.contains(&format!("## {code}")),
            "docs/diagnostics.md has no section `## {code}`"
        );
    }
}

#[test]
fn json_format_is_one_object_per_line() {
    let c = compile_file(Path::new(
        "tests/fixtures/diagnostics/E0104-foreign-package.imgspec",
    ));
    let json = render_json(&c.diagnostics, &c.sources);
    let lines: Vec<serde_json::Value> = json
        .lines()
        .map(|l| serde_json::from_str(l).expect("valid JSON"))
        .collect();
    assert_eq!(lines.len(), 2);
    let first = &lines[0];
    assert_eq!(first["code"], "E0104");
    assert_eq!(first["severity"], "error");
    assert_eq!(first["labels"][0]["line"], 7);
    assert_eq!(first["labels"][0]["primary"], true);
    assert!(first["help"]
        .as_str()
        .is_some_and(|h| h.contains("build-base")));
}

#[test]
fn all_errors_of_a_run_are_reported_together() {
    let spec = r#"
use std.python
image api = python.service(version: 3) {
  sources = ["."]
  wrokdir = "/app"
  build = ["cd src && make"]
  run {
    user = 0
    env = { DB_PASSWORD = "x" }
  }
}
"#;
    let loader = imgspec::loader::MemoryLoader::new().with("api.imgspec", spec);
    let c = common::compile_with(&loader, Path::new("api.imgspec"));
    let codes = codes(&c);
    assert_eq!(
        codes,
        ["E0010", "E0110", "E0007", "E0115", "E0101", "E0108"],
        "{}",
        rendered(&c)
    );
    assert!(c
        .diagnostics
        .sorted()
        .iter()
        .all(|d| d.severity == Severity::Error));
}

/// A small JSON Schema check covering what docs/diagnostic.schema.json
/// uses: type, enum, required, properties, items, minItems, minimum and a
/// `^[EW][0-9]{4}$` pattern.
fn validate(value: &serde_json::Value, schema: &serde_json::Value, at: &str) -> Result<(), String> {
    use serde_json::Value;
    let type_ok = |t: &str| match t {
        "object" => value.is_object(),
        "array" => value.is_array(),
        "string" => value.is_string(),
        "integer" => value.is_i64() || value.is_u64(),
        "boolean" => value.is_boolean(),
        "null" => value.is_null(),
        other => panic!("schema uses type {other}"),
    };
    match &schema["type"] {
        Value::String(t) if !type_ok(t) => return Err(format!("{at}: not {t}")),
        Value::Array(ts) if !ts.iter().any(|t| type_ok(t.as_str().unwrap_or_default())) => {
            return Err(format!("{at}: none of {ts:?}"))
        }
        _ => {}
    }
    if let Some(choices) = schema["enum"].as_array() {
        if !choices.contains(value) {
            return Err(format!("{at}: {value} not in {choices:?}"));
        }
    }
    if let Some(minimum) = schema["minimum"].as_i64() {
        if value.as_i64().is_some_and(|v| v < minimum) {
            return Err(format!("{at}: below {minimum}"));
        }
    }
    if schema["pattern"].as_str() == Some("^[EW][0-9]{4}$") {
        let s = value.as_str().unwrap_or_default();
        let ok = s.len() == 5
            && (s.starts_with('E') || s.starts_with('W'))
            && s[1..].chars().all(|c| c.is_ascii_digit());
        if !ok {
            return Err(format!("{at}: {s} is not a code"));
        }
    }
    for key in schema["required"].as_array().into_iter().flatten() {
        let key = key.as_str().unwrap_or_default();
        if value.get(key).is_none() {
            return Err(format!("{at}: missing {key}"));
        }
    }
    if let Some(properties) = schema["properties"].as_object() {
        for (key, sub) in properties {
            if let Some(v) = value.get(key) {
                validate(v, sub, &format!("{at}.{key}"))?;
            }
        }
    }
    if let Some(items) = value.as_array() {
        if let Some(min) = schema["minItems"].as_u64() {
            if (items.len() as u64) < min {
                return Err(format!("{at}: fewer than {min} items"));
            }
        }
        for (i, item) in items.iter().enumerate() {
            validate(item, &schema["items"], &format!("{at}[{i}]"))?;
        }
    }
    Ok(())
}

#[test]
fn json_output_of_every_fixture_matches_the_documented_schema() {
    let schema: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string("docs/diagnostic.schema.json").expect("schema"),
    )
    .expect("schema JSON");
    let mut lines = 0;
    for fixture in fixtures() {
        let c = compile_file(&fixture);
        for line in render_json(&c.diagnostics, &c.sources).lines() {
            let value: serde_json::Value = serde_json::from_str(line).expect("valid JSON");
            if let Err(problem) = validate(&value, &schema, "$") {
                panic!("{}: {problem}\n{line}", fixture.display());
            }
            lines += 1;
        }
    }
    assert!(lines >= 35, "only {lines} diagnostics validated");
}

#[test]
fn unknown_names_point_to_the_module_that_has_them() {
    let help_for = |spec: &str| {
        let loader = imgspec::loader::MemoryLoader::new().with("a.imgspec", spec);
        let c = common::compile_with(&loader, Path::new("a.imgspec"));
        let d = c
            .diagnostics
            .sorted()
            .into_iter()
            .find(|d| d.code == Code::UnknownName)
            .cloned();
        d.and_then(|d| d.help).unwrap_or_default()
    };
    let body = "image a {\n  base = debian.bookworm()\n  deps = [pip()]\n  sources = [\"s/\"]\n}\n";
    assert_eq!(
        help_for(&format!("use std.debian\n{body}")),
        "`pip` is in the standard library: add `use std.python` and write `python.pip`"
    );
    assert_eq!(
        help_for(&format!("use std.debian\nuse std.python\n{body}")),
        "did you mean `python.pip`? Members of a module are reached through it"
    );
    assert_eq!(
        help_for(body),
        "add `use std.debian` at the top of the file"
    );
}

#[test]
fn syntax_errors_name_the_likely_mistake() {
    let first = |spec: &str| {
        let loader = imgspec::loader::MemoryLoader::new().with("a.imgspec", spec);
        let c = common::compile_with(&loader, Path::new("a.imgspec"));
        let d = c
            .diagnostics
            .sorted()
            .first()
            .map(|d| (*d).clone())
            .expect("a diagnostic");
        (d.message, d.help.unwrap_or_default(), d.labels.len())
    };
    let (message, help, labels) = first(
        "use std.debian\nimage a {\n  base = debian.bookworm()\n  run {\n    cmd = [\"x\"]\n",
    );
    assert_eq!(message, "`{` is never closed");
    assert_eq!(help, "add `}` where the block ends");
    assert_eq!(labels, 2, "the end of the file and the opening brace");
    let (_, help, _) = first("use std.python\nimage a = python.service(3.12) {}\n");
    assert_eq!(
        help,
        "numbers are whole numbers; write versions as strings: \"3.12\""
    );
    let (_, help, _) = first("image a {\n  workdir: \"/app\"\n}\n");
    assert!(help.starts_with("fields are set with `=`"), "{help}");
}

fn run_command_fixture(fixture: &Path, format: Option<&str>) -> std::process::Output {
    let name = fixture.file_name().expect("name").to_string_lossy();
    let dir = common::workspace(&format!("diagnostics/{name}"), &[]);
    copy_dir(fixture, &dir);
    std::fs::create_dir_all(dir.join(".git")).expect("mark the project root");
    let setup = std::fs::read_to_string(dir.join("setup")).unwrap_or_default();
    for line in setup.lines() {
        let words: Vec<&str> = line.split_whitespace().collect();
        match words[..] {
            ["sparse", path, bytes] => {
                let file = std::fs::File::create(dir.join(path)).expect("create sparse file");
                file.set_len(bytes.parse().expect("size"))
                    .expect("size the file");
            }
            _ => panic!("{}: unknown setup line `{line}`", fixture.display()),
        }
    }
    let args = std::fs::read_to_string(dir.join("args")).expect("args");
    let mut args: Vec<&str> = args.lines().collect();
    if let Some(format) = format {
        args.splice(1..1, ["--message-format", format]);
    }
    Command::new(env!("CARGO_BIN_EXE_imgspec"))
        .args(&args)
        .current_dir(&dir)
        .env("NO_COLOR", "1")
        .output()
        .expect("run imgspec")
}

#[test]
fn every_command_fixture_reports_its_code() {
    let schema: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string("docs/diagnostic.schema.json").expect("schema"),
    )
    .expect("schema JSON");
    for fixture in command_fixtures() {
        let code = code_of(&fixture);
        let human = run_command_fixture(&fixture, None);
        let text = String::from_utf8_lossy(&human.stderr).into_owned();
        assert!(
            text.contains(&format!("error[{code}]")) || text.contains(&format!("warning[{code}]")),
            "{}: expected {code}\n{text}",
            fixture.display()
        );
        let name = fixture
            .file_name()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default();
        insta::assert_snapshot!(name, text);

        let json = run_command_fixture(&fixture, Some("json"));
        assert_eq!(
            json.status.code(),
            human.status.code(),
            "{}",
            fixture.display()
        );
        let stderr = String::from_utf8_lossy(&json.stderr).into_owned();
        assert!(!stderr.is_empty(), "{}: no JSON", fixture.display());
        for line in stderr.lines() {
            let value: serde_json::Value = serde_json::from_str(line)
                .unwrap_or_else(|e| panic!("{}: not JSON ({e}): {line}", fixture.display()));
            if let Err(problem) = validate(&value, &schema, "$") {
                panic!("{}: {problem}\n{line}", fixture.display());
            }
            assert!(
                value["help"].is_string(),
                "{}: no help: {line}",
                fixture.display()
            );
        }
    }
}

#[test]
fn invisible_and_common_slips_are_named() {
    let first = |spec: &str| {
        let loader = imgspec::loader::MemoryLoader::new().with("a.imgspec", spec);
        let c = common::compile_with(&loader, Path::new("a.imgspec"));
        let d = c
            .diagnostics
            .sorted()
            .first()
            .map(|d| (*d).clone())
            .expect("a diagnostic");
        let (line, column) = c
            .sources
            .line_col(d.labels[0].span.file, d.labels[0].span.start);
        (
            d.code.as_str(),
            d.message,
            d.help.unwrap_or_default(),
            line,
            column,
        )
    };
    let body = "image a {\n  base = debian.bookworm()\n  sources = [\"a/\", \"b/\"]\n}\n";
    let good = format!("use std.debian\n{body}");
    let cases: &[(String, &str, &str, usize, usize)] = &[
        (
            format!("\u{FEFF}{good}"),
            "byte-order mark",
            "without a byte-order mark",
            1,
            1,
        ),
        (
            good.replace("base = ", "base =\u{A0}"),
            "a non-breaking space (U+00A0)",
            "ordinary space",
            3,
            9,
        ),
        (
            good.replace("base = ", "base =\u{200B} "),
            "a zero-width space (U+200B)",
            "ordinary space",
            3,
            9,
        ),
        (
            good.replace("\"a/\"", "\u{201C}a/\u{201D}"),
            "a typographic double quote",
            "smart quotes",
            4,
            14,
        ),
        (
            good.replace("\"a/\",", "\"a/\""),
            "a comma is missing",
            "separated by commas",
            4,
            18,
        ),
        (
            good.replace("\"a/\",", "\"a/,"),
            "this string is never closed",
            "on the line they start",
            4,
            22,
        ),
        (
            good.replace("a/", "a\t/"),
            "a source cannot contain a tab",
            "replace it with spaces",
            4,
            14,
        ),
    ];
    for (spec, message, help, line, column) in cases {
        let (code, got, got_help, got_line, got_column) = first(spec);
        assert!(matches!(code, "E0001" | "E0113"), "{spec:?}: {code}");
        assert!(got.contains(message), "{spec:?}: {got}");
        assert!(got_help.contains(help), "{spec:?}: {got_help}");
        assert_eq!((got_line, got_column), (*line, *column), "{spec:?}: {got}");
    }
}
