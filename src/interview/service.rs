//! Running interviews: start, notes (add, edit, delete), end, and watching them live.
//!
//! Every method may block on disk; async callers run them through `spawn_blocking`. Changes to
//! one interview are serialised by a lock held until the change is on disk and published, so
//! event ids reach observers in order and an observer never sees an event that a crash could
//! still take back.

use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::live::{CHANNEL_CAPACITY, Hub, Subscription};
use super::model::{Change, Interview, InterviewEvent, Note, NoteVersion};
use super::rules::{self, NoteEdit, NoteInput};
use crate::form::{Answers, Catalog, FieldErrors, Form, FormKind};
use crate::store::{
    InterviewStore, InterviewWrite, NoteWrite, RemoteEvents, StoreError, WebhookMessage,
};
use crate::tally::Contribution;

/// Locks shared by interviews whose ids hash alike: bounded memory, and contention only
/// between two interviews that happen to share one, for the length of a flush.
const LOCK_STRIPES: usize = 64;

#[derive(Debug, thiserror::Error)]
pub enum InterviewError {
    #[error("no interview with that id")]
    NotFound,
    #[error("the interview has no note {0}")]
    NoteNotFound(u64),
    #[error("the guide '{0}' is closed: it takes no new interviews")]
    GuideClosed(String),
    #[error("the guide '{0}' of this interview is no longer among the forms")]
    GuideGone(String),
    #[error("the interview has ended: it takes no more notes")]
    Ended,
    #[error("some fields were not accepted")]
    Invalid(FieldErrors),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// A saved note, and whether this request created it (false: a retry of an earlier save).
#[derive(Debug, Clone)]
pub struct Saved {
    pub note: Note,
    pub created: bool,
}

/// How a note counts towards the reports' themes; none by default.
pub type NoteCounter = Arc<dyn Fn(&Interview, &Note) -> Vec<Contribution> + Send + Sync>;

/// The webhook messages that report a change (the interview as it is after it); none by
/// default.
pub type WebhookEvents =
    Arc<dyn Fn(&Interview, &Change, DateTime<Utc>) -> Vec<WebhookMessage> + Send + Sync>;

pub struct Interviews {
    store: Arc<dyn InterviewStore>,
    counter: NoteCounter,
    webhooks: WebhookEvents,
    hub: Arc<Hub>,
    stripes: [Mutex<()>; LOCK_STRIPES],
}

/// Now, to the millisecond: what is stored is exactly what is shown, and offsets agree with it.
fn now() -> DateTime<Utc> {
    let now = Utc::now();
    DateTime::from_timestamp_millis(now.timestamp_millis()).unwrap_or(now)
}

fn parse_id(id: &str) -> Result<Uuid, InterviewError> {
    Uuid::parse_str(id).map_err(|_| InterviewError::NotFound)
}

/// Hands an event another node wrote to the observers here, read from the store (only when
/// someone here watches). Weak: the store holds this callback, which must not keep it alive.
fn remote_events(hub: &Arc<Hub>, store: &Arc<dyn InterviewStore>) -> RemoteEvents {
    let (hub, store) = (Arc::downgrade(hub), Arc::downgrade(store));
    Arc::new(move |interview, event| {
        let (Some(hub), Some(store)) = (hub.upgrade(), store.upgrade()) else {
            return;
        };
        if !hub.watched(interview) {
            return;
        }
        match store.events_after(interview, event.saturating_sub(1)) {
            // The feeds drop ids they have sent already, so a repeat does no harm.
            Ok(events) => {
                for stored in events.into_iter().filter(|e| e.id == event) {
                    hub.publish(interview, Arc::new(stored));
                }
            }
            Err(e) => tracing::warn!(%interview, "cannot read another node's event: {e}"),
        }
    })
}

impl Interviews {
    pub fn new(store: Arc<dyn InterviewStore>) -> Self {
        Self::with_channel_capacity(store, CHANNEL_CAPACITY)
    }

    /// `capacity`: how many events an observer may fall behind the live channel by before it
    /// catches up from the store instead.
    pub fn with_channel_capacity(store: Arc<dyn InterviewStore>, capacity: usize) -> Self {
        let hub = Arc::new(Hub::new(capacity));
        if let Err(e) = store.on_remote_events(remote_events(&hub, &store)) {
            tracing::warn!("observers here will not see notes written on other nodes: {e}");
        }
        Interviews {
            store,
            counter: Arc::new(|_, _| Vec::new()),
            webhooks: Arc::new(|_, _, _| Vec::new()),
            hub,
            stripes: std::array::from_fn(|_| Mutex::new(())),
        }
    }

    /// Counts every note's themes into the reports, in the same write as the note.
    pub fn with_note_counter(mut self, counter: NoteCounter) -> Self {
        self.counter = counter;
        self
    }

    /// Queues webhook messages for each change, in the same write as the change.
    pub fn with_webhooks(mut self, webhooks: WebhookEvents) -> Self {
        self.webhooks = webhooks;
        self
    }

    pub fn store(&self) -> &Arc<dyn InterviewStore> {
        &self.store
    }

    fn lock(&self, id: Uuid) -> MutexGuard<'_, ()> {
        let stripe = (id.as_u128() % LOCK_STRIPES as u128) as usize;
        // The lock guards no data, so a panic while it was held leaves nothing inconsistent.
        self.stripes[stripe]
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    fn load(&self, id: Uuid) -> Result<Interview, InterviewError> {
        self.store.interview(id)?.ok_or(InterviewError::NotFound)
    }

    fn guide_of(catalog: &Catalog, interview: &Interview) -> Result<Arc<Form>, InterviewError> {
        catalog
            .get(&interview.guide)
            .filter(|f| f.kind == FormKind::Interview)
            .ok_or_else(|| InterviewError::GuideGone(interview.guide.clone()))
    }

    /// Starts an interview of an open guide; returns once it is on disk.
    pub fn start(
        &self,
        catalog: &Catalog,
        guide: &str,
        participant: &str,
        attributes: &Answers,
        contact: Option<&str>,
    ) -> Result<Interview, InterviewError> {
        let form = catalog.get(guide).filter(|f| f.kind == FormKind::Interview);
        let mut errors = FieldErrors::new();
        let participant = rules::check_participant(participant, &mut errors);
        let Some(form) = form else {
            let message = if guide.trim().is_empty() {
                "an interview guide id is required".to_string()
            } else {
                format!("no interview guide with id '{guide}'")
            };
            errors.insert("guide".into(), message);
            return Err(InterviewError::Invalid(errors));
        };
        let attributes = rules::check_attributes(&form, attributes, &mut errors);
        let contact = rules::check_contact(contact, &mut errors);
        if !errors.is_empty() {
            return Err(InterviewError::Invalid(errors));
        }
        if !form.is_open() {
            return Err(InterviewError::GuideClosed(form.id.clone()));
        }
        let interview = Interview {
            id: Uuid::now_v7(),
            guide: form.id.clone(),
            guide_revision: form.revision.clone(),
            participant,
            attributes,
            pii_attributes: form
                .questions
                .iter()
                .filter(|q| q.pii)
                .map(|q| q.id.clone())
                .collect(),
            contact,
            started_at: now(),
            ended_at: None,
            note_count: 0,
            last_seq: 0,
            last_event_id: 0,
        };
        self.store.insert_interview(&interview)?;
        Ok(interview)
    }

    pub fn interview(&self, id: &str) -> Result<Interview, InterviewError> {
        self.load(parse_id(id)?)
    }

    /// The interview and its notes in seq order, read together so that they agree.
    pub fn with_notes(&self, id: &str) -> Result<(Interview, Vec<Note>), InterviewError> {
        let id = parse_id(id)?;
        let _guard = self.lock(id);
        let interview = self.load(id)?;
        let notes = self.store.notes(id).collect::<Result<Vec<_>, _>>()?;
        Ok((interview, notes))
    }

    /// Interviews newest first, of one guide or of all, at most `limit`.
    pub fn list(
        &self,
        guide: Option<&str>,
        limit: usize,
    ) -> Result<Vec<Interview>, InterviewError> {
        Ok(self
            .store
            .interviews(guide)
            .take(limit)
            .collect::<Result<Vec<_>, _>>()?)
    }

    /// Writes one change and tells the observers; the caller holds the interview's lock.
    /// `replaced` is the note as it was before an edit: what it counted is taken back.
    fn commit(
        &self,
        before: &Interview,
        mut after: Interview,
        note: NoteWrite,
        replaced: Option<&Note>,
        change: Change,
        at: DateTime<Utc>,
    ) -> Result<Interview, InterviewError> {
        let taken_back = match &note {
            NoteWrite::Remove(old) => Some(*old),
            _ => replaced,
        };
        let retract = taken_back
            .map(|old| (self.counter)(before, old))
            .unwrap_or_default();
        let add = match &note {
            NoteWrite::Put(new) => (self.counter)(&after, new),
            _ => Vec::new(),
        };
        after.last_event_id = before.last_event_id + 1;
        let webhooks = (self.webhooks)(&after, &change, at);
        let event = InterviewEvent {
            id: after.last_event_id,
            at,
            change,
        };
        self.store.write(&InterviewWrite {
            interview: &after,
            expected_last_event_id: before.last_event_id,
            note,
            event: &event,
            retract: &retract,
            add: &add,
            webhooks: &webhooks,
        })?;
        self.hub.publish(after.id, Arc::new(event));
        Ok(after)
    }

    /// Saves a note; returns once it is on disk. A note whose `client_id` was saved before is
    /// not saved again: the earlier one is returned, so a client may retry without fear.
    pub fn add_note(
        &self,
        catalog: &Catalog,
        id: &str,
        input: &NoteInput,
    ) -> Result<Saved, InterviewError> {
        let id = parse_id(id)?;
        let _guard = self.lock(id);
        let interview = self.load(id)?;
        if let Some(client_id) = &input.client_id
            && let Some(seq) = self.store.note_for_client_id(id, client_id)?
            && let Some(note) = self.store.note(id, seq)?
        {
            return Ok(Saved {
                note,
                created: false,
            });
        }
        if interview.has_ended() {
            return Err(InterviewError::Ended);
        }
        let guide = Self::guide_of(catalog, &interview)?;
        let content = rules::check_note(&guide, input).map_err(InterviewError::Invalid)?;
        let at = now();
        let offset_s = u64::try_from((at - interview.started_at).num_seconds()).unwrap_or(0);
        let note = Note {
            seq: interview.last_seq + 1,
            at,
            offset_s,
            content,
            client_id: input.client_id.clone(),
            edited_at: None,
            history: Vec::new(),
        };
        let mut after = interview.clone();
        after.last_seq = note.seq;
        after.note_count += 1;
        let change = Change::NoteCreated { note: note.clone() };
        self.commit(&interview, after, NoteWrite::Put(&note), None, change, at)?;
        Ok(Saved {
            note,
            created: true,
        })
    }

    /// Changes a note, keeping the version it replaces in its history. Ended interviews may
    /// still be tidied up; they only refuse new notes.
    pub fn edit_note(
        &self,
        catalog: &Catalog,
        id: &str,
        seq: u64,
        edit: &NoteEdit,
    ) -> Result<Note, InterviewError> {
        let id = parse_id(id)?;
        let _guard = self.lock(id);
        let interview = self.load(id)?;
        let current = self
            .store
            .note(id, seq)?
            .ok_or(InterviewError::NoteNotFound(seq))?;
        let guide = Self::guide_of(catalog, &interview)?;
        let content =
            rules::apply_edit(&guide, &current.content, edit).map_err(InterviewError::Invalid)?;
        if content == current.content {
            return Ok(current);
        }
        let at = now();
        let mut note = current.clone();
        note.history.push(NoteVersion {
            content: current.content.clone(),
            replaced_at: at,
        });
        note.content = content;
        note.edited_at = Some(at);
        // Observers need the note as it is now; its history stays with the note, so the log
        // does not grow by every earlier version at each edit.
        let change = Change::NoteEdited {
            note: Note {
                history: Vec::new(),
                ..note.clone()
            },
        };
        self.commit(
            &interview,
            interview.clone(),
            NoteWrite::Put(&note),
            Some(&current),
            change,
            at,
        )?;
        Ok(note)
    }

    /// Deletes a note for good: its text leaves the notes and the event log alike.
    pub fn delete_note(&self, id: &str, seq: u64) -> Result<(), InterviewError> {
        let id = parse_id(id)?;
        let _guard = self.lock(id);
        let interview = self.load(id)?;
        let note = self
            .store
            .note(id, seq)?
            .ok_or(InterviewError::NoteNotFound(seq))?;
        let mut after = interview.clone();
        after.note_count = after.note_count.saturating_sub(1);
        let change = Change::NoteDeleted { seq };
        self.commit(
            &interview,
            after,
            NoteWrite::Remove(&note),
            None,
            change,
            now(),
        )?;
        Ok(())
    }

    /// Ends the interview. Ending it again changes nothing and answers the same.
    pub fn end(&self, id: &str) -> Result<Interview, InterviewError> {
        let id = parse_id(id)?;
        let _guard = self.lock(id);
        let interview = self.load(id)?;
        if interview.has_ended() {
            return Ok(interview);
        }
        let at = now();
        let mut after = interview.clone();
        after.ended_at = Some(at);
        let change = Change::InterviewEnded { ended_at: at };
        self.commit(&interview, after, NoteWrite::Unchanged, None, change, at)
    }

    /// Subscribes to the interview's events, then reads the stored ones after `after`: in that
    /// order, so nothing falls between the two (the feed drops what arrives twice).
    pub fn subscribe(&self, id: &str, after: u64) -> Result<Subscription, InterviewError> {
        let id = parse_id(id)?;
        let _guard = self.lock(id);
        self.load(id)?;
        let live = self.hub.subscribe(id);
        let missed = self.store.events_after(id, after)?;
        Ok(Subscription {
            interview: id,
            after,
            live,
            missed,
        })
    }

    /// Stored events after `after`: how an observer that fell behind catches up.
    pub fn events_after(
        &self,
        id: Uuid,
        after: u64,
    ) -> Result<Vec<InterviewEvent>, InterviewError> {
        let _guard = self.lock(id);
        Ok(self.store.events_after(id, after)?)
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;
    use crate::form::load_dir;
    use crate::interview::Force;
    use crate::store::SledStore;

    fn setup(dir: &Path) -> (Interviews, Catalog) {
        let forms = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/forms");
        let catalog = load_dir(&forms).expect("the fixture forms load");
        let store = SledStore::open(dir).expect("the store opens");
        (Interviews::new(Arc::new(store)), catalog)
    }

    fn note(text: &str, client_id: Option<&str>) -> NoteInput {
        NoteInput {
            text: text.into(),
            section: Some("first_thought".into()),
            kind: Some("quote".into()),
            forces: vec!["anxiety".into(), "push".into()],
            client_id: client_id.map(str::to_string),
            ..Default::default()
        }
    }

    #[test]
    fn events_round_trip_and_a_deleted_note_leaves_no_text_behind() {
        let dir = tempfile::tempdir().unwrap();
        let (service, catalog) = setup(dir.path());
        let interview = service
            .start(&catalog, "guide", "P01", &Answers::new(), None)
            .unwrap();
        let id = interview.id.to_string();
        let kept = service
            .add_note(&catalog, &id, &note("kept", None))
            .unwrap();
        let secret = service
            .add_note(&catalog, &id, &note("a name said by mistake", None))
            .unwrap();
        let edit = NoteEdit {
            text: Some("kept, edited".into()),
            ..Default::default()
        };
        service
            .edit_note(&catalog, &id, kept.note.seq, &edit)
            .unwrap();
        service.delete_note(&id, secret.note.seq).unwrap();

        let events = service.events_after(interview.id, 0).unwrap();
        let names: Vec<&str> = events.iter().map(|e| e.change.name()).collect();
        assert_eq!(names, ["note_created", "note_edited", "note_deleted"]);
        let ids: Vec<u64> = events.iter().map(|e| e.id).collect();
        assert_eq!(ids, [1, 3, 4], "event 2 carried the deleted text");
        let stored = serde_json::to_string(&events).unwrap();
        assert!(!stored.contains("by mistake"), "{stored}");
        let Change::NoteEdited { note } = &events[1].change else {
            panic!("an edit event")
        };
        assert_eq!(note.content.text, "kept, edited");
        assert_eq!(note.content.forces, vec![Force::Push, Force::Anxiety]);
        assert!(note.history.is_empty(), "events carry no history");

        let (after, notes) = service.with_notes(&id).unwrap();
        assert_eq!(
            (after.note_count, after.last_seq, after.last_event_id),
            (1, 2, 4)
        );
        assert_eq!(notes.len(), 1);
        assert_eq!(notes[0].history[0].content.text, "kept");
    }

    #[test]
    fn a_retried_save_returns_the_first_note() {
        let dir = tempfile::tempdir().unwrap();
        let (service, catalog) = setup(dir.path());
        let interview = service
            .start(&catalog, "guide", "P02", &Answers::new(), None)
            .unwrap();
        let id = interview.id.to_string();
        let first = service
            .add_note(&catalog, &id, &note("once", Some("c-1")))
            .unwrap();
        service.end(&id).unwrap();
        let again = service
            .add_note(&catalog, &id, &note("once", Some("c-1")))
            .unwrap();
        assert!(first.created && !again.created);
        assert_eq!(first.note, again.note);
        assert!(matches!(
            service.add_note(&catalog, &id, &note("late", Some("c-2"))),
            Err(InterviewError::Ended)
        ));
    }
}
