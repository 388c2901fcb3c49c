//! Invitations in sled. Trees and keys:
//! - `invitations`: form id, 0xFF, contact key -> `Invitation` as JSON
//! - `invitations_pending`: the same key -> empty, while the invitation's last message waits
//!   or is being sent
//! - `invitation_tokens`: token SHA-256 -> `TokenRef` as JSON
//! - `campaigns`: campaign id -> `Campaign` as JSON
//! - `unsubscribed`: contact key -> when, RFC 3339
//!
//! A change to an invitation writes its record, its pending mark and its new tokens in one
//! transaction.

use std::cell::RefCell;

use sled::Transactional;
use sled::transaction::{ConflictableTransactionError, TransactionalTree};

use super::StoreError;
use super::invitations::{Campaign, Invitation, InvitationIter, InvitationStore, TokenRef};
use super::sled_store::{SledStore, backend, decode, encode, form_key, form_prefix};

type TxResult<T> = Result<T, ConflictableTransactionError<StoreError>>;

fn abort(e: StoreError) -> ConflictableTransactionError<StoreError> {
    ConflictableTransactionError::Abort(e)
}

fn tx_error(e: sled::transaction::TransactionError<StoreError>) -> StoreError {
    match e {
        sled::transaction::TransactionError::Storage(e) => backend(e),
        sled::transaction::TransactionError::Abort(e) => e,
    }
}

/// The trees one invitation write changes.
struct Trees<'a> {
    invitations: &'a TransactionalTree,
    pending: &'a TransactionalTree,
    tokens: &'a TransactionalTree,
}

impl Trees<'_> {
    fn read(&self, key: &[u8]) -> TxResult<Option<Invitation>> {
        match self.invitations.get(key)? {
            Some(bytes) => decode(&bytes).map(Some).map_err(abort),
            None => Ok(None),
        }
    }

    /// Writes `invitation` over `old` (if any): the record, its pending mark, and the tokens
    /// `old` did not have.
    fn write(&self, key: &[u8], old: Option<&Invitation>, invitation: &Invitation) -> TxResult<()> {
        self.invitations
            .insert(key, encode(invitation).map_err(abort)?)?;
        match invitation.pending() {
            true => self.pending.insert(key, &[] as &[u8])?,
            false => self.pending.remove(key)?,
        };
        for token in &invitation.tokens {
            if old.is_some_and(|old| old.tokens.contains(token)) {
                continue;
            }
            let target = TokenRef {
                form: invitation.form.clone(),
                contact: invitation.contact.clone(),
                purpose: token.purpose,
            };
            self.tokens
                .insert(token.sha256.as_bytes(), encode(&target).map_err(abort)?)?;
        }
        Ok(())
    }
}

impl SledStore {
    fn invitation_tx<T>(&self, change: impl Fn(&Trees) -> TxResult<T>) -> Result<T, StoreError> {
        let done = (
            &self.invitations,
            &self.invitations_pending,
            &self.invitation_tokens,
        )
            .transaction(|(invitations, pending, tokens)| {
                change(&Trees {
                    invitations,
                    pending,
                    tokens,
                })
            })
            .map_err(tx_error)?;
        self.flusher.wait_durable()?;
        Ok(done)
    }
}

impl InvitationStore for SledStore {
    fn invitation(&self, form: &str, contact: &str) -> Result<Option<Invitation>, StoreError> {
        match self
            .invitations
            .get(form_key(form, contact.as_bytes()))
            .map_err(backend)?
        {
            Some(bytes) => decode(&bytes).map(Some),
            None => Ok(None),
        }
    }

    fn form_invitations(&self, form: &str) -> InvitationIter {
        Box::new(
            self.invitations
                .scan_prefix(form_prefix(form))
                .values()
                .map(|entry| entry.map_err(backend).and_then(|bytes| decode(&bytes))),
        )
    }

    fn pending_invitations(&self, limit: usize) -> Result<Vec<Invitation>, StoreError> {
        let mut found = Vec::new();
        for key in self.invitations_pending.iter().keys().take(limit) {
            let key = key.map_err(backend)?;
            // Its mark may outlive it for a moment (an erasure under way): skipped.
            if let Some(bytes) = self.invitations.get(&key).map_err(backend)? {
                found.push(decode(&bytes)?);
            }
        }
        Ok(found)
    }

    fn add_invitations(&self, invitations: &[Invitation]) -> Result<Vec<bool>, StoreError> {
        self.invitation_tx(|trees| {
            let mut added = Vec::with_capacity(invitations.len());
            for invitation in invitations {
                let key = form_key(&invitation.form, invitation.contact.as_bytes());
                let fresh = trees.invitations.get(&key)?.is_none();
                if fresh {
                    trees.write(&key, None, invitation)?;
                }
                added.push(fresh);
            }
            Ok(added)
        })
    }

    fn update_invitation(
        &self,
        form: &str,
        contact: &str,
        change: &mut dyn FnMut(&mut Invitation) -> bool,
    ) -> Result<Option<Invitation>, StoreError> {
        let key = form_key(form, contact.as_bytes());
        // sled runs the closure again on a conflict; `change` is told so by its contract.
        let change = RefCell::new(change);
        self.invitation_tx(|trees| {
            let Some(old) = trees.read(&key)? else {
                return Ok(None);
            };
            let mut invitation = old.clone();
            if !(change.borrow_mut())(&mut invitation) {
                return Ok(None);
            }
            trees.write(&key, Some(&old), &invitation)?;
            Ok(Some(invitation))
        })
    }

    fn token(&self, sha256: &str) -> Result<Option<TokenRef>, StoreError> {
        match self
            .invitation_tokens
            .get(sha256.as_bytes())
            .map_err(backend)?
        {
            Some(bytes) => decode(&bytes).map(Some),
            None => Ok(None),
        }
    }

    fn put_campaign(&self, campaign: &Campaign) -> Result<(), StoreError> {
        self.campaigns
            .insert(campaign.id.as_bytes(), encode(campaign)?)
            .map_err(backend)?;
        self.flusher.wait_durable()
    }

    fn campaign(&self, id: &str) -> Result<Option<Campaign>, StoreError> {
        match self.campaigns.get(id.as_bytes()).map_err(backend)? {
            Some(bytes) => decode(&bytes).map(Some),
            None => Ok(None),
        }
    }

    fn unsubscribed(&self, contact: &str) -> Result<Option<String>, StoreError> {
        Ok(self
            .unsubscribed
            .get(contact.as_bytes())
            .map_err(backend)?
            .map(|at| String::from_utf8_lossy(&at).into_owned()))
    }

    fn unsubscribe(&self, contact: &str, at: &str) -> Result<(), StoreError> {
        let first = self
            .unsubscribed
            .compare_and_swap(
                contact.as_bytes(),
                None as Option<&[u8]>,
                Some(at.as_bytes()),
            )
            .map_err(backend)?;
        // Already there: the first time stands, and there is nothing new to flush.
        if first.is_ok() {
            self.flusher.wait_durable()?;
        }
        Ok(())
    }

    fn delete_contact_invitations(&self, contact: &str) -> Result<u64, StoreError> {
        // Invitations are keyed by form first; an erasure is rare enough to read them all.
        let mut keys = Vec::new();
        for entry in self.invitations.iter() {
            let (key, bytes) = entry.map_err(backend)?;
            let invitation: Invitation = decode(&bytes)?;
            if invitation.contact == contact {
                keys.push((key, invitation));
            }
        }
        let count = keys.len() as u64;
        self.invitation_tx(|trees| {
            for (key, invitation) in &keys {
                trees.invitations.remove(key)?;
                trees.pending.remove(key)?;
                for token in &invitation.tokens {
                    trees.tokens.remove(token.sha256.as_bytes())?;
                }
            }
            Ok(())
        })?;
        Ok(count)
    }
}
