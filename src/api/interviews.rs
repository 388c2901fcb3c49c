//! Live interviews: start, notes, end, the events stream (SSE) and the notes CSV.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, SecondsFormat, Utc};
use futures_util::StreamExt;
use futures_util::stream::BoxStream;
use poem::web::sse::Event;
use poem_openapi::param::{Header, Path, Query};
use poem_openapi::payload::{Binary, EventStream, Json};
use poem_openapi::types::{MaybeUndefined, ToJSON};
use poem_openapi::{ApiResponse, Object, OpenApi};
use serde_json::Value;

use super::ApiTags;
use super::auth::{Interviewer, Researcher};
use super::error::ApiError;
use super::responses::{CsvDownload, flag};
use super::stream::stream_blocking;
use crate::app::AppState;
use crate::export::{ExportOptions, write_notes_csv};
use crate::form::FormKind;
use crate::interview::{
    Change, Interview, InterviewEvent, Note, NoteContent, NoteEdit, NoteInput, NoteVersion, feed,
};

/// A comment line every so often keeps proxies and browsers from closing a quiet stream.
const KEEP_ALIVE: Duration = Duration::from_secs(15);

fn timestamp(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Millis, true)
}

#[derive(Debug, Object)]
#[oai(deny_unknown_fields)]
pub struct StartInterview {
    /// The id of an interview guide (a form of kind `interview`).
    #[oai(default)]
    pub guide: String,
    /// A label such as `P07`: a pseudonym, never required to be a name.
    #[oai(default)]
    pub participant: String,
    /// Answers to the guide's questions (role, company size, ...), checked like survey
    /// answers: they are the segments the interview belongs to.
    #[oai(default)]
    pub attributes: BTreeMap<String, Value>,
    /// The key of the contact the participant is: the notes then take the contact's segment
    /// in reports by contact attribute (`segment_by = "contact.ATTR"`).
    pub contact: Option<String>,
}

#[derive(Debug, Object)]
pub struct StartedJson {
    /// The interview id (time-ordered UUID).
    pub id: String,
}

#[derive(Debug, ApiResponse)]
pub enum Started {
    /// Started and flushed to disk.
    #[oai(status = 201)]
    Created(Json<StartedJson>),
}

#[derive(Debug, Object)]
pub struct InterviewSummaryJson {
    pub id: String,
    pub guide: String,
    /// The guide's revision when the interview started.
    pub guide_revision: String,
    pub participant: String,
    pub attributes: BTreeMap<String, Value>,
    /// The contact the participant is, when the interview was started with one.
    #[oai(skip_serializing_if_is_none)]
    pub contact: Option<String>,
    /// RFC 3339, UTC.
    pub started_at: String,
    /// Set once the interview has ended.
    #[oai(skip_serializing_if_is_none)]
    pub ended_at: Option<String>,
    pub note_count: u64,
}

impl From<&Interview> for InterviewSummaryJson {
    fn from(i: &Interview) -> Self {
        InterviewSummaryJson {
            id: i.id.to_string(),
            guide: i.guide.clone(),
            guide_revision: i.guide_revision.clone(),
            participant: i.participant.clone(),
            attributes: i.attributes.clone(),
            contact: i.contact.clone(),
            started_at: timestamp(i.started_at),
            ended_at: i.ended_at.map(timestamp),
            note_count: i.note_count,
        }
    }
}

#[derive(Debug, Object)]
pub struct NoteVersionJson {
    pub text: String,
    #[oai(skip_serializing_if_is_none)]
    pub section: Option<String>,
    pub kind: String,
    pub forces: Vec<String>,
    pub tags: Vec<String>,
    /// When an edit replaced this version.
    pub replaced_at: String,
}

#[derive(Debug, Object)]
pub struct NoteJson {
    /// 1, 2, ... within the interview; a deleted note's seq is never reused.
    pub seq: u64,
    /// When the note was saved, RFC 3339, UTC.
    pub at: String,
    /// Whole seconds from the start of the interview: where to look in a recording.
    pub offset_s: u64,
    /// A section id of the guide.
    #[oai(skip_serializing_if_is_none)]
    pub section: Option<String>,
    /// note | quote
    pub kind: String,
    /// Any of push, pull, anxiety, habit, in that order.
    pub forces: Vec<String>,
    pub tags: Vec<String>,
    pub text: String,
    #[oai(skip_serializing_if_is_none)]
    pub client_id: Option<String>,
    #[oai(skip_serializing_if_is_none)]
    pub edited_at: Option<String>,
    /// Earlier versions, oldest first.
    pub history: Vec<NoteVersionJson>,
}

fn forces_of(content: &NoteContent) -> Vec<String> {
    content
        .forces
        .iter()
        .map(|f| f.as_str().to_string())
        .collect()
}

impl From<&NoteVersion> for NoteVersionJson {
    fn from(v: &NoteVersion) -> Self {
        NoteVersionJson {
            text: v.content.text.clone(),
            section: v.content.section.clone(),
            kind: v.content.kind.as_str().into(),
            forces: forces_of(&v.content),
            tags: v.content.tags.clone(),
            replaced_at: timestamp(v.replaced_at),
        }
    }
}

impl From<&Note> for NoteJson {
    fn from(n: &Note) -> Self {
        NoteJson {
            seq: n.seq,
            at: timestamp(n.at),
            offset_s: n.offset_s,
            section: n.content.section.clone(),
            kind: n.content.kind.as_str().into(),
            forces: forces_of(&n.content),
            tags: n.content.tags.clone(),
            text: n.content.text.clone(),
            client_id: n.client_id.clone(),
            edited_at: n.edited_at.map(timestamp),
            history: n.history.iter().map(NoteVersionJson::from).collect(),
        }
    }
}

#[derive(Debug, Object)]
pub struct InterviewJson {
    #[oai(flatten)]
    pub summary: InterviewSummaryJson,
    /// The latest event id: subscribe with `?after=` this to follow on from this snapshot.
    pub last_event_id: u64,
    /// In seq order.
    pub notes: Vec<NoteJson>,
}

#[derive(Debug, Object)]
#[oai(deny_unknown_fields)]
pub struct NewNote {
    #[oai(default)]
    pub text: String,
    /// A section id of the guide.
    pub section: Option<String>,
    /// note (the default) | quote
    pub kind: Option<String>,
    /// Any of push, pull, anxiety, habit.
    #[oai(default)]
    pub forces: Vec<String>,
    /// Free labels, at most 20 of at most 40 characters, without `;`.
    #[oai(default)]
    pub tags: Vec<String>,
    /// A key of your choosing (letters, digits, `-`, `_`): sending the same note again with it
    /// returns the first one instead of saving a second, so a failed save can be retried.
    pub client_id: Option<String>,
}

#[derive(Debug, Object)]
#[oai(deny_unknown_fields)]
pub struct NoteChanges {
    pub text: Option<String>,
    /// A section id, or null to clear it.
    pub section: MaybeUndefined<String>,
    pub kind: Option<String>,
    pub forces: Option<Vec<String>>,
    pub tags: Option<Vec<String>>,
}

#[derive(Debug, Object)]
pub struct SavedNoteJson {
    pub seq: u64,
    pub at: String,
    pub offset_s: u64,
}

#[derive(Debug, ApiResponse)]
pub enum NoteSaved {
    /// Saved and flushed to disk.
    #[oai(status = 201)]
    Created(Json<SavedNoteJson>),
    /// A note with this `client_id` was saved before: this is that note.
    #[oai(status = 200)]
    AlreadySaved(Json<SavedNoteJson>),
}

#[derive(Debug, ApiResponse)]
pub enum NoteDeleted {
    /// The note is gone, its text with it; observers receive `note_deleted`.
    #[oai(status = 204)]
    Deleted,
}

/// One event of the stream; the SSE `id` and `event` fields repeat `id` and `type`.
#[derive(Debug, Object)]
pub struct EventJson {
    /// Increasing within the interview. Reconnect with it as `Last-Event-ID` to receive
    /// exactly the events after it.
    pub id: u64,
    /// note_created | note_edited | note_deleted | interview_ended
    #[oai(rename = "type")]
    pub kind: String,
    pub at: String,
    /// The note as saved (note_created, note_edited), without its history: the interview
    /// (`GET /api/interviews/{id}`) has that.
    #[oai(skip_serializing_if_is_none)]
    pub note: Option<NoteJson>,
    /// The note concerned (every note event).
    #[oai(skip_serializing_if_is_none)]
    pub seq: Option<u64>,
    /// interview_ended
    #[oai(skip_serializing_if_is_none)]
    pub ended_at: Option<String>,
}

impl From<&InterviewEvent> for EventJson {
    fn from(e: &InterviewEvent) -> Self {
        let (note, ended_at) = match &e.change {
            Change::NoteCreated { note } | Change::NoteEdited { note } => {
                (Some(NoteJson::from(note)), None)
            }
            Change::NoteDeleted { .. } => (None, None),
            Change::InterviewEnded { ended_at } => (None, Some(timestamp(*ended_at))),
        };
        EventJson {
            id: e.id,
            kind: e.change.name().into(),
            at: timestamp(e.at),
            note,
            seq: e.change.seq(),
            ended_at,
        }
    }
}

pub struct InterviewsApi {
    pub state: Arc<AppState>,
}

#[OpenApi(tag = "ApiTags::Interviews")]
impl InterviewsApi {
    /// Starts an interview of a guide. Attributes are checked against the guide's questions;
    /// every bad field is listed at once in a 422 (an unknown guide too). A closed guide: 409.
    #[oai(path = "/interviews", method = "post")]
    async fn start(
        &self,
        _staff: Interviewer,
        body: Json<StartInterview>,
    ) -> Result<Started, ApiError> {
        let state = self.state.clone();
        let interview = tokio::task::spawn_blocking(move || {
            let body = body.0;
            state.interviews.start(
                &state.catalog,
                &body.guide,
                &body.participant,
                &body.attributes,
                body.contact.as_deref(),
            )
        })
        .await??;
        Ok(Started::Created(Json(StartedJson {
            id: interview.id.to_string(),
        })))
    }

    /// Interviews, newest first, without their notes; `guide` keeps those of one guide.
    #[oai(path = "/interviews", method = "get")]
    async fn list(
        &self,
        _staff: Interviewer,
        guide: Query<Option<String>>,
    ) -> Result<Json<Vec<InterviewSummaryJson>>, ApiError> {
        let state = self.state.clone();
        let interviews = tokio::task::spawn_blocking(move || {
            let guide = guide.0.as_deref().filter(|g| !g.is_empty());
            state.interviews.list(guide, usize::MAX)
        })
        .await??;
        Ok(Json(
            interviews.iter().map(InterviewSummaryJson::from).collect(),
        ))
    }

    /// The interview with its notes in seq order.
    #[oai(path = "/interviews/:id", method = "get")]
    async fn get(
        &self,
        _staff: Interviewer,
        id: Path<String>,
    ) -> Result<Json<InterviewJson>, ApiError> {
        let state = self.state.clone();
        let (interview, notes) =
            tokio::task::spawn_blocking(move || state.interviews.with_notes(&id.0)).await??;
        Ok(Json(InterviewJson {
            summary: InterviewSummaryJson::from(&interview),
            last_event_id: interview.last_event_id,
            notes: notes.iter().map(NoteJson::from).collect(),
        }))
    }

    /// Saves a note: 201 once it is on disk, with its seq, time and offset from the start.
    /// An ended interview answers 409.
    #[oai(path = "/interviews/:id/notes", method = "post")]
    async fn add_note(
        &self,
        _staff: Interviewer,
        id: Path<String>,
        body: Json<NewNote>,
    ) -> Result<NoteSaved, ApiError> {
        let state = self.state.clone();
        let body = body.0;
        let input = NoteInput {
            text: body.text,
            section: body.section,
            kind: body.kind,
            forces: body.forces,
            tags: body.tags,
            client_id: body.client_id,
        };
        let saved = tokio::task::spawn_blocking(move || {
            state.interviews.add_note(&state.catalog, &id.0, &input)
        })
        .await??;
        let json = Json(SavedNoteJson {
            seq: saved.note.seq,
            at: timestamp(saved.note.at),
            offset_s: saved.note.offset_s,
        });
        Ok(if saved.created {
            NoteSaved::Created(json)
        } else {
            NoteSaved::AlreadySaved(json)
        })
    }

    /// Edits a note; the version it replaces is kept in the note's history. Only the fields
    /// sent change. Ended interviews may still be tidied up this way.
    #[oai(path = "/interviews/:id/notes/:seq", method = "patch")]
    async fn edit_note(
        &self,
        _staff: Interviewer,
        id: Path<String>,
        #[oai(validator(minimum(value = "0"), maximum(value = "9007199254740991")))] seq: Path<u64>,
        body: Json<NoteChanges>,
    ) -> Result<Json<NoteJson>, ApiError> {
        let state = self.state.clone();
        let body = body.0;
        let edit = NoteEdit {
            text: body.text,
            section: match body.section {
                MaybeUndefined::Undefined => None,
                MaybeUndefined::Null => Some(None),
                MaybeUndefined::Value(section) => Some(Some(section)),
            },
            kind: body.kind,
            forces: body.forces,
            tags: body.tags,
        };
        let note = tokio::task::spawn_blocking(move || {
            state
                .interviews
                .edit_note(&state.catalog, &id.0, seq.0, &edit)
        })
        .await??;
        Ok(Json(NoteJson::from(&note)))
    }

    /// Deletes a note for good, its history and its text in the event log included.
    #[oai(path = "/interviews/:id/notes/:seq", method = "delete")]
    async fn delete_note(
        &self,
        _staff: Interviewer,
        id: Path<String>,
        #[oai(validator(minimum(value = "0"), maximum(value = "9007199254740991")))] seq: Path<u64>,
    ) -> Result<NoteDeleted, ApiError> {
        let state = self.state.clone();
        tokio::task::spawn_blocking(move || state.interviews.delete_note(&id.0, seq.0)).await??;
        Ok(NoteDeleted::Deleted)
    }

    /// Ends the interview: it takes no more notes. Ending it again answers the same.
    #[oai(path = "/interviews/:id/end", method = "post")]
    async fn end(
        &self,
        _staff: Interviewer,
        id: Path<String>,
    ) -> Result<Json<InterviewSummaryJson>, ApiError> {
        let state = self.state.clone();
        let interview = tokio::task::spawn_blocking(move || state.interviews.end(&id.0)).await??;
        Ok(Json(InterviewSummaryJson::from(&interview)))
    }

    /// Server-Sent Events: every note saved, edited or deleted, and the end, as it happens.
    /// The stream first replays the stored events after `Last-Event-ID` (or `after`, for a
    /// client that cannot set headers; from the start without either), then follows live,
    /// each event exactly once.
    #[oai(path = "/interviews/:id/events", method = "get")]
    async fn events(
        &self,
        _staff: Interviewer,
        id: Path<String>,
        #[oai(name = "Last-Event-ID")] last_event_id: Header<Option<String>>,
        #[oai(validator(minimum(value = "0"), maximum(value = "9007199254740991")))] after: Query<
            Option<u64>,
        >,
    ) -> Result<EventStream<BoxStream<'static, EventJson>>, ApiError> {
        let after = match last_event_id.0.as_deref().map(str::trim) {
            Some(text) if !text.is_empty() => text.parse::<u64>().map_err(|_| {
                ApiError::bad_request(format!(
                    "Last-Event-ID '{text}' is not an event id (a whole number)"
                ))
            })?,
            _ => after.0.unwrap_or(0),
        };
        let state = self.state.clone();
        let subscription =
            tokio::task::spawn_blocking(move || state.interviews.subscribe(&id.0, after)).await??;
        let events = feed(self.state.interviews.clone(), subscription)
            .map(|event| EventJson::from(event.as_ref()))
            .boxed();
        Ok(EventStream::new(events)
            .keep_alive(KEEP_ALIVE)
            .to_event(|event| {
                let name = event.kind.clone();
                let id = event.id.to_string();
                Event::message(event.to_json_string())
                    .id(id)
                    .event_type(name)
            }))
    }

    /// Every note of every interview of a guide as CSV, streamed: interview, participant,
    /// attributes, seq, at, offset_s, section, kind, forces, tags, text. `pii=1` includes
    /// personal-data attributes, `bom=1` adds a byte-order mark for Excel.
    #[oai(path = "/forms/:id/notes.csv", method = "get")]
    async fn notes_csv(
        &self,
        _staff: Researcher,
        id: Path<String>,
        pii: Query<Option<String>>,
        bom: Query<Option<String>>,
    ) -> Result<CsvDownload, ApiError> {
        let guide = self
            .state
            .catalog
            .get(&id.0)
            .filter(|f| f.kind == FormKind::Interview)
            .ok_or_else(|| ApiError::not_found(format!("no interview guide with id '{}'", id.0)))?;
        let options = ExportOptions {
            include_pii: flag(&pii.0),
            byte_order_mark: flag(&bom.0),
            ..ExportOptions::default()
        };
        let interviews = {
            let (state, id) = (self.state.clone(), guide.id.clone());
            let mut newest_first =
                tokio::task::spawn_blocking(move || state.interviews.list(Some(&id), usize::MAX))
                    .await??;
            newest_first.reverse();
            newest_first
        };
        let store = self.state.interviews.store().clone();
        let filename = format!("attachment; filename=\"{}-notes.csv\"", guide.id);
        let body = stream_blocking(format!("the notes CSV of {}", guide.id), move |out| {
            write_notes_csv(out, &guide, &interviews, |i| store.notes(i.id), options)
        });
        Ok(CsvDownload::Ok(Binary(body), filename))
    }
}
