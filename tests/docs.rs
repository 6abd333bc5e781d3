//! Every `imgspec` code block in docs/*.md is compiled, so the reference
//! cannot drift from the compiler. Block info strings:
//!
//! - ```` ```imgspec ```` — a complete spec; must compile without errors.
//! - ```` ```imgspec,fails=E0110 ```` — must report that code.
//! - ```` ```imgspec,file=NAME ```` — a module other blocks of the same page
//!   import as `use "NAME" as ...`; must have no errors besides "no image".

mod common;

use std::path::Path;

use common::{codes, compile_with, doc_blocks, page_loader, rendered, sorted_entries};

#[test]
fn every_imgspec_example_in_the_docs_compiles() {
    let mut total = 0;
    for page in sorted_entries(Path::new("docs")) {
        if page.extension().is_none_or(|e| e != "md") {
            continue;
        }
        let markdown = std::fs::read_to_string(&page).expect("read docs page");
        let blocks = doc_blocks(&markdown);
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
