//! Loading and name resolution: follows `use` lines (stdlib modules and
//! local files), detects import cycles, and builds each module's scope.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use crate::diagnostic::{Code, Diagnostic, Diagnostics};
use crate::fs::FileError;
use crate::loader::{normalize, Loader};
use crate::source::{SourceMap, Span};
use crate::stdlib;
use crate::suggest;
use crate::syntax::{self, ast};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ModuleId(pub usize);

/// A definition: which module, which item.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct DefId {
    pub module: ModuleId,
    pub index: usize,
}

#[derive(Debug)]
pub struct ModuleInfo {
    /// How diagnostics name it: `std.python` or the file path.
    pub display: String,
    pub ast: ast::Module,
    /// Imported modules by binding name.
    pub imports: HashMap<String, ModuleId>,
    /// Definitions by name (the first one wins when names clash).
    pub definitions: HashMap<String, usize>,
}

/// Every module reachable from the root file, parsed and with scopes.
#[derive(Debug)]
pub struct Program {
    pub sources: SourceMap,
    pub modules: Vec<ModuleInfo>,
    pub root: Option<ModuleId>,
}

impl Program {
    pub fn def(&self, id: DefId) -> &ast::Definition {
        &self.modules[id.module.0].ast.definitions[id.index]
    }

    /// Looks up `name` or `module.name` as seen from `module`.
    pub fn lookup(&self, module: ModuleId, name: &str) -> Result<DefId, LookupError> {
        let scope = &self.modules[module.0];
        match name.split_once('.') {
            None => scope
                .definitions
                .get(name)
                .map(|&index| DefId { module, index })
                .ok_or(LookupError::NoDefinition),
            Some((alias, member)) => {
                let target = *scope.imports.get(alias).ok_or(LookupError::NoModule)?;
                if member.contains('.') {
                    return Err(LookupError::NoDefinition);
                }
                self.modules[target.0]
                    .definitions
                    .get(member)
                    .map(|&index| DefId {
                        module: target,
                        index,
                    })
                    .ok_or(LookupError::NoDefinition)
            }
        }
    }

    /// Names visible from `module`, for suggestions.
    pub fn visible_names(&self, module: ModuleId) -> Vec<String> {
        let scope = &self.modules[module.0];
        let mut names: Vec<String> = scope.definitions.keys().cloned().collect();
        for (alias, target) in &scope.imports {
            for member in self.modules[target.0].definitions.keys() {
                names.push(format!("{alias}.{member}"));
            }
        }
        names.sort();
        names
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LookupError {
    NoModule,
    NoDefinition,
}

/// Where a module comes from; also the key that makes each load happen once.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum Origin {
    Std(String),
    File(PathBuf),
}

struct Resolver<'l> {
    loader: &'l dyn Loader,
    program: Program,
    loaded: HashMap<Origin, ModuleId>,
    /// Modules being loaded, for cycle detection: origin and the `use` span.
    stack: Vec<(Origin, Option<Span>)>,
    diagnostics: Diagnostics,
}

/// Loads `root` and everything it imports. Failure to read the root file is
/// returned as `Err` (a usage error); everything else becomes diagnostics.
pub fn load(loader: &dyn Loader, root: &Path) -> Result<(Program, Diagnostics), FileError> {
    let read = loader.read(root);
    let mut resolver = Resolver {
        loader,
        program: Program {
            sources: SourceMap::default(),
            modules: Vec::new(),
            root: None,
        },
        loaded: HashMap::new(),
        stack: Vec::new(),
        diagnostics: Diagnostics::default(),
    };
    let text = match read {
        Ok(text) => text,
        Err(FileError::NotUtf8(bad)) => {
            resolver.not_utf8(root.display().to_string(), &bad, None);
            return Ok((resolver.program, resolver.diagnostics));
        }
        Err(error) => return Err(error),
    };
    let origin = Origin::File(normalize(root));
    let root_id = resolver.add_module(origin, root.display().to_string(), text, None);
    resolver.program.root = root_id;
    Ok((resolver.program, resolver.diagnostics))
}

impl Resolver<'_> {
    /// Reports a file that is not UTF-8 at its first bad byte.
    fn not_utf8(&mut self, display: String, bad: &crate::source::NotUtf8, via: Option<Span>) {
        let file = self.program.sources.add(display, bad.lossy.clone());
        let end = bad.offset + '\u{FFFD}'.len_utf8();
        let mut diagnostic = Diagnostic::error(
            Code::Syntax,
            Span::new(file, bad.offset..end),
            "this file is not valid UTF-8",
        )
        .label(format!("byte {} is not part of a UTF-8 character", bad.offset))
        .help("save the file as UTF-8 (editors call it \"UTF-8\" or \"Unicode\"); Latin-1 or UTF-16 text must be converted");
        if let Some(span) = via {
            diagnostic = diagnostic.secondary(span, "imported here");
        }
        self.diagnostics.push(diagnostic);
    }

    fn add_module(
        &mut self,
        origin: Origin,
        display: String,
        text: String,
        via: Option<Span>,
    ) -> Option<ModuleId> {
        let file = self.program.sources.add(display.clone(), text);
        let text = self.program.sources.file(file).text.clone();
        // Imports are the same few files for every spec of a run: parsed once.
        let ast = if via.is_some() {
            syntax::parse_shared(file, &text, &mut self.diagnostics)?
        } else {
            syntax::parse(file, &text, &mut self.diagnostics)?
        };
        self.stack.push((origin.clone(), via));

        let definitions = self.collect_definitions(&ast);
        let mut imports = HashMap::new();
        let mut import_spans: HashMap<String, Span> = HashMap::new();
        for use_decl in &ast.uses {
            let Some(target) = self.import(&origin, use_decl) else {
                continue;
            };
            let Some(binding) = &use_decl.binding else {
                self.diagnostics.push(
                    Diagnostic::error(Code::Syntax, use_decl.span, "a file import needs a name")
                        .label("nothing to call this module by")
                        .help("add `as NAME`, e.g. `use \"./company.imgspec\" as company`"),
                );
                continue;
            };
            if let Some(previous) = import_spans.get(&binding.name) {
                self.diagnostics.push(
                    Diagnostic::error(
                        Code::DuplicateDefinition,
                        binding.span,
                        format!("`{}` is imported twice", binding.name),
                    )
                    .label("second import")
                    .secondary(*previous, "first imported here")
                    .help("give one of them another name with `as`"),
                );
                continue;
            }
            import_spans.insert(binding.name.clone(), binding.span);
            imports.insert(binding.name.clone(), target);
        }
        self.stack.pop();
        self.program.modules.push(ModuleInfo {
            display,
            ast,
            imports,
            definitions,
        });
        // Imports are pushed before their importers, so ids are known only now.
        let id = ModuleId(self.program.modules.len() - 1);
        self.loaded.insert(origin, id);
        Some(id)
    }

    fn collect_definitions(&mut self, ast: &ast::Module) -> HashMap<String, usize> {
        let mut definitions: HashMap<String, usize> = HashMap::new();
        for (index, def) in ast.definitions.iter().enumerate() {
            if let Some(&first) = definitions.get(&def.name.name) {
                let previous = &ast.definitions[first];
                self.diagnostics.push(
                    Diagnostic::error(
                        Code::DuplicateDefinition,
                        def.name.span,
                        format!("`{}` is defined twice", def.name.name),
                    )
                    .label("second definition")
                    .secondary(previous.name.span, "first defined here")
                    .help("rename one of them; every definition in a file needs its own name"),
                );
                continue;
            }
            definitions.insert(def.name.name.clone(), index);
        }
        definitions
    }

    fn import(&mut self, importer: &Origin, use_decl: &ast::Use) -> Option<ModuleId> {
        let (origin, display) = match &use_decl.target {
            ast::UseTarget::Std(path) => {
                let name = match path.strip_prefix("std.") {
                    Some(n) if stdlib::module(n).is_some() => n,
                    _ => {
                        let wanted = path.strip_prefix("std.").unwrap_or(path);
                        let names: Vec<String> =
                            stdlib::names().map(|n| format!("std.{n}")).collect();
                        let help = suggest::help(
                            &format!("std.{wanted}"),
                            names.iter().map(String::as_str),
                            "standard modules",
                        );
                        self.diagnostics.push(
                            Diagnostic::error(
                                Code::ModuleNotFound,
                                use_decl.target_span,
                                format!("there is no module `{path}`"),
                            )
                            .label("not a standard module")
                            .help(help),
                        );
                        return None;
                    }
                };
                (Origin::Std(name.to_string()), format!("std.{name}"))
            }
            ast::UseTarget::File(relative) => {
                let base = match importer {
                    Origin::File(p) => p.parent().map(Path::to_path_buf).unwrap_or_default(),
                    Origin::Std(_) => PathBuf::new(),
                };
                let path = normalize(&base.join(relative));
                (Origin::File(path.clone()), path.display().to_string())
            }
        };
        if let Some(position) = self.stack.iter().position(|(o, _)| *o == origin) {
            let mut d = Diagnostic::error(
                Code::ImportCycle,
                use_decl.target_span,
                format!("importing `{display}` here closes a cycle"),
            )
            .label("this import leads back to a module that is still loading");
            for (_, via) in &self.stack[position + 1..] {
                if let Some(span) = via {
                    d = d.secondary(*span, "imported from here");
                }
            }
            let chain: Vec<String> = self.stack[position..]
                .iter()
                .map(|(o, _)| origin_name(o))
                .chain(std::iter::once(display.clone()))
                .collect();
            self.diagnostics.push(
                d.note(format!("cycle: {}", chain.join(" → ")))
                    .help("move the shared definitions into a module that both can import"),
            );
            return None;
        }
        if let Some(&id) = self.loaded.get(&origin) {
            return Some(id);
        }
        let text = match &origin {
            Origin::Std(name) => stdlib::module(name)
                .map(str::to_string)
                .ok_or(FileError::NotFound),
            Origin::File(path) => self.loader.read(path),
        };
        let text = match text {
            Ok(text) => text,
            Err(FileError::NotUtf8(bad)) => {
                self.not_utf8(display, &bad, Some(use_decl.target_span));
                return None;
            }
            Err(error) => {
                let label = if error.is_not_found() {
                    "no such file".to_string()
                } else {
                    format!("not read: {error}")
                };
                self.diagnostics.push(
                    Diagnostic::error(
                        error.code(),
                        use_decl.target_span,
                        format!("cannot read `{display}`"),
                    )
                    .label(label)
                    .help(error.help()),
                );
                return None;
            }
        };
        self.add_module(origin, display, text, Some(use_decl.target_span))
    }
}

fn origin_name(origin: &Origin) -> String {
    match origin {
        Origin::Std(n) => format!("std.{n}"),
        Origin::File(p) => p.display().to_string(),
    }
}
