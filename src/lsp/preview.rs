//! The Dockerfiles the compiler would write for a buffer, without writing
//! anything: the `imgspec/preview` request and the
//! `imgspec.previewDockerfile` command.

use serde::{Deserialize, Serialize};

use super::documents::Documents;
use crate::diagnostic::{render_human, ColorChoice};

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PreviewParams {
    pub text_document: lsp_types::TextDocumentIdentifier,
    /// Only this image (default: every image of the file).
    #[serde(default)]
    pub image: Option<String>,
}

#[derive(Debug, Serialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct Preview {
    /// Whether the spec compiles; when not, `outputs` is empty and
    /// `diagnostics` says why.
    pub ok: bool,
    pub outputs: Vec<PreviewOutput>,
    /// The diagnostics as `imgspec check` prints them, without colour
    /// (warnings too when it compiles).
    pub diagnostics: String,
}

#[derive(Debug, Serialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct PreviewOutput {
    pub image: String,
    pub dockerfile: String,
    pub dockerignore: String,
}

/// `None` when the document is not open.
pub fn preview(documents: &Documents, uri: &str, image: Option<&str>) -> Option<Preview> {
    let compiled = documents.compile(uri)?;
    let c = &compiled.compilation;
    let diagnostics = String::from_utf8_lossy(&render_human(
        &c.diagnostics,
        &c.sources,
        ColorChoice::Never,
    ))
    .into_owned();
    let ok = !c.diagnostics.has_errors();
    let mut summary = diagnostics;
    if !ok {
        let errors = c.diagnostics.error_count();
        summary.push_str(&format!(
            "{} error{}: nothing would be written\n",
            errors,
            if errors == 1 { "" } else { "s" }
        ));
    }
    let outputs: Vec<PreviewOutput> = c
        .outputs
        .iter()
        .filter(|o| image.is_none_or(|name| o.image == name))
        .map(|o| PreviewOutput {
            image: o.image.clone(),
            dockerfile: o.dockerfile.clone(),
            dockerignore: o.dockerignore.clone(),
        })
        .collect();
    if ok && outputs.is_empty() {
        if let Some(name) = image {
            let names: Vec<&str> = c.outputs.iter().map(|o| o.image.as_str()).collect();
            summary.push_str(&format!(
                "no image `{name}` in this file (it has: {})\n",
                names.join(", ")
            ));
            return Some(Preview {
                ok: false,
                outputs,
                diagnostics: summary,
            });
        }
    }
    Some(Preview {
        ok,
        outputs,
        diagnostics: summary,
    })
}
