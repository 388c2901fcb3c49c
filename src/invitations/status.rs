//! Where each invitation of a form stands, and how many stand where.

use std::collections::BTreeMap;

use serde::Serialize;

use super::{Invitations, completion};
use crate::store::{Invitation, MessageState, StoreError, blocking};

/// An invitation's status, the first that holds of: completed (answered through it),
/// unsubscribed, failed (no message of it ever left, and the last failed), opened (a link
/// opened), sent, queued (its first message not sent yet).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Queued,
    Sent,
    Opened,
    Completed,
    Unsubscribed,
    Failed,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Queued => "queued",
            Status::Sent => "sent",
            Status::Opened => "opened",
            Status::Completed => "completed",
            Status::Unsubscribed => "unsubscribed",
            Status::Failed => "failed",
        }
    }
}

/// One invitation in the list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InvitationStatus {
    pub contact: String,
    pub status: Status,
    pub invited_at: String,
    pub opened_at: Option<String>,
    /// Messages that left: the invitation and its reminders.
    pub sent: u64,
    /// When the last message left or failed.
    pub last_message_at: Option<String>,
    /// Why the last message failed, when it did.
    pub error: Option<String>,
}

/// A page of a form's invitations, and the count per status of all of them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Listing {
    pub invitations: Vec<InvitationStatus>,
    pub counts: BTreeMap<&'static str, u64>,
    pub total: u64,
    /// The contact key to ask the next page after, when there is one.
    pub next: Option<String>,
}

fn status_of(invitation: &Invitation, completed: bool, unsubscribed: bool) -> InvitationStatus {
    let sent = invitation
        .messages
        .iter()
        .filter(|m| matches!(m.state, MessageState::Sent { .. }))
        .count() as u64;
    let (last_message_at, error) = match invitation.messages.last().map(|m| &m.state) {
        Some(MessageState::Sent { at }) => (Some(at.clone()), None),
        Some(MessageState::Failed { at, error }) => (Some(at.clone()), Some(error.clone())),
        _ => (None, None),
    };
    let status = if completed {
        Status::Completed
    } else if unsubscribed {
        Status::Unsubscribed
    } else if sent == 0 && error.is_some() {
        Status::Failed
    } else if invitation.opened_at.is_some() {
        Status::Opened
    } else if sent > 0 {
        Status::Sent
    } else {
        Status::Queued
    };
    InvitationStatus {
        contact: invitation.contact.clone(),
        status,
        invited_at: invitation.invited_at.clone(),
        opened_at: invitation.opened_at.clone(),
        sent,
        last_message_at,
        error,
    }
}

impl Invitations {
    /// Up to `limit` of a form's invitations after the contact key `after`, in key order,
    /// with the counts of all of them.
    pub async fn list(
        &self,
        form: &str,
        after: Option<String>,
        limit: usize,
    ) -> Result<Listing, super::InvitationError> {
        if !self.catalog.get(form).is_some_and(|f| f.is_survey()) {
            return Err(super::InvitationError::UnknownForm(form.to_string()));
        }
        let (store, form) = (self.store.clone(), form.to_string());
        let listing = blocking(move || {
            let counts = store.quota_counts(&form)?;
            let mut listing = Listing::default();
            for status in [
                Status::Sent,
                Status::Opened,
                Status::Completed,
                Status::Unsubscribed,
                Status::Failed,
            ] {
                listing.counts.insert(status.as_str(), 0);
            }
            for invitation in store.form_invitations(&form) {
                let invitation = invitation?;
                let completed = counts
                    .get(&completion(&invitation.contact).name)
                    .is_some_and(|n| *n > 0);
                let unsubscribed = store.unsubscribed(&invitation.contact)?.is_some();
                let status = status_of(&invitation, completed, unsubscribed);
                *listing.counts.entry(status.status.as_str()).or_default() += 1;
                listing.total += 1;
                let wanted = after.as_ref().is_none_or(|a| status.contact > *a);
                if wanted && listing.invitations.len() < limit {
                    listing.invitations.push(status);
                } else if wanted && listing.next.is_none() {
                    listing.next = listing.invitations.last().map(|s| s.contact.clone());
                }
            }
            Ok::<_, StoreError>(listing)
        })
        .await?;
        Ok(listing)
    }
}
