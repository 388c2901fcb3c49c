//! Personal invitations: a campaign invites contacts to a survey by email, each with a link
//! of their own (`/s/{form}?t=TOKEN`) that ties their answers to them and takes one response;
//! reminders go to those who have not answered; an unsubscribe link in every message is
//! honoured for good. Nothing here knows about HTTP.
//!
//! Sending is durable and resumable: every message is queued in the store before anything is
//! sent, claimed there just before it is sent, and marked sent or failed after. A process
//! that stops mid-campaign leaves the rest queued, and whichever process looks next (this one
//! after a restart, or another node) sends them; a message found claimed by a process that is
//! gone may have left, so it is marked failed rather than sent twice.

mod campaign;
mod send;
mod status;

use std::sync::Arc;

use chrono::{DateTime, SecondsFormat, Utc};

use crate::auth::{sha256_hex, well_formed_token};
use crate::form::Catalog;
use crate::mail::Summaries;
use crate::store::{Backend, QuotaPlace, StoreError, TokenPurpose, TokenRef, blocking};

pub use campaign::{Selection, Skipped, Started};
pub use send::LOOK_EVERY;
pub use status::{InvitationStatus, Listing, Status};

/// The quota place an invitation's one response takes: `invitation:` and the contact key (no
/// quota of a form can have that name, since quota names are slugs).
const COMPLETION_PREFIX: &str = "invitation:";

/// The place a response through `contact`'s invitation takes, so that the store refuses a
/// second one in the same write that would store it.
pub fn completion(contact: &str) -> QuotaPlace {
    QuotaPlace {
        name: format!("{COMPLETION_PREFIX}{contact}"),
        limit: 1,
    }
}

/// Whether a quota place is an invitation's (see `completion`).
pub fn is_completion(name: &str) -> bool {
    name.starts_with(COMPLETION_PREFIX)
}

/// The contact attribute invitations are sent to.
pub const EMAIL_ATTRIBUTE: &str = "email";

#[derive(Debug, thiserror::Error)]
pub enum InvitationError {
    #[error("no survey with id '{0}'")]
    UnknownForm(String),
    /// A bad request: what is wrong, in words the caller can act on.
    #[error("{0}")]
    Invalid(String),
    #[error("no contact with key {}", .0.join(", "))]
    UnknownContacts(Vec<String>),
    /// A link whose token leads nowhere (mistyped, cut short, or its contact erased).
    #[error("this link is not valid")]
    UnknownToken,
    #[error(transparent)]
    Store(#[from] StoreError),
}

pub(crate) fn now_text(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Millis, true)
}

/// Invitations, their sending and their links.
pub struct Invitations {
    store: Arc<dyn Backend>,
    catalog: Catalog,
    mail: Arc<Summaries>,
    /// This process among those that may share the store: the name its claims carry.
    process: String,
    /// Held by the one sender this process runs at a time (see `send_queued`).
    sending: tokio::sync::Mutex<()>,
}

impl Invitations {
    pub fn new(store: Arc<dyn Backend>, catalog: Catalog, mail: Arc<Summaries>) -> Self {
        Invitations {
            store,
            catalog,
            mail,
            process: uuid::Uuid::new_v4().to_string(),
            sending: tokio::sync::Mutex::new(()),
        }
    }

    /// Where a survey token leads, for `form`: the invitation's contact. `None` for a token
    /// that is not well formed, unknown, of another form, or for unsubscribing.
    pub async fn survey_link(&self, form: &str, token: &str) -> Result<Option<String>, StoreError> {
        Ok(self
            .lookup(token)
            .await?
            .filter(|t| t.purpose == TokenPurpose::Survey && t.form == form)
            .map(|t| t.contact))
    }

    /// The same, from a blocking thread (the submission's).
    pub fn survey_link_now(&self, form: &str, token: &str) -> Result<Option<String>, StoreError> {
        if !well_formed_token(token) {
            return Ok(None);
        }
        Ok(self
            .store
            .token(&sha256_hex(token))?
            .filter(|t| t.purpose == TokenPurpose::Survey && t.form == form)
            .map(|t| t.contact))
    }

    async fn lookup(&self, token: &str) -> Result<Option<TokenRef>, StoreError> {
        if !well_formed_token(token) {
            return Ok(None);
        }
        let (store, hash) = (self.store.clone(), sha256_hex(token));
        blocking(move || store.token(&hash)).await
    }

    /// Whether `contact` has answered `form` through their invitation.
    pub async fn completed(&self, form: &str, contact: &str) -> Result<bool, StoreError> {
        let (store, form) = (self.store.clone(), form.to_string());
        let place = completion(contact).name;
        blocking(move || Ok(store.quota_counts(&form)?.get(&place).copied().unwrap_or(0) > 0)).await
    }

    /// Notes that an invitation's link was opened (the first time is kept).
    pub async fn opened(&self, form: &str, contact: &str) -> Result<(), StoreError> {
        let (store, form, contact) = (self.store.clone(), form.to_string(), contact.to_string());
        let at = now_text(Utc::now());
        blocking(move || {
            store.update_invitation(&form, &contact, &mut |invitation| {
                if invitation.opened_at.is_some() {
                    return false;
                }
                invitation.opened_at = Some(at.clone());
                true
            })?;
            Ok(())
        })
        .await
    }

    /// The contact an unsubscribe token names, if it is one.
    pub async fn unsubscribe_target(&self, token: &str) -> Result<Option<TokenRef>, StoreError> {
        Ok(self
            .lookup(token)
            .await?
            .filter(|t| t.purpose == TokenPurpose::Unsubscribe))
    }

    /// Unsubscribes the contact an unsubscribe token names from every invitation and
    /// reminder; durable when it returns.
    pub async fn unsubscribe(&self, token: &str) -> Result<(), InvitationError> {
        let target = self
            .unsubscribe_target(token)
            .await?
            .ok_or(InvitationError::UnknownToken)?;
        let store = self.store.clone();
        let at = now_text(Utc::now());
        blocking(move || store.unsubscribe(&target.contact, &at)).await?;
        Ok(())
    }

    /// Forgets every invitation of a contact (their erasure).
    pub fn erase_contact(&self, contact: &str) -> Result<u64, StoreError> {
        self.store.delete_contact_invitations(contact)
    }
}
