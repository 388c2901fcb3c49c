//! The sled side of interviews. Trees and keys (ids are v7 uuids, numbers big-endian, so
//! every scan comes out in time, seq or event order):
//! - `interviews`: interview id (16 bytes) -> JSON record, with its counters
//! - `interviews_by_guide`: guide id, 0xFF, interview id -> empty
//! - `notes`: interview id, seq (8 bytes) -> JSON note
//! - `note_client_ids`: interview id, client id -> seq (8 bytes)
//! - `interview_events`: interview id, event id (8 bytes) -> JSON event

use sled::Transactional;
use sled::transaction::{ConflictableTransactionError, TransactionError};
use uuid::Uuid;

use super::StoreError;
use super::interviews::{InterviewIter, InterviewStore, InterviewWrite, NoteIter, NoteWrite};
use super::sled_aggregate_tx::AggregateTx;
use super::sled_store::{SledStore, backend, decode, encode, form_key, form_prefix};
use super::sled_webhooks::enqueue;
use crate::interview::{Interview, InterviewEvent, Note};

pub(super) fn numbered_key(interview: Uuid, number: u64) -> Vec<u8> {
    let mut key = interview.as_bytes().to_vec();
    key.extend_from_slice(&number.to_be_bytes());
    key
}

pub(super) fn client_id_key(interview: Uuid, client_id: &str) -> Vec<u8> {
    let mut key = interview.as_bytes().to_vec();
    key.extend_from_slice(client_id.as_bytes());
    key
}

/// Only the counter a write checks; the rest of the stored record is not needed for that.
#[derive(serde::Deserialize)]
struct Counters {
    #[serde(default)]
    last_event_id: u64,
}

/// The theme counts' and the webhook queue's errors, in this module's error type.
fn aggregate_error(
    e: ConflictableTransactionError<String>,
) -> ConflictableTransactionError<StoreError> {
    match e {
        ConflictableTransactionError::Abort(reason) => {
            ConflictableTransactionError::Abort(StoreError::Corrupt(reason))
        }
        ConflictableTransactionError::Conflict => ConflictableTransactionError::Conflict,
        ConflictableTransactionError::Storage(e) => ConflictableTransactionError::Storage(e),
    }
}

fn write_error(e: TransactionError<StoreError>) -> StoreError {
    match e {
        TransactionError::Storage(e) => backend(e),
        TransactionError::Abort(e) => e,
    }
}

impl SledStore {
    /// Keys of the stored events of an interview that concern one note.
    fn event_keys_of_note(&self, interview: Uuid, seq: u64) -> Result<Vec<sled::IVec>, StoreError> {
        let mut keys = Vec::new();
        for entry in self.interview_events.scan_prefix(interview.as_bytes()) {
            let (key, bytes) = entry.map_err(backend)?;
            let event: InterviewEvent = decode(&bytes)?;
            if event.change.seq() == Some(seq) {
                keys.push(key);
            }
        }
        Ok(keys)
    }
}

impl InterviewStore for SledStore {
    fn insert_interview(&self, interview: &Interview) -> Result<(), StoreError> {
        let record = encode(interview)?;
        let id = interview.id.as_bytes().to_vec();
        let index_key = form_key(&interview.guide, &id);
        let guard = self.lock()?;
        (&self.interviews, &self.interviews_by_guide)
            .transaction(|(interviews, by_guide)| {
                interviews.insert(id.as_slice(), record.as_slice())?;
                by_guide.insert(index_key.as_slice(), &[] as &[u8])?;
                Ok::<_, ConflictableTransactionError<StoreError>>(())
            })
            .map_err(write_error)?;
        drop(guard);
        self.flusher.wait_durable()
    }

    fn interview(&self, id: Uuid) -> Result<Option<Interview>, StoreError> {
        match self.interviews.get(id.as_bytes()).map_err(backend)? {
            Some(bytes) => decode(&bytes).map(Some),
            None => Ok(None),
        }
    }

    fn interviews(&self, guide: Option<&str>) -> InterviewIter {
        let Some(guide) = guide else {
            return Box::new(
                self.interviews
                    .iter()
                    .rev()
                    .map(|entry| entry.map_err(backend).and_then(|(_, v)| decode(&v))),
            );
        };
        let prefix_len = form_prefix(guide).len();
        let interviews = self.interviews.clone();
        let keys = self
            .interviews_by_guide
            .scan_prefix(form_prefix(guide))
            .rev();
        Box::new(keys.filter_map(move |entry| {
            let (key, _) = match entry {
                Ok(kv) => kv,
                Err(e) => return Some(Err(backend(e))),
            };
            match interviews.get(&key[prefix_len..]) {
                Ok(Some(bytes)) => Some(decode(&bytes)),
                Ok(None) => None,
                Err(e) => Some(Err(backend(e))),
            }
        }))
    }

    fn notes(&self, interview: Uuid) -> NoteIter {
        Box::new(
            self.notes
                .scan_prefix(interview.as_bytes())
                .map(|entry| entry.map_err(backend).and_then(|(_, v)| decode(&v))),
        )
    }

    fn note(&self, interview: Uuid, seq: u64) -> Result<Option<Note>, StoreError> {
        match self
            .notes
            .get(numbered_key(interview, seq))
            .map_err(backend)?
        {
            Some(bytes) => decode(&bytes).map(Some),
            None => Ok(None),
        }
    }

    fn note_for_client_id(
        &self,
        interview: Uuid,
        client_id: &str,
    ) -> Result<Option<u64>, StoreError> {
        let Some(bytes) = self
            .note_client_ids
            .get(client_id_key(interview, client_id))
            .map_err(backend)?
        else {
            return Ok(None);
        };
        let seq: [u8; 8] = bytes
            .as_ref()
            .try_into()
            .map_err(|_| StoreError::Corrupt("a note's client id index is not a seq".into()))?;
        Ok(Some(u64::from_be_bytes(seq)))
    }

    fn write(&self, change: &InterviewWrite) -> Result<(), StoreError> {
        let interview = change.interview;
        let id = interview.id;
        let record = encode(interview)?;
        let event_key = numbered_key(id, change.event.id);
        let event = encode(change.event)?;
        let (put, removed) = match change.note {
            NoteWrite::Unchanged => (None, None),
            NoteWrite::Put(note) => (Some((note, encode(note)?)), None),
            NoteWrite::Remove(note) => (None, Some((note, self.event_keys_of_note(id, note.seq)?))),
        };
        let guard = self.lock()?;
        (
            &self.interviews,
            &self.notes,
            &self.note_client_ids,
            &self.interview_events,
            &self.aggregates,
            &self.aggregate_state,
            &self.theme_texts,
            &self.terms,
            &self.evidence,
            &self.webhook_queue,
            &self.webhook_sequences,
        )
            .transaction(
                |(
                    interviews,
                    notes,
                    client_ids,
                    events,
                    aggregates,
                    states,
                    theme_texts,
                    terms,
                    evidence,
                    queue,
                    sequences,
                )| {
                    let stored = interviews
                        .get(id.as_bytes())?
                        .ok_or_else(|| abort("the interview is not stored"))?;
                    let counters: Counters =
                        decode(&stored).map_err(ConflictableTransactionError::Abort)?;
                    if counters.last_event_id != change.expected_last_event_id {
                        return Err(abort("the interview changed during the write"));
                    }
                    interviews.insert(id.as_bytes(), record.as_slice())?;
                    if let Some((note, bytes)) = &put {
                        notes.insert(numbered_key(id, note.seq), bytes.as_slice())?;
                        if let Some(client_id) = &note.client_id {
                            let key = client_id_key(id, client_id);
                            client_ids.insert(key, &note.seq.to_be_bytes())?;
                        }
                    }
                    if let Some((note, event_keys)) = &removed {
                        notes.remove(numbered_key(id, note.seq))?;
                        if let Some(client_id) = &note.client_id {
                            client_ids.remove(client_id_key(id, client_id))?;
                        }
                        for key in event_keys {
                            events.remove(key)?;
                        }
                    }
                    events.insert(event_key.as_slice(), event.as_slice())?;
                    let tx = AggregateTx {
                        aggregates,
                        states,
                        theme_texts,
                        terms,
                        evidence,
                    };
                    tx.apply(change.retract, None, -1)
                        .map_err(aggregate_error)?;
                    tx.apply(change.add, None, 1).map_err(aggregate_error)?;
                    enqueue(queue, sequences, change.webhooks).map_err(aggregate_error)?;
                    Ok(())
                },
            )
            .map_err(write_error)?;
        drop(guard);
        self.flusher.wait_durable()
    }

    fn events_after(&self, interview: Uuid, after: u64) -> Result<Vec<InterviewEvent>, StoreError> {
        let Some(first) = after.checked_add(1) else {
            return Ok(Vec::new());
        };
        self.interview_events
            .range(numbered_key(interview, first)..=numbered_key(interview, u64::MAX))
            .map(|entry| entry.map_err(backend).and_then(|(_, v)| decode(&v)))
            .collect()
    }
}

fn abort(reason: &str) -> ConflictableTransactionError<StoreError> {
    ConflictableTransactionError::Abort(StoreError::Backend(format!(
        "interview write refused: {reason}"
    )))
}
