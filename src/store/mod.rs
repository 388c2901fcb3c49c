//! Durable storage behind one small interface; only `sled_store` knows sled exists.
//!
//! Every method is synchronous and may block on disk: async callers run them through
//! `tokio::task::spawn_blocking`. A method that writes returns only once the write is on disk.

mod flusher;
mod interviews;
mod sled_interviews;
mod sled_store;

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;
use uuid::Uuid;

use crate::form::Form;

pub use interviews::{InterviewIter, InterviewStore, InterviewWrite, NoteIter, NoteWrite};
pub use sled_store::SledStore;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("cannot open the data directory {path}: {reason}")]
    Open { path: String, reason: String },
    #[error("storage error: {0}")]
    Backend(String),
    #[error("stored record is unreadable: {0}")]
    Corrupt(String),
}

/// One submitted survey response, as stored.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StoredResponse {
    pub id: Uuid,
    pub form: String,
    pub form_revision: String,
    /// RFC 3339, UTC.
    pub submitted_at: String,
    #[serde(default)]
    pub hidden: BTreeMap<String, String>,
    pub answers: BTreeMap<String, Value>,
    /// SHA-256 of the respondent's erasure receipt; the receipt itself is never stored.
    pub receipt_sha256: String,
}

pub type ResponseIter = Box<dyn Iterator<Item = Result<StoredResponse, StoreError>> + Send>;

pub trait Store: Send + Sync + 'static {
    /// Stores the response and, the first time a revision is answered, the form as it was.
    fn insert_response(&self, response: &StoredResponse, form: &Form) -> Result<(), StoreError>;

    fn response(&self, id: Uuid) -> Result<Option<StoredResponse>, StoreError>;

    /// Erases a response for good; returns it, or `None` when there was none.
    fn delete_response(&self, id: Uuid) -> Result<Option<StoredResponse>, StoreError>;

    /// A form's responses, oldest first, read lazily so that exports stay flat in memory.
    fn responses(&self, form_id: &str) -> ResponseIter;

    /// Every revision of a form that has responses, oldest first.
    fn revisions(&self, form_id: &str) -> Result<Vec<Form>, StoreError>;

    /// Writes and flushes a marker: the health check.
    fn probe_write(&self) -> Result<(), StoreError>;
}
