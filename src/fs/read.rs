//! Reading a file that someone else may have put there: only a regular
//! file is opened, never a FIFO (which would block) or a device (which may
//! never end), and no more than a limit is read.

use std::io::Read;
use std::path::Path;

use super::{irregular, FileError};

/// The most a spec may hold: 1 MiB.
pub const SPEC_LIMIT: u64 = 1024 * 1024;

/// The most a file of the build context read by the checks may hold (a
/// `package.json`, a `pom.xml`): 1 MiB. A larger one is not read.
pub const CONTEXT_LIMIT: u64 = 1024 * 1024;

/// The text of the regular file at `path`, at most `limit` bytes. Symlinks
/// are followed (callers resolve and check them first).
pub fn read_regular(path: &Path, limit: u64) -> Result<String, FileError> {
    // Checked before opening: opening a FIFO blocks until a writer comes.
    let meta = std::fs::metadata(path)?;
    if let Some(what) = irregular(&meta) {
        return Err(FileError::NotRegular(what));
    }
    if meta.len() > limit {
        return Err(FileError::TooLarge { limit });
    }
    let mut options = std::fs::OpenOptions::new();
    options.read(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        // Should the file be swapped for a FIFO after the check, the open
        // still returns at once, and the check below refuses it.
        options.custom_flags(libc::O_NONBLOCK);
    }
    let file = options.open(path)?;
    if let Some(what) = irregular(&file.metadata()?) {
        return Err(FileError::NotRegular(what));
    }
    let mut bytes = Vec::new();
    file.take(limit + 1).read_to_end(&mut bytes)?;
    if bytes.len() as u64 > limit {
        return Err(FileError::TooLarge { limit });
    }
    crate::source::decode(bytes).map_err(FileError::NotUtf8)
}
