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
            let mut spec = use_spec(module, def.kind, &def.name.name);
            let mut c = compile_with(
                &MemoryLoader::new().with("t.imgspec", spec.clone()),
                Path::new("t.imgspec"),
            );
            // An ecosystem without `output` feeds build steps (a restore
            // before `dotnet publish`, Go modules before `go build`): alone,
            // its install is unused (W0122); with a step and an artifact it
            // must compile cleanly.
            let unused = |c: &imgspec::compile::Compilation| {
                let all = c.diagnostics.sorted();
                all.len() == 1 && all[0].code == imgspec::diagnostic::Code::UnusedInstall
            };
            if def.kind == DefKind::Ecosystem && unused(&c) {
                spec = spec.replace(
                    "  sources = [\"src/\"]\n",
                    "  sources = [\"src/\"]\n  build = [\"true\"]\n  artifacts = [\"src/\"]\n",
                );
                c = compile_with(
                    &MemoryLoader::new().with("t.imgspec", spec.clone()),
                    Path::new("t.imgspec"),
                );
            }
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

/// The `FROM` lines of a spec's only image, in order.
fn froms(spec: &str) -> Vec<String> {
    let loader = MemoryLoader::new().with("t.imgspec", spec.to_string());
    let c = compile_with(&loader, Path::new("t.imgspec"));
    assert!(c.diagnostics.is_empty(), "{spec}\n{}", rendered(&c));
    c.outputs[0]
        .dockerfile
        .lines()
        .filter_map(|l| l.strip_prefix("FROM "))
        // The image, after any `--platform=...` flag.
        .filter_map(|l| l.split(' ').find(|w| !w.starts_with("--")))
        .map(str::to_string)
        .collect()
}

const DIGEST: &str = "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

#[test]
fn bases_name_the_tags_upstream_publishes() {
    let cases: &[(&str, &str, &str)] = &[
        ("debian", "debian.bookworm(slim: false)", "debian:bookworm"),
        ("debian", "debian.trixie()", "debian:trixie-slim"),
        (
            "python",
            "python.slim(release: \"trixie\")",
            "python:3.12-slim-trixie",
        ),
        (
            "python",
            "python.slim(version: \"3.13\", slim: false)",
            "python:3.13-bookworm",
        ),
        (
            "python",
            "python.alpine(version: \"3.12\", alpine: \"3.20\")",
            "python:3.12-alpine3.20",
        ),
        ("python", "python.alpine()", "python:3.12-alpine"),
        (
            "node",
            "node.slim(release: \"trixie\")",
            "node:20-trixie-slim",
        ),
        (
            "node",
            "node.slim(version: \"22\", slim: false)",
            "node:22-bookworm",
        ),
        (
            "node",
            "node.alpine(alpine: \"3.21\")",
            "node:20-alpine3.21",
        ),
        (
            "ruby",
            "ruby.slim(release: \"trixie\")",
            "ruby:3.3-slim-trixie",
        ),
        ("php", "php.cli(release: \"trixie\")", "php:8.3-cli-trixie"),
        (
            "php",
            "php.apache(release: \"trixie\")",
            "php:8.3-apache-trixie",
        ),
        (
            "rust",
            "rust.toolchain(release: \"trixie\")",
            "rust:1.82-slim-trixie",
        ),
        (
            "rust",
            "rust.alpine(alpine: \"3.20\")",
            "rust:1.82-alpine3.20",
        ),
        (
            "go",
            "go.toolchain(version: \"1.24\", release: \"trixie\")",
            "golang:1.24-trixie",
        ),
        ("ubuntu", "ubuntu.jammy()", "ubuntu:22.04"),
        (
            "rhel",
            "rhel.ubi_minimal()",
            "registry.access.redhat.com/ubi9/ubi-minimal:9.5",
        ),
        (
            "distroless",
            "distroless.cc(debian: \"13\")",
            "gcr.io/distroless/cc-debian13:nonroot",
        ),
    ];
    for (module, call, reference) in cases {
        let spec = format!(
            "use std.{module}\nimage t {{\n  base = {call}\n  sources = [\"src/\"]\n  run {{\n    user = 10001\n  }}\n}}\n"
        );
        assert_eq!(
            froms(&spec).last().map(String::as_str),
            Some(*reference),
            "{call}"
        );
        let open = call.strip_suffix(')').unwrap_or(call);
        let comma = if open.ends_with('(') { "" } else { ", " };
        let pinned = spec.replace(call, &format!("{open}{comma}digest: \"{DIGEST}\")"));
        assert_eq!(
            froms(&pinned).last().cloned(),
            Some(format!("{reference}@{DIGEST}")),
            "{call} with a digest"
        );
    }
}

#[test]
fn templates_pin_their_internal_bases() {
    let cases: &[(&str, &str, &str)] = &[
        (
            "web",
            "web.static_site",
            "nginxinc/nginx-unprivileged:1.27-alpine",
        ),
        ("java", "java.maven_service", "eclipse-temurin:21-jre"),
        ("java", "java.gradle_service", "eclipse-temurin:21-jre"),
        (
            "rust",
            "rust.service",
            "gcr.io/distroless/cc-debian12:nonroot",
        ),
        (
            "go",
            "go.service",
            "gcr.io/distroless/static-debian12:nonroot",
        ),
        (
            "dotnet",
            "dotnet.web",
            "mcr.microsoft.com/dotnet/aspnet:8.0",
        ),
        ("php", "php.service", "php:8.3-cli-bookworm"),
        ("php", "php.fpm_service", "php:8.3-fpm-bookworm"),
        ("php", "php.apache_service", "php:8.3-apache-bookworm"),
        ("java", "java.tomcat_war", "tomcat:10.1-jre21"),
        (
            "java",
            "java.maven_distroless",
            "gcr.io/distroless/java21-debian12:nonroot",
        ),
    ];
    let other = DIGEST.replace("0123", "4567");
    for (module, template, runner) in cases {
        let spec = format!(
            "use std.{module}\nimage t = {template}(digest: \"{DIGEST}\", runner_digest: \"{other}\") {{\n  sources = [\"src/\"]\n}}\n"
        );
        let froms = froms(&spec);
        assert_eq!(
            froms.last().cloned(),
            Some(format!("{runner}@{other}")),
            "{template}"
        );
        assert!(
            froms.iter().any(|f| f.ends_with(&format!("@{DIGEST}"))),
            "{template}: {froms:?}"
        );
    }
}
