//! The main loop: JSON-RPC over standard input and output, the lifecycle
//! (initialize, shutdown, exit), and dispatch to the handlers. Every
//! handler runs under `catch_unwind`, and every malformed message gets an
//! error response: no message stops the server.

use std::io::Write;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::mpsc;

use lsp_server::{ErrorCode, Message, Notification, Request, RequestId, Response};
use lsp_types::{
    CompletionOptions, CompletionResponse, DidChangeTextDocumentParams, DidCloseTextDocumentParams,
    DidOpenTextDocumentParams, DidSaveTextDocumentParams, DocumentFormattingParams,
    ExecuteCommandOptions, ExecuteCommandParams, GotoDefinitionParams, GotoDefinitionResponse,
    HoverParams, HoverProviderCapability, InitializeResult, OneOf, PositionEncodingKind,
    PublishDiagnosticsParams, SaveOptions, ServerCapabilities, ServerInfo,
    TextDocumentSyncCapability, TextDocumentSyncKind, TextDocumentSyncOptions,
    TextDocumentSyncSaveOptions, TextEdit, Uri,
};
use serde::de::DeserializeOwned;
use serde_json::{json, Value};

use super::diagnostics::{self, Published};
use super::documents::{std_module, uri_to_path, Document, Documents, LineIndex, STD_SCHEME};
use super::{completion, definition, format, hover, preview};

/// The command that previews a document's Dockerfiles.
pub const PREVIEW_COMMAND: &str = "imgspec.previewDockerfile";
/// The request that previews a document's Dockerfiles.
pub const PREVIEW_REQUEST: &str = "imgspec/preview";
/// The request for the text of a standard module (`imgspec-std:` URI).
pub const STDLIB_SOURCE_REQUEST: &str = "imgspec/stdlibSource";

/// Serves standard input and output until `exit`; returns the process's
/// exit code: 0 after `shutdown` then `exit`, 1 otherwise (as the
/// protocol asks). `root` is `--root`: the project of every document.
pub fn run(root: Option<&std::path::Path>) -> i32 {
    let (sender, receiver) = mpsc::channel::<Incoming>();
    // The reader blocks on standard input; it is left behind when the
    // process exits.
    std::thread::spawn(move || {
        let stdin = std::io::stdin();
        let mut input = stdin.lock();
        loop {
            let incoming = match Message::read(&mut input) {
                Ok(Some(message)) => Incoming::Message(message),
                Ok(None) => Incoming::End,
                Err(error) if error.kind() == std::io::ErrorKind::InvalidData => {
                    Incoming::Malformed(error.to_string())
                }
                Err(_) => Incoming::End,
            };
            let end = matches!(incoming, Incoming::End);
            if sender.send(incoming).is_err() || end {
                return;
            }
        }
    });
    let mut server = Server {
        documents: Documents::new(root.map(std::path::Path::to_path_buf)),
        ..Server::default()
    };
    let stdout = std::io::stdout();
    for incoming in receiver {
        let exit = match incoming {
            Incoming::Message(message) => server.handle(message),
            Incoming::Malformed(why) => {
                server.malformed(&why);
                None
            }
            Incoming::End => Some(if server.shut_down { 0 } else { 1 }),
        };
        let mut out = stdout.lock();
        for message in server.outbox.drain(..) {
            let written = match message {
                Outgoing::Message(message) => message.write(&mut out),
                Outgoing::Raw(value) => write_raw(&mut out, &value),
            };
            if written.is_err() {
                // The client is gone.
                return 1;
            }
        }
        if let Some(code) = exit {
            return code;
        }
    }
    if server.shut_down {
        0
    } else {
        1
    }
}

enum Incoming {
    Message(Message),
    /// A frame whose body is not a JSON-RPC message.
    Malformed(String),
    End,
}

enum Outgoing {
    Message(Message),
    /// A response lsp-server cannot build: one with a null id.
    Raw(Value),
}

fn write_raw(out: &mut impl Write, value: &Value) -> std::io::Result<()> {
    let text = value.to_string();
    write!(out, "Content-Length: {}\r\n\r\n{text}", text.len())?;
    out.flush()
}

/// An error response: a JSON-RPC code and a message.
type Failure = (i32, String);

#[derive(Default)]
pub struct Server {
    documents: Documents,
    published: Published,
    /// The spec files each open document read, last time it compiled.
    reads: std::collections::HashMap<String, Vec<std::path::PathBuf>>,
    initialized: bool,
    shut_down: bool,
    outbox: Vec<Outgoing>,
}

impl Server {
    /// Handles one message; `Some(code)` when the server should exit.
    fn handle(&mut self, message: Message) -> Option<i32> {
        match message {
            Message::Request(request) => {
                self.request(request);
                None
            }
            Message::Notification(notification) => {
                if notification.method == "exit" {
                    return Some(if self.shut_down { 0 } else { 1 });
                }
                if self.initialized && !self.shut_down {
                    let method = notification.method.clone();
                    if catch_unwind(AssertUnwindSafe(|| self.notification(notification))).is_err() {
                        eprintln!(
                            "imgspec lsp: the handler of `{method}` failed; the server goes on"
                        );
                    }
                }
                None
            }
            // No request of ours expects an answer.
            Message::Response(_) => None,
        }
    }

    fn malformed(&mut self, why: &str) {
        self.outbox.push(Outgoing::Raw(json!({
            "jsonrpc": "2.0",
            "id": null,
            "error": { "code": ErrorCode::ParseError as i32, "message": format!("not a JSON-RPC message: {why}") },
        })));
    }

    fn respond(&mut self, id: RequestId, result: Result<Value, Failure>) {
        let response = match result {
            Ok(value) => Response::new_ok(id, value),
            Err((code, message)) => Response::new_err(id, code, message),
        };
        self.outbox
            .push(Outgoing::Message(Message::Response(response)));
    }

    fn request(&mut self, request: Request) {
        let id = request.id.clone();
        let method = request.method.clone();
        let result = if request.method == "initialize" {
            self.initialize()
        } else if !self.initialized {
            Err((
                ErrorCode::ServerNotInitialized as i32,
                "the server is not initialized yet".to_string(),
            ))
        } else if self.shut_down {
            Err((
                ErrorCode::InvalidRequest as i32,
                "the server is shutting down".to_string(),
            ))
        } else {
            match catch_unwind(AssertUnwindSafe(|| self.dispatch(request))) {
                Ok(result) => result,
                Err(_) => {
                    eprintln!("imgspec lsp: the handler of `{method}` failed; the server goes on");
                    Err((
                        ErrorCode::InternalError as i32,
                        format!("internal error while handling `{method}`"),
                    ))
                }
            }
        };
        self.respond(id, result);
    }

    fn initialize(&mut self) -> Result<Value, Failure> {
        if self.initialized {
            return Err((
                ErrorCode::InvalidRequest as i32,
                "initialize was sent twice".to_string(),
            ));
        }
        self.initialized = true;
        let capabilities = ServerCapabilities {
            position_encoding: Some(PositionEncodingKind::UTF16),
            text_document_sync: Some(TextDocumentSyncCapability::Options(
                TextDocumentSyncOptions {
                    open_close: Some(true),
                    change: Some(TextDocumentSyncKind::FULL),
                    save: Some(TextDocumentSyncSaveOptions::SaveOptions(SaveOptions {
                        include_text: Some(true),
                    })),
                    ..TextDocumentSyncOptions::default()
                },
            )),
            completion_provider: Some(CompletionOptions {
                trigger_characters: Some(vec![".".into(), "(".into(), ",".into()]),
                ..CompletionOptions::default()
            }),
            hover_provider: Some(HoverProviderCapability::Simple(true)),
            definition_provider: Some(OneOf::Left(true)),
            execute_command_provider: Some(ExecuteCommandOptions {
                commands: vec![PREVIEW_COMMAND.to_string()],
                ..ExecuteCommandOptions::default()
            }),
            document_formatting_provider: Some(OneOf::Left(true)),
            experimental: Some(json!({
                "imgspec": {
                    "previewRequest": PREVIEW_REQUEST,
                    "stdlibSourceRequest": STDLIB_SOURCE_REQUEST,
                    "stdlibScheme": STD_SCHEME.trim_end_matches(':'),
                }
            })),
            ..ServerCapabilities::default()
        };
        let result = InitializeResult {
            capabilities,
            server_info: Some(ServerInfo {
                name: "imgspec".to_string(),
                version: Some(env!("CARGO_PKG_VERSION").to_string()),
            }),
        };
        to_value(result)
    }

    fn dispatch(&mut self, request: Request) -> Result<Value, Failure> {
        let params = request.params;
        match request.method.as_str() {
            "shutdown" => {
                self.shut_down = true;
                Ok(Value::Null)
            }
            "textDocument/completion" => {
                let p: lsp_types::CompletionParams = parse(params)?;
                let at = p.text_document_position;
                let items = completion::complete(
                    &self.documents,
                    at.text_document.uri.as_str(),
                    at.position,
                );
                to_value(CompletionResponse::Array(items))
            }
            "textDocument/hover" => {
                let p: HoverParams = parse(params)?;
                let at = p.text_document_position_params;
                to_value(hover::hover(
                    &self.documents,
                    at.text_document.uri.as_str(),
                    at.position,
                ))
            }
            "textDocument/definition" => {
                let p: GotoDefinitionParams = parse(params)?;
                let at = p.text_document_position_params;
                let location = definition::definition(
                    &self.documents,
                    at.text_document.uri.as_str(),
                    at.position,
                );
                to_value(location.map(GotoDefinitionResponse::Scalar))
            }
            "textDocument/formatting" => {
                let p: DocumentFormattingParams = parse(params)?;
                let Some(document) = self.documents.get(p.text_document.uri.as_str()) else {
                    return Ok(Value::Null);
                };
                let Some(formatted) = format::format_document(&document.text) else {
                    return Ok(Value::Null);
                };
                let end = document.position(document.text.len());
                to_value(vec![TextEdit::new(
                    lsp_types::Range::new(lsp_types::Position::new(0, 0), end),
                    formatted,
                )])
            }
            STDLIB_SOURCE_REQUEST => {
                let p: StdlibSourceParams = parse(params)?;
                let name = std_module(&p.uri).ok_or_else(|| {
                    (
                        ErrorCode::InvalidParams as i32,
                        format!(
                            "`{}` is not a standard module (`{STD_SCHEME}/NAME.imgspec`)",
                            p.uri
                        ),
                    )
                })?;
                to_value(crate::stdlib::module(name).unwrap_or_default())
            }
            PREVIEW_REQUEST => {
                let p: preview::PreviewParams = parse(params)?;
                self.preview(p.text_document.uri.as_str(), p.image.as_deref())
            }
            "workspace/executeCommand" => {
                let p: ExecuteCommandParams = parse(params)?;
                if p.command != PREVIEW_COMMAND {
                    return Err((
                        ErrorCode::InvalidParams as i32,
                        format!("no command `{}`", p.command),
                    ));
                }
                let uri = p.arguments.first().and_then(|a| {
                    a.as_str()
                        .or_else(|| a.get("uri").and_then(Value::as_str))
                        .map(str::to_string)
                });
                let Some(uri) = uri else {
                    return Err((
                        ErrorCode::InvalidParams as i32,
                        format!("`{PREVIEW_COMMAND}` takes the document's URI, then optionally an image name"),
                    ));
                };
                let image = p
                    .arguments
                    .get(1)
                    .and_then(Value::as_str)
                    .map(str::to_string);
                self.preview(&uri, image.as_deref())
            }
            #[cfg(test)]
            "imgspec/testPanic" => panic!("a handler failed"),
            other => Err((
                ErrorCode::MethodNotFound as i32,
                format!("imgspec does not handle `{other}`"),
            )),
        }
    }

    fn preview(&self, uri: &str, image: Option<&str>) -> Result<Value, Failure> {
        match preview::preview(&self.documents, uri, image) {
            Some(preview) => to_value(preview),
            None => Err((
                ErrorCode::InvalidParams as i32,
                format!("`{uri}` is not open"),
            )),
        }
    }

    fn notification(&mut self, notification: Notification) {
        match notification.method.as_str() {
            "textDocument/didOpen" => {
                if let Ok(p) = parse::<DidOpenTextDocumentParams>(notification.params) {
                    let uri = p.text_document.uri.as_str().to_string();
                    let document = Document::new(p.text_document.text, p.text_document.version);
                    self.documents.set(uri.clone(), document);
                    self.changed(&uri);
                }
            }
            "textDocument/didChange" => {
                if let Ok(p) = parse::<DidChangeTextDocumentParams>(notification.params) {
                    let uri = p.text_document.uri.as_str().to_string();
                    let Some(document) = self.documents.get(&uri) else {
                        return;
                    };
                    let mut text = document.text.clone();
                    for change in p.content_changes {
                        match change.range {
                            // Only full text is asked for; a range is applied all the same.
                            Some(range) => {
                                let lines = LineIndex::new(&text);
                                let start = lines.offset(&text, range.start);
                                let end = lines.offset(&text, range.end).max(start);
                                text.replace_range(start..end, &change.text);
                            }
                            None => text = change.text,
                        }
                    }
                    self.documents
                        .set(uri.clone(), Document::new(text, p.text_document.version));
                    self.changed(&uri);
                }
            }
            "textDocument/didSave" => {
                if let Ok(p) = parse::<DidSaveTextDocumentParams>(notification.params) {
                    let uri = p.text_document.uri.as_str().to_string();
                    if let Some(text) = p.text {
                        let version = self.documents.get(&uri).map_or(0, |d| d.version);
                        self.documents
                            .set(uri.clone(), Document::new(text, version));
                    }
                    self.changed(&uri);
                }
            }
            "textDocument/didClose" => {
                if let Ok(p) = parse::<DidCloseTextDocumentParams>(notification.params) {
                    let uri = p.text_document.uri.as_str().to_string();
                    self.documents.remove(&uri);
                    self.reads.remove(&uri);
                    let updates = self.published.remove(&uri);
                    self.publish(updates);
                    // Its importers now read it from the disk.
                    self.dependents(&uri);
                }
            }
            // `initialized`, `$/cancelRequest`, `$/setTrace` and the rest
            // need nothing.
            _ => {}
        }
    }

    /// The document at `uri` changed: it and every open document that
    /// reads it are compiled again.
    fn changed(&mut self, uri: &str) {
        self.analyse(uri);
        self.dependents(uri);
    }

    fn dependents(&mut self, uri: &str) {
        let Some(path) = uri_to_path(uri) else {
            return;
        };
        let mut readers: Vec<String> = self
            .reads
            .iter()
            .filter(|(root, files)| root.as_str() != uri && files.contains(&path))
            .map(|(root, _)| root.clone())
            .collect();
        readers.sort();
        for reader in readers {
            self.analyse(&reader);
        }
    }

    /// Compiles the document at `uri` and publishes what changed.
    fn analyse(&mut self, uri: &str) {
        // Standard modules are read-only and not compiled on their own.
        if uri.starts_with(STD_SCHEME) {
            return;
        }
        let Some(compiled) = self.documents.compile(uri) else {
            return;
        };
        self.reads.insert(uri.to_string(), compiled.files.clone());
        let files = diagnostics::by_file(&compiled);
        let updates = self.published.update(uri, files);
        self.publish(updates);
    }

    fn publish(&mut self, updates: Vec<(String, Vec<lsp_types::Diagnostic>)>) {
        for (uri, diagnostics) in updates {
            let Ok(parsed) = uri.parse::<Uri>() else {
                continue;
            };
            let version = self.documents.get(&uri).map(|d| d.version);
            let params = PublishDiagnosticsParams {
                uri: parsed,
                diagnostics,
                version,
            };
            self.outbox
                .push(Outgoing::Message(Message::Notification(Notification::new(
                    "textDocument/publishDiagnostics".to_string(),
                    params,
                ))));
        }
    }
}

#[derive(serde::Deserialize)]
struct StdlibSourceParams {
    uri: String,
}

fn parse<P: DeserializeOwned>(params: Value) -> Result<P, Failure> {
    serde_json::from_value(params).map_err(|e| {
        (
            ErrorCode::InvalidParams as i32,
            format!("invalid parameters: {e}"),
        )
    })
}

fn to_value(value: impl serde::Serialize) -> Result<Value, Failure> {
    serde_json::to_value(value).map_err(|e| (ErrorCode::InternalError as i32, e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(server: &mut Server, id: i32, method: &str, params: Value) -> Response {
        server.handle(Message::Request(Request::new(
            id.into(),
            method.to_string(),
            params,
        )));
        server
            .outbox
            .drain(..)
            .find_map(|m| match m {
                Outgoing::Message(Message::Response(r)) => Some(r),
                _ => None,
            })
            .expect("a response")
    }

    #[test]
    fn a_handler_that_panics_gets_an_error_and_the_server_goes_on() {
        let mut server = Server::default();
        let init = request(&mut server, 1, "initialize", json!({ "capabilities": {} }));
        assert!(init.response_result.is_ok());
        let failed = request(&mut server, 2, "imgspec/testPanic", Value::Null);
        let error = failed.response_result.expect_err("an error response");
        assert_eq!(error.code, ErrorCode::InternalError as i32);
        // Still answering.
        let source = request(
            &mut server,
            3,
            STDLIB_SOURCE_REQUEST,
            json!({ "uri": "imgspec-std:/python.imgspec" }),
        );
        assert!(source
            .response_result
            .is_ok_and(|t| t.as_str().is_some_and(|t| t.contains("base slim"))));
        let bad = request(
            &mut server,
            4,
            "textDocument/hover",
            json!({ "nonsense": true }),
        );
        assert_eq!(
            bad.response_result.err().map(|e| e.code),
            Some(ErrorCode::InvalidParams as i32)
        );
    }

    /// Every position of every example spec, whole and cut short (as a
    /// buffer being typed is): completion, hover and definition answer
    /// without failing.
    #[test]
    fn no_position_of_any_example_makes_a_handler_fail() {
        let mut server = Server::default();
        request(&mut server, 1, "initialize", json!({ "capabilities": {} }));
        let specs = crate::discover::specs(std::path::Path::new("examples")).unwrap_or_default();
        assert!(!specs.is_empty());
        let mut id = 1;
        for spec in specs {
            let Ok(full) = std::fs::read_to_string(&spec) else {
                continue;
            };
            let Ok(absolute) = std::path::absolute(&spec) else {
                continue;
            };
            let uri = super::super::documents::path_to_uri(&absolute);
            let cuts = [full.len(), full.len() / 2];
            for cut in cuts {
                let mut cut = cut;
                while !full.is_char_boundary(cut) {
                    cut -= 1;
                }
                let text = &full[..cut];
                server.handle(Message::Notification(Notification::new(
                    "textDocument/didOpen".to_string(),
                    json!({ "textDocument": { "uri": uri, "languageId": "imgspec", "version": 1, "text": text } }),
                )));
                server.outbox.clear();
                let lines = LineIndex::new(text);
                for offset in (0..=text.len()).step_by(11) {
                    let position = lines.position(text, offset);
                    let params = json!({ "textDocument": { "uri": uri }, "position": position });
                    for method in [
                        "textDocument/completion",
                        "textDocument/hover",
                        "textDocument/definition",
                    ] {
                        id += 1;
                        let response = request(&mut server, id, method, params.clone());
                        if let Err(error) = response.response_result {
                            panic!(
                                "{method} at {offset} of {}: {}",
                                spec.display(),
                                error.message
                            );
                        }
                    }
                }
            }
        }
    }
}
