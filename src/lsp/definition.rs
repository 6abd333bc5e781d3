//! `textDocument/definition`: from a name or call to its definition (in
//! the same file, an imported file, or a standard module served under
//! `imgspec-std:`), and from a `use` to the module it imports.

use lsp_types::{Location, Position, Range, Uri};

use super::context;
use super::documents::{Documents, LineIndex};
use super::symbols::{self, Target};

pub fn definition(documents: &Documents, uri: &str, position: Position) -> Option<Location> {
    let text = documents.text(uri)?;
    let lines = LineIndex::new(&text);
    let offset = lines.offset(&text, position);
    let outline = symbols::outline(&text);
    if let Some(entry) = outline
        .uses
        .iter()
        .find(|u| u.target_range.contains(&offset) || u.target_range.end == offset)
    {
        return module_start(documents, uri, &entry.target);
    }
    let (word, range) = context::word_at(&text, offset)?;
    if let Some((alias, _)) = word.split_once('.') {
        if offset <= range.start + alias.len() {
            return module_start(documents, uri, &outline.import(alias)?.target);
        }
    }
    let found = symbols::find(documents, uri, &text, &word)?;
    let lines = LineIndex::new(&found.module.text);
    let start = lines.position(&found.module.text, found.def.name_range.start);
    let end = lines.position(&found.module.text, found.def.name_range.end);
    location(&found.module.uri, Range::new(start, end))
}

fn module_start(documents: &Documents, uri: &str, target: &Target) -> Option<Location> {
    let uri = match target {
        Target::Std(_) => symbols::module(documents, &Documents::spec_path(uri), target)?.uri,
        // The file need not exist for the jump: the editor says so.
        Target::File(relative) => super::documents::path_to_uri(&symbols::file_target(
            &Documents::spec_path(uri),
            relative,
        )),
    };
    location(&uri, Range::default())
}

fn location(uri: &str, range: Range) -> Option<Location> {
    Some(Location::new(uri.parse::<Uri>().ok()?, range))
}
