//! Invitation campaigns: inviting contacts to a survey by email, reminding them, and the
//! status of each invitation.

use std::collections::BTreeMap;
use std::sync::Arc;

use poem_openapi::param::{Path, Query};
use poem_openapi::payload::Json;
use poem_openapi::{Object, OpenApi};
use serde_json::Value;

use super::ApiTags;
use super::auth::Researcher;
use super::error::ApiError;
use crate::app::AppState;
use crate::invitations::{InvitationError, Selection, Started};
use crate::report::{Cadence, parse_cadence};

const DEFAULT_LIMIT: u32 = 100;

#[derive(Debug, Object)]
#[oai(deny_unknown_fields)]
pub struct InviteRequest {
    /// `"all"`, a list of contact keys, or `{"where": {"ATTR": "value", …}}` (every pair
    /// must match).
    pub contacts: Value,
    pub subject: String,
    /// The message's text; the personal link and the unsubscribe link follow it.
    pub message: String,
}

#[derive(Debug, Object)]
pub struct InviteSkipped {
    /// Without an `email` attribute one can write to.
    pub no_email: u64,
    pub unsubscribed: u64,
    /// Invited to this survey before: a contact is invited once (then reminded).
    pub already_invited: u64,
}

#[derive(Debug, Object)]
pub struct InviteResult {
    /// The campaign's id.
    pub campaign: String,
    /// Messages the mail transport accepted.
    pub sent: u64,
    /// Messages that could not be sent (the status list says why).
    pub failed: u64,
    pub skipped: InviteSkipped,
}

#[derive(Debug, Object)]
#[oai(deny_unknown_fields)]
pub struct RemindRequest {
    /// Remind only those whose last message is older than this: `30s`, `15m`, `6h`, `3d`,
    /// `1w`.
    pub older_than: String,
    /// The reminder's subject; default: the invitation's, after "Reminder:".
    pub subject: Option<String>,
    /// The reminder's text; default: the invitation's.
    pub message: Option<String>,
}

#[derive(Debug, Object)]
pub struct RemindSkipped {
    /// Answered already.
    pub completed: u64,
    pub unsubscribed: u64,
    /// Messaged within `older_than`, or a message still waiting to be sent.
    pub recent: u64,
}

#[derive(Debug, Object)]
pub struct RemindResult {
    /// The reminders' campaign id; absent when nobody was due.
    pub campaign: Option<String>,
    pub sent: u64,
    pub failed: u64,
    pub skipped: RemindSkipped,
}

#[derive(Debug, Object)]
pub struct InvitationItem {
    pub contact: String,
    /// `sent`, `opened` (a link opened), `completed` (answered), `unsubscribed`, `failed`
    /// (no message left; `error` says why), or `queued` (not sent yet).
    pub status: String,
    pub invited_at: String,
    pub opened_at: Option<String>,
    /// Messages that left: the invitation and its reminders.
    pub messages_sent: u64,
    pub last_message_at: Option<String>,
    pub error: Option<String>,
}

#[derive(Debug, Object)]
pub struct InvitationList {
    pub invitations: Vec<InvitationItem>,
    /// How many invitations of the survey stand at each status (all of them, not the page).
    pub counts: BTreeMap<String, u64>,
    pub total: u64,
    /// The `after` of the next page; absent on the last.
    pub next: Option<String>,
}

pub struct InvitationsApi {
    pub state: Arc<AppState>,
}

fn selection(value: Value) -> Result<Selection, ApiError> {
    let invalid = || {
        let mut fields = BTreeMap::new();
        fields.insert(
            "contacts".to_string(),
            "must be \"all\", a list of contact keys, or {\"where\": {\"attribute\": \"value\"}}"
                .to_string(),
        );
        ApiError::validation(fields)
    };
    match value {
        Value::String(all) if all == "all" => Ok(Selection::All),
        Value::Array(keys) if !keys.is_empty() => keys
            .into_iter()
            .map(|k| match k {
                Value::String(k) if !k.trim().is_empty() => Ok(k),
                _ => Err(invalid()),
            })
            .collect::<Result<_, _>>()
            .map(Selection::Keys),
        Value::Object(mut object) if object.len() == 1 => match object.remove("where") {
            Some(Value::Object(pairs)) if !pairs.is_empty() => pairs
                .into_iter()
                .map(|(k, v)| match v {
                    Value::String(v) => Ok((k, v)),
                    _ => Err(invalid()),
                })
                .collect::<Result<_, _>>()
                .map(Selection::Where),
            _ => Err(invalid()),
        },
        _ => Err(invalid()),
    }
}

impl From<InvitationError> for ApiError {
    fn from(e: InvitationError) -> Self {
        match e {
            InvitationError::UnknownForm(_) | InvitationError::UnknownToken => {
                ApiError::not_found(e.to_string())
            }
            InvitationError::UnknownContacts(_) => {
                let mut fields = BTreeMap::new();
                fields.insert("contacts".to_string(), e.to_string());
                ApiError::validation(fields)
            }
            InvitationError::Invalid(message) => {
                let field = if message.contains("\"subject\"") {
                    "subject"
                } else {
                    "message"
                };
                let mut fields = BTreeMap::new();
                fields.insert(field.to_string(), message);
                ApiError::validation(fields)
            }
            InvitationError::Store(e) => e.into(),
        }
    }
}

/// Runs a campaign on a task of its own: a client that goes away mid-campaign stops
/// nothing (the sends under way finish and are recorded).
async fn detached(
    work: impl std::future::Future<Output = Result<Started, InvitationError>> + Send + 'static,
) -> Result<Started, ApiError> {
    Ok(tokio::spawn(work).await??)
}

#[OpenApi(tag = "ApiTags::Invitations")]
impl InvitationsApi {
    /// Invites contacts to a survey: each with an `email` gets a personal link
    /// `/s/{id}?t=TOKEN` (and an unsubscribe link) through the mail transport, once per
    /// survey. Every message is queued before any is sent, and claimed before it is sent:
    /// a restart carries on with the rest and never sends one twice. Answers once every
    /// message of the campaign was sent or failed.
    #[oai(path = "/forms/:id/invitations", method = "post")]
    async fn invite(
        &self,
        _staff: Researcher,
        id: Path<String>,
        body: Json<InviteRequest>,
    ) -> Result<Json<InviteResult>, ApiError> {
        let chosen = selection(body.0.contacts)?;
        let invitations = self.state.invitations.clone();
        let (subject, message) = (body.0.subject, body.0.message);
        let started =
            detached(async move { invitations.invite(&id.0, chosen, &subject, &message).await })
                .await?;
        Ok(Json(InviteResult {
            campaign: started.campaign,
            sent: started.sent,
            failed: started.failed,
            skipped: InviteSkipped {
                no_email: started.skipped.no_email,
                unsubscribed: started.skipped.unsubscribed,
                already_invited: started.skipped.already_invited,
            },
        }))
    }

    /// Reminds those invited who have not answered, have not unsubscribed, and had no
    /// message within `older_than` (counted from their last message).
    #[oai(path = "/forms/:id/invitations/remind", method = "post")]
    async fn remind(
        &self,
        _staff: Researcher,
        id: Path<String>,
        body: Json<RemindRequest>,
    ) -> Result<Json<RemindResult>, ApiError> {
        let older_than = match parse_cadence(&body.0.older_than) {
            Ok(Cadence::Every(span)) => span,
            _ => {
                let mut fields = BTreeMap::new();
                fields.insert(
                    "older_than".to_string(),
                    "must be a duration such as \"30s\", \"15m\", \"6h\", \"3d\", \"1w\"".into(),
                );
                return Err(ApiError::validation(fields));
            }
        };
        let invitations = self.state.invitations.clone();
        let (subject, message) = (body.0.subject, body.0.message);
        let started = detached(async move {
            invitations
                .remind(&id.0, older_than, subject.as_deref(), message.as_deref())
                .await
        })
        .await?;
        Ok(Json(RemindResult {
            campaign: (!started.campaign.is_empty()).then_some(started.campaign),
            sent: started.sent,
            failed: started.failed,
            skipped: RemindSkipped {
                completed: started.skipped.completed,
                unsubscribed: started.skipped.unsubscribed,
                recent: started.skipped.recent,
            },
        }))
    }

    /// The survey's invitations in contact key order, `limit` a page (default 100, at most
    /// 1000) from after the key `after`, with the count per status of all of them.
    #[oai(path = "/forms/:id/invitations", method = "get")]
    async fn list(
        &self,
        _staff: Researcher,
        id: Path<String>,
        #[oai(validator(minimum(value = "1"), maximum(value = "1000")))] limit: Query<Option<u32>>,
        after: Query<Option<String>>,
    ) -> Result<Json<InvitationList>, ApiError> {
        let limit = limit.0.unwrap_or(DEFAULT_LIMIT).clamp(1, 1000) as usize;
        let listing = self.state.invitations.list(&id.0, after.0, limit).await?;
        Ok(Json(InvitationList {
            invitations: listing
                .invitations
                .into_iter()
                .map(|i| InvitationItem {
                    contact: i.contact,
                    status: i.status.as_str().to_string(),
                    invited_at: i.invited_at,
                    opened_at: i.opened_at,
                    messages_sent: i.sent,
                    last_message_at: i.last_message_at,
                    error: i.error,
                })
                .collect(),
            counts: listing
                .counts
                .into_iter()
                .map(|(k, v)| (k.to_string(), v))
                .collect(),
            total: listing.total,
            next: listing.next,
        }))
    }
}
