//! `run { files = [...] }`: files the runner takes from outside the build
//! context, pinned like a base. A path of another image
//! (`COPY --from=<image>`) or a download BuildKit checks against its
//! sha256 (`ADD --checksum`): what a project otherwise fetches with
//! `curl | sh`, unverified, in a RUN.

use super::base::image_ref;
use super::build::mode;
use super::fields::{self, Fields};
use super::rules::{absolute, copy_operand, string_value};
use super::*;
use crate::frontend::Frontend;

const EXAMPLE: &str = "write `{ image = \"tianon/tini:0.19\", from = \"/usr/bin/tini\", to = \"/usr/local/bin/tini\" }` or `{ url = \"https://...\", sha256 = \"...\", to = \"/usr/local/bin/tool\" }`";

pub(super) fn files(v: &V, d: &mut Diagnostics) -> Vec<ExternalFile> {
    fields::list(v)
        .into_iter()
        .filter_map(|item| file(item, d))
        .collect()
}

fn file(v: &V, d: &mut Diagnostics) -> Option<ExternalFile> {
    let record = fields::record(v, "a file", EXAMPLE, d)?;
    let mut f = Fields::new(record, "a file");
    let image = f.get("image");
    let url = f.get("url");
    let from = f.get("from");
    let sha256 = f.get("sha256");
    let to = f
        .require("to", "\"/usr/local/bin/tool\"", d)
        .and_then(|t| fields::string(t, d).map(|s| (s, t.span)));
    let mode = f
        .get("mode")
        .and_then(|m| fields::string(m, d).and_then(|text| mode(&text, m.span, d)));
    f.finish(d);
    let source = match (image, url) {
        (Some(image), None) => image_source(image, from, sha256, v.span, d),
        (None, Some(url)) => url_source(url, from, sha256, v.span, d),
        (Some(_), Some(url)) => {
            d.push(
                Diagnostic::error(
                    Code::InvalidValue,
                    url.span,
                    "a file comes from an image or a URL, not both",
                )
                .label("second source")
                .help("split it into two entries of `files`"),
            );
            None
        }
        (None, None) => {
            d.push(
                Diagnostic::error(Code::MissingField, v.span, "a file needs `image` or `url`")
                    .label("where does this file come from?")
                    .help(EXAMPLE),
            );
            None
        }
    };
    let (to, to_span) = to?;
    string_value(&to, to_span, "a file destination", d);
    copy_operand(&to, to_span, "a file destination", d);
    absolute(&to, to_span, "a file destination", d);
    Some(ExternalFile {
        source: source?,
        to,
        mode,
        span: v.span,
    })
}

/// `image` and `from`: checked like a base's reference, which must not
/// move under the build.
fn image_source(
    image: &V,
    from: Option<&V>,
    sha256: Option<&V>,
    span: Span,
    d: &mut Diagnostics,
) -> Option<FileSource> {
    if let Some(sha256) = sha256 {
        d.push(
            Diagnostic::error(
                Code::UnknownField,
                sha256.span,
                "`sha256` checks a download, not an image",
            )
            .label("not used with `image`")
            .help("pin the image by digest in the reference instead: \"name:tag@sha256:...\""),
        );
    }
    let text = fields::string(image, d)?;
    let reference = image_ref(&text, image.span, d)?;
    if reference.is_scratch() {
        d.push(
            Diagnostic::error(
                Code::InvalidValue,
                image.span,
                "`scratch` has no files to copy",
            )
            .label("empty image")
            .help("name the image that holds the file, e.g. \"tianon/tini:0.19\""),
        );
        return None;
    }
    if let Some(problem) = super::rules::unpinned(&reference) {
        d.push(
            Diagnostic::error(Code::UnpinnedBase, image.span, format!("the image `{text}` is {problem}"))
                .label("this file would change under you")
                .help("name a version tag and add its digest, e.g. \"ghcr.io/astral-sh/uv:0.5.11@sha256:...\""),
        );
        return None;
    }
    let Some(from) = from else {
        d.push(
            Diagnostic::error(
                Code::MissingField,
                span,
                "a file from an image needs `from`",
            )
            .label("which path of the image?")
            .help("add the absolute path in that image, e.g. `from = \"/usr/bin/tini\"`"),
        );
        return None;
    };
    let path = fields::string(from, d)?;
    string_value(&path, from.span, "a path in an image", d);
    copy_operand(&path, from.span, "a path in an image", d);
    absolute(&path, from.span, "a path in an image", d);
    Some(FileSource::Image { reference, path })
}

/// `url` and `sha256`: https only, and never without a checksum.
fn url_source(
    url: &V,
    from: Option<&V>,
    sha256: Option<&V>,
    span: Span,
    d: &mut Diagnostics,
) -> Option<FileSource> {
    if let Some(from) = from {
        d.push(
            Diagnostic::error(
                Code::UnknownField,
                from.span,
                "`from` names a path in an image, not in a download",
            )
            .label("not used with `url`")
            .help("the URL names the file; `to` says where it goes"),
        );
    }
    let text = fields::string(url, d)?;
    let ok = url_ok(&text, url.span, d);
    let Some(sha256) = sha256 else {
        d.push(
            Diagnostic::error(Code::UncheckedDownload, span, format!("`{text}` would be downloaded without a checksum"))
                .label("nothing checks what this URL serves")
                .help("add `sha256 = \"...\"`, the 64 hex digits of the file's SHA-256 (`sha256sum FILE`): the build fails if the download differs"),
        );
        return None;
    };
    let checksum = fields::string(sha256, d)?;
    let hex_ok = checksum.len() == 64
        && checksum
            .chars()
            .all(|c| c.is_ascii_digit() || ('a'..='f').contains(&c));
    if !hex_ok {
        d.push(
            Diagnostic::error(
                Code::InvalidValue,
                sha256.span,
                format!("`{checksum}` is not a SHA-256 checksum"),
            )
            .label("expected 64 lower-case hex digits")
            .help("copy the first word `sha256sum FILE` prints, without a `sha256:` prefix"),
        );
        return None;
    }
    ok.then(|| FileSource::Url {
        url: text,
        checksum: format!("sha256:{checksum}"),
    })
}

/// An https URL of characters BuildKit's word lexer passes through
/// unchanged: no quotes, `$`, `\`, spaces or non-ASCII text.
fn url_ok(text: &str, span: Span, d: &mut Diagnostics) -> bool {
    let Some(rest) = text.strip_prefix("https://") else {
        d.push(
            Diagnostic::error(Code::InvalidValue, span, format!("`{text}` is not an https URL"))
                .label("only https downloads are allowed")
                .help("use the https address of the file, e.g. a release asset \"https://github.com/OWNER/REPO/releases/download/v1.0/tool\""),
        );
        return false;
    };
    let plain = |c: char| c.is_ascii_alphanumeric() || "-._~:/?#@!&+,;=%".contains(c);
    if rest.is_empty() || rest.starts_with('/') || !rest.chars().all(plain) {
        string_value(text, span, "a URL", d);
        d.push(
            Diagnostic::error(Code::UnsafeString, span, format!("`{}` is not a plain URL", text.escape_debug()))
                .label("quotes, `$`, `\\`, `*`, brackets, spaces and non-ASCII characters change an ADD operand")
                .help("percent-encode those characters (a space is %20), and name a host after https://"),
        );
        return false;
    }
    true
}

/// `ADD --checksum` needs Dockerfile frontend 1.6; an older `syntax` has no
/// equivalent, so the image cannot be written for it.
pub fn frontend_supports(
    image: &Image,
    frontend: &Frontend,
    on_command_line: bool,
    d: &mut Diagnostics,
) {
    if frontend.checksum {
        return;
    }
    let Some(file) = image
        .runner
        .files
        .iter()
        .find(|f| matches!(f.source, FileSource::Url { .. }))
    else {
        return;
    };
    let version = frontend
        .syntax
        .as_deref()
        .map_or("", |s| s.trim_start_matches("docker/dockerfile:"));
    let mut diagnostic = Diagnostic::error(
        Code::FrontendTooOld,
        file.span,
        format!("a checked download needs Dockerfile frontend 1.6 or newer, but the image targets `{version}`"),
    )
    .label("written as `ADD --checksum`, which older frontends reject");
    diagnostic = match (&image.frontend, on_command_line) {
        (Some(_), false) => diagnostic.help(
            "raise the spec's `syntax` to \"1.6\" or newer, or leave it out to use the builder's own frontend",
        ),
        _ => diagnostic.help("pass `--syntax 1.6` or newer, or leave `--syntax` out"),
    };
    d.push(diagnostic);
}
