//! PHP extensions the Composer dependencies require that the runner lacks
//! (E0126). Composer installs in its own image, told to ignore the
//! platform, so a missing `ext-intl` passes the build and stops the
//! application at start-up (Composer's platform check, or a fatal error
//! on the first call). The compiler compares the `ext-*` requirements of
//! `composer.json` and of every locked package with the extensions the
//! runner base declares and those its `setup` commands install.
//!
//! The manifests are read through the [`Loader`] and parsed without
//! trust: anything not understood means no diagnostic, and only names of
//! plain characters reach a message.

use std::collections::BTreeSet;
use std::path::Path;

use serde_json::Value;

use crate::diagnostic::{Code, Diagnostic, Diagnostics};
use crate::loader::Loader;
use crate::model::{Ecosystem, Image};

/// Checks the runner of `image` against the Composer manifests its
/// ecosystems copy from the context at `dir`.
pub fn check(loader: &dyn Loader, dir: &Path, image: &Image, d: &mut Diagnostics) {
    let runner = &image.runner;
    let Some(declared) = &runner.base.extensions else {
        return;
    };
    let mut present: BTreeSet<String> = declared.iter().cloned().collect();
    present.extend(runner.setup.iter().flat_map(|s| installed(&s.value)));
    for eco in &image.build.deps {
        let required = required(loader, dir, eco);
        let missing: Vec<&String> = required.iter().filter(|e| !present.contains(*e)).collect();
        if missing.is_empty() {
            continue;
        }
        let names: Vec<String> = missing.iter().map(|e| format!("`ext-{e}`")).collect();
        let (them, names) = match names.split_last() {
            Some((last, rest)) if !rest.is_empty() => {
                ("them", format!("{} and {last}", rest.join(", ")))
            }
            _ => ("it", names.join("")),
        };
        let list: Vec<String> = missing.iter().map(|e| format!("\"{e}\"")).collect();
        let mut diagnostic = Diagnostic::error(
            Code::MissingExtension,
            eco.span,
            format!(
                "the Composer dependencies require {names}, which the runner lacks"
            ),
        )
        .label(format!("composer.json or composer.lock requires {them}; Composer installed without checking"))
        .secondary(
            runner.base.span,
            format!("`{}` does not have {them}", runner.base.reference.render()),
        )
        .help(format!(
            "install {them} in the runner: `extensions: [{}]` on `php.apache_service` or `php.fpm_service`, or `setup = [\"docker-php-ext-install {}\"]` (a PECL one: `pecl install NAME && docker-php-ext-enable NAME`)",
            list.join(", "),
            missing.iter().map(|e| e.as_str()).collect::<Vec<_>>().join(" ")
        ));
        if eco.span.file != image.span.file {
            diagnostic = diagnostic.secondary(image.span, "in this image");
        }
        d.push(diagnostic);
    }
}

/// The extensions (lower case, without `ext-`) that `composer.json` and
/// the packages of `composer.lock` require, when the ecosystem copies them.
fn required(loader: &dyn Loader, dir: &Path, eco: &Ecosystem) -> BTreeSet<String> {
    let prefix = eco.context_prefix();
    let copies = |name: &str| {
        eco.manifests
            .iter()
            .any(|m| m.value.trim_start_matches("./") == name)
    };
    let read = |name: &str| {
        loader
            .context_read(dir, &format!("{prefix}{name}"))
            .and_then(|text| serde_json::from_str::<Value>(&text).ok())
    };
    if !copies("composer.json") {
        return BTreeSet::new();
    }
    let lock = copies("composer.lock")
        .then(|| read("composer.lock"))
        .flatten();
    required_by(read("composer.json").as_ref(), lock.as_ref())
}

/// The extensions (lower case, without `ext-`) that a parsed
/// `composer.json` and the packages of a parsed `composer.lock` require;
/// `imgspec init` asks the same of a project.
pub fn required_by(json: Option<&Value>, lock: Option<&Value>) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    if let Some(json) = json {
        out.extend(extensions(json.get("require")));
    }
    if let Some(Value::Array(packages)) = lock.and_then(|l| l.get("packages")) {
        for package in packages {
            out.extend(extensions(package.get("require")));
        }
    }
    out
}

/// The `ext-*` keys of a `require` object.
fn extensions(require: Option<&Value>) -> Vec<String> {
    let Some(Value::Object(map)) = require else {
        return Vec::new();
    };
    map.keys()
        .filter_map(|k| k.strip_prefix("ext-"))
        .map(normalise)
        .filter(|e| !e.is_empty() && e.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'))
        .collect()
}

/// An extension's name as `php -m` and `docker-php-ext-install` know it.
fn normalise(name: &str) -> String {
    let name = name.to_ascii_lowercase().replace('-', "_");
    match name.as_str() {
        "zend_opcache" => "opcache".to_string(),
        _ => name,
    }
}

/// The extensions a runner setup command installs: the words after
/// `docker-php-ext-install`, `docker-php-ext-enable` or `pecl install`,
/// up to the end of that command.
fn installed(command: &str) -> Vec<String> {
    let words: Vec<&str> = command.split_whitespace().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < words.len() {
        let starts = match (words[i], words.get(i + 1)) {
            ("docker-php-ext-install" | "docker-php-ext-enable", _) => Some(1),
            ("pecl", Some(&"install")) => Some(2),
            _ => None,
        };
        let Some(skip) = starts else {
            i += 1;
            continue;
        };
        i += skip;
        while i < words.len() && !matches!(words[i], "&&" | "||" | ";" | "|") {
            let word = words[i].trim_end_matches(';');
            if !word.starts_with('-') {
                // `pecl install redis-6.0.2`: the name before the version.
                let name = word.split('-').next().unwrap_or(word);
                out.push(normalise(name));
            }
            if words[i].ends_with(';') {
                break;
            }
            i += 1;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::installed;

    #[test]
    fn setup_commands_name_what_they_install() {
        assert_eq!(
            installed("docker-php-ext-install intl pdo_mysql"),
            ["intl", "pdo_mysql"]
        );
        assert_eq!(
            installed("pecl install redis-6.0.2 && docker-php-ext-enable redis opcache"),
            ["redis", "redis", "opcache"]
        );
        assert_eq!(
            installed("docker-php-ext-install -j4 gd; a2enmod rewrite"),
            ["gd"]
        );
        assert!(installed("a2enmod rewrite").is_empty());
    }
}
