//! Outside texts: support tickets, reviews and sales-call notes imported by CSV into a
//! report's declared sources, counted in its themes beside survey answers and interview
//! notes, placed in the segment of their contact. Parsing an import, placing texts, what
//! they contribute and removing them live here; the store only keeps what they decide.

pub mod command;
pub mod count;
pub mod import;
pub mod place;
pub mod remove;

use crate::store::StoreError;

pub use count::contributions;
pub use import::{ImportedTexts, import};
pub use remove::{delete_text, erase_contact_texts};

pub use crate::store::TextBackend;

#[derive(Debug, thiserror::Error)]
pub enum TextsError {
    #[error("no report with id '{0}'")]
    UnknownReport(String),
    #[error("report '{report}' declares no source '{name}' (see its [[sources]])")]
    UnknownSource { report: String, name: String },
    #[error("no text '{id}' in source '{name}' of report '{report}'")]
    NotFound {
        report: String,
        name: String,
        id: String,
    },
    /// A row (or the header, line 1) that cannot be imported; nothing of the file was kept.
    #[error("line {line}: {message}")]
    BadRow { line: u64, message: String },
    #[error("the file is over {} MiB", crate::contacts::import::MAX_IMPORT_BYTES / (1024 * 1024))]
    TooLarge,
    #[error("the file could not be read: {0}")]
    Read(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}
