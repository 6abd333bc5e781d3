//! Every `imgspec` code block in docs/*.md is compiled, so the reference
//! cannot drift from the compiler. Block info strings:
//!
//! - ```` ```imgspec ```` — a complete spec; must compile without errors.
//! - ```` ```imgspec,fails=E0110 ```` — must report that code.
//! - ```` ```imgspec,file=NAME ```` — a module other blocks of the same page
//!   import as `use "NAME" as ...`; must have no errors besides "no image".

mod common;

use std::path::Path;

use common::{codes, compile_with, rendered, sorted_entries};
use imgspec::loader::MemoryLoader;

struct Block {
    info: String,
    text: String,
    line: usize,
}

fn blocks(markdown: &str) -> Vec<Block> {
    let mut out = Vec::new();
    let mut current: Option<Block> = None;
    for (i, line) in markdown.lines().enumerate() {
        match (&mut current, line.trim_start().strip_prefix("```")) {
            (None, Some(info)) if info.starts_with("imgspec") => {
                current = Some(Block {
                    info: info.to_string(),
                    text: String::new(),
                    line: i + 1,
                })
            }
            (Some(_), Some("")) => out.extend(current.take()),
            (Some(block), _) => {
                block.text.push_str(line);
                block.text.push('\n');
            }
            _ => {}
        }
    }
    out
}

#[test]
fn every_imgspec_example_in_the_docs_compiles() {
    let mut total = 0;
    for page in sorted_entries(Path::new("docs")) {
        if page.extension().is_none_or(|e| e != "md") {
            continue;
        }
        let markdown = std::fs::read_to_string(&page).expect("read docs page");
        let blocks = blocks(&markdown);
        for block in &blocks {
            total += 1;
            let name = format!("{}:{}", page.display(), block.line);
            let module = block.info.strip_prefix("imgspec,file=");
            let path = module.unwrap_or("main.imgspec");
            let loader = page_loader(&blocks).with("main.imgspec", block.text.clone());
            let c = compile_with(&loader, Path::new(path));
            let codes = codes(&c);
            if let Some(code) = block.info.strip_prefix("imgspec,fails=") {
                assert!(
                    codes.contains(&code),
                    "{name}: expected {code}, got {codes:?}\n{}",
                    rendered(&c)
                );
            } else if module.is_some() {
                assert!(
                    codes.iter().all(|c| *c == "E0016"),
                    "{name}: module has errors:\n{}",
                    rendered(&c)
                );
            } else {
                assert!(
                    !c.diagnostics.has_errors(),
                    "{name}: does not compile:\n{}",
                    rendered(&c)
                );
                assert!(!c.outputs.is_empty(), "{name}: compiles to nothing");
            }
        }
    }
    assert!(total >= 20, "only {total} examples found in docs/");
}

/// The modules a page defines with ```` ```imgspec,file=NAME ````.
fn page_loader(blocks: &[Block]) -> MemoryLoader {
    let mut loader = MemoryLoader::new();
    for block in blocks {
        if let Some(name) = block.info.strip_prefix("imgspec,file=") {
            loader = loader.with(name, block.text.clone());
        }
    }
    loader
}
