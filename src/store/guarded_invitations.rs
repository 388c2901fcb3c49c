//! `GuardedStore` speaks `InvitationStore` like every other store interface (see `guarded`):
//! queuing and sending add data, so they meet the free-space floor; an erasure does not.

use super::StoreError;
use super::guarded::{GuardedStore, Held, Write};
use super::invitations::{Campaign, Invitation, InvitationIter, InvitationStore, TokenRef};

impl InvitationStore for GuardedStore {
    fn announce_sender(&self, me: &str) -> Result<(), StoreError> {
        self.db()?.announce_sender(me)
    }

    fn sender_gone(&self, by: &str) -> Result<bool, StoreError> {
        self.db()?.sender_gone(by)
    }

    fn invitation(&self, form: &str, contact: &str) -> Result<Option<Invitation>, StoreError> {
        self.db()?.invitation(form, contact)
    }

    fn form_invitations(&self, form: &str) -> InvitationIter {
        match self.db() {
            Ok(db) => Box::new(Held {
                inner: db.form_invitations(form),
                _db: db,
            }),
            Err(e) => Box::new(std::iter::once(Err(e))),
        }
    }

    fn pending_invitations(&self, limit: usize) -> Result<Vec<Invitation>, StoreError> {
        self.db()?.pending_invitations(limit)
    }

    fn add_invitations(&self, invitations: &[Invitation]) -> Result<Vec<bool>, StoreError> {
        self.write(Write::Adds, |db| db.add_invitations(invitations))
    }

    fn update_invitation(
        &self,
        form: &str,
        contact: &str,
        change: &mut dyn FnMut(&mut Invitation) -> bool,
    ) -> Result<Option<Invitation>, StoreError> {
        self.write(Write::Adds, |db| {
            db.update_invitation(form, contact, change)
        })
    }

    fn token(&self, sha256: &str) -> Result<Option<TokenRef>, StoreError> {
        self.db()?.token(sha256)
    }

    fn put_campaign(&self, campaign: &Campaign) -> Result<(), StoreError> {
        self.write(Write::Adds, |db| db.put_campaign(campaign))
    }

    fn campaign(&self, id: &str) -> Result<Option<Campaign>, StoreError> {
        self.db()?.campaign(id)
    }

    fn unsubscribed(&self, contact: &str) -> Result<Option<String>, StoreError> {
        self.db()?.unsubscribed(contact)
    }

    fn unsubscribe(&self, contact: &str, at: &str) -> Result<(), StoreError> {
        // An unsubscription is honoured even on a nearly full disk: it is a few bytes.
        self.write(Write::Erases, |db| db.unsubscribe(contact, at))
    }

    fn delete_contact_invitations(&self, contact: &str) -> Result<u64, StoreError> {
        self.write(Write::Erases, |db| db.delete_contact_invitations(contact))
    }
}
