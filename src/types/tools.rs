//! `tools = [pypi_tool("poetry", version), npm_tool("corepack", "0.34")]`: the tools
//! an ecosystem installs from a package registry. Names and versions reach
//! a shell command and a registry URL, so only the characters those
//! registries allow in them are accepted.

use super::fields::{self, Args};
use super::*;

pub(super) fn tools(v: &V, d: &mut Diagnostics) -> Vec<Tool> {
    match &v.val {
        Val::List(items) => items.iter().filter_map(|t| tool(t, d)).collect(),
        _ => tool(v, d).into_iter().collect(),
    }
}

fn tool(v: &V, d: &mut Diagnostics) -> Option<Tool> {
    let registry = match &v.val {
        Val::Builtin(b) => b
            .name
            .strip_suffix("_tool")
            .and_then(ToolRegistry::from_name)
            .map(|r| (r, b)),
        _ => None,
    };
    let Some((registry, builtin)) = registry else {
        d.push(fields::wrong_type(
            v,
            "a tool",
            "write `pypi(\"poetry\", \"2\")` or `npm(\"corepack\", \"0.34\")`",
        ));
        return None;
    };
    let example = match registry {
        ToolRegistry::Pypi => "pypi(\"poetry\", \"2\")",
        ToolRegistry::Npm => "npm(\"corepack\", \"0.34\")",
    };
    let mut args = Args::new(builtin, v.span);
    let package = args
        .require("package", example, d)
        .and_then(|p| fields::string(p, d).map(|s| (s, p.span)));
    let version = args
        .require("version", example, d)
        .and_then(|p| fields::string(p, d).map(|s| (s, p.span)));
    args.finish(d);
    let ((package, package_span), (version, version_span)) = (package?, version?);
    // An empty version switches the tool off, as an empty command is left
    // out: `npm_tool("corepack", "{% if not release %}0.34{% endif %}")`.
    if version.is_empty() {
        return None;
    }
    if !crate::tools::valid_package(registry, &package) {
        d.push(
            Diagnostic::error(
                Code::InvalidValue,
                package_span,
                format!("`{package}` is not a package name {} accepts", registry.title()),
            )
            .label("not a package name")
            .help(match registry {
                ToolRegistry::Pypi => "a PyPI name is letters, digits, `.`, `_` and `-`, starting and ending with a letter or digit, e.g. \"poetry\"",
                ToolRegistry::Npm => "an npm name is lower-case letters, digits, `.`, `_`, `~` and `-`, optionally under a `@scope/`, e.g. \"corepack\"",
            }),
        );
        return None;
    }
    if !crate::tools::valid_version(&version) {
        d.push(
            Diagnostic::error(
                Code::InvalidValue,
                version_span,
                format!("`{version}` is not a version or a version series"),
            )
            .label("expected numbers separated by dots")
            .help("write a series such as \"2\" or \"0.13\" (`imgspec lock` resolves it to its newest release) or an exact release such as \"2.5.1\""),
        );
        return None;
    }
    Some(Tool {
        registry,
        package,
        version,
        span: v.span,
    })
}
