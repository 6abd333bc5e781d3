//! Resolving an image reference to its digest through the registry HTTP
//! API (the OCI distribution protocol), as `docker pull` does: the
//! manifest of the tag, an image index where the tag names several
//! platforms, anonymous or credentialed bearer tokens, and a clear failure
//! per registry. Only `imgspec lock` and `imgspec update` call it;
//! `compile` never touches the network.

use std::collections::BTreeSet;
use std::time::Duration;

use serde_json::Value;
use sha2::{Digest as _, Sha256};

use super::credentials::{Credentials, Login};

/// What a manifest request accepts: indexes first, so a multi-platform tag
/// resolves to its index digest, not one platform's manifest.
const ACCEPT: &str = "application/vnd.oci.image.index.v1+json, \
application/vnd.docker.distribution.manifest.list.v2+json, \
application/vnd.oci.image.manifest.v1+json, \
application/vnd.docker.distribution.manifest.v2+json";

/// Manifests and configs are small; anything larger is not one.
const BODY_LIMIT: u64 = 4 * 1024 * 1024;

/// A package registry's document of every release of a package is large
/// for long-lived packages (uv's: about 5 MiB).
const DOCUMENT_LIMIT: u64 = 64 * 1024 * 1024;

/// A reference split as registries see it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reference {
    /// The registry as written (`docker.io` when none is).
    pub registry: String,
    /// The repository, with `library/` for Docker Hub's official images.
    pub repository: String,
    pub tag: String,
}

impl Reference {
    /// `python:3.12`, `ghcr.io/org/tool:1.2`, `localhost:5000/app` (tag
    /// `latest`). `None` for a reference with a digest or without a name.
    pub fn parse(text: &str) -> Option<Reference> {
        if text.contains('@') || text.is_empty() {
            return None;
        }
        let (name, tag) = match text.rsplit_once(':') {
            Some((name, tag)) if !tag.contains('/') => (name, tag.to_string()),
            _ => (text, "latest".to_string()),
        };
        let (registry, path) = match name.split_once('/') {
            Some((first, rest)) if first.contains(['.', ':']) || first == "localhost" => {
                (first.to_string(), rest.to_string())
            }
            _ => ("docker.io".to_string(), name.to_string()),
        };
        let repository = if registry == "docker.io" && !path.contains('/') {
            format!("library/{path}")
        } else {
            path
        };
        let plain = |s: &str| {
            !s.is_empty()
                && s.chars()
                    .all(|c| c.is_ascii_alphanumeric() || "._-/:".contains(c))
        };
        (plain(&registry) && plain(&repository) && plain(&tag)).then_some(Reference {
            registry,
            repository,
            tag,
        })
    }

    /// The host the API answers on.
    fn host(&self) -> &str {
        if self.registry == "docker.io" {
            "registry-1.docker.io"
        } else {
            &self.registry
        }
    }
}

/// A tag's digest and the platforms it holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Resolved {
    pub digest: String,
    pub platforms: Vec<String>,
}

/// Why a reference could not be resolved; each says what to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Failure {
    /// The registry has no such repository or tag.
    NotFound,
    /// Credentials are missing or refused.
    Unauthorized {
        with_credentials: bool,
    },
    /// Still rate-limited after the retries.
    RateLimited {
        retry_after: Option<u64>,
    },
    Dns,
    Tls(String),
    Timeout,
    Connection(String),
    /// Any other answer.
    Status(u16),
    /// An answer that is not what the protocol says.
    Protocol(String),
}

impl Failure {
    /// One line: what happened, and what to do.
    pub fn describe(&self, registry: &str) -> String {
        match self {
            Failure::NotFound => format!("{registry} has no such image or tag (404)"),
            Failure::Unauthorized { with_credentials: false } => format!(
                "{registry} asks for credentials (401): log in with `docker login {registry}`, or use a credential helper"
            ),
            Failure::Unauthorized { with_credentials: true } => format!(
                "{registry} refused the credentials of the Docker configuration (401/403): log in again with `docker login {registry}`"
            ),
            Failure::RateLimited { retry_after } => match retry_after {
                Some(s) => format!("{registry} is rate-limiting (429), and asked to wait {s} s more: try again later, or log in for a higher limit"),
                None => format!("{registry} is rate-limiting (429): try again later, or log in for a higher limit"),
            },
            Failure::Dns => format!("cannot resolve the host of {registry} (DNS)"),
            Failure::Tls(why) => format!("TLS with {registry} failed: {why}; a private CA goes in /etc/docker/certs.d/{registry}/ca.crt"),
            Failure::Timeout => format!("{registry} did not answer in time, after retries"),
            Failure::Connection(why) => format!("cannot connect to {registry}: {why}"),
            Failure::Status(code) => format!("{registry} answered {code}"),
            Failure::Protocol(why) => format!("{registry} gave an answer that is not a manifest: {why}"),
        }
    }
}

/// How patient the client is.
#[derive(Debug, Clone)]
pub struct Settings {
    /// For each request, from connecting to the last byte.
    pub timeout: Duration,
    /// Attempts after the first, for timeouts, 429 and 5xx.
    pub retries: u32,
    /// The first wait between attempts; it doubles each time.
    pub backoff: Duration,
    /// The longest `Retry-After` honoured; a longer one fails at once.
    pub max_wait: Duration,
    /// Registries spoken to over plain HTTP (`host:port`), as Docker's
    /// `insecure-registries`.
    pub insecure: Vec<String>,
    /// Where private CAs are found, one directory per registry with
    /// `*.crt` files, as Docker's `certs.d`.
    pub certs_dir: std::path::PathBuf,
}

impl Default for Settings {
    fn default() -> Settings {
        Settings {
            timeout: Duration::from_secs(20),
            retries: 3,
            backoff: Duration::from_millis(500),
            max_wait: Duration::from_secs(60),
            insecure: Vec::new(),
            certs_dir: std::path::PathBuf::from("/etc/docker/certs.d"),
        }
    }
}

pub struct Client {
    settings: Settings,
    credentials: Credentials,
}

/// One HTTP answer, read whole.
struct Answer {
    status: u16,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Answer {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

impl Client {
    pub fn new(settings: Settings, credentials: Credentials) -> Client {
        Client {
            settings,
            credentials,
        }
    }

    pub fn resolve(&self, reference: &Reference) -> Result<Resolved, Failure> {
        let agent = self.agent(&reference.registry)?;
        let scheme = if self.settings.insecure.contains(&reference.registry) {
            "http"
        } else {
            "https"
        };
        let base = format!(
            "{scheme}://{}/v2/{}",
            reference.host(),
            reference.repository
        );
        let login = self.credentials.login(&reference.registry);
        let mut session = Session {
            client: self,
            agent: &agent,
            reference,
            login: login.as_ref(),
            authorization: None,
            limit: BODY_LIMIT,
        };
        let manifest = session.get(&format!("{base}/manifests/{}", reference.tag), ACCEPT)?;
        let digest = match manifest.header("docker-content-digest") {
            Some(d) if super::file::is_digest(d) => d.to_string(),
            _ => {
                let hex: String = Sha256::digest(&manifest.body)
                    .iter()
                    .map(|b| format!("{b:02x}"))
                    .collect();
                format!("sha256:{hex}")
            }
        };
        let json: Value = serde_json::from_slice(&manifest.body)
            .map_err(|e| Failure::Protocol(format!("not JSON ({e})")))?;
        let platforms = match json.get("manifests") {
            Some(Value::Array(list)) => list
                .iter()
                .filter_map(|m| m.get("platform"))
                .filter_map(platform)
                .collect::<BTreeSet<_>>()
                .into_iter()
                .collect(),
            _ => {
                // One platform: it is in the image's config.
                let config = json
                    .get("config")
                    .and_then(|c| c.get("digest"))
                    .and_then(Value::as_str)
                    .filter(|d| super::file::is_digest(d))
                    .ok_or_else(|| {
                        Failure::Protocol("a manifest without a config digest".into())
                    })?;
                let blob = session.get(&format!("{base}/blobs/{config}"), "*/*")?;
                let config: Value = serde_json::from_slice(&blob.body)
                    .map_err(|e| Failure::Protocol(format!("a config that is not JSON ({e})")))?;
                platform(&config).into_iter().collect()
            }
        };
        Ok(Resolved { digest, platforms })
    }

    /// A package registry's JSON document at `url` (on `host`), with the
    /// same timeouts, retries and failures as image registries, and no
    /// credentials: tools are public packages.
    pub fn document(&self, host: &str, url: &str, accept: &str) -> Result<Vec<u8>, Failure> {
        let agent = self.agent(host)?;
        let reference = Reference {
            registry: host.to_string(),
            repository: String::new(),
            tag: String::new(),
        };
        let mut session = Session {
            client: self,
            agent: &agent,
            reference: &reference,
            login: None,
            authorization: None,
            limit: DOCUMENT_LIMIT,
        };
        session.get(url, accept).map(|answer| answer.body)
    }

    /// An agent for one registry: its private CA when `certs.d` has one,
    /// else the system's trust store.
    fn agent(&self, registry: &str) -> Result<ureq::Agent, Failure> {
        let mut certs = Vec::new();
        let dir = self.settings.certs_dir.join(registry);
        if let Ok(entries) = std::fs::read_dir(&dir) {
            let mut paths: Vec<_> = entries
                .filter_map(Result::ok)
                .map(|e| e.path())
                .filter(|p| p.extension().is_some_and(|e| e == "crt"))
                .collect();
            paths.sort();
            for path in paths {
                let pem = std::fs::read(&path)
                    .map_err(|e| Failure::Tls(format!("cannot read {}: {e}", path.display())))?;
                let cert = ureq::tls::Certificate::from_pem(&pem).map_err(|e| {
                    Failure::Tls(format!("{} is not a PEM certificate: {e}", path.display()))
                })?;
                certs.push(cert);
            }
        }
        let roots = if certs.is_empty() {
            ureq::tls::RootCerts::PlatformVerifier
        } else {
            ureq::tls::RootCerts::new_with_certs(&certs)
        };
        let tls = ureq::tls::TlsConfig::builder().root_certs(roots).build();
        let config = ureq::Agent::config_builder()
            .timeout_global(Some(self.settings.timeout))
            .http_status_as_error(false)
            .max_redirects(5)
            .tls_config(tls)
            .build();
        Ok(config.into())
    }
}

/// `os/arch[/variant]` of a platform object; attestation manifests
/// (`unknown/unknown`) are not platforms.
fn platform(p: &Value) -> Option<String> {
    let os = p.get("os")?.as_str()?;
    let arch = p.get("architecture")?.as_str()?;
    if os == "unknown" || arch == "unknown" {
        return None;
    }
    let plain = |s: &str| !s.is_empty() && s.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
    let variant = p
        .get("variant")
        .and_then(Value::as_str)
        .filter(|v| plain(v));
    (plain(os) && plain(arch)).then(|| match variant {
        Some(v) => format!("{os}/{arch}/{v}"),
        None => format!("{os}/{arch}"),
    })
}

/// The requests for one reference, sharing the token they earn.
struct Session<'a> {
    client: &'a Client,
    agent: &'a ureq::Agent,
    reference: &'a Reference,
    login: Option<&'a Login>,
    /// The `Authorization` header a challenge earned (bearer or basic).
    authorization: Option<String>,
    /// The largest answer read.
    limit: u64,
}

impl Session<'_> {
    /// GET `url`, through a token challenge and the retries.
    fn get(&mut self, url: &str, accept: &str) -> Result<Answer, Failure> {
        let mut challenged = false;
        let mut attempt = 0;
        loop {
            let answer = self.send(url, accept, true);
            let retry_after = match &answer {
                Ok(a) if a.status == 200 => return answer,
                Ok(a) if a.status == 404 => return Err(Failure::NotFound),
                Ok(a) if a.status == 401 && !challenged => {
                    challenged = true;
                    let challenge = a.header("www-authenticate").unwrap_or("").to_string();
                    self.authenticate(&challenge)?;
                    continue;
                }
                Ok(a) if a.status == 401 || a.status == 403 => {
                    return Err(Failure::Unauthorized {
                        with_credentials: self.login.is_some(),
                    })
                }
                Ok(a) if a.status == 429 => {
                    let wait = a
                        .header("retry-after")
                        .and_then(|v| v.trim().parse::<u64>().ok());
                    if attempt >= self.client.settings.retries
                        || wait
                            .is_some_and(|w| Duration::from_secs(w) > self.client.settings.max_wait)
                    {
                        return Err(Failure::RateLimited { retry_after: wait });
                    }
                    wait.map(Duration::from_secs)
                }
                Ok(a) if a.status >= 500 => {
                    if attempt >= self.client.settings.retries {
                        return Err(Failure::Status(a.status));
                    }
                    None
                }
                Ok(a) => return Err(Failure::Status(a.status)),
                Err(Failure::Timeout) | Err(Failure::Connection(_))
                    if attempt < self.client.settings.retries =>
                {
                    None
                }
                Err(e) => return Err(e.clone()),
            };
            let backoff = self.client.settings.backoff * 2u32.saturating_pow(attempt);
            std::thread::sleep(retry_after.unwrap_or(backoff));
            attempt += 1;
        }
    }

    fn send(&self, url: &str, accept: &str, authorise: bool) -> Result<Answer, Failure> {
        let mut request = self.agent.get(url).header("Accept", accept);
        if authorise {
            if let Some(authorization) = &self.authorization {
                request = request.header("Authorization", authorization);
            }
        }
        read(request.call(), self.limit)
    }

    /// Answers a `WWW-Authenticate` challenge: a bearer token from the
    /// realm (with the credentials when there are some), or basic auth.
    fn authenticate(&mut self, challenge: &str) -> Result<(), Failure> {
        let Some(params) = challenge
            .strip_prefix("Bearer ")
            .or_else(|| challenge.strip_prefix("bearer "))
        else {
            // Basic: the credentials go with every request.
            let login = self.login.ok_or(Failure::Unauthorized {
                with_credentials: false,
            })?;
            self.authorization = Some(login.basic());
            return Ok(());
        };
        let fields = challenge_fields(params);
        let field = |name: &str| {
            fields
                .iter()
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.as_str())
        };
        let realm = field("realm")
            .ok_or_else(|| Failure::Protocol("a bearer challenge without a realm".into()))?;
        if !(realm.starts_with("https://") || realm.starts_with("http://")) {
            return Err(Failure::Protocol(
                "a token realm that is not an HTTP URL".into(),
            ));
        }
        let scope = field("scope")
            .map(str::to_string)
            .unwrap_or_else(|| format!("repository:{}:pull", self.reference.repository));
        let mut url = format!("{realm}?scope={}", encode(&scope));
        if let Some(service) = field("service") {
            url.push_str(&format!("&service={}", encode(service)));
        }
        let mut request = self.agent.get(&url).header("Accept", "application/json");
        if let Some(login) = self.login {
            request = request.header("Authorization", &login.basic());
        }
        let answer = read(request.call(), BODY_LIMIT)?;
        match answer.status {
            200 => {}
            401 | 403 => {
                return Err(Failure::Unauthorized {
                    with_credentials: self.login.is_some(),
                })
            }
            429 => return Err(Failure::RateLimited { retry_after: None }),
            other => return Err(Failure::Status(other)),
        }
        let json: Value = serde_json::from_slice(&answer.body)
            .map_err(|e| Failure::Protocol(format!("a token answer that is not JSON ({e})")))?;
        let token = json
            .get("token")
            .or_else(|| json.get("access_token"))
            .and_then(Value::as_str)
            .ok_or_else(|| Failure::Protocol("a token answer without a token".into()))?;
        self.authorization = Some(format!("Bearer {token}"));
        Ok(())
    }
}

/// A response read whole (bounded), or the transport failure classified.
fn read(
    result: Result<ureq::http::Response<ureq::Body>, ureq::Error>,
    limit: u64,
) -> Result<Answer, Failure> {
    let mut response = result.map_err(classify)?;
    let status = response.status().as_u16();
    let headers = response
        .headers()
        .iter()
        .filter_map(|(n, v)| {
            v.to_str()
                .ok()
                .map(|v| (n.as_str().to_string(), v.to_string()))
        })
        .collect();
    let body = response
        .body_mut()
        .with_config()
        .limit(limit)
        .read_to_vec()
        .map_err(classify)?;
    Ok(Answer {
        status,
        headers,
        body,
    })
}

fn classify(error: ureq::Error) -> Failure {
    match error {
        ureq::Error::Timeout(_) => Failure::Timeout,
        ureq::Error::HostNotFound => Failure::Dns,
        ureq::Error::Tls(why) => Failure::Tls(why.to_string()),
        ureq::Error::Rustls(e) => Failure::Tls(e.to_string()),
        ureq::Error::Io(e) if e.kind() == std::io::ErrorKind::TimedOut => Failure::Timeout,
        ureq::Error::Io(e) => Failure::Connection(e.to_string()),
        ureq::Error::ConnectionFailed => Failure::Connection("connection refused or reset".into()),
        ureq::Error::BodyExceedsLimit(_) => {
            Failure::Protocol("an answer larger than a manifest".into())
        }
        other => Failure::Connection(other.to_string()),
    }
}

/// `realm="...",service="...",scope="..."`, values unquoted.
fn challenge_fields(params: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut rest = params.trim();
    while !rest.is_empty() {
        let Some((key, after)) = rest.split_once('=') else {
            break;
        };
        let key = key
            .trim()
            .trim_start_matches(',')
            .trim()
            .to_ascii_lowercase();
        let (value, remainder) = if let Some(quoted) = after.strip_prefix('"') {
            match quoted.find('"') {
                Some(end) => (&quoted[..end], &quoted[end + 1..]),
                None => (quoted, ""),
            }
        } else {
            match after.find(',') {
                Some(end) => (&after[..end], &after[end..]),
                None => (after, ""),
            }
        };
        out.push((key, value.to_string()));
        rest = remainder.trim_start_matches(',').trim();
    }
    out
}

/// Percent-encoding for a query value.
fn encode(text: &str) -> String {
    let mut out = String::new();
    for b in text.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn references_split_as_docker_does() {
        let r = Reference::parse("python:3.12-slim").unwrap();
        assert_eq!(
            (r.registry.as_str(), r.repository.as_str(), r.tag.as_str()),
            ("docker.io", "library/python", "3.12-slim")
        );
        let r = Reference::parse("ghcr.io/astral-sh/uv:0.5").unwrap();
        assert_eq!(
            (r.registry.as_str(), r.repository.as_str()),
            ("ghcr.io", "astral-sh/uv")
        );
        let r = Reference::parse("localhost:5443/library/tool").unwrap();
        assert_eq!(
            (r.registry.as_str(), r.repository.as_str(), r.tag.as_str()),
            ("localhost:5443", "library/tool", "latest")
        );
        let r = Reference::parse("bitnami/redis:7").unwrap();
        assert_eq!(r.repository, "bitnami/redis");
        assert!(Reference::parse("python@sha256:abc").is_none());
        assert!(Reference::parse("py thon:3").is_none());
    }

    #[test]
    fn challenges_are_read_with_quotes_and_commas() {
        let f = challenge_fields(
            r#"realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/python:pull""#,
        );
        assert_eq!(
            f[0],
            ("realm".into(), "https://auth.docker.io/token".into())
        );
        assert_eq!(
            f[2],
            ("scope".into(), "repository:library/python:pull".into())
        );
    }
}
