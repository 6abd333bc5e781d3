//! The spanned syntax tree. It records what was written, not what it means:
//! field names and value types are checked later, against schemas.

use crate::source::Span;

#[derive(Debug, Clone, PartialEq)]
pub struct Ident {
    pub name: String,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Module {
    pub uses: Vec<Use>,
    pub definitions: Vec<Definition>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum UseTarget {
    /// `use std.python`
    Std(String),
    /// `use "./company.imgspec"`
    File(String),
}

#[derive(Debug, Clone, PartialEq)]
pub struct Use {
    pub target: UseTarget,
    pub target_span: Span,
    /// The name the module is bound to: the alias, or the last path segment.
    pub binding: Option<Ident>,
    pub span: Span,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DefKind {
    Base,
    Ecosystem,
    Template,
    Image,
}

impl DefKind {
    pub fn keyword(self) -> &'static str {
        match self {
            DefKind::Base => "base",
            DefKind::Ecosystem => "ecosystem",
            DefKind::Template => "template",
            DefKind::Image => "image",
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Definition {
    pub kind: DefKind,
    pub name: Ident,
    pub docs: String,
    pub params: Vec<Param>,
    pub extends: Option<Call>,
    pub body: Block,
    /// The header: keyword, name and parameters.
    pub head_span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Param {
    pub name: Ident,
    pub ty: TypeExpr,
    pub default: Option<Value>,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub enum TypeExprKind {
    Named(String),
    List(Box<TypeExpr>),
}

#[derive(Debug, Clone, PartialEq)]
pub struct TypeExpr {
    pub kind: TypeExprKind,
    pub span: Span,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FieldOp {
    /// `=` (or a nested block): set, merging nested blocks.
    Set,
    /// `+=`: append to a list, or merge into a map.
    Append,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Field {
    pub key: Ident,
    pub op: FieldOp,
    pub value: Value,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Block {
    pub fields: Vec<Field>,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Call {
    pub callee: Ident,
    pub args: Vec<Arg>,
    /// The block after a call used as a value (`pip() { ... }`): merged
    /// into the called base's or ecosystem's body at this use only.
    pub adjust: Option<Block>,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Arg {
    pub name: Option<Ident>,
    pub value: Value,
}

#[derive(Debug, Clone, PartialEq)]
pub enum ValueKind {
    Str(String),
    Int(i64),
    Bool(bool),
    /// Milliseconds.
    Duration(u64),
    List(Vec<Value>),
    Block(Block),
    Call(Call),
    /// A bare (possibly dotted) name: a parameter, an enum word, a definition.
    Name(String),
}

#[derive(Debug, Clone, PartialEq)]
pub struct Value {
    pub kind: ValueKind,
    pub span: Span,
}

impl Value {
    /// A short name of the value's shape, for "expected X, found Y".
    pub fn describe(&self) -> &'static str {
        match &self.kind {
            ValueKind::Str(_) => "a string",
            ValueKind::Int(_) => "an integer",
            ValueKind::Bool(_) => "a boolean",
            ValueKind::Duration(_) => "a duration",
            ValueKind::List(_) => "a list",
            ValueKind::Block(_) => "a block",
            ValueKind::Call(_) => "a call",
            ValueKind::Name(_) => "a name",
        }
    }
}
