//! End-to-end: the Dockerfiles imgspec generates are built and run on a real
//! Docker engine (BuildKit), one project per case under `tests/e2e/<case>/`.
//!
//! Each case compiles its spec with the library, writes the Dockerfile and its
//! `.dockerignore` into a copy of the project under `target/e2e/<case>/`, and
//! then proves with real builds what the compiler promises: the image builds
//! from cold, the service answers, the runner runs as a numeric non-root user,
//! a source edit re-runs only the source layers (system packages and
//! dependency installs come from the cache), a manifest edit re-runs the
//! install but not the system packages, the runner holds no compiler and is
//! smaller than the build stage. Timings and sizes go to
//! `target/e2e/report.json` and `target/e2e/report.md`.
//!
//! The tests are ignored by default: they need the engine of
//! `scripts/engine.sh` (`bash scripts/e2e.sh` starts it and runs them). When
//! the engine does not answer they fail, printing the engine's log; they never
//! pass by skipping.

mod common;

use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::Mutex;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use common::{compile_file_without_syntax, copy_dir, rendered, stages};
use imgspec::compile::Output as Compiled;
use imgspec::explain::rebuilt_from;
use imgspec::ir::Instruction;
use serde_json::{json, Value};

/// One case at a time: cases share the engine, its BuildKit cache and the
/// report, and each empties the cache mounts before its cold build.
static ENGINE: Mutex<()> = Mutex::new(());

/// Where `scripts/engine.sh` keeps its engine (as in that script).
fn engine_prefix() -> PathBuf {
    std::env::var_os("IMGSPEC_ENGINE_PREFIX")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/var/lib/imgspec-engine"))
}

fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn out_root() -> PathBuf {
    repo_root().join("target").join("e2e")
}

// ------------------------------------------------------------------ cases

/// What a case's project is and what its image must do.
struct Case {
    name: &'static str,
    /// The spec, relative to the case directory.
    spec: &'static str,
    /// The service's port (host network); each case has its own.
    port: u16,
    /// A string literal in `source_file` that the service answers with; the
    /// source edit changes it, and the rebuilt image must answer the new text.
    greeting: &'static str,
    source_file: &'static str,
    /// The COPY instruction that copies `source_file` in the build stage.
    source_copy: &'static str,
    /// A runner step taking the build's output, which a source edit re-runs.
    runner_copy: &'static str,
    /// Text of the dependency-install step.
    install: &'static str,
    /// Whether the spec installs system packages (an `apt-get install` step).
    system_packages: bool,
    /// The dependency manifest, and a harmless edit of it: `(text, nonce) -> text`.
    manifest: &'static str,
    edit_manifest: fn(&str, &str) -> String,
    /// Whether the runner is smaller than the stage it is built beside: it
    /// is when the build holds toolchains or dev dependencies the runner
    /// leaves behind.
    runner_smaller: bool,
    /// Lines the cold build's log must contain (proof the real work was done).
    cold_log_evidence: &'static [&'static str],
    /// Lines only the dependency-install step may print (the crates.io
    /// crates cargo compiles there): the cold build must print each in that
    /// step and in no other (the build stage does not compile them again),
    /// and the rebuild after a source edit nowhere.
    dependency_work: &'static [&'static str],
    /// `Some(script)`: the runner has `sh`; the script runs in it and must
    /// print `probe-ok`. `None`: no shell (scratch, distroless).
    runner_probe: Option<&'static str>,
    /// How the service itself shows the uid and gid it runs as.
    identity: Identity,
    /// Texts `GET /` must answer besides the greeting (proof that what is
    /// served is what the build made).
    page_evidence: &'static [&'static str],
    /// `Some((image, env))`: the case's builds take `image` (a stand-in
    /// base) with `env` added, through a named build context
    /// (`--build-context IMAGE=docker-image://imgspec-e2e/<case>-base`); the
    /// generated Dockerfile is built as it is. For tools that trust only
    /// their own CA bundle, on a network that needs the engine's added CA.
    base_env: Option<(&'static str, &'static [(&'static str, &'static str)])>,
    /// `Some(name)`: every build (imgspec's and the reference's) is given
    /// `--build-arg NAME=<revision>`, a text unique to the run, which the
    /// running service must see (`Live::revision`).
    build_arg: Option<&'static str>,
    /// Texts the generated Dockerfile must hold, and texts it must not.
    dockerfile_evidence: &'static [&'static str],
    dockerfile_absent: &'static [&'static str],
    /// Checks of the running container, after the common ones (answer,
    /// uid and gid, health) and before it is stopped.
    live_probe: Option<fn(&Live)>,
}

/// A case's running container, as `Case::live_probe` sees it.
struct Live<'a> {
    case: &'a Case,
    /// The container's name, for `docker exec` and `docker inspect`.
    container: &'a str,
    /// Its main process (PID 1 inside), as the host numbers it.
    pid: u32,
    /// The image, for one-off containers beside it.
    image: &'a str,
    /// The value given to `Case::build_arg`.
    revision: Option<&'a str>,
    /// Unique to the run.
    nonce: &'a str,
}

/// How a service shows, by itself, which uid and gid it runs as.
enum Identity {
    /// `GET /` answers `uid=<uid> gid=<gid>` after the greeting.
    Answer,
    /// A file the running service creates (nginx's pid file) is owned by
    /// `<uid>:<gid>`; for a server of static files, which cannot say it.
    CreatedFile(&'static str),
}

const PYTHON: Case = Case {
    name: "python",
    spec: "service.imgspec",
    port: 18081,
    greeting: "hello from python",
    source_file: "src/greeter/wsgi.py",
    source_copy: "COPY src/ ./src/",
    runner_copy: "COPY --link --from=build /app /app",
    install: "pip install",
    system_packages: true,
    manifest: "requirements.txt",
    edit_manifest: |text, nonce| format!("{text}# e2e manifest edit {nonce}\n"),
    // psycopg2 has no Linux wheel: pip compiles it (setup.py install, or a
    // wheel build with newer pips).
    runner_smaller: true,
    cold_log_evidence: &["for psycopg2", "Successfully installed"],
    dependency_work: &[],
    runner_probe: Some(
        r#"set -ex
dpkg-query -W -f='${Status}\n' libpq5 | grep -qx 'install ok installed'
for p in gcc libc6-dev libpq-dev; do
  if dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q 'ok installed'; then
    echo "build-only package $p is installed in the runner"; exit 1
  fi
done
test ! -e /usr/include/postgresql/libpq-fe.h
so=$(python -c 'import psycopg2._psycopg as m; print(m.__file__)')
ldd "$so" | grep -q 'libpq\.so\.5 => /'
echo probe-ok"#,
    ),
    identity: Identity::Answer,
    page_evidence: &[],
    base_env: None,
    build_arg: None,
    dockerfile_evidence: &[],
    dockerfile_absent: &[],
    live_probe: None,
};

const NODE: Case = Case {
    name: "node",
    spec: "service.imgspec",
    port: 18082,
    greeting: "hello from node",
    source_file: "src/server.ts",
    source_copy: "COPY src/ ./src/",
    runner_copy: "COPY --link --from=build /app/dist/ /app/dist/",
    install: "npm ci",
    system_packages: true,
    manifest: "package.json",
    edit_manifest: |text, nonce| {
        let key = "\"description\": \"";
        assert!(text.contains(key), "package.json has no description");
        text.replacen(key, &format!("{key}(e2e manifest edit {nonce}) "), 1)
    },
    // bytes, and the dev dependencies typescript, @types/node, undici-types.
    runner_smaller: true,
    cold_log_evidence: &["added 4 packages"],
    // The compiled service and its production dependency are there; the dev
    // dependencies (the TypeScript compiler and types) are not. None of these
    // modules is in the stand-in's Debian node path (/usr/share/nodejs), so
    // `require` finds them in /app/node_modules or nowhere.
    dependency_work: &[],
    runner_probe: Some(
        r#"set -ex
cd /app
test -f dist/server.js
test -f node_modules/bytes/package.json
for m in typescript @types/node undici-types .bin/tsc; do
  if [ -e "node_modules/$m" ]; then echo "dev dependency $m is in the runner"; exit 1; fi
done
node -e 'require("bytes"); try { require.resolve("typescript") } catch (e) { process.exit(0) } process.exit(1)'
echo probe-ok"#,
    ),
    identity: Identity::Answer,
    page_evidence: &[],
    base_env: None,
    build_arg: None,
    dockerfile_evidence: &[],
    dockerfile_absent: &[],
    live_probe: None,
};

const GO: Case = Case {
    name: "go",
    spec: "service.imgspec",
    port: 18083,
    greeting: "hello from go",
    source_file: "greeting/greeting.go",
    source_copy: "COPY greeting/ ./greeting/",
    runner_copy: "COPY --link --from=build /out/hello /out/hello",
    install: "go mod download",
    system_packages: false,
    manifest: "go.mod",
    edit_manifest: |text, nonce| format!("{text}// e2e manifest edit {nonce}\n"),
    runner_smaller: true,
    cold_log_evidence: &[],
    dependency_work: &[],
    runner_probe: None,
    identity: Identity::Answer,
    page_evidence: &[],
    base_env: None,
    build_arg: None,
    dockerfile_evidence: &[],
    dockerfile_absent: &[],
    live_probe: None,
};

const RUST: Case = Case {
    name: "rust",
    spec: "service.imgspec",
    port: 18084,
    greeting: "hello from rust",
    source_file: "src/greeting.rs",
    source_copy: "COPY src/ ./src/",
    runner_copy: "COPY --link --from=build /app/target/release/hello /usr/local/bin/hello",
    // The dependency build against the stub main.rs; the real build is the
    // same `cargo build` without the stub, after the sources' COPY.
    install: "echo 'fn main() {}' > src/main.rs",
    system_packages: false,
    manifest: "Cargo.toml",
    edit_manifest: |text, nonce| format!("{text}# e2e manifest edit {nonce}\n"),
    // Compiled twice: the stub, then the real sources.
    runner_smaller: true,
    cold_log_evidence: &["Compiling hello v0.1.0 (/app)", "Finished release"],
    dependency_work: &[],
    runner_probe: None,
    identity: Identity::Answer,
    page_evidence: &[],
    base_env: None,
    build_arg: None,
    dockerfile_evidence: &[],
    dockerfile_absent: &[],
    live_probe: None,
};

const CARGO_WORKSPACE: Case = Case {
    name: "cargo-workspace",
    spec: "service.imgspec",
    port: 18091,
    greeting: "hello from cargo-workspace",
    source_file: "crates/greeting/src/lib.rs",
    source_copy: "COPY crates/greeting/src/ ./crates/greeting/src/",
    runner_copy: "COPY --link --from=build /app/target/release/server /usr/local/bin/server",
    // The dependency build against a stub in every member; the real build
    // is the same `cargo build` without the stubs, after the sources' COPY.
    install: "echo 'fn main() {}' > \"$crate/src/main.rs\"",
    system_packages: false,
    manifest: "crates/server/Cargo.toml",
    edit_manifest: |text, nonce| format!("{text}# e2e manifest edit {nonce}\n"),
    runner_smaller: true,
    // Both members compiled from their real sources after the stubs.
    cold_log_evidence: &[
        "Compiling greeting v0.1.0 (/app/crates/greeting)",
        "Compiling server v0.1.0 (/app/crates/server)",
    ],
    dependency_work: &[],
    runner_probe: None,
    identity: Identity::Answer,
    page_evidence: &[],
    base_env: None,
    build_arg: None,
    dockerfile_evidence: &[],
    dockerfile_absent: &[],
    live_probe: None,
};

const CARGO_REGISTRY: Case = Case {
    name: "cargo-registry",
    spec: "service.imgspec",
    port: 18093,
    greeting: "hello from cargo-registry",
    source_file: "crates/greeting/src/lib.rs",
    source_copy: "COPY crates/greeting/src/ ./crates/greeting/src/",
    runner_copy: "COPY --link --from=build /app/target/release/server /usr/local/bin/server",
    // The dependency build against a stub in every member, which compiles
    // the crates.io crates; the real build is the same `cargo build`
    // without the stubs, after the sources' COPY.
    install: "echo 'fn main() {}' > \"$crate/src/main.rs\"",
    system_packages: false,
    manifest: "crates/server/Cargo.toml",
    edit_manifest: |text, nonce| format!("{text}# e2e manifest edit {nonce}\n"),
    runner_smaller: true,
    // The crates fetched through the sparse index, and both members
    // compiled from their real sources after the stubs.
    cold_log_evidence: &[
        "Updating crates.io index",
        "Downloaded itoa v1.0.19",
        "Downloaded sha2 v0.10.9",
        "Compiling greeting v0.1.0 (/app/crates/greeting)",
        "Compiling server v0.1.0 (/app/crates/server)",
    ],
    dependency_work: &[
        "Compiling itoa v1.0.19",
        "Compiling typenum v1.20.1",
        "Compiling generic-array v0.14.7",
        "Compiling digest v0.10.7",
        "Compiling sha2 v0.10.9",
    ],
    runner_probe: None,
    identity: Identity::Answer,
    // Computed by the crates: u64::MAX written by itoa, and the SHA-256 of
    // "imgspec" by sha2.
    page_evidence: &[
        "itoa: 18446744073709551615",
        "sha256(imgspec): 10ae7e56fbd0d812224b7437630b9edcd744d20b7a7808a5da592513ccc7f18c",
    ],
    base_env: None,
    build_arg: None,
    dockerfile_evidence: &["FROM rust:1.85-slim-trixie AS deps"],
    dockerfile_absent: &[],
    live_probe: None,
};

const STATIC: Case = Case {
    name: "static",
    spec: "service.imgspec",
    // nginx's port in the stand-in (and upstream's unprivileged image).
    port: 8080,
    greeting: "hello from static",
    source_file: "src/site.json",
    source_copy: "COPY src/ ./src/",
    runner_copy: "COPY --link --from=build /app/dist/ /usr/share/nginx/html/",
    install: "npm ci",
    system_packages: true,
    manifest: "package.json",
    edit_manifest: |text, nonce| {
        let key = "\"description\": \"";
        assert!(text.contains(key), "package.json has no description");
        text.replacen(key, &format!("{key}(e2e manifest edit {nonce}) "), 1)
    },
    // marked, a dev dependency, and the build script's own line.
    runner_smaller: true,
    cold_log_evidence: &[
        "added 1 package",
        "built dist/: index.html, style.css, healthz",
    ],
    // The built site is there and nothing of the build: no Node, no npm, no
    // node_modules, no sources, and not the stand-in's own welcome page.
    dependency_work: &[],
    runner_probe: Some(
        r#"set -ex
for t in node nodejs npm npx; do
  if command -v "$t"; then echo "$t is in the runner"; exit 1; fi
done
for d in /usr/share/nodejs /usr/lib/node_modules /app/node_modules /app/src /app/package.json; do
  if [ -e "$d" ]; then echo "$d is in the runner"; exit 1; fi
done
cd /usr/share/nginx/html
test -f style.css
grep -qx ok healthz
grep -q '<h1>hello from static' index.html
grep -q '<strong>marked</strong>' index.html
if grep -q 'Welcome to nginx' index.html; then echo "the stand-in's page is served"; exit 1; fi
if [ -e build.mjs ] || [ -e page.md ] || [ -e site.json ]; then echo "sources in the html directory"; exit 1; fi
echo probe-ok"#,
    ),
    // nginx writes its pid file as the user it runs as.
    identity: Identity::CreatedFile("/tmp/nginx.pid"),
    // Markdown rendered by marked in the build stage, not raw `**marked**`.
    page_evidence: &["<strong>marked</strong>", "<h2>Built, then served</h2>"],
    base_env: None,
    build_arg: None,
    dockerfile_evidence: &[],
    dockerfile_absent: &[],
    live_probe: None,
};

const UV: Case = Case {
    name: "uv",
    spec: "service.imgspec",
    port: 18085,
    greeting: "hello from uv",
    source_file: "src/greeter_uv/wsgi.py",
    source_copy: "COPY src/ ./src/",
    runner_copy: "COPY --link --from=build /opt/project /opt/project",
    // The sync of the locked dependencies alone, from the bind-mounted
    // manifests; the project itself is built as a wheel and installed into
    // /opt/project by the later finishing step, which a source edit re-runs.
    install: "uv sync --locked --no-dev --no-install-project",
    system_packages: false,
    manifest: "pyproject.toml",
    edit_manifest: |text, nonce| format!("{text}# e2e manifest edit {nonce}\n"),
    // With uv's cache emptied, the three locked wheels are downloaded
    // ("Prepared"), not pytest (dev group), and the project is built from
    // /app once its sources are in.
    runner_smaller: true,
    cold_log_evidence: &[
        "Prepared 3 packages",
        " + gunicorn==23.0.0",
        " + humanize==4.17.0",
        " + greeter-uv==0.1.0 (from file:///tmp/wheel/greeter_uv-0.1.0-py3-none-any.whl)",
    ],
    // uv stays in the build stage; the venv holds the locked dependencies
    // (not the dev group), /opt/project the project, installed, not
    // editable, and the runner runs it from there.
    dependency_work: &[],
    runner_probe: Some(
        r#"set -ex
test ! -e /opt/uv
for t in uv uvx; do
  if command -v "$t"; then echo "$t is in the runner"; exit 1; fi
done
test ! -e /opt/venv/bin/uv
test ! -e /opt/venv/bin/pip
if python -c 'import uv' 2>/dev/null; then echo "the uv module is in the runner"; exit 1; fi
test "$(command -v python)" = /opt/venv/bin/python
test "$(command -v gunicorn)" = /opt/venv/bin/gunicorn
cd /
site=/opt/venv/lib/python3.11/site-packages
test "$(python -c 'import greeter_uv.wsgi as m; print(m.__file__)')" = /opt/project/greeter_uv/wsgi.py
test -d /opt/project/greeter_uv-0.1.0.dist-info
test ! -e "$site/greeter_uv"
if grep -qs /app "$site"/*.pth; then echo "the project is installed editable"; exit 1; fi
python -c 'import gunicorn, humanize'
if python -c 'import pytest' 2>/dev/null; then echo "pytest (dev group) is in the runner"; exit 1; fi
echo probe-ok"#,
    ),
    identity: Identity::Answer,
    // The module that answers is the venv's installed copy; humanize works.
    page_evidence: &["module=/opt/project/greeter_uv/wsgi.py", "size=1.2 MB"],
    base_env: None,
    build_arg: None,
    dockerfile_evidence: &[],
    dockerfile_absent: &[],
    live_probe: None,
};

const POETRY: Case = Case {
    name: "poetry",
    spec: "service.imgspec",
    port: 18086,
    greeting: "hello from poetry",
    source_file: "src/greeter_poetry/wsgi.py",
    source_copy: "COPY src/ ./src/",
    runner_copy: "COPY --link --from=build /app /app",
    install: "poetry install --only main --extras pretty --no-root",
    system_packages: false,
    manifest: "pyproject.toml",
    // The description is not part of poetry.lock's content-hash: the lock
    // stays valid.
    edit_manifest: |text, nonce| {
        let key = "description = \"";
        assert!(text.contains(key), "pyproject.toml has no description");
        text.replacen(key, &format!("{key}(e2e manifest edit {nonce}) "), 1)
    },
    // pip installs Poetry into /opt/poetry, then Poetry the main group of
    // the lock and the extra `pretty`: four packages (not six, of the extra
    // `compat`, nor pytest, of the dev group).
    runner_smaller: true,
    cold_log_evidence: &[
        "Successfully installed",
        "Package operations: 4 installs, 0 updates, 0 removals",
        "Installing gunicorn (23.0.0)",
        "Installing idna (3.20)",
        "Installing humanize (4.17.0)",
    ],
    dependency_work: &[],
    // Poetry stays in the build stage; the venv holds the main group and
    // the extra asked for, not the other extra or the dev group.
    runner_probe: Some(
        r#"set -ex
test ! -e /opt/poetry
if command -v poetry; then echo "poetry is in the runner"; exit 1; fi
for m in poetry poetry.core pytest six; do
  if python -c "import $m" 2>/dev/null; then echo "$m is importable in the runner"; exit 1; fi
done
test "$(command -v python)" = /opt/venv/bin/python
test "$(command -v gunicorn)" = /opt/venv/bin/gunicorn
cd /
site=/opt/venv/lib/python3.11/site-packages
test "$(python -c 'import idna; print(idna.__file__)')" = "$site/idna/__init__.py"
test "$(python -c 'import humanize; print(humanize.__file__)')" = "$site/humanize/__init__.py"
test -d "$site"/humanize-4.17.0.dist-info
if ls -d "$site"/six-* "$site"/pytest-* 2>/dev/null; then echo "the extra compat or the dev group is installed"; exit 1; fi
test -f /app/src/greeter_poetry/wsgi.py
echo probe-ok"#,
    ),
    identity: Identity::Answer,
    page_evidence: &[
        "idna=xn--bcher-kva.example",
        "from=/opt/venv/lib/python3.11/site-packages/idna/__init__.py",
        "size=1.2 MB",
        "extra-from=/opt/venv/lib/python3.11/site-packages/humanize/__init__.py",
    ],
    // Poetry's requests trusts certifi's bundle alone, not the system store
    // the engine adds its CA to (pip, from Debian, uses the system store).
    base_env: Some((
        "python:3.11-slim-bookworm",
        &[("REQUESTS_CA_BUNDLE", "/etc/ssl/certs/ca-certificates.crt")],
    )),
    build_arg: None,
    dockerfile_evidence: &["poetry install --only main --extras pretty --no-root"],
    dockerfile_absent: &[],
    live_probe: None,
};

const NPM_LARGE: Case = Case {
    name: "npm-large",
    spec: "service.imgspec",
    port: 18087,
    greeting: "hello from npm-large",
    source_file: "src/server.js",
    // No build step: the runner copies the sources from the context, and
    // the full install and the build stage are left out as unused.
    source_copy: "COPY --link src/ /app/src/",
    runner_copy: "COPY --link src/ /app/src/",
    install: "npm ci --omit=dev",
    system_packages: false,
    manifest: "package.json",
    edit_manifest: |text, nonce| {
        let key = "\"description\": \"";
        assert!(text.contains(key), "package.json has no description");
        text.replacen(key, &format!("{key}(e2e manifest edit {nonce}) "), 1)
    },
    runner_smaller: false,
    cold_log_evidence: &[],
    // Production dependencies only, from their own install.
    dependency_work: &[],
    runner_probe: Some(
        r#"set -ex
cd /app
test -f node_modules/aws-sdk/package.json
test -f node_modules/googleapis/package.json
if [ -e node_modules/prettier ]; then echo "dev dependency prettier is in the runner"; exit 1; fi
test "$(du -sm node_modules | cut -f1)" -gt 150
echo probe-ok"#,
    ),
    identity: Identity::Answer,
    page_evidence: &[
        "aws=2.1693.0",
        "sheets=function",
        "ts=5.6.3",
        "epoch=1970-01-01",
    ],
    base_env: None,
    build_arg: None,
    dockerfile_evidence: &[],
    dockerfile_absent: &[],
    live_probe: None,
};

const PIP_LARGE: Case = Case {
    name: "pip-large",
    spec: "service.imgspec",
    port: 18088,
    greeting: "hello from pip-large",
    source_file: "src/greeter_large/wsgi.py",
    // No build step: the runner copies the sources from the context.
    source_copy: "COPY --link src/ /app/src/",
    runner_copy: "COPY --link src/ /app/src/",
    install: "pip install",
    system_packages: false,
    manifest: "requirements.txt",
    edit_manifest: |text, nonce| format!("{text}# e2e manifest edit {nonce}\n"),
    runner_smaller: false,
    cold_log_evidence: &["Successfully installed"],
    dependency_work: &[],
    runner_probe: Some(
        r#"set -ex
test "$(du -sm /opt/venv | cut -f1)" -gt 200
python -c 'import pandas, pyarrow, numpy'
echo probe-ok"#,
    ),
    identity: Identity::Answer,
    page_evidence: &["pandas=2.2.3", "arrow=18.1.0", "sum=6"],
    base_env: None,
    build_arg: None,
    dockerfile_evidence: &[],
    dockerfile_absent: &[],
    live_probe: None,
};

const PIP_EXTRA: Case = Case {
    name: "pip-extra",
    spec: "service.imgspec",
    port: 18092,
    greeting: "hello from pip-extra",
    source_file: "src/greeter_extra/wsgi.py",
    source_copy: "COPY src/ ./src/",
    runner_copy: "COPY --link --from=build /app /app",
    install: "pip install",
    system_packages: true,
    manifest: "requirements.txt",
    edit_manifest: |text, nonce| format!("{text}# e2e manifest edit {nonce}\n"),
    // gcc and libc6-dev stay in the dependency stage, which the build
    // stage starts from.
    runner_smaller: true,
    // uWSGI has no wheel: pip compiles it from the sdist, beside the
    // requirements file's library.
    cold_log_evidence: &[
        "Downloading uwsgi-2.0.31.tar.gz",
        "setup.py install for uwsgi: finished with status 'done'",
        "Successfully installed humanize-4.17.0 uwsgi-2.0.31",
    ],
    // uWSGI in the venv, linked against the base's libpython shared
    // library (nothing unresolved); no compiler or C headers.
    // uWSGI compiles once, in the dependency stage, never in the build.
    dependency_work: &["setup.py install for uwsgi: finished with status 'done'"],
    runner_probe: Some(
        r#"set -ex
for p in gcc libc6-dev; do
  if dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q 'ok installed'; then
    echo "build-only package $p is installed in the runner"; exit 1
  fi
done
test ! -e /usr/include/stdio.h
test "$(command -v uwsgi)" = /opt/venv/bin/uwsgi
test "$(uwsgi --version)" = 2.0.31
dpkg-query -W -f='${Status}\n' libpython3.11 | grep -qx 'install ok installed'
ldd /opt/venv/bin/uwsgi | grep -q 'libpython3\.11\.so\.1\.0 => /usr/lib/x86_64-linux-gnu/libpython3\.11\.so\.1\.0 '
if ldd /opt/venv/bin/uwsgi | grep 'not found'; then echo "uwsgi has unresolved libraries"; exit 1; fi
python -c 'import humanize'
echo probe-ok"#,
    ),
    identity: Identity::Answer,
    // The `uwsgi` module exists only inside uWSGI; the process answering
    // has libpython's shared library mapped; humanize works.
    page_evidence: &[
        "server=uWSGI/2.0.31",
        "libpython=/usr/lib/x86_64-linux-gnu/libpython3.11.so.1.0",
        "size=1.2 MB",
    ],
    base_env: None,
    build_arg: None,
    // uWSGI beside the requirements file, in the same pip install; the
    // compiler only in the dependency stage.
    dockerfile_evidence: &[
        "/opt/venv/bin/pip install --disable-pip-version-check -r requirements.txt uwsgi==2.0.31",
        "FROM python:3.11-slim-bookworm AS deps\n# hadolint ignore=DL3008\nRUN ",
        "apt-get install -y --no-install-recommends gcc libc6-dev\n",
    ],
    dockerfile_absent: &[],
    live_probe: Some(pip_extra_live_probe),
};

const NPM_WORKSPACE: Case = Case {
    name: "npm-workspace",
    spec: "service.imgspec",
    port: 18089,
    greeting: "hello from npm-workspace",
    // The greeting lives in the workspace package, not in the app.
    source_file: "packages/greeting/src/index.js",
    source_copy: "COPY --link packages/greeting/src/ /app/packages/greeting/src/",
    runner_copy: "COPY --link packages/greeting/src/ /app/packages/greeting/src/",
    install: "npm ci --omit=dev",
    system_packages: false,
    manifest: "packages/greeting/package.json",
    edit_manifest: |text, nonce| {
        let key = "\"version\": \"1.0.0\",";
        assert!(text.contains(key), "package.json has no version");
        text.replacen(
            key,
            &format!("{key}\n  \"description\": \"e2e manifest edit {nonce}\","),
            1,
        )
    },
    runner_smaller: false,
    cold_log_evidence: &[],
    // The workspace package is linked, its dependency and the app's are
    // installed at the root, the app's dev dependency is not.
    dependency_work: &[],
    runner_probe: Some(
        r#"set -ex
cd /app
test -L node_modules/@e2e/greeting
test "$(readlink -f node_modules/@e2e/greeting)" = /app/packages/greeting
test -f node_modules/bytes/package.json
test -f node_modules/ms/package.json
if [ -e node_modules/prettier ]; then echo "dev dependency prettier is in the runner"; exit 1; fi
echo probe-ok"#,
    ),
    identity: Identity::Answer,
    page_evidence: &["ms=1m", "size=2KB"],
    base_env: None,
    build_arg: None,
    dockerfile_evidence: &[],
    dockerfile_absent: &[],
    live_probe: None,
};

const YARN: Case = Case {
    name: "yarn",
    spec: "service.imgspec",
    port: 18094,
    greeting: "hello from yarn",
    source_file: "src/server.ts",
    source_copy: "COPY src/ ./src/",
    runner_copy: "COPY --link --from=build /app/dist/ /app/dist/",
    install: "yarn install --frozen-lockfile",
    system_packages: false,
    manifest: "package.json",
    edit_manifest: |text, nonce| {
        let key = "\"description\": \"";
        assert!(text.contains(key), "package.json has no description");
        text.replacen(key, &format!("{key}(e2e manifest edit {nonce}) "), 1)
    },
    // The build stage holds the dev dependencies typescript and @types/node.
    runner_smaller: true,
    cold_log_evidence: &[
        "yarn install v1.22.22",
        "[2/4] Fetching packages...",
        "$ tsc",
    ],
    // The compiled service and its production dependency are there; the dev
    // dependencies (the TypeScript compiler and types) and Yarn's cache are not.
    runner_probe: Some(
        r#"set -ex
cd /app
test -f dist/server.js
test -f node_modules/bytes/package.json
for m in typescript @types/node undici-types .bin/tsc; do
  if [ -e "node_modules/$m" ]; then echo "dev dependency $m is in the runner"; exit 1; fi
done
if [ -n "$(ls -A /usr/local/share/.cache/yarn 2>/dev/null)" ]; then echo "Yarn's cache is in the runner"; exit 1; fi
echo probe-ok"#,
    ),
    identity: Identity::Answer,
    page_evidence: &[],
    base_env: None,
    build_arg: None,
    dockerfile_evidence: &["yarn install --production --frozen-lockfile --non-interactive"],
    dockerfile_absent: &[],
    dependency_work: &[],
    live_probe: None,
};

const YARN_BERRY: Case = Case {
    name: "yarn-berry",
    spec: "service.imgspec",
    port: 18095,
    greeting: "hello from yarn-berry",
    // The greeting lives in the workspace package, not in the app.
    source_file: "packages/greeting/src/index.js",
    source_copy: "COPY --link packages/greeting/src/ /app/packages/greeting/src/",
    runner_copy: "COPY --link packages/greeting/src/ /app/packages/greeting/src/",
    install: "yarn workspaces focus --all --production",
    system_packages: false,
    manifest: "packages/greeting/package.json",
    edit_manifest: |text, nonce| {
        let key = "\"version\": \"1.0.0\",";
        assert!(text.contains(key), "package.json has no version");
        text.replacen(
            key,
            &format!("{key}\n  \"description\": \"e2e manifest edit {nonce}\","),
            1,
        )
    },
    runner_smaller: false,
    // corepack fetched Yarn 4 itself, and Yarn linked the focused workspaces.
    cold_log_evidence: &["Yarn 4.18.1", "3 packages were added to the project"],
    // The workspace package is linked, the patched `ms` and the package's
    // dependency are installed at the root, the dev dependency is not, and
    // neither Yarn's cache nor corepack's download reached the image.
    runner_probe: Some(
        r#"set -ex
cd /app
test -L node_modules/@e2e/greeting
test "$(readlink -f node_modules/@e2e/greeting)" = /app/packages/greeting
test -f node_modules/bytes/package.json
grep -q "patchedBy = 'imgspec-e2e'" node_modules/ms/index.js
if [ -e node_modules/prettier ]; then echo "dev dependency prettier is in the runner"; exit 1; fi
if [ -n "$(find / -xdev \( -name '*.zip' -path '*yarn*' -o -path '*corepack/v1*' \) -print -quit 2>/dev/null)" ]; then echo "a Yarn cache or corepack download is in the runner"; exit 1; fi
echo probe-ok"#,
    ),
    identity: Identity::Answer,
    page_evidence: &["ms=1m", "size=2KB", "patched=imgspec-e2e"],
    // Yarn 4 comes from the npm registry (the only one the engine reaches),
    // not from repo.yarnpkg.com, where corepack looks by default.
    base_env: Some((
        "node:18-bookworm-slim",
        &[("COREPACK_NPM_REGISTRY", "https://registry.npmjs.org")],
    )),
    build_arg: None,
    dockerfile_evidence: &[
        "npm install --global --no-audit --no-fund 'corepack@0.34'",
        "COPY .yarn/patches/ ./.yarn/patches/",
    ],
    dockerfile_absent: &[],
    dependency_work: &["3 packages were added to the project"],
    live_probe: None,
};

const PNPM: Case = Case {
    name: "pnpm",
    spec: "service.imgspec",
    port: 18096,
    greeting: "hello from pnpm",
    // The greeting lives in the workspace package, not in the app.
    source_file: "packages/greeting/src/index.js",
    source_copy: "COPY --link packages/greeting/src/ /app/packages/greeting/src/",
    runner_copy: "COPY --link packages/greeting/src/ /app/packages/greeting/src/",
    install: "pnpm install --prod --frozen-lockfile",
    system_packages: false,
    manifest: "packages/greeting/package.json",
    edit_manifest: |text, nonce| {
        let key = "\"version\": \"1.0.0\",";
        assert!(text.contains(key), "package.json has no version");
        text.replacen(
            key,
            &format!("{key}\n  \"description\": \"e2e manifest edit {nonce}\","),
            1,
        )
    },
    runner_smaller: false,
    // corepack fetched the pinned pnpm, which installed from the lock file.
    cold_log_evidence: &["using pnpm v10.34.8"],
    // Each member's node_modules links into the root's .pnpm, the workspace
    // package is linked, the dev dependency is not installed, and neither
    // the store nor corepack's download reached the image.
    runner_probe: Some(
        r#"set -ex
cd /app
test -L apps/api/node_modules/@e2e/greeting
test "$(readlink -f apps/api/node_modules/@e2e/greeting)" = /app/packages/greeting
test "$(readlink -f apps/api/node_modules/ms)" = /app/node_modules/.pnpm/ms@2.1.3/node_modules/ms
test -f packages/greeting/node_modules/bytes/package.json
if [ -e apps/api/node_modules/prettier ] || [ -n "$(find node_modules/.pnpm -maxdepth 1 -name 'prettier@*' -print -quit)" ]; then echo "dev dependency prettier is in the runner"; exit 1; fi
if [ -e /pnpm/store ] || [ -e /root/.cache/node/corepack ]; then echo "the store or corepack's cache is in the runner"; exit 1; fi
echo probe-ok"#,
    ),
    identity: Identity::Answer,
    page_evidence: &["ms=1m", "size=2KB"],
    base_env: None,
    build_arg: None,
    dockerfile_evidence: &[
        "npm install --global --no-audit --no-fund 'corepack@0.34'",
        "COPY --link --from=prod-deps /app/apps/api/node_modules /app/apps/api/node_modules",
    ],
    dockerfile_absent: &[],
    dependency_work: &["Packages: +2"],
    live_probe: None,
};

const RUNNER: Case = Case {
    name: "runner",
    spec: "service.imgspec",
    port: 18090,
    greeting: "hello from runner",
    source_file: "src/greeter_runner/server.py",
    // No build step: the runner copies the sources from the context.
    source_copy: "COPY --link src/ /app/src/",
    runner_copy: "COPY --link src/ /app/src/",
    install: "pip install",
    // The `init` stage installs Debian's tini (for its static build).
    system_packages: true,
    manifest: "requirements.txt",
    edit_manifest: |text, nonce| format!("{text}# e2e manifest edit {nonce}\n"),
    // No build stage: the runner is the dependency stage plus tini and the
    // sources.
    runner_smaller: false,
    cold_log_evidence: &[
        "Successfully installed idna-3.10",
        "Setting up tini (0.19.0-1",
    ],
    // The named user joined the base's group, the setup's effects, tini.
    dependency_work: &[],
    runner_probe: Some(
        r#"set -ex
test "$(id -un)" = app
test "$(id -u):$(id -g)" = 10001:50
test "$(id -gn)" = staff
getent passwd app | grep -q '^app:x:10001:50:'
if getent group app; then echo "a group app was created"; exit 1; fi
test "$(getent group 50 | cut -d: -f1)" = staff
test "$(stat -c %u:%g /app/data)" = 10001:50
test "$(readlink /srv/data)" = /app/data
grep -qx 'greeting-source = setup' /etc/greeter.conf
/usr/local/bin/tini --version | grep -q 'tini version 0.19.0'
test "$(command -v python)" = /opt/venv/bin/python
python -c 'import idna'
echo probe-ok"#,
    ),
    identity: Identity::Answer,
    // The setup's file and symlink, seen by the app; its dependency works.
    page_evidence: &[
        "setup=greeting-source=setup",
        "link=/app/data",
        "idna=xn--bcher-kva.example",
    ],
    base_env: None,
    build_arg: Some("GIT_SHA"),
    // User `app` joins Debian's `staff` (gid 50): no group is created.
    dockerfile_evidence: &[
        "useradd --no-log-init --no-create-home --uid 10001 --gid 50 ",
        "install -d -o 10001 -g 50 /app/data",
        "ln -s /app/data /srv/data",
        "VOLUME [\"/app/data\"]",
        "ARG GIT_SHA=\"unknown\"",
        "APP_REVISION=\"$GIT_SHA\"",
        "USER 10001:50",
        "ENTRYPOINT [\"/usr/local/bin/tini\", \"--\"]",
    ],
    dockerfile_absent: &["groupadd"],
    live_probe: Some(runner_live_probe),
};

/// The `runner` case's checks of its running container: the data volume
/// written and read back by the app (uid 10001, gid 50), the build argument
/// in its environment, tini as PID 1 reaping the orphan the app leaves.
fn runner_live_probe(live: &Live) {
    let name = live.case.name;
    let exec = |script: &str| -> String {
        let out = docker(&["exec", live.container, "sh", "-c", script]);
        check(&out, &format!("{name}: docker exec sh -c {script:?}"));
        String::from_utf8_lossy(&out.stdout).trim().to_string()
    };

    // The volume: written by the app through the setup's symlink, read back.
    let mounts = docker(&[
        "inspect",
        "-f",
        "{{range .Mounts}}{{.Type}} {{.Destination}};{{end}}",
        live.container,
    ]);
    check(&mounts, "docker inspect (mounts)");
    assert!(
        String::from_utf8_lossy(&mounts.stdout).contains("volume /app/data;"),
        "{name}: /app/data is not a volume: {}",
        String::from_utf8_lossy(&mounts.stdout)
    );
    let note = format!("probe-{}", live.nonce);
    let (status, body) = http_get(live.case.port, &format!("/?note={note}"))
        .unwrap_or_else(|e| panic!("{name}: GET /?note=: {e}"));
    assert_eq!(status, 200, "{name}: GET /?note= answered {body:?}");
    for want in [
        format!("read={note} owner=10001:50"),
        format!(
            "revision={}",
            live.revision.expect("the runner case has a build argument")
        ),
    ] {
        assert!(
            body.contains(&want),
            "{name}: GET /?note= answered {body:?}, which lacks {want:?}"
        );
    }
    let visits: u32 = body
        .split_whitespace()
        .find_map(|w| w.strip_prefix("visits="))
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("{name}: no visits= in {body:?}"));
    assert!(visits >= 2, "{name}: {visits} visits after two requests");
    assert_eq!(
        exec("stat -c '%u:%g %F' /app/data /app/data/visits.log"),
        "10001:50 directory\n10001:50 regular file",
        "{name}: owners in the volume"
    );
    assert_eq!(
        exec("tail -n 1 /app/data/visits.log"),
        note,
        "{name}: the volume's file"
    );

    // PID 1 is tini, running the app.
    let cmdline = std::fs::read(format!("/proc/{}/cmdline", live.pid))
        .unwrap_or_else(|e| panic!("{name}: /proc/{}/cmdline: {e}", live.pid));
    let argv: Vec<String> = cmdline
        .split(|&b| b == 0)
        .filter(|a| !a.is_empty())
        .map(|a| String::from_utf8_lossy(a).into_owned())
        .collect();
    assert_eq!(
        argv,
        [
            "/usr/local/bin/tini",
            "--",
            "python",
            "/app/src/greeter_runner/server.py"
        ],
        "{name}: PID 1's command line"
    );

    // The app leaves an orphan (a sleep its own child backgrounded), which
    // the kernel gives to PID 1: tini must reap it, no zombie remains.
    let (status, body) =
        http_get(live.case.port, "/spawn").unwrap_or_else(|e| panic!("{name}: GET /spawn: {e}"));
    assert_eq!(status, 200, "{name}: GET /spawn answered {body:?}");
    let orphan: u32 = body
        .trim()
        .strip_prefix("orphan=")
        .and_then(|p| p.parse().ok())
        .unwrap_or_else(|| panic!("{name}: GET /spawn answered {body:?}"));
    let stat = exec(&format!("cat /proc/{orphan}/stat"));
    assert_eq!(
        proc_state(&stat),
        Some(("S", 1)),
        "{name}: the orphan {orphan} is not a sleeping child of PID 1: {stat}"
    );
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let left = exec(&format!(
            "test -e /proc/{orphan} && cat /proc/{orphan}/stat || true"
        ));
        if left.is_empty() {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "{name}: the orphan {orphan} was not reaped within 15 s: {left}"
        );
        std::thread::sleep(Duration::from_millis(250));
    }
    let out = docker(&["exec", live.container, "sh", "-c", "cat /proc/[0-9]*/stat"]);
    let all = String::from_utf8_lossy(&out.stdout);
    let zombies: Vec<&str> = all
        .lines()
        .filter(|l| proc_state(l).is_some_and(|(s, _)| s == "Z"))
        .collect();
    assert!(
        zombies.is_empty(),
        "{name}: zombies in the container: {zombies:?}"
    );
    for p in process_tree(live.pid) {
        if let Ok(stat) = std::fs::read_to_string(format!("/proc/{p}/stat")) {
            assert_ne!(
                proc_state(&stat).map(|(s, _)| s),
                Some("Z"),
                "{name}: process {p} is a zombie: {stat}"
            );
        }
    }

    // The control: without tini, the same orphan stays a zombie of the
    // app's process, so the check above can see one.
    let control = docker(&[
        "run",
        "--rm",
        "--network=none",
        "--entrypoint",
        "python",
        live.image,
        "-c",
        "import sys, time\n\
         sys.path.insert(0, '/app/src/greeter_runner')\n\
         from server import spawn_orphan\n\
         pid = spawn_orphan(0.2)\n\
         time.sleep(2)\n\
         print(open(f'/proc/{pid}/stat').read())",
    ]);
    check(&control, &format!("{name}: the control without tini"));
    let stat = String::from_utf8_lossy(&control.stdout);
    assert_eq!(
        proc_state(&stat),
        Some(("Z", 1)),
        "{name}: without tini the orphan should stay a zombie of PID 1: {stat}"
    );
    step(
        live.case,
        &format!(
            "  volume written and read back as 10001:50 ({visits} visits), orphan {orphan} reaped by tini (a zombie without it)"
        ),
    );
}

/// The `pip-extra` case's checks of its running container: uWSGI is the
/// server, its master (PID 1) and its worker, each with libpython's shared
/// library mapped, as the kernel shows them.
fn pip_extra_live_probe(live: &Live) {
    let name = live.case.name;
    let pids = process_tree(live.pid);
    assert!(
        pids.len() >= 2,
        "{name}: expected uWSGI's master and a worker, got processes {pids:?}"
    );
    for p in &pids {
        let cmdline = std::fs::read(format!("/proc/{p}/cmdline"))
            .unwrap_or_else(|e| panic!("{name}: /proc/{p}/cmdline: {e}"));
        let argv0 = cmdline.split(|&b| b == 0).next().unwrap_or_default();
        assert_eq!(
            String::from_utf8_lossy(argv0),
            "uwsgi",
            "{name}: process {p} (of {pids:?}) is not uWSGI"
        );
        let maps = std::fs::read_to_string(format!("/proc/{p}/maps"))
            .unwrap_or_else(|e| panic!("{name}: /proc/{p}/maps: {e}"));
        assert!(
            maps.lines()
                .any(|l| l.ends_with("/usr/lib/x86_64-linux-gnu/libpython3.11.so.1.0")),
            "{name}: process {p} has not mapped libpython3.11.so.1.0"
        );
    }
    let out = docker(&["exec", live.container, "readlink", "/proc/1/exe"]);
    check(&out, &format!("{name}: docker exec readlink /proc/1/exe"));
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim(),
        "/opt/venv/bin/uwsgi",
        "{name}: PID 1's program"
    );
    step(
        live.case,
        &format!("  uWSGI master and workers {pids:?} run /opt/venv/bin/uwsgi with libpython3.11.so.1.0 mapped"),
    );
}

/// The state and parent pid of a `/proc/<pid>/stat` line.
fn proc_state(stat: &str) -> Option<(&str, u32)> {
    let (_, rest) = stat.trim().rsplit_once(") ")?;
    let mut fields = rest.split_whitespace();
    let state = fields.next()?;
    Some((state, fields.next()?.parse().ok()?))
}

const IGNORE: &str =
    "needs a Docker engine: run scripts/engine.sh start, then cargo test --test e2e -- --ignored";

#[test]
#[ignore = "needs a Docker engine: run scripts/engine.sh start, then cargo test --test e2e -- --ignored"]
fn python() {
    run_case(&PYTHON);
}

#[test]
#[ignore = "needs a Docker engine: run scripts/engine.sh start, then cargo test --test e2e -- --ignored"]
fn node() {
    run_case(&NODE);
}

#[test]
#[ignore = "needs a Docker engine: run scripts/engine.sh start, then cargo test --test e2e -- --ignored"]
fn go() {
    run_case(&GO);
}

#[test]
#[ignore = "needs a Docker engine: run scripts/engine.sh start, then cargo test --test e2e -- --ignored"]
fn rust() {
    run_case(&RUST);
}

#[test]
#[ignore = "needs a Docker engine: run scripts/engine.sh start, then cargo test --test e2e -- --ignored"]
fn cargo_workspace() {
    run_case(&CARGO_WORKSPACE);
}

#[test]
#[ignore = "needs a Docker engine: run scripts/engine.sh start, then cargo test --test e2e -- --ignored"]
fn cargo_registry() {
    run_case(&CARGO_REGISTRY);
}

#[test]
#[ignore = "needs a Docker engine: run scripts/engine.sh start, then cargo test --test e2e -- --ignored"]
fn static_site() {
    run_case(&STATIC);
}

#[test]
#[ignore = "needs a Docker engine: run scripts/engine.sh start, then cargo test --test e2e -- --ignored"]
fn uv() {
    run_case(&UV);
}

#[test]
#[ignore = "needs a Docker engine: run scripts/engine.sh start, then cargo test --test e2e -- --ignored"]
fn poetry() {
    run_case(&POETRY);
}

#[test]
#[ignore = "needs a Docker engine: run scripts/engine.sh start, then cargo test --test e2e -- --ignored"]
fn npm_large() {
    run_case(&NPM_LARGE);
}

#[test]
#[ignore = "needs a Docker engine: run scripts/engine.sh start, then cargo test --test e2e -- --ignored"]
fn pip_large() {
    run_case(&PIP_LARGE);
}

#[test]
#[ignore = "needs a Docker engine: run scripts/engine.sh start, then cargo test --test e2e -- --ignored"]
fn pip_extra() {
    run_case(&PIP_EXTRA);
}

#[test]
#[ignore = "needs a Docker engine: run scripts/engine.sh start, then cargo test --test e2e -- --ignored"]
fn npm_workspace() {
    run_case(&NPM_WORKSPACE);
}

#[test]
#[ignore = "needs a Docker engine: run scripts/engine.sh start, then cargo test --test e2e -- --ignored"]
fn yarn_berry() {
    run_case(&YARN_BERRY);
}

#[test]
#[ignore = "needs a Docker engine: run scripts/engine.sh start, then cargo test --test e2e -- --ignored"]
fn yarn() {
    run_case(&YARN);
}

#[test]
#[ignore = "needs a Docker engine: run scripts/engine.sh start, then cargo test --test e2e -- --ignored"]
fn pnpm() {
    run_case(&PNPM);
}

#[test]
#[ignore = "needs a Docker engine: run scripts/engine.sh start, then cargo test --test e2e -- --ignored"]
fn runner() {
    run_case(&RUNNER);
}

// ------------------------------------------------------------------ the steps

fn run_case(case: &Case) {
    let _engine = ENGINE.lock().unwrap_or_else(|e| e.into_inner());
    let engine_version = require_engine();
    let started = Instant::now();
    let nonce = nonce();
    let tag = format!("imgspec-e2e/{}", case.name);
    let build_tag = format!("imgspec-e2e/{}-build", case.name);
    let base_tag = format!("imgspec-e2e/{}-base", case.name);
    let mut images = Images::new(&[&tag, &build_tag, &base_tag]);

    // 1. Compile into a copy of the project.
    let (dir, output) = prepare(case);
    let dockerfile = dir.join("Dockerfile");
    let text = std::fs::read_to_string(&dockerfile).expect("generated Dockerfile");
    for evidence in case.dockerfile_evidence {
        assert!(
            text.contains(evidence),
            "{}: the generated Dockerfile lacks `{evidence}`:\n{text}",
            case.name
        );
    }
    for absent in case.dockerfile_absent {
        assert!(
            !text.contains(absent),
            "{}: the generated Dockerfile holds `{absent}`:\n{text}",
            case.name
        );
    }
    // The run's own value for the case's build argument, if it has one.
    let revision = case.build_arg.map(|_| format!("rev-{nonce}"));
    let build_args: Vec<String> = match (case.build_arg, &revision) {
        (Some(name), Some(value)) => vec!["--build-arg".to_string(), format!("{name}={value}")],
        _ => Vec::new(),
    };
    let stage_names: Vec<String> = stages(&text).into_iter().map(|(n, _)| n).collect();
    assert!(
        stage_names.len() >= 2 && stage_names.last().is_some_and(|n| n == "runtime"),
        "{}: expected build stages and a runner stage, got {stage_names:?}",
        case.name
    );
    // The stage that copies the sources: `build`, or the runner itself when
    // it takes them from the context (no build step: `build` is left out).
    let build_stage = if stage_names.iter().any(|n| n == "build") {
        "build".to_string()
    } else {
        "runtime".to_string()
    };
    // What the runner is compared with: the build, or the first stage.
    let builder_stage = if build_stage == "build" {
        "build".to_string()
    } else {
        stage_names[0].clone()
    };

    if let Some((base, env)) = case.base_env {
        build_base(case, base, env, &base_tag);
        images.add(&base_tag);
    }

    // 2. Cold build: no layer cache, empty cache mounts (apt, pip, npm, go).
    step(case, "cold build");
    let out = docker(&[
        "builder",
        "prune",
        "-af",
        "--filter",
        "type=exec.cachemount",
    ]);
    check(&out, "docker builder prune (cache mounts)");
    let cold = build(case, &dir, &tag, &build_args, &["--no-cache"], "1-cold");
    images.add(&tag);
    // Every RUN and COPY ran. (Under --no-cache BuildKit may still report a
    // WORKDIR straight after FROM as CACHED: it is only a mkdir.)
    let steps = parse_steps(&cold.log);
    let not_run: Vec<&Step> = steps
        .iter()
        .filter(|s| s.instruction.starts_with("RUN ") || s.instruction.starts_with("COPY "))
        .filter(|s| s.status != Status::Executed)
        .collect();
    assert!(
        not_run.is_empty(),
        "{}: the cold build did not run {not_run:#?}",
        case.name
    );
    for evidence in case.cold_log_evidence {
        assert!(
            cold.log.contains(evidence),
            "{}: the cold build's log does not show `{evidence}`; log tail:\n{}",
            case.name,
            tail(&cold.log, 60)
        );
    }
    assert_dependency_work(case, &steps, &cold.log);

    // 3. + 4. It does its job, as a numeric non-root user.
    step(case, "run");
    let user = image_user(&tag);
    serve(case, &tag, case.greeting, user, revision.as_deref(), &nonce);

    // 7. No compiler in the runner; the runner is smaller than the build stage.
    step(case, "runner contents and size");
    check_runner_contents(case, &tag);
    let build_image = build(
        case,
        &dir,
        &build_tag,
        &build_args,
        &["--target", &builder_stage],
        "1-build-stage",
    );
    images.add(&build_tag);
    let build_steps = parse_steps(&build_image.log);
    let executed = steps_with(&build_steps, Status::Executed);
    assert!(
        executed.is_empty(),
        "{}: building --target {builder_stage} after the full build re-ran {executed:#?}",
        case.name
    );
    let build_size = image_size(&build_tag);

    // The hand-written reference, built the same way, for comparison.
    step(case, "reference build");
    let reference_tag = format!("imgspec-e2e/{}-reference", case.name);
    build_file(
        case,
        &dir,
        "reference.Dockerfile",
        &reference_tag,
        &build_args,
        &[],
        "1-reference",
    );
    images.add(&reference_tag);
    let reference_before = layer_ids(&reference_tag);
    let imgspec_before = layer_ids(&tag);

    // 5. Edit a source file: only the source layers re-run.
    step(case, "rebuild after a source edit");
    let edited_greeting = format!("{} (edit {nonce})", case.greeting);
    edit(&dir.join(case.source_file), |text| {
        let quoted = format!("\"{}\"", case.greeting);
        assert_eq!(
            text.matches(&quoted).count(),
            1,
            "{}: {} must hold {quoted} once",
            case.name,
            case.source_file
        );
        text.replace(&quoted, &format!("\"{edited_greeting}\""))
    });
    let source = build(case, &dir, &tag, &build_args, &[], "2-source-edit");
    images.add(&tag);
    let source_steps = parse_steps(&source.log);
    assert_source_rebuild(case, &build_stage, &source_steps, &source.log);
    for work in case.dependency_work {
        let again: Vec<&str> = source.log.lines().filter(|l| l.contains(work)).collect();
        assert!(
            again.is_empty(),
            "{}: after a source edit the build did the dependency work `{work}` again: {again:?}",
            case.name
        );
    }
    let new_bytes = new_layer_bytes(&imgspec_before, &tag);
    let reference = build_file(
        case,
        &dir,
        "reference.Dockerfile",
        &reference_tag,
        &build_args,
        &[],
        "2-reference-source-edit",
    );
    let reference_steps = parse_steps(&reference.log);
    let reference_new_bytes = new_layer_bytes(&reference_before, &reference_tag);
    step(
        case,
        &format!(
            "source edit: imgspec {:.1} s, {new_bytes} new runner bytes; reference {:.1} s, {reference_new_bytes} new runner bytes",
            source.seconds, reference.seconds
        ),
    );
    // Ship no more than the reference does after the same edit (a little
    // slack for files the reference leaves out, such as compiled bytecode).
    assert!(
        new_bytes <= reference_new_bytes + NEW_BYTES_SLACK,
        "{}: a source edit added {new_bytes} bytes of runner layers, the reference {reference_new_bytes}",
        case.name
    );
    assert_explain_is_sound(case, &output, case.source_file, &source_steps);
    serve(
        case,
        &tag,
        &edited_greeting,
        user,
        revision.as_deref(),
        &nonce,
    );

    // 6. Edit the dependency manifest: the install re-runs, system packages do not.
    step(case, "rebuild after a manifest edit");
    edit(&dir.join(case.manifest), |text| {
        (case.edit_manifest)(text, &nonce)
    });
    let manifest = build(case, &dir, &tag, &build_args, &[], "3-manifest-edit");
    images.add(&tag);
    let manifest_steps = parse_steps(&manifest.log);
    assert_manifest_rebuild(case, &manifest_steps, &manifest.log);
    assert_explain_is_sound(case, &output, case.manifest, &manifest_steps);
    serve(
        case,
        &tag,
        &edited_greeting,
        user,
        revision.as_deref(),
        &nonce,
    );
    check_runner_contents(case, &tag);

    let size = image_size(&tag);
    if case.runner_smaller {
        assert!(
            size < build_size,
            "{}: the runner ({size} bytes) is not smaller than the build stage ({build_size} bytes)",
            case.name
        );
    }

    // 8. Report.
    let (cached, executed) = counts(&source_steps);
    let row = json!({
        "case": case.name,
        "cold_build_s": round1(cold.seconds),
        "source_edit_rebuild_s": round1(source.seconds),
        "source_edit_steps_cached": cached,
        "source_edit_steps_executed": executed,
        "source_edit_new_runner_bytes": new_bytes,
        "reference_source_edit_rebuild_s": round1(reference.seconds),
        "reference_source_edit_steps_executed": counts(&reference_steps).1,
        "reference_source_edit_new_runner_bytes": reference_new_bytes,
        "manifest_edit_rebuild_s": round1(manifest.seconds),
        "image_mb": round1(size as f64 / 1e6),
        "build_stage_mb": round1(build_size as f64 / 1e6),
        "user": format!("{}:{}", user.0, user.1),
        "case_total_s": round1(started.elapsed().as_secs_f64()),
        "engine": engine_version,
        "recorded_unix": SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0),
    });
    write_report(row);
    step(
        case,
        &format!("passed in {:.1} s", started.elapsed().as_secs_f64()),
    );
}

fn step(case: &Case, what: &str) {
    eprintln!("[e2e {}] {what}", case.name);
}

/// Copies `tests/e2e/<case>/` to `target/e2e/<case>/` and writes the compiled
/// Dockerfile and `Dockerfile.dockerignore` into the copy.
fn prepare(case: &Case) -> (PathBuf, Compiled) {
    prepare_project(case.name, case.spec, case.name)
}

/// Copies `tests/e2e/<project>/` to `target/e2e/<copy>/` and writes the
/// Dockerfile compiled from its `spec` there.
fn prepare_project(project: &str, spec: &str, copy: &str) -> (PathBuf, Compiled) {
    let src = repo_root().join("tests").join("e2e").join(project);
    let dir = out_root().join(copy);
    if dir.exists() {
        std::fs::remove_dir_all(&dir)
            .unwrap_or_else(|e| panic!("cannot remove {}: {e}", dir.display()));
    }
    copy_dir(&src, &dir);

    // Relative (tests run in the package root), as the CLI would be given
    // it: the path is quoted in the Dockerfile's header comment.
    let spec = Path::new("tests").join("e2e").join(project).join(spec);
    let c = compile_file_without_syntax(&spec);
    assert!(
        !c.diagnostics.has_errors(),
        "{copy}: {} does not compile:\n{}",
        spec.display(),
        rendered(&c)
    );
    assert_eq!(
        c.outputs.len(),
        1,
        "{copy}: expected one image in {}",
        spec.display()
    );
    let output = &c.outputs[0];
    assert!(
        !output.dockerfile.contains("# syntax="),
        "{copy}: compiled without a frontend, yet the Dockerfile has a `# syntax=` line"
    );
    write(&dir.join("Dockerfile"), &output.dockerfile);
    write(&dir.join("Dockerfile.dockerignore"), &output.dockerignore);
    (dir, output.clone())
}

struct Build {
    seconds: f64,
    log: String,
}

/// `tag`: the stand-in `base` with `env` added (a Dockerfile on standard
/// input, no context), which the case's builds take in place of `base`.
fn build_base(case: &Case, base: &str, env: &[(&str, &str)], tag: &str) {
    let env_text: Vec<String> = env
        .iter()
        .map(|(n, v)| format!("ENV {n}=\"{v}\""))
        .collect();
    step(
        case,
        &format!("base {base} with {}, as {tag}", env_text.join("; ")),
    );
    image_with_env(base, env, tag);
}

/// `docker build --network=host --progress=plain`; the log is kept next to
/// the Dockerfile. On failure: the Dockerfile and the log's tail, then panic.
fn build(
    case: &Case,
    dir: &Path,
    tag: &str,
    build_args: &[String],
    extra: &[&str],
    label: &str,
) -> Build {
    build_file(case, dir, "Dockerfile", tag, build_args, extra, label)
}

/// `build` of another Dockerfile of the case directory (the reference).
fn build_file(
    case: &Case,
    dir: &Path,
    file: &str,
    tag: &str,
    build_args: &[String],
    extra: &[&str],
    label: &str,
) -> Build {
    let dockerfile = dir.join(file);
    let mut args = vec![
        "build".to_string(),
        "--network=host".to_string(),
        "--progress=plain".to_string(),
        "-f".to_string(),
        dockerfile.display().to_string(),
        "-t".to_string(),
        tag.to_string(),
    ];
    if let Some((base, _)) = case.base_env {
        args.push("--build-context".to_string());
        args.push(format!(
            "{base}=docker-image://imgspec-e2e/{}-base",
            case.name
        ));
    }
    args.extend(build_args.iter().cloned());
    args.extend(extra.iter().map(|s| s.to_string()));
    args.push(dir.display().to_string());
    let started = Instant::now();
    let out = docker_cmd()
        .args(&args)
        .output()
        .unwrap_or_else(|e| panic!("cannot run docker build: {e}"));
    let seconds = started.elapsed().as_secs_f64();
    let mut log = String::from_utf8_lossy(&out.stdout).into_owned();
    log.push_str(&String::from_utf8_lossy(&out.stderr));
    write(&dir.join(format!("build-{label}.log")), &log);
    if !out.status.success() {
        let text = std::fs::read_to_string(&dockerfile).unwrap_or_default();
        panic!(
            "{}: docker {} failed ({})\n--- generated {}:\n{text}\n--- last lines of the build log ({}):\n{}",
            case.name,
            args.join(" "),
            out.status,
            dockerfile.display(),
            dir.join(format!("build-{label}.log")).display(),
            tail(&log, 60)
        );
    }
    eprintln!("[e2e {}]   {label}: {seconds:.1} s", case.name);
    Build { seconds, log }
}

/// Runs the image on the host network, waits (bounded) for its answer on
/// `case.port`, and checks the answer and the uid/gid of its process.
fn serve(
    case: &Case,
    tag: &str,
    greeting: &str,
    user: (u32, u32),
    revision: Option<&str>,
    nonce: &str,
) {
    let name = format!("imgspec-e2e-{}", case.name);
    let _ = docker(&["rm", "-f", &name]);
    if let Ok((status, body)) = http_get(case.port, "/") {
        panic!(
            "{}: something already answers on port {} ({status}: {body:?}); stop it first",
            case.name, case.port
        );
    }
    // The image's own HEALTHCHECK command, probed every second instead of
    // every 30 s, so that it is proven to work too.
    let out = docker(&[
        "run",
        "-d",
        "--network=host",
        "--health-interval=1s",
        "--name",
        &name,
        tag,
    ]);
    check(&out, &format!("docker run {tag}"));
    let container = Container(name);

    let deadline = Instant::now() + Duration::from_secs(60);
    let body = loop {
        match http_get(case.port, "/") {
            Ok((200, body)) => break body,
            Ok((status, body)) if Instant::now() > deadline => panic!(
                "{}: GET / answered {status}: {body:?}\n--- container log:\n{}",
                case.name,
                container.logs()
            ),
            Err(e) if Instant::now() > deadline => panic!(
                "{}: no answer on port {} within 60 s ({e})\n--- container log:\n{}",
                case.name,
                case.port,
                container.logs()
            ),
            _ => {}
        }
        if !container.running() {
            panic!(
                "{}: the container stopped before answering\n--- container log:\n{}",
                case.name,
                container.logs()
            );
        }
        std::thread::sleep(Duration::from_millis(250));
    };
    assert!(
        body.contains(greeting),
        "{}: GET / answered {body:?}, expected {greeting:?}",
        case.name
    );
    for evidence in case.page_evidence {
        assert!(
            body.contains(evidence),
            "{}: GET / answered {body:?}, which lacks {evidence:?}",
            case.name
        );
    }
    let health = http_get(case.port, "/healthz");
    assert!(
        matches!(&health, Ok((200, b)) if b.trim() == "ok"),
        "{}: GET /healthz answered {health:?}",
        case.name
    );

    // 4. The process runs as the image's numeric user: as the app sees itself,
    // as the kernel sees it (every process of the container), and as `id`
    // sees it where the image has one.
    let (uid, gid) = user;
    match case.identity {
        Identity::Answer => assert!(
            body.contains(&format!("uid={uid} gid={gid}")),
            "{}: the service reports {body:?}, expected uid={uid} gid={gid}",
            case.name
        ),
        Identity::CreatedFile(path) => {
            let out = docker(&["exec", &container.0, "stat", "-c", "%u:%g", path]);
            check(&out, &format!("docker exec stat {path}"));
            assert_eq!(
                String::from_utf8_lossy(&out.stdout).trim(),
                format!("{uid}:{gid}"),
                "{}: the owner of {path}, which the service created",
                case.name
            );
        }
    }
    let pid: u32 = container
        .inspect("{{.State.Pid}}")
        .parse()
        .expect("numeric pid");
    let pids = process_tree(pid);
    for pid in &pids {
        let status = std::fs::read_to_string(format!("/proc/{pid}/status"))
            .unwrap_or_else(|e| panic!("{}: cannot read /proc/{pid}/status: {e}", case.name));
        for (field, want) in [("Uid:", uid), ("Gid:", gid)] {
            let ids: Vec<u32> = status
                .lines()
                .find(|l| l.starts_with(field))
                .unwrap_or_else(|| panic!("no {field} in /proc/{pid}/status"))
                .split_whitespace()
                .skip(1)
                .map(|v| v.parse().expect("numeric id"))
                .collect();
            assert!(
                ids.len() == 4 && ids.iter().all(|&id| id == want),
                "{}: process {pid} (of {pids:?}) has {field} {ids:?}, expected {want}",
                case.name
            );
        }
    }
    step(
        case,
        &format!("  processes {pids:?} run as {uid}:{gid} (/proc/<pid>/status)"),
    );
    if case.runner_probe.is_some() {
        let out = docker(&["exec", &container.0, "sh", "-c", "id -u; id -g"]);
        check(&out, "docker exec id");
        assert_eq!(
            String::from_utf8_lossy(&out.stdout).trim(),
            format!("{uid}\n{gid}"),
            "{}: `id` in the container",
            case.name
        );
    }
    container.wait_healthy(case);
    if let Some(probe) = case.live_probe {
        probe(&Live {
            case,
            container: &container.0,
            pid,
            image: tag,
            revision,
            nonce,
        });
    }
    container.stop();
}

/// `pid` and its descendants (`/proc/<pid>/task/<tid>/children`), e.g.
/// nginx's workers or gunicorn's worker next to their master.
fn process_tree(pid: u32) -> Vec<u32> {
    let mut all = vec![pid];
    let mut i = 0;
    while i < all.len() {
        let p = all[i];
        i += 1;
        let Ok(tasks) = std::fs::read_dir(format!("/proc/{p}/task")) else {
            continue;
        };
        for task in tasks.flatten() {
            let children =
                std::fs::read_to_string(task.path().join("children")).unwrap_or_default();
            for child in children.split_whitespace().filter_map(|c| c.parse().ok()) {
                if !all.contains(&child) {
                    all.push(child);
                }
            }
        }
    }
    all
}

/// `Config.User` is `uid:gid`, both numeric and non-zero.
fn image_user(tag: &str) -> (u32, u32) {
    let user = inspect_image(tag, "{{.Config.User}}");
    let parsed = user
        .split_once(':')
        .and_then(|(u, g)| Some((u.parse::<u32>().ok()?, g.parse::<u32>().ok()?)));
    match parsed {
        Some((uid, gid)) if uid != 0 && gid != 0 => (uid, gid),
        _ => panic!("{tag}: Config.User is {user:?}, expected a numeric non-root uid:gid"),
    }
}

/// No compiler in the runner (and the case's own probe); without a shell, by
/// listing the exported file system.
fn check_runner_contents(case: &Case, tag: &str) {
    const COMPILERS: [&str; 7] = ["gcc", "cc", "go", "cargo", "rustc", "clang", "tsc"];
    match case.runner_probe {
        Some(probe) => {
            for tool in COMPILERS {
                let out = docker(&[
                    "run",
                    "--rm",
                    "--network=none",
                    "--entrypoint",
                    "sh",
                    tag,
                    "-c",
                    &format!("command -v {tool}"),
                ]);
                assert!(
                    !out.status.success() && out.stdout.is_empty(),
                    "{}: the runner has `{tool}` at {}",
                    case.name,
                    String::from_utf8_lossy(&out.stdout).trim()
                );
            }
            // A control, so that a broken `sh -c` cannot pass the loop above.
            let out = docker(&[
                "run",
                "--rm",
                "--network=none",
                "--entrypoint",
                "sh",
                tag,
                "-c",
                probe,
            ]);
            let stdout = String::from_utf8_lossy(&out.stdout);
            assert!(
                out.status.success() && stdout.lines().any(|l| l == "probe-ok"),
                "{}: runner probe failed ({}):\n{stdout}{}",
                case.name,
                out.status,
                String::from_utf8_lossy(&out.stderr)
            );
        }
        None => {
            let files = exported_files(tag);
            let artifact = case
                .runner_copy
                .rsplit(' ')
                .next()
                .unwrap_or_default()
                .trim_start_matches('/');
            assert!(
                files.iter().any(|f| f == artifact),
                "{}: the runner lacks {artifact}: {files:?}",
                case.name
            );
            for f in &files {
                let base = f.trim_end_matches('/').rsplit('/').next().unwrap_or(f);
                assert!(
                    !COMPILERS.contains(&base) && base != "sh",
                    "{}: the runner holds {f}",
                    case.name
                );
            }
        }
    }
}

/// The paths in the file system of a container made from `tag` (`docker
/// create`, `docker export | tar -t`).
fn exported_files(tag: &str) -> Vec<String> {
    let out = docker(&["create", tag]);
    check(&out, &format!("docker create {tag}"));
    let id = String::from_utf8_lossy(&out.stdout).trim().to_string();
    let container = Container(id);
    let mut export = docker_cmd()
        .args(["export", &container.0])
        .stdout(Stdio::piped())
        .spawn()
        .expect("docker export");
    let listing = Command::new("tar")
        .arg("-t")
        .stdin(export.stdout.take().expect("piped"))
        .output()
        .expect("tar -t");
    assert!(
        export.wait().expect("docker export").success() && listing.status.success(),
        "docker export {tag} | tar -t failed: {}",
        String::from_utf8_lossy(&listing.stderr)
    );
    String::from_utf8_lossy(&listing.stdout)
        .lines()
        .map(|l| l.trim_start_matches("./").to_string())
        .filter(|l| !l.is_empty())
        .collect()
}

// ------------------------------------------------------------------ the build log

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Status {
    Cached,
    Executed,
    Unfinished,
}

/// `imgspec explain --changed` never calls a step cached that BuildKit ran
/// again: every executed step is one explain predicted to re-run, and the
/// steps explain calls cached were cached. (Explain may over-estimate: a
/// COPY from a re-run stage can still be cached when the copied files came
/// out the same.)
fn assert_explain_is_sound(case: &Case, output: &Compiled, changed: &str, steps: &[Step]) {
    let predicted = rebuilt_from(output, &[changed.to_string()]);
    for (stage, first) in output.ir.stages.iter().zip(&predicted) {
        // BuildKit numbers the instructions that make layers (RUN, COPY,
        // WORKDIR) after FROM, which counts unless it is `scratch` or a
        // named build context (the case's `base_env`).
        // A stage built on another stage has no FROM step of its own either.
        let from_context = case.base_env.is_some_and(|(base, _)| stage.from == base);
        let from_stage = output.ir.stages.iter().any(|s| s.name == stage.from);
        let offset = if stage.from == "scratch" || from_context || from_stage {
            1
        } else {
            2
        };
        let layered = stage.lines.iter().enumerate().filter(|(_, l)| {
            matches!(
                l.instruction,
                Instruction::Run(_) | Instruction::Copy(_) | Instruction::Workdir(_)
            )
        });
        for (k, (position, line)) in layered.enumerate() {
            // BuildKit reports the mkdir of a WORKDIR inconsistently (run
            // again or cached whatever changed); RUN and COPY are compared.
            if matches!(line.instruction, Instruction::Workdir(_)) {
                continue;
            }
            let explain_reruns = first.is_some_and(|f| position >= f);
            let index = k as u32 + offset;
            let Some(reported) = steps
                .iter()
                .find(|s| s.stage == stage.name && s.index == index)
            else {
                continue;
            };
            assert!(
                explain_reruns || reported.status != Status::Executed,
                "{}: after editing {changed}, BuildKit ran [{} {index}] {} but explain said cached",
                case.name,
                stage.name,
                reported.instruction
            );
        }
    }
}

/// One Dockerfile instruction as BuildKit reported it: `#N [stage i/n] TEXT`
/// then `#N CACHED` or `#N DONE 1.2s`.
#[derive(Debug, Clone)]
struct Step {
    /// BuildKit's number for it: its output lines start with `#<vertex> `.
    vertex: u32,
    stage: String,
    index: u32,
    instruction: String,
    status: Status,
}

/// The instructions of a `--progress=plain` log, FROM lines left out, in
/// stage order.
fn parse_steps(log: &str) -> Vec<Step> {
    let mut by_vertex: BTreeMap<u32, Step> = BTreeMap::new();
    for line in log.lines() {
        let Some(rest) = line.strip_prefix('#') else {
            continue;
        };
        let Some((num, rest)) = rest.split_once(' ') else {
            continue;
        };
        let Ok(num) = num.parse::<u32>() else {
            continue;
        };
        if let Some(header) = rest.strip_prefix('[') {
            let Some((label, instruction)) = header.split_once("] ") else {
                continue;
            };
            let Some((stage, position)) = label.rsplit_once(' ') else {
                continue;
            };
            let Some((index, _total)) = position.split_once('/') else {
                continue;
            };
            let Ok(index) = index.parse::<u32>() else {
                continue;
            };
            by_vertex.entry(num).or_insert_with(|| Step {
                vertex: num,
                stage: stage.to_string(),
                index,
                instruction: instruction.to_string(),
                status: Status::Unfinished,
            });
        } else if let Some(step) = by_vertex.get_mut(&num) {
            if rest == "CACHED" {
                step.status = Status::Cached;
            } else if rest.starts_with("DONE ") && step.status != Status::Cached {
                step.status = Status::Executed;
            }
        }
    }
    let mut steps: Vec<Step> = by_vertex
        .into_values()
        .filter(|s| !s.instruction.starts_with("FROM "))
        .collect();
    steps.sort_by(|a, b| (&a.stage, a.index).cmp(&(&b.stage, b.index)));
    steps
}

fn steps_with(steps: &[Step], status: Status) -> Vec<&Step> {
    steps.iter().filter(|s| s.status == status).collect()
}

fn counts(steps: &[Step]) -> (usize, usize) {
    (
        steps_with(steps, Status::Cached).len(),
        steps_with(steps, Status::Executed).len(),
    )
}

fn find<'a>(
    case: &Case,
    steps: &'a [Step],
    what: &str,
    pred: impl Fn(&Step) -> bool,
) -> Vec<&'a Step> {
    let found: Vec<&Step> = steps.iter().filter(|s| pred(s)).collect();
    assert!(
        !found.is_empty(),
        "{}: no {what} step in the build log; steps: {steps:#?}",
        case.name
    );
    found
}

fn expect_status(case: &Case, when: &str, steps: &[&Step], want: Status, log: &str) {
    for s in steps {
        assert!(
            s.status == want,
            "{}: {when}: [{} {}] {} is {:?}, expected {want:?}\n--- log tail:\n{}",
            case.name,
            s.stage,
            s.index,
            s.instruction,
            s.status,
            tail(log, 40)
        );
    }
}

fn is_system_packages(s: &Step) -> bool {
    s.instruction.contains("apt-get install")
}

fn assert_source_rebuild(case: &Case, build_stage: &str, steps: &[Step], log: &str) {
    let when = "after a source edit";
    let packages: Vec<&Step> = steps.iter().filter(|s| is_system_packages(s)).collect();
    assert_eq!(
        !packages.is_empty(),
        case.system_packages,
        "{}: system-package steps: {packages:#?}",
        case.name
    );
    expect_status(case, when, &packages, Status::Cached, log);
    let install = find(case, steps, "dependency-install", |s| {
        s.instruction.contains(case.install)
    });
    expect_status(case, when, &install, Status::Cached, log);

    // In the build stage: everything before the edited source's COPY comes
    // from the cache, that COPY and everything after it re-runs.
    let copy = find(case, steps, "source COPY", |s| {
        s.stage == build_stage && s.instruction.starts_with(case.source_copy)
    });
    let at = copy[0].index;
    let build: Vec<&Step> = steps.iter().filter(|s| s.stage == build_stage).collect();
    let before: Vec<&Step> = build.iter().copied().filter(|s| s.index < at).collect();
    let after: Vec<&Step> = build.iter().copied().filter(|s| s.index >= at).collect();
    expect_status(case, when, &before, Status::Cached, log);
    expect_status(case, when, &after, Status::Executed, log);
    let runner_copy = find(case, steps, "runner COPY", |s| {
        s.stage == "runtime" && s.instruction == case.runner_copy
    });
    expect_status(case, when, &runner_copy, Status::Executed, log);
    // Dependencies come from stages that never saw the edit: not copied again.
    let dependency_copies: Vec<&Step> = steps
        .iter()
        .filter(|s| s.stage == "runtime" && s.instruction.starts_with("COPY"))
        .filter(|s| {
            s.instruction.contains("--from=deps ") || s.instruction.contains("--from=prod-deps ")
        })
        .collect();
    expect_status(case, when, &dependency_copies, Status::Cached, log);
}

/// Every `case.dependency_work` line is printed by the dependency-install
/// step, and by no other step of the cold build.
fn assert_dependency_work(case: &Case, steps: &[Step], log: &str) {
    if case.dependency_work.is_empty() {
        return;
    }
    let install: Vec<u32> = find(case, steps, "dependency-install", |s| {
        s.instruction.contains(case.install)
    })
    .iter()
    .map(|s| s.vertex)
    .collect();
    for work in case.dependency_work {
        let vertices: Vec<Option<u32>> = log
            .lines()
            .filter(|l| l.contains(work))
            .map(|l| {
                l.strip_prefix('#')
                    .and_then(|rest| rest.split_once(' '))
                    .and_then(|(num, _)| num.parse().ok())
            })
            .collect();
        assert!(
            !vertices.is_empty(),
            "{}: the cold build's log does not show `{work}`; log tail:\n{}",
            case.name,
            tail(log, 60)
        );
        assert!(
            vertices.iter().all(|v| v.is_some_and(|v| install.contains(&v))),
            "{}: `{work}` is printed by steps {vertices:?}, expected the dependency-install step only ({install:?}); log tail:\n{}",
            case.name,
            tail(log, 60)
        );
    }
}

fn assert_manifest_rebuild(case: &Case, steps: &[Step], log: &str) {
    let when = "after a manifest edit";
    let packages: Vec<&Step> = steps.iter().filter(|s| is_system_packages(s)).collect();
    assert_eq!(!packages.is_empty(), case.system_packages);
    expect_status(case, when, &packages, Status::Cached, log);
    let install = find(case, steps, "dependency-install", |s| {
        s.instruction.contains(case.install)
    });
    expect_status(case, when, &install, Status::Executed, log);
}

// ------------------------------------------------------------------ report

/// Upserts this case's row in `target/e2e/report.json` and rewrites
/// `target/e2e/report.md` from it: a table row per case.
fn write_report(row: Value) {
    let json_path = out_root().join("report.json");
    let mut rows: Vec<Value> = std::fs::read_to_string(&json_path)
        .ok()
        .and_then(|t| serde_json::from_str::<Value>(&t).ok())
        .and_then(|v| v.get("cases").and_then(|c| c.as_array()).cloned())
        .unwrap_or_default();
    rows.retain(|r| r.get("case") != row.get("case"));
    rows.push(row);
    rows.sort_by_key(|r| r["case"].as_str().unwrap_or_default().to_string());
    let report = json!({ "cases": rows });
    write(
        &json_path,
        &(serde_json::to_string_pretty(&report).expect("json") + "\n"),
    );

    let mut md = String::from(
        "| case | cold build (s) | source edit: rebuild (s), imgspec / reference | steps executed, imgspec / reference | new runner bytes, imgspec / reference | rebuild after manifest edit (s) | image (MB) | build stage (MB) |\n\
         |---|---:|---:|---:|---:|---:|---:|---:|\n",
    );
    for r in &rows {
        md.push_str(&format!(
            "| {} | {} | {} / {} | {} / {} | {} / {} | {} | {} | {} |\n",
            r["case"].as_str().unwrap_or("?"),
            r["cold_build_s"],
            r["source_edit_rebuild_s"],
            r["reference_source_edit_rebuild_s"],
            r["source_edit_steps_executed"],
            r["reference_source_edit_steps_executed"],
            r["source_edit_new_runner_bytes"],
            r["reference_source_edit_new_runner_bytes"],
            r["manifest_edit_rebuild_s"],
            r["image_mb"],
            r["build_stage_mb"],
        ));
    }
    write(&out_root().join("report.md"), &md);
}

fn round1(x: f64) -> f64 {
    (x * 10.0).round() / 10.0
}

// ------------------------------------------------------------------ layers

/// What a source edit may add to the runner beyond the reference's new
/// layers: files the reference leaves out, such as compiled bytecode.
const NEW_BYTES_SLACK: u64 = 256 * 1024;

/// The diff IDs of an image's layers, bottom first.
fn layer_ids(tag: &str) -> Vec<String> {
    let json = inspect_image(tag, "{{json .RootFS.Layers}}");
    serde_json::from_str(&json).unwrap_or_else(|e| panic!("{tag}: layers {json:?}: {e}"))
}

/// The bytes of the layers of `tag` that `before` did not have: what a
/// registry push and a pull after a rebuild transfer. Read from `docker
/// save`, whose layer blobs are named by their diff ID.
fn new_layer_bytes(before: &[String], tag: &str) -> u64 {
    let new: Vec<String> = layer_ids(tag)
        .into_iter()
        .filter(|id| !before.contains(id))
        .collect();
    if new.is_empty() {
        return 0;
    }
    let archive = out_root().join("layers.tar");
    let out = docker(&["save", "-o", &archive.display().to_string(), tag]);
    check(&out, &format!("docker save {tag}"));
    let listing = Command::new("tar")
        .arg("-tvf")
        .arg(&archive)
        .output()
        .expect("tar -tvf");
    check(&listing, "tar -tvf (docker save)");
    let _ = std::fs::remove_file(&archive);
    let sizes: BTreeMap<String, u64> = String::from_utf8_lossy(&listing.stdout)
        .lines()
        .filter(|l| l.starts_with('-'))
        .filter_map(|l| {
            let fields: Vec<&str> = l.split_whitespace().collect();
            let name = fields.last()?;
            let hex = name.strip_prefix("blobs/sha256/")?;
            Some((format!("sha256:{hex}"), fields.get(2)?.parse().ok()?))
        })
        .collect();
    new.iter()
        .map(|id| {
            *sizes
                .get(id)
                .unwrap_or_else(|| panic!("{tag}: layer {id} is not in `docker save`"))
        })
        .sum()
}

// ------------------------------------------------------------------ docker

/// `docker`, with the environment of `scripts/engine.sh`'s `env.sh` when the
/// caller has not chosen an engine (`DOCKER_HOST` unset).
/// The rootless engine's user, when `docker_cmd` talks to that engine
/// instead of the root one: set for a scope by [`AsRootless`]. The tests
/// that use docker hold `ENGINE`, so one scope at a time.
static ROOTLESS_CLIENT: Mutex<Option<RootlessUser>> = Mutex::new(None);

#[derive(Clone)]
struct RootlessUser {
    uid: u32,
    gid: u32,
    /// `NAME=VALUE` lines of `engine.sh rootless`'s env file.
    env: Vec<(String, String)>,
}

/// While it lives, `docker_cmd` runs docker as the rootless user against
/// its engine.
struct AsRootless;

impl AsRootless {
    fn new(user: RootlessUser) -> AsRootless {
        *ROOTLESS_CLIENT.lock().unwrap_or_else(|e| e.into_inner()) = Some(user);
        AsRootless
    }
}

impl Drop for AsRootless {
    fn drop(&mut self) {
        *ROOTLESS_CLIENT.lock().unwrap_or_else(|e| e.into_inner()) = None;
    }
}

fn docker_cmd() -> Command {
    let prefix = engine_prefix();
    let rootless = ROOTLESS_CLIENT
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .clone();
    if let Some(user) = rootless {
        use std::os::unix::process::CommandExt;
        let mut cmd = Command::new(prefix.join("bin/docker"));
        cmd.env_clear()
            .envs(user.env.iter().map(|(k, v)| (k, v)))
            .env("DOCKER_BUILDKIT", "1")
            .current_dir("/")
            .uid(user.uid)
            .gid(user.gid)
            .stdin(Stdio::null());
        return cmd;
    }
    let mut cmd = if std::env::var_os("DOCKER_HOST").is_none() && prefix.join("bin/docker").exists()
    {
        let mut cmd = Command::new(prefix.join("bin/docker"));
        cmd.envs(client_env(
            &prefix.join("docker.sock"),
            &prefix.join("docker-config"),
        ));
        cmd
    } else {
        let mut cmd = Command::new("docker");
        cmd.envs(registry_trust_env()).env("DOCKER_BUILDKIT", "1");
        cmd
    };
    cmd.stdin(Stdio::null());
    cmd
}

/// What points this engine's docker client at the daemon on `socket`,
/// with the client configuration in `config`.
fn client_env(socket: &Path, config: &Path) -> Vec<(&'static str, String)> {
    let path = std::env::var("PATH").unwrap_or_default();
    let mut env = vec![
        (
            "PATH",
            format!("{}:{path}", engine_prefix().join("bin").display()),
        ),
        ("DOCKER_HOST", format!("unix://{}", socket.display())),
        ("DOCKER_CONFIG", config.display().to_string()),
        ("DOCKER_BUILDKIT", "1".to_string()),
    ];
    env.extend(registry_trust_env());
    env
}

/// buildx itself asks the registry's token server for a token: the
/// engine's local registry CA must be trusted by the client too.
fn registry_trust_env() -> Option<(&'static str, String)> {
    let trust = engine_prefix().join("registry/trust");
    trust.is_dir().then(|| {
        (
            "SSL_CERT_DIR",
            format!("/etc/ssl/certs:{}", trust.display()),
        )
    })
}

/// `docker build` of `dir` (its `Dockerfile`) as `tag`, with the host's
/// network and the plain progress log, and `extra` options.
fn build_dir(dir: &Path, tag: &str, extra: &[&str]) -> Output {
    let dir = dir.display().to_string();
    let args = [
        &["build", "--network=host", "--progress=plain"],
        extra,
        &["-t", tag, &dir],
    ]
    .concat();
    docker(&args)
}

fn docker(args: &[&str]) -> Output {
    docker_cmd()
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("cannot run docker {}: {e}", args.join(" ")))
}

fn check(out: &Output, what: &str) {
    assert!(
        out.status.success(),
        "{what} failed ({}):\n{}{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// The engine answers, or the test fails here with the engine's log.
fn require_engine() -> String {
    let out = docker_cmd()
        .args(["version", "--format", "{{.Server.Version}}"])
        .output();
    match out {
        Ok(out) if out.status.success() => String::from_utf8_lossy(&out.stdout).trim().to_string(),
        other => {
            let why = match other {
                Ok(out) => format!("{}: {}", out.status, String::from_utf8_lossy(&out.stderr)),
                Err(e) => format!("cannot run docker: {e}"),
            };
            let log_path = engine_prefix().join("dockerd.log");
            let log = std::fs::read_to_string(&log_path)
                .map(|t| tail(&t, 40))
                .unwrap_or_else(|e| format!("(cannot read {}: {e})", log_path.display()));
            panic!(
                "\n\nTHE DOCKER ENGINE IS NOT REACHABLE: `docker version` failed ({why})\n\
                 Start it with `bash scripts/engine.sh start` (or run `bash scripts/e2e.sh`).\n\
                 {IGNORE}\n--- last lines of {}:\n{log}\n",
                log_path.display()
            );
        }
    }
}

fn inspect_image(tag: &str, format: &str) -> String {
    let out = docker(&["image", "inspect", "-f", format, tag]);
    check(&out, &format!("docker image inspect {tag}"));
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

fn image_size(tag: &str) -> u64 {
    let size = inspect_image(tag, "{{.Size}}");
    size.parse()
        .unwrap_or_else(|_| panic!("{tag}: size {size:?} is not a number"))
}

/// A container, removed when dropped (also when a check fails).
struct Container(String);

/// A container made from `tag` and never started: its files can be copied
/// out, whatever the image's platform.
fn created(tag: &str) -> Container {
    let out = docker(&["create", tag]);
    check(&out, &format!("docker create {tag}"));
    Container(String::from_utf8_lossy(&out.stdout).trim().to_string())
}

impl Container {
    /// `docker cp` of `from` in the container to `dest` on the host.
    fn copy_out(&self, from: &str, dest: &Path) -> PathBuf {
        let out = docker(&[
            "cp",
            &format!("{}:{from}", self.0),
            &dest.display().to_string(),
        ]);
        check(&out, &format!("docker cp {from}"));
        dest.to_path_buf()
    }

    fn inspect(&self, format: &str) -> String {
        let out = docker(&["inspect", "-f", format, &self.0]);
        check(&out, &format!("docker inspect {}", self.0));
        String::from_utf8_lossy(&out.stdout).trim().to_string()
    }

    fn running(&self) -> bool {
        self.inspect("{{.State.Running}}") == "true"
    }

    fn logs(&self) -> String {
        said(&docker(&["logs", "--tail", "60", &self.0]))
    }

    /// The HEALTHCHECK reports healthy within 30 s (the image must have one).
    fn wait_healthy(&self, case: &Case) {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let health = self.inspect("{{if .State.Health}}{{.State.Health.Status}}{{end}}");
            match health.as_str() {
                "healthy" => return,
                "" => panic!("{}: the image has no HEALTHCHECK", case.name),
                "unhealthy" => {}
                _ if Instant::now() < deadline => {
                    std::thread::sleep(Duration::from_millis(250));
                    continue;
                }
                _ => {}
            }
            panic!(
                "{}: health is {health:?}; probes: {}",
                case.name,
                self.inspect("{{json .State.Health.Log}}")
            );
        }
    }

    fn stop(&self) {
        let out = docker(&["stop", "-t", "10", &self.0]);
        check(&out, &format!("docker stop {}", self.0));
    }
}

impl Drop for Container {
    fn drop(&mut self) {
        // `-v`: with the anonymous volumes of the image's VOLUMEs.
        let _ = docker(&["rm", "-f", "-v", &self.0]);
    }
}

/// The image ids a case's tags have named, before its builds and after each,
/// so that the ones the tags no longer name at the end (replaced by a later
/// build, here or in an earlier run) are removed, also when a check fails.
struct Images {
    tags: Vec<String>,
    ids: Vec<String>,
}

impl Images {
    fn new(tags: &[&str]) -> Images {
        let mut images = Images {
            tags: tags.iter().map(|t| t.to_string()).collect(),
            ids: Vec::new(),
        };
        for tag in tags {
            images.add(tag);
        }
        images
    }

    fn add(&mut self, tag: &str) {
        if let Some(id) = image_id(tag) {
            if !self.ids.contains(&id) {
                self.ids.push(id);
            }
        }
    }
}

impl Drop for Images {
    fn drop(&mut self) {
        let kept: Vec<String> = self.tags.iter().filter_map(|t| image_id(t)).collect();
        for id in self.ids.iter().filter(|id| !kept.contains(id)) {
            let _ = docker(&["image", "rm", id]);
        }
    }
}

fn image_id(tag: &str) -> Option<String> {
    let out = docker(&["image", "inspect", "-f", "{{.Id}}", tag]);
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).trim().to_string())
}

// ------------------------------------------------------------------ helpers

/// `GET path` over HTTP/1.0 on 127.0.0.1: status and body.
fn http_get(port: u16, path: &str) -> std::io::Result<(u16, String)> {
    let addr = SocketAddr::from(([127, 0, 0, 1], port));
    let mut stream = TcpStream::connect_timeout(&addr, Duration::from_secs(2))?;
    stream.set_read_timeout(Some(Duration::from_secs(5)))?;
    stream.set_write_timeout(Some(Duration::from_secs(5)))?;
    write!(
        stream,
        "GET {path} HTTP/1.0\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n\r\n"
    )?;
    let mut response = String::new();
    stream.read_to_string(&mut response)?;
    let (head, body) = response.split_once("\r\n\r\n").unwrap_or((&response, ""));
    let status = head
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| std::io::Error::other(format!("not an HTTP response: {response:?}")))?;
    Ok((status, body.to_string()))
}

fn nonce() -> String {
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0);
    format!("{}-{nanos}", std::process::id())
}

fn edit(path: &Path, f: impl FnOnce(&str) -> String) {
    let text = std::fs::read_to_string(path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    let new = f(&text);
    assert_ne!(new, text, "editing {} changed nothing", path.display());
    write(path, &new);
}

fn write(path: &Path, text: &str) {
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent)
            .unwrap_or_else(|e| panic!("cannot create {}: {e}", parent.display()));
    }
    std::fs::write(path, text).unwrap_or_else(|e| panic!("cannot write {}: {e}", path.display()));
}

/// What a command printed, standard output then standard error.
fn said(out: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

fn tail(text: &str, lines: usize) -> String {
    let all: Vec<&str> = text.lines().collect();
    all[all.len().saturating_sub(lines)..].join("\n")
}

// ------------------------------------------------------------------ cross-compiling

// ------------------------------------------------------------ examples

/// An example whose registries the engine reaches, built from the
/// Dockerfile committed beside its spec (what a user who copies it gets).
struct Example {
    dir: &'static str,
    dockerfile: &'static str,
    /// Bases the Dockerfile names that the engine has no image of, each
    /// with the stand-in built in its place (`--build-context`).
    stand_ins: &'static [StandIn],
}

struct StandIn {
    base: &'static str,
    with: &'static str,
    /// Environment the stand-in needs on this network only (as
    /// `Case::base_env`): tools that trust their own CA bundle, a registry
    /// mirror for corepack.
    env: &'static [(&'static str, &'static str)],
}

const NODE_20: StandIn = StandIn {
    base: "node:20-bookworm-slim",
    with: "node:20-trixie-slim",
    env: &[],
};
// psycopg2 2.9.9 does not compile for Python 3.13: the 3.12 examples that
// allow it take Debian 12's 3.11, the others Debian 13's 3.13.
const PYTHON_312_AS_311: StandIn = StandIn {
    base: "python:3.12-slim-bookworm",
    with: "python:3.11-slim-bookworm",
    env: &[],
};
const PYTHON_312_AS_313: StandIn = StandIn {
    base: "python:3.12-slim-bookworm",
    with: "python:3.13-slim-trixie",
    env: &[],
};

const EXAMPLES: &[Example] = &[
    Example {
        dir: "node-service",
        dockerfile: "Dockerfile",
        stand_ins: &[NODE_20],
    },
    Example {
        dir: "node-workspace",
        dockerfile: "Dockerfile",
        stand_ins: &[NODE_20],
    },
    Example {
        dir: "node-yarn",
        dockerfile: "Dockerfile",
        stand_ins: &[NODE_20],
    },
    Example {
        dir: "node-yarn-berry",
        dockerfile: "Dockerfile",
        // Yarn 4 from the npm registry, not repo.yarnpkg.com.
        stand_ins: &[StandIn {
            env: &[("COREPACK_NPM_REGISTRY", "https://registry.npmjs.org")],
            ..NODE_20
        }],
    },
    Example {
        dir: "node-pnpm",
        dockerfile: "Dockerfile",
        stand_ins: &[NODE_20],
    },
    Example {
        dir: "static-site",
        dockerfile: "Dockerfile",
        stand_ins: &[
            NODE_20,
            StandIn {
                base: "nginxinc/nginx-unprivileged:1.27-alpine",
                with: "nginx-unprivileged:bookworm",
                env: &[],
            },
        ],
    },
    Example {
        dir: "fullstack",
        dockerfile: "Dockerfile",
        stand_ins: &[PYTHON_312_AS_311, NODE_20],
    },
    Example {
        dir: "python-api",
        dockerfile: "Dockerfile",
        stand_ins: &[PYTHON_312_AS_311],
    },
    Example {
        dir: "python-hashes",
        dockerfile: "Dockerfile",
        stand_ins: &[PYTHON_312_AS_313],
    },
    Example {
        dir: "python-poetry",
        dockerfile: "Dockerfile",
        // The project requires Python ^3.12; Poetry's requests trusts
        // certifi's bundle alone.
        stand_ins: &[StandIn {
            env: &[("REQUESTS_CA_BUNDLE", "/etc/ssl/certs/ca-certificates.crt")],
            ..PYTHON_312_AS_313
        }],
    },
    Example {
        dir: "python-uv",
        dockerfile: "Dockerfile",
        stand_ins: &[PYTHON_312_AS_313],
    },
    Example {
        dir: "monorepo",
        dockerfile: "orders.Dockerfile",
        stand_ins: &[PYTHON_312_AS_311],
    },
    Example {
        dir: "monorepo",
        dockerfile: "invoices.Dockerfile",
        stand_ins: &[PYTHON_312_AS_311],
    },
    Example {
        dir: "go-scratch",
        dockerfile: "Dockerfile",
        stand_ins: &[StandIn {
            base: "golang:1.22-bookworm",
            with: "golang:1.19-bookworm",
            env: &[],
        }],
    },
    Example {
        dir: "rust-cargo",
        dockerfile: "Dockerfile",
        stand_ins: &[
            StandIn {
                base: "rust:1.82-slim-bookworm",
                with: "rust:1.85-slim-trixie",
                env: &[],
            },
            // Built on trixie's glibc, so run on trixie's.
            StandIn {
                base: "gcr.io/distroless/cc-debian12:nonroot",
                with: "gcr.io/distroless/cc-debian13:nonroot",
                env: &[],
            },
        ],
    },
];

/// Every example whose registries the engine reaches builds from its
/// committed Dockerfile, runs as a numeric non-root user, and starts: three
/// seconds after `docker run` (no network) it still runs, or it has exited
/// 0 (a worker or tool that did its job). A spec that compiles must build
/// and run; these are the specs users copy first.
#[test]
#[ignore = "needs a Docker engine: run scripts/engine.sh start, then cargo test --test e2e -- --ignored"]
fn examples_build_and_start() {
    let _engine = ENGINE.lock().unwrap_or_else(|e| e.into_inner());
    require_engine();
    let failures = build_and_start_examples(&repo_root().join("examples"), "examples");
    assert!(failures.is_empty(), "\n{}", failures.join("\n\n"));
}

/// Builds every example of [`EXAMPLES`] under `examples` on the engine
/// `docker_cmd` talks to, checks that it runs as a non-root user and
/// starts, and returns what failed. Build logs go to `target/e2e/<logs>/`.
fn build_and_start_examples(examples: &Path, logs: &str) -> Vec<String> {
    let logs = out_root().join(logs);
    std::fs::create_dir_all(&logs).expect("create the log directory");
    let mut failures = Vec::new();
    for (n, example) in EXAMPLES.iter().enumerate() {
        let name = format!("{}-{}", example.dir, example.dockerfile.to_lowercase());
        let tag = format!("imgspec-e2e/example-{n}");
        let mut images = Images::new(&[&tag]);
        let dir = examples.join(example.dir);
        let mut args = vec![
            "build".to_string(),
            "--network=host".to_string(),
            "--progress=plain".to_string(),
            "-f".to_string(),
            dir.join(example.dockerfile).display().to_string(),
            "-t".to_string(),
            tag.clone(),
        ];
        for (i, stand_in) in example.stand_ins.iter().enumerate() {
            let image = if stand_in.env.is_empty() {
                stand_in.with.to_string()
            } else {
                let derived = format!("imgspec-e2e/example-{n}-base-{i}");
                image_with_env(stand_in.with, stand_in.env, &derived);
                images.add(&derived);
                derived
            };
            args.push("--build-context".to_string());
            args.push(format!("{}=docker-image://{image}", stand_in.base));
        }
        args.push(dir.display().to_string());
        let started = Instant::now();
        let out = docker_cmd().args(&args).output().expect("docker build");
        let log = said(&out);
        std::fs::write(logs.join(format!("{name}.log")), &log).expect("write the build log");
        if !out.status.success() {
            failures.push(format!("{name}: the build failed:\n{}", tail(&log, 30)));
            continue;
        }
        images.add(&tag);
        let (uid, _) = image_user(&tag);
        if uid == 0 {
            failures.push(format!("{name}: the image runs as root"));
        }
        if let Err(why) = starts(&tag) {
            failures.push(format!("{name}: {why}"));
        }
        eprintln!(
            "[e2e examples] {name}: built in {:.1} s, starts",
            started.elapsed().as_secs_f64()
        );
    }
    failures
}

/// `imgspec init` on real project trees (tests/fixtures/init), as a user
/// runs it: the spec it writes compiles, builds on the engine (the bases
/// it names mapped to stand-ins, as for the examples) and starts as a
/// non-root user. The trees' dependencies come from PyPI and npm.
#[test]
#[ignore = "needs a Docker engine: run scripts/engine.sh start, then cargo test --test e2e -- --ignored"]
fn init_specs_build_and_start() {
    let _engine = ENGINE.lock().unwrap_or_else(|e| e.into_inner());
    require_engine();
    // Each tree, the stand-ins for the bases its spec names, and what the
    // deployment passes at start (init notes what the settings require).
    let trees: &[(&str, &[StandIn], &[&str])] = &[
        (
            "python-django-pip",
            &[PYTHON_312_AS_311],
            &["DJANGO_SECRET_KEY=e2e-only"],
        ),
        (
            "node-express-npm",
            &[StandIn {
                base: "node:22-bookworm-slim",
                with: "node:20-trixie-slim",
                env: &[],
            }],
            &[],
        ),
        (
            "static-html",
            &[StandIn {
                base: "nginxinc/nginx-unprivileged:1.27-alpine",
                with: "nginx-unprivileged:bookworm",
                env: &[],
            }],
            &[],
        ),
    ];
    let mut failures = Vec::new();
    for (n, (tree, stand_ins, env)) in trees.iter().enumerate() {
        let dir = out_root().join("init").join(tree);
        let _ = std::fs::remove_dir_all(&dir);
        copy_dir(&repo_root().join("tests/fixtures/init").join(tree), &dir);
        std::fs::create_dir_all(dir.join(".git")).expect("mark the project");
        let imgspec = |args: &[&str]| {
            Command::new(env!("CARGO_BIN_EXE_imgspec"))
                .args(args)
                .current_dir(&dir)
                .env("NO_COLOR", "1")
                .output()
                .expect("run imgspec")
        };
        check(&imgspec(&["init"]), &format!("imgspec init in {tree}"));
        check(
            &imgspec(&["compile", "service.imgspec"]),
            &format!("imgspec compile of {tree}'s spec"),
        );
        let tag = format!("imgspec-e2e/init-{n}");
        let _images = Images::new(&[&tag]);
        let mut args = vec![
            "build".to_string(),
            "--network=host".to_string(),
            "-t".to_string(),
            tag.clone(),
        ];
        for stand_in in stand_ins.iter() {
            args.push("--build-context".to_string());
            args.push(format!(
                "{}=docker-image://{}",
                stand_in.base, stand_in.with
            ));
        }
        args.push(dir.display().to_string());
        let out = docker_cmd().args(&args).output().expect("docker build");
        if !out.status.success() {
            failures.push(format!(
                "{tree}: the build failed:\n{}",
                tail(&said(&out), 30)
            ));
            continue;
        }
        if image_user(&tag).0 == 0 {
            failures.push(format!("{tree}: the image runs as root"));
        }
        let spec = std::fs::read_to_string(dir.join("service.imgspec")).expect("the spec");
        for variable in env.iter() {
            let name = variable.split('=').next().unwrap_or_default();
            assert!(
                spec.contains(name),
                "init did not note that {tree} needs {name}:\n{spec}"
            );
        }
        match starts_with_env(&tag, env) {
            Ok(()) => eprintln!("[e2e init] {tree}: init, compile, build, starts"),
            Err(why) => failures.push(format!("{tree}: {why}")),
        }
    }
    assert!(failures.is_empty(), "\n{}", failures.join("\n\n"));
}

/// A `writable` directory inside the work directory, which the runner
/// copies whole from the build stage, where a step made it: the copy
/// brings it root-owned, and the runner must hand it back (a Rails app's
/// tmp/ after assets:precompile). The container writes into it and into
/// what the build put there, as its non-root user, and exits 0.
#[test]
#[ignore = "needs a Docker engine: run scripts/engine.sh start, then cargo test --test e2e -- --ignored"]
fn writable_made_by_the_build() {
    let _engine = ENGINE.lock().unwrap_or_else(|e| e.into_inner());
    require_engine();
    let (dir, output) = prepare_project("runner", "built-dir.imgspec", "runner-built-dir");
    assert!(
        output
            .dockerfile
            .contains("RUN chown -R 10001:10001 /app/data"),
        "{}",
        output.dockerfile
    );
    let tag = "imgspec-e2e/runner-built-dir";
    let _images = Images::new(&[tag]);
    let out = build_dir(&dir, tag, &[]);
    check(&out, "docker build");
    assert_ne!(image_user(tag).0, 0, "the image runs as root");
    let run = docker(&["run", "--rm", "--network=none", tag]);
    check(
        &run,
        "the container writing into /app/data and /app/data/cache",
    );
}

/// `with`, plus `env`, tagged `tag`.
fn image_with_env(with: &str, env: &[(&str, &str)], tag: &str) {
    let mut dockerfile = format!("FROM {with}\n");
    for (name, value) in env {
        dockerfile.push_str(&format!("ENV {name}=\"{value}\"\n"));
    }
    let mut child = docker_cmd()
        .args(["build", "--network=none", "-q", "-t", tag, "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("docker build -");
    child
        .stdin
        .take()
        .expect("piped")
        .write_all(dockerfile.as_bytes())
        .expect("write the Dockerfile");
    let out = child.wait_with_output().expect("docker build -");
    check(&out, &format!("docker build -t {tag} - ({with} with env)"));
}

/// Runs `tag` with no network: after three seconds it must still run, or
/// have exited 0.
fn starts(tag: &str) -> Result<(), String> {
    starts_with_env(tag, &[])
}

/// As [`starts`], with environment variables the deployment would pass.
fn starts_with_env(tag: &str, env: &[&str]) -> Result<(), String> {
    let mut args = vec!["run", "-d", "--network=none"];
    for variable in env {
        args.extend(["-e", variable]);
    }
    args.push(tag);
    let out = docker(&args);
    check(&out, &format!("docker run {tag}"));
    let container = Container(String::from_utf8_lossy(&out.stdout).trim().to_string());
    std::thread::sleep(Duration::from_secs(3));
    let state = docker(&[
        "inspect",
        "-f",
        "{{.State.Running}} {{.State.ExitCode}}",
        &container.0,
    ]);
    check(&state, "docker inspect");
    let state = String::from_utf8_lossy(&state.stdout).trim().to_string();
    if state == "true 0" || state == "false 0" {
        return Ok(());
    }
    let logs = docker(&["logs", &container.0]);
    Err(format!(
        "it did not start (running, exit code: {state}); its output:\n{}{}",
        tail(&String::from_utf8_lossy(&logs.stdout), 20),
        tail(&String::from_utf8_lossy(&logs.stderr), 20)
    ))
}

/// `tests/e2e/go/cross.imgspec` (the go case with `cross_compile = true`)
/// built for linux/arm64 on this amd64 engine, with no emulator: the build
/// stages run natively on the builder's platform and cross-compile, and the
/// image's config and the binary's ELF header both say arm64.
#[test]
#[ignore = "needs a Docker engine: run scripts/engine.sh start, then cargo test --test e2e -- --ignored"]
fn go_cross_arm64() {
    let _engine = ENGINE.lock().unwrap_or_else(|e| e.into_inner());
    require_engine();
    let (dir, output) = prepare_project("go", "cross.imgspec", "go-cross");
    assert!(
        output
            .dockerfile
            .contains("FROM --platform=$BUILDPLATFORM golang:1.19-bookworm AS deps"),
        "{}",
        output.dockerfile
    );
    let tag = "imgspec-e2e/go-cross-arm64";
    let _images = Images::new(&[tag]);
    build_for_arm64(&dir, tag);
    // The binary itself: a 64-bit little-endian ELF for AArch64 (machine 183).
    let binary = created(tag).copy_out("/out/hello", &dir.join("hello-arm64"));
    assert_elf_machine(&binary, AARCH64);
    eprintln!(
        "[e2e go-cross] linux/arm64 image built without emulation; /out/hello is an AArch64 ELF"
    );
}

/// ELF machine numbers (`e_machine`).
const X86_64: u16 = 62;
const AARCH64: u16 = 183;

/// A 64-bit little-endian ELF file for `machine`.
fn assert_elf_machine(file: &Path, machine: u16) {
    let bytes = std::fs::read(file).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
    assert!(bytes.len() > 20, "{}: too short for ELF", file.display());
    assert_eq!(
        &bytes[..4],
        b"\x7fELF",
        "{}: not an ELF file",
        file.display()
    );
    assert_eq!(
        (bytes[4], bytes[5]),
        (2, 1),
        "{}: not 64-bit little-endian",
        file.display()
    );
    assert_eq!(
        u16::from_le_bytes([bytes[18], bytes[19]]),
        machine,
        "{}: for another machine than {machine}",
        file.display()
    );
}

/// `docker build --platform linux/arm64` of `dir` as `tag`, on this amd64
/// engine with no emulator; the image's config must say linux/arm64.
fn build_for_arm64(dir: &Path, tag: &str) {
    let out = build_dir(dir, tag, &["--platform", "linux/arm64"]);
    check(&out, "docker build --platform linux/arm64");
    assert_eq!(
        inspect_image(tag, "{{.Os}}/{{.Architecture}}"),
        "linux/arm64"
    );
}

/// `tests/e2e/static/cross.imgspec`: the static site built for linux/arm64
/// on the amd64 engine, which has no emulator, so nothing of the target's
/// platform may run. Node installs and builds on the builder's platform
/// (`FROM --platform=$BUILDPLATFORM`), and the runner takes the arm64 image
/// of the engine registry's nginx index and only copies files onto it.
#[test]
#[ignore = "needs a Docker engine: run scripts/engine.sh start, then cargo test --test e2e -- --ignored"]
fn static_site_cross_arm64() {
    let _engine = ENGINE.lock().unwrap_or_else(|e| e.into_inner());
    require_engine();
    let (dir, output) = prepare_project("static", "cross.imgspec", "static-cross");
    for line in [
        "FROM --platform=$BUILDPLATFORM node:18-bookworm-slim AS deps",
        "FROM localhost:5443/library/nginx-unprivileged:bookworm AS runtime",
    ] {
        assert!(
            output.dockerfile.contains(line),
            "{line}\n{}",
            output.dockerfile
        );
    }
    let runner = output
        .dockerfile
        .split("AS runtime")
        .nth(1)
        .expect("a runtime stage");
    assert!(
        !runner.contains("\nRUN "),
        "the runner runs a command of the target's platform:\n{runner}"
    );
    let tag = "imgspec-e2e/static-cross-arm64";
    let _images = Images::new(&[tag]);
    build_for_arm64(&dir, tag);
    let container = created(tag);
    // The server is the target's: nginx of the arm64 stand-in.
    let nginx = container.copy_out("/usr/sbin/nginx", &dir.join("nginx-arm64"));
    assert_elf_machine(&nginx, AARCH64);
    // The page is the one built on the builder's platform.
    let page = container.copy_out(
        "/usr/share/nginx/html/index.html",
        &dir.join("index-arm64.html"),
    );
    let page = std::fs::read_to_string(&page).expect("the copied page");
    assert!(
        page.contains("<h1>hello from static") && page.contains("<strong>marked</strong>"),
        "{page}"
    );
    eprintln!(
        "[e2e static-cross] linux/arm64 image built without emulation: the built site on the arm64 nginx"
    );
}

/// `tests/e2e/go/provenance.imgspec`: the OCI labels of `publish`, filled
/// from build arguments as `imgspec bake` passes them (a source with quotes
/// and `$`, which must not be expanded again), and `SOURCE_DATE_EPOCH` as
/// the image's creation time. A second build for another commit, at
/// another time, must run no step: the arguments are declared after the
/// runner's last layer and nowhere else.
#[test]
#[ignore = "needs a Docker engine: run scripts/engine.sh start, then cargo test --test e2e -- --ignored"]
fn provenance_labels_arrive_from_build_arguments() {
    let _engine = ENGINE.lock().unwrap_or_else(|e| e.into_inner());
    require_engine();
    let (dir, output) = prepare_project("go", "provenance.imgspec", "go-provenance");
    assert!(
        output
            .dockerfile
            .contains("LABEL org.opencontainers.image.created=\"${IMGSPEC_CREATED}\""),
        "{}",
        output.dockerfile
    );
    let tag = "imgspec-e2e/go-provenance";
    let mut images = Images::new(&[tag]);
    let source = r#"https://example.com/it's "quoted" $HOME"#;
    let build = |revision: &str, epoch: &str, created: &str, label: &str| {
        let out = docker(&[
            "build",
            "--network=host",
            "--progress=plain",
            "-t",
            tag,
            "--build-arg",
            &format!("IMGSPEC_REVISION={revision}"),
            "--build-arg",
            &format!("IMGSPEC_CREATED={created}"),
            "--build-arg",
            &format!("IMGSPEC_SOURCE={source}"),
            "--build-arg",
            &format!("SOURCE_DATE_EPOCH={epoch}"),
            &dir.display().to_string(),
        ]);
        check(&out, &format!("docker build ({label})"));
        let log = String::from_utf8_lossy(&out.stderr).into_owned();
        write(&dir.join(format!("build-{label}.log")), &log);
        log
    };
    let labels = || -> Value {
        serde_json::from_str(&inspect_image(tag, "{{json .Config.Labels}}")).expect("labels JSON")
    };

    let first = "0123456789abcdef0123456789abcdef01234567";
    build(first, "1714555800", "2024-05-01T09:30:00Z", "first");
    images.add(tag);
    let got = labels();
    assert_eq!(got["org.opencontainers.image.revision"], first, "{got}");
    assert_eq!(
        got["org.opencontainers.image.created"], "2024-05-01T09:30:00Z",
        "{got}"
    );
    assert_eq!(got["org.opencontainers.image.source"], source, "{got}");
    // The spec's version, through the image's own argument.
    assert_eq!(got["org.opencontainers.image.version"], "1.4.2", "{got}");
    // BuildKit takes the image's creation time from SOURCE_DATE_EPOCH.
    assert_eq!(inspect_image(tag, "{{.Created}}"), "2024-05-01T09:30:00Z");
    let layers = || inspect_image(tag, "{{json .RootFS.Layers}}");
    let first_layers = layers();

    let second = "89abcdef0123456789abcdef0123456789abcdef";
    let log = build(second, "1714642200", "2024-05-02T09:30:00Z", "second");
    images.add(tag);
    // Every RUN and COPY cached (BuildKit may report the WORKDIR straight
    // after `FROM scratch` as run: it is only a mkdir), and the same layers.
    let steps = parse_steps(&log);
    let rerun: Vec<&Step> = steps
        .iter()
        .filter(|s| s.instruction.starts_with("RUN ") || s.instruction.starts_with("COPY "))
        .filter(|s| s.status != Status::Cached)
        .collect();
    assert!(
        steps.len() >= 5 && rerun.is_empty(),
        "a new commit re-ran {rerun:#?}\n{}",
        tail(&log, 60)
    );
    assert_eq!(layers(), first_layers, "a new commit changed a layer");
    let got = labels();
    assert_eq!(got["org.opencontainers.image.revision"], second, "{got}");
    assert_eq!(
        got["org.opencontainers.image.created"], "2024-05-02T09:30:00Z",
        "{got}"
    );
    eprintln!(
        "[e2e provenance] OCI labels as given, Created from SOURCE_DATE_EPOCH; \
         another commit: {} steps, every RUN and COPY cached, the same layers",
        steps.len()
    );
}

// ------------------------------------------------------------------ hostile values

/// `tests/e2e/hostile/service.imgspec`: quotes, `$`, backslashes, spaces and
/// `[` in COPY sources, the work directory, ENV and LABEL. BuildKit's lexer
/// reads all of these in its own way; the built image must hold each value
/// exactly as the spec wrote it, judged from the image itself.
#[test]
#[ignore = "needs a Docker engine: run scripts/engine.sh start, then cargo test --test e2e -- --ignored"]
fn hostile_values_arrive_as_written() {
    let _engine = ENGINE.lock().unwrap_or_else(|e| e.into_inner());
    require_engine();
    let (dir, _) = prepare_project("hostile", "service.imgspec", "hostile");
    let tag = "imgspec-e2e/hostile";
    let _images = Images::new(&[tag]);
    let out = build_dir(&dir, tag, &[]);
    check(&out, "docker build (hostile values)");

    let workdir = r#"/srv/it's "here" $HOME"#;
    assert_eq!(inspect_image(tag, "{{.Config.WorkingDir}}"), workdir);
    let env: Vec<String> =
        serde_json::from_str(&inspect_image(tag, "{{json .Config.Env}}")).expect("env JSON");
    for expected in [
        r#"QUOTES=it's "quoted""#,
        "LITERAL_DOLLAR=cost: $5 and $HOME",
        r"BACKSLASH=back\slash, \n and \\ kept",
        "SPACES=  padded  ",
    ] {
        assert!(
            env.iter().any(|e| e == expected),
            "{expected:?} not in {env:#?}"
        );
    }
    let labels: Value =
        serde_json::from_str(&inspect_image(tag, "{{json .Config.Labels}}")).expect("labels JSON");
    assert_eq!(
        labels["org.example.hostile"], r#"a'b"c $HOME \ end"#,
        "{labels}"
    );
    // The files, at their exact names and with their contents.
    let container = created(tag);
    for (name, contents) in [
        ("it's.txt", "one\n"),
        ("dollar$HOME.txt", "two\n"),
        ("sp ace.txt", "three\n"),
        ("br[a]cket.txt", "four\n"),
        ("dir 'q'/in.txt", "five\n"),
    ] {
        let target = dir.join("copied");
        let _ = std::fs::remove_file(&target);
        let copied = docker(&[
            "cp",
            &format!("{}:{workdir}/{name}", container.0),
            &target.display().to_string(),
        ]);
        assert!(
            copied.status.success(),
            "{name} is not at {workdir}/{name} in the image: {}",
            String::from_utf8_lossy(&copied.stderr)
        );
        assert_eq!(
            std::fs::read_to_string(&target).expect("copied"),
            contents,
            "{name}"
        );
    }
    eprintln!("[e2e hostile] WORKDIR, COPY sources, ENV and LABEL hold their values exactly");
}

// ------------------------------------------------------------------ lock

/// `imgspec lock` against the engine's registry, TLS and token
/// authentication as real registries have them: the private image needs
/// the Docker configuration's credentials (without them: E0162 and no lock
/// file), a multi-platform tag locks its index digest (the one the
/// registry serves), a moved tag fails `lock --check --remote` and is
/// moved by `update`, and the image compiled from the lock file builds on
/// the engine, which pulls its base by that digest.
#[test]
#[ignore = "needs a Docker engine: run scripts/engine.sh start, then cargo test --test e2e -- --ignored"]
fn lock_against_the_engine_registry_and_build_by_digest() {
    let _engine = ENGINE.lock().unwrap_or_else(|e| e.into_inner());
    require_engine();
    let reg = LocalRegistry::from_env();
    let host = reg.host.clone();
    let dir = out_root().join("lock-registry");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join(".git")).expect("create the project");
    let spec = format!(
        "base remote(reference: string) {{\n  ref      = reference\n  distro   = debian\n  libc     = glibc\n  shell    = bash\n  packages = apt\n}}\n\n\
         image app {{\n  base = remote(reference: \"{host}/library/python:3.11-slim-bookworm\")\n  run {{\n    cmd = [\"python\", \"-c\", \"print('locked')\"]\n  }}\n}}\n\n\
         image tool {{\n  base = remote(reference: \"{host}/library/tool:1.0\")\n  run {{\n    cmd = [\"/tool\"]\n  }}\n}}\n\n\
         image moving {{\n  base = remote(reference: \"{host}/library/tool:moving\")\n  run {{\n    cmd = [\"/tool\"]\n  }}\n}}\n\n\
         image private {{\n  base = remote(reference: \"{host}/private/app:1.0\")\n  run {{\n    cmd = [\"/app\"]\n  }}\n}}\n"
    );
    write(&dir.join("app.imgspec"), &spec);
    // The registry's CA, where Docker would look for it.
    let certs = dir.join("certs.d");
    std::fs::create_dir_all(certs.join(&host)).expect("certs.d");
    std::fs::copy(&reg.ca, certs.join(&host).join("ca.crt")).expect("copy the CA");
    let anonymous = dir.join("docker-anonymous");
    std::fs::create_dir_all(&anonymous).expect("config dir");
    let logged_in = dir.join("docker-login");
    std::fs::create_dir_all(&logged_in).expect("config dir");
    let auth = {
        use base64::Engine as _;
        base64::engine::general_purpose::STANDARD.encode(format!("{}:{}", reg.user, reg.password))
    };
    write(
        &logged_in.join("config.json"),
        &format!("{{\"auths\": {{\"{host}\": {{\"auth\": \"{auth}\"}}}}}}"),
    );
    let imgspec = |args: &[&str], config: &Path| -> Output {
        let mut command = Command::new(env!("CARGO_BIN_EXE_imgspec"));
        command.args(args);
        if matches!(args.first(), Some(&"lock") | Some(&"update")) {
            command.arg("--certs-dir").arg(&certs);
        }
        command
            .current_dir(&dir)
            .env("DOCKER_CONFIG", config)
            .env("NO_COLOR", "1")
            .output()
            .expect("run imgspec")
    };
    // Anonymous: the public images resolve, the private one does not.
    let out = imgspec(&["lock", "app.imgspec"], &anonymous);
    assert_eq!(out.status.code(), Some(1), "{}", said(&out));
    assert!(
        said(&out).contains("E0162") && said(&out).contains("private/app:1.0"),
        "{}",
        said(&out)
    );
    assert!(
        !dir.join("imgspec.lock").exists(),
        "a lock file was written after a failure"
    );

    let out = imgspec(&["lock", "app.imgspec"], &logged_in);
    assert!(out.status.success(), "{}", said(&out));
    let lock = std::fs::read_to_string(dir.join("imgspec.lock")).expect("the lock file");

    // The index digest the registry serves for tool:1.0, asked with curl.
    let first = reg.curl(&["-I"], &reg.url("library/tool/manifests/1.0"));
    let challenge = bearer_challenge(&first);
    let token = reg
        .token(&challenge, "repository:library/tool:pull", false)
        .json()["token"]
        .as_str()
        .expect("a token")
        .to_string();
    let index = reg
        .get(
            "HEAD",
            "library/tool/manifests/1.0",
            &token,
            "application/vnd.oci.image.index.v1+json",
        )
        .digest();
    assert!(
        lock.contains(&format!("reference = \"{host}/library/tool:1.0\"\ndigest = \"{index}\"\nplatforms = [\"linux/amd64\", \"linux/arm64/v8\"]")),
        "{lock}"
    );

    // A moved tag: offline the check passes, asking the registry it fails,
    // and `update` moves it.
    let moved = Command::new("bash")
        .args(["scripts/engine.sh", "registry-move", "library/tool:moving"])
        .current_dir(repo_root())
        .output()
        .expect("engine.sh registry-move");
    check(&moved, "engine.sh registry-move library/tool:moving");
    assert!(imgspec(&["lock", "--check", "app.imgspec"], &logged_in)
        .status
        .success());
    let out = imgspec(&["lock", "--check", "--remote", "app.imgspec"], &logged_in);
    assert_eq!(out.status.code(), Some(1), "{}", said(&out));
    assert!(
        said(&out).contains("tool:moving` has moved"),
        "{}",
        said(&out)
    );
    let out = imgspec(
        &[
            "update",
            &format!("{host}/library/tool:moving"),
            "--specs",
            "app.imgspec",
        ],
        &logged_in,
    );
    assert!(out.status.success(), "{}", said(&out));
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("tool:moving"),
        "{}",
        said(&out)
    );
    assert!(
        imgspec(&["lock", "--check", "--remote", "app.imgspec"], &logged_in)
            .status
            .success()
    );

    // Compiled from the lock file and built: the engine pulls the base by
    // the locked digest.
    let out = imgspec(
        &["compile", "app.imgspec", "--image", "app", "-o", "-"],
        &anonymous,
    );
    assert!(out.status.success(), "{}", said(&out));
    let dockerfile = String::from_utf8_lossy(&out.stdout).to_string();
    let line = lock
        .split("[[image]]")
        .find(|t| t.contains("library/python:3.11-slim-bookworm"))
        .and_then(|t| t.lines().find_map(|l| l.strip_prefix("digest = \"")))
        .map(|d| d.trim_end_matches('"').to_string())
        .expect("python's digest in the lock file");
    let from = format!("FROM {host}/library/python:3.11-slim-bookworm@{line}");
    assert!(dockerfile.contains(&from), "{dockerfile}");
    write(&dir.join("Dockerfile"), &dockerfile);
    let tag = "imgspec-e2e/lock-registry";
    let _images = Images::new(&[tag]);
    let out = build_dir(&dir, tag, &[]);
    check(&out, "docker build of the locked Dockerfile");
    let run = docker(&["run", "--rm", "--network=none", tag]);
    check(&run, "docker run");
    assert_eq!(String::from_utf8_lossy(&run.stdout).trim(), "locked");
    let pulled = inspect_image(&format!("{host}/library/python@{line}"), "{{.Id}}");
    assert!(pulled.starts_with("sha256:"), "{pulled}");
    // Put the moved tag back for the next run.
    let _ = Command::new("bash")
        .args(["scripts/engine.sh", "registry"])
        .current_dir(repo_root())
        .output();
    eprintln!("[e2e lock] locked against the TLS registry, moved, updated, built by digest");
}

/// Tools pinned by the lock file install as locked and are checked: uv from
/// PyPI (every file's sha256, `pip --require-hashes`) and corepack from
/// the npm registry (the tarball's sha512), on bases pulled by digest from
/// the local registry. Then the lock's digests are corrupted, and both
/// builds must fail on the check, not install what the registry served.
#[test]
#[ignore = "needs a Docker engine and its local registry: run scripts/e2e.sh"]
fn locked_tools_install_checked_against_their_hashes() {
    let _engine = ENGINE.lock().unwrap_or_else(|e| e.into_inner());
    require_engine();
    let reg = LocalRegistry::from_env();
    let host = reg.host.clone();
    let dir = out_root().join("tool-lock");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join(".git")).expect("create the project");
    let spec = format!(
        "base remote(reference: string) {{\n  ref      = reference\n  distro   = debian\n  libc     = glibc\n  shell    = bash\n  packages = apt\n}}\n\n\
         ecosystem uv_tool() {{\n  manifests = [\"requirements.txt\"]\n  tools     = [pypi_tool(\"uv\", \"0.13\")]\n  install   = \"/opt/uv/bin/uv --version > /opt/tool-version\"\n  output    = \"/opt/tool-version\"\n}}\n\n\
         ecosystem corepack_tool() {{\n  manifests = [\"package.json\"]\n  tools     = [npm_tool(\"corepack\", \"0.34\")]\n  install   = \"corepack --version > /opt/tool-version\"\n  cache     = [\"/root/.npm\"]\n  output    = \"/opt/tool-version\"\n}}\n\n\
         image py {{\n  base = remote(reference: \"{host}/library/python:3.11-slim-bookworm\")\n  deps = [uv_tool()]\n  run {{\n    cmd = [\"cat\", \"/opt/tool-version\"]\n  }}\n}}\n\n\
         image js {{\n  base = remote(reference: \"{host}/library/node:18-bookworm-slim\")\n  deps = [corepack_tool()]\n  run {{\n    cmd = [\"cat\", \"/opt/tool-version\"]\n  }}\n}}\n"
    );
    write(&dir.join("app.imgspec"), &spec);
    write(&dir.join("requirements.txt"), "\n");
    write(&dir.join("package.json"), "{}\n");
    let certs = dir.join("certs.d");
    std::fs::create_dir_all(certs.join(&host)).expect("certs.d");
    std::fs::copy(&reg.ca, certs.join(&host).join("ca.crt")).expect("copy the CA");
    let config = dir.join("docker-anonymous");
    std::fs::create_dir_all(&config).expect("config dir");
    let imgspec = |args: &[&str]| -> Output {
        let mut command = Command::new(env!("CARGO_BIN_EXE_imgspec"));
        command.args(args);
        if args.first() == Some(&"lock") {
            command.arg("--certs-dir").arg(&certs);
        }
        command
            .current_dir(&dir)
            .env("DOCKER_CONFIG", &config)
            .env("NO_COLOR", "1")
            .output()
            .expect("run imgspec")
    };
    let out = imgspec(&["lock", "app.imgspec"]);
    assert!(out.status.success(), "{}", said(&out));
    let lock = std::fs::read_to_string(dir.join("imgspec.lock")).expect("the lock file");
    let resolved = |package: &str| -> String {
        lock.split("[[tool]]")
            .find(|t| t.contains(&format!("package = \"{package}\"")))
            .and_then(|t| t.lines().find_map(|l| l.strip_prefix("resolved = \"")))
            .map(|v| v.trim_end_matches('"').to_string())
            .unwrap_or_else(|| panic!("{package} in the lock file:\n{lock}"))
    };
    let (uv, corepack) = (resolved("uv"), resolved("corepack"));
    assert!(
        uv.starts_with("0.13.") && corepack.starts_with("0.34."),
        "{lock}"
    );

    let build = |image: &str, label: &str| -> (Output, String) {
        let out = imgspec(&["compile", "app.imgspec", "--image", image, "-o", "-"]);
        assert!(out.status.success(), "{}", said(&out));
        let dockerfile = String::from_utf8_lossy(&out.stdout).to_string();
        let file = dir.join(format!("{image}-{label}.Dockerfile"));
        write(&file, &dockerfile);
        let tag = format!("imgspec-e2e/tool-lock-{image}");
        let out = docker(&[
            "build",
            "--network=host",
            "-f",
            &file.display().to_string(),
            "-t",
            &tag,
            &dir.display().to_string(),
        ]);
        (out, dockerfile)
    };
    let _images = Images::new(&["imgspec-e2e/tool-lock-py", "imgspec-e2e/tool-lock-js"]);
    for (image, expected) in [("py", format!("uv {uv}")), ("js", corepack.clone())] {
        let (out, dockerfile) = build(image, "locked");
        check(&out, &format!("docker build of the locked {image} image"));
        assert!(
            dockerfile.contains("--require-hashes") || dockerfile.contains("sha512sum -c"),
            "{dockerfile}"
        );
        let run = docker(&[
            "run",
            "--rm",
            "--network=none",
            &format!("imgspec-e2e/tool-lock-{image}"),
        ]);
        check(&run, "docker run");
        let version = String::from_utf8_lossy(&run.stdout).trim().to_string();
        assert!(
            version.starts_with(&expected),
            "{image}: {version} is not {expected}"
        );
    }

    // A digest the registry's files do not have: both installs refuse.
    let corrupt: String = lock
        .lines()
        .map(|l| match l.trim().strip_prefix("\"sha") {
            Some(rest) => {
                let (algorithm, hex) = rest.split_once(':').expect("a digest");
                let hex = hex.trim_end_matches("\",");
                format!("  \"sha{algorithm}:{}\",", "0".repeat(hex.len()))
            }
            None => l.to_string(),
        })
        .collect::<Vec<_>>()
        .join("\n");
    assert_ne!(corrupt, lock);
    write(&dir.join("imgspec.lock"), &format!("{corrupt}\n"));
    let (out, _) = build("py", "corrupt");
    assert!(!out.status.success(), "uv installed against a wrong digest");
    assert!(
        said(&out).contains("DO NOT MATCH THE HASHES"),
        "{}",
        said(&out)
    );
    let (out, _) = build("js", "corrupt");
    assert!(
        !out.status.success(),
        "corepack installed against a wrong digest"
    );
    assert!(said(&out).contains("FAILED"), "{}", said(&out));
    eprintln!("[e2e tool-lock] uv {uv} and corepack {corepack} installed by their locked digests; wrong digests refused");
}

// ------------------------------------------------------------------ local registry

/// The local registry of `scripts/engine.sh registry`, as its `env.sh` names it (the
/// script's own values when the variables are unset).
struct LocalRegistry {
    host: String,
    ca: PathBuf,
    user: String,
    password: String,
}

impl LocalRegistry {
    fn from_env() -> LocalRegistry {
        let var = |name: &str, default: &str| std::env::var(name).unwrap_or(default.to_string());
        LocalRegistry {
            host: var("IMGSPEC_REGISTRY", "localhost:5443"),
            ca: std::env::var_os("IMGSPEC_REGISTRY_CA")
                .map(PathBuf::from)
                .unwrap_or_else(|| engine_prefix().join("registry/ca.crt")),
            user: var("IMGSPEC_REGISTRY_USER", "imgspec"),
            password: var("IMGSPEC_REGISTRY_PASSWORD", "imgspec-registry"),
        }
    }

    /// `curl` trusting the registry's CA (which no system store holds), with `args`
    /// before the URL.
    fn curl(&self, args: &[&str], url: &str) -> Reply {
        let out = Command::new("curl")
            .args(["-sS", "-i", "--max-time", "30", "--cacert"])
            .arg(&self.ca)
            .args(args)
            .arg(url)
            .stdin(Stdio::null())
            .output()
            .unwrap_or_else(|e| panic!("cannot run curl: {e}"));
        assert!(
            out.status.success(),
            "curl {url} failed ({}): {}\nIs the registry up? Start it with \
             `bash scripts/engine.sh registry` (scripts/e2e.sh does).",
            out.status,
            String::from_utf8_lossy(&out.stderr)
        );
        Reply::parse(&out.stdout, url)
    }

    fn url(&self, path: &str) -> String {
        format!("https://{}/v2/{path}", self.host)
    }

    /// A token from the realm of `challenge` (anonymous without `credentials`).
    fn token(&self, challenge: &Challenge, scope: &str, credentials: bool) -> Reply {
        let mut args = vec![
            "-G".to_string(),
            "--data-urlencode".to_string(),
            format!("service={}", challenge.service),
            "--data-urlencode".to_string(),
            format!("scope={scope}"),
        ];
        if credentials {
            args.extend(["-u".to_string(), format!("{}:{}", self.user, self.password)]);
        }
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        self.curl(&args, &challenge.realm)
    }

    /// `GET` or `HEAD` with a bearer token and an Accept header.
    fn get(&self, method: &str, path: &str, token: &str, accept: &str) -> Reply {
        let auth = format!("Authorization: Bearer {token}");
        let accept = format!("Accept: {accept}");
        // curl -I: a HEAD whose Content-Length announces no body to wait for.
        let method = if method == "HEAD" { "-I" } else { "-G" };
        self.curl(&[method, "-H", &auth, "-H", &accept], &self.url(path))
    }
}

/// An HTTP response as curl printed it (`-i`): the last status line's status, headers
/// (names lowercased) and body.
struct Reply {
    status: u16,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Reply {
    fn parse(raw: &[u8], url: &str) -> Reply {
        let split = raw
            .windows(4)
            .position(|w| w == b"\r\n\r\n")
            .unwrap_or_else(|| {
                panic!(
                    "{url}: no header block in {:?}",
                    String::from_utf8_lossy(raw)
                )
            });
        let head = String::from_utf8_lossy(&raw[..split]).to_string();
        let mut lines = head.split("\r\n");
        let status = lines
            .next()
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|s| s.parse().ok())
            .unwrap_or_else(|| panic!("{url}: no status line in {head:?}"));
        let headers = lines
            .filter_map(|l| l.split_once(':'))
            .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_string()))
            .collect();
        Reply {
            status,
            headers,
            body: raw[split + 4..].to_vec(),
        }
    }

    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).to_string()
    }

    fn json(&self) -> Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.text()))
    }

    fn digest(&self) -> String {
        self.header("docker-content-digest")
            .unwrap_or_else(|| panic!("no Docker-Content-Digest: {:?}", self.headers))
            .to_string()
    }
}

/// The parameters of a `WWW-Authenticate: Bearer ...` header.
struct Challenge {
    realm: String,
    service: String,
    scope: String,
    error: String,
}

fn bearer_challenge(reply: &Reply) -> Challenge {
    let header = reply
        .header("www-authenticate")
        .unwrap_or_else(|| panic!("a {} without WWW-Authenticate", reply.status));
    let params = header
        .strip_prefix("Bearer ")
        .unwrap_or_else(|| panic!("not a Bearer challenge: {header}"));
    let mut found = BTreeMap::new();
    let mut rest = params;
    while let Some((key, after)) = rest.split_once("=\"") {
        let (value, tail) = after.split_once('"').expect("closing quote");
        found.insert(
            key.trim_start_matches(',').trim().to_string(),
            value.to_string(),
        );
        rest = tail;
    }
    let get = |k: &str| found.get(k).cloned().unwrap_or_default();
    Challenge {
        realm: get("realm"),
        service: get("service"),
        scope: get("scope"),
        error: get("error"),
    }
}

/// The claims of a JWT (its middle part, base64url without padding).
fn jwt_claims(token: &str) -> Value {
    let part = token.split('.').nth(1).expect("a JWT has three parts");
    let mut bits = 0u32;
    let mut nbits = 0;
    let mut bytes = Vec::new();
    for c in part.bytes() {
        let v = match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'-' => 62,
            b'_' => 63,
            _ => panic!("not base64url: {part}"),
        };
        bits = (bits << 6) | u32::from(v);
        nbits += 6;
        if nbits >= 8 {
            nbits -= 8;
            bytes.push((bits >> nbits) as u8);
            bits &= (1 << nbits) - 1;
        }
    }
    serde_json::from_slice(&bytes).expect("JWT claims are JSON")
}

fn sha256_hex(data: &[u8]) -> String {
    let mut child = Command::new("sha256sum")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("sha256sum");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(data)
        .expect("write to sha256sum");
    let out = child.wait_with_output().expect("sha256sum");
    let text = String::from_utf8_lossy(&out.stdout);
    format!("sha256:{}", text.split_whitespace().next().unwrap_or(""))
}

fn engine_script(args: &[&str]) -> String {
    let out = Command::new("bash")
        .arg(repo_root().join("scripts/engine.sh"))
        .args(args)
        .stdin(Stdio::null())
        .output()
        .expect("bash scripts/engine.sh");
    check(&out, &format!("scripts/engine.sh {}", args.join(" ")));
    String::from_utf8_lossy(&out.stdout).to_string()
}

const MANIFEST: &str = "application/vnd.docker.distribution.manifest.v2+json, \
                        application/vnd.oci.image.manifest.v1+json";
const INDEX: &str = "application/vnd.oci.image.index.v1+json, \
                     application/vnd.docker.distribution.manifest.list.v2+json";

/// The `os/architecture` of each entry of an index.
fn index_platforms(index: &Value) -> Vec<String> {
    index["manifests"]
        .as_array()
        .expect("an index has manifests")
        .iter()
        .map(|m| {
            format!(
                "{}/{}",
                m["platform"]["os"].as_str().unwrap_or("?"),
                m["platform"]["architecture"].as_str().unwrap_or("?")
            )
        })
        .collect()
}

/// The local registry of `scripts/engine.sh registry` behaves as Docker Hub and GHCR
/// do: Bearer challenges, tokens from the realm, anonymous pulls of `library/` only,
/// credentials for `private/`, multi-platform indexes in both formats, and a tag that
/// `registry-move` moves (and `registry` puts back).
#[test]
#[ignore = "needs a Docker engine: run scripts/engine.sh start, then cargo test --test e2e -- --ignored"]
fn local_registry_serves_tokens_and_indexes() {
    let _engine = ENGINE.lock().unwrap_or_else(|e| e.into_inner());
    require_engine();
    let reg = LocalRegistry::from_env();
    assert!(
        reg.ca.exists(),
        "no registry CA at {}: run `bash scripts/engine.sh registry`",
        reg.ca.display()
    );

    // Anonymous, no token: 401 and a Bearer challenge naming the scope.
    let first = reg.curl(
        &["-H", &format!("Accept: {MANIFEST}")],
        &reg.url("library/python/manifests/3.11"),
    );
    assert_eq!(first.status, 401, "{}", first.text());
    let challenge = bearer_challenge(&first);
    assert!(
        challenge.realm.starts_with("https://"),
        "{}",
        challenge.realm
    );
    assert!(!challenge.service.is_empty());
    assert_eq!(challenge.scope, "repository:library/python:pull");

    // An anonymous token from the realm: pull of library/python granted.
    let token = reg.token(&challenge, &challenge.scope, false);
    assert_eq!(token.status, 200, "{}", token.text());
    let jwt = token.json()["token"].as_str().expect("token").to_string();
    let claims = jwt_claims(&jwt);
    assert_eq!(claims["aud"], challenge.service.as_str());
    assert_eq!(
        claims["access"],
        json!([{"type": "repository", "name": "library/python", "actions": ["pull"]}])
    );
    let manifest = reg.get("GET", "library/python/manifests/3.11", &jwt, MANIFEST);
    assert_eq!(manifest.status, 200, "{}", manifest.text());
    let digest = manifest.digest();
    assert_eq!(
        digest,
        sha256_hex(&manifest.body),
        "the digest is the body's"
    );
    let long = reg.get(
        "HEAD",
        "library/python/manifests/3.11-slim-bookworm",
        &jwt,
        MANIFEST,
    );
    assert_eq!(
        (long.status, long.digest()),
        (200, digest.clone()),
        "3.11 and 3.11-slim-bookworm differ"
    );
    eprintln!("[e2e registry] anonymous pull of library/python:3.11 = {digest}");

    // Anonymous push is not granted.
    let push = reg.token(&challenge, "repository:library/python:pull,push", false);
    let push_jwt = push.json()["token"].as_str().expect("token").to_string();
    let upload = reg.curl(
        &[
            "-X",
            "POST",
            "-H",
            &format!("Authorization: Bearer {push_jwt}"),
        ],
        &reg.url("library/python/blobs/uploads/"),
    );
    assert_eq!(upload.status, 401, "anonymous push: {}", upload.text());

    // private/app: anonymous is refused, wrong credentials too, the right ones pass.
    let private = "private/app/manifests/1.0";
    let first = reg.curl(&["-H", &format!("Accept: {MANIFEST}")], &reg.url(private));
    assert_eq!(first.status, 401);
    let private_challenge = bearer_challenge(&first);
    let anonymous = reg.token(&private_challenge, &private_challenge.scope, false);
    if anonymous.status == 200 {
        let jwt = anonymous.json()["token"]
            .as_str()
            .expect("token")
            .to_string();
        let denied = reg.get("GET", private, &jwt, MANIFEST);
        assert_eq!(
            denied.status,
            401,
            "anonymous pull of private/app: {}",
            denied.text()
        );
        assert_eq!(bearer_challenge(&denied).error, "insufficient_scope");
    } else {
        assert_eq!(anonymous.status, 401, "{}", anonymous.text());
    }
    let wrong = reg.curl(
        &[
            "-G",
            "--data-urlencode",
            &format!("scope={}", private_challenge.scope),
            "-u",
            &format!("{}:not-the-password", reg.user),
        ],
        &private_challenge.realm,
    );
    assert_eq!(wrong.status, 401, "wrong password: {}", wrong.text());
    let granted = reg.token(&private_challenge, &private_challenge.scope, true);
    assert_eq!(granted.status, 200, "{}", granted.text());
    let jwt = granted.json()["token"].as_str().expect("token").to_string();
    let app = reg.get("GET", private, &jwt, MANIFEST);
    assert_eq!(
        app.status,
        200,
        "private/app with credentials: {}",
        app.text()
    );
    eprintln!(
        "[e2e registry] private/app:1.0 needs the credentials: {}",
        app.digest()
    );

    // Multi-platform: tool:1.0 is an OCI index, tool:0.9 a Docker manifest list, both
    // linux/amd64 and linux/arm64, whose images say so in their configs.
    let scope = "repository:library/tool:pull";
    let tool = reg.token(&challenge, scope, false).json()["token"]
        .as_str()
        .expect("token")
        .to_string();
    for (tag, media) in [
        ("1.0", "application/vnd.oci.image.index.v1+json"),
        (
            "0.9",
            "application/vnd.docker.distribution.manifest.list.v2+json",
        ),
    ] {
        let index = reg.get(
            "GET",
            &format!("library/tool/manifests/{tag}"),
            &tool,
            INDEX,
        );
        assert_eq!(index.status, 200, "{}", index.text());
        assert_eq!(index.header("content-type"), Some(media), "tool:{tag}");
        assert_eq!(index.digest(), sha256_hex(&index.body));
        let index = index.json();
        let platforms = index_platforms(&index);
        for want in ["linux/amd64", "linux/arm64"] {
            assert!(
                platforms.contains(&want.to_string()),
                "tool:{tag}: {platforms:?}"
            );
        }
        for entry in index["manifests"].as_array().expect("manifests") {
            let arch = entry["platform"]["architecture"].as_str().expect("arch");
            if arch == "unknown" {
                continue; // an attestation, as BuildKit attaches them
            }
            let child_digest = entry["digest"].as_str().expect("digest");
            let child = reg.get(
                "GET",
                &format!("library/tool/manifests/{child_digest}"),
                &tool,
                MANIFEST,
            );
            assert_eq!(child.status, 200, "{}", child.text());
            let config_digest = child.json()["config"]["digest"]
                .as_str()
                .expect("config")
                .to_string();
            let config = reg.get(
                "GET",
                &format!("library/tool/blobs/{config_digest}"),
                &tool,
                "*/*",
            );
            assert_eq!(config.status, 200);
            assert_eq!(
                config.json()["architecture"],
                arch,
                "tool:{tag} {child_digest}"
            );
        }
        eprintln!("[e2e registry] tool:{tag}: {media}, {platforms:?}");
    }

    // The engine pulls from it through the same token dance (its CA in certs.d).
    let pulled = "localhost:5443/library/tool:1.0";
    if reg.host == "localhost:5443" {
        check(
            &docker(&["pull", "-q", pulled]),
            "docker pull library/tool:1.0",
        );
        assert_eq!(
            inspect_image(pulled, "{{.Os}}/{{.Architecture}}"),
            "linux/amd64"
        );
        let _ = docker(&["image", "rm", pulled]);
    }

    // registry-move moves a tag (the index and every image in it), `registry` puts it back.
    let moving = "library/tool/manifests/moving";
    let before = reg.get("GET", moving, &tool, INDEX);
    assert_eq!(before.status, 200, "{}", before.text());
    let moved_log = engine_script(&["registry-move", "library/tool:moving"]);
    let after = reg.get("GET", moving, &tool, INDEX);
    assert_eq!(after.status, 200, "{}", after.text());
    assert_ne!(
        after.digest(),
        before.digest(),
        "registry-move left the digest: {moved_log}"
    );
    let children = |r: &Reply| -> Vec<String> {
        r.json()["manifests"]
            .as_array()
            .expect("manifests")
            .iter()
            .map(|m| m["digest"].as_str().unwrap_or("").to_string())
            .collect()
    };
    let (old, new) = (children(&before), children(&after));
    assert!(old.iter().all(|d| !new.contains(d)), "{old:?} -> {new:?}");
    assert_eq!(
        index_platforms(&after.json()),
        index_platforms(&before.json())
    );
    let one_oh = reg.get("HEAD", "library/tool/manifests/1.0", &tool, INDEX);
    assert_eq!(
        one_oh.digest(),
        before.digest(),
        "moving tool:moving moved tool:1.0"
    );
    eprintln!(
        "[e2e registry] registry-move: {} -> {}",
        before.digest(),
        after.digest()
    );
    engine_script(&["registry"]);
    let back = reg.get("HEAD", moving, &tool, INDEX);
    assert_eq!(
        back.digest(),
        before.digest(),
        "`engine.sh registry` did not put it back"
    );
}

/// A builder of `scripts/engine.sh builder NAME`: a fresh dockerd with the
/// containerd image store and an empty cache, as a CI runner starts one.
/// Removed with all it holds when dropped.
struct FreshBuilder {
    name: String,
    dir: PathBuf,
}

impl FreshBuilder {
    fn start(name: &str) -> FreshBuilder {
        let out = Command::new("bash")
            .args(["scripts/engine.sh", "builder", name])
            .current_dir(repo_root())
            .stdin(Stdio::null())
            .output()
            .expect("run scripts/engine.sh builder");
        check(&out, &format!("scripts/engine.sh builder {name}"));
        FreshBuilder {
            name: name.to_string(),
            dir: engine_prefix().join("builders").join(name),
        }
    }

    /// `docker ARGS` against this builder (and its client configuration:
    /// the registry's credentials and CA).
    fn docker(&self, args: &[&str]) -> Output {
        self.command(args)
            .output()
            .unwrap_or_else(|e| panic!("cannot run docker: {e}"))
    }

    /// [`FreshBuilder::docker`], to run elsewhere.
    fn command(&self, args: &[&str]) -> Command {
        let mut command = Command::new(engine_prefix().join("bin/docker"));
        command.args(args).envs(self.env()).stdin(Stdio::null());
        command
    }

    /// What points a docker client at this builder (as its `env.sh`).
    fn env(&self) -> Vec<(&'static str, String)> {
        client_env(
            &self.dir.join("docker.sock"),
            &self.dir.join("docker-config"),
        )
    }
}

impl Drop for FreshBuilder {
    fn drop(&mut self) {
        let _ = Command::new("bash")
            .args(["scripts/engine.sh", "builder-stop", &self.name])
            .current_dir(repo_root())
            .stdin(Stdio::null())
            .output();
    }
}

/// Two fresh builders, as two cold CI runners: the first builds the node
/// case and exports its cache to the engine's registry (`mode=max`, every
/// stage); the second, with an empty cache of its own, builds the next
/// commit (a source edit) with `--cache-from` that registry cache. It must
/// re-run no dependency step (the system packages, `npm ci`, the
/// production install): only the source copy and the compiler run.
#[test]
#[ignore = "needs a Docker engine and its local registry: run scripts/e2e.sh"]
fn registry_cache_across_fresh_builders() {
    let _engine = ENGINE.lock().unwrap_or_else(|e| e.into_inner());
    require_engine();
    let registry = LocalRegistry::from_env();
    let (dir, _) = prepare(&NODE);
    let context = dir.display().to_string();
    // No registry but the local one: the base comes from there.
    let base = format!(
        "node:18-bookworm-slim=docker-image://{}/library/node:18-bookworm-slim",
        registry.host
    );
    let cache = format!(
        "type=registry,ref={}/cache/e2e-node:buildcache",
        registry.host
    );
    let tag = "imgspec-e2e/node-cache";
    let build = |builder: &FreshBuilder, cache_flag: &str, cache_value: &str| {
        let started = Instant::now();
        let out = builder.docker(&[
            "buildx",
            "build",
            "--network=host",
            "--progress=plain",
            "--build-context",
            &base,
            cache_flag,
            cache_value,
            "-t",
            tag,
            &context,
        ]);
        check(
            &out,
            &format!(
                "docker buildx build {cache_flag} on builder {}",
                builder.name
            ),
        );
        (started.elapsed().as_secs_f64(), said(&out))
    };

    let first = FreshBuilder::start("cold-a");
    let (cold, log) = build(&first, "--cache-to", &format!("{cache},mode=max"));
    let steps = parse_steps(&log);
    let (cached, cold_steps) = counts(&steps);
    assert_eq!(
        cached,
        0,
        "the first builder is fresh, yet steps were cached:\n{}",
        tail(&log, 60)
    );
    assert!(cold_steps > 0, "no step ran:\n{}", tail(&log, 60));
    assert!(
        log.contains("exporting cache to registry"),
        "{}",
        tail(&log, 30)
    );
    drop(first);

    let nonce = nonce();
    let greeting = format!("hello from node after {nonce}");
    edit(&dir.join(NODE.source_file), |t| {
        t.replace(NODE.greeting, &greeting)
    });
    let second = FreshBuilder::start("cold-b");
    let (warm, log) = build(&second, "--cache-from", &cache);
    let steps = parse_steps(&log);
    let when = "on a fresh builder with the registry cache, after a source edit";
    let dependencies: Vec<&Step> = steps
        .iter()
        .filter(|s| is_system_packages(s) || s.instruction.contains("npm ci"))
        .collect();
    assert!(dependencies.len() >= 3, "dependency steps: {steps:#?}");
    expect_status(&NODE, when, &dependencies, Status::Cached, &log);
    let executed = steps_with(&steps, Status::Executed);
    assert!(
        executed
            .iter()
            .any(|s| s.instruction.contains(NODE.source_copy)),
        "{when}: the sources were not copied again: {steps:#?}"
    );
    assert!(
        executed
            .iter()
            .all(|s| !is_system_packages(s) && !s.instruction.contains("npm ci")),
        "{when}: {executed:#?}"
    );
    let out = second.docker(&[
        "run",
        "--rm",
        "--network=none",
        "--entrypoint",
        "grep",
        tag,
        "-c",
        &greeting,
        "/app/dist/server.js",
    ]);
    check(&out, "the edited greeting in the second builder's image");
    eprintln!(
        "[e2e cache] cold builder {cold:.1} s ({cold_steps} steps); a second fresh builder with \
         the registry cache, after a source edit, {warm:.1} s: {} steps cached, {} run ({})",
        steps_with(&steps, Status::Cached).len(),
        executed.len(),
        executed
            .iter()
            .map(|s| s.instruction.as_str())
            .collect::<Vec<_>>()
            .join("; ")
    );
}

/// `publish.platforms = ["linux/amd64", "linux/arm64"]` for the Go service
/// and the static site (`cross.imgspec` of each), built by one `docker
/// buildx bake` of the bake file `imgspec bake` writes, on a fresh builder
/// with no emulator, and pushed to the engine's registry. Each tag must be
/// an index of both platforms, and each platform's image must hold that
/// platform's binary: only the build stages ran, on the builder's platform.
#[test]
#[ignore = "needs a Docker engine and its local registry: run scripts/e2e.sh"]
fn multi_platform_bake_on_a_fresh_builder() {
    let _engine = ENGINE.lock().unwrap_or_else(|e| e.into_inner());
    require_engine();
    let registry = LocalRegistry::from_env();
    let root = out_root().join("multi-platform");
    let _ = std::fs::remove_dir_all(&root);
    for project in ["go", "static"] {
        copy_dir(
            &repo_root().join("tests/e2e").join(project),
            &root.join(project),
        );
    }
    let specs = ["go/cross.imgspec", "static/cross.imgspec"];
    for command in ["compile", "bake"] {
        let mut args = vec![command, "--root", "."];
        args.extend(specs);
        let out = common::imgspec(&root, &args);
        check(&out, &format!("imgspec {command}"));
    }
    // The builder reaches no registry but the local one: the Go toolchain
    // (the build stage's base) comes from there, as a bake file of CI
    // would name a mirror.
    let contexts = json!({ "target": {
        "hello": { "contexts": { "golang:1.19-bookworm":
            format!("docker-image://{}/library/golang:1.19-bookworm", registry.host) } },
        "site": { "contexts": { "node:18-bookworm-slim":
            format!("docker-image://{}/library/node:18-bookworm-slim", registry.host) } },
    }});
    write(&root.join("mirrors.json"), &contexts.to_string());

    let builder = FreshBuilder::start("multi");
    let started = Instant::now();
    let bake_file = root.join("docker-bake.json").display().to_string();
    let mirrors = root.join("mirrors.json").display().to_string();
    // bake takes the contexts relative to where it runs.
    let bake = |args: &[&str]| {
        builder
            .command(&[&["buildx", "bake", "-f", &bake_file, "-f", &mirrors], args].concat())
            .current_dir(&root)
            .output()
            .unwrap_or_else(|e| panic!("cannot run docker buildx bake: {e}"))
    };
    let out = bake(&["--progress=plain", "--push"]);
    check(
        &out,
        "docker buildx bake --push (two images, two platforms each)",
    );
    let seconds = started.elapsed().as_secs_f64();

    let binaries = [
        ("hello-multi", "/out/hello"),
        ("site-multi", "/usr/sbin/nginx"),
    ];
    for (repo, binary) in binaries {
        let reference = format!("{}/e2e/{repo}:latest", registry.host);
        // As pushed (buildx calls a registry on localhost plain HTTP).
        let path = format!("e2e/{repo}/manifests/latest");
        let challenge = bearer_challenge(&registry.curl(&["-I"], &registry.url(&path)));
        let token = registry
            .token(&challenge, &format!("repository:e2e/{repo}:pull"), true)
            .json()["token"]
            .as_str()
            .expect("a token")
            .to_string();
        let accept = "application/vnd.oci.image.index.v1+json, application/vnd.docker.distribution.manifest.list.v2+json";
        let index = registry.get("GET", &path, &token, accept).json();
        let mut platforms: Vec<String> = index["manifests"]
            .as_array()
            .expect("an index of manifests")
            .iter()
            .map(|m| {
                format!(
                    "{}/{}",
                    m["platform"]["os"].as_str().unwrap_or(""),
                    m["platform"]["architecture"].as_str().unwrap_or("")
                )
            })
            .filter(|p| p != "unknown/unknown")
            .collect();
        platforms.sort();
        assert_eq!(platforms, ["linux/amd64", "linux/arm64"], "{reference}");
        for (platform, machine) in [("linux/amd64", X86_64), ("linux/arm64", AARCH64)] {
            let pulled = builder.docker(&["pull", "--platform", platform, &reference]);
            check(
                &pulled,
                &format!("docker pull --platform {platform} {reference}"),
            );
            let created = builder.docker(&["create", "--platform", platform, &reference]);
            check(&created, &format!("docker create --platform {platform}"));
            let id = String::from_utf8_lossy(&created.stdout).trim().to_string();
            let file = root.join(format!("{repo}-{}", platform.replace('/', "-")));
            let copied =
                builder.docker(&["cp", &format!("{id}:{binary}"), &file.display().to_string()]);
            check(&copied, &format!("docker cp {binary} ({platform})"));
            assert_elf_machine(&file, machine);
            let _ = builder.docker(&["rm", &id]);
        }
    }
    eprintln!(
        "[e2e multi-platform] one bake, two images for linux/amd64 and linux/arm64 each, \
         no emulator, pushed in {seconds:.1} s"
    );
}

/// Every example of `examples_build_and_start`, built and started by an
/// unprivileged user on a rootless engine (`engine.sh rootless`:
/// dockerd-rootless.sh with Debian's rootlesskit, slirp4netns and uidmap).
/// The client runs as that user on a copy of the examples it can read, and
/// no process of the engine runs as root on the host.
#[test]
#[ignore = "needs a Docker engine: run scripts/e2e.sh"]
fn examples_build_rootless() {
    let _engine = ENGINE.lock().unwrap_or_else(|e| e.into_inner());
    require_engine();
    let mut stand_ins: Vec<&str> = EXAMPLES
        .iter()
        .flat_map(|e| e.stand_ins.iter().map(|s| s.with))
        .collect();
    stand_ins.sort_unstable();
    stand_ins.dedup();
    let started = Instant::now();
    let out = Command::new("bash")
        .args(["scripts/engine.sh", "rootless-load"])
        .args(&stand_ins)
        .current_dir(repo_root())
        .stdin(Stdio::null())
        .output()
        .expect("run scripts/engine.sh rootless-load");
    check(&out, "scripts/engine.sh rootless-load");
    let prepared = started.elapsed().as_secs_f64();

    let env_file = engine_prefix().join("rootless/env");
    let env: Vec<(String, String)> = std::fs::read_to_string(&env_file)
        .unwrap_or_else(|e| panic!("{}: {e}", env_file.display()))
        .lines()
        .filter_map(|l| l.strip_prefix("export ")?.split_once('='))
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    let name = env
        .iter()
        .find(|(k, _)| k == "ROOTLESS_USER")
        .map(|(_, v)| v.clone())
        .expect("the rootless user in the env file");
    let id = |flag: &str| -> u32 {
        let out = Command::new("id").args([flag, &name]).output().expect("id");
        String::from_utf8_lossy(&out.stdout)
            .trim()
            .parse()
            .unwrap_or_else(|e| panic!("id {flag} {name}: {e}"))
    };
    let user = RootlessUser {
        uid: id("-u"),
        gid: id("-g"),
        env,
    };
    assert_ne!(user.uid, 0, "the rootless user is root");

    // A copy the user can read: the checkout's parents may not be.
    let copy = std::env::temp_dir().join(format!("imgspec-e2e-rootless-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&copy);
    copy_dir(&repo_root().join("examples"), &copy);
    let _rootless = AsRootless::new(user.clone());
    let info = docker(&["info", "--format", "{{json .SecurityOptions}}"]);
    check(&info, "docker info on the rootless engine");
    assert!(
        said(&info).contains("rootless"),
        "not a rootless engine: {}",
        said(&info)
    );
    let engine_users = Command::new("ps")
        .args(["-o", "user=", "-C", "dockerd,containerd,rootlesskit"])
        .output()
        .expect("ps");
    let engine_users = String::from_utf8_lossy(&engine_users.stdout).to_string();
    assert!(
        engine_users.lines().any(|u| u.trim() == name),
        "no engine process of {name}: {engine_users}"
    );

    let building = Instant::now();
    let failures = build_and_start_examples(&copy, "examples-rootless");
    // The engine keeps nothing of the run: the stand-ins stay loaded.
    let _ = docker(&["builder", "prune", "-af"]);
    drop(_rootless);
    let _ = std::fs::remove_dir_all(&copy);
    assert!(failures.is_empty(), "\n{}", failures.join("\n\n"));
    eprintln!(
        "[e2e rootless] {} examples built and started by uid {} on a rootless engine in {:.0} s \
         (engine and bases ready in {prepared:.0} s)",
        EXAMPLES.len(),
        user.uid,
        building.elapsed().as_secs_f64()
    );
}

/// The build jobs of docs/ci.md's GitHub Actions and GitLab CI recipes,
/// their command lines run as written (`tests/common/recipes.rs` extracts
/// them) on fresh builders, with the engine's registry in place of
/// `registry.example.com`, on the page's `publish` example. Left out, and
/// printed: installing imgspec (the test's binary is on the PATH),
/// installing emulators and creating a `docker-container` builder (its
/// image is out of reach: the fresh builder, the docker driver with the
/// containerd image store, stands for it). The project builds for the
/// engine's platform alone, since the engine has no emulator. GitHub's job
/// runs first and pushes the image and the registry cache; GitLab's runs on
/// a second fresh builder and must run no `RUN` step: every one comes from
/// the cache the first exported.
#[test]
#[ignore = "needs a Docker engine and its local registry: run scripts/e2e.sh"]
fn ci_recipes_build_on_fresh_builders() {
    use common::recipes::{build_job, recipes};
    let _engine = ENGINE.lock().unwrap_or_else(|e| e.into_inner());
    require_engine();
    let registry = LocalRegistry::from_env();
    let page = std::fs::read_to_string(repo_root().join("docs/ci.md")).expect("docs/ci.md");
    let spec = common::doc_blocks(&page)
        .into_iter()
        .find(|b| b.text.contains("cache     ="))
        .expect("the publish example")
        .text
        .replace("registry.example.com", &registry.host)
        .replace(r#"["linux/amd64", "linux/arm64"]"#, r#"["linux/amd64"]"#);
    assert!(spec.contains(r#"platforms = ["linux/amd64"]"#), "{spec}");

    // A repository with the example at services/api, generated files committed.
    let root = out_root().join("ci-recipes");
    let _ = std::fs::remove_dir_all(&root);
    let api = root.join("services/api");
    copy_dir(&repo_root().join("examples/python-api"), &api);
    for generated in ["Dockerfile", "Dockerfile.dockerignore", "api.imgspec"] {
        let _ = std::fs::remove_file(api.join(generated));
    }
    write(&api.join("api.imgspec"), &spec);
    // The page's spec installs no build packages: no psycopg2 to compile.
    write(&api.join("requirements.txt"), "gunicorn==22.0.0\n");
    check(&common::imgspec(&root, &["compile"]), "imgspec compile");
    let git = |args: &[&str]| {
        let out = Command::new("git")
            .args(["-c", "user.name=ci", "-c", "user.email=ci@example.com"])
            .args(args)
            .current_dir(&root)
            .output()
            .expect("run git");
        check(&out, &format!("git {}", args.join(" ")));
        String::from_utf8_lossy(&out.stdout).trim().to_string()
    };
    git(&["init", "-q", "-b", "main"]);
    git(&["add", "-A"]);
    git(&["commit", "-q", "-m", "services"]);
    let sha = git(&["rev-parse", "HEAD"]);

    let skipped = |text: &str| {
        [
            "cargo install",
            "apk add",
            "docker run --privileged",
            "docker buildx create",
        ]
        .iter()
        .find(|prefix| text.starts_with(*prefix))
        .copied()
    };
    let bin = Path::new(env!("CARGO_BIN_EXE_imgspec"))
        .parent()
        .expect("the binary's directory")
        .to_path_buf();
    let all = recipes(&page);
    for (n, name) in ["github-actions", "gitlab-ci"].iter().enumerate() {
        let recipe = all
            .iter()
            .find(|r| r.name == *name)
            .unwrap_or_else(|| panic!("no recipe {name}"));
        let job = build_job(recipe).unwrap_or_else(|| panic!("{name}: no build job"));
        let mut script = String::from("set -euo pipefail\n");
        let mut left_out = Vec::new();
        for command in job.commands() {
            match skipped(&command.text) {
                Some(_) => left_out.push(command.text.clone()),
                None => {
                    script.push_str(&command.with_registry(&registry.host));
                    script.push('\n');
                }
            }
        }
        assert!(
            script.contains("docker buildx bake --push"),
            "{name}:\n{script}"
        );
        let builder = FreshBuilder::start(&format!("recipe-{n}"));
        // The example's base, as the examples test maps it.
        let pulled = builder.docker(&[
            "pull",
            &format!("{}/library/python:3.11-slim-bookworm", registry.host),
        ]);
        check(&pulled, "docker pull the python stand-in");
        let tagged = builder.docker(&[
            "tag",
            &format!("{}/library/python:3.11-slim-bookworm", registry.host),
            "python:3.12-slim-bookworm",
        ]);
        check(&tagged, "docker tag");
        let mut env = builder.env();
        for (name, value) in &mut env {
            if *name == "PATH" {
                *value = format!("{}:{value}", bin.display());
            }
        }
        let out = Command::new("bash")
            .arg("-c")
            .arg(&script)
            .envs(env)
            .env("GITHUB_SERVER_URL", "https://git.example.com")
            .env("GITHUB_REPOSITORY", "team/services")
            .env("CI_COMMIT_SHA", &sha)
            .env("CI_PROJECT_URL", "https://git.example.com/team/services")
            .env("CI_REGISTRY", &registry.host)
            .env("CI_REGISTRY_USER", &registry.user)
            .env("CI_REGISTRY_PASSWORD", &registry.password)
            .current_dir(&root)
            .stdin(Stdio::null())
            .output()
            .expect("run the recipe's commands");
        check(&out, &format!("the {name} recipe's build job"));
        let log = said(&out);
        let steps = parse_steps(&log);
        let runs: Vec<&Step> = steps
            .iter()
            .filter(|s| s.instruction.starts_with("RUN "))
            .collect();
        assert!(
            !runs.is_empty(),
            "{name}: no RUN step in the log:\n{}",
            tail(&log, 40)
        );
        if n > 0 {
            let ran: Vec<&&Step> = runs.iter().filter(|s| s.status != Status::Cached).collect();
            assert!(
                ran.is_empty(),
                "{name} on a fresh builder with the first recipe's registry cache ran {ran:#?}\n{}",
                tail(&log, 40)
            );
        }
        eprintln!(
            "[e2e ci recipes] {name}: the build job ran on a fresh builder, {} of {} RUN steps cached; left out: {left_out:?}",
            runs.iter().filter(|s| s.status == Status::Cached).count(),
            runs.len()
        );
    }
    // What the jobs pushed: the image and its registry cache.
    for (repo, tag) in [("team/api", "1.4.2"), ("team/cache/api", "latest")] {
        let path = format!("{repo}/manifests/{tag}");
        let challenge = bearer_challenge(&registry.curl(&["-I"], &registry.url(&path)));
        let token = registry
            .token(&challenge, &format!("repository:{repo}:pull"), true)
            .json()["token"]
            .as_str()
            .expect("a token")
            .to_string();
        let accept = "application/vnd.oci.image.index.v1+json, application/vnd.oci.image.manifest.v1+json, application/vnd.docker.distribution.manifest.v2+json";
        let got = registry.get("HEAD", &path, &token, accept);
        assert_eq!(got.status, 200, "{repo}:{tag} was not pushed");
    }
}
