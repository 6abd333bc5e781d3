//! Printing diagnostics on standard error in the format asked for. In the
//! machine-readable formats nothing else goes there: problems with files
//! and the command line become diagnostics too, at line 1 of the file they
//! concern (whose text is never shown), and progress lines are left out.

use std::io::{IsTerminal, Write};
use std::path::Path;

use crate::diagnostic::{
    render_human, render_json, render_sarif, Code, ColorChoice, Diagnostic, Diagnostics,
};
use crate::source::{SourceMap, Span};

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum MessageFormat {
    Human,
    Json,
    Sarif,
}

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum ColorArg {
    Auto,
    Always,
    Never,
}

pub struct Reporter {
    format: MessageFormat,
    color: ColorChoice,
    /// SARIF is one document for the whole run, printed by [`Reporter::finish`].
    sarif: Vec<(Diagnostics, SourceMap)>,
}

impl Reporter {
    pub fn new(format: MessageFormat, color: ColorArg) -> Reporter {
        let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
        let color = match color {
            ColorArg::Always => ColorChoice::Always,
            ColorArg::Never => ColorChoice::Never,
            ColorArg::Auto if !no_color && std::io::stderr().is_terminal() => ColorChoice::Always,
            ColorArg::Auto => ColorChoice::Never,
        };
        Reporter {
            format,
            color,
            sarif: Vec::new(),
        }
    }

    /// The diagnostics of compiling `spec`, followed in human form by a
    /// summary line when there are errors.
    pub fn compilation(&mut self, diagnostics: &Diagnostics, sources: &SourceMap, spec: &Path) {
        self.diagnostics(diagnostics, sources);
        let errors = diagnostics.error_count();
        if self.format == MessageFormat::Human && errors > 0 {
            let plural = if errors == 1 { "" } else { "s" };
            eprintln!(
                "error: could not compile `{}` due to {errors} error{plural}",
                spec.display()
            );
        }
    }

    /// Diagnostics about places in the loaded files.
    pub fn diagnostics(&mut self, diagnostics: &Diagnostics, sources: &SourceMap) {
        let mut stderr = std::io::stderr().lock();
        match self.format {
            MessageFormat::Sarif => self.sarif.push((diagnostics.clone(), sources.clone())),
            MessageFormat::Json => {
                let _ = stderr.write_all(render_json(diagnostics, sources).as_bytes());
            }
            MessageFormat::Human => {
                let _ = stderr.write_all(&render_human(diagnostics, sources, self.color));
            }
        }
    }

    /// A problem with the file (or directory) at `path` rather than with a
    /// place in a spec.
    pub fn file_problem(&mut self, path: &Path, diagnostic: impl FnOnce(Span) -> Diagnostic) {
        let mut sources = SourceMap::default();
        let file = sources.add(path.display().to_string(), "");
        let mut diagnostics = Diagnostics::default();
        diagnostics.push(diagnostic(Span::new(file, 0..0)));
        self.diagnostics(&diagnostics, &sources);
    }

    /// A file-level error with a code, a label and a help line.
    pub fn error(&mut self, code: Code, path: &Path, message: &str, label: &str, help: &str) {
        self.file_problem(path, |span| {
            Diagnostic::error(code, span, message)
                .label(label)
                .help(help)
        });
    }

    /// A progress line (`wrote Dockerfile`), in human form only.
    pub fn status(&self, line: &str) {
        if self.format == MessageFormat::Human {
            eprintln!("{line}");
        }
    }

    /// Prints what is held back to the end: the SARIF log.
    pub fn finish(&mut self) {
        if self.format == MessageFormat::Sarif {
            let runs: Vec<_> = self.sarif.iter().map(|(d, s)| (d, s)).collect();
            let _ = std::io::stderr().write_all(render_sarif(&runs).as_bytes());
            self.sarif.clear();
        }
    }
}
