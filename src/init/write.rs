//! The spec writer: what detection decided, as imgspec text in the shape
//! of docs/recipes.md. Every string that comes from the project goes
//! through [`string`], which refuses what cannot be written as a plain
//! string literal, so a manifest can never change the spec's structure.

/// A spec of one image.
#[derive(Debug, Default, Clone)]
pub struct Spec {
    /// `std.NAME` modules to import, in order.
    pub uses: Vec<&'static str>,
    /// The image's name.
    pub image: String,
    /// A template call the image extends (`python.service(version: "3.12")`).
    pub template: Option<String>,
    pub items: Vec<Item>,
    pub run: Vec<Item>,
}

/// A line of a block.
#[derive(Debug, Clone)]
pub enum Item {
    /// `key = value` (or `+=`), with a `// imgspec init:` note at the end
    /// of the line when the value is a guess.
    Field {
        key: String,
        op: &'static str,
        value: String,
        note: Option<String>,
    },
    /// A nested block, `packages { ... }`.
    Block { key: String, items: Vec<Item> },
    /// A `// imgspec init:` line of its own, for what was left out.
    Note(String),
}

impl Item {
    pub fn field(key: &str, value: impl Into<String>) -> Item {
        Item::Field {
            key: key.to_string(),
            op: "=",
            value: value.into(),
            note: None,
        }
    }

    pub fn add(key: &str, value: impl Into<String>) -> Item {
        Item::Field {
            key: key.to_string(),
            op: "+=",
            value: value.into(),
            note: None,
        }
    }

    /// The same field with a note saying what was guessed and why.
    pub fn noted(self, why: Option<String>) -> Item {
        match self {
            Item::Field { key, op, value, .. } => Item::Field {
                key,
                op,
                value,
                note: why,
            },
            other => other,
        }
    }
}

impl Spec {
    /// Sets `key` in the image's top-level items, replacing an earlier one.
    pub fn set(&mut self, item: Item) {
        set(&mut self.items, item);
    }

    /// Sets `key` in the `run` block, replacing an earlier one.
    pub fn set_run(&mut self, item: Item) {
        set(&mut self.run, item);
    }

    /// Whether the image (not the run block) sets `key`.
    pub fn has(&self, key: &str) -> bool {
        self.items.iter().any(|i| item_key(i) == Some(key))
    }

    /// The spec's text.
    pub fn render(&self, header: &[String]) -> String {
        let mut out = String::new();
        for line in header {
            out.push_str("// ");
            out.push_str(line);
            out.push('\n');
        }
        for module in &self.uses {
            out.push_str(&format!("use std.{module}\n"));
        }
        out.push('\n');
        match &self.template {
            Some(call) => out.push_str(&format!("image {} = {call} {{\n", self.image)),
            None => out.push_str(&format!("image {} {{\n", self.image)),
        }
        let mut items = self.items.clone();
        if !self.run.is_empty() {
            items.push(Item::Block {
                key: "run".into(),
                items: self.run.clone(),
            });
        }
        block(&mut out, &items, 1);
        out.push_str("}\n");
        out
    }
}

fn item_key(item: &Item) -> Option<&str> {
    match item {
        Item::Field { key, .. } | Item::Block { key, .. } => Some(key),
        Item::Note(_) => None,
    }
}

fn set(items: &mut Vec<Item>, item: Item) {
    let key = item_key(&item).map(str::to_string);
    if let Some(existing) = items
        .iter_mut()
        .find(|i| key.is_some() && item_key(i) == key.as_deref() && !is_add(i))
    {
        *existing = item;
    } else {
        items.push(item);
    }
}

fn is_add(item: &Item) -> bool {
    matches!(item, Item::Field { op: "+=", .. })
}

fn block(out: &mut String, items: &[Item], depth: usize) {
    let indent = "  ".repeat(depth);
    // Keys aligned as in the recipes: `=` in one column per block.
    let width = items
        .iter()
        .filter_map(|i| match i {
            Item::Field { key, op, .. } => Some(key.len() + op.len() - 1),
            _ => None,
        })
        .max()
        .unwrap_or(0);
    for item in items {
        match item {
            Item::Field {
                key,
                op,
                value,
                note,
            } => {
                let pad = " ".repeat(width + 1 - key.len() - (op.len() - 1));
                out.push_str(&format!("{indent}{key}{pad}{op} {value}"));
                if let Some(note) = note {
                    out.push_str(&format!("  // imgspec init: {note}"));
                }
                out.push('\n');
            }
            Item::Block { key, items } => {
                out.push_str(&format!("{indent}{key} {{\n"));
                block(out, items, depth + 1);
                out.push_str(&format!("{indent}}}\n"));
            }
            Item::Note(note) => out.push_str(&format!("{indent}// imgspec init: {note}\n")),
        }
    }
}

/// A string literal for `text`, or `None` when it holds what a literal
/// cannot carry as written: control characters, or `{{` / `{%`, which
/// a template's string would read as an interpolation.
pub fn string(text: &str) -> Option<String> {
    if text.chars().any(char::is_control) || text.contains("{{") || text.contains("{%") {
        return None;
    }
    let mut out = String::with_capacity(text.len() + 2);
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c => out.push(c),
        }
    }
    out.push('"');
    Some(out)
}

/// A list of string literals; items that cannot be written are left out.
pub fn list<S: AsRef<str>>(items: &[S]) -> String {
    let parts: Vec<String> = items.iter().filter_map(|i| string(i.as_ref())).collect();
    format!("[{}]", parts.join(", "))
}

/// A name usable as an image name: lower-case letters, digits, `-` and
/// `_`, starting with a letter; `fallback` otherwise.
pub fn image_name(name: &str, fallback: &str) -> String {
    let cleaned: String = name
        .trim()
        .to_ascii_lowercase()
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '_' || c == '-' {
                c
            } else {
                '_'
            }
        })
        .collect();
    let cleaned = cleaned.trim_matches(['_', '-']).to_string();
    if cleaned.is_empty()
        || !cleaned.starts_with(|c: char| c.is_ascii_alphabetic())
        || KEYWORDS.contains(&cleaned.as_str())
    {
        fallback.to_string()
    } else {
        cleaned
    }
}

/// Words an image may not be named.
const KEYWORDS: &[&str] = &[
    "use",
    "image",
    "base",
    "template",
    "ecosystem",
    "true",
    "false",
    "as",
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strings_are_escaped_or_refused() {
        assert_eq!(string("a\"b\\c").as_deref(), Some("\"a\\\"b\\\\c\""));
        assert_eq!(string("{{ x }}"), None);
        assert_eq!(string("a\nb"), None);
        assert_eq!(list(&["a", "{% x %}", "b"]), "[\"a\", \"b\"]");
    }

    #[test]
    fn image_names_are_identifiers() {
        assert_eq!(image_name("My-App", "app"), "my-app");
        assert_eq!(image_name("9lives", "app"), "app");
        assert_eq!(image_name("", "app"), "app");
        assert_eq!(image_name("image", "app"), "app");
    }
}
