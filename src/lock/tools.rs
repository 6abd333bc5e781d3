//! Resolving a tool's version series to its newest release, with the
//! digests of the release's files, from the package registry's JSON API:
//! PyPI's `/pypi/NAME/json` and the npm registry's package document.

use serde_json::Value;

use super::registry::{Client, Failure};
use super::{ToolEntry, ToolKey};
use crate::model::ToolRegistry;
use crate::tools::{in_series, release_numbers};

/// Where the package registries are: the public ones unless a mirror is
/// named (a test's fake, a company's proxy).
#[derive(Debug, Clone)]
pub struct PackageRegistries {
    pub pypi: String,
    pub npm: String,
}

impl Default for PackageRegistries {
    fn default() -> PackageRegistries {
        PackageRegistries {
            pypi: "https://pypi.org".to_string(),
            npm: "https://registry.npmjs.org".to_string(),
        }
    }
}

pub fn resolve(
    client: &Client,
    registries: &PackageRegistries,
    key: &ToolKey,
) -> Result<ToolEntry, String> {
    let title = key.registry.title();
    let (base, url, accept) = match key.registry {
        ToolRegistry::Pypi => (
            &registries.pypi,
            format!(
                "{}/pypi/{}/json",
                registries.pypi.trim_end_matches('/'),
                key.package
            ),
            "application/json",
        ),
        ToolRegistry::Npm => (
            &registries.npm,
            format!(
                "{}/{}",
                registries.npm.trim_end_matches('/'),
                key.package.replace('/', "%2f")
            ),
            // The abbreviated document: versions, dependencies, digests.
            "application/vnd.npm.install-v1+json",
        ),
    };
    let host = base
        .split_once("://")
        .map_or(base.as_str(), |(_, rest)| rest)
        .split('/')
        .next()
        .unwrap_or_default()
        .to_string();
    let body = client.document(&host, &url, accept).map_err(|f| match f {
        Failure::NotFound => format!("{title} has no package `{}` (404)", key.package),
        other => other.describe(&host),
    })?;
    let json: Value = serde_json::from_slice(&body)
        .map_err(|e| format!("{title} answered with something that is not JSON ({e})"))?;
    let releases = match key.registry {
        ToolRegistry::Pypi => pypi_releases(&json),
        ToolRegistry::Npm => npm_releases(&json),
    };
    newest(releases, &key.version).ok_or_else(|| {
        format!(
            "{title} has no release of `{}` in the series `{}`",
            key.package, key.version
        )
    })
}

/// One release: its version, whether it has dependencies, its digests.
struct Release {
    version: String,
    numbers: Vec<u64>,
    dependencies: bool,
    hashes: Vec<String>,
}

/// The newest release of the series; its digests are kept only when it
/// has no dependencies (pip and npm check all of a tree or none).
fn newest(releases: Vec<Release>, series: &str) -> Option<ToolEntry> {
    let best = releases
        .into_iter()
        .filter(|r| in_series(&r.version, series) && !r.hashes.is_empty())
        .max_by(|a, b| a.numbers.cmp(&b.numbers))?;
    let mut hashes = if best.dependencies {
        Vec::new()
    } else {
        best.hashes
    };
    hashes.sort();
    hashes.dedup();
    Some(ToolEntry {
        resolved: best.version,
        hashes,
    })
}

/// PyPI: every release with the sha256 of each file not yanked. Only the
/// newest release's dependencies are in the document; they stand for the
/// series (a release that has dependencies after all fails the hash-
/// checked install loudly rather than installing unchecked code).
fn pypi_releases(json: &Value) -> Vec<Release> {
    let dependencies = json
        .pointer("/info/requires_dist")
        .and_then(Value::as_array)
        .is_some_and(|deps| {
            deps.iter()
                .filter_map(Value::as_str)
                .any(|d| !d.contains("extra =="))
        });
    let Some(releases) = json.get("releases").and_then(Value::as_object) else {
        return Vec::new();
    };
    releases
        .iter()
        .filter_map(|(version, files)| {
            let numbers = release_numbers(version)?;
            let hashes = files
                .as_array()?
                .iter()
                .filter(|f| !f.get("yanked").and_then(Value::as_bool).unwrap_or(false))
                .filter_map(|f| f.pointer("/digests/sha256").and_then(Value::as_str))
                .map(|h| format!("sha256:{}", h.to_ascii_lowercase()))
                .filter(|h| super::file::is_file_hash(h))
                .collect();
            Some(Release {
                version: version.clone(),
                numbers,
                dependencies,
                hashes,
            })
        })
        .collect()
}

/// npm: every release with its tarball's sha512 (`dist.integrity`) and
/// its own dependencies.
fn npm_releases(json: &Value) -> Vec<Release> {
    use base64::Engine as _;
    let Some(versions) = json.get("versions").and_then(Value::as_object) else {
        return Vec::new();
    };
    versions
        .iter()
        .filter_map(|(version, doc)| {
            let numbers = release_numbers(version)?;
            let dependencies = doc
                .get("dependencies")
                .and_then(Value::as_object)
                .is_some_and(|d| !d.is_empty());
            let integrity = doc.pointer("/dist/integrity").and_then(Value::as_str);
            let hashes = integrity
                .and_then(|i| i.strip_prefix("sha512-"))
                .and_then(|b64| base64::engine::general_purpose::STANDARD.decode(b64).ok())
                .filter(|bytes| bytes.len() == 64)
                .map(|bytes| {
                    let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
                    vec![format!("sha512:{hex}")]
                })
                .unwrap_or_default();
            Some(Release {
                version: version.clone(),
                numbers,
                dependencies,
                hashes,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_newest_release_of_the_series_with_its_files() {
        let json: Value = serde_json::json!({
            "info": { "version": "0.14.0", "requires_dist": null },
            "releases": {
                "0.13.8": [{ "digests": { "sha256": "a".repeat(64) } }],
                "0.13.9": [
                    { "digests": { "sha256": "b".repeat(64) } },
                    { "digests": { "sha256": "c".repeat(64) }, "yanked": true }
                ],
                "0.13.10rc1": [{ "digests": { "sha256": "d".repeat(64) } }],
                "0.14.0": [{ "digests": { "sha256": "e".repeat(64) } }],
                "0.13.11": []
            }
        });
        let entry = newest(pypi_releases(&json), "0.13").unwrap();
        assert_eq!(entry.resolved, "0.13.9");
        assert_eq!(entry.hashes, vec![format!("sha256:{}", "b".repeat(64))]);
        assert_eq!(
            newest(pypi_releases(&json), "0").unwrap().resolved,
            "0.14.0"
        );
        assert!(newest(pypi_releases(&json), "1").is_none());
    }

    #[test]
    fn a_release_with_dependencies_is_pinned_by_version_only() {
        let json: Value = serde_json::json!({
            "info": { "version": "2.5.1", "requires_dist": ["build<2,>=1.2", "tomli; python_version < \"3.11\""] },
            "releases": { "2.5.1": [{ "digests": { "sha256": "a".repeat(64) } }] }
        });
        let entry = newest(pypi_releases(&json), "2").unwrap();
        assert_eq!(entry.resolved, "2.5.1");
        assert!(entry.hashes.is_empty());
    }

    #[test]
    fn npm_integrity_becomes_a_sha512_digest() {
        use base64::Engine as _;
        let digest = base64::engine::general_purpose::STANDARD.encode([7u8; 64]);
        let json: Value = serde_json::json!({
            "versions": {
                "0.34.7": { "dist": { "integrity": format!("sha512-{digest}") } },
                "0.34.6": { "dist": { "integrity": format!("sha512-{digest}") }, "dependencies": { "x": "1" } },
                "0.35.0-next.1": { "dist": { "integrity": format!("sha512-{digest}") } }
            }
        });
        let entry = newest(npm_releases(&json), "0.34").unwrap();
        assert_eq!(entry.resolved, "0.34.7");
        assert_eq!(entry.hashes, vec![format!("sha512:{}", "07".repeat(64))]);
    }
}
