//! The parser alone: any text gives a module or diagnostics, never a
//! panic, and every diagnostic has a span and a help line.
#![no_main]

use imgspec::diagnostic::Diagnostics;
use imgspec::source::FileId;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let mut diagnostics = Diagnostics::default();
    let module = imgspec::syntax::parse(FileId(0), text, &mut diagnostics);
    assert!(module.is_some() || diagnostics.has_errors());
    for d in diagnostics.sorted() {
        assert!(!d.labels.is_empty() && d.help.is_some(), "{d:?}");
    }
});
