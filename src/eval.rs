//! Evaluation: expands every image of the root module into one record of
//! plain values. Template chains are merged, parameters substituted, `{{ }}`
//! interpolations rendered (minijinja), and calls to `base` and `ecosystem`
//! definitions instantiated. Meaning is assigned later, by `types`.

use std::collections::HashMap;

use crate::diagnostic::{Code, Diagnostic, Diagnostics};
use crate::resolve::{DefId, LookupError, ModuleId, Program};
use crate::source::Span;
use crate::suggest;
use crate::syntax::ast::{self, DefKind, FieldOp, Ident, TypeExprKind, ValueKind};

/// Built-in functions, recognised when no definition has the name.
pub const BUILTINS: &[&str] = &[
    "http",
    "exec",
    "shell",
    "step",
    "secret",
    "user",
    "pypi_tool",
    "npm_tool",
];

/// Instructions one `{{ }}` interpolation may execute.
const INTERPOLATION_FUEL: u64 = 50_000;

/// Template chains deeper than this are reported rather than followed.
const MAX_DEPTH: usize = 64;

#[derive(Debug, Clone, PartialEq)]
pub enum Val {
    Str(String),
    Int(i64),
    Bool(bool),
    Duration(u64),
    List(Vec<V>),
    Record(Record),
    /// A bare name that is not a parameter: an enum word such as `debian`.
    Word(String),
    Instance(Box<Instance>),
    Builtin(Box<Builtin>),
}

/// A value and where it was written (for substituted parameters: the argument).
#[derive(Debug, Clone, PartialEq)]
pub struct V {
    pub val: Val,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Record {
    pub fields: Vec<RecordField>,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub struct RecordField {
    pub key: Ident,
    pub op: FieldOp,
    pub value: V,
}

impl Record {
    pub fn get(&self, key: &str) -> Option<&RecordField> {
        self.fields.iter().find(|f| f.key.name == key)
    }
}

/// A called `base` or `ecosystem` definition.
#[derive(Debug, Clone, PartialEq)]
pub struct Instance {
    pub kind: DefKind,
    /// As written at the call, e.g. `python.slim`.
    pub name: String,
    pub def_span: Span,
    pub body: Record,
}

/// A call of a built-in function such as `http(...)`.
#[derive(Debug, Clone, PartialEq)]
pub struct Builtin {
    pub name: String,
    pub args: Vec<(Option<Ident>, V)>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ExpandedImage {
    pub name: Ident,
    pub body: Record,
}

#[derive(Debug, Clone, PartialEq)]
enum ParamType {
    Str,
    Path,
    Int,
    Bool,
    Duration,
    Base,
    Ecosystem,
    Step,
    List(Box<ParamType>),
}

const TYPE_NAMES: &[&str] = &[
    "string",
    "path",
    "int",
    "bool",
    "duration",
    "base",
    "ecosystem",
    "step",
];

impl ParamType {
    fn describe(&self) -> String {
        match self {
            ParamType::Str => "string".into(),
            ParamType::Path => "path".into(),
            ParamType::Int => "int".into(),
            ParamType::Bool => "bool".into(),
            ParamType::Duration => "duration".into(),
            ParamType::Base => "base".into(),
            ParamType::Ecosystem => "ecosystem".into(),
            ParamType::Step => "step".into(),
            ParamType::List(t) => format!("[{}]", t.describe()),
        }
    }

    fn accepts(&self, v: &V) -> bool {
        match (self, &v.val) {
            (ParamType::Str | ParamType::Path, Val::Str(_)) => true,
            (ParamType::Int, Val::Int(_)) => true,
            (ParamType::Bool, Val::Bool(_)) => true,
            (ParamType::Duration, Val::Duration(_)) => true,
            (ParamType::Base, Val::Instance(i)) => i.kind == DefKind::Base,
            (ParamType::Ecosystem, Val::Instance(i)) => i.kind == DefKind::Ecosystem,
            (ParamType::Step, Val::Str(_)) => true,
            (ParamType::Step, Val::Builtin(b)) => b.name == "step",
            (ParamType::List(t), Val::List(items)) => items.iter().all(|i| t.accepts(i)),
            _ => false,
        }
    }
}

/// A stand-in for a value that was already reported as wrong.
fn poison() -> V {
    V {
        val: Val::Word(String::new()),
        span: Span::poison(),
    }
}

pub fn describe(v: &V) -> String {
    match &v.val {
        Val::Str(_) => "a string".into(),
        Val::Int(_) => "an integer".into(),
        Val::Bool(_) => "a boolean".into(),
        Val::Duration(_) => "a duration".into(),
        Val::List(_) => "a list".into(),
        Val::Record(_) => "a block".into(),
        Val::Word(w) => format!("the name `{w}`"),
        Val::Instance(i) => format!("{} `{}`", i.kind.keyword(), i.name),
        Val::Builtin(b) => format!("`{}(...)`", b.name),
    }
}

/// Expands every image defined in the root module, in file order.
pub fn expand_images(program: &Program, diagnostics: &mut Diagnostics) -> Vec<ExpandedImage> {
    let Some(root) = program.root else {
        return Vec::new();
    };
    let mut evaluator = Evaluator::new(program, diagnostics);
    let mut images = Vec::new();
    for (index, def) in program.modules[root.0].ast.definitions.iter().enumerate() {
        if def.kind != DefKind::Image {
            continue;
        }
        let id = DefId {
            module: root,
            index,
        };
        if let Some(body) = evaluator.expand(id, &HashMap::new()) {
            images.push(ExpandedImage {
                name: def.name.clone(),
                body,
            });
        }
    }
    images
}

struct Scope<'a> {
    module: ModuleId,
    params: &'a HashMap<String, V>,
}

struct Evaluator<'p, 'd> {
    program: &'p Program,
    diagnostics: &'d mut Diagnostics,
    jinja: minijinja::Environment<'static>,
    /// Definitions being expanded, innermost last, with the span of each use.
    stack: Vec<(DefId, Span)>,
}

impl<'p, 'd> Evaluator<'p, 'd> {
    fn new(program: &'p Program, diagnostics: &'d mut Diagnostics) -> Self {
        let mut jinja = minijinja::Environment::new();
        jinja.set_undefined_behavior(minijinja::UndefinedBehavior::Strict);
        // A bound on the work of one interpolation: a runaway loop in a
        // template string is an error, not a hang.
        jinja.set_fuel(Some(INTERPOLATION_FUEL));
        // Inserted text that is not a plain word is marked, so a shell
        // command can quote it and every other field can escape it.
        jinja.set_formatter(|out, state, value| match value.as_str() {
            Some(text) => out
                .write_str(&crate::syntax::marks::mark(text))
                .map_err(|_| minijinja::Error::from(minijinja::ErrorKind::WriteFailure)),
            None => minijinja::escape_formatter(out, state, value),
        });
        Evaluator {
            program,
            diagnostics,
            jinja,
            stack: Vec::new(),
        }
    }

    /// Expands a template or image: its parent chain first, then its own
    /// block merged on top.
    fn expand(&mut self, id: DefId, params: &HashMap<String, V>) -> Option<Record> {
        let def = self.program.def(id);
        let scope = Scope {
            module: id.module,
            params,
        };
        let mut own = self.block(&def.body, &scope);
        let Some(extends) = &def.extends else {
            return Some(own);
        };
        let Some(parent_id) = self.resolve_callee(&extends.callee, &scope) else {
            // Go on with the image's own fields so their errors are reported too.
            if own.get("base").is_none() {
                own.fields.push(RecordField {
                    key: Ident {
                        name: "base".into(),
                        span: Span::poison(),
                    },
                    op: FieldOp::Set,
                    value: poison(),
                });
            }
            return Some(own);
        };
        let parent = self.program.def(parent_id);
        if parent.kind != DefKind::Template {
            self.diagnostics.push(
                Diagnostic::error(
                    Code::WrongType,
                    extends.callee.span,
                    format!(
                        "`{}` is a {}, not a template",
                        extends.callee.name,
                        parent.kind.keyword()
                    ),
                )
                .label("only templates can be extended")
                .secondary(
                    parent.name.span,
                    format!("`{}` is defined here", parent.name.name),
                )
                .help(match parent.kind {
                    DefKind::Base => "set it as a field instead: `base = NAME(...)`",
                    DefKind::Ecosystem => "set it as a field instead: `deps = NAME(...)`",
                    _ => "declare the shared part as `template NAME(...) { ... }` and extend that",
                }),
            );
            return Some(own);
        }
        if !self.enter(parent_id, extends.span) {
            return None;
        }
        let parent_params = self.bind(parent_id, extends, &scope);
        let parent_record = self.expand(parent_id, &parent_params);
        self.stack.pop();
        let parent_record = parent_record?;
        Some(self.merge(parent_record, own))
    }

    /// Pushes a definition on the expansion stack; reports recursion.
    fn enter(&mut self, id: DefId, use_span: Span) -> bool {
        let def = self.program.def(id);
        if let Some(position) = self.stack.iter().position(|(d, _)| *d == id) {
            let mut diagnostic = Diagnostic::error(
                Code::TemplateRecursion,
                use_span,
                format!("`{}` is used inside its own expansion", def.name.name),
            )
            .label("this use starts the expansion again")
            .secondary(def.name.span, "defined here");
            for (_, span) in &self.stack[position + 1..] {
                diagnostic = diagnostic.secondary(*span, "which uses this");
            }
            self.diagnostics.push(diagnostic.help(
                "a template may extend another template, but the chain must end: remove the loop",
            ));
            return false;
        }
        if self.stack.len() >= MAX_DEPTH {
            self.diagnostics.push(
                Diagnostic::error(
                    Code::TemplateRecursion,
                    use_span,
                    "templates are nested too deeply",
                )
                .label(format!("more than {MAX_DEPTH} levels of expansion"))
                .help("flatten the chain of templates"),
            );
            return false;
        }
        self.stack.push((id, use_span));
        true
    }

    fn resolve_callee(&mut self, callee: &Ident, scope: &Scope) -> Option<DefId> {
        match self.program.lookup(scope.module, &callee.name) {
            Ok(id) => Some(id),
            Err(error) => {
                self.unknown_name(callee, scope, error, false);
                None
            }
        }
    }

    fn unknown_name(
        &mut self,
        name: &Ident,
        scope: &Scope,
        error: LookupError,
        allow_builtins: bool,
    ) {
        let mut candidates = self.program.visible_names(scope.module);
        if allow_builtins {
            candidates.extend(BUILTINS.iter().map(|b| b.to_string()));
        }
        let message = match (error, name.name.split_once('.')) {
            (LookupError::NoModule, Some((alias, _))) => {
                format!("no module named `{alias}` is imported here")
            }
            _ => format!("cannot find `{}` in this scope", name.name),
        };
        let mut help = suggest::help(
            &name.name,
            candidates.iter().map(String::as_str),
            "names in scope",
        );
        // `pip()` for `python.pip()`: the member of an imported module.
        let qualified: Vec<&String> = candidates
            .iter()
            .filter(|c| {
                c.rsplit_once('.')
                    .is_some_and(|(_, member)| member == name.name)
            })
            .collect();
        if !qualified.is_empty() {
            let names: Vec<String> = qualified.iter().map(|q| format!("`{q}`")).collect();
            help = format!(
                "did you mean {}? Members of a module are reached through it",
                names.join(" or ")
            );
        }
        let member = name.name.rsplit('.').next().unwrap_or_default();
        let homes = crate::stdlib::modules_defining(member);
        match (error, name.name.split_once('.')) {
            (LookupError::NoModule, Some((alias, _))) if crate::stdlib::module(alias).is_some() => {
                help = format!("add `use std.{alias}` at the top of the file");
            }
            _ if qualified.is_empty() && !homes.is_empty() => {
                let uses: Vec<String> = homes
                    .iter()
                    .map(|m| format!("`use std.{m}` and write `{m}.{member}`"))
                    .collect();
                help = format!(
                    "`{member}` is in the standard library: add {}",
                    uses.join(", or ")
                );
            }
            _ => {}
        }
        self.diagnostics.push(
            Diagnostic::error(Code::UnknownName, name.span, message)
                .label("not found")
                .help(help),
        );
    }

    /// Binds a call's arguments to a definition's parameters, checking names,
    /// counts and types. Defaults fill the rest.
    /// Parameters that could not be bound are poisoned, so evaluation goes on
    /// and reports the other mistakes without repeating this one.
    fn bind(&mut self, id: DefId, call: &ast::Call, scope: &Scope) -> HashMap<String, V> {
        let def = self.program.def(id);
        let mut bound: HashMap<String, V> = HashMap::new();
        let mut positional = 0;
        for arg in &call.args {
            let value = self.value(&arg.value, scope);
            let param = match &arg.name {
                Some(name) => match def.params.iter().find(|p| p.name.name == name.name) {
                    Some(p) => p,
                    None => {
                        let names = def.params.iter().map(|p| p.name.name.as_str());
                        self.diagnostics.push(
                            Diagnostic::error(
                                Code::UnknownArgument,
                                name.span,
                                format!("`{}` has no parameter `{}`", def.name.name, name.name),
                            )
                            .label("unknown parameter")
                            .secondary(def.head_span, "parameters declared here")
                            .help(suggest::help(
                                &name.name,
                                names,
                                "its parameters",
                            )),
                        );
                        continue;
                    }
                },
                None => match def.params.get(positional) {
                    Some(p) => {
                        positional += 1;
                        p
                    }
                    None => {
                        self.diagnostics.push(
                            Diagnostic::error(
                                Code::UnknownArgument,
                                arg.value.span,
                                format!("`{}` takes {} argument(s) but more were given", def.name.name, def.params.len()),
                            )
                            .label("extra argument")
                            .secondary(def.head_span, "declared here")
                            .help("remove the extra argument, or name it if you meant another parameter"),
                        );
                        continue;
                    }
                },
            };
            if bound.contains_key(&param.name.name) {
                self.diagnostics.push(
                    Diagnostic::error(
                        Code::DuplicateField,
                        arg.value.span,
                        format!("`{}` is given twice", param.name.name),
                    )
                    .label("second value")
                    .help("pass each parameter once"),
                );
                continue;
            }
            let Some(value) = value else {
                bound.insert(param.name.name.clone(), poison());
                continue;
            };
            let Some(ty) = self.param_type(&param.ty) else {
                bound.insert(param.name.name.clone(), poison());
                continue;
            };
            if !ty.accepts(&value) {
                self.diagnostics.push(
                    Diagnostic::error(
                        Code::WrongType,
                        value.span,
                        format!("expected {}, found {}", ty.describe(), describe(&value)),
                    )
                    .label(format!(
                        "`{}` is declared as `{}`",
                        param.name.name,
                        ty.describe()
                    ))
                    .secondary(param.ty.span, "parameter type declared here")
                    .help(type_help(&ty)),
                );
                bound.insert(param.name.name.clone(), poison());
                continue;
            }
            bound.insert(param.name.name.clone(), value);
        }
        for param in &def.params {
            if bound.contains_key(&param.name.name) {
                continue;
            }
            match &param.default {
                Some(default) => {
                    let empty = HashMap::new();
                    let default_scope = Scope {
                        module: id.module,
                        params: &empty,
                    };
                    if let Some(v) = self.value(default, &default_scope) {
                        bound.insert(param.name.name.clone(), v);
                    }
                }
                None => {
                    self.diagnostics.push(
                        Diagnostic::error(
                            Code::MissingArgument,
                            call.span,
                            format!(
                                "missing argument `{}` for `{}`",
                                param.name.name, def.name.name
                            ),
                        )
                        .label(format!("`{}` is required", param.name.name))
                        .secondary(param.span, "declared here without a default")
                        .help(format!(
                            "pass it, e.g. `{}({}: ...)`",
                            call.callee.name, param.name.name
                        )),
                    );
                    bound.insert(param.name.name.clone(), poison());
                }
            }
        }
        bound
    }

    fn param_type(&mut self, ty: &ast::TypeExpr) -> Option<ParamType> {
        match &ty.kind {
            TypeExprKind::List(inner) => Some(ParamType::List(Box::new(self.param_type(inner)?))),
            TypeExprKind::Named(name) => Some(match name.as_str() {
                "string" => ParamType::Str,
                "path" => ParamType::Path,
                "int" => ParamType::Int,
                "bool" => ParamType::Bool,
                "duration" => ParamType::Duration,
                "base" => ParamType::Base,
                "ecosystem" => ParamType::Ecosystem,
                "step" => ParamType::Step,
                _ => {
                    self.diagnostics.push(
                        Diagnostic::error(
                            Code::UnknownName,
                            ty.span,
                            format!("unknown type `{name}`"),
                        )
                        .label("not a type")
                        .help(suggest::help(
                            name,
                            TYPE_NAMES.iter().copied(),
                            "types",
                        )),
                    );
                    return None;
                }
            }),
        }
    }

    fn block(&mut self, block: &ast::Block, scope: &Scope) -> Record {
        let mut fields: Vec<RecordField> = Vec::new();
        // Each name's field, so a repeat is found in constant time.
        let mut by_name: HashMap<&str, usize> = HashMap::new();
        for field in &block.fields {
            if let Some(previous) = by_name.get(field.key.name.as_str()).map(|&i| &fields[i]) {
                self.diagnostics.push(
                    Diagnostic::error(Code::DuplicateField, field.key.span, format!("`{}` is set twice", field.key.name))
                        .label("second assignment")
                        .secondary(previous.key.span, "first set here")
                        .help("keep one; to add to a list from a template use `+=` in the block that extends it"),
                );
                continue;
            }
            // A value that failed is kept as poison, so the field does not
            // also look missing.
            let value = match enum_word(&field.key.name, &field.value) {
                Some(word) => word,
                None => self.value(&field.value, scope).unwrap_or_else(poison),
            };
            by_name.insert(field.key.name.as_str(), fields.len());
            fields.push(RecordField {
                key: field.key.clone(),
                op: field.op,
                value,
            });
        }
        Record {
            fields,
            span: block.span,
        }
    }

    fn value(&mut self, value: &ast::Value, scope: &Scope) -> Option<V> {
        let span = value.span;
        let val = match &value.kind {
            ValueKind::Str(s) if uses_poison(s, scope) => return Some(poison()),
            ValueKind::Str(s) => Val::Str(self.interpolate(s, span, scope)?),
            ValueKind::Int(n) => Val::Int(*n),
            ValueKind::Bool(b) => Val::Bool(*b),
            ValueKind::Duration(ms) => Val::Duration(*ms),
            ValueKind::List(items) => {
                let mut out = Vec::with_capacity(items.len());
                for item in items {
                    out.extend(self.value(item, scope));
                }
                Val::List(out)
            }
            ValueKind::Block(block) => Val::Record(self.block(block, scope)),
            ValueKind::Name(name) => {
                if let Some(bound) = scope.params.get(name) {
                    return Some(bound.clone());
                }
                Val::Word(name.clone())
            }
            ValueKind::Call(call) => return self.call(call, scope),
        };
        Some(V { val, span })
    }

    fn call(&mut self, call: &ast::Call, scope: &Scope) -> Option<V> {
        let id = match self.program.lookup(scope.module, &call.callee.name) {
            Ok(id) => id,
            Err(_) if BUILTINS.contains(&call.callee.name.as_str()) => {
                if let Some(adjust) = &call.adjust {
                    self.diagnostics.push(
                        Diagnostic::error(
                            Code::WrongType,
                            adjust.span,
                            format!(
                                "`{}(...)` cannot be adjusted with a block",
                                call.callee.name
                            ),
                        )
                        .label("a block after a call adjusts a base or an ecosystem")
                        .help(format!(
                            "pass everything as arguments: `{}(...)`",
                            call.callee.name
                        )),
                    );
                }
                let mut args = Vec::new();
                for arg in &call.args {
                    args.extend(self.value(&arg.value, scope).map(|v| (arg.name.clone(), v)));
                }
                return Some(V {
                    val: Val::Builtin(Box::new(Builtin {
                        name: call.callee.name.clone(),
                        args,
                    })),
                    span: call.span,
                });
            }
            Err(error) => {
                self.unknown_name(&call.callee, scope, error, true);
                return None;
            }
        };
        let def = self.program.def(id);
        if matches!(def.kind, DefKind::Template | DefKind::Image) {
            self.diagnostics.push(
                Diagnostic::error(
                    Code::WrongType,
                    call.callee.span,
                    format!(
                        "`{}` is {} and cannot be used as a value",
                        call.callee.name,
                        article(def.kind)
                    ),
                )
                .label("not a value")
                .secondary(def.name.span, "defined here")
                .help(
                    "extend a template in the header instead: `image NAME = TEMPLATE(...) { ... }`",
                ),
            );
            return None;
        }
        if !self.enter(id, call.span) {
            return None;
        }
        let params = self.bind(id, call, scope);
        let inner = Scope {
            module: id.module,
            params: &params,
        };
        let mut body = self.block(&def.body, &inner);
        self.stack.pop();
        // Adjusted at this use: the block is read in the caller's scope and
        // merged by the rules of template blocks (`=` replaces, `+=` appends).
        if let Some(adjust) = &call.adjust {
            let mut overlay = self.block(adjust, scope);
            self.parameters_as_fields(def, &call.callee.name, &body, &mut overlay);
            body = self.merge(body, overlay);
        }
        Some(V {
            val: Val::Instance(Box::new(Instance {
                kind: def.kind,
                name: call.callee.name.clone(),
                def_span: def.name.span,
                body,
            })),
            span: call.span,
        })
    }

    /// Renders `{{ ... }}` in strings of definitions that have parameters.
    fn interpolate(&mut self, text: &str, span: Span, scope: &Scope) -> Option<String> {
        if scope.params.is_empty() || !(text.contains("{{") || text.contains("{%")) {
            return Some(text.to_string());
        }
        let mut context = std::collections::BTreeMap::new();
        for (name, v) in scope.params {
            if let Some(value) = to_jinja(v) {
                context.insert(name.clone(), value);
            }
        }
        match self.jinja.render_str(text, &context) {
            Ok(rendered) => Some(rendered),
            Err(error) => {
                let mut help =
                    "interpolations name a parameter of the enclosing definition: `{{ version }}`"
                        .to_string();
                if error.kind() == minijinja::ErrorKind::UndefinedError {
                    if let Ok(template) = self.jinja.template_from_str(text) {
                        let unknown = template
                            .undeclared_variables(false)
                            .into_iter()
                            .find(|n| !context.contains_key(n));
                        if let Some(unknown) = unknown {
                            help = suggest::help(
                                &unknown,
                                scope.params.keys().map(String::as_str),
                                "parameters",
                            );
                        }
                    }
                }
                self.diagnostics.push(
                    Diagnostic::error(
                        Code::Interpolation,
                        span,
                        format!("cannot interpolate this string: {}", error.kind()),
                    )
                    .label(
                        error
                            .detail()
                            .unwrap_or("invalid interpolation")
                            .to_string(),
                    )
                    .help(help),
                );
                None
            }
        }
    }

    /// A natural slip when adjusting: `pip() { packages += [...] }` names a
    /// parameter, which the block cannot reach (it changes fields). Said
    /// here, where the parameters are known, and left out of the merge.
    fn parameters_as_fields(
        &mut self,
        def: &ast::Definition,
        callee: &str,
        body: &Record,
        overlay: &mut Record,
    ) {
        overlay.fields.retain(|field| {
            let name = field.key.name.as_str();
            let is_param = def.params.iter().any(|p| p.name.name == name);
            if !is_param || body.get(name).is_some() {
                return true;
            }
            self.diagnostics.push(
                Diagnostic::error(
                    Code::UnknownField,
                    field.key.span,
                    format!(
                        "`{name}` is a parameter of `{callee}`, not a field the block can change"
                    ),
                )
                .label("a block after a call adjusts fields")
                .secondary(def.name.span, "defined here")
                .help(format!("pass it in the call: `{callee}({name}: ...)`")),
            );
            false
        });
    }

    /// Applies an extending block on top of its parent. Nested blocks merge
    /// key by key; `+=` appends to lists; everything else replaces.
    fn merge(&mut self, mut base: Record, overlay: Record) -> Record {
        for field in overlay.fields {
            let Some(existing) = base
                .fields
                .iter_mut()
                .find(|f| f.key.name == field.key.name)
            else {
                base.fields.push(RecordField {
                    op: FieldOp::Set,
                    ..field
                });
                continue;
            };
            let old = std::mem::replace(&mut existing.value.val, Val::Bool(false));
            let new_val = match (old, field.value.val, field.op) {
                (Val::Record(a), Val::Record(b), _) => Val::Record(self.merge(a, b)),
                (Val::List(mut a), Val::List(b), FieldOp::Append) => {
                    a.extend(b);
                    Val::List(a)
                }
                // A field that takes one string or a list of them (commands,
                // outputs) set to one string: appending makes it a list.
                (Val::Str(a), Val::List(b), FieldOp::Append) => {
                    let first = V {
                        val: Val::Str(a),
                        span: existing.value.span,
                    };
                    Val::List(std::iter::once(first).chain(b).collect())
                }
                (old, new, FieldOp::Append) => {
                    let old_v = V {
                        val: old,
                        span: existing.value.span,
                    };
                    let new_v = V {
                        val: new,
                        span: field.value.span,
                    };
                    let (label, help) = if matches!(new_v.val, Val::List(_)) {
                        (
                            format!("`+=` appends to a list, but this is {}", describe(&old_v)),
                            "use `=` to replace the value",
                        )
                    } else {
                        (
                            format!("`+=` appends a list, found {}", describe(&new_v)),
                            "write the added value in brackets: `+= [...]`",
                        )
                    };
                    self.diagnostics.push(
                        Diagnostic::error(
                            Code::WrongType,
                            field.key.span,
                            format!("cannot append to `{}`", field.key.name),
                        )
                        .label(label)
                        .secondary(
                            existing.key.span,
                            format!("the template sets it to {}", describe(&old_v)),
                        )
                        .help(help),
                    );
                    old_v.val
                }
                (_, new, FieldOp::Set) => new,
            };
            existing.value = V {
                val: new_val,
                span: field.value.span,
            };
            existing.key = field.key;
        }
        base.span = overlay.span;
        base
    }
}

/// A bare word that is one of the field's own values (`distro = alpine`)
/// means that value, even where a parameter has the same name: the
/// parameter would otherwise shadow it silently.
fn enum_word(key: &str, value: &ast::Value) -> Option<V> {
    match &value.kind {
        ValueKind::Name(name) if crate::types::enum_words(key).contains(&name.as_str()) => {
            Some(V {
                val: Val::Word(name.clone()),
                span: value.span,
            })
        }
        _ => None,
    }
}

/// An interpolated string that reads a parameter already reported as wrong.
fn uses_poison(text: &str, scope: &Scope) -> bool {
    (text.contains("{{") || text.contains("{%"))
        && scope.params.values().any(|v| v.span.is_poison())
}

fn article(kind: DefKind) -> &'static str {
    match kind {
        DefKind::Template => "a template",
        DefKind::Image => "an image",
        DefKind::Base => "a base",
        DefKind::Ecosystem => "an ecosystem",
    }
}

fn type_help(ty: &ParamType) -> String {
    match ty {
        ParamType::Str | ParamType::Path => "write it in double quotes, e.g. \"3.12\"".into(),
        ParamType::Int => "write a whole number without quotes, e.g. 8000".into(),
        ParamType::Bool => "write `true` or `false`".into(),
        ParamType::Duration => "write a number with a unit: `500ms`, `30s`, `5m`, `1h`".into(),
        ParamType::Base => "pass a base, e.g. `debian.bookworm()`".into(),
        ParamType::Ecosystem => "pass an ecosystem, e.g. `python.pip()`".into(),
        ParamType::Step => "pass a command string or `step(\"...\", cache: [...])`".into(),
        ParamType::List(inner) => format!("write a list, e.g. [...] of {}", inner.describe()),
    }
}

fn to_jinja(v: &V) -> Option<minijinja::Value> {
    Some(match &v.val {
        Val::Str(s) | Val::Word(s) => minijinja::Value::from(s.clone()),
        Val::Int(n) => minijinja::Value::from(*n),
        Val::Bool(b) => minijinja::Value::from(*b),
        Val::Duration(ms) => minijinja::Value::from(crate::types::format_duration(*ms)),
        Val::List(items) => {
            minijinja::Value::from(items.iter().filter_map(to_jinja).collect::<Vec<_>>())
        }
        _ => return None,
    })
}
