//! The file system as imgspec meets it when the specs may come from
//! anyone's pull request: every file read or written lies inside the
//! project ([`Project`]), only regular files are opened, and reads have a
//! size limit ([`read_regular`]). Everything else refuses with a
//! [`FileError`], which carries its diagnostic code.

mod context;
mod project;
mod read;

pub use context::{context_entry, context_glob, context_read};
pub use project::Project;
pub use read::{read_regular, CONTEXT_LIMIT, SPEC_LIMIT};

use std::fmt;
use std::path::Path;

use crate::diagnostic::Code;

/// Why a file was not read or not written.
#[derive(Debug)]
pub enum FileError {
    NotFound,
    /// The path, symlinks resolved, lies outside the project root.
    OutsideProject,
    /// A spec was asked for, but the name does not end in `.imgspec`.
    NotASpec,
    /// A directory, FIFO, device, socket or symlink where a regular file
    /// was expected; the text says which.
    NotRegular(&'static str),
    TooLarge {
        limit: u64,
    },
    NotUtf8(crate::source::NotUtf8),
    Io(std::io::Error),
}

impl FileError {
    pub fn code(&self) -> Code {
        match self {
            FileError::NotFound => Code::ModuleNotFound,
            FileError::OutsideProject => Code::OutsideProject,
            FileError::NotASpec => Code::NotASpec,
            FileError::NotRegular(_) => Code::NotRegularFile,
            FileError::TooLarge { .. } => Code::FileTooLarge,
            FileError::NotUtf8(_) | FileError::Io(_) => Code::FileIo,
        }
    }

    /// How to fix it, for the diagnostic's help line.
    pub fn help(&self) -> String {
        match self {
            FileError::NotFound => "check the path; paths in `use` are relative to the file that contains the `use`".into(),
            FileError::OutsideProject => "imgspec reads and writes only inside the project: the repository holding the spec, or the directory given with `--root`".into(),
            FileError::NotASpec => "only files ending in `.imgspec` are read as specs".into(),
            FileError::NotRegular(_) => "name a regular file; directories, devices, FIFOs and sockets are never opened".into(),
            FileError::TooLarge { limit } => format!("specs are limited to {}; split it into modules joined with `use`", size(*limit)),
            FileError::NotUtf8(_) => "save the file as UTF-8".into(),
            FileError::Io(_) => "check the file's permissions and the disk".into(),
        }
    }

    pub fn is_not_found(&self) -> bool {
        matches!(self, FileError::NotFound)
    }
}

impl fmt::Display for FileError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FileError::NotFound => f.write_str("no such file"),
            FileError::OutsideProject => f.write_str("it is outside the project"),
            FileError::NotASpec => f.write_str("it is not a `.imgspec` file"),
            FileError::NotRegular(what) => write!(f, "it is {what}, not a regular file"),
            FileError::TooLarge { limit } => write!(f, "it is larger than {}", size(*limit)),
            FileError::NotUtf8(bad) => write!(f, "it is {bad}"),
            FileError::Io(e) => write!(f, "{e}"),
        }
    }
}

impl From<std::io::Error> for FileError {
    fn from(e: std::io::Error) -> FileError {
        match e.kind() {
            std::io::ErrorKind::NotFound => FileError::NotFound,
            _ => FileError::Io(e),
        }
    }
}

fn size(bytes: u64) -> String {
    const MIB: u64 = 1024 * 1024;
    if bytes % MIB == 0 {
        format!("{} MiB", bytes / MIB)
    } else {
        format!("{} KiB", bytes / 1024)
    }
}

/// Whether the file name ends in `.imgspec`.
pub fn is_spec_name(path: &Path) -> bool {
    path.extension().is_some_and(|e| e == "imgspec")
}

/// What kind of non-regular file `meta` describes, or `None` for a
/// regular file.
pub fn irregular(meta: &std::fs::Metadata) -> Option<&'static str> {
    let t = meta.file_type();
    if t.is_file() {
        return None;
    }
    if t.is_dir() {
        return Some("a directory");
    }
    if t.is_symlink() {
        return Some("a symbolic link");
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if t.is_fifo() {
            return Some("a FIFO");
        }
        if t.is_block_device() || t.is_char_device() {
            return Some("a device");
        }
        if t.is_socket() {
            return Some("a socket");
        }
    }
    Some("a special file")
}
