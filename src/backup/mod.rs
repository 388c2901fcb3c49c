//! Backups: the whole store in one file, taken offline or from a running server, and restored
//! into an empty data directory. The file format is in `format`; the store hands out and takes
//! back its records through `BackupStore`, and nothing here knows how a backend keeps them.

mod client;
pub mod command;
mod format;
mod restore;

use std::path::{Path, PathBuf};

pub use client::{download, server_url};
pub use format::{FORMAT, Summary, VERSION, read, write};
pub use restore::{holds_records, restore_file, restore_into};

use crate::durable::Replacement;
use crate::store::{BackupStore, StoreError};

#[derive(Debug, thiserror::Error)]
pub enum BackupError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("{context}: {source}")]
    Io {
        context: &'static str,
        source: std::io::Error,
    },
    #[error("this is not a fieldnotes backup: {0}")]
    NotABackup(String),
    #[error(
        "the backup is in format version {found}, and this fieldnotes reads versions 1 to {VERSION}: restore it with the fieldnotes that wrote it, or a newer one"
    )]
    Version { found: u32 },
    #[error("line {line} of the backup is not a record: {reason}")]
    Malformed { line: u64, reason: String },
    #[error(
        "the backup ends at line {line} without its end line: it was cut short (a full disk, or a copy that stopped), so it is refused whole"
    )]
    Truncated { line: u64 },
    #[error("the backup's compressed data is damaged: {0}")]
    Damaged(String),
    #[error("the backup's end line counts {expected}, but it holds {found}")]
    CountsDiffer { expected: String, found: String },
    #[error(
        "{0} is not empty: restore only into a new or empty data directory, so that nothing there is overwritten"
    )]
    NotEmpty(PathBuf),
    #[error(
        "{0} already holds records: restore only into an empty database, so that nothing there is overwritten"
    )]
    DatabaseNotEmpty(String),
    #[error("there is no store in {0}: nothing to back up (is --data right?)")]
    NoStore(PathBuf),
    /// The running server could not be asked, or refused; the text says what to do.
    #[error("{0}")]
    Server(String),
}

/// Writes a backup of `store` to `path`, durably: the file appears under its name only whole
/// and synced, replacing any earlier one only then.
pub fn write_file(store: &dyn BackupStore, path: &Path) -> Result<Summary, BackupError> {
    let creating = |source| BackupError::Io {
        context: "cannot create the backup file",
        source,
    };
    let mut file = Replacement::begin(path).map_err(creating)?;
    let summary = write(store, file.file())?;
    file.commit().map_err(|source| BackupError::Io {
        context: "cannot write the backup file",
        source,
    })?;
    Ok(summary)
}
