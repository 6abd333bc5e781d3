//! Bad input never panics or hangs: every prefix of every example, byte
//! edits of them, deep nesting and runaway interpolations all end in
//! diagnostics.

mod common;

use std::path::Path;

use common::{compile_with, example_specs};
use imgspec::loader::MemoryLoader;

fn compile_text(text: &str) -> bool {
    let loader = MemoryLoader::new().with("x.imgspec", text);
    let c = compile_with(&loader, Path::new("x.imgspec"));
    for d in c.diagnostics.sorted() {
        assert!(!d.labels.is_empty() && d.help.is_some(), "{:?}", d);
    }
    c.diagnostics.has_errors()
}

#[test]
fn every_prefix_of_every_example_is_handled() {
    for spec in example_specs() {
        let text = std::fs::read_to_string(&spec).expect("read example");
        let boundaries: Vec<usize> = (0..text.len())
            .filter(|i| text.is_char_boundary(*i))
            .collect();
        for &end in &boundaries {
            compile_text(&text[..end]);
        }
    }
}

#[test]
fn single_character_edits_are_handled() {
    let noise = [
        '"', '{', '}', '[', ']', '(', ')', '=', ',', ':', '\\', '\n', '/', '.', 'x', '0', '+', 'é',
    ];
    for spec in example_specs() {
        let text = std::fs::read_to_string(&spec).expect("read example");
        let positions: Vec<usize> = (0..text.len())
            .filter(|i| text.is_char_boundary(*i))
            .step_by(3)
            .collect();
        for (n, &at) in positions.iter().enumerate() {
            let c = noise[n % noise.len()];
            let mut inserted = text.clone();
            inserted.insert(at, c);
            compile_text(&inserted);
            let mut deleted = text.clone();
            deleted.remove(at);
            compile_text(&deleted);
        }
    }
}

#[test]
fn deep_nesting_is_an_error_not_a_crash() {
    let depth = 100_000;
    let text = format!(
        "image a {{ sources = {}{} }}",
        "[".repeat(depth),
        "]".repeat(depth)
    );
    assert!(compile_text(&text));
    let text = format!("image a {{ run {} }}", "{ x ".repeat(depth));
    assert!(compile_text(&text));
}

#[test]
fn runaway_interpolation_is_an_error_not_a_hang() {
    let text = r#"
use std.debian
template t(n: int = 1) {
  base = debian.bookworm()
  sources = ["{% for a in range(10000) %}{% for b in range(10000) %}x{% endfor %}{% endfor %}"]
}
image a = t() {}
"#;
    assert!(compile_text(text));
}

#[test]
fn long_template_chains_are_bounded() {
    let mut text = String::from(
        "use std.debian\ntemplate t0() { base = debian.bookworm() sources = [\"s/\"] }\n",
    );
    for i in 1..200 {
        text.push_str(&format!("template t{i}() = t{}() {{}}\n", i - 1));
    }
    text.push_str("image a = t199() {}\n");
    assert!(compile_text(&text), "a 200-deep chain must be reported");
}
