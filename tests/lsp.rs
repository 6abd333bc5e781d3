//! `imgspec lsp` driven by a scripted client: the built binary is spawned
//! and spoken to in JSON-RPC with Content-Length framing, as an editor
//! would. Every read has a timeout, so a server that stops answering fails
//! the test instead of hanging it.

mod common;

use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use serde_json::{json, Value};

const TIMEOUT: Duration = Duration::from_secs(20);

struct Client {
    child: Child,
    stdin: Option<ChildStdin>,
    incoming: mpsc::Receiver<Value>,
    /// Notifications received while waiting for something else.
    notifications: Vec<Value>,
    next_id: i64,
}

impl Client {
    /// A server, initialized.
    fn start() -> Client {
        let mut client = Client::spawn();
        let init = client.request(
            "initialize",
            json!({ "processId": null, "rootUri": null, "capabilities": {} }),
        );
        assert!(init.get("result").is_some(), "initialize failed: {init}");
        client.notify("initialized", json!({}));
        client
    }

    fn spawn() -> Client {
        let mut child = Command::new(env!("CARGO_BIN_EXE_imgspec"))
            .arg("lsp")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("start imgspec lsp");
        let stdout = child.stdout.take().expect("stdout");
        let stdin = child.stdin.take();
        let (sender, incoming) = mpsc::channel();
        std::thread::spawn(move || {
            let mut reader = BufReader::new(stdout);
            while let Some(message) = read_frame(&mut reader) {
                if sender.send(message).is_err() {
                    return;
                }
            }
        });
        Client {
            child,
            stdin,
            incoming,
            notifications: Vec::new(),
            next_id: 0,
        }
    }

    fn send_raw(&mut self, body: &str) {
        let stdin = self.stdin.as_mut().expect("stdin open");
        write!(stdin, "Content-Length: {}\r\n\r\n{body}", body.len()).expect("write to server");
        stdin.flush().expect("flush");
    }

    fn send(&mut self, message: Value) {
        self.send_raw(&message.to_string());
    }

    fn notify(&mut self, method: &str, params: Value) {
        self.send(json!({ "jsonrpc": "2.0", "method": method, "params": params }));
    }

    /// Sends a request and returns the whole response.
    fn request(&mut self, method: &str, params: Value) -> Value {
        self.next_id += 1;
        let id = self.next_id;
        self.send(json!({ "jsonrpc": "2.0", "id": id, "method": method, "params": params }));
        self.response(&json!(id))
    }

    fn response(&mut self, id: &Value) -> Value {
        let deadline = Instant::now() + TIMEOUT;
        loop {
            let message = self.next(deadline);
            if message.get("method").is_none() && message.get("id") == Some(id) {
                return message;
            }
            self.notifications.push(message);
        }
    }

    fn next(&mut self, deadline: Instant) -> Value {
        let left = deadline.saturating_duration_since(Instant::now());
        self.incoming
            .recv_timeout(left)
            .unwrap_or_else(|e| panic!("no message from the server in time: {e}"))
    }

    /// The next diagnostics published for `uri`.
    fn diagnostics(&mut self, uri: &str) -> Vec<Value> {
        let deadline = Instant::now() + TIMEOUT;
        let is_ours = |m: &Value| {
            m["method"] == "textDocument/publishDiagnostics" && m["params"]["uri"] == uri
        };
        if let Some(i) = self.notifications.iter().position(is_ours) {
            let m = self.notifications.remove(i);
            return m["params"]["diagnostics"]
                .as_array()
                .cloned()
                .unwrap_or_default();
        }
        loop {
            let message = self.next(deadline);
            if is_ours(&message) {
                return message["params"]["diagnostics"]
                    .as_array()
                    .cloned()
                    .unwrap_or_default();
            }
            self.notifications.push(message);
        }
    }

    fn open(&mut self, uri: &str, text: &str) {
        self.notify(
            "textDocument/didOpen",
            json!({ "textDocument": { "uri": uri, "languageId": "imgspec", "version": 1, "text": text } }),
        );
    }

    fn change(&mut self, uri: &str, version: i32, text: &str) {
        self.notify(
            "textDocument/didChange",
            json!({ "textDocument": { "uri": uri, "version": version }, "contentChanges": [{ "text": text }] }),
        );
    }

    /// A request at the position of the `|` in `marked` (the document's
    /// text with a cursor mark), which is opened first.
    fn at(&mut self, uri: &str, marked: &str, method: &str) -> Value {
        let (line, character) = cursor(marked);
        self.open(uri, &marked.replace('|', ""));
        self.request(
            method,
            json!({ "textDocument": { "uri": uri }, "position": { "line": line, "character": character } }),
        )
    }

    /// `shutdown` then `exit`; the exit code.
    fn stop(mut self) -> i32 {
        let response = self.request("shutdown", Value::Null);
        assert!(
            response.get("error").is_none(),
            "shutdown failed: {response}"
        );
        self.notify("exit", Value::Null);
        drop(self.stdin.take());
        let deadline = Instant::now() + TIMEOUT;
        loop {
            if let Some(status) = self.child.try_wait().expect("wait for the server") {
                return status.code().unwrap_or(-1);
            }
            assert!(Instant::now() < deadline, "the server did not exit");
            std::thread::sleep(Duration::from_millis(10));
        }
    }
}

impl Drop for Client {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn read_frame(reader: &mut impl BufRead) -> Option<Value> {
    let mut length = None;
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).ok()? == 0 {
            return None;
        }
        let line = line.trim_end();
        if line.is_empty() {
            break;
        }
        if let Some(value) = line.strip_prefix("Content-Length: ") {
            length = value.parse::<usize>().ok();
        }
    }
    let mut body = vec![0; length?];
    reader.read_exact(&mut body).ok()?;
    serde_json::from_slice(&body).ok()
}

/// The line and UTF-16 column of the `|` in `marked`.
fn cursor(marked: &str) -> (usize, usize) {
    let offset = marked.find('|').expect("a cursor mark");
    let before = &marked[..offset];
    let line = before.matches('\n').count();
    let start = before.rfind('\n').map_or(0, |i| i + 1);
    (line, before[start..].encode_utf16().count())
}

fn file_uri(path: &Path) -> String {
    let path = path.canonicalize().expect("canonical path");
    let mut uri = String::from("file://");
    for byte in path.to_string_lossy().bytes() {
        match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'/' | b'-' | b'_' | b'.' | b'~' => {
                uri.push(byte as char)
            }
            _ => uri.push_str(&format!("%{byte:02X}")),
        }
    }
    uri
}

const MAIN: &str = r#"use std.python
use "./lib.imgspec" as lib

// Café ☕: a service
image api = python.service(version: "3.12") {
  sources = ["app.py"]
  run {
    env = { GREETING = "héllo 😀" }, cmd = ["python", "app.py"]
  }
}
"#;

const LIB: &str = r#"/// Company defaults.

/// The company's Python base.
base company(version: string = "3.12") {
  ref      = "python:{{ version }}-slim-bookworm"
  distro   = debian
  libc     = glibc
  shell    = bash
  packages = apt
}
"#;

/// A project with a service spec, its module and its context.
fn project(name: &str) -> std::path::PathBuf {
    common::workspace(
        &format!("lsp/{name}"),
        &[
            ("main.imgspec", MAIN),
            ("lib.imgspec", LIB),
            ("app.py", "print('hi')\n"),
            ("requirements.txt", "flask\n"),
        ],
    )
}

fn labels(items: &Value) -> Vec<String> {
    let list = items
        .as_array()
        .or_else(|| items["items"].as_array())
        .cloned()
        .unwrap_or_default();
    list.iter()
        .filter_map(|i| i["label"].as_str().map(str::to_string))
        .collect()
}

#[test]
fn initialize_announces_the_capabilities_and_exit_is_clean() {
    let mut client = Client::spawn();
    let response = client.request(
        "initialize",
        json!({ "processId": null, "rootUri": null, "capabilities": {} }),
    );
    let caps = &response["result"]["capabilities"];
    assert_eq!(caps["textDocumentSync"]["change"], 1, "{caps}");
    assert_eq!(caps["textDocumentSync"]["openClose"], true);
    assert_eq!(caps["hoverProvider"], true);
    assert_eq!(caps["definitionProvider"], true);
    assert!(caps["completionProvider"]["triggerCharacters"]
        .as_array()
        .is_some_and(|t| t.contains(&json!("."))));
    assert_eq!(
        caps["executeCommandProvider"]["commands"],
        json!(["imgspec.previewDockerfile"])
    );
    assert_eq!(caps["documentFormattingProvider"], true);
    assert_eq!(response["result"]["serverInfo"]["name"], "imgspec");
    client.notify("initialized", json!({}));
    assert_eq!(client.stop(), 0);
}

#[test]
fn diagnostics_follow_the_buffer_with_utf16_columns() {
    let dir = project("diagnostics");
    let uri = file_uri(&dir.join("main.imgspec"));
    let mut client = Client::start();
    client.open(&uri, MAIN);
    assert_eq!(client.diagnostics(&uri), Vec::<Value>::new());

    let broken = MAIN.replace("cmd = [", "cmdd = [");
    client.change(&uri, 2, &broken);
    let diagnostics = client.diagnostics(&uri);
    assert_eq!(diagnostics.len(), 1, "{diagnostics:?}");
    let d = &diagnostics[0];
    assert_eq!(d["code"], "E0007");
    assert_eq!(d["severity"], 1);
    assert_eq!(d["source"], "imgspec");
    let message = d["message"].as_str().unwrap_or_default();
    assert!(
        message.starts_with("a `run` block has no field `cmdd`"),
        "{message}"
    );
    assert!(message.contains("help: "), "{message}");
    // The emoji before it is two UTF-16 units, `é` one.
    let line = broken.lines().position(|l| l.contains("cmdd")).unwrap_or(0);
    let text = broken.lines().nth(line).unwrap_or_default();
    let column = text[..text.find("cmdd").unwrap_or(0)]
        .encode_utf16()
        .count();
    assert_eq!(
        d["range"],
        json!({ "start": { "line": line, "character": column }, "end": { "line": line, "character": column + 4 } })
    );

    client.change(&uri, 3, MAIN);
    assert_eq!(client.diagnostics(&uri), Vec::<Value>::new());
    assert_eq!(client.stop(), 0);
}

#[test]
fn diagnostics_of_an_imported_file_go_to_its_uri() {
    let dir = project("imported");
    let main = file_uri(&dir.join("main.imgspec"));
    let lib = file_uri(&dir.join("lib.imgspec"));
    std::fs::write(
        dir.join("lib.imgspec"),
        LIB.replace("libc     = glibc", "libc     = glibcc"),
    )
    .expect("write lib");
    let spec = MAIN.replace(
        "python.service(version: \"3.12\") {",
        "python.service(version: \"3.12\") {\n  base = lib.company()",
    );
    let mut client = Client::start();
    client.open(&main, &spec);
    let diagnostics = client.diagnostics(&lib);
    assert!(
        diagnostics
            .iter()
            .any(|d| d["code"] == "E0021"
                || d["message"].as_str().is_some_and(|m| m.contains("glibcc"))),
        "{diagnostics:?}"
    );
    assert_eq!(
        diagnostics[0]["range"]["start"]["line"], 6,
        "{diagnostics:?}"
    );

    // Fixing the module in its own buffer recompiles the importer.
    client.open(&lib, LIB);
    let mut fixed = client.diagnostics(&lib);
    while !fixed.is_empty() {
        fixed = client.diagnostics(&lib);
    }
    assert_eq!(client.stop(), 0);
}

#[test]
fn an_untitled_buffer_gets_syntax_and_type_diagnostics() {
    let mut client = Client::start();
    // A file whose name does not say it is a spec, opened as one.
    let odd = "file:///imgspec-lsp-nowhere/Imgspecfile";
    client.open(odd, "image a {\n");
    assert_eq!(
        client.diagnostics(odd).first().map(|d| &d["code"]),
        Some(&json!("E0001"))
    );
    client.open("untitled:Untitled-1", "image a {\n  base = \n");
    let diagnostics = client.diagnostics("untitled:Untitled-1");
    assert_eq!(
        diagnostics.first().map(|d| &d["code"]),
        Some(&json!("E0001"))
    );
    client.change(
        "untitled:Untitled-1",
        2,
        "use std.debian\nimage a {\n  base = debian.bookworm()\n  run { cmd = 1 }\n}\n",
    );
    let diagnostics = client.diagnostics("untitled:Untitled-1");
    assert!(
        diagnostics.iter().any(|d| d["code"] == "E0010"),
        "{diagnostics:?}"
    );
    assert_eq!(client.stop(), 0);
}

#[test]
fn completion_of_fields_modules_definitions_and_parameters() {
    let dir = project("completion");
    let uri = file_uri(&dir.join("main.imgspec"));
    let mut client = Client::start();

    let run = client.at(
        &uri,
        "use std.python\nimage api = python.service() {\n  run {\n    |\n",
        "textDocument/completion",
    );
    let fields = labels(&run["result"]);
    for field in ["cmd", "entrypoint", "user", "health", "env"] {
        assert!(fields.contains(&field.to_string()), "{fields:?}");
    }
    assert!(!fields.contains(&"sources".to_string()), "{fields:?}");
    let cmd = run["result"]
        .as_array()
        .and_then(|items| items.iter().find(|i| i["label"] == "cmd"))
        .cloned()
        .unwrap_or_default();
    assert_eq!(cmd["detail"], "command");
    assert!(cmd["documentation"]["value"]
        .as_str()
        .is_some_and(|d| d.contains("exec form")));

    let modules = client.at(&uri, "use std.|\n", "textDocument/completion");
    let modules = labels(&modules["result"]);
    for module in ["python", "node", "debian", "go"] {
        assert!(modules.contains(&module.to_string()), "{modules:?}");
    }

    let members = client.at(
        &uri,
        "use std.python\nimage api {\n  base = python.|\n",
        "textDocument/completion",
    );
    let members = labels(&members["result"]);
    for name in ["slim", "alpine", "pip", "uv", "service"] {
        assert!(members.contains(&name.to_string()), "{members:?}");
    }

    let params = client.at(
        &uri,
        "use std.python\nimage api {\n  base = python.slim(ver|\n",
        "textDocument/completion",
    );
    let items = params["result"].as_array().cloned().unwrap_or_default();
    let version = items
        .iter()
        .find(|i| i["label"] == "version:")
        .unwrap_or_else(|| panic!("no version: in {items:?}"));
    assert_eq!(version["insertText"], "version: ");
    assert_eq!(version["detail"], "version: string = \"3.12\"");

    // Enum words of a field, and what is in scope, where a value goes.
    let libc = client.at(
        &uri,
        "use std.python\nbase b {\n  libc = |\n",
        "textDocument/completion",
    );
    let values = labels(&libc["result"]);
    for value in ["glibc", "musl", "none", "python", "b"] {
        assert!(values.contains(&value.to_string()), "{values:?}");
    }
    assert_eq!(client.stop(), 0);
}

#[test]
fn hover_shows_documentation() {
    let dir = project("hover");
    let uri = file_uri(&dir.join("main.imgspec"));
    let mut client = Client::start();
    let hover = client.at(
        &uri,
        "use std.python\nimage api {\n  base = python.sl|im(version: \"3.12\")\n}\n",
        "textDocument/hover",
    );
    let value = hover["result"]["contents"]["value"]
        .as_str()
        .unwrap_or_default();
    assert!(
        value.contains("base slim(version: string = \"3.12\""),
        "{value}"
    );
    assert!(
        value.contains("The official Debian Python image"),
        "{value}"
    );
    assert!(
        !value.contains("Python: the official images"),
        "module docs leaked: {value}"
    );

    let param = client.at(
        &uri,
        "use std.python\nimage api {\n  base = python.slim(rel|ease: \"trixie\")\n}\n",
        "textDocument/hover",
    );
    let value = param["result"]["contents"]["value"]
        .as_str()
        .unwrap_or_default();
    assert!(value.contains("release: string = \"bookworm\""), "{value}");

    let field = client.at(
        &uri,
        "image api {\n  work|dir = \"/srv\"\n}\n",
        "textDocument/hover",
    );
    let value = field["result"]["contents"]["value"]
        .as_str()
        .unwrap_or_default();
    assert!(value.contains("absolute path"), "{value}");
    assert_eq!(client.stop(), 0);
}

#[test]
fn definition_in_the_file_an_import_and_the_standard_library() {
    let dir = project("definition");
    let uri = file_uri(&dir.join("main.imgspec"));
    let lib = file_uri(&dir.join("lib.imgspec"));
    let mut client = Client::start();

    let local = client.at(
        &uri,
        "base mine {\n  ref = \"x:1\"\n}\nimage api {\n  base = mi|ne()\n}\n",
        "textDocument/definition",
    );
    assert_eq!(local["result"]["uri"], uri.as_str());
    assert_eq!(
        local["result"]["range"]["start"],
        json!({ "line": 0, "character": 5 })
    );

    let imported = client.at(
        &uri,
        "use \"./lib.imgspec\" as lib\nimage api {\n  base = lib.com|pany()\n}\n",
        "textDocument/definition",
    );
    assert_eq!(imported["result"]["uri"], lib.as_str());
    assert_eq!(
        imported["result"]["range"]["start"],
        json!({ "line": 3, "character": 5 })
    );

    let module = client.at(
        &uri,
        "use \"./l|ib.imgspec\" as lib\n",
        "textDocument/definition",
    );
    assert_eq!(module["result"]["uri"], lib.as_str());

    let std = client.at(
        &uri,
        "use std.python\nimage api {\n  base = python.sl|im()\n}\n",
        "textDocument/definition",
    );
    assert_eq!(std["result"]["uri"], "imgspec-std:/python.imgspec");
    let line = std["result"]["range"]["start"]["line"]
        .as_u64()
        .unwrap_or(0) as usize;
    let source = client.request(
        "imgspec/stdlibSource",
        json!({ "uri": "imgspec-std:/python.imgspec" }),
    );
    let text = source["result"].as_str().unwrap_or_default();
    assert!(
        text.lines()
            .nth(line)
            .is_some_and(|l| l.starts_with("base slim(")),
        "line {line} of:\n{text}"
    );
    let unknown = client.request(
        "imgspec/stdlibSource",
        json!({ "uri": "imgspec-std:/nope.imgspec" }),
    );
    assert_eq!(unknown["error"]["code"], -32602);
    assert_eq!(client.stop(), 0);
}

#[test]
fn imports_are_read_only_inside_the_project_even_from_open_buffers() {
    let dir = project("outside");
    let uri = file_uri(&dir.join("main.imgspec"));
    let mut client = Client::start();
    // A buffer the editor holds open outside the project (the worktree):
    // the overlay must not serve it where the disk would be refused.
    let outside = "file:///imgspec-lsp-outside/evil.imgspec";
    client.open(outside, "/// Secret.\nbase evil {\n  ref = \"x:1\"\n}\n");
    let _ = client.diagnostics(outside);
    let spec =
        "use \"/imgspec-lsp-outside/evil.imgspec\" as evil\nuse \"./requirements.txt\" as reqs\n";
    client.open(&uri, spec);
    let diagnostics = client.diagnostics(&uri);
    let codes: Vec<&Value> = diagnostics.iter().map(|d| &d["code"]).collect();
    assert!(codes.contains(&&json!("E0017")), "{diagnostics:?}");
    assert!(codes.contains(&&json!("E0018")), "{diagnostics:?}");
    assert_eq!(client.stop(), 0);
}

#[test]
fn a_standard_module_opened_as_a_document_has_hover_and_no_diagnostics() {
    let mut client = Client::start();
    let uri = "imgspec-std:/python.imgspec";
    let text = client.request("imgspec/stdlibSource", json!({ "uri": uri }))["result"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    let marked = text.replacen("base = slim(", "base = sl|im(", 1);
    assert_ne!(marked, text);
    let hover = client.at(uri, &marked, "textDocument/hover");
    let value = hover["result"]["contents"]["value"]
        .as_str()
        .unwrap_or_default();
    assert!(
        value.contains("The official Debian Python image"),
        "{value}"
    );
    let definition = client.at(uri, &marked, "textDocument/definition");
    assert_eq!(definition["result"]["uri"], uri);
    // Nothing was published for it.
    assert!(
        !client
            .notifications
            .iter()
            .any(|m| m["params"]["uri"] == uri),
        "{:?}",
        client.notifications
    );
    assert_eq!(client.stop(), 0);
}

#[test]
fn preview_returns_the_dockerfile_and_writes_nothing() {
    let dir = project("preview");
    let uri = file_uri(&dir.join("main.imgspec"));
    let mut client = Client::start();
    client.open(&uri, MAIN);
    let preview = client.request(
        "workspace/executeCommand",
        json!({ "command": "imgspec.previewDockerfile", "arguments": [uri] }),
    );
    let result = &preview["result"];
    assert_eq!(result["ok"], true, "{preview}");
    assert_eq!(result["outputs"][0]["image"], "api");
    let dockerfile = result["outputs"][0]["dockerfile"]
        .as_str()
        .unwrap_or_default();
    assert!(
        dockerfile.contains("FROM python:3.12-slim-bookworm"),
        "{dockerfile}"
    );
    assert!(dockerfile.contains("USER "), "{dockerfile}");
    assert!(!dir.join("Dockerfile").exists(), "the server wrote a file");

    client.change(&uri, 2, &MAIN.replace("cmd = [", "cmdd = ["));
    let failed = client.request(
        "imgspec/preview",
        json!({ "textDocument": { "uri": uri }, "image": "api" }),
    );
    assert_eq!(failed["result"]["ok"], false, "{failed}");
    assert_eq!(failed["result"]["outputs"], json!([]));
    let summary = failed["result"]["diagnostics"].as_str().unwrap_or_default();
    assert!(summary.contains("E0007"), "{summary}");
    assert_eq!(client.stop(), 0);
}

#[test]
fn malformed_messages_get_errors_and_the_server_goes_on() {
    let mut client = Client::start();
    // Parameters of the wrong shape.
    let bad = client.request("textDocument/hover", json!({ "textDocument": 7 }));
    assert_eq!(bad["error"]["code"], -32602, "{bad}");
    // An unknown method.
    let unknown = client.request("imgspec/nothing", json!({}));
    assert_eq!(unknown["error"]["code"], -32601, "{unknown}");
    // A frame that is not JSON at all: answered with a null id.
    client.send_raw("{ this is not json");
    let parse_error = client.response(&Value::Null);
    assert_eq!(parse_error["error"]["code"], -32700, "{parse_error}");
    // Positions past the end, a document never opened, a bad URI.
    let far = client.request(
        "textDocument/hover",
        json!({ "textDocument": { "uri": "file:///nowhere/x.imgspec" }, "position": { "line": 99, "character": 99 } }),
    );
    assert_eq!(far["result"], Value::Null, "{far}");
    client.notify("textDocument/didChange", json!({ "nonsense": [] }));
    client.open("untitled:x", "image a {");
    let completion = client.request(
        "textDocument/completion",
        json!({ "textDocument": { "uri": "untitled:x" }, "position": { "line": 5000, "character": 4000 } }),
    );
    assert!(completion.get("result").is_some(), "{completion}");
    assert_eq!(client.stop(), 0);
}

#[test]
fn exit_without_shutdown_is_an_error() {
    let mut client = Client::start();
    client.notify("exit", Value::Null);
    drop(client.stdin.take());
    let deadline = Instant::now() + TIMEOUT;
    loop {
        if let Some(status) = client.child.try_wait().expect("wait") {
            assert_eq!(status.code(), Some(1));
            return;
        }
        assert!(Instant::now() < deadline, "the server did not exit");
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// A real editor: Neovim (0.7 or later), headless, starts the server on a
/// spec with an error, waits for its diagnostics and asks for a hover; the
/// transcript it writes is checked. Ignored by default, since Neovim need
/// not be installed: `cargo test --test lsp -- --ignored`.
#[test]
#[ignore = "needs Neovim (nvim) on the PATH"]
fn neovim_shows_diagnostics_and_hover() {
    let spec = "use std.python\n\nimage api {\n  base    = python.slim(version: \"3.12\")\n  sources = [\"app.py\"]\n  run {\n    cmdd = [\"python\", \"app.py\"]\n  }\n}\n";
    let dir = common::workspace(
        "lsp/neovim",
        &[("main.imgspec", spec), ("app.py", "print('hi')\n")],
    );
    let init = dir.join("init.lua");
    let transcript = dir.join("transcript.txt");
    std::fs::write(&init, NEOVIM_INIT).expect("write init.lua");
    let mut nvim = Command::new("nvim")
        .args(["--headless", "--clean", "-u"])
        .arg(&init)
        .env("IMGSPEC_BIN", env!("CARGO_BIN_EXE_imgspec"))
        .env("IMGSPEC_SPEC", dir.join("main.imgspec"))
        .env("IMGSPEC_TRANSCRIPT", &transcript)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start nvim (is Neovim installed?)");
    let deadline = Instant::now() + Duration::from_secs(60);
    while nvim.try_wait().expect("wait for nvim").is_none() {
        if Instant::now() > deadline {
            let _ = nvim.kill();
            panic!("Neovim did not finish");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let transcript = std::fs::read_to_string(&transcript).expect("a transcript");
    let expected = [
        "attached imgspec",
        "diagnostic 7:5 error E0007 a `run` block has no field `cmdd`",
        "hover base slim(version: string = \"3.12\", release: string = \"bookworm\", slim: bool = true, digest: string = \"\")",
        "hover in `std.python`",
        "hover The official Debian Python image, e.g. `python.slim(version: \"3.12\")`:",
    ];
    let lines: Vec<&str> = transcript.lines().collect();
    for line in expected {
        assert!(
            lines.contains(&line),
            "missing {line:?} in the transcript:\n{transcript}"
        );
    }
}

/// Neovim's side of [`neovim_shows_diagnostics_and_hover`].
const NEOVIM_INIT: &str = r#"
local out = {}
local function log(line) table.insert(out, line) end
local function finish()
  vim.fn.writefile(out, os.getenv("IMGSPEC_TRANSCRIPT"))
  vim.cmd("qa!")
end
vim.cmd("edit " .. vim.fn.fnameescape(os.getenv("IMGSPEC_SPEC")))
local id = vim.lsp.start_client({
  name = "imgspec",
  cmd = { os.getenv("IMGSPEC_BIN"), "lsp" },
  root_dir = vim.fn.expand("%:p:h"),
})
vim.lsp.buf_attach_client(0, id)
local client = vim.lsp.get_client_by_id(id)
if client then log("attached " .. client.name) end
vim.wait(10000, function() return #vim.diagnostic.get(0) > 0 end, 20)
local severities = { "error", "warning", "information", "hint" }
for _, d in ipairs(vim.diagnostic.get(0)) do
  local code = d.code or (d.user_data and d.user_data.lsp and d.user_data.lsp.code) or "?"
  local first = vim.split(d.message, "\n")[1]
  log(string.format("diagnostic %d:%d %s %s %s", d.lnum + 1, d.col + 1, severities[d.severity], code, first))
end
local params = {
  textDocument = { uri = vim.uri_from_bufnr(0) },
  position = { line = 3, character = 20 },
}
local response = client and client.request_sync("textDocument/hover", params, 5000, 0)
if response and response.result then
  for _, line in ipairs(vim.split(response.result.contents.value, "\n")) do
    line = line:gsub("^%*(.*)%*$", "%1")
    if line ~= "" and not line:match("^```") then log("hover " .. line) end
  end
else
  log("hover failed")
end
finish()
"#;

#[test]
fn formatting_is_what_imgspec_fmt_writes() {
    let dir = project("formatting");
    let uri = file_uri(&dir.join("main.imgspec"));
    let text = "use std.python\nimage api {\n  base = python.slim(version: \"3.12\")  // the base\n  sources = [\"src/\"]\n}\n";
    let mut client = Client::start();
    client.open(&uri, text);
    let response = client.request(
        "textDocument/formatting",
        json!({ "textDocument": { "uri": uri }, "options": { "tabSize": 2, "insertSpaces": true } }),
    );
    let edits = response["result"].as_array().cloned().unwrap_or_default();
    assert_eq!(edits.len(), 1, "{response}");
    assert_eq!(
        edits[0]["range"]["start"],
        json!({ "line": 0, "character": 0 })
    );
    assert_eq!(
        edits[0]["range"]["end"],
        json!({ "line": 5, "character": 0 })
    );
    let formatted = imgspec::format::format_source(text).expect("formats");
    assert_eq!(edits[0]["newText"], json!(formatted));
    assert!(formatted.contains("  base    = python.slim"), "{formatted}");
    // A buffer that does not parse is left as it is.
    client.change(&uri, 2, "image {");
    let response = client.request(
        "textDocument/formatting",
        json!({ "textDocument": { "uri": uri }, "options": { "tabSize": 2, "insertSpaces": true } }),
    );
    assert_eq!(response["result"], Value::Null, "{response}");
    assert_eq!(client.stop(), 0);
}
