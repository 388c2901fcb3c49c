//! Sending what is queued: each message claimed in the store, then sent, then marked sent or
//! failed; and the background sender that carries on a campaign a stopped process left.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;

use super::campaign::address;
use super::{Invitations, now_text};
use crate::auth::{random_token, sha256_hex};
use crate::i18n::Locale;
use crate::mail::InvitationMail;
use crate::store::{
    Campaign, Invitation, IssuedToken, MessageState, StoreError, TokenPurpose, blocking,
};

/// Invitations read per look at the queue.
const BATCH: usize = 64;
/// How often the background sender looks for queued messages.
pub const LOOK_EVERY: Duration = Duration::from_secs(2);

/// Why a message was not sent, in the words the status list shows.
const INTERRUPTED: &str = "the send was interrupted (the server stopped); not sent again, since it may have left: send a reminder";

impl Invitations {
    /// The language of the fixed lines of a form's messages: its default.
    pub(super) fn locale(&self, form: &str) -> Locale {
        self.catalog
            .get(form)
            .and_then(|f| Locale::parse(f.default_language()))
            .unwrap_or_else(Locale::english)
    }

    /// Sends every queued message this process can take, one after the other, and marks
    /// failed those a stopped process left claimed. Returns when none is left to take.
    pub async fn send_queued(&self) -> Result<(), StoreError> {
        // One sender at a time per process; a second caller waits and then finds the queue
        // empty, rather than racing the first for each claim.
        let _turn = self.sending.lock().await;
        let (store, me) = (self.store.clone(), self.process.clone());
        blocking(move || store.announce_sender(&me)).await?;
        let mut campaigns: HashMap<String, Campaign> = HashMap::new();
        loop {
            let store = self.store.clone();
            let batch = blocking(move || store.pending_invitations(BATCH)).await?;
            let mut progressed = false;
            for invitation in batch {
                let Some(last) = invitation.messages.last() else {
                    continue;
                };
                match &last.state {
                    MessageState::Queued => {
                        self.send_one(&invitation, &mut campaigns).await?;
                        progressed = true;
                    }
                    MessageState::Sending { by, .. }
                        if *by != self.process && self.gone(by).await? =>
                    {
                        self.settle(&invitation, by, Err(INTERRUPTED.into()))
                            .await?;
                        progressed = true;
                    }
                    _ => {}
                }
            }
            if !progressed {
                return Ok(());
            }
        }
    }

    /// Runs `send_queued` every `LOOK_EVERY` until the process stops: after a restart it
    /// carries on the campaigns that were under way.
    pub fn spawn_sender(self: &Arc<Self>) -> tokio::task::JoinHandle<()> {
        let me = Arc::downgrade(self);
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(LOOK_EVERY);
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                tick.tick().await;
                let Some(me) = me.upgrade() else { return };
                if let Err(e) = me.send_queued().await {
                    tracing::error!("sending queued invitations failed: {e}");
                }
            }
        })
    }

    async fn gone(&self, sender: &str) -> Result<bool, StoreError> {
        let (store, sender) = (self.store.clone(), sender.to_string());
        blocking(move || store.sender_gone(&sender)).await
    }

    async fn campaign(
        &self,
        id: &str,
        cache: &mut HashMap<String, Campaign>,
    ) -> Result<Option<Campaign>, StoreError> {
        if let Some(campaign) = cache.get(id) {
            return Ok(Some(campaign.clone()));
        }
        let (store, key) = (self.store.clone(), id.to_string());
        let found = blocking(move || store.campaign(&key)).await?;
        if let Some(campaign) = &found {
            cache.insert(id.to_string(), campaign.clone());
        }
        Ok(found)
    }

    /// Claims the invitation's queued message, sends it and records how it went.
    async fn send_one(
        &self,
        invitation: &Invitation,
        campaigns: &mut HashMap<String, Campaign>,
    ) -> Result<(), StoreError> {
        let Some(queued) = invitation.messages.last() else {
            return Ok(());
        };
        let campaign = self.campaign(&queued.campaign, campaigns).await?;
        let (store, key) = (self.store.clone(), invitation.contact.clone());
        let (contact, unsubscribed) =
            blocking(move || Ok((store.contact(&key)?, store.unsubscribed(&key)?))).await?;
        // Read before the claim: what changed since the message was queued stops it unsent.
        let to = contact.as_ref().and_then(address).map(str::to_string);
        let refusal = match (&campaign, &to, unsubscribed) {
            (None, _, _) => Some("the campaign's wording is missing"),
            (_, None, _) => Some("the contact has no usable email address"),
            (_, _, Some(_)) => Some("the contact unsubscribed"),
            _ => None,
        };
        let (survey, unsubscribe) = (random_token(), random_token());
        let claimed = self.claim(invitation, refusal.is_none(), &survey, &unsubscribe);
        if !claimed.await? {
            return Ok(());
        }
        let (Some(campaign), Some(to), None) = (campaign, to, refusal) else {
            let why = refusal.unwrap_or_default().to_string();
            return self.settle(invitation, &self.process, Err(why)).await;
        };
        let public = self.mail.public_url();
        let survey_url = format!("{public}/s/{}?t={survey}", invitation.form);
        let unsubscribe_url = format!("{public}/u/{unsubscribe}");
        let locale = self.locale(&invitation.form);
        let text = format!(
            "{}\n\n{}\n{survey_url}\n\n{}\n{unsubscribe_url}\n",
            campaign.message,
            locale.t("invitation-mail-link"),
            locale.t("invitation-mail-unsubscribe"),
        );
        let tag = &sha256_hex(&invitation.contact)[..12];
        let mail = InvitationMail {
            to: &to,
            subject: &campaign.subject,
            text,
            unsubscribe_url: &unsubscribe_url,
            tag,
        };
        let outcome = self.mail.send_invitation(mail).await.map(|_| ());
        if let Err(e) = &outcome {
            tracing::warn!(form = %invitation.form, "an invitation could not be sent: {e}");
        }
        let outcome = outcome.map_err(|e| e.to_string());
        self.settle(invitation, &self.process, outcome).await
    }

    /// Marks the invitation's queued message as being sent by this process, with the new
    /// link's tokens (only their SHA-256) when it will be sent; false when another sender
    /// claimed it first.
    async fn claim(
        &self,
        invitation: &Invitation,
        with_tokens: bool,
        survey: &str,
        unsubscribe: &str,
    ) -> Result<bool, StoreError> {
        let (store, form, contact) = (
            self.store.clone(),
            invitation.form.clone(),
            invitation.contact.clone(),
        );
        let by = self.process.clone();
        let at = now_text(Utc::now());
        let tokens = with_tokens.then(|| {
            [
                (survey, TokenPurpose::Survey),
                (unsubscribe, TokenPurpose::Unsubscribe),
            ]
            .map(|(token, purpose)| IssuedToken {
                sha256: sha256_hex(token),
                purpose,
            })
        });
        blocking(move || {
            let claimed = store.update_invitation(&form, &contact, &mut |i| {
                let Some(last) = i.messages.last_mut() else {
                    return false;
                };
                if last.state != MessageState::Queued {
                    return false;
                }
                last.state = MessageState::Sending {
                    by: by.clone(),
                    at: at.clone(),
                };
                i.tokens.extend(tokens.iter().flatten().cloned());
                true
            })?;
            Ok(claimed.is_some())
        })
        .await
    }

    /// Records how the message `by` claimed went: sent, or failed with why.
    async fn settle(
        &self,
        invitation: &Invitation,
        by: &str,
        outcome: Result<(), String>,
    ) -> Result<(), StoreError> {
        let (store, form, contact) = (
            self.store.clone(),
            invitation.form.clone(),
            invitation.contact.clone(),
        );
        let (by, at) = (by.to_string(), now_text(Utc::now()));
        blocking(move || {
            store.update_invitation(&form, &contact, &mut |i| {
                let Some(last) = i.messages.last_mut() else {
                    return false;
                };
                if !matches!(&last.state, MessageState::Sending { by: holder, .. } if *holder == by)
                {
                    return false;
                }
                last.state = match &outcome {
                    Ok(()) => MessageState::Sent { at: at.clone() },
                    Err(error) => MessageState::Failed {
                        at: at.clone(),
                        error: error.clone(),
                    },
                };
                true
            })?;
            Ok(())
        })
        .await
    }
}
