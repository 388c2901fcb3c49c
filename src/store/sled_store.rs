//! The sled backend. Trees and keys:
//! - `meta`: small markers such as the health probe
//!
//! Each concern's trees are described in its own file: responses in `sled_responses`,
//! aggregates in `sled_aggregates`, interviews in `sled_interviews`, partial responses in
//! `sled_partials`, the summary bookkeeping in `sled_mail`, the webhook outbox in
//! `sled_webhooks`, logins in `sled_sessions`, card notes in `sled_profiles`,
//! contacts in `sled_contacts`, outside texts in `sled_texts`.

use std::path::Path;

use sled::transaction::TransactionError;

use super::flusher::Flusher;
use super::sled_combine::Combining;
use super::{HealthStore, StoreError};

/// sled's page cache for the server. Small, because an export streams every page of a form
/// through it: at 64 MiB a server grew by 71 MiB while streaming 100,000 responses, at 4 MiB
/// by 11 MiB, with the same ingest rate (BENCHMARKS.md, 2026-12-04). What the writes and
/// reports touch (the newest leaves, the aggregates) fits, and a miss is a read the kernel's
/// page cache usually answers.
const CACHE_BYTES: u64 = 4 * 1024 * 1024;
/// How often sled flushes on its own in a server, as by default: a safety net under the
/// group commit, which flushes before every acknowledged write anyway.
const SERVER_FLUSH_EVERY_MS: Option<u64> = Some(500);

/// Separates a form id from what follows in composite keys; never valid in a slug.
const KEY_SEPARATOR: u8 = 0xFF;

/// Fields are visible to sibling modules of the store so that each concern (responses,
/// interviews, report aggregates) can keep its sled code in its own file.
pub struct SledStore {
    pub(super) responses: sled::Tree,
    pub(super) responses_by_form: sled::Tree,
    pub(super) revisions: sled::Tree,
    pub(super) meta: sled::Tree,
    pub(super) sessions: sled::Tree,
    pub(super) aggregates: sled::Tree,
    pub(super) aggregate_state: sled::Tree,
    pub(super) theme_texts: sled::Tree,
    pub(super) terms: sled::Tree,
    pub(super) evidence: sled::Tree,
    pub(super) profiles: sled::Tree,
    /// The writers' lock: orders aggregate writers with rebuild batches (see
    /// `sled_aggregates`), and keeps every write out of a backup's snapshot (`sled_backup`).
    pub(super) aggregate_lock: std::sync::Mutex<()>,
    /// Writes waiting for the next commit under that lock (`sled_combine`).
    pub(super) queued_writes: Combining<super::sled_response_write::QueuedWrite>,
    pub(super) queued_pages: Combining<super::sled_partials::QueuedPage>,
    pub(super) interviews: sled::Tree,
    pub(super) interviews_by_guide: sled::Tree,
    pub(super) notes: sled::Tree,
    pub(super) note_client_ids: sled::Tree,
    pub(super) interview_events: sled::Tree,
    pub(super) mail: sled::Tree,
    pub(super) webhook_queue: sled::Tree,
    pub(super) webhook_sequences: sled::Tree,
    pub(super) quota_counts: sled::Tree,
    pub(super) webhook_log: sled::Tree,
    pub(super) webhook_failures: sled::Tree,
    pub(super) partials: sled::Tree,
    pub(super) partials_by_form: sled::Tree,
    pub(super) contacts: sled::Tree,
    pub(super) contact_stage: sled::Tree,
    pub(super) contact_meta: sled::Tree,
    pub(super) outside_texts: sled::Tree,
    pub(super) texts_by_contact: sled::Tree,
    pub(super) invitations: sled::Tree,
    pub(super) invitations_pending: sled::Tree,
    pub(super) invitation_tokens: sled::Tree,
    pub(super) campaigns: sled::Tree,
    pub(super) unsubscribed: sled::Tree,
    pub(super) flusher: Flusher,
}

pub(super) fn backend(e: sled::Error) -> StoreError {
    match &e {
        sled::Error::Io(io) if super::is_full(io) => StoreError::Full(e.to_string()),
        _ => StoreError::Backend(e.to_string()),
    }
}

pub(super) fn form_prefix(form_id: &str) -> Vec<u8> {
    let mut key = form_id.as_bytes().to_vec();
    key.push(KEY_SEPARATOR);
    key
}

pub(super) fn form_key(form_id: &str, suffix: &[u8]) -> Vec<u8> {
    let mut key = form_prefix(form_id);
    key.extend_from_slice(suffix);
    key
}

pub(super) fn transaction_error(e: TransactionError<String>) -> StoreError {
    match e {
        TransactionError::Storage(e) => backend(e),
        TransactionError::Abort(reason) => StoreError::Corrupt(reason),
    }
}

impl SledStore {
    pub fn open(dir: &Path) -> Result<Self, StoreError> {
        Self::open_with(dir, SERVER_FLUSH_EVERY_MS)
    }

    /// Opens the store for one pass of an offline command (an export, a report, a copy)
    /// without sled's periodic flush: it added a sync every 500 ms to exports that write
    /// nothing (29 in one export of a million responses). Whatever the command does write
    /// still waits for the group commit's flush, as a server's writes do.
    pub fn open_for_one_pass(dir: &Path) -> Result<Self, StoreError> {
        Self::open_with(dir, None)
    }

    fn open_with(dir: &Path, flush_every_ms: Option<u64>) -> Result<Self, StoreError> {
        let open_error = |reason: String| StoreError::Open {
            path: dir.display().to_string(),
            reason,
        };
        // The store's directory is made on first start: its name must reach the disk too.
        crate::durable::create_dir_all(dir).map_err(|e| open_error(e.to_string()))?;
        let db = sled::Config::new()
            .path(dir)
            .cache_capacity(CACHE_BYTES)
            .flush_every_ms(flush_every_ms)
            .open()
            .map_err(|e| match in_use(&e) {
                true => StoreError::InUse {
                    path: dir.display().to_string(),
                },
                false => open_error(e.to_string()),
            })?;
        let tree = |name: &str| db.open_tree(name).map_err(|e| open_error(e.to_string()));
        Ok(SledStore {
            responses: tree("responses")?,
            responses_by_form: tree("responses_by_form")?,
            revisions: tree("revisions")?,
            meta: tree("meta")?,
            sessions: tree("sessions")?,
            aggregates: tree("aggregates")?,
            aggregate_state: tree("aggregate_state")?,
            theme_texts: tree("theme_texts")?,
            terms: tree("terms")?,
            evidence: tree("evidence")?,
            profiles: tree("profiles")?,
            aggregate_lock: std::sync::Mutex::new(()),
            queued_writes: Combining::new(),
            queued_pages: Combining::new(),
            interviews: tree("interviews")?,
            interviews_by_guide: tree("interviews_by_guide")?,
            notes: tree("notes")?,
            note_client_ids: tree("note_client_ids")?,
            interview_events: tree("interview_events")?,
            mail: tree("mail")?,
            webhook_queue: tree("webhook_queue")?,
            webhook_sequences: tree("webhook_sequences")?,
            quota_counts: tree("quota_counts")?,
            webhook_log: tree("webhook_log")?,
            webhook_failures: tree("webhook_failures")?,
            partials: tree("partials")?,
            partials_by_form: tree("partials_by_form")?,
            contacts: tree("contacts")?,
            contact_stage: tree("contact_stage")?,
            contact_meta: tree("contact_meta")?,
            outside_texts: tree("outside_texts")?,
            texts_by_contact: tree("texts_by_contact")?,
            invitations: tree("invitations")?,
            invitations_pending: tree("invitations_pending")?,
            invitation_tokens: tree("invitation_tokens")?,
            campaigns: tree("campaigns")?,
            unsubscribed: tree("unsubscribed")?,
            flusher: Flusher::start(db, dir)?,
        })
    }
}

/// Whether another process holds the store's file lock.
fn in_use(e: &sled::Error) -> bool {
    // sled wraps the lock failure in a generic I/O error; its text is all there is to go on.
    e.to_string().contains("could not acquire lock")
}

pub(super) fn decode<T: serde::de::DeserializeOwned>(bytes: &[u8]) -> Result<T, StoreError> {
    serde_json::from_slice(bytes).map_err(|e| StoreError::Corrupt(e.to_string()))
}

pub(super) fn encode<T: serde::Serialize>(value: &T) -> Result<Vec<u8>, StoreError> {
    serde_json::to_vec(value).map_err(|e| StoreError::Corrupt(e.to_string()))
}

/// Applies `change` to one JSON record of a tree atomically (a missing record starts from its
/// default) and returns the record as written, once it is on disk. sled reruns the closure
/// when another writer got in first; a record that cannot be read or written is left as it
/// was and reported after.
pub(super) fn update_record<T>(
    store: &SledStore,
    tree: &sled::Tree,
    key: &[u8],
    change: &mut dyn FnMut(&mut T),
) -> Result<T, StoreError>
where
    T: serde::Serialize + serde::de::DeserializeOwned + Default,
{
    let mut failure: Option<StoreError> = None;
    let mut updated = T::default();
    let guard = store.lock()?;
    tree.update_and_fetch(key, |old| {
        failure = None;
        let mut record = match old.map(decode::<T>) {
            None => T::default(),
            Some(Ok(record)) => record,
            Some(Err(e)) => {
                failure = Some(e);
                return old.map(<[u8]>::to_vec);
            }
        };
        change(&mut record);
        match encode(&record) {
            Ok(bytes) => {
                updated = record;
                Some(bytes)
            }
            Err(e) => {
                failure = Some(e);
                old.map(<[u8]>::to_vec)
            }
        }
    })
    .map_err(backend)?;
    drop(guard);
    if let Some(e) = failure {
        return Err(e);
    }
    store.flusher.wait_durable()?;
    Ok(updated)
}

impl SledStore {
    /// The lock guards no data of its own (it only orders writers), and a
    /// writer that panicked inside it left its sled transaction unapplied: so a poisoned lock
    /// is taken over rather than failing every later write.
    pub(super) fn lock(&self) -> Result<std::sync::MutexGuard<'_, ()>, StoreError> {
        Ok(self
            .aggregate_lock
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner))
    }
}

impl HealthStore for SledStore {
    fn probe_write(&self) -> Result<(), StoreError> {
        let now = chrono::Utc::now().to_rfc3339();
        self.meta
            .insert("health_probe", now.as_bytes())
            .map_err(backend)?;
        self.flusher.wait_durable()
    }

    fn last_durable_write(&self) -> Option<(std::time::Instant, Result<(), String>)> {
        self.flusher.last_outcome()
    }
}
