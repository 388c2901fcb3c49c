//! Storage of interviews, their notes and their event logs.
//!
//! Every change to an interview goes through one atomic `write`: the interview record (with
//! its counters), the note, the event that observers replay, and the webhook messages. So after a crash the log and
//! the notes always agree, and `Last-Event-ID` replay works across restarts.

use uuid::Uuid;

use super::{StoreError, WebhookMessage};
use crate::interview::{Interview, InterviewEvent, Note};
use crate::tally::Contribution;

pub type InterviewIter = Box<dyn Iterator<Item = Result<Interview, StoreError>> + Send>;
pub type NoteIter = Box<dyn Iterator<Item = Result<Note, StoreError>> + Send>;

/// What a change does to the notes.
pub enum NoteWrite<'a> {
    Unchanged,
    /// Inserts or replaces the note with this seq.
    Put(&'a Note),
    /// Removes the note, its idempotency key, and the earlier events that carry its text, so
    /// that deleted words are gone for good; the deletion event itself stays in the log.
    Remove(&'a Note),
}

/// One change to an interview, written all at once.
pub struct InterviewWrite<'a> {
    /// The record as it is after the change (counters included).
    pub interview: &'a Interview,
    /// The `last_event_id` the change was computed from; if the stored record has moved on,
    /// the write is refused rather than numbering two events alike.
    pub expected_last_event_id: u64,
    pub note: NoteWrite<'a>,
    pub event: &'a InterviewEvent,
    /// What the note's earlier text gave the theme counts (an edit or a deletion takes it back).
    pub retract: &'a [Contribution],
    /// What the note's text gives them now.
    pub add: &'a [Contribution],
    /// The webhook messages that report the change, queued with it.
    pub webhooks: &'a [WebhookMessage],
}

pub trait InterviewStore: Send + Sync + 'static {
    /// Stores a new interview; returns once it is on disk.
    fn insert_interview(&self, interview: &Interview) -> Result<(), StoreError>;

    fn interview(&self, id: Uuid) -> Result<Option<Interview>, StoreError>;

    /// Interviews newest first: all of them, or those of one guide.
    fn interviews(&self, guide: Option<&str>) -> InterviewIter;

    /// An interview's notes in seq order, read lazily.
    fn notes(&self, interview: Uuid) -> NoteIter;

    fn note(&self, interview: Uuid, seq: u64) -> Result<Option<Note>, StoreError>;

    /// The seq of the note saved with this idempotency key, if any.
    fn note_for_client_id(
        &self,
        interview: Uuid,
        client_id: &str,
    ) -> Result<Option<u64>, StoreError>;

    /// Applies one change atomically; returns once it is on disk.
    fn write(&self, change: &InterviewWrite) -> Result<(), StoreError>;

    /// The stored events with an id above `after`, in id order.
    fn events_after(&self, interview: Uuid, after: u64) -> Result<Vec<InterviewEvent>, StoreError>;

    /// From now on, calls `notify` with (interview, event id) for each interview event that
    /// another process sharing this store writes, so that its observers here see it too. A
    /// store only one process opens (sled) has no such events and never calls it.
    fn on_remote_events(&self, notify: RemoteEvents) -> Result<(), StoreError> {
        let _ = notify;
        Ok(())
    }
}

/// What `on_remote_events` calls, on a thread that may block.
pub type RemoteEvents = std::sync::Arc<dyn Fn(Uuid, u64) + Send + Sync>;
