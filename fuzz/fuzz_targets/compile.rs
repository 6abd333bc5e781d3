//! The whole pipeline over an in-memory spec: any bytes give Dockerfiles
//! or diagnostics (bytes that are not UTF-8 are a diagnostic too), never a
//! panic; output only without errors.
#![no_main]

use std::path::Path;

use imgspec::compile::{compile, Options};
use imgspec::loader::MemoryLoader;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = match imgspec::source::decode(data.to_vec()) {
        Ok(text) => text,
        Err(_) => return,
    };
    let loader = MemoryLoader::new().with("fuzz.imgspec", text);
    let Ok(c) = compile(&loader, Path::new("fuzz.imgspec"), &Options::default()) else {
        return;
    };
    if c.diagnostics.has_errors() {
        assert!(c.outputs.is_empty());
    }
    for d in c.diagnostics.sorted() {
        assert!(!d.labels.is_empty() && d.help.is_some(), "{d:?}");
    }
    for output in &c.outputs {
        assert!(output.dockerfile.contains("\nFROM "));
    }
});
