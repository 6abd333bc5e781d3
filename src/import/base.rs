//! An image reference from `FROM` (or `COPY --from=`) recognised as a
//! standard library base: the official language and distribution images by
//! their tags, with the version, release and digest they name. Anything
//! else becomes a base defined in the spec itself, with a profile guessed
//! from the name for the author to check.

/// The parts of `[registry/]repository[:tag][@digest]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reference {
    /// Without `docker.io/` and `library/`.
    pub repository: String,
    pub tag: Option<String>,
    pub digest: Option<String>,
}

pub fn parse_reference(text: &str) -> Reference {
    let (rest, digest) = match text.split_once('@') {
        Some((rest, digest)) => (rest, Some(digest.to_string())),
        None => (text, None),
    };
    // A tag is after the last `:` that follows the last `/` (a registry
    // port is before it).
    let slash = rest.rfind('/').map_or(0, |i| i + 1);
    let (repository, tag) = match rest[slash..].rfind(':') {
        Some(i) => (&rest[..slash + i], Some(rest[slash + i + 1..].to_string())),
        None => (rest, None),
    };
    let repository = repository
        .strip_prefix("docker.io/")
        .or_else(|| repository.strip_prefix("index.docker.io/"))
        .unwrap_or(repository);
    let repository = repository.strip_prefix("library/").unwrap_or(repository);
    Reference {
        repository: repository.to_string(),
        tag,
        digest,
    }
}

/// The family of a base, for the packages it installs and its shell.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Family {
    Debian,
    Alpine,
    Rhel,
    /// distroless and scratch: no shell, no package manager.
    Bare,
}

/// A recognised base.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Base {
    /// The call, e.g. `python.slim(version: "3.12")`.
    pub call: String,
    /// The standard module it needs (`python`), if any.
    pub module: Option<&'static str>,
    /// A `base NAME { ... }` definition the spec must hold, when the image
    /// is not one of the standard library's.
    pub definition: Option<String>,
    pub family: Family,
    /// What changed on the way, for a comment.
    pub note: Option<String>,
    /// The language the image brings (`python`, `node`, ...).
    pub language: Option<&'static str>,
    /// Its version, when the tag names one (`3.12`).
    pub version: Option<String>,
}

fn is_version(text: &str) -> bool {
    !text.is_empty()
        && text.chars().next().is_some_and(|c| c.is_ascii_digit())
        && text.chars().all(|c| c.is_ascii_digit() || c == '.')
}

const RELEASES: &[&str] = &["bookworm", "trixie", "bullseye"];

/// Arguments written as `name: "value"`, skipping those equal to `None`.
fn call(module: &str, function: &str, args: &[(&str, Option<String>)]) -> String {
    let args: Vec<String> = args
        .iter()
        .filter_map(|(name, value)| {
            value
                .as_ref()
                .map(|v| format!("{name}: {}", super::write::string(v)))
        })
        .collect();
    format!("{module}.{function}({})", args.join(", "))
}

/// A tag split into the leading version and the rest's dash-separated words.
fn version_and_words(tag: &str) -> (Option<String>, Vec<String>) {
    let mut words: Vec<String> = tag.split('-').map(str::to_string).collect();
    let version = if words.first().is_some_and(|w| is_version(w)) {
        Some(words.remove(0))
    } else {
        None
    };
    (version, words)
}

/// `alpine3.20` → `Some("3.20")`, `alpine` → `Some("")`.
fn alpine_word(words: &[String]) -> Option<String> {
    words
        .iter()
        .find_map(|w| w.strip_prefix("alpine").map(str::to_string))
}

fn release_word(words: &[String]) -> Option<String> {
    words
        .iter()
        .find(|w| RELEASES.contains(&w.as_str()))
        .cloned()
}

/// Recognises `reference` (variables already substituted). `name` names a
/// base defined in the spec when it is not a standard one.
pub fn recognise(reference: &str, name: &str) -> Base {
    let r = parse_reference(reference);
    let digest = r.digest.clone();
    let tag = r.tag.clone().unwrap_or_default();
    let (version, words) = version_and_words(&tag);
    let words_ref: Vec<&str> = words.iter().map(String::as_str).collect();
    let std_base = |module: &'static str,
                    call_text: String,
                    family: Family,
                    language: Option<&'static str>| Base {
        call: call_text,
        module: Some(module),
        definition: None,
        family,
        note: None,
        language,
        version: version.clone(),
    };
    let release = release_word(&words).filter(|r| r != "bookworm");
    let alpine = alpine_word(&words);
    let slim = words_ref.contains(&"slim");
    let not_slim = (!slim).then(|| "false".to_string());
    let version_arg = version.clone();
    match r.repository.as_str() {
        "python" | "node" | "ruby" if version.is_some() => {
            let module: &'static str = match r.repository.as_str() {
                "python" => "python",
                "node" => "node",
                _ => "ruby",
            };
            let (function, args) = match (&alpine, module) {
                (Some(a), "python" | "node") => (
                    "alpine",
                    vec![
                        ("version", version_arg),
                        ("alpine", Some(a.clone()).filter(|a| !a.is_empty())),
                        ("digest", digest),
                    ],
                ),
                (Some(_), _) => return generic(reference, name, &r),
                _ => (
                    "slim",
                    vec![
                        ("version", version_arg),
                        ("release", release),
                        ("slim", not_slim),
                        ("digest", digest),
                    ],
                ),
            };
            let family = if alpine.is_some() {
                Family::Alpine
            } else {
                Family::Debian
            };
            let text = call(module, function, &args).replace("slim: \"false\"", "slim: false");
            std_base(module, text, family, Some(module))
        }
        "golang" if version.is_some() && alpine.is_none() => std_base(
            "go",
            call(
                "go",
                "toolchain",
                &[
                    ("version", version_arg),
                    ("release", release),
                    ("digest", digest),
                ],
            ),
            Family::Debian,
            Some("go"),
        ),
        "rust" if version.is_some() => {
            let text = match &alpine {
                Some(a) => call(
                    "rust",
                    "alpine",
                    &[
                        ("version", version_arg),
                        ("alpine", Some(a.clone()).filter(|a| !a.is_empty())),
                        ("digest", digest),
                    ],
                ),
                None => call(
                    "rust",
                    "toolchain",
                    &[
                        ("version", version_arg),
                        ("release", release),
                        ("slim", not_slim),
                        ("digest", digest),
                    ],
                )
                .replace("slim: \"false\"", "slim: false"),
            };
            let family = if alpine.is_some() {
                Family::Alpine
            } else {
                Family::Debian
            };
            std_base("rust", text, family, Some("rust"))
        }
        "eclipse-temurin" | "amazoncorretto" | "openjdk"
            if r.repository == "eclipse-temurin" && version.is_some() =>
        {
            let function = if words_ref.contains(&"jre") {
                "jre"
            } else {
                "jdk"
            };
            let major = version
                .as_deref()
                .map(|v| v.split('.').next().unwrap_or(v).to_string());
            std_base(
                "java",
                call("java", function, &[("version", major), ("digest", digest)]),
                Family::Debian,
                Some("java"),
            )
        }
        "maven" if version.is_some() && tag.contains("eclipse-temurin-") => {
            let jdk = tag
                .split("eclipse-temurin-")
                .nth(1)
                .map(|j| j.split('-').next().unwrap_or(j).to_string());
            std_base(
                "java",
                call(
                    "java",
                    "maven_jdk",
                    &[("version", version_arg), ("jdk", jdk), ("digest", digest)],
                ),
                Family::Debian,
                Some("java"),
            )
        }
        "php" if version.is_some() => {
            let function = if words_ref.contains(&"apache") {
                "apache"
            } else if words_ref.contains(&"fpm") {
                "fpm"
            } else {
                "cli"
            };
            if alpine.is_some() {
                return generic(reference, name, &r);
            }
            std_base(
                "php",
                call(
                    "php",
                    function,
                    &[
                        ("version", version_arg),
                        ("release", release),
                        ("digest", digest),
                    ],
                ),
                Family::Debian,
                Some("php"),
            )
        }
        "composer" if version.is_some() => std_base(
            "php",
            call(
                "php",
                "composer_image",
                &[("version", version_arg), ("digest", digest)],
            ),
            Family::Alpine,
            Some("php"),
        ),
        "mcr.microsoft.com/dotnet/sdk"
        | "mcr.microsoft.com/dotnet/aspnet"
        | "mcr.microsoft.com/dotnet/runtime"
            if version.is_some() && words.is_empty() =>
        {
            let function = r.repository.rsplit('/').next().unwrap_or("sdk");
            let function: &str = match function {
                "aspnet" => "aspnet",
                "runtime" => "runtime",
                _ => "sdk",
            };
            std_base(
                "dotnet",
                call(
                    "dotnet",
                    function,
                    &[("version", version_arg), ("digest", digest)],
                ),
                Family::Debian,
                Some("dotnet"),
            )
        }
        "nginx" | "nginxinc/nginx-unprivileged" => {
            let v = version.as_deref().map(|v| {
                let mut parts = v.split('.');
                match (parts.next(), parts.next()) {
                    (Some(a), Some(b)) => format!("{a}.{b}"),
                    _ => v.to_string(),
                }
            });
            let mut base = std_base(
                "web",
                call("web", "nginx", &[("version", v), ("digest", None)]),
                Family::Alpine,
                Some("nginx"),
            );
            base.note = Some(format!(
                "`{reference}` became `web.nginx`, the unprivileged nginx image (Alpine), which listens on 8080 as uid 101{}",
                if digest.is_some() { "; its digest was dropped, since it names another image" } else { "" }
            ));
            base
        }
        "debian" => {
            let function = if tag.starts_with("trixie") || tag.starts_with("13") {
                "trixie"
            } else if tag.starts_with("bookworm") || tag.starts_with("12") {
                "bookworm"
            } else {
                return generic(reference, name, &r);
            };
            std_base(
                "debian",
                call(
                    "debian",
                    function,
                    &[("slim", not_slim), ("digest", digest)],
                )
                .replace("slim: \"false\"", "slim: false"),
                Family::Debian,
                None,
            )
        }
        "ubuntu" => {
            let function = if tag.starts_with("24.04") || tag.starts_with("noble") {
                "noble"
            } else if tag.starts_with("22.04") || tag.starts_with("jammy") {
                "jammy"
            } else {
                return generic(reference, name, &r);
            };
            std_base(
                "ubuntu",
                call("ubuntu", function, &[("digest", digest)]),
                Family::Debian,
                None,
            )
        }
        "alpine" if version.is_some() => std_base(
            "alpine",
            call(
                "alpine",
                "release",
                &[("version", version_arg), ("digest", digest)],
            ),
            Family::Alpine,
            None,
        ),
        "scratch" => std_base("scratch", "scratch.empty()".into(), Family::Bare, None),
        repo if repo.starts_with("gcr.io/distroless/") => {
            let image = &repo["gcr.io/distroless/".len()..];
            let (kind, debian) = match image.rsplit_once("-debian") {
                Some((kind, debian)) => (kind, Some(debian.to_string())),
                None => return generic(reference, name, &r),
            };
            let debian = debian.filter(|d| d != "12");
            let (module, text) = match kind {
                "static" | "base" | "cc" => {
                    let function = if kind == "base" { "glibc" } else { kind };
                    (
                        "distroless",
                        call(
                            "distroless",
                            function,
                            &[("debian", debian), ("digest", digest)],
                        ),
                    )
                }
                k if k.starts_with("nodejs") => (
                    "distroless",
                    call(
                        "distroless",
                        "nodejs",
                        &[
                            ("version", Some(k["nodejs".len()..].to_string())),
                            ("debian", debian),
                            ("digest", digest),
                        ],
                    ),
                ),
                k if k.starts_with("java") => (
                    "java",
                    call(
                        "java",
                        "distroless",
                        &[
                            ("jdk", Some(k["java".len()..].to_string())),
                            ("debian", debian),
                            ("digest", digest),
                        ],
                    ),
                ),
                _ => return generic(reference, name, &r),
            };
            let mut base = std_base(module, text, Family::Bare, None);
            if tag != "nonroot" && !tag.is_empty() {
                base.note = Some(format!("`{reference}` became its `:nonroot` variant"));
            }
            base
        }
        _ => generic(reference, name, &r),
    }
}

/// A base defined in the spec: the reference as written, a profile
/// guessed from its name.
fn generic(reference: &str, name: &str, r: &Reference) -> Base {
    let lower = reference.to_ascii_lowercase();
    let (family, distro, libc, shell, packages) = if lower.contains("alpine") {
        (Family::Alpine, "alpine", "musl", "ash", "apk")
    } else if [
        "ubi",
        "fedora",
        "rocky",
        "centos",
        "alma",
        "rhel",
        "amazonlinux",
    ]
    .iter()
    .any(|w| lower.contains(w))
    {
        (Family::Rhel, "rhel", "glibc", "bash", "dnf")
    } else {
        (Family::Debian, "debian", "glibc", "bash", "apt")
    };
    let plain = match &r.digest {
        Some(_) => reference.split('@').next().unwrap_or(reference),
        None => reference,
    };
    let digest = r
        .digest
        .as_ref()
        .map(|d| format!("  digest   = {}\n", super::write::string(d)))
        .unwrap_or_default();
    let definition = format!(
        "/// `{reference}`, as the Dockerfile names it. Its profile is a guess: check it.\nbase {name}() {{\n  ref      = {}\n{digest}  distro   = {distro}\n  libc     = {libc}\n  shell    = {shell}\n  packages = {packages}\n}}\n",
        super::write::string(plain),
    );
    let mut note = None;
    if r.tag.is_none() && r.digest.is_none() && r.repository != "scratch" {
        note = Some(format!(
            "`{reference}` has no tag: give it one (imgspec refuses untagged and `latest` bases)"
        ));
    } else if r.tag.as_deref() == Some("latest") {
        note = Some(format!(
            "`{reference}` is tagged `latest`: pin a version (imgspec refuses `latest`)"
        ));
    }
    Base {
        call: format!("{name}()"),
        module: None,
        definition: Some(definition),
        family,
        note,
        language: None,
        version: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn c(reference: &str) -> String {
        recognise(reference, "custom").call
    }

    #[test]
    fn official_images() {
        assert_eq!(c("python:3.12-slim"), "python.slim(version: \"3.12\")");
        assert_eq!(
            c("python:3.11-slim-trixie"),
            "python.slim(version: \"3.11\", release: \"trixie\")"
        );
        assert_eq!(
            c("python:3.12"),
            "python.slim(version: \"3.12\", slim: false)"
        );
        assert_eq!(
            c("node:20-alpine3.20"),
            "node.alpine(version: \"20\", alpine: \"3.20\")"
        );
        assert_eq!(c("golang:1.22-bookworm"), "go.toolchain(version: \"1.22\")");
        assert_eq!(c("eclipse-temurin:21-jre"), "java.jre(version: \"21\")");
        assert_eq!(
            c("maven:3.9-eclipse-temurin-21"),
            "java.maven_jdk(version: \"3.9\", jdk: \"21\")"
        );
        assert_eq!(
            c("gcr.io/distroless/static-debian12:nonroot"),
            "distroless.static()"
        );
        assert_eq!(
            c("mcr.microsoft.com/dotnet/aspnet:8.0"),
            "dotnet.aspnet(version: \"8.0\")"
        );
        assert_eq!(
            c("docker.io/library/debian:bookworm-slim"),
            "debian.bookworm()"
        );
        assert_eq!(
            c("python:3.12-slim@sha256:abc"),
            "python.slim(version: \"3.12\", digest: \"sha256:abc\")"
        );
        assert_eq!(c("registry.example.com:5000/team/img:1.0"), "custom()");
    }

    #[test]
    fn references() {
        let r = parse_reference("localhost:5000/a/b:1@sha256:x");
        assert_eq!(r.repository, "localhost:5000/a/b");
        assert_eq!(r.tag.as_deref(), Some("1"));
        assert_eq!(r.digest.as_deref(), Some("sha256:x"));
    }
}
