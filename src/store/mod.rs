//! Durable storage behind one small interface; only `sled_store` knows sled exists.
//!
//! Every method is synchronous and may block on disk: async callers run them through
//! `tokio::task::spawn_blocking`. A method that writes returns only once the write is on disk.

mod backup;
mod contacts;
mod flusher;
mod guarded;
mod guarded_contacts;
mod guarded_partials;
mod guarded_traits;
mod interviews;
mod mail;
mod partials;
mod profiles;
mod sled_aggregates;
mod sled_backup;
mod sled_contacts;
mod sled_count;
mod sled_interviews;
mod sled_mail;
mod sled_partials;
mod sled_profiles;
mod sled_quotas;
mod sled_response_write;
mod sled_sessions;
mod sled_store;
mod sled_webhooks;
mod webhooks;

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;
use uuid::Uuid;

use crate::analysis::aggregate::{SegmentStats, Tally, ThemeTextRecord};
use crate::analysis::evidence::{DayTally, JobStatement};
use crate::auth::Session;
use crate::form::Form;
use crate::interview::{Interview, Note};

pub use backup::{BackupStore, Record};
pub use contacts::{Contact, ContactStore, ImportCounts, Merge, StagedRow};
pub use guarded::GuardedStore;
pub use interviews::{InterviewIter, InterviewStore, InterviewWrite, NoteIter, NoteWrite};
pub use mail::{MailState, MailStore, Schedule};
pub use partials::{Completion, PartialIter, PartialResponse, PartialState, PartialStore};
pub use profiles::{Activation, CardNotes, ProfileStore, Review};
pub use sled_store::{ONE_PASS_CACHE_BYTES, SledStore};
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
    /// The consent the respondent gave, for a form with consent text. Absent from records
    /// stored before forms had consent, which therefore still read.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub consent: Option<ConsentGiven>,
    /// The quota places the response takes. The store counts them in the same write that
    /// stores it, refusing it (`StoreError::QuotaFull`) when a place is gone, and frees them
    /// in the write that erases it.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub quotas: Vec<QuotaPlace>,
    /// The order in which shuffled questions showed their options (or matrix rows), by
    /// question id.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub order: BTreeMap<String, Vec<String>>,
    /// The page's language at submission, for a form with `languages`; absent from records of
    /// forms without them and from those stored before, which therefore still read.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub language: Option<String>,
}

/// A place in one of a form's quotas: its name and how many places it had when taken.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct QuotaPlace {
    pub name: String,
    pub limit: u64,
}

/// What a respondent agreed to and when.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ConsentGiven {
    /// SHA-256 (hex) of the form's consent text as shown: which wording was agreed to, even
    /// after the form file changes.
    pub text_sha256: String,
    /// RFC 3339, UTC.
    pub at: String,
}

/// What one response or note adds to (or, erased, takes from) one report.
#[derive(Debug, Clone, PartialEq)]
pub struct Contribution {
    pub report: String,
    pub tally: Tally,
}

/// Where a report's aggregates stand.
#[derive(Debug, Clone, PartialEq)]
pub enum AggregateState {
    /// Never built for this definition: a rebuild must start.
    Missing,
    Building {
        done: u64,
        total: u64,
    },
    Ready(BTreeMap<String, SegmentStats>),
}

/// Computes a response's contributions; run inside the store's write so it sees the record
/// exactly as it is erased.
pub type ContributionsOf<'a> = &'a (dyn Fn(&StoredResponse) -> Vec<Contribution> + Sync);

/// What a rebuild needs: how responses and notes contribute, and which guides' notes count.
pub struct Contributors<'a> {
    pub response: ContributionsOf<'a>,
    pub note: &'a (dyn Fn(&Interview, &Note) -> Vec<Contribution> + Sync),
    pub guides: &'a [String],
}

/// What a segment's evidence index holds for its profile card.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SegmentEvidence {
    /// RFC 3339 times of the segment's oldest and newest response.
    pub first_at: Option<String>,
    pub last_at: Option<String>,
    /// Loyalty counts by UTC day (`YYYY-MM-DD`), oldest first.
    pub days: BTreeMap<String, DayTally>,
    /// Job statements from survey answers, newest first.
    pub jobs: Vec<JobStatement>,
}

/// A survey text that mentions a theme, with when it was given.
#[derive(Debug, Clone, PartialEq)]
pub struct DatedText {
    pub at: chrono::DateTime<chrono::Utc>,
    pub record: ThemeTextRecord,
}

pub type ThemeTextIter = Box<dyn Iterator<Item = Result<ThemeTextRecord, StoreError>> + Send>;

pub type ResponseIter = Box<dyn Iterator<Item = Result<StoredResponse, StoreError>> + Send>;

pub trait Store: Send + Sync + 'static {
    /// Stores the response, its contributions to report aggregates and the webhook messages
    /// that report it (in the same write) and, the first time a revision is answered, the
    /// form as it was.
    fn insert_response(
        &self,
        response: &StoredResponse,
        form: &Form,
        contributions: &[Contribution],
        webhooks: &[WebhookMessage],
    ) -> Result<(), StoreError>;

    fn response(&self, id: Uuid) -> Result<Option<StoredResponse>, StoreError>;

    /// How many places each of a form's quotas has taken, by quota name.
    fn quota_counts(&self, form_id: &str) -> Result<BTreeMap<String, u64>, StoreError>;

    /// Erases a response for good, taking its contributions out of the aggregates and
    /// queuing the webhook messages that report the erasure in the same write; returns it,
    /// or `None` when there was none (and then queues nothing).
    fn delete_response(
        &self,
        id: Uuid,
        contributions: ContributionsOf,
        webhooks: &[WebhookMessage],
    ) -> Result<Option<StoredResponse>, StoreError>;

    /// A form's responses, oldest first, read lazily so that exports stay flat in memory.
    fn responses(&self, form_id: &str) -> ResponseIter;

    /// How many responses a form has, without reading them (the XLSX export checks that
    /// they fit in one sheet before it writes anything).
    fn count_responses(&self, form_id: &str) -> Result<u64, StoreError>;

    /// Every revision of a form that has responses, oldest first.
    fn revisions(&self, form_id: &str) -> Result<Vec<Form>, StoreError>;

    /// Writes and flushes a marker: the health check's probe when no write came lately.
    fn probe_write(&self) -> Result<(), StoreError>;

    /// When the most recent durable write (or probe) finished, and its error if it failed.
    fn last_durable_write(&self) -> Option<(std::time::Instant, Result<(), String>)>;

    /// Keeps a browser login under the hash of its id; durable when it returns.
    fn put_session(&self, id_sha256: &str, session: &Session) -> Result<(), StoreError>;

    fn session(&self, id_sha256: &str) -> Result<Option<Session>, StoreError>;

    /// Ends a browser login; durable when it returns.
    fn delete_session(&self, id_sha256: &str) -> Result<(), StoreError>;

    /// A report's aggregates for its current definition (`key`), or how far their rebuild is.
    fn aggregates(&self, report: &str, key: &str) -> Result<AggregateState, StoreError>;

    /// Starts over a report's aggregates for a new definition: clears them and marks them
    /// as building. Returns false when they are already built for `key`, true when a
    /// rebuild must run (a new one, or one a restart interrupted).
    fn begin_rebuild(&self, report: &str, key: &str, form_id: &str) -> Result<bool, StoreError>;

    /// Folds the next batch of stored responses into a building report's aggregates, and
    /// after the last batch every note of its guides; returns true once they are ready.
    fn rebuild_step(
        &self,
        report: &str,
        form_id: &str,
        batch: usize,
        contributors: &Contributors,
    ) -> Result<bool, StoreError>;

    /// The texts that mention a theme, interview quotes first, read lazily.
    fn theme_texts(&self, report: &str, theme: &str) -> ThemeTextIter;

    /// A report's uncoded term counts, summed over the segments `include` accepts.
    fn terms(
        &self,
        report: &str,
        include: &dyn Fn(&str) -> bool,
    ) -> Result<BTreeMap<String, u64>, StoreError>;

    /// A segment's period, loyalty counts by day and up to `jobs` newest job statements.
    fn segment_evidence(
        &self,
        report: &str,
        segment: &str,
        jobs: usize,
    ) -> Result<SegmentEvidence, StoreError>;

    /// Up to `limit` of a segment's survey texts that mention a theme, newest first.
    fn segment_theme_texts(
        &self,
        report: &str,
        segment: &str,
        theme: &str,
        limit: usize,
    ) -> Result<Vec<DatedText>, StoreError>;
}
