//! What an interview is made of: the interview, its notes with their history, and the events
//! that observers receive. These are also the records the store keeps.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::form::Answers;

/// The four forces of progress of a JTBD switch interview.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Force {
    /// What pushes away from the current way.
    Push,
    /// What pulls towards the new one.
    Pull,
    /// What worries about the new one.
    Anxiety,
    /// What holds on to the current way.
    Habit,
}

impl Force {
    /// In the order interviewers name them, which is also the order they are stored in.
    pub const ALL: [Force; 4] = [Force::Push, Force::Pull, Force::Anxiety, Force::Habit];

    pub fn as_str(self) -> &'static str {
        match self {
            Force::Push => "push",
            Force::Pull => "pull",
            Force::Anxiety => "anxiety",
            Force::Habit => "habit",
        }
    }

    pub fn parse(text: &str) -> Option<Force> {
        Force::ALL.into_iter().find(|f| f.as_str() == text)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NoteKind {
    /// The interviewer's own words: a summary or an observation.
    #[default]
    Note,
    /// The participant's words, verbatim.
    Quote,
}

impl NoteKind {
    pub fn as_str(self) -> &'static str {
        match self {
            NoteKind::Note => "note",
            NoteKind::Quote => "quote",
        }
    }

    pub fn parse(text: &str) -> Option<NoteKind> {
        match text {
            "note" => Some(NoteKind::Note),
            "quote" => Some(NoteKind::Quote),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Interview {
    /// Time-ordered (v7), so the store lists interviews in the order they started.
    pub id: Uuid,
    pub guide: String,
    /// The guide's revision when the interview started.
    pub guide_revision: String,
    /// A label such as `P07`; never required to be a name.
    pub participant: String,
    /// Answers to the guide's questions: the segments this interview belongs to.
    #[serde(default)]
    pub attributes: Answers,
    /// Attributes that were personal data (`pii`) when the interview started, so that the
    /// CSV keeps them out even after their question leaves the guide.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub pii_attributes: Vec<String>,
    /// The contact the participant is (`"contact": KEY` at the start): the notes then take
    /// that contact's segment in reports by contact attribute.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub contact: Option<String>,
    pub started_at: DateTime<Utc>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ended_at: Option<DateTime<Utc>>,
    /// Notes that exist now (deleted ones no longer count).
    #[serde(default)]
    pub note_count: u64,
    /// The highest seq handed out; a deleted note's seq is never reused.
    #[serde(default)]
    pub last_seq: u64,
    /// The id of the latest event; events are numbered 1, 2, ... within an interview.
    #[serde(default)]
    pub last_event_id: u64,
}

impl Interview {
    pub fn has_ended(&self) -> bool {
        self.ended_at.is_some()
    }
}

/// A note's content: what an edit may change.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NoteContent {
    pub text: String,
    /// A section id of the guide.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub section: Option<String>,
    #[serde(default)]
    pub kind: NoteKind,
    /// Distinct, in `Force::ALL` order.
    #[serde(default)]
    pub forces: Vec<Force>,
    #[serde(default)]
    pub tags: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Note {
    /// 1, 2, ... within the interview, in the order the notes were saved.
    pub seq: u64,
    pub at: DateTime<Utc>,
    /// Whole seconds from the start of the interview to `at`: where to look in a recording.
    pub offset_s: u64,
    #[serde(flatten)]
    pub content: NoteContent,
    /// The key the console sends with a note so that a retried save never makes a second one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub edited_at: Option<DateTime<Utc>>,
    /// Earlier versions, oldest first.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub history: Vec<NoteVersion>,
}

/// A note as it was before an edit.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NoteVersion {
    #[serde(flatten)]
    pub content: NoteContent,
    /// When the edit replaced this version.
    pub replaced_at: DateTime<Utc>,
}

/// One change to an interview, as observers receive it and the store keeps it for replay.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct InterviewEvent {
    /// Increasing within the interview: what a reconnecting observer sends as `Last-Event-ID`.
    pub id: u64,
    pub at: DateTime<Utc>,
    #[serde(flatten)]
    pub change: Change,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Change {
    NoteCreated { note: Note },
    NoteEdited { note: Note },
    NoteDeleted { seq: u64 },
    InterviewEnded { ended_at: DateTime<Utc> },
}

impl Change {
    pub fn name(&self) -> &'static str {
        match self {
            Change::NoteCreated { .. } => "note_created",
            Change::NoteEdited { .. } => "note_edited",
            Change::NoteDeleted { .. } => "note_deleted",
            Change::InterviewEnded { .. } => "interview_ended",
        }
    }

    /// The note this change is about, if any.
    pub fn seq(&self) -> Option<u64> {
        match self {
            Change::NoteCreated { note } | Change::NoteEdited { note } => Some(note.seq),
            Change::NoteDeleted { seq } => Some(*seq),
            Change::InterviewEnded { .. } => None,
        }
    }
}
