//! SARIF 2.1.0 output, for code-scanning dashboards: one run, every
//! diagnostic code as a rule, every diagnostic as a result.

use serde_json::{json, Value};

use super::{Code, Diagnostic, Diagnostics, Severity};
use crate::source::{SourceMap, Span};

/// One SARIF log for the diagnostics of several compilations.
pub fn render_sarif(runs: &[(&Diagnostics, &SourceMap)]) -> String {
    let rules: Vec<Value> = Code::ALL
        .iter()
        .map(|code| {
            json!({
                "id": code.as_str(),
                "shortDescription": { "text": code.summary() },
                "help": { "text": format!("See docs/diagnostics.md, section {}.", code.as_str()) },
            })
        })
        .collect();
    let results: Vec<Value> = runs
        .iter()
        .flat_map(|(diagnostics, sources)| {
            diagnostics
                .sorted()
                .into_iter()
                .map(move |d| result(d, sources))
        })
        .collect();
    let log = json!({
        "version": "2.1.0",
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "runs": [{
            "tool": { "driver": {
                "name": "imgspec",
                "version": env!("CARGO_PKG_VERSION"),
                "rules": rules,
            }},
            "results": results,
        }],
    });
    serde_json::to_string_pretty(&log).unwrap_or_default() + "\n"
}

fn result(d: &Diagnostic, sources: &SourceMap) -> Value {
    let mut text = d.message.clone();
    if let Some(help) = &d.help {
        text.push_str("\nhelp: ");
        text.push_str(help);
    }
    let location = |span: Span, message: &str| {
        let (start_line, start_column) = sources.line_col(span.file, span.start);
        let (end_line, end_column) = sources.line_col(span.file, span.end);
        let mut value = json!({
            "physicalLocation": {
                "artifactLocation": { "uri": sources.file(span.file).name },
                "region": {
                    "startLine": start_line,
                    "startColumn": start_column,
                    "endLine": end_line,
                    "endColumn": end_column,
                },
            },
        });
        if !message.is_empty() {
            value["message"] = json!({ "text": message });
        }
        value
    };
    let primary: Vec<Value> = d
        .labels
        .iter()
        .filter(|l| l.primary)
        .map(|l| location(l.span, ""))
        .collect();
    let related: Vec<Value> = d
        .labels
        .iter()
        .filter(|l| !l.primary)
        .map(|l| location(l.span, &l.message))
        .collect();
    json!({
        "ruleId": d.code.as_str(),
        "level": match d.severity { Severity::Error => "error", Severity::Warning => "warning" },
        "message": { "text": text },
        "locations": primary,
        "relatedLocations": related,
    })
}
