//! Helpers shared by the integration tests.
#![allow(dead_code)]

pub mod recipes;

use std::path::{Path, PathBuf};

use imgspec::compile::{compile, Compilation, Options};
use imgspec::diagnostic::{render_human, ColorChoice};
use imgspec::frontend::Frontend;
use imgspec::loader::{FsLoader, Loader, MemoryLoader};

/// `imgspec ARGS` (the binary under test) in `dir`, without colour.
pub fn imgspec(dir: &Path, args: &[&str]) -> std::process::Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_imgspec"))
        .args(args)
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .output()
        .expect("run imgspec")
}

/// Every spec under `examples/` that defines an image (template modules
/// are left out), sorted.
pub fn example_specs() -> Vec<PathBuf> {
    let specs = imgspec::discover::specs(Path::new("examples")).expect("list examples");
    specs
        .into_iter()
        .filter(|path| {
            let text = std::fs::read_to_string(path).expect("read example");
            let mut ignored = imgspec::diagnostic::Diagnostics::default();
            imgspec::syntax::parse(imgspec::source::FileId(0), &text, &mut ignored).is_some_and(
                |m| {
                    m.definitions
                        .iter()
                        .any(|d| d.kind == imgspec::syntax::ast::DefKind::Image)
                },
            )
        })
        .collect()
}

/// A fresh scratch directory under the cargo target's temporary directory
/// (`name` may have a group prefix, e.g. `cli/default`), holding `files`.
pub fn workspace(name: &str, files: &[(&str, &str)]) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("create workspace");
    for (path, text) in files {
        let path = dir.join(path);
        std::fs::create_dir_all(path.parent().expect("parent")).expect("create dirs");
        std::fs::write(path, text).expect("write file");
    }
    dir
}

pub fn sorted_entries(dir: &Path) -> Vec<PathBuf> {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("cannot list {}: {e}", dir.display()))
        .map(|e| e.expect("directory entry").path())
        .collect();
    entries.sort();
    entries
}

pub fn compile_with(loader: &dyn Loader, path: &Path) -> Compilation {
    compile(loader, path, &Options::default())
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()))
}

pub fn compile_file(path: &Path) -> Compilation {
    compile_with(&loader_for(path), path)
}

/// A loader for the project that holds `path`.
pub fn loader_for(path: &Path) -> FsLoader {
    FsLoader::for_spec(path).unwrap_or_else(|e| panic!("no project for {}: {e}", path.display()))
}

/// Compiles for a real engine here: no `# syntax=` line.
pub fn compile_file_without_syntax(path: &Path) -> Compilation {
    let options = Options {
        frontend: Frontend::parse("none").ok(),
        ..Options::default()
    };
    compile(&loader_for(path), path, &options)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()))
}

/// The codes reported, in source order.
pub fn codes(c: &Compilation) -> Vec<&'static str> {
    c.diagnostics
        .sorted()
        .iter()
        .map(|d| d.code.as_str())
        .collect()
}

pub fn rendered(c: &Compilation) -> String {
    String::from_utf8(render_human(&c.diagnostics, &c.sources, ColorChoice::Never))
        .expect("utf-8 diagnostics")
}

/// A Dockerfile split into logical instructions: continuation lines joined,
/// comments dropped, heredoc bodies attached to their instruction. A test's
/// own reading of the structure, independent of the emitter.
pub fn instructions(dockerfile: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut lines = dockerfile.lines().peekable();
    while let Some(line) = lines.next() {
        let trimmed = line.trim_start();
        if trimmed.is_empty() || trimmed.starts_with('#') {
            continue;
        }
        let mut text = line.to_string();
        while text.ends_with('\\') {
            text.pop();
            match lines.next() {
                Some(next) => text.push_str(next),
                None => break,
            }
        }
        // `<<WORD` in RUN, COPY or ADD outside exec form starts a heredoc, as in BuildKit.
        let keyword = text.split(' ').next().unwrap_or_default();
        let exec_form = text
            .trim_start_matches(|c: char| c.is_ascii_uppercase())
            .trim_start()
            .starts_with('[');
        let heredoc = if exec_form || !matches!(keyword, "RUN" | "COPY" | "ADD") {
            None
        } else {
            text.find("<<").map(|start| {
                text[start + 2..]
                    .trim_start_matches('-')
                    .trim_start_matches(['\'', '"'])
                    .chars()
                    .take_while(|c| c.is_alphanumeric() || *c == '_')
                    .collect::<String>()
            })
        };
        if let Some(terminator) = heredoc.filter(|t| !t.is_empty()) {
            for body in lines.by_ref() {
                text.push('\n');
                text.push_str(body);
                if body == terminator {
                    break;
                }
            }
        }
        let (keyword, rest) = text.split_once(' ').unwrap_or((text.as_str(), ""));
        out.push((keyword.to_string(), rest.to_string()));
    }
    out
}

/// The instructions of each stage, by stage name.
pub fn stages(dockerfile: &str) -> Vec<(String, Vec<(String, String)>)> {
    let mut stages: Vec<(String, Vec<(String, String)>)> = Vec::new();
    for (keyword, rest) in instructions(dockerfile) {
        if keyword == "FROM" {
            let name = rest.rsplit(' ').next().unwrap_or_default().to_string();
            stages.push((name, Vec::new()));
        } else if let Some(stage) = stages.last_mut() {
            stage.1.push((keyword, rest));
        }
    }
    stages
}

/// A fenced ```` ```imgspec ```` block of a docs page: its info string, its
/// text and the line it starts on.
pub struct DocBlock {
    pub info: String,
    pub text: String,
    pub line: usize,
}

/// The ```` ```imgspec ```` blocks of a markdown page.
pub fn doc_blocks(markdown: &str) -> Vec<DocBlock> {
    let mut out = Vec::new();
    let mut current: Option<DocBlock> = None;
    for (i, line) in markdown.lines().enumerate() {
        match (&mut current, line.trim_start().strip_prefix("```")) {
            (None, Some(info)) if info.starts_with("imgspec") => {
                current = Some(DocBlock {
                    info: info.to_string(),
                    text: String::new(),
                    line: i + 1,
                })
            }
            (Some(_), Some("")) => out.extend(current.take()),
            (Some(block), _) => {
                block.text.push_str(line);
                block.text.push('\n');
            }
            _ => {}
        }
    }
    out
}

/// The modules a page defines with ```` ```imgspec,file=NAME ````.
pub fn page_loader(blocks: &[DocBlock]) -> MemoryLoader {
    let mut loader = MemoryLoader::new();
    for block in blocks {
        if let Some(name) = block.info.strip_prefix("imgspec,file=") {
            loader = loader.with(name, block.text.clone());
        }
    }
    loader
}

/// Copies the directory tree at `from` to `to`.
pub fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap_or_else(|e| panic!("cannot create {}: {e}", to.display()));
    for entry in sorted_entries(from) {
        let target = to.join(entry.file_name().expect("file name"));
        if entry.is_dir() {
            copy_dir(&entry, &target);
        } else {
            std::fs::copy(&entry, &target).unwrap_or_else(|e| {
                panic!(
                    "cannot copy {} to {}: {e}",
                    entry.display(),
                    target.display()
                )
            });
        }
    }
}
