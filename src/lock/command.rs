//! `imgspec lock`, `imgspec lock --check` and `imgspec update`: the specs
//! of one project are compiled (without the lock), their references
//! gathered, and the lock file compared, completed or refreshed. Nothing is
//! written unless every reference resolved, and then all at once.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use super::registry::{Client, Reference, Resolved};
use super::tools::PackageRegistries;
use super::{Entry, Lock, ToolEntry, ToolKey, LOCK_FILE};
use crate::compile::Compilation;
use crate::diagnostic::{Code, Diagnostic, Diagnostics};

/// What the command does with the references.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Mode {
    /// Compare: every reference has an entry, every entry a use; offline,
    /// unless `remote`, which also asks the registries whether a locked
    /// tag has moved.
    Check { remote: bool },
    /// Resolve the references the lock file lacks; keep the others.
    Lock,
    /// Resolve again the references named (all when none is), and the
    /// ones the lock file lacks.
    Update(Vec<String>),
}

/// One project's lock file and what the specs need of it.
#[derive(Debug)]
struct Project {
    path: PathBuf,
    old: Option<Lock>,
    new: Lock,
    used: BTreeSet<String>,
    tools_used: BTreeSet<ToolKey>,
}

pub struct Locking<'a> {
    mode: Mode,
    client: Option<&'a Client>,
    projects: BTreeMap<PathBuf, Project>,
    /// Resolved once per run, whichever spec uses them.
    resolved: BTreeMap<String, Result<Resolved, String>>,
    registries: PackageRegistries,
    resolved_tools: BTreeMap<ToolKey, Result<ToolEntry, String>>,
    pub failed: bool,
}

/// A row of `update`'s table: the reference or tool, what it was locked
/// to (digest or release), what it is now.
pub type Change = (String, Option<String>, String);

impl<'a> Locking<'a> {
    pub fn new(
        mode: Mode,
        client: Option<&'a Client>,
        registries: PackageRegistries,
    ) -> Locking<'a> {
        Locking {
            mode,
            client,
            projects: BTreeMap::new(),
            resolved: BTreeMap::new(),
            registries,
            resolved_tools: BTreeMap::new(),
            failed: false,
        }
    }

    /// Opens the lock file of the project at `root` (once). `Err` when it
    /// exists and cannot be read or parsed: then nothing may be written.
    pub fn open(&mut self, root: &Path) -> Result<(), String> {
        if self.projects.contains_key(root) {
            return Ok(());
        }
        let path = root.join(LOCK_FILE);
        let text = super::file::read(root)
            .map_err(|e| format!("cannot read `{}`: {e}", path.display()))?;
        let old = match text {
            None => None,
            Some(text) => Some(Lock::parse(&text).map_err(|e| {
                format!(
                    "`{}` cannot be read: {} (`imgspec compile` shows where)",
                    path.display(),
                    e.message
                )
            })?),
        };
        self.projects.insert(
            root.to_path_buf(),
            Project {
                path,
                old,
                new: Lock::default(),
                used: BTreeSet::new(),
                tools_used: BTreeSet::new(),
            },
        );
        Ok(())
    }

    /// Takes the references of one compiled spec of the project at `root`
    /// (opened before); returns the diagnostics on its spans.
    pub fn take(&mut self, root: &Path, compilation: &Compilation) -> Diagnostics {
        let mut diagnostics = Diagnostics::default();
        let references: Vec<(String, crate::source::Span)> = compilation
            .outputs
            .iter()
            .flat_map(|o| o.references.iter().cloned())
            .collect();
        for (reference, span) in references {
            let Some(project) = self.projects.get_mut(root) else {
                continue;
            };
            project.used.insert(reference.clone());
            let old = project
                .old
                .as_ref()
                .and_then(|l| l.get(&reference))
                .cloned();
            let refresh = match &self.mode {
                Mode::Check { remote } => {
                    let remote = *remote;
                    match old {
                        Some(entry) => {
                            project.new.insert(reference.clone(), entry.clone());
                            if remote {
                                self.check_remote(&reference, &entry, span, &mut diagnostics);
                            }
                        }
                        None => {
                            self.failed = true;
                            diagnostics.push(
                                Diagnostic::error(
                                    Code::NotLocked,
                                    span,
                                    format!("`{reference}` has no entry in {LOCK_FILE}"),
                                )
                                .label("this image reference is not locked")
                                .help("run `imgspec lock` and commit the lock file"),
                            );
                        }
                    }
                    continue;
                }
                Mode::Lock => false,
                Mode::Update(named) => named.is_empty() || named.contains(&reference),
            };
            if let (Some(entry), false) = (&old, refresh) {
                if let Some(project) = self.projects.get_mut(root) {
                    project.new.insert(reference.clone(), entry.clone());
                }
                continue;
            }
            match self.resolve(&reference) {
                Ok(resolved) => {
                    if let Some(project) = self.projects.get_mut(root) {
                        project.new.insert(
                            reference.clone(),
                            Entry {
                                digest: resolved.digest,
                                platforms: resolved.platforms,
                            },
                        );
                    }
                }
                Err(why) => {
                    self.failed = true;
                    diagnostics.push(
                        Diagnostic::error(Code::RegistryFailure, span, format!("cannot resolve `{reference}`: {why}"))
                            .label("this image reference")
                            .help("fix the reference or the registry access, then run the command again; the lock file was not changed"),
                    );
                }
            }
        }
        let tools: Vec<(ToolKey, crate::source::Span)> = compilation
            .outputs
            .iter()
            .flat_map(|o| o.tools.iter().cloned())
            .collect();
        for (key, span) in tools {
            self.take_tool(root, key, span, &mut diagnostics);
        }
        diagnostics
    }

    /// As for a reference: kept, checked, or resolved, by the mode.
    fn take_tool(
        &mut self,
        root: &Path,
        key: ToolKey,
        span: crate::source::Span,
        diagnostics: &mut Diagnostics,
    ) {
        let Some(project) = self.projects.get_mut(root) else {
            return;
        };
        project.tools_used.insert(key.clone());
        let old = project.old.as_ref().and_then(|l| l.tool(&key)).cloned();
        let refresh = match (&self.mode, &old) {
            (Mode::Check { remote }, Some(entry)) => {
                project.new.insert_tool(key.clone(), entry.clone());
                if *remote {
                    match self.resolve_tool(&key) {
                        Ok(now) if now.resolved == entry.resolved => {}
                        Ok(now) => {
                            self.failed = true;
                            diagnostics.push(
                                Diagnostic::error(
                                    Code::ToolNotLocked,
                                    span,
                                    format!("`{key}` has a newer release: locked {}, the registry now has {}", entry.resolved, now.resolved),
                                )
                                .label("the lock file pins an older release")
                                .help(format!("run `imgspec update {}` and commit the lock file", key.package)),
                            );
                        }
                        Err(why) => {
                            self.failed = true;
                            diagnostics.push(tool_failure(
                                &key,
                                span,
                                &why,
                                "fix the registry access, or check without `--remote`",
                            ));
                        }
                    }
                }
                return;
            }
            (Mode::Check { .. }, None) => {
                self.failed = true;
                diagnostics.push(
                    Diagnostic::error(
                        Code::ToolNotLocked,
                        span,
                        format!("`{key}` has no entry in {LOCK_FILE}"),
                    )
                    .label("this tool is not locked")
                    .help("run `imgspec lock` and commit the lock file"),
                );
                return;
            }
            (Mode::Lock, _) => false,
            (Mode::Update(named), _) => named.is_empty() || named.contains(&key.package),
        };
        if let (Some(entry), false) = (old, refresh) {
            project.new.insert_tool(key, entry);
            return;
        }
        match self.resolve_tool(&key) {
            Ok(entry) => {
                if let Some(project) = self.projects.get_mut(root) {
                    project.new.insert_tool(key, entry);
                }
            }
            Err(why) => {
                self.failed = true;
                diagnostics.push(tool_failure(&key, span, &why, "fix the package name, the series or the registry access, then run the command again; the lock file was not changed"));
            }
        }
    }

    fn resolve_tool(&mut self, key: &ToolKey) -> Result<ToolEntry, String> {
        if let Some(done) = self.resolved_tools.get(key) {
            return done.clone();
        }
        let result = match self.client {
            None => Err("no registry client".to_string()),
            Some(client) => super::tools::resolve(client, &self.registries, key),
        };
        self.resolved_tools.insert(key.clone(), result.clone());
        result
    }

    /// Whether the registry still serves the locked digest for the tag.
    fn check_remote(
        &mut self,
        reference: &str,
        entry: &Entry,
        span: crate::source::Span,
        diagnostics: &mut Diagnostics,
    ) {
        match self.resolve(reference) {
            Ok(now) if now.digest == entry.digest => {}
            Ok(now) => {
                self.failed = true;
                diagnostics.push(
                    Diagnostic::error(
                        Code::NotLocked,
                        span,
                        format!(
                            "`{reference}` has moved: locked {}, the registry now serves {}",
                            entry.digest, now.digest
                        ),
                    )
                    .label("the lock file pins an older image")
                    .help(format!(
                        "run `imgspec update {reference}` and commit the lock file"
                    )),
                );
            }
            Err(why) => {
                self.failed = true;
                diagnostics.push(
                    Diagnostic::error(
                        Code::RegistryFailure,
                        span,
                        format!("cannot resolve `{reference}`: {why}"),
                    )
                    .label("this image reference")
                    .help("fix the registry access, or check without `--remote`"),
                );
            }
        }
    }

    fn resolve(&mut self, reference: &str) -> Result<Resolved, String> {
        if let Some(done) = self.resolved.get(reference) {
            return done.clone();
        }
        let result = match (Reference::parse(reference), self.client) {
            (None, _) => Err("not a reference a registry can look up".to_string()),
            (Some(_), None) => Err("no registry client".to_string()),
            (Some(parsed), Some(client)) => client
                .resolve(&parsed)
                .map_err(|f| f.describe(&parsed.registry)),
        };
        self.resolved.insert(reference.to_string(), result.clone());
        result
    }

    /// Whether a spec of any project uses `name`: an image reference, or
    /// a tool's package.
    pub fn uses(&self, name: &str) -> bool {
        self.projects
            .values()
            .any(|p| p.used.contains(name) || p.tools_used.iter().any(|t| t.package == name))
    }

    /// `--check`: entries no spec uses, and a missing lock file, per
    /// project (lock file path, message).
    pub fn stale(&mut self) -> Vec<(PathBuf, String)> {
        let mut out = Vec::new();
        for project in self.projects.values() {
            match &project.old {
                None if !(project.used.is_empty() && project.tools_used.is_empty()) => out.push((
                    project.path.clone(),
                    format!(
                        "there is no {LOCK_FILE}; the specs use {} image references and {} tools",
                        project.used.len(),
                        project.tools_used.len()
                    ),
                )),
                None => {}
                Some(old) => {
                    for (reference, _) in old.iter() {
                        if !project.used.contains(reference) {
                            out.push((
                                project.path.clone(),
                                format!("`{reference}` is locked, but no spec uses it any more"),
                            ));
                        }
                    }
                    for (key, _) in old.tools() {
                        if !project.tools_used.contains(key) {
                            out.push((
                                project.path.clone(),
                                format!("`{key}` is locked, but no spec uses it any more"),
                            ));
                        }
                    }
                }
            }
        }
        if !out.is_empty() {
            self.failed = true;
        }
        out
    }

    /// The lock files to write (only those that change) and, per
    /// reference, what changed: for `lock` and `update`, once nothing
    /// failed.
    pub fn results(&self) -> Vec<(PathBuf, String, Vec<Change>)> {
        let mut out = Vec::new();
        for project in self.projects.values() {
            let mut changes = Vec::new();
            for (reference, entry) in project.new.iter() {
                let before = project.old.as_ref().and_then(|l| l.get(reference));
                if before.map(|b| &b.digest) != Some(&entry.digest) {
                    changes.push((
                        reference.clone(),
                        before.map(|b| b.digest.clone()),
                        entry.digest.clone(),
                    ));
                }
            }
            for (key, entry) in project.new.tools() {
                let before = project.old.as_ref().and_then(|l| l.tool(key));
                if before != Some(entry) {
                    changes.push((
                        key.to_string(),
                        before.map(|b| b.resolved.clone()),
                        entry.resolved.clone(),
                    ));
                }
            }
            let unchanged = project.old.as_ref() == Some(&project.new);
            // No lock file and nothing to lock: none is written.
            let nothing = project.old.is_none() && project.new.is_empty();
            if !(unchanged || nothing) {
                out.push((project.path.clone(), project.new.render(), changes));
            }
        }
        out
    }
}

fn tool_failure(key: &ToolKey, span: crate::source::Span, why: &str, help: &str) -> Diagnostic {
    Diagnostic::error(
        Code::ToolRegistryFailure,
        span,
        format!("cannot resolve `{key}`: {why}"),
    )
    .label("this tool")
    .help(help)
}

/// `update`'s table: reference or tool, what it was, what it is now
/// (digests shortened).
pub fn table(changes: &[Change]) -> String {
    let short = |d: &str| {
        d.strip_prefix("sha256:").map_or(d.to_string(), |h| {
            format!("sha256:{}", &h[..h.len().min(12)])
        })
    };
    let rows: Vec<[String; 3]> = changes
        .iter()
        .map(|(r, old, new)| {
            [
                r.clone(),
                old.as_deref().map_or("(new)".to_string(), short),
                short(new),
            ]
        })
        .collect();
    let header = [
        "reference or tool".to_string(),
        "was".to_string(),
        "now".to_string(),
    ];
    let width = |i: usize| {
        rows.iter()
            .map(|r| r[i].len())
            .chain([header[i].len()])
            .max()
            .unwrap_or(0)
    };
    let (w0, w1) = (width(0), width(1));
    let mut out = String::new();
    for row in std::iter::once(&header).chain(rows.iter()) {
        out.push_str(&format!("{:<w0$}  {:<w1$}  {}\n", row[0], row[1], row[2]));
    }
    out
}
