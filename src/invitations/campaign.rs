//! Starting a campaign: which contacts it invites (or reminds), queued in the store before
//! anything is sent, then sent.

use std::collections::BTreeMap;
use std::time::Duration;

use chrono::Utc;
use lettre::message::Mailbox;

use super::{EMAIL_ATTRIBUTE, InvitationError, Invitations, completion, now_text};
use crate::store::{
    Backend, Campaign, Contact, Invitation, InvitationMessage, MessageState, StoreError, blocking,
};

/// Contacts read (and invitations queued) per store call.
const PAGE: usize = 500;
/// The longest subject and message a campaign takes.
const MAX_SUBJECT: usize = 200;
const MAX_MESSAGE: usize = 10_000;

/// Which contacts a campaign invites.
#[derive(Debug, Clone, PartialEq)]
pub enum Selection {
    All,
    Keys(Vec<String>),
    /// Those whose attributes have each of these values.
    Where(BTreeMap<String, String>),
}

/// Contacts a campaign left out, by reason.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Skipped {
    /// No `email` attribute, or one no message can be addressed to.
    pub no_email: u64,
    pub unsubscribed: u64,
    /// Invitations: invited to this survey before (they get reminders, not a second
    /// invitation).
    pub already_invited: u64,
    /// Reminders: answered already.
    pub completed: u64,
    /// Reminders: messaged more recently than `older_than`, or a message still waiting.
    pub recent: u64,
}

/// How a campaign went once every message of it was sent or failed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Started {
    pub campaign: String,
    pub sent: u64,
    pub failed: u64,
    pub skipped: Skipped,
}

fn checked_text(what: &str, text: &str, max: usize) -> Result<String, InvitationError> {
    let text = text.trim();
    if text.is_empty() {
        return Err(InvitationError::Invalid(format!("\"{what}\" is empty")));
    }
    if text.chars().count() > max {
        return Err(InvitationError::Invalid(format!(
            "\"{what}\" is longer than {max} characters"
        )));
    }
    Ok(text.to_string())
}

/// The address a contact's invitation goes to, if they have one that works.
pub(super) fn address(contact: &Contact) -> Option<&str> {
    contact
        .attributes
        .get(EMAIL_ATTRIBUTE)
        .map(|a| a.trim())
        .filter(|a| a.parse::<Mailbox>().is_ok())
}

fn queued(campaign: &str, reminder: bool, at: &str) -> InvitationMessage {
    InvitationMessage {
        campaign: campaign.to_string(),
        reminder,
        queued_at: at.to_string(),
        state: MessageState::Queued,
    }
}

impl Invitations {
    fn survey(&self, form: &str) -> Result<(), InvitationError> {
        match self.catalog.get(form) {
            Some(f) if f.is_survey() => Ok(()),
            _ => Err(InvitationError::UnknownForm(form.to_string())),
        }
    }

    /// Invites the selected contacts to `form`: each gets one message, once. Returns once
    /// every message of the campaign was sent or failed.
    pub async fn invite(
        &self,
        form: &str,
        selection: Selection,
        subject: &str,
        message: &str,
    ) -> Result<Started, InvitationError> {
        self.survey(form)?;
        let now = now_text(Utc::now());
        let campaign = Campaign {
            id: uuid::Uuid::now_v7().to_string(),
            form: form.to_string(),
            subject: checked_text("subject", subject, MAX_SUBJECT)?,
            message: checked_text("message", message, MAX_MESSAGE)?,
            created_at: now.clone(),
        };
        let (store, queue) = (self.store.clone(), campaign.clone());
        let skipped = tokio::task::spawn_blocking(move || {
            queue_invitations(store.as_ref(), &queue, &selection, &now)
        })
        .await
        .map_err(|e| StoreError::Backend(format!("a store task failed: {e}")))??;
        self.finish(campaign, skipped).await
    }

    /// Reminds those invited to `form` who have not answered, are subscribed, and had no
    /// message within `older_than`. The reminder says `subject` and `message`, or else
    /// repeats the invitation's words.
    pub async fn remind(
        &self,
        form: &str,
        older_than: Duration,
        subject: Option<&str>,
        message: Option<&str>,
    ) -> Result<Started, InvitationError> {
        self.survey(form)?;
        let subject = subject
            .map(|s| checked_text("subject", s, MAX_SUBJECT))
            .transpose()?;
        let message = message
            .map(|m| checked_text("message", m, MAX_MESSAGE))
            .transpose()?;
        let now = Utc::now();
        let cutoff = now - chrono::Duration::from_std(older_than).unwrap_or(chrono::TimeDelta::MAX);
        let (store, form_id, at) = (self.store.clone(), form.to_string(), now_text(now));
        let reminder_prefix = self.locale(form).t("invitation-reminder-subject-prefix");
        let outcome = blocking(move || {
            let counts = store.quota_counts(&form_id)?;
            let mut skipped = Skipped::default();
            let mut due = Vec::new();
            for invitation in store.form_invitations(&form_id) {
                let invitation = invitation?;
                let place = completion(&invitation.contact).name;
                if counts.get(&place).copied().unwrap_or(0) > 0 {
                    skipped.completed += 1;
                } else if store.unsubscribed(&invitation.contact)?.is_some() {
                    skipped.unsubscribed += 1;
                } else if invitation.pending() || last_message_after(&invitation, cutoff) {
                    skipped.recent += 1;
                } else {
                    due.push(invitation);
                }
            }
            let Some(first) = due.first() else {
                return Ok(Err(skipped));
            };
            // The invitation's own words, unless the reminder brings its own.
            let original = first
                .messages
                .first()
                .map(|m| store.campaign(&m.campaign))
                .transpose()?
                .flatten();
            let campaign = Campaign {
                id: uuid::Uuid::now_v7().to_string(),
                form: form_id.clone(),
                subject: subject.unwrap_or_else(|| {
                    let original = original.as_ref().map(|c| c.subject.as_str());
                    format!("{reminder_prefix} {}", original.unwrap_or_default())
                }),
                message: message
                    .or_else(|| original.map(|c| c.message))
                    .unwrap_or_default(),
                created_at: at.clone(),
            };
            store.put_campaign(&campaign)?;
            for invitation in &due {
                store.update_invitation(&form_id, &invitation.contact, &mut |i| {
                    if i.pending() {
                        return false;
                    }
                    i.messages.push(queued(&campaign.id, true, &at));
                    true
                })?;
            }
            Ok(Ok((campaign, skipped)))
        })
        .await?;
        match outcome {
            Ok((campaign, skipped)) => self.finish(campaign, skipped).await,
            // Nobody due: no campaign.
            Err(skipped) => Ok(Started {
                skipped,
                ..Started::default()
            }),
        }
    }

    /// Sends what is queued, then counts how this campaign's messages went.
    async fn finish(
        &self,
        campaign: Campaign,
        skipped: Skipped,
    ) -> Result<Started, InvitationError> {
        self.send_queued().await?;
        let store = self.store.clone();
        let id = campaign.id.clone();
        let (sent, failed) = blocking(move || {
            let (mut sent, mut failed) = (0, 0);
            for invitation in store.form_invitations(&campaign.form) {
                for message in invitation?.messages.iter().filter(|m| m.campaign == id) {
                    match message.state {
                        MessageState::Sent { .. } => sent += 1,
                        MessageState::Failed { .. } => failed += 1,
                        _ => {}
                    }
                }
            }
            Ok((sent, failed))
        })
        .await?;
        Ok(Started {
            campaign: campaign.id,
            sent,
            failed,
            skipped,
        })
    }
}

/// Whether the invitation's last message left (or failed) after `cutoff`.
fn last_message_after(invitation: &Invitation, cutoff: chrono::DateTime<Utc>) -> bool {
    let at = match invitation.messages.last().map(|m| &m.state) {
        Some(MessageState::Sent { at } | MessageState::Failed { at, .. }) => at,
        Some(MessageState::Sending { at, .. }) => at,
        Some(MessageState::Queued) | None => return true,
    };
    chrono::DateTime::parse_from_rfc3339(at).map_or(true, |at| at.with_timezone(&Utc) > cutoff)
}

/// Checks the selection, stores the campaign and queues an invitation for each selected
/// contact who can get one; what was left out, by reason.
fn queue_invitations(
    store: &dyn Backend,
    campaign: &Campaign,
    selection: &Selection,
    at: &str,
) -> Result<Skipped, InvitationError> {
    if let Selection::Keys(keys) = selection {
        let mut unknown = Vec::new();
        for key in keys {
            if store.contact(key)?.is_none() {
                unknown.push(key.clone());
            }
        }
        if !unknown.is_empty() {
            return Err(InvitationError::UnknownContacts(unknown));
        }
    }
    store.put_campaign(campaign)?;
    let mut skipped = Skipped::default();
    let mut queue = |contacts: Vec<Contact>| -> Result<(), StoreError> {
        let mut batch = Vec::new();
        for contact in contacts {
            if let Selection::Where(wanted) = selection
                && !wanted
                    .iter()
                    .all(|(k, v)| contact.attributes.get(k) == Some(v))
            {
                continue;
            }
            if address(&contact).is_none() {
                skipped.no_email += 1;
            } else if store.unsubscribed(&contact.key)?.is_some() {
                skipped.unsubscribed += 1;
            } else {
                batch.push(Invitation {
                    form: campaign.form.clone(),
                    contact: contact.key,
                    invited_at: at.to_string(),
                    opened_at: None,
                    messages: vec![queued(&campaign.id, false, at)],
                    tokens: Vec::new(),
                });
            }
        }
        let added = store.add_invitations(&batch)?;
        skipped.already_invited += added.iter().filter(|added| !**added).count() as u64;
        Ok(())
    };
    match selection {
        Selection::Keys(keys) => {
            for chunk in keys.chunks(PAGE) {
                let mut contacts = Vec::with_capacity(chunk.len());
                let mut seen = std::collections::BTreeSet::new();
                for key in chunk {
                    if seen.insert(key)
                        && let Some(contact) = store.contact(key)?
                    {
                        contacts.push(contact);
                    }
                }
                queue(contacts)?;
            }
        }
        Selection::All | Selection::Where(_) => {
            let mut after: Option<String> = None;
            loop {
                let page = store.contacts_after(after.as_deref(), PAGE)?;
                let Some(last) = page.last() else { break };
                after = Some(last.key.clone());
                queue(page)?;
            }
        }
    }
    Ok(skipped)
}
