//! The standard library type-checks: every base, ecosystem and template of
//! every `std` module is used in a spec that must compile without any
//! diagnostic. Every parameter of a stdlib definition has a default, so a
//! bare call is always possible.

mod common;

use std::path::Path;

use common::{compile_with, rendered};
use imgspec::diagnostic::Diagnostics;
use imgspec::loader::MemoryLoader;
use imgspec::source::FileId;
use imgspec::stdlib;
use imgspec::syntax::{ast::DefKind, parse};

fn use_spec(module: &str, kind: DefKind, name: &str) -> String {
    let call = format!("{module}.{name}()");
    let body = match kind {
        DefKind::Base => format!("image t {{\n  base = {call}\n  sources = [\"src/\"]\n}}"),
        DefKind::Ecosystem => {
            format!("image t {{\n  base = debian.bookworm()\n  deps = [{call}]\n  sources = [\"src/\"]\n}}")
        }
        DefKind::Template => format!("image t = {call} {{\n  sources = [\"src/\"]\n}}"),
        DefKind::Image => unreachable!("the standard library defines no images"),
    };
    let debian = if module == "debian" {
        ""
    } else {
        "use std.debian\n"
    };
    format!("{debian}use std.{module}\n{body}\n")
}

#[test]
fn every_stdlib_definition_compiles_cleanly() {
    let mut checked = 0;
    for module in stdlib::names() {
        let text = stdlib::module(module).expect("listed module exists");
        let mut diagnostics = Diagnostics::default();
        let ast = parse(FileId(0), text, &mut diagnostics)
            .unwrap_or_else(|| panic!("std.{module} does not parse"));
        assert!(diagnostics.is_empty(), "std.{module} has syntax problems");
        for def in &ast.definitions {
            assert_ne!(def.kind, DefKind::Image, "std.{module} defines an image");
            assert!(
                !def.docs.is_empty(),
                "std.{module}.{} has no /// documentation",
                def.name.name
            );
            for param in &def.params {
                assert!(
                    param.default.is_some(),
                    "std.{module}.{}: parameter `{}` has no default",
                    def.name.name,
                    param.name.name
                );
            }
            let spec = use_spec(module, def.kind, &def.name.name);
            let loader = MemoryLoader::new().with("t.imgspec", spec.clone());
            let c = compile_with(&loader, Path::new("t.imgspec"));
            assert!(
                c.diagnostics.is_empty(),
                "std.{module}.{}:\n{spec}\n{}",
                def.name.name,
                rendered(&c)
            );
            assert_eq!(c.outputs.len(), 1);
            checked += 1;
        }
    }
    assert!(checked >= 15, "only {checked} stdlib definitions checked");
}

#[test]
fn every_stdlib_module_is_documented() {
    let docs = std::fs::read_to_string("docs/stdlib.md").expect("docs/stdlib.md");
    for module in stdlib::names() {
        assert!(
            docs.contains(&format!("## std.{module}")),
            "docs/stdlib.md has no `## std.{module}`"
        );
    }
}
