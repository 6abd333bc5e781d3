//! The `publish` block: tags, platforms and cache for `imgspec bake`, the
//! OCI labels that say where an image comes from, and the attestations
//! bake requests.

use super::fields::{self, Fields};
use super::rules::{dollar_problem, quoted_value, string_value};
use super::*;
use crate::suggest;
use crate::syntax::marks;

const ATTESTATIONS: &[(&str, Attestation)] = &[
    ("provenance", Attestation::Provenance),
    ("sbom", Attestation::Sbom),
];

/// `publish { tags = [...] platforms = [...] cache = "registry/repo"
/// source = "https://..." version = "1.4.2" attest = [...] }`
pub(super) fn publish(v: &V, d: &mut Diagnostics) -> Publish {
    let Some(record) = fields::record(
        v,
        "a `publish` block",
        "write `publish { tags = [\"registry/app:1.0\"] }`",
        d,
    ) else {
        return Publish::default();
    };
    let mut f = Fields::new(record, "a `publish` block");
    let tags = f
        .get("tags")
        .map(|v| fields::strings(v, d))
        .unwrap_or_default();
    let platforms_span = f.get("platforms").map(|v| v.span);
    let platforms = f
        .get("platforms")
        .map(|v| fields::strings(v, d))
        .unwrap_or_default();
    let cache = f
        .get("cache")
        .and_then(|v| fields::string(v, d).map(|s| (s, v.span)));
    let source = f.get("source").and_then(|v| {
        fields::string(v, d).map(|s| Spanned {
            value: s,
            span: v.span,
        })
    });
    // As in `env`: `\$` stays marked, so it is written as a dollar sign.
    let version = f.get("version").and_then(|v| {
        fields::string_raw(v, d).map(|s| Spanned {
            value: marks::keep_dollars(&s),
            span: v.span,
        })
    });
    let oci_labels = f.get("oci_labels").and_then(|v| fields::boolean(v, d));
    let mut attest: Vec<Attestation> = f
        .get("attest")
        .map(|v| {
            fields::list(v)
                .into_iter()
                .filter_map(|item| fields::word(item, ATTESTATIONS, "attestation", d))
                .collect()
        })
        .unwrap_or_default();
    attest.sort_unstable();
    attest.dedup();
    f.finish(d);
    for (tag, span) in &tags {
        if let Some(reference) = image_ref(tag, *span, d) {
            if reference.tag.is_none() {
                d.push(
                    Diagnostic::error(Code::InvalidValue, *span, format!("`{tag}` has no tag"))
                        .label("a pushed image needs a tag")
                        .help(format!("write e.g. \"{tag}:1.0.0\"")),
                );
            }
        }
    }
    for (platform, span) in &platforms {
        let parts: Vec<&str> = platform.split('/').collect();
        let valid = (2..=3).contains(&parts.len())
            && parts
                .iter()
                .all(|p| !p.is_empty() && p.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'));
        if !valid {
            d.push(
                Diagnostic::error(
                    Code::InvalidValue,
                    *span,
                    format!("`{platform}` is not a platform"),
                )
                .label("expected os/arch[/variant]")
                .help("write e.g. \"linux/amd64\" or \"linux/arm64\""),
            );
        }
    }
    if let Some((cache, span)) = &cache {
        image_ref(cache, *span, d);
    }
    if let Some(source) = &source {
        source_url(source, d);
    }
    if let Some(version) = &version {
        version_text(version, d);
    }
    // Off, `source` and `version` go nowhere: not an error, since a
    // template may set them for the images that keep the labels.
    let provenance = match oci_labels {
        Some(false) => None,
        _ => Some(Provenance {
            source,
            version,
            span: v.span,
        }),
    };
    Publish {
        tags: tags.into_iter().map(|(t, _)| t).collect(),
        platforms: platforms.into_iter().map(|(p, _)| p).collect(),
        platforms_span,
        cache: cache.map(|(c, _)| c),
        provenance,
        attest,
    }
}

/// `source` is the repository's web address: registries link the image to
/// it. Refused rather than escaped when it could not be a URL.
fn source_url(source: &Spanned<String>, d: &mut Diagnostics) {
    let text = &source.value;
    let before = d.error_count();
    string_value(text, source.span, "the source URL", d);
    if d.error_count() > before {
        return;
    }
    let host = text
        .strip_prefix("https://")
        .or_else(|| text.strip_prefix("http://"))
        .map(|rest| rest.split(['/', '?', '#']).next().unwrap_or_default());
    if host.is_none_or(str::is_empty) {
        d.push(
            Diagnostic::error(
                Code::InvalidValue,
                source.span,
                format!("`{text}` is not the URL of a repository"),
            )
            .label("expected https://host/path")
            .help("write the repository's web address, e.g. `source = \"https://github.com/example/api\"`"),
        );
        return;
    }
    if let Some(c) = text
        .chars()
        .find(|c| !c.is_ascii_graphic() || "\"'\\$`<>{}|^".contains(*c))
    {
        d.push(
            Diagnostic::error(
                Code::InvalidValue,
                source.span,
                match c {
                    ' ' => "the source URL cannot contain a space".to_string(),
                    c => format!("the source URL cannot contain `{c}`"),
                },
            )
            .label("not a URL character")
            .help(format!(
                "percent-encode it (`{}`), or leave it out",
                c.to_string()
                    .bytes()
                    .map(|b| format!("%{b:02X}"))
                    .collect::<String>()
            )),
        );
    }
}

/// `version` is written as the default of a build argument: a line of its
/// own, and `$` as in `env`.
fn version_text(version: &Spanned<String>, d: &mut Diagnostics) {
    if version.value.trim().is_empty() {
        d.push(
            Diagnostic::error(Code::InvalidValue, version.span, "the version is empty")
                .label("an empty label says nothing")
                .help("leave `version` out (CI may give it), or write e.g. `version = \"1.4.2\"`"),
        );
        return;
    }
    quoted_value(&version.value, version.span, "the version", d);
    if let Some((label, help)) = dollar_problem(&version.value) {
        d.push(
            Diagnostic::error(
                Code::UnsafeString,
                version.span,
                "the version has a `$` that BuildKit would not keep",
            )
            .label(label)
            .help(help),
        );
    }
}

/// The checks that need the whole image: what `version` refers to, the
/// names imgspec keeps for itself, and labels set twice.
pub(super) fn check(image: &Image, d: &mut Diagnostics) {
    for arg in &image.args {
        if arg.name.starts_with("IMGSPEC_") {
            d.push(
                Diagnostic::error(
                    Code::InvalidValue,
                    arg.span,
                    format!("`{}` is a name imgspec keeps for its own build arguments", arg.name),
                )
                .label("reserved prefix `IMGSPEC_`")
                .help("rename it; for the OCI labels, set `source` or `version` in `publish`, and give the rest in CI (see ci.md)"),
            );
        }
    }
    let Some(provenance) = &image.publish.provenance else {
        return;
    };
    if let Some(version) = &provenance.version {
        for name in referenced_variables(&version.value) {
            if image.args.iter().any(|a| a.name == name) {
                continue;
            }
            let names = image.args.iter().map(|a| a.name.as_str());
            let help = match suggest::closest(&name, names) {
                Some(close) => format!("did you mean `${close}`?"),
                None => format!(
                    "declare it in the image's `args` (`args = {{ {name} = \"1.0.0\" }}`), or write `\\$` for a dollar sign"
                ),
            };
            d.push(
                Diagnostic::error(
                    Code::UnknownName,
                    version.span,
                    format!("`${name}` names no build argument of this image"),
                )
                .label("not in `args`")
                .help(help),
            );
        }
    }
    for (key, _, span) in &image.runner.labels {
        if Provenance::LABELS.iter().any(|(label, _)| label == key) {
            d.push(
                Diagnostic::error(
                    Code::InvalidValue,
                    *span,
                    format!("`{key}` is set by the `publish` block"),
                )
                .label("set twice")
                .secondary(provenance.span, "writes the OCI labels")
                .help(match key.rsplit('.').next() {
                    Some(field @ ("source" | "version")) => {
                        format!("remove the label and write `{field} = ...` in `publish`")
                    }
                    _ => {
                        "remove the label: CI gives its value at build time (see ci.md)".to_string()
                    }
                }),
            );
        }
    }
}

/// The variables a value refers to: `$NAME` and `${NAME...}`. A dollar
/// written `\$` is marked, not a `$`, so it is not one.
fn referenced_variables(text: &str) -> Vec<String> {
    let mut names: Vec<String> = Vec::new();
    for (i, _) in text.match_indices('$') {
        let rest = &text[i + 1..];
        let rest = rest.strip_prefix('{').unwrap_or(rest);
        let name: String = rest
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
            .collect();
        if name.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_') && !names.contains(&name)
        {
            names.push(name);
        }
    }
    names
}

#[cfg(test)]
mod tests {
    use super::referenced_variables;

    #[test]
    fn finds_references() {
        assert_eq!(
            referenced_variables("v$VERSION-${BUILD:-0}+$1"),
            ["VERSION", "BUILD"]
        );
        assert!(referenced_variables("5\u{FDD0}").is_empty());
    }
}
