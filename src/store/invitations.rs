//! Invitations: one personal invitation per contact and form, the messages that carry its
//! links (the first one, then reminders), the tokens those links hold (only their SHA-256 is
//! kept), the campaigns' wording, and the contacts who unsubscribed.
//!
//! The store decides nothing about sending: the domain changes a record through
//! `update_invitation` (claiming a message before it is sent, recording how it went), and
//! the store keeps the record, the index of its tokens and the list of records with a message
//! waiting, all in one durable write.

use serde::{Deserialize, Serialize};

use super::StoreError;

/// What a token lets its holder do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TokenPurpose {
    /// Answer the survey as the invited contact.
    Survey,
    /// Unsubscribe the contact from every invitation and reminder.
    Unsubscribe,
}

/// A token given out in a message: its SHA-256 (hex) and what it is for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IssuedToken {
    pub sha256: String,
    pub purpose: TokenPurpose,
}

/// Where a token leads.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenRef {
    pub form: String,
    pub contact: String,
    pub purpose: TokenPurpose,
}

/// How one message stands.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum MessageState {
    /// Waiting to be sent.
    Queued,
    /// Claimed by the process `by` at `at` (RFC 3339), which is sending it. Found so by
    /// another process once `by` is gone, it means the send was interrupted: the message may
    /// have left, so it is marked failed rather than sent again.
    Sending {
        by: String,
        at: String,
    },
    Sent {
        at: String,
    },
    Failed {
        at: String,
        error: String,
    },
}

/// One message of an invitation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InvitationMessage {
    /// The campaign whose subject and text it carries.
    pub campaign: String,
    /// False for the first message, true for reminders.
    #[serde(default)]
    pub reminder: bool,
    pub queued_at: String,
    #[serde(flatten)]
    pub state: MessageState,
}

/// A contact's invitation to a form.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Invitation {
    pub form: String,
    pub contact: String,
    /// RFC 3339, UTC.
    pub invited_at: String,
    /// When a link of it was first opened.
    #[serde(default)]
    pub opened_at: Option<String>,
    /// Oldest first.
    #[serde(default)]
    pub messages: Vec<InvitationMessage>,
    /// Every token its messages gave out; the store indexes each one.
    #[serde(default)]
    pub tokens: Vec<IssuedToken>,
}

impl Invitation {
    /// Whether its last message waits to be sent or is being sent: the store lists such
    /// invitations for the senders (`pending_invitations`).
    pub fn pending(&self) -> bool {
        matches!(
            self.messages.last().map(|m| &m.state),
            Some(MessageState::Queued | MessageState::Sending { .. })
        )
    }
}

/// The wording of one campaign's messages (the first invitations, or one round of reminders).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Campaign {
    pub id: String,
    pub form: String,
    pub subject: String,
    pub message: String,
    pub created_at: String,
}

pub type InvitationIter = Box<dyn Iterator<Item = Result<Invitation, StoreError>> + Send>;

pub trait InvitationStore: Send + Sync + 'static {
    /// Makes this process, named `me` in its claims, known as a live sender to the others
    /// sharing the store, until it stops. A store one process opens needs nothing.
    fn announce_sender(&self, me: &str) -> Result<(), StoreError> {
        let _ = me;
        Ok(())
    }

    /// Whether the sender named `by` in a claim has stopped, so that its claim is of a send
    /// that was interrupted. In a store one process opens, any other process has.
    fn sender_gone(&self, by: &str) -> Result<bool, StoreError> {
        let _ = by;
        Ok(true)
    }

    fn invitation(&self, form: &str, contact: &str) -> Result<Option<Invitation>, StoreError>;

    /// A form's invitations in contact key order, read lazily.
    fn form_invitations(&self, form: &str) -> InvitationIter;

    /// Up to `limit` invitations whose last message waits or is being sent, of any form.
    fn pending_invitations(&self, limit: usize) -> Result<Vec<Invitation>, StoreError>;

    /// Stores each invitation no invitation of the same form and contact exists for, with
    /// its tokens indexed; says which were stored. Durable when it returns.
    fn add_invitations(&self, invitations: &[Invitation]) -> Result<Vec<bool>, StoreError>;

    /// Applies `change` to an invitation atomically: when it returns true the record is
    /// written (its new tokens indexed) and returned once on disk; when false nothing is
    /// written and `None` returned, as when there is no such invitation. `change` must depend
    /// only on the record it is given: a backend may run it again on a fresher one.
    fn update_invitation(
        &self,
        form: &str,
        contact: &str,
        change: &mut dyn FnMut(&mut Invitation) -> bool,
    ) -> Result<Option<Invitation>, StoreError>;

    /// Where a token (by its SHA-256) leads.
    fn token(&self, sha256: &str) -> Result<Option<TokenRef>, StoreError>;

    /// Stores a campaign's wording; durable when it returns.
    fn put_campaign(&self, campaign: &Campaign) -> Result<(), StoreError>;

    fn campaign(&self, id: &str) -> Result<Option<Campaign>, StoreError>;

    /// When the contact unsubscribed, if they did.
    fn unsubscribed(&self, contact: &str) -> Result<Option<String>, StoreError>;

    /// Records that the contact unsubscribed at `at` (the first time is kept); durable when it
    /// returns.
    fn unsubscribe(&self, contact: &str, at: &str) -> Result<(), StoreError>;

    /// Removes every invitation of a contact, of every form, with its tokens (an erasure of
    /// the contact); returns how many there were. The unsubscription stays: it is what keeps
    /// the address from being mailed should the contact be imported again.
    fn delete_contact_invitations(&self, contact: &str) -> Result<u64, StoreError>;
}
