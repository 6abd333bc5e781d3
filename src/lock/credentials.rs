//! Registry credentials as Docker keeps them: the `auths` of the Docker
//! configuration (`$DOCKER_CONFIG/config.json`, else
//! `~/.docker/config.json`), and credential helpers (`credHelpers` for one
//! registry, `credsStore` for all), which are asked with
//! `docker-credential-NAME get`. Never written, never printed.

use std::collections::BTreeMap;
use std::io::Write as _;
use std::path::PathBuf;
use std::process::{Command, Stdio};

use base64::Engine as _;
use serde_json::Value;

/// A user and a password (or token) for one registry.
#[derive(Clone, PartialEq, Eq)]
pub struct Login {
    pub user: String,
    pub secret: String,
}

impl std::fmt::Debug for Login {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Login({}, <secret>)", self.user)
    }
}

impl Login {
    /// The `Authorization` header value of basic auth.
    pub fn basic(&self) -> String {
        let pair = format!("{}:{}", self.user, self.secret);
        format!(
            "Basic {}",
            base64::engine::general_purpose::STANDARD.encode(pair)
        )
    }
}

/// Where credentials come from.
#[derive(Debug, Clone, Default)]
pub struct Credentials {
    auths: BTreeMap<String, Login>,
    helpers: BTreeMap<String, String>,
    store: Option<String>,
}

impl Credentials {
    /// The Docker configuration of this user, or none when there is none
    /// (or it cannot be read: lock then works anonymously).
    pub fn from_docker_config() -> Credentials {
        let dir = std::env::var_os("DOCKER_CONFIG")
            .map(PathBuf::from)
            .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".docker")));
        dir.and_then(|d| std::fs::read_to_string(d.join("config.json")).ok())
            .map(|text| Credentials::parse(&text))
            .unwrap_or_default()
    }

    pub fn parse(text: &str) -> Credentials {
        let Ok(json) = serde_json::from_str::<Value>(text) else {
            return Credentials::default();
        };
        let mut out = Credentials::default();
        if let Some(Value::Object(auths)) = json.get("auths") {
            for (server, entry) in auths {
                let login = entry
                    .get("auth")
                    .and_then(Value::as_str)
                    .and_then(|a| base64::engine::general_purpose::STANDARD.decode(a).ok())
                    .and_then(|bytes| String::from_utf8(bytes).ok())
                    .and_then(|pair| {
                        pair.split_once(':').map(|(u, p)| Login {
                            user: u.to_string(),
                            secret: p.to_string(),
                        })
                    });
                if let Some(login) = login {
                    out.auths.insert(key(server), login);
                }
            }
        }
        if let Some(Value::Object(helpers)) = json.get("credHelpers") {
            for (server, helper) in helpers {
                if let Some(helper) = helper.as_str().filter(|h| plain(h)) {
                    out.helpers.insert(key(server), helper.to_string());
                }
            }
        }
        out.store = json
            .get("credsStore")
            .and_then(Value::as_str)
            .filter(|h| plain(h))
            .map(str::to_string);
        out
    }

    /// Adds a login for one registry (tests, and `--user` style options).
    pub fn with(mut self, registry: &str, login: Login) -> Credentials {
        self.auths.insert(key(registry), login);
        self
    }

    /// The login for `registry`, if any: a helper named for it, then the
    /// stored `auths`, then the global store.
    pub fn login(&self, registry: &str) -> Option<Login> {
        let k = key(registry);
        if let Some(helper) = self.helpers.get(&k) {
            return ask_helper(helper, &server_name(registry));
        }
        if let Some(login) = self.auths.get(&k) {
            return Some(login.clone());
        }
        self.store
            .as_deref()
            .and_then(|helper| ask_helper(helper, &server_name(registry)))
    }
}

/// Docker Hub is stored under its old index URL; others by host.
fn key(server: &str) -> String {
    let host = server
        .trim_start_matches("https://")
        .trim_start_matches("http://")
        .split('/')
        .next()
        .unwrap_or(server);
    match host {
        "index.docker.io" | "registry-1.docker.io" | "docker.io" => "docker.io".to_string(),
        other => other.to_string(),
    }
}

/// The server name a credential helper is asked for.
fn server_name(registry: &str) -> String {
    if key(registry) == "docker.io" {
        "https://index.docker.io/v1/".to_string()
    } else {
        registry.to_string()
    }
}

fn plain(helper: &str) -> bool {
    !helper.is_empty()
        && helper
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_' || c == '.')
}

/// `docker-credential-HELPER get`, the server on its standard input.
fn ask_helper(helper: &str, server: &str) -> Option<Login> {
    let mut child = Command::new(format!("docker-credential-{helper}"))
        .arg("get")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .ok()?;
    child.stdin.take()?.write_all(server.as_bytes()).ok()?;
    let out = child.wait_with_output().ok()?;
    if !out.status.success() {
        return None;
    }
    let json: Value = serde_json::from_slice(&out.stdout).ok()?;
    Some(Login {
        user: json.get("Username")?.as_str()?.to_string(),
        secret: json.get("Secret")?.as_str()?.to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn docker_config_auths_are_read_by_host() {
        let config = r#"{"auths": {"https://index.docker.io/v1/": {"auth": "dXNlcjpwYXNz"}, "localhost:5443": {"auth": "aW1nc3BlYzpzM2NyZXQ6eA=="}}}"#;
        let c = Credentials::parse(config);
        assert_eq!(c.login("docker.io").map(|l| l.user), Some("user".into()));
        let local = c.login("localhost:5443").expect("a login");
        assert_eq!(
            (local.user.as_str(), local.secret.as_str()),
            ("imgspec", "s3cret:x")
        );
        assert!(c.login("ghcr.io").is_none());
        assert_eq!(format!("{local:?}"), "Login(imgspec, <secret>)");
    }
}
