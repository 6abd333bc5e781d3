//! Package names per package manager: what each accepts, and the names that
//! give away another distribution's manager.

use crate::model::{Package, PackageManager};

/// What is wrong with a package for a manager, with a suggestion.
pub enum Problem {
    InvalidName { help: String },
    InvalidVersion { help: String },
    Foreign { family: &'static str, help: String },
}

/// Debian names that differ on Alpine and RHEL: (apt, apk, dnf).
const EQUIVALENTS: &[(&str, &str, &str)] = &[
    ("build-essential", "build-base", "gcc gcc-c++ make"),
    ("libssl-dev", "openssl-dev", "openssl-devel"),
    ("libpq5", "libpq", "libpq"),
    ("zlib1g-dev", "zlib-dev", "zlib-devel"),
    ("zlib1g", "zlib", "zlib"),
    ("libsqlite3-dev", "sqlite-dev", "sqlite-devel"),
    ("libcurl4-openssl-dev", "curl-dev", "libcurl-devel"),
    (
        "default-libmysqlclient-dev",
        "mariadb-dev",
        "mariadb-connector-c-devel",
    ),
    ("libjpeg-dev", "libjpeg-turbo-dev", "libjpeg-turbo-devel"),
    ("libc6-dev", "musl-dev", "glibc-devel"),
    ("linux-libc-dev", "linux-headers", "kernel-headers"),
    ("libyaml-dev", "yaml-dev", "libyaml-devel"),
];

pub fn check(package: &Package, manager: PackageManager) -> Option<Problem> {
    let name = package.name.as_str();
    let valid_name = match manager {
        PackageManager::Apt => {
            name.len() >= 2
                && name.starts_with(|c: char| c.is_ascii_lowercase() || c.is_ascii_digit())
                && name
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || "+.-".contains(c))
        }
        _ => {
            !name.is_empty()
                && name.starts_with(|c: char| c.is_ascii_alphanumeric())
                && name
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || "+._-".contains(c))
        }
    };
    if !valid_name {
        let shell = name
            .chars()
            .any(|c| " \t\n;&|$`'\"<>()\\*?!{}[]#~".contains(c));
        let help = if shell {
            "a package name is one word of letters, digits and `+.-`; shell syntax is not allowed here".to_string()
        } else if manager == PackageManager::Apt && name.chars().any(|c| c.is_ascii_uppercase()) {
            format!(
                "Debian package names are lower case: `{}`",
                name.to_ascii_lowercase()
            )
        } else {
            format!(
                "{} package names use letters, digits and `+._-`",
                manager.name()
            )
        };
        return Some(Problem::InvalidName { help });
    }
    if let Some(version) = &package.version {
        let allowed = match manager {
            PackageManager::Apt => ".+~:-",
            _ => "._+~:-",
        };
        let valid = !version.is_empty()
            && version.starts_with(|c: char| c.is_ascii_digit())
            && version
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || allowed.contains(c));
        if !valid {
            return Some(Problem::InvalidVersion {
                help: format!(
                    "a version starts with a digit, e.g. \"{}={}\"",
                    name,
                    example_version(manager)
                ),
            });
        }
    }
    foreign(name, manager)
}

fn example_version(manager: PackageManager) -> &'static str {
    match manager {
        PackageManager::Apt => "7.88.1-10+deb12u5",
        PackageManager::Apk => "8.5.0-r0",
        _ => "8.5.0",
    }
}

fn foreign(name: &str, manager: PackageManager) -> Option<Problem> {
    let row = |pick: fn(&(&'static str, &'static str, &'static str)) -> &'static str| {
        EQUIVALENTS.iter().find(|r| pick(r) == name)
    };
    match manager {
        PackageManager::Apk => {
            if let Some((_, apk, _)) = row(|r| r.0) {
                return Some(Problem::Foreign {
                    family: "Debian (apt)",
                    help: format!("on Alpine this package is `{apk}`"),
                });
            }
            if let Some(stem) = name.strip_suffix("-devel") {
                return Some(Problem::Foreign {
                    family: "RPM (dnf)",
                    help: format!("Alpine names development packages `-dev`: `{stem}-dev`"),
                });
            }
        }
        PackageManager::Apt => {
            if let Some((apt, _, _)) = row(|r| r.1) {
                return Some(Problem::Foreign {
                    family: "Alpine (apk)",
                    help: format!("on Debian this package is `{apt}`"),
                });
            }
            if let Some(stem) = name.strip_suffix("-devel") {
                return Some(Problem::Foreign {
                    family: "RPM (dnf)",
                    help: format!("Debian names development packages `-dev`, e.g. `lib{stem}-dev`"),
                });
            }
        }
        PackageManager::Dnf | PackageManager::Microdnf => {
            if let Some((_, _, dnf)) = row(|r| r.0).or_else(|| row(|r| r.1)) {
                return Some(Problem::Foreign {
                    family: "Debian or Alpine",
                    help: format!("on RHEL this is `{dnf}`"),
                });
            }
            if let Some(stem) = name.strip_suffix("-dev") {
                return Some(Problem::Foreign {
                    family: "Debian or Alpine",
                    help: format!("RPM names development packages `-devel`: `{stem}-devel`"),
                });
            }
        }
        PackageManager::None => {}
    }
    None
}
