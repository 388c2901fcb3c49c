//! Every record the store keeps, out and back in: what a backup carries and a restore puts
//! back.
//!
//! A record is its stored JSON, untouched (so a restore gives back the very bytes), with the
//! key parts that place it named rather than packed the way one backend packs them. What a
//! store can derive again is left out: indexes (a form's responses, a guide's interviews, a
//! note's client id) come back from the records they index, and report aggregates from a
//! rebuild, which a store whose aggregates are missing starts by itself.
//!
//! The serde shape of `Record` is the record line of the backup file (see `crate::backup`):
//! one JSON object whose only key names the kind. Changing it means a new format version.

use std::ops::ControlFlow;

use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;
use uuid::Uuid;

use super::StoreError;

/// The stored JSON of a record, exactly as the store holds it.
pub type Json = Box<RawValue>;

#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum Record {
    /// A survey response (`StoredResponse`).
    Response { record: Json },
    /// A form as it was when a response first answered this revision of it.
    Revision {
        form: String,
        revision: String,
        record: Json,
    },
    /// An interview with its counters (`Interview`).
    Interview { record: Json },
    /// A note of an interview, with its history (`Note`).
    Note {
        interview: Uuid,
        seq: u64,
        record: Json,
    },
    /// An event of an interview's log, what observers replay (`InterviewEvent`).
    InterviewEvent {
        interview: Uuid,
        id: u64,
        record: Json,
    },
    /// The team's label, notes, reviews and activations of a profile card (`CardNotes`).
    CardNotes {
        report: String,
        segment: String,
        record: Json,
    },
    /// A report's summary schedule and what was last sent (`MailState`).
    MailState { report: String, record: Json },
    /// A webhook message waiting in its endpoint's queue (`QueuedWebhook`).
    WebhookQueued {
        endpoint: String,
        seq: u64,
        record: Json,
    },
    /// The last seq an endpoint's queue handed out.
    WebhookSequence { endpoint: String, last: u64 },
    /// A webhook message off its queue, in the endpoint's log (`FinishedWebhook`).
    WebhookFinished {
        endpoint: String,
        seq: u64,
        record: Json,
    },
    /// The same, in the endpoint's log of given-up messages.
    WebhookFailed {
        endpoint: String,
        seq: u64,
        record: Json,
    },
    /// A staff browser login, under the hash of its id (`Session`).
    Session { id_sha256: String, record: Json },
    /// A contact from a CRM import, its key inside (`Contact`).
    Contact { record: Json },
    /// The columns an import marked `pii`, kept out of exports and reports.
    PiiColumns { names: Vec<String> },
    /// An outside text of a report's source, with the segment it counts in (`StoredText`).
    Text { record: Json },
    /// A contact's invitation to a form, its messages and the tokens they gave out
    /// (`Invitation`); the token index and the senders' list come back from it.
    Invitation { record: Json },
    /// The wording of one campaign's messages (`Campaign`).
    Campaign { record: Json },
    /// A contact who unsubscribed, and when (RFC 3339).
    Unsubscribed { contact: String, at: String },
}

impl Record {
    /// The kind's name, as in the file: what a backup counts records by.
    pub fn kind(&self) -> &'static str {
        match self {
            Record::Response { .. } => "response",
            Record::Revision { .. } => "revision",
            Record::Interview { .. } => "interview",
            Record::Note { .. } => "note",
            Record::InterviewEvent { .. } => "interview_event",
            Record::CardNotes { .. } => "card_notes",
            Record::MailState { .. } => "mail_state",
            Record::WebhookQueued { .. } => "webhook_queued",
            Record::WebhookSequence { .. } => "webhook_sequence",
            Record::WebhookFinished { .. } => "webhook_finished",
            Record::WebhookFailed { .. } => "webhook_failed",
            Record::Session { .. } => "session",
            Record::Contact { .. } => "contact",
            Record::PiiColumns { .. } => "pii_columns",
            Record::Text { .. } => "text",
            Record::Invitation { .. } => "invitation",
            Record::Campaign { .. } => "campaign",
            Record::Unsubscribed { .. } => "unsubscribed",
        }
    }
}

/// The stored bytes of a record as `Json`; bytes that are not JSON are a corrupt record.
pub(super) fn json_of(bytes: &[u8]) -> Result<Json, StoreError> {
    let text = String::from_utf8(bytes.to_vec())
        .map_err(|e| StoreError::Corrupt(format!("a stored record is not UTF-8: {e}")))?;
    RawValue::from_string(text)
        .map_err(|e| StoreError::Corrupt(format!("a stored record is not JSON: {e}")))
}

/// What a restore reads from a record to fill the indexes beside it; the rest stays as it is.
#[derive(Deserialize)]
pub(super) struct ResponseKeys {
    pub id: Uuid,
    pub form: String,
    #[serde(default)]
    pub quotas: Vec<super::QuotaPlace>,
}

#[derive(Deserialize)]
pub(super) struct InterviewKeys {
    pub id: Uuid,
    pub guide: String,
}

/// What a restore reads from a contact, a text or a campaign to place it.
#[derive(Deserialize)]
pub(super) struct ContactKeys {
    pub key: String,
}

#[derive(Deserialize)]
pub(super) struct TextKeys {
    pub report: String,
    pub source: String,
    pub id: String,
    #[serde(default)]
    pub customer_id: Option<String>,
}

#[derive(Deserialize)]
pub(super) struct CampaignKeys {
    pub id: String,
}

#[derive(Deserialize)]
pub(super) struct NoteKeys {
    #[serde(default)]
    pub client_id: Option<String>,
}

pub trait BackupStore: Send + Sync + 'static {
    /// Hands every record to `visit`, one at a time, until it answers `Break`. Every writer
    /// waits until this returns, so the records are the store as it was at one instant.
    fn each_record(
        &self,
        visit: &mut dyn FnMut(Record) -> ControlFlow<()>,
    ) -> Result<(), StoreError>;

    /// Puts records back into a store that holds none of them yet, with the indexes they
    /// imply; durable when it returns. Aggregates are left missing, for a rebuild.
    fn restore_records(&self, records: &[Record]) -> Result<(), StoreError>;
}
