//! `imgspec fmt`: one fixture per layout case under tests/fixtures/fmt,
//! each formatted to a reviewed snapshot; properties over the whole corpus
//! (examples, stdlib, test fixtures, docs blocks): formatting is idempotent,
//! keeps every comment in order, and leaves the compiled Dockerfiles
//! exactly as they were; the committed specs are formatted; and the
//! command line (`--check`, standard input, files that do not parse,
//! writes confined to the project).

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::{
    compile_file, compile_with, copy_dir, doc_blocks, page_loader, sorted_entries, workspace,
};
use imgspec::diagnostic::{render_human, ColorChoice, Diagnostics};
use imgspec::format::{comments, format_source};
use imgspec::source::{FileId, SourceMap};

const FIXTURES: &str = "tests/fixtures/fmt";

fn format(text: &str) -> String {
    format_source(text).unwrap_or_else(|d| panic!("not formatted:\n{}", render(text, &d)))
}

fn render(text: &str, diagnostics: &Diagnostics) -> String {
    let mut sources = SourceMap::default();
    sources.add("input.imgspec", text);
    String::from_utf8(render_human(diagnostics, &sources, ColorChoice::Never)).expect("utf-8")
}

fn comment_texts(text: &str) -> Vec<&str> {
    comments::scan(text).into_iter().map(|c| c.text).collect()
}

/// Every `*.imgspec` below `dir`, symlinks and directories named like
/// specs left out.
fn specs_below(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for entry in sorted_entries(dir) {
        let meta = std::fs::symlink_metadata(&entry).expect("metadata");
        if meta.is_dir() {
            out.extend(specs_below(&entry));
        } else if meta.is_file() && entry.extension().is_some_and(|e| e == "imgspec") {
            out.push(entry);
        }
    }
    out
}

/// The corpus: every spec of examples/, stdlib/ and tests/fixtures/ that
/// parses, and every docs block, each with a name for messages.
fn corpus() -> Vec<(String, String)> {
    let mut out = Vec::new();
    for dir in ["examples", "stdlib", "tests/fixtures"] {
        for path in specs_below(Path::new(dir)) {
            let Ok(text) = std::fs::read_to_string(&path) else {
                continue;
            };
            let mut ignored = Diagnostics::default();
            if imgspec::syntax::parse(FileId(0), &text, &mut ignored).is_some() {
                out.push((path.display().to_string(), text));
            }
        }
    }
    for page in docs_pages() {
        let markdown = std::fs::read_to_string(&page).expect("read docs page");
        for block in doc_blocks(&markdown) {
            out.push((format!("{}:{}", page.display(), block.line), block.text));
        }
    }
    out
}

fn docs_pages() -> Vec<PathBuf> {
    sorted_entries(Path::new("docs"))
        .into_iter()
        .filter(|p| p.extension().is_some_and(|e| e == "md"))
        .collect()
}

#[test]
fn fixtures_match_snapshots() {
    let fixtures: Vec<PathBuf> = sorted_entries(Path::new(FIXTURES))
        .into_iter()
        .filter(|p| p.extension().is_some_and(|e| e == "imgspec"))
        .collect();
    assert!(fixtures.len() >= 10, "only {} fixtures", fixtures.len());
    for fixture in fixtures {
        let text = std::fs::read_to_string(&fixture).expect("read fixture");
        let formatted = format(&text);
        assert_eq!(
            format(&formatted),
            formatted,
            "{}: not idempotent",
            fixture.display()
        );
        let name = fixture
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default();
        insta::assert_snapshot!(name, formatted);
    }
}

#[test]
fn crlf_input_formats_as_its_lf_twin() {
    for name in ["comments", "misaligned-fields", "strings"] {
        let text = std::fs::read_to_string(Path::new(FIXTURES).join(format!("{name}.imgspec")))
            .expect("read fixture");
        let crlf = text.replace('\n', "\r\n");
        assert_eq!(format(&crlf), format(&text), "{name}");
    }
}

#[test]
fn layout_rules() {
    // Empty input, only comments, trailing whitespace, no final newline.
    assert_eq!(format(""), "");
    assert_eq!(format("  // a   \n\n\n// b"), "// a\n\n// b\n");
    // A list that fits on 100 columns stays on one line; one more
    // character breaks it.
    let list = |n: usize| format!("image a {{\n  x = [\"{}\", \"b\"]\n}}\n", "a".repeat(n));
    // `  x = ["` is 8 columns and `", "b"]` 7: 85 + 15 = 100.
    assert_eq!(format(&list(85)), list(85));
    assert!(format(&list(86)).contains("  x = [\n    \"aaa"));
    // A block written over several lines stays so even when it would fit;
    // one written inline stays inline when it fits.
    let multi = "image a {\n  env = {\n    A = \"1\"\n  }\n}\n";
    assert_eq!(format(multi), multi);
    let inline = "image a {\n  env = { A = \"1\", B = \"2\" }\n}\n";
    assert_eq!(format(inline), inline);
    // `=` and `+=` start in one column; a blank line or a comment line
    // starts a new run, a multi-line field stands alone.
    assert_eq!(
        format("image a {\n  abc = 1\n  c += [2]\n  env = {\n  A = \"1\"\n  }\n  d = 4\n\n  efg = 5\n}\n"),
        "image a {\n  abc = 1\n  c   += [2]\n  env = {\n    A = \"1\"\n  }\n  d = 4\n\n  efg = 5\n}\n"
    );
}

#[test]
fn corpus_formatting_is_idempotent_and_keeps_comments() {
    let corpus = corpus();
    assert!(corpus.len() >= 100, "only {} corpus files", corpus.len());
    for (name, text) in &corpus {
        let once = format_source(text)
            .unwrap_or_else(|d| panic!("{name}: not formatted:\n{}", render(text, &d)));
        let twice = format(&once);
        assert_eq!(twice, once, "{name}: not idempotent");
        assert_eq!(
            comment_texts(&once),
            comment_texts(text),
            "{name}: comments changed"
        );
        assert!(once.ends_with('\n') || once.is_empty(), "{name}");
        assert!(
            once.lines().all(|l| l == l.trim_end()),
            "{name}: trailing whitespace"
        );
        assert!(!once.contains("\n\n\n"), "{name}: two blank lines");
    }
}

#[test]
fn formatting_examples_leaves_their_dockerfiles_unchanged() {
    let copy = workspace("fmt/examples", &[]);
    copy_dir(Path::new("examples"), &copy);
    std::fs::create_dir_all(copy.join(".git")).expect("mark the project root");
    for spec in specs_below(&copy) {
        let text = std::fs::read_to_string(&spec).expect("read spec");
        std::fs::write(&spec, format(&text)).expect("write formatted spec");
    }
    let specs = common::example_specs();
    assert!(specs.len() >= 4);
    for original in specs {
        let formatted = copy.join(original.strip_prefix("examples").expect("below examples"));
        let before = compile_file(&original);
        let after = compile_file(&formatted);
        assert!(!before.outputs.is_empty(), "{}", original.display());
        let outputs = |c: &imgspec::compile::Compilation| {
            c.outputs
                .iter()
                .map(|o| {
                    (
                        o.image.clone(),
                        o.dockerfile.clone(),
                        o.dockerignore.clone(),
                    )
                })
                .collect::<Vec<_>>()
        };
        assert_eq!(outputs(&after), outputs(&before), "{}", original.display());
    }
}

#[test]
fn formatting_docs_blocks_leaves_their_dockerfiles_unchanged() {
    let mut compared = 0;
    for page in docs_pages() {
        let markdown = std::fs::read_to_string(&page).expect("read docs page");
        let blocks = doc_blocks(&markdown);
        let mut formatted_blocks = doc_blocks(&markdown);
        for block in &mut formatted_blocks {
            block.text = format(&block.text);
        }
        for (block, formatted) in blocks.iter().zip(&formatted_blocks) {
            if block.info != "imgspec" {
                continue;
            }
            let compile = |blocks: &[common::DocBlock], text: &str| {
                let loader = page_loader(blocks).with("main.imgspec", text.to_string());
                let c = compile_with(&loader, Path::new("main.imgspec"));
                c.outputs
                    .iter()
                    .map(|o| (o.image.clone(), o.dockerfile.clone()))
                    .collect::<Vec<_>>()
            };
            let before = compile(&blocks, &block.text);
            let after = compile(&formatted_blocks, &formatted.text);
            assert!(!before.is_empty(), "{}:{}", page.display(), block.line);
            assert_eq!(after, before, "{}:{}", page.display(), block.line);
            compared += 1;
        }
    }
    assert!(compared >= 20, "only {compared} docs blocks compiled");
}

#[test]
fn committed_specs_and_docs_blocks_are_formatted() {
    for (name, text) in corpus() {
        if name.starts_with("tests/") {
            continue;
        }
        let formatted = format(&text);
        if formatted != text {
            let diff = similar::TextDiff::from_lines(&text, &formatted)
                .unified_diff()
                .header(&name, &name)
                .to_string();
            panic!("{name} is not formatted; run `imgspec fmt`:\n{diff}");
        }
    }
}

#[test]
fn broken_and_truncated_files_never_panic() {
    let sources = [
        "tests/fixtures/fmt/comments.imgspec",
        "tests/fixtures/fmt/nested-blocks.imgspec",
        "tests/fixtures/fmt/strings.imgspec",
    ];
    let mut formatted = 0;
    for path in sources {
        let text = std::fs::read_to_string(path).expect("read");
        let boundaries: Vec<usize> = (0..=text.len())
            .filter(|i| text.is_char_boundary(*i))
            .collect();
        let mut variants: Vec<String> = Vec::new();
        for (k, &i) in boundaries.iter().enumerate().step_by(3) {
            variants.push(text[..i].to_string());
            let next = boundaries.get(k + 1).copied().unwrap_or(i);
            for insert in ["{", "}", "\"", "//", "\n", "(", "[", ",", "= ", "\\"] {
                variants.push(format!("{}{insert}{}", &text[..i], &text[next..]));
            }
        }
        for variant in &variants {
            match format_source(variant) {
                Ok(out) => {
                    formatted += 1;
                    assert_eq!(format(&out), out, "not idempotent on:\n{variant}");
                }
                Err(d) => {
                    let text = render(variant, &d);
                    assert!(
                        !text.contains("E0170"),
                        "the safety net fired on:\n{variant}\n{text}"
                    );
                }
            }
        }
    }
    assert!(formatted > 100, "only {formatted} variants parsed");
}

#[test]
fn the_safety_net_reports_e0170() {
    let text = "// keep me\nimage a {\n  x = 1 // and me\n}\n";
    let mut ignored = Diagnostics::default();
    let module = imgspec::syntax::parse(FileId(0), text, &mut ignored).expect("parses");
    let found = comments::scan(text);
    let check = |output: &str| {
        imgspec::format::verify::verify(FileId(0), &module, &found, output)
            .err()
            .map(|d| render(text, &d))
    };
    assert_eq!(check(text), None);
    assert_eq!(check(&format(text)), None);
    let lost_comment = check("// keep me\nimage a {\n  x = 1\n}\n").expect("E0170");
    let changed = check("// keep me\nimage a {\n  x = 2 // and me\n}\n").expect("E0170");
    let broken = check("// keep me\nimage a {\n  x = // and me\n}\n").expect("E0170");
    for text in [&lost_comment, &changed, &broken] {
        assert!(text.contains("error[E0170]"), "{text}");
        assert!(text.contains("please report it"), "{text}");
    }
    insta::assert_snapshot!("E0170-safety-net", lost_comment);
}

// ---- the command line ----

fn imgspec(dir: &Path, args: &[&str], stdin: Option<&str>) -> std::process::Output {
    use std::io::Write;
    let mut child = Command::new(env!("CARGO_BIN_EXE_imgspec"))
        .args(args)
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("run imgspec");
    if let Some(mut input) = child.stdin.take() {
        input
            .write_all(stdin.unwrap_or_default().as_bytes())
            .expect("write stdin");
    }
    child.wait_with_output().expect("wait for imgspec")
}

const MESSY: &str = "image a {\nx = 1\n    yy = [\"b\"]\n}\n";
const TIDY: &str = "image a {\n  x  = 1\n  yy = [\"b\"]\n}\n";
const BROKEN: &str = "image b {\n  x: 1\n}\n";

#[test]
fn check_exits_1_with_a_diff_naming_each_unformatted_file() {
    let dir = workspace(
        "fmt/check",
        &[
            (".git/HEAD", ""),
            ("a.imgspec", MESSY),
            ("sub/b.imgspec", MESSY),
            ("sub/c.imgspec", TIDY),
        ],
    );
    let out = imgspec(&dir, &["fmt", "--check"], None);
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stdout.contains("--- a/a.imgspec\n+++ b/a.imgspec\n"),
        "{stdout}"
    );
    assert!(stdout.contains("\n-x = 1\n"), "{stdout}");
    assert!(stdout.contains("\n+  x  = 1\n"), "{stdout}");
    assert!(stdout.contains("+++ b/sub/b.imgspec"), "{stdout}");
    assert!(!stdout.contains("c.imgspec"), "{stdout}");
    assert!(stderr.contains("not formatted: a.imgspec"), "{stderr}");
    assert!(stderr.contains("not formatted: sub/b.imgspec"), "{stderr}");
    assert!(
        stderr.contains("checked 3 files: 2 not formatted"),
        "{stderr}"
    );
    // Nothing was written.
    assert_eq!(
        std::fs::read_to_string(dir.join("a.imgspec")).unwrap(),
        MESSY
    );
    let tidy = imgspec(&dir, &["fmt", "--check", "sub/c.imgspec"], None);
    assert_eq!(tidy.status.code(), Some(0));
    assert!(tidy.stdout.is_empty());
}

#[test]
fn fmt_rewrites_files_and_names_them() {
    let dir = workspace(
        "fmt/write",
        &[(".git/HEAD", ""), ("a.imgspec", MESSY), ("c.imgspec", TIDY)],
    );
    let out = imgspec(&dir, &["fmt", "."], None);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(stderr.contains("formatted a.imgspec\n"), "{stderr}");
    assert!(!stderr.contains("formatted c.imgspec"), "{stderr}");
    assert!(
        stderr.contains("formatted 2 files: 1 changed, 1 unchanged"),
        "{stderr}"
    );
    assert_eq!(
        std::fs::read_to_string(dir.join("a.imgspec")).unwrap(),
        TIDY
    );
    let again = imgspec(&dir, &["fmt", "--check"], None);
    assert_eq!(again.status.code(), Some(0));
}

#[test]
fn stdin_is_formatted_to_stdout() {
    let dir = workspace("fmt/stdin", &[]);
    for args in [&["fmt", "-"][..], &["fmt", "--stdin"][..]] {
        let out = imgspec(&dir, args, Some(MESSY));
        assert_eq!(out.status.code(), Some(0));
        assert_eq!(String::from_utf8_lossy(&out.stdout), TIDY);
    }
    let out = imgspec(&dir, &["fmt", "-"], Some(BROKEN));
    assert_eq!(out.status.code(), Some(1));
    assert!(out.stdout.is_empty());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("error[E0001]"), "{stderr}");
    assert!(stderr.contains("<stdin>:2:4"), "{stderr}");
    let both = imgspec(&dir, &["fmt", "-", "a.imgspec"], Some(MESSY));
    assert_eq!(both.status.code(), Some(2));
}

#[test]
fn a_file_that_does_not_parse_is_reported_as_check_does_and_left_alone() {
    let dir = workspace(
        "fmt/syntax",
        &[
            (".git/HEAD", ""),
            ("a.imgspec", MESSY),
            ("b.imgspec", BROKEN),
        ],
    );
    let out = imgspec(&dir, &["fmt"], None);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    // The other file is formatted all the same.
    assert_eq!(
        std::fs::read_to_string(dir.join("a.imgspec")).unwrap(),
        TIDY
    );
    assert_eq!(
        std::fs::read_to_string(dir.join("b.imgspec")).unwrap(),
        BROKEN
    );
    let check = imgspec(&dir, &["check", "b.imgspec"], None);
    let checked = String::from_utf8_lossy(&check.stderr);
    let diagnostic = checked
        .split("error: could not compile")
        .next()
        .expect("the diagnostic");
    assert!(diagnostic.contains("error[E0001]"), "{checked}");
    assert!(
        stderr.contains(diagnostic),
        "fmt:\n{stderr}\ncheck:\n{checked}"
    );
    assert!(
        stderr.contains("could not format `b.imgspec` due to 1 error"),
        "{stderr}"
    );
    assert!(
        stderr.contains("1 changed, 0 unchanged, 1 failed"),
        "{stderr}"
    );
}

#[test]
fn files_outside_the_project_are_not_written() {
    let dir = workspace(
        "fmt/confined",
        &[("project/.git/HEAD", ""), ("outside/a.imgspec", MESSY)],
    );
    // Through `--root`, and through a symlink that leads out of it.
    let out = imgspec(
        &dir,
        &["fmt", "--root", "project", "outside/a.imgspec"],
        None,
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("E0017"), "{stderr}");
    assert_eq!(
        std::fs::read_to_string(dir.join("outside/a.imgspec")).unwrap(),
        MESSY
    );
    #[cfg(unix)]
    {
        std::os::unix::fs::symlink(
            dir.join("outside/a.imgspec"),
            dir.join("project/link.imgspec"),
        )
        .expect("symlink");
        let out = imgspec(&dir.join("project"), &["fmt", "link.imgspec"], None);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{stderr}");
        assert!(stderr.contains("E0017"), "{stderr}");
        assert_eq!(
            std::fs::read_to_string(dir.join("outside/a.imgspec")).unwrap(),
            MESSY
        );
    }
}
