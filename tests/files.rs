//! `run { files }`: files from other images and checked downloads are
//! pinned, checked like bases, and need a frontend that can verify them.

mod common;

use std::path::Path;

use common::{codes, compile_with, rendered};
use imgspec::compile::{compile, Options};
use imgspec::frontend::Frontend;
use imgspec::loader::MemoryLoader;

const SHA: &str = "c5b0666b4cb676901f90dfcb37106783c5fe2077b04590973b885950611b30ee";

fn spec(files: &str, syntax: &str) -> String {
    format!(
        "use std.debian\nimage app {{\n  base = debian.bookworm()\n  {syntax}\n  sources = [\"src/\"]\n  run {{\n    files = [{files}]\n    cmd = [\"/app/src/run\"]\n  }}\n}}\n"
    )
}

fn loader(text: &str) -> MemoryLoader {
    MemoryLoader::new()
        .with("app.imgspec", text.to_string())
        .with("src/run", String::new())
}

fn reported(files: &str) -> Vec<&'static str> {
    let c = compile_with(&loader(&spec(files, "")), Path::new("app.imgspec"));
    for d in c.diagnostics.sorted() {
        assert!(d.help.is_some(), "{} has no help", d.code.as_str());
    }
    codes(&c)
}

#[test]
fn files_are_copied_and_downloaded_pinned() {
    let files = format!(
        "{{ image = \"busybox:1.36@sha256:{SHA}\", from = \"/bin/busybox\", to = \"/usr/local/bin/busybox\", mode = \"755\" }}, {{ url = \"https://example.com/dl/tool?v=1&arch=amd64\", sha256 = \"{SHA}\", to = \"/opt/tool/tool\" }}"
    );
    let c = compile_with(&loader(&spec(&files, "")), Path::new("app.imgspec"));
    assert!(c.diagnostics.is_empty(), "{}", rendered(&c));
    let dockerfile = &c.outputs[0].dockerfile;
    assert!(dockerfile.contains(&format!(
        "COPY --link --chmod=0755 --from=busybox:1.36@sha256:{SHA} /bin/busybox /usr/local/bin/busybox\n"
    )));
    assert!(dockerfile.contains(&format!(
        "ADD --link --chmod=0644 --checksum=sha256:{SHA} https://example.com/dl/tool?v=1&arch=amd64 /opt/tool/tool\n"
    )));
}

#[test]
fn unpinned_or_unchecked_files_are_refused() {
    let cases = [
        // The reference rules of bases.
        ("{ image = \"busybox\", from = \"/bin/busybox\", to = \"/bin/x\" }".to_string(), "E0102"),
        ("{ image = \"busybox:latest\", from = \"/bin/busybox\", to = \"/bin/x\" }".to_string(), "E0102"),
        ("{ image = \"BusyBox:1\", from = \"/bin/busybox\", to = \"/bin/x\" }".to_string(), "E0015"),
        ("{ image = \"scratch\", from = \"/x\", to = \"/bin/x\" }".to_string(), "E0015"),
        ("{ image = \"busybox:1.36\", to = \"/bin/x\" }".to_string(), "E0009"),
        ("{ image = \"busybox:1.36\", from = \"bin/busybox\", to = \"/bin/x\" }".to_string(), "E0015"),
        ("{ image = \"busybox:1.36\", from = \"/bin/busybox\", to = \"bin/x\" }".to_string(), "E0015"),
        // Downloads: https, a checksum, plain characters.
        ("{ url = \"https://example.com/tool\", to = \"/bin/tool\" }".to_string(), "E0140"),
        (format!("{{ url = \"http://example.com/tool\", sha256 = \"{SHA}\", to = \"/bin/tool\" }}"), "E0015"),
        ("{ url = \"https://example.com/tool\", sha256 = \"sha256:abc\", to = \"/bin/tool\" }".to_string(), "E0015"),
        (format!("{{ url = \"https://example.com/a b\", sha256 = \"{SHA}\", to = \"/bin/tool\" }}"), "E0113"),
        (format!("{{ url = \"https://example.com/$HOME\", sha256 = \"{SHA}\", to = \"/bin/tool\" }}"), "E0113"),
        (format!("{{ url = \"https://example.com/t\", sha256 = \"{SHA}\", to = \"/bin/a\\nRUN id\" }}"), "E0113"),
        (format!("{{ url = \"https://example.com/t\", image = \"busybox:1\", sha256 = \"{SHA}\", to = \"/bin/t\" }}"), "E0015"),
        ("{ to = \"/bin/tool\" }".to_string(), "E0009"),
    ];
    for (files, code) in cases {
        let got = reported(&files);
        assert!(got.contains(&code), "{files}: expected {code}, got {got:?}");
    }
}

#[test]
fn downloads_need_frontend_1_6() {
    let files =
        format!("{{ url = \"https://example.com/tool\", sha256 = \"{SHA}\", to = \"/bin/tool\" }}");
    let old = spec(&files, "syntax = \"1.5\"");
    let c = compile_with(&loader(&old), Path::new("app.imgspec"));
    assert_eq!(codes(&c), ["E0141"], "{}", rendered(&c));
    let current = spec(&files, "syntax = \"1.6\"");
    let c = compile_with(&loader(&current), Path::new("app.imgspec"));
    assert!(c.diagnostics.is_empty(), "{}", rendered(&c));
    // The command line decides over the spec.
    for (version, ok) in [("1.4", false), ("1", true), ("none", true)] {
        let options = Options {
            frontend: Frontend::parse(version).ok(),
            ..Options::default()
        };
        let c = compile(&loader(&current), Path::new("app.imgspec"), &options).expect("compiles");
        assert_eq!(
            c.diagnostics.is_empty(),
            ok,
            "--syntax {version}: {}",
            rendered(&c)
        );
    }
}

#[test]
fn files_land_where_nothing_else_does() {
    let file = format!(
        "{{ url = \"https://example.com/tool\", sha256 = \"{SHA}\", to = \"/srv/data/\" }}"
    );
    let twice = format!("{file}, {file}");
    assert!(reported(&twice).contains(&"E0120"));
    let writable =
        spec(&file, "").replace("    cmd =", "    writable = [\"/srv/data\"]\n    cmd =");
    let c = compile_with(&loader(&writable), Path::new("app.imgspec"));
    assert!(codes(&c).contains(&"E0135"), "{}", rendered(&c));
}
