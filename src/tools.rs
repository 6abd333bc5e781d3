//! Tools an ecosystem installs from a package registry (`pypi_tool("poetry",
//! "2")`, `npm_tool("corepack", "0.34")`): what a name and a version may be,
//! which releases a series takes in, and the commands that install a tool
//! at the release the lock file holds, checked against its hashes.
//!
//! A PyPI tool gets a virtual environment of its own at `/opt/PACKAGE`, so
//! it never mixes with the application's packages; an npm tool is
//! installed with `npm install --global`.

use crate::lock::{ToolEntry, ToolKey};
use crate::model::{Tool, ToolRegistry};

/// Where a PyPI tool's virtual environment is: its commands are in `bin/`.
pub fn venv(package: &str) -> String {
    format!("/opt/{package}")
}

/// The commands that install `tool`: the locked release with its hashes
/// when the lock file has it, else the newest release of its series.
pub fn install(tool: &Tool, pin: Option<&ToolEntry>) -> Vec<String> {
    match tool.registry {
        ToolRegistry::Pypi => pypi(&tool.package, &tool.version, pin),
        ToolRegistry::Npm => npm(&tool.package, &tool.version, pin),
    }
}

fn pypi(package: &str, series: &str, pin: Option<&ToolEntry>) -> Vec<String> {
    let venv = venv(package);
    let pip = format!("{venv}/bin/pip install --disable-pip-version-check");
    let install = match pin {
        // `--hash` is only read from a requirements file: one is written
        // for the install and removed after it.
        Some(entry) if !entry.hashes.is_empty() => {
            let file = format!("/tmp/{package}-requirements.txt");
            // pip reads `--hash=sha256:HEX`, the lock file's own form.
            let hashes: Vec<String> = entry.hashes.iter().map(|h| format!("--hash={h}")).collect();
            format!(
                "printf '%s\\n' '{package}=={} {}' > {file} && {pip} --require-hashes -r {file} && rm {file}",
                entry.resolved,
                hashes.join(" ")
            )
        }
        Some(entry) => format!("{pip} {package}=={}", entry.resolved),
        // PEP 440 prefix matching: the series and nothing newer.
        None => format!("{pip} '{package}=={series}.*'"),
    };
    vec![format!("python -m venv {venv}"), install]
}

fn npm(package: &str, series: &str, pin: Option<&ToolEntry>) -> Vec<String> {
    let install = "npm install --global --no-audit --no-fund";
    match pin {
        // npm checks a tarball against the registry's own record only: the
        // locked digest is checked here, on the file that is installed.
        Some(entry) if !entry.hashes.is_empty() => {
            let tarball = format!("/tmp/{}", tarball(package, &entry.resolved));
            let check: Vec<String> = entry
                .hashes
                .iter()
                .filter_map(|h| h.strip_prefix("sha512:"))
                .map(|hex| format!("echo '{hex}  {tarball}' | sha512sum -c -"))
                .collect();
            vec![format!(
                "npm pack --silent --pack-destination /tmp {package}@{} && {} && {install} {tarball} && rm {tarball}",
                entry.resolved,
                check.join(" && ")
            )]
        }
        Some(entry) => vec![format!("{install} {package}@{}", entry.resolved)],
        // npm reads `0.34` as every 0.34.x release.
        None => vec![format!("{install} '{package}@{series}'")],
    }
}

/// The file `npm pack` writes: `@scope/name` becomes `scope-name`.
fn tarball(package: &str, version: &str) -> String {
    let name = package.trim_start_matches('@').replace('/', "-");
    format!("{name}-{version}.tgz")
}

/// Whether `release` belongs to `series`: its leading numbers are the
/// series' numbers (`0.13.9` is in `0.13` and in `0`, not in `0.1`).
pub fn in_series(release: &str, series: &str) -> bool {
    let release: Vec<&str> = release.split('.').collect();
    let series: Vec<&str> = series.split('.').collect();
    series.len() <= release.len()
        && series
            .iter()
            .zip(&release)
            .all(|(s, r)| s.parse::<u64>().ok() == r.parse::<u64>().ok())
}

/// The numbers of a release, for ordering; `None` for anything but
/// dot-separated numbers (pre-releases, local versions).
pub fn release_numbers(version: &str) -> Option<Vec<u64>> {
    version.split('.').map(|p| p.parse::<u64>().ok()).collect()
}

pub fn valid_package(registry: ToolRegistry, name: &str) -> bool {
    match registry {
        ToolRegistry::Pypi => valid_pypi_name(name),
        ToolRegistry::Npm => valid_npm_name(name),
    }
}

/// PEP 508 names: ASCII letters and digits, with `.`, `_`, `-` inside.
fn valid_pypi_name(name: &str) -> bool {
    let edge = |c: Option<char>| c.is_some_and(|c| c.is_ascii_alphanumeric());
    name.len() <= 214
        && edge(name.chars().next())
        && edge(name.chars().last())
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))
}

/// npm names: lower case, URL-safe, optionally scoped.
fn valid_npm_name(name: &str) -> bool {
    let part = |p: &str| {
        !p.is_empty()
            && !p.starts_with(['.', '_'])
            && p.chars().all(|c| {
                c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '.' | '_' | '~' | '-')
            })
    };
    name.len() <= 214
        && match name.strip_prefix('@') {
            Some(scoped) => scoped
                .split_once('/')
                .is_some_and(|(scope, name)| part(scope) && part(name)),
            None => part(name),
        }
}

/// Dot-separated numbers: a series (`2`, `0.13`) or a release (`2.5.1`).
/// Pre-releases are not series anyone tracks, so they are not accepted.
pub fn valid_version(version: &str) -> bool {
    version.len() <= 64
        && version.split('.').all(|part| {
            !part.is_empty() && part.len() <= 18 && part.bytes().all(|b| b.is_ascii_digit())
        })
}

/// Puts each tool's install at the front of its ecosystem's setup, at
/// the release `lock` holds; returns the tools, with their spans, that a
/// lock file (when there is one) has no entry for.
pub fn put_in_setup(
    image: &mut crate::model::Image,
    lock: Option<&crate::lock::Lock>,
) -> Vec<(ToolKey, crate::source::Span)> {
    let mut unlocked = Vec::new();
    for eco in image.builds_mut().flat_map(|b| b.deps.iter_mut()) {
        let mut setup = Vec::new();
        for tool in &eco.tools {
            let key = ToolKey::of(tool);
            let pin = lock.and_then(|l| l.tool(&key));
            if lock.is_some() && pin.is_none() {
                unlocked.push((key, tool.span));
            }
            setup.extend(
                install(tool, pin)
                    .into_iter()
                    .map(|value| crate::model::Spanned {
                        value,
                        span: tool.span,
                    }),
            );
        }
        setup.append(&mut eco.setup);
        eco.setup = setup;
    }
    unlocked
}

/// The tools of every ecosystem of `image`, each with its lock key.
pub fn of_image(image: &crate::model::Image) -> impl Iterator<Item = (&Tool, ToolKey)> {
    image
        .builds()
        .flat_map(|b| &b.deps)
        .flat_map(|e| &e.tools)
        .map(|t| (t, ToolKey::of(t)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_versions_the_registries_accept() {
        assert!(valid_pypi_name("poetry"));
        assert!(valid_pypi_name("zope.interface"));
        assert!(!valid_pypi_name("-poetry"));
        assert!(!valid_pypi_name("poetry; rm -rf /"));
        assert!(valid_npm_name("corepack"));
        assert!(valid_npm_name("@yarnpkg/cli-dist"));
        assert!(!valid_npm_name("Corepack"));
        assert!(!valid_npm_name("@scope"));
        assert!(!valid_npm_name("a b"));
        assert!(valid_version("2"));
        assert!(valid_version("0.13.9"));
        assert!(!valid_version("2."));
        assert!(!valid_version("^2"));
        assert!(!valid_version("2.5.1rc1"));
    }

    #[test]
    fn a_series_takes_in_its_releases_only() {
        assert!(in_series("0.13.9", "0.13"));
        assert!(in_series("0.13.9", "0"));
        assert!(in_series("2.5.1", "2.5.1"));
        assert!(!in_series("0.13.9", "0.1"));
        assert!(!in_series("2.5", "2.5.1"));
        assert!(!in_series("10.0.0", "1"));
    }

    #[test]
    fn npm_tarballs_are_named_as_npm_pack_names_them() {
        assert_eq!(tarball("corepack", "0.34.7"), "corepack-0.34.7.tgz");
        assert_eq!(
            tarball("@yarnpkg/cli-dist", "4.5.0"),
            "yarnpkg-cli-dist-4.5.0.tgz"
        );
    }
}
