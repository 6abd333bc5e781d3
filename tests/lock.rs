//! `imgspec lock`, `lock --check` and `update` against a registry served by
//! the test itself (plain HTTP on loopback, as `--insecure-registry`): the
//! token challenge, an image index and a single-platform image, a private
//! repository, a tag that moves, 404, 429 with `Retry-After`, and a
//! registry that never answers. The lock file must hold the index digest,
//! `compile` must pin it, and a failure must leave the file as it was.
//! (The engine's TLS registry is exercised by the end-to-end suite.)

mod common;

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::workspace;
use sha2::{Digest, Sha256};

/// What the fake registry serves, changed by the tests as they go.
#[derive(Default)]
struct State {
    /// `repository:tag` -> (media type, body).
    manifests: HashMap<String, (String, String)>,
    blobs: HashMap<String, String>,
    /// Repositories that need `user:password` at the token endpoint.
    private: Vec<String>,
    /// 429 answers still to give, per repository, and the Retry-After sent.
    limited: HashMap<String, (u32, u64)>,
    /// Repositories whose manifest requests are never answered.
    silent: Vec<String>,
    /// Package registry documents (PyPI's JSON API, npm's), by path.
    documents: HashMap<String, String>,
    requests: u32,
}

struct Registry {
    host: String,
    state: Arc<Mutex<State>>,
}

fn sha256(text: &str) -> String {
    let hex: String = Sha256::digest(text.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    format!("sha256:{hex}")
}

const INDEX: &str = "application/vnd.oci.image.index.v1+json";
const MANIFEST: &str = "application/vnd.oci.image.manifest.v1+json";

impl Registry {
    fn start() -> Registry {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        let host = format!("127.0.0.1:{}", listener.local_addr().expect("addr").port());
        let state = Arc::new(Mutex::new(State::default()));
        let shared = Arc::clone(&state);
        let realm = format!("http://{host}/token");
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let state = Arc::clone(&shared);
                let realm = realm.clone();
                std::thread::spawn(move || serve(stream, &state, &realm));
            }
        });
        Registry { host, state }
    }

    /// A two-platform index for `repo:tag`, different for each `version`.
    fn index(&self, repo: &str, tag: &str, version: u32) -> String {
        let mut state = self.state.lock().unwrap();
        let mut manifests = Vec::new();
        for arch in ["amd64", "arm64"] {
            let body = format!(
                r#"{{"schemaVersion":2,"mediaType":"{MANIFEST}","config":{{"digest":"{}","size":2}},"layers":[]}}"#,
                sha256(&format!("{arch}{version}"))
            );
            manifests.push(format!(
                r#"{{"mediaType":"{MANIFEST}","digest":"{}","size":{},"platform":{{"architecture":"{arch}","os":"linux"}}}}"#,
                sha256(&body),
                body.len()
            ));
        }
        // An attestation manifest, which is no platform.
        manifests.push(format!(r#"{{"mediaType":"{MANIFEST}","digest":"{}","size":1,"platform":{{"architecture":"unknown","os":"unknown"}}}}"#, sha256("att")));
        let body = format!(
            r#"{{"schemaVersion":2,"mediaType":"{INDEX}","manifests":[{}]}}"#,
            manifests.join(",")
        );
        state
            .manifests
            .insert(format!("{repo}:{tag}"), (INDEX.to_string(), body.clone()));
        sha256(&body)
    }

    /// A single-platform image for `repo:tag` (its platform in the config).
    fn single(&self, repo: &str, tag: &str) -> String {
        let mut state = self.state.lock().unwrap();
        let config = r#"{"architecture":"amd64","os":"linux","config":{}}"#.to_string();
        let config_digest = sha256(&config);
        let body = format!(
            r#"{{"schemaVersion":2,"mediaType":"{MANIFEST}","config":{{"digest":"{config_digest}","size":{}}},"layers":[]}}"#,
            config.len()
        );
        state.blobs.insert(config_digest, config);
        state.manifests.insert(
            format!("{repo}:{tag}"),
            (MANIFEST.to_string(), body.clone()),
        );
        sha256(&body)
    }
}

fn serve(mut stream: TcpStream, state: &Mutex<State>, realm: &str) {
    let _ = stream.set_read_timeout(Some(Duration::from_secs(10)));
    let mut reader = BufReader::new(stream.try_clone().expect("clone"));
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).unwrap_or(0) == 0 {
            return;
        }
        let target = line.split_whitespace().nth(1).unwrap_or("/").to_string();
        let mut headers = HashMap::new();
        loop {
            let mut h = String::new();
            if reader.read_line(&mut h).unwrap_or(0) == 0 || h == "\r\n" {
                break;
            }
            if let Some((k, v)) = h.split_once(':') {
                headers.insert(k.trim().to_ascii_lowercase(), v.trim().to_string());
            }
        }
        let (status, extra, body) = answer(&target, &headers, state, realm);
        if status == 0 {
            // Never answered: hold the connection until the client gives up.
            let mut sink = Vec::new();
            let _ = reader.read_to_end(&mut sink);
            return;
        }
        let mut out = format!("HTTP/1.1 {status} X\r\nContent-Length: {}\r\n", body.len());
        for (k, v) in extra {
            out.push_str(&format!("{k}: {v}\r\n"));
        }
        out.push_str("\r\n");
        out.push_str(&body);
        if stream.write_all(out.as_bytes()).is_err() {
            return;
        }
    }
}

fn answer(
    target: &str,
    headers: &HashMap<String, String>,
    state: &Mutex<State>,
    realm: &str,
) -> (u16, Vec<(String, String)>, String) {
    let mut state = state.lock().unwrap();
    state.requests += 1;
    if let Some(query) = target.strip_prefix("/token?") {
        let scope = query
            .split('&')
            .find_map(|p| p.strip_prefix("scope="))
            .unwrap_or("")
            .replace("%3A", ":")
            .replace("%2F", "/");
        let repo = scope
            .trim_start_matches("repository:")
            .trim_end_matches(":pull")
            .to_string();
        if state.private.contains(&repo) {
            // user "imgspec", password "s3cret"
            if headers.get("authorization").map(String::as_str)
                != Some("Basic aW1nc3BlYzpzM2NyZXQ=")
            {
                return (
                    401,
                    vec![],
                    r#"{"errors":[{"code":"UNAUTHORIZED"}]}"#.into(),
                );
            }
        }
        return (200, vec![], format!(r#"{{"token":"t-{repo}"}}"#));
    }
    if let Some(document) = state.documents.get(target) {
        return (
            200,
            vec![("Content-Type".into(), "application/json".into())],
            document.clone(),
        );
    }
    let Some(rest) = target.strip_prefix("/v2/") else {
        return (404, vec![], String::new());
    };
    let (repo, kind, name) = match (rest.rfind("/manifests/"), rest.rfind("/blobs/")) {
        (Some(i), _) => (&rest[..i], "manifests", &rest[i + "/manifests/".len()..]),
        (None, Some(i)) => (&rest[..i], "blobs", &rest[i + "/blobs/".len()..]),
        _ => return (404, vec![], String::new()),
    };
    let token = format!("Bearer t-{repo}");
    if headers.get("authorization") != Some(&token) {
        let challenge =
            format!(r#"Bearer realm="{realm}",service="fake",scope="repository:{repo}:pull""#);
        return (
            401,
            vec![("WWW-Authenticate".into(), challenge)],
            String::new(),
        );
    }
    if kind == "blobs" {
        return match state.blobs.get(name) {
            Some(b) => (200, vec![], b.clone()),
            None => (404, vec![], String::new()),
        };
    }
    if state.silent.iter().any(|s| s == repo) {
        return (0, vec![], String::new());
    }
    if let Some((left, wait)) = state.limited.get_mut(repo) {
        if *left > 0 {
            *left -= 1;
            return (
                429,
                vec![("Retry-After".into(), wait.to_string())],
                String::new(),
            );
        }
    }
    match state.manifests.get(&format!("{repo}:{name}")) {
        Some((media, body)) => (
            200,
            vec![
                ("Content-Type".into(), media.clone()),
                ("Docker-Content-Digest".into(), sha256(body)),
            ],
            body.clone(),
        ),
        None => (
            404,
            vec![],
            r#"{"errors":[{"code":"MANIFEST_UNKNOWN"}]}"#.into(),
        ),
    }
}

/// A project whose spec uses `references` (one image each, as its base).
fn project(name: &str, references: &[&str]) -> PathBuf {
    let mut spec = String::from("base remote(reference: string) {\n  ref      = reference\n  distro   = debian\n  libc     = glibc\n  shell    = bash\n  packages = apt\n}\n");
    for (i, r) in references.iter().enumerate() {
        spec.push_str(&format!("\nimage app{i} {{\n  base = remote(reference: \"{r}\")\n  run {{\n    cmd = [\"true\"]\n  }}\n}}\n"));
    }
    let dir = workspace(&format!("lock/{name}"), &[("app.imgspec", &spec)]);
    std::fs::create_dir_all(dir.join(".git")).expect("mark the project");
    dir
}

fn imgspec(dir: &Path, registry: &Registry, args: &[&str], home: Option<&Path>) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_imgspec"));
    command.args(args);
    if matches!(args.first(), Some(&"lock") | Some(&"update")) {
        let packages = format!("http://{}", registry.host);
        command.args([
            "--pypi",
            &packages,
            "--npm",
            &packages,
            "--insecure-registry",
            &registry.host,
            "--retries",
            "2",
            "--timeout",
            "2",
        ]);
    }
    let config = home.map_or_else(|| dir.join("no-docker-config"), Path::to_path_buf);
    command
        .current_dir(dir)
        .env("DOCKER_CONFIG", config)
        .env("NO_COLOR", "1")
        .output()
        .expect("run imgspec")
}

/// PyPI's JSON document for a package: `releases` with one file per
/// version, `info` of the newest with its dependencies.
fn pypi_document(versions: &[&str], requires_dist: &str) -> String {
    let releases: Vec<String> = versions
        .iter()
        .map(|v| {
            format!(
                r#""{v}": [{{"filename": "t-{v}.whl", "digests": {{"sha256": "{}"}}}}]"#,
                &sha256(v)[7..]
            )
        })
        .collect();
    format!(
        r#"{{"info": {{"version": "{}", "requires_dist": {requires_dist}}}, "releases": {{{}}}}}"#,
        versions.last().copied().unwrap_or(""),
        releases.join(", ")
    )
}

fn text(out: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

#[test]
fn lock_resolves_the_index_digest_and_compile_pins_it() {
    let registry = Registry::start();
    let index = registry.index("library/tool", "1.0", 1);
    let single = registry.single("library/base", "12");
    let tool = format!("{}/library/tool:1.0", registry.host);
    let base = format!("{}/library/base:12", registry.host);
    let dir = project("resolve", &[&tool, &base]);

    let out = imgspec(&dir, &registry, &["lock", "app.imgspec"], None);
    assert!(out.status.success(), "{}", text(&out));
    let lock = std::fs::read_to_string(dir.join("imgspec.lock")).expect("a lock file");
    assert!(lock.contains(&format!("reference = \"{tool}\"\ndigest = \"{index}\"\nplatforms = [\"linux/amd64\", \"linux/arm64\"]")), "{lock}");
    assert!(
        lock.contains(&format!(
            "reference = \"{base}\"\ndigest = \"{single}\"\nplatforms = [\"linux/amd64\"]"
        )),
        "{lock}"
    );

    let out = imgspec(
        &dir,
        &registry,
        &["compile", "app.imgspec", "--image", "app0", "-o", "-"],
        None,
    );
    assert!(out.status.success(), "{}", text(&out));
    assert!(
        String::from_utf8_lossy(&out.stdout).contains(&format!("FROM {tool}@{index}")),
        "{}",
        text(&out)
    );

    // Checked offline: a registry that answers nothing changes nothing.
    let before = registry.state.lock().unwrap().requests;
    let out = imgspec(&dir, &registry, &["lock", "--check", "app.imgspec"], None);
    assert!(out.status.success(), "{}", text(&out));
    assert_eq!(
        registry.state.lock().unwrap().requests,
        before,
        "--check used the network"
    );
}

#[test]
fn a_moved_tag_is_found_by_a_remote_check_and_moved_by_update() {
    let registry = Registry::start();
    let old = registry.index("library/tool", "1.0", 1);
    let tool = format!("{}/library/tool:1.0", registry.host);
    let dir = project("moved", &[&tool]);
    assert!(imgspec(&dir, &registry, &["lock", "app.imgspec"], None)
        .status
        .success());

    let new = registry.index("library/tool", "1.0", 2);
    assert_ne!(old, new);
    // Offline, nothing changed in the specs: it passes.
    assert!(
        imgspec(&dir, &registry, &["lock", "--check", "app.imgspec"], None)
            .status
            .success()
    );
    let out = imgspec(
        &dir,
        &registry,
        &["lock", "--check", "--remote", "app.imgspec"],
        None,
    );
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(text(&out).contains("has moved"), "{}", text(&out));
    // `lock` keeps what is locked; `update` moves it and says so.
    assert!(imgspec(&dir, &registry, &["lock", "app.imgspec"], None)
        .status
        .success());
    assert!(std::fs::read_to_string(dir.join("imgspec.lock"))
        .unwrap()
        .contains(&old));
    let out = imgspec(
        &dir,
        &registry,
        &["update", &tool, "--specs", "app.imgspec"],
        None,
    );
    assert!(out.status.success(), "{}", text(&out));
    let table = String::from_utf8_lossy(&out.stdout);
    assert!(table.starts_with("reference"), "{table}");
    assert!(
        table.contains(&old[..19]) && table.contains(&new[..19]),
        "{table}"
    );
    assert!(std::fs::read_to_string(dir.join("imgspec.lock"))
        .unwrap()
        .contains(&new));
}

#[test]
fn a_private_image_needs_the_credentials_of_the_docker_config() {
    let registry = Registry::start();
    registry.index("private/app", "2", 1);
    registry
        .state
        .lock()
        .unwrap()
        .private
        .push("private/app".into());
    let app = format!("{}/private/app:2", registry.host);
    let dir = project("private", &[&app]);

    let out = imgspec(&dir, &registry, &["lock", "app.imgspec"], None);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(
        text(&out).contains("E0162") && text(&out).contains("asks for credentials (401)"),
        "{}",
        text(&out)
    );
    assert!(!dir.join("imgspec.lock").exists());

    let home = dir.join("docker");
    std::fs::create_dir_all(&home).unwrap();
    let auth = format!(
        r#"{{"auths": {{"{}": {{"auth": "aW1nc3BlYzpzM2NyZXQ="}}}}}}"#,
        registry.host
    );
    std::fs::write(home.join("config.json"), auth).unwrap();
    let out = imgspec(&dir, &registry, &["lock", "app.imgspec"], Some(&home));
    assert!(out.status.success(), "{}", text(&out));
    assert!(
        !text(&out).contains("aW1nc3Bl") && !text(&out).contains("s3cret"),
        "a credential was printed"
    );
}

#[test]
fn failures_are_named_and_leave_the_lock_file_as_it_was() {
    let registry = Registry::start();
    registry.index("library/tool", "1.0", 1);
    let tool = format!("{}/library/tool:1.0", registry.host);
    let dir = project("failures", &[&tool]);
    assert!(imgspec(&dir, &registry, &["lock", "app.imgspec"], None)
        .status
        .success());
    let locked = std::fs::read(dir.join("imgspec.lock")).unwrap();

    // A tag the registry does not have, reported on the reference.
    let missing = format!("{}/library/tool:9.9", registry.host);
    let dir2 = project("failures-404", &[&tool, &missing]);
    std::fs::write(dir2.join("imgspec.lock"), &locked).unwrap();
    let out = imgspec(&dir2, &registry, &["lock", "app.imgspec"], None);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(
        text(&out).contains("has no such image or tag (404)"),
        "{}",
        text(&out)
    );
    assert!(
        text(&out).contains("app.imgspec:"),
        "no span: {}",
        text(&out)
    );
    assert_eq!(std::fs::read(dir2.join("imgspec.lock")).unwrap(), locked);

    // 429: waits as asked, then succeeds.
    registry.index("library/busy", "1", 1);
    registry
        .state
        .lock()
        .unwrap()
        .limited
        .insert("library/busy".into(), (2, 0));
    let busy = format!("{}/library/busy:1", registry.host);
    let dir3 = project("failures-429", &[&busy]);
    let out = imgspec(&dir3, &registry, &["lock", "app.imgspec"], None);
    assert!(out.status.success(), "{}", text(&out));
    // Still limited after the retries: said, with the wait asked for.
    registry
        .state
        .lock()
        .unwrap()
        .limited
        .insert("library/busy".into(), (10, 0));
    let out = imgspec(
        &dir3,
        &registry,
        &["update", "--specs", "app.imgspec"],
        None,
    );
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(text(&out).contains("rate-limiting (429)"), "{}", text(&out));
    // A Retry-After longer than a minute fails at once.
    registry
        .state
        .lock()
        .unwrap()
        .limited
        .insert("library/busy".into(), (10, 3600));
    let out = imgspec(
        &dir3,
        &registry,
        &["update", "--specs", "app.imgspec"],
        None,
    );
    assert!(
        text(&out).contains("asked to wait 3600 s"),
        "{}",
        text(&out)
    );

    // A registry that never answers: a timeout, and the file untouched.
    registry.index("library/slow", "1", 1);
    registry
        .state
        .lock()
        .unwrap()
        .silent
        .push("library/slow".into());
    let slow = format!("{}/library/slow:1", registry.host);
    let dir4 = project("failures-timeout", &[&tool, &slow]);
    std::fs::write(dir4.join("imgspec.lock"), &locked).unwrap();
    let out = imgspec(&dir4, &registry, &["lock", "app.imgspec"], None);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(
        text(&out).contains("did not answer in time"),
        "{}",
        text(&out)
    );
    assert_eq!(std::fs::read(dir4.join("imgspec.lock")).unwrap(), locked);
    let leftovers: Vec<_> = std::fs::read_dir(&dir4)
        .unwrap()
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().ends_with(".tmp"))
        .collect();
    assert!(leftovers.is_empty(), "a temporary file was left behind");
}

#[test]
fn a_check_fails_for_a_new_reference_and_a_stale_entry() {
    let registry = Registry::start();
    registry.index("library/tool", "1.0", 1);
    registry.index("library/other", "1", 1);
    let tool = format!("{}/library/tool:1.0", registry.host);
    let other = format!("{}/library/other:1", registry.host);
    let dir = project("check", &[&tool]);
    assert!(imgspec(&dir, &registry, &["lock", "app.imgspec"], None)
        .status
        .success());
    let locked = std::fs::read_to_string(dir.join("imgspec.lock")).unwrap();

    let dir2 = project("check-new", &[&tool, &other]);
    std::fs::write(dir2.join("imgspec.lock"), &locked).unwrap();
    let out = imgspec(&dir2, &registry, &["lock", "--check", "app.imgspec"], None);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(
        text(&out).contains(&format!("`{other}` has no entry in imgspec.lock")),
        "{}",
        text(&out)
    );

    let dir3 = project("check-stale", &[&other]);
    std::fs::write(dir3.join("imgspec.lock"), &locked).unwrap();
    let out = imgspec(&dir3, &registry, &["lock", "--check", "app.imgspec"], None);
    assert!(
        text(&out).contains(&format!("`{tool}` is locked, but no spec uses it any more")),
        "{}",
        text(&out)
    );
    // `lock` drops it.
    assert!(imgspec(&dir3, &registry, &["lock", "app.imgspec"], None)
        .status
        .success());
    assert!(!std::fs::read_to_string(dir3.join("imgspec.lock"))
        .unwrap()
        .contains(&tool));
}

#[test]
fn tools_are_locked_with_their_digests_checked_and_moved_by_update() {
    use base64::Engine as _;
    let registry = Registry::start();
    let integrity = base64::engine::general_purpose::STANDARD.encode([9u8; 64]);
    {
        let mut state = registry.state.lock().unwrap();
        state.documents.insert(
            "/pypi/uv/json".into(),
            pypi_document(&["0.13.8", "0.13.9", "0.14.0"], "null"),
        );
        state.documents.insert(
            "/pypi/poetry/json".into(),
            pypi_document(&["2.5.0", "2.5.1"], r#"["build<2,>=1.2"]"#),
        );
        state.documents.insert(
            "/corepack".into(),
            format!(r#"{{"versions": {{"0.34.7": {{"dist": {{"integrity": "sha512-{integrity}"}}}}, "0.35.0": {{"dist": {{"integrity": "sha512-{integrity}"}}}}}}}}"#),
        );
    }
    let spec = |uv: &str| {
        format!(
            "use std.python\nuse std.node\n\n\
             ecosystem tasks() {{\n  manifests = [\"requirements.txt\"]\n  tools     = [pypi_tool(\"uv\", \"{uv}\"), pypi_tool(\"poetry\", \"2\")]\n  install   = \"/opt/uv/bin/uv venv /opt/venv && /opt/uv/bin/uv pip install --python /opt/venv/bin/python -r requirements.txt\"\n  output    = \"/opt/venv\"\n}}\n\n\
             ecosystem web() {{\n  manifests = [\"package.json\"]\n  tools     = [npm_tool(\"corepack\", \"0.34\")]\n  install   = \"corepack --version > /opt/corepack-version\"\n  output    = \"/opt/corepack-version\"\n}}\n\n\
             image py {{\n  base = python.slim(digest: \"sha256:{d}\")\n  deps = [tasks()]\n  run {{\n    base = python.slim(digest: \"sha256:{d}\")\n    cmd  = [\"python\"]\n  }}\n}}\n\n\
             image js {{\n  base = node.slim(digest: \"sha256:{d}\")\n  deps = [web()]\n  run {{\n    base = node.slim(digest: \"sha256:{d}\")\n    cmd  = [\"node\"]\n  }}\n}}\n",
            d = "a".repeat(64)
        )
    };
    let dir = workspace(
        "lock/tools",
        &[
            ("app.imgspec", &spec("0.13")),
            ("requirements.txt", "click==8.1.7\n"),
            ("package.json", "{}\n"),
        ],
    );
    std::fs::create_dir_all(dir.join(".git")).expect("mark the project");

    let out = imgspec(&dir, &registry, &["lock", "app.imgspec"], None);
    assert!(out.status.success(), "{}", text(&out));
    let lock = std::fs::read_to_string(dir.join("imgspec.lock")).expect("the lock file");
    let uv_hash = sha256("0.13.9");
    assert!(
        lock.contains(&format!("package = \"uv\"\nversion = \"0.13\"\nresolved = \"0.13.9\"\nhashes = [\n  \"{uv_hash}\",\n]")),
        "{lock}"
    );
    // Poetry has dependencies: its release is pinned, its files are not.
    assert!(lock.contains("package = \"poetry\"\nversion = \"2\"\nresolved = \"2.5.1\"\n# The release has dependencies"), "{lock}");
    let sha512 = "09".repeat(64);
    assert!(
        lock.contains(&format!(
            "resolved = \"0.34.7\"\nhashes = [\n  \"sha512:{sha512}\","
        )),
        "{lock}"
    );

    // Compiled from the lock file: installed as locked, and checked.
    let out = imgspec(
        &dir,
        &registry,
        &["compile", "app.imgspec", "--image", "py", "-o", "-"],
        None,
    );
    assert!(out.status.success(), "{}", text(&out));
    let py = String::from_utf8_lossy(&out.stdout).to_string();
    assert!(
        py.contains(&format!(
            "'uv==0.13.9 --hash={uv_hash}' > /tmp/uv-requirements.txt"
        )),
        "{py}"
    );
    assert!(
        py.contains("--require-hashes -r /tmp/uv-requirements.txt"),
        "{py}"
    );
    assert!(
        py.contains("/opt/poetry/bin/pip install --disable-pip-version-check poetry==2.5.1"),
        "{py}"
    );
    assert!(!text(&out).contains("W0121"), "{}", text(&out));
    let out = imgspec(
        &dir,
        &registry,
        &["compile", "app.imgspec", "--image", "js", "-o", "-"],
        None,
    );
    let js = String::from_utf8_lossy(&out.stdout).to_string();
    assert!(
        js.contains(&format!(
            "echo '{sha512}  /tmp/corepack-0.34.7.tgz' | sha512sum -c -"
        )),
        "{js}"
    );

    // Offline the check passes; a new release of the series fails the
    // remote check, and `update uv` moves uv alone.
    assert!(
        imgspec(&dir, &registry, &["lock", "--check", "app.imgspec"], None)
            .status
            .success()
    );
    registry.state.lock().unwrap().documents.insert(
        "/pypi/uv/json".into(),
        pypi_document(&["0.13.8", "0.13.9", "0.13.10", "0.14.0"], "null"),
    );
    let out = imgspec(
        &dir,
        &registry,
        &["lock", "--check", "--remote", "app.imgspec"],
        None,
    );
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(
        text(&out).contains("E0163")
            && text(&out).contains("locked 0.13.9, the registry now has 0.13.10"),
        "{}",
        text(&out)
    );
    let out = imgspec(
        &dir,
        &registry,
        &["update", "uv", "--specs", "app.imgspec"],
        None,
    );
    assert!(out.status.success(), "{}", text(&out));
    let table = String::from_utf8_lossy(&out.stdout).to_string();
    assert!(
        table.contains("pypi_tool(\"uv\", \"0.13\")")
            && table.contains("0.13.9")
            && table.contains("0.13.10"),
        "{table}"
    );
    assert!(!table.contains("corepack"), "{table}");
    let updated = std::fs::read_to_string(dir.join("imgspec.lock")).expect("the lock file");
    assert!(updated.contains("resolved = \"0.13.10\""), "{updated}");
    assert!(updated.contains("resolved = \"0.34.7\""), "{updated}");

    // A series without a release: named on the tool, the file left alone.
    std::fs::write(dir.join("app.imgspec"), spec("0.15")).expect("edit the spec");
    let out = imgspec(&dir, &registry, &["lock", "app.imgspec"], None);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(
        text(&out).contains("E0164")
            && text(&out).contains("no release of `uv` in the series `0.15`"),
        "{}",
        text(&out)
    );
    assert_eq!(
        std::fs::read_to_string(dir.join("imgspec.lock")).expect("the lock file"),
        updated
    );
    // Compiled meanwhile: the unlocked series, with a warning.
    let out = imgspec(
        &dir,
        &registry,
        &["compile", "app.imgspec", "--image", "py", "-o", "-"],
        None,
    );
    assert!(text(&out).contains("W0121"), "{}", text(&out));
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("'uv==0.15.*'"),
        "{}",
        text(&out)
    );
}
