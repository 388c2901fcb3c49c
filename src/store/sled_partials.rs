//! Partial responses in sled. Trees and keys:
//! - `partials`: SHA-256 (hex) of the resume token -> `PartialState` as JSON
//! - `partials_by_form`: form id, 0xFF, partial uuid (v7) -> the token's hash (open ones only)
//!
//! A page kept is one small insert in one transaction and one shared flush (the flusher's
//! group commit): every page a respondent sends costs a durable write, so it must stay cheap.

use std::collections::BTreeMap;
use std::sync::mpsc::{SyncSender, sync_channel};

use sled::Transactional;
use sled::transaction::ConflictableTransactionError;

use super::partials::{Completion, PartialIter, PartialResponse, PartialState, PartialStore};
use super::sled_combine::tell;
use super::sled_store::{
    SledStore, backend, decode, encode, form_key, form_prefix, transaction_error,
};
use super::{StoreError, StoredResponse, WebhookMessage};
use crate::form::Form;
use crate::tally::Contribution;

/// One page of a partial response, encoded outside the lock, waiting to be committed
/// (`sled_combine`); told back whether it was kept.
pub(super) struct QueuedPage {
    token: String,
    form: String,
    record: Vec<u8>,
    index_key: Vec<u8>,
    done: SyncSender<Result<bool, StoreError>>,
}

impl SledStore {
    /// Keeps the pages in one transaction. A token already completed keeps nothing: its
    /// answers were submitted.
    fn commit_pages(&self, pages: &[QueuedPage]) {
        let kept = (&self.partials, &self.partials_by_form)
            .transaction(|(partials, by_form)| {
                let mut kept = Vec::with_capacity(pages.len());
                for page in pages {
                    match partials.get(page.token.as_bytes())?.map(|b| decode(&b)) {
                        Some(Ok(PartialState::Completed { .. })) => {
                            kept.push(false);
                            continue;
                        }
                        // The same token always names the same partial, but a form renamed
                        // under it would leave its old index entry behind.
                        Some(Ok(PartialState::Open(old))) if old.form != page.form => {
                            by_form.remove(form_key(&old.form, old.id.as_bytes()))?;
                        }
                        _ => {}
                    }
                    partials.insert(page.token.as_bytes(), page.record.as_slice())?;
                    by_form.insert(page.index_key.as_slice(), page.token.as_bytes())?;
                    kept.push(true);
                }
                Ok::<_, ConflictableTransactionError<String>>(kept)
            })
            .map_err(transaction_error);
        tell(pages, |page| &page.done, kept);
    }
}

impl PartialStore for SledStore {
    fn save_partial(
        &self,
        token_sha256: &str,
        partial: &PartialResponse,
    ) -> Result<bool, StoreError> {
        let (done, outcome) = sync_channel(1);
        let page = QueuedPage {
            token: token_sha256.to_string(),
            form: partial.form.clone(),
            record: encode(&PartialState::Open(partial.clone()))?,
            index_key: form_key(&partial.form, partial.id.as_bytes()),
            done,
        };
        let saved = self.queued_pages.run(
            page,
            outcome,
            || self.lock(),
            |pages| self.commit_pages(pages),
        )?;
        if saved {
            self.flusher.wait_durable()?;
        }
        Ok(saved)
    }

    fn partial(&self, token_sha256: &str) -> Result<Option<PartialState>, StoreError> {
        match self
            .partials
            .get(token_sha256.as_bytes())
            .map_err(backend)?
        {
            Some(bytes) => decode(&bytes).map(Some),
            None => Ok(None),
        }
    }

    fn delete_partial(&self, token_sha256: &str) -> Result<(), StoreError> {
        let guard = self.lock()?;
        let removed = (&self.partials, &self.partials_by_form)
            .transaction(|(partials, by_form)| {
                let Some(bytes) = partials.get(token_sha256.as_bytes())? else {
                    return Ok(false);
                };
                let state: PartialState = serde_json::from_slice(&bytes)
                    .map_err(|e| ConflictableTransactionError::Abort(e.to_string()))?;
                let PartialState::Open(partial) = state else {
                    return Ok(false);
                };
                partials.remove(token_sha256.as_bytes())?;
                by_form.remove(form_key(&partial.form, partial.id.as_bytes()))?;
                Ok(true)
            })
            .map_err(transaction_error)?;
        drop(guard);
        if removed {
            self.flusher.wait_durable()?;
        }
        Ok(())
    }

    fn partials(&self, form_id: &str) -> PartialIter {
        let partials = self.partials.clone();
        let keys = self.partials_by_form.scan_prefix(form_prefix(form_id));
        Box::new(keys.filter_map(move |entry| {
            let token = match entry {
                Ok((_, token)) => token,
                Err(e) => return Some(Err(backend(e))),
            };
            // Completed or erased meanwhile: no longer a partial.
            match partials.get(&token) {
                Ok(Some(bytes)) => match decode(&bytes) {
                    Ok(PartialState::Open(partial)) => Some(Ok(partial)),
                    Ok(PartialState::Completed { .. }) => None,
                    Err(e) => Some(Err(e)),
                },
                Ok(None) => None,
                Err(e) => Some(Err(backend(e))),
            }
        }))
    }

    fn complete_partial(
        &self,
        token_sha256: &str,
        response: &StoredResponse,
        form: &Form,
        contributions: &[Contribution],
        webhooks: &[WebhookMessage],
    ) -> Result<Completion, StoreError> {
        self.write_response(response, form, contributions, webhooks, Some(token_sha256))
    }

    fn erase_stale_partials(
        &self,
        stale: &dyn Fn(&str, &str) -> bool,
    ) -> Result<BTreeMap<String, u64>, StoreError> {
        let mut erased = BTreeMap::new();
        for entry in self.partials.iter() {
            let (token, bytes) = entry.map_err(backend)?;
            let state: PartialState = match decode(&bytes) {
                Ok(state) => state,
                Err(e) => {
                    tracing::error!("an unreadable partial response is left as it is: {e}");
                    continue;
                }
            };
            if !stale(state.form(), state.saved_at()) {
                continue;
            }
            let guard = self.lock()?;
            // Erased only if untouched since it was read: a page kept meanwhile wins.
            let removed = (&self.partials, &self.partials_by_form)
                .transaction(|(partials, by_form)| {
                    if partials.get(&token)?.as_deref() != Some(bytes.as_ref()) {
                        return Ok(false);
                    }
                    partials.remove(&token)?;
                    if let PartialState::Open(partial) = &state {
                        by_form.remove(form_key(&partial.form, partial.id.as_bytes()))?;
                    }
                    Ok::<_, ConflictableTransactionError<String>>(true)
                })
                .map_err(transaction_error)?;
            drop(guard);
            if removed {
                *erased.entry(state.form().to_string()).or_insert(0) += 1;
            }
        }
        if !erased.is_empty() {
            self.flusher.wait_durable()?;
        }
        Ok(erased)
    }
}

#[cfg(test)]
#[path = "sled_partials_tests.rs"]
pub(super) mod tests;
