//! The sled backend. Trees and keys:
//! - `responses`: response uuid (16 bytes, v7 so big-endian time order) -> JSON record
//! - `responses_by_form`: form id, 0xFF, response uuid -> empty (a form's responses in time order)
//! - `revisions`: form id, 0xFF, revision -> the form as it was answered, with its first response
//! - `meta`: small markers such as the health probe
//!
//! Interview trees are described in `sled_interviews`.

use std::path::Path;

use sled::Transactional;
use sled::transaction::{ConflictableTransactionError, TransactionError};
use uuid::Uuid;

use super::flusher::Flusher;
use super::{ResponseIter, Store, StoreError, StoredResponse};
use crate::form::Form;

/// Separates a form id from what follows in composite keys; never valid in a slug.
const KEY_SEPARATOR: u8 = 0xFF;

/// Fields are visible to sibling modules of the store so that each concern (responses,
/// interviews, report aggregates) can keep its sled code in its own file.
pub struct SledStore {
    pub(super) responses: sled::Tree,
    pub(super) responses_by_form: sled::Tree,
    pub(super) revisions: sled::Tree,
    pub(super) meta: sled::Tree,
    pub(super) interviews: sled::Tree,
    pub(super) interviews_by_guide: sled::Tree,
    pub(super) notes: sled::Tree,
    pub(super) note_client_ids: sled::Tree,
    pub(super) interview_events: sled::Tree,
    pub(super) flusher: Flusher,
}

/// A form as it was when a response first answered this revision.
#[derive(serde::Serialize, serde::Deserialize)]
struct RevisionRecord {
    first_response: Uuid,
    form: Form,
}

#[derive(serde::Serialize)]
struct NewRevision<'a> {
    first_response: Uuid,
    form: &'a Form,
}

pub(super) fn backend(e: sled::Error) -> StoreError {
    StoreError::Backend(e.to_string())
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

pub(super) fn transaction_error(e: TransactionError<()>) -> StoreError {
    match e {
        TransactionError::Storage(e) => backend(e),
        TransactionError::Abort(()) => StoreError::Backend("transaction aborted".into()),
    }
}

impl SledStore {
    pub fn open(dir: &Path) -> Result<Self, StoreError> {
        let open_error = |reason: String| StoreError::Open {
            path: dir.display().to_string(),
            reason,
        };
        std::fs::create_dir_all(dir).map_err(|e| open_error(e.to_string()))?;
        let db = sled::Config::new()
            .path(dir)
            .open()
            .map_err(|e| open_error(explain_open_error(e)))?;
        let tree = |name: &str| db.open_tree(name).map_err(|e| open_error(e.to_string()));
        Ok(SledStore {
            responses: tree("responses")?,
            responses_by_form: tree("responses_by_form")?,
            revisions: tree("revisions")?,
            meta: tree("meta")?,
            interviews: tree("interviews")?,
            interviews_by_guide: tree("interviews_by_guide")?,
            notes: tree("notes")?,
            note_client_ids: tree("note_client_ids")?,
            interview_events: tree("interview_events")?,
            flusher: Flusher::start(db)?,
        })
    }
}

fn explain_open_error(e: sled::Error) -> String {
    let text = e.to_string();
    // sled wraps the lock failure in a generic I/O error; its text is all there is to go on.
    if text.contains("could not acquire lock") {
        "it is in use by another fieldnotes process (stop the server first)".into()
    } else {
        text
    }
}

pub(super) fn decode<T: serde::de::DeserializeOwned>(bytes: &[u8]) -> Result<T, StoreError> {
    serde_json::from_slice(bytes).map_err(|e| StoreError::Corrupt(e.to_string()))
}

pub(super) fn encode<T: serde::Serialize>(value: &T) -> Result<Vec<u8>, StoreError> {
    serde_json::to_vec(value).map_err(|e| StoreError::Corrupt(e.to_string()))
}

impl Store for SledStore {
    fn insert_response(&self, response: &StoredResponse, form: &Form) -> Result<(), StoreError> {
        let record = encode(response)?;
        let revision_key = form_key(&form.id, form.revision.as_bytes());
        // Revisions are never removed, so a revision seen once needs no snapshot again.
        let snapshot = match self
            .revisions
            .contains_key(&revision_key)
            .map_err(backend)?
        {
            true => None,
            false => Some(encode(&NewRevision {
                first_response: response.id,
                form,
            })?),
        };
        let id = response.id.as_bytes().to_vec();
        let index_key = form_key(&response.form, &id);
        (&self.responses, &self.responses_by_form, &self.revisions)
            .transaction(|(responses, by_form, revisions)| {
                responses.insert(id.as_slice(), record.as_slice())?;
                by_form.insert(index_key.as_slice(), &[] as &[u8])?;
                if let Some(snapshot) = &snapshot
                    && revisions.get(revision_key.as_slice())?.is_none()
                {
                    revisions.insert(revision_key.as_slice(), snapshot.as_slice())?;
                }
                Ok::<_, ConflictableTransactionError<()>>(())
            })
            .map_err(transaction_error)?;
        self.flusher.wait_durable()
    }

    fn response(&self, id: Uuid) -> Result<Option<StoredResponse>, StoreError> {
        match self.responses.get(id.as_bytes()).map_err(backend)? {
            Some(bytes) => decode(&bytes).map(Some),
            None => Ok(None),
        }
    }

    fn delete_response(&self, id: Uuid) -> Result<Option<StoredResponse>, StoreError> {
        let Some(existing) = self.response(id)? else {
            return Ok(None);
        };
        let index_key = form_key(&existing.form, id.as_bytes());
        (&self.responses, &self.responses_by_form)
            .transaction(|(responses, by_form)| {
                responses.remove(id.as_bytes().as_slice())?;
                by_form.remove(index_key.as_slice())?;
                Ok::<_, ConflictableTransactionError<()>>(())
            })
            .map_err(transaction_error)?;
        self.flusher.wait_durable()?;
        Ok(Some(existing))
    }

    fn responses(&self, form_id: &str) -> ResponseIter {
        let prefix_len = form_prefix(form_id).len();
        let responses = self.responses.clone();
        let keys = self.responses_by_form.scan_prefix(form_prefix(form_id));
        Box::new(keys.filter_map(move |entry| {
            let (key, _) = match entry {
                Ok(kv) => kv,
                Err(e) => return Some(Err(backend(e))),
            };
            // An index entry whose record was erased in the meantime is skipped.
            match responses.get(&key[prefix_len..]) {
                Ok(Some(bytes)) => Some(decode(&bytes)),
                Ok(None) => None,
                Err(e) => Some(Err(backend(e))),
            }
        }))
    }

    fn revisions(&self, form_id: &str) -> Result<Vec<Form>, StoreError> {
        let mut records: Vec<RevisionRecord> = Vec::new();
        for entry in self.revisions.scan_prefix(form_prefix(form_id)) {
            let (_, bytes) = entry.map_err(backend)?;
            records.push(decode(&bytes)?);
        }
        // Keys sort by revision hash; order by first response so export columns stay stable.
        records.sort_by_key(|r| r.first_response);
        Ok(records.into_iter().map(|r| r.form).collect())
    }

    fn probe_write(&self) -> Result<(), StoreError> {
        let now = chrono::Utc::now().to_rfc3339();
        self.meta
            .insert("health_probe", now.as_bytes())
            .map_err(backend)?;
        self.flusher.wait_durable()
    }
}
