//! Durable storage, one trait per concern (responses, aggregates, sessions, the health
//! probe, interviews, partial responses, card notes, email bookkeeping, the webhook outbox,
//! backups, contacts, outside texts), each implemented directly by every backend; `Store` is all of them at once. Only
//! the `sled_*` files know sled exists.
//!
//! Every method is synchronous and may block on disk: async callers run them through
//! `blocking`. A method that writes returns only once the write is on disk.

mod aggregates;
mod backup;
mod contacts;
mod flusher;
mod guarded;
mod guarded_contacts;
mod guarded_invitations;
mod guarded_partials;
mod guarded_texts;
mod guarded_traits;
mod interviews;
mod invitations;
mod mail;
mod open;
mod partials;
pub mod pg;
mod probe;
mod profiles;
mod responses;
mod sessions;
mod sled_aggregate_tx;
mod sled_aggregates;
mod sled_backup;
mod sled_combine;
mod sled_contacts;
mod sled_interviews;
mod sled_invitations;
mod sled_mail;
mod sled_partials;
mod sled_profiles;
mod sled_quotas;
mod sled_response_write;
mod sled_responses;
mod sled_sessions;
mod sled_store;
mod sled_texts;
mod sled_webhooks;
mod texts;
mod webhooks;

pub use aggregates::{
    AggregateState, AggregateStore, DatedText, NotesOf, RebuildProgress, SegmentEvidence,
    ThemeTextIter,
};
pub use backup::{BackupStore, Record};
pub use contacts::{Contact, ContactStore, ImportCounts, Merge, StagedRow};
pub use guarded::GuardedStore;
pub use interviews::{
    InterviewIter, InterviewStore, InterviewWrite, NoteIter, NoteWrite, RemoteEvents,
};
pub use invitations::{
    Campaign, Invitation, InvitationIter, InvitationMessage, InvitationStore, IssuedToken,
    MessageState, TokenPurpose, TokenRef,
};
pub use mail::{MailState, MailStore, Schedule};
pub use open::{Backend, StoreUrl};
pub use partials::{Completion, PartialIter, PartialResponse, PartialState, PartialStore};
pub use probe::HealthStore;
pub use profiles::{Activation, CardNotes, ProfileStore, Review};
pub use responses::{
    ConsentGiven, ContributionsOf, QuotaPlace, ResponseIter, ResponseStore, StoredResponse,
};
pub use sessions::SessionStore;
pub use sled_store::SledStore;
pub use texts::{
    StoredText, TextBackend, TextContributions, TextCounts, TextIter, TextKey, TextStore,
};
pub use webhooks::{AttemptOutcome, FinishedWebhook, QueuedWebhook, WebhookMessage, WebhookStore};

#[derive(Debug, Clone, thiserror::Error)]
pub enum StoreError {
    #[error("cannot open the data directory {path}: {reason}")]
    Open { path: String, reason: String },
    /// Another process holds the store (sled allows one): most likely a running server.
    #[error(
        "cannot open the data directory {path}: it is in use by another fieldnotes process (stop the server first)"
    )]
    InUse { path: String },
    #[error("storage error: {0}")]
    Backend(String),
    /// The database server cannot be reached now (refused, dropped or exhausted
    /// connections): nothing was done, and the same request may succeed shortly.
    #[error("the database is unavailable: {0}")]
    Unavailable(String),
    #[error("stored record is unreadable: {0}")]
    Corrupt(String),
    /// The filesystem of the data directory is full (or nearly: see `GuardedStore`); the
    /// write was refused or did not reach the disk. Reads still work.
    #[error("the disk is full: {0}")]
    Full(String),
    /// A quota the response would count in has no place left; nothing was stored.
    #[error("the quota '{0}' is full")]
    QuotaFull(String),
}

/// Runs a store call on tokio's blocking threads (every method here may wait on the disk),
/// from async code; a task that panicked is a backend error.
pub async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> Result<T, StoreError> + Send + 'static,
) -> Result<T, StoreError> {
    tokio::task::spawn_blocking(work)
        .await
        .map_err(|e| StoreError::Backend(format!("a store task failed: {e}")))?
}

/// Whether an I/O error is the filesystem saying it is full: ENOSPC, or EDQUOT when a quota
/// is. std maps the raw codes to these kinds, and sled's copies of its errors keep the kind.
pub fn is_full(e: &std::io::Error) -> bool {
    matches!(
        e.kind(),
        std::io::ErrorKind::StorageFull | std::io::ErrorKind::QuotaExceeded
    )
}

/// Every concern at once: what one backend is, and what the server holds.
pub trait Store:
    ResponseStore
    + AggregateStore
    + SessionStore
    + HealthStore
    + InterviewStore
    + PartialStore
    + ProfileStore
    + MailStore
    + WebhookStore
    + BackupStore
{
}

impl<T> Store for T where
    T: ResponseStore
        + AggregateStore
        + SessionStore
        + HealthStore
        + InterviewStore
        + PartialStore
        + ProfileStore
        + MailStore
        + WebhookStore
        + BackupStore
{
}
