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

/// A tiny deterministic generator (xorshift64), so every run mutates the
/// same way and a failure can be reproduced from its iteration number.
struct XorShift(u64);

impl XorShift {
    fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.0 = x;
        x
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

/// Pieces that reach the quoting and the grammar's corners.
const SPLICES: &[&str] = &[
    "\"",
    "'",
    "\\",
    "\\$",
    "$",
    "${X",
    "{{ version }}",
    "{%",
    "--",
    "-",
    ",",
    " ",
    "\t",
    "\n",
    "\u{a0}",
    "\u{feff}",
    "\u{202e}",
    "\u{85}",
    "\u{fdd0}",
    "[",
    "]",
    "{",
    "}",
    "(",
    ")",
    "=",
    "+=",
    ":",
    "//",
    "<<EOF",
    "#",
    "*",
    ".*",
    "..",
    "/",
    "é",
    "0",
    "99999999999999999999",
    "true",
    "step(\"x\", cache: [\"/c\"])",
    "exec([\"a\"])",
    "\"--mount=type=bind,source=/,target=/h\"",
];

fn mutate(text: &str, rng: &mut XorShift) -> String {
    let mut chars: Vec<char> = text.chars().collect();
    for _ in 0..1 + rng.below(4) {
        let at = rng.below(chars.len() + 1);
        match rng.below(5) {
            0 | 1 => {
                let splice = SPLICES[rng.below(SPLICES.len())];
                chars.splice(at..at, splice.chars());
            }
            2 => {
                let end = (at + 1 + rng.below(8)).min(chars.len());
                chars.drain(at.min(end)..end);
            }
            3 => {
                let end = (at + 1 + rng.below(24)).min(chars.len());
                let copy: Vec<char> = chars[at.min(end)..end].to_vec();
                let to = rng.below(chars.len() + 1);
                chars.splice(to..to, copy);
            }
            _ => {
                if !chars.is_empty() {
                    let i = at.min(chars.len() - 1);
                    let j = rng.below(chars.len());
                    chars.swap(i, j);
                }
            }
        }
    }
    chars.into_iter().collect()
}

#[test]
fn thousands_of_deterministic_mutations_give_diagnostics_or_output() {
    let examples: Vec<String> = example_specs()
        .iter()
        .map(|p| std::fs::read_to_string(p).expect("read example"))
        .collect();
    let mut rng = XorShift(0x9E37_79B9_7F4A_7C15);
    let (mut compiled, mut refused) = (0, 0);
    for iteration in 0..3000 {
        let text = mutate(&examples[rng.below(examples.len())], &mut rng);
        let loader = MemoryLoader::new().with("x.imgspec", text.as_str());
        let c = compile_with(&loader, Path::new("x.imgspec"));
        for d in c.diagnostics.sorted() {
            assert!(
                !d.labels.is_empty() && d.help.is_some(),
                "iteration {iteration}: {d:?}\n{text}"
            );
        }
        if c.diagnostics.has_errors() {
            assert!(c.outputs.is_empty(), "iteration {iteration}");
            refused += 1;
        } else {
            assert!(
                !c.outputs.is_empty(),
                "iteration {iteration}: neither\n{text}"
            );
            compiled += 1;
        }
    }
    assert!(
        compiled > 100 && refused > 100,
        "{compiled} compiled, {refused} refused"
    );
}

/// A lock file, broken one edit at a time: it reads, or it is refused with
/// a message, never a panic; and whatever reads pins only well-formed
/// digests, so nothing but `sha256:` and hexadecimal digits reaches a
/// `FROM` line from it.
#[test]
fn edited_lock_files_read_or_are_refused() {
    use imgspec::lock::Lock;
    let digest = format!("sha256:{}", "0123456789abcdef".repeat(4));
    let text = format!(
        "# imgspec.lock\nversion = 1\n\n[[image]]\nreference = \"python:3.12-slim\"\ndigest = \"{digest}\"\nplatforms = [\"linux/amd64\", \"linux/arm64/v8\"]\n\n[[image]]\nreference = \"ghcr.io/org/tool:1\"\ndigest = \"{digest}\"\nplatforms = []\n"
    );
    let noise = [
        '"', '[', ']', '=', '\n', '\\', 'x', '0', ' ', '#', '\'', 'é', '\u{0}',
    ];
    let boundaries: Vec<usize> = (0..=text.len())
        .filter(|i| text.is_char_boundary(*i))
        .collect();
    let mut read = 0;
    for &at in &boundaries {
        for c in noise {
            let mut edited = text.clone();
            edited.insert(at, c);
            if let Ok(lock) = Lock::parse(&edited) {
                read += 1;
                for (_, entry) in lock.iter() {
                    assert!(imgspec::lock::file::is_digest(&entry.digest), "{edited}");
                }
            }
        }
        // And every prefix.
        let _ = Lock::parse(&text[..at]);
    }
    assert!(read > 0, "no edit left the file readable");
}
