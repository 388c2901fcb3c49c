//! Responses in sled. Trees and keys:
//! - `responses`: response uuid (16 bytes, v7 so big-endian time order) -> JSON record
//! - `responses_by_form`: form id, 0xFF, response uuid -> empty (a form's responses in time
//!   order; one empty-valued key per stored response, so a key scan counts them)
//! - `revisions`: form id, 0xFF, revision -> the form as it was answered, with its first response
//! - `quota_counts`: places taken in each quota (see `sled_quotas`)
//!
//! The write that stores a response is in `sled_response_write`.

use std::collections::BTreeMap;

use sled::Transactional;
use sled::transaction::ConflictableTransactionError;
use uuid::Uuid;

use super::sled_aggregate_tx::AggregateTx;
use super::sled_quotas;
use super::sled_store::{SledStore, backend, decode, form_key, form_prefix, transaction_error};
use super::sled_webhooks::enqueue;
use super::{
    ContributionsOf, ResponseIter, ResponseStore, StoreError, StoredResponse, WebhookMessage,
};
use crate::form::Form;
use crate::tally::Contribution;

/// A form as it was when a response first answered this revision.
#[derive(serde::Serialize, serde::Deserialize)]
pub(super) struct RevisionRecord {
    first_response: Uuid,
    form: Form,
}

impl ResponseStore for SledStore {
    fn insert_response(
        &self,
        response: &StoredResponse,
        form: &Form,
        contributions: &[Contribution],
        webhooks: &[WebhookMessage],
    ) -> Result<(), StoreError> {
        self.write_response(response, form, contributions, webhooks, None)
            .map(|_| ())
    }

    fn quota_counts(&self, form_id: &str) -> Result<BTreeMap<String, u64>, StoreError> {
        sled_quotas::counts(&self.quota_counts, form_id)
    }

    fn response(&self, id: Uuid) -> Result<Option<StoredResponse>, StoreError> {
        match self.responses.get(id.as_bytes()).map_err(backend)? {
            Some(bytes) => decode(&bytes).map(Some),
            None => Ok(None),
        }
    }

    fn delete_response(
        &self,
        id: Uuid,
        contributions_of: ContributionsOf,
        webhooks: &[WebhookMessage],
    ) -> Result<Option<StoredResponse>, StoreError> {
        let guard = self.lock()?;
        let removed = (
            &self.responses,
            &self.responses_by_form,
            &self.aggregates,
            &self.aggregate_state,
            &self.theme_texts,
            &self.terms,
            &self.evidence,
            &self.webhook_queue,
            &self.webhook_sequences,
            &self.quota_counts,
        )
            .transaction(
                |(
                    responses,
                    by_form,
                    aggregates,
                    states,
                    theme_texts,
                    terms,
                    evidence,
                    queue,
                    sequences,
                    quotas,
                )| {
                    let Some(bytes) = responses.get(id.as_bytes())? else {
                        return Ok(None);
                    };
                    let existing: StoredResponse = serde_json::from_slice(&bytes)
                        .map_err(|e| ConflictableTransactionError::Abort(e.to_string()))?;
                    responses.remove(id.as_bytes().as_slice())?;
                    by_form.remove(form_key(&existing.form, id.as_bytes()))?;
                    let tx = AggregateTx {
                        aggregates,
                        states,
                        theme_texts,
                        terms,
                        evidence,
                    };
                    tx.apply(&contributions_of(&existing), Some(id), -1)?;
                    sled_quotas::release(quotas, &existing.form, &existing.quotas)?;
                    enqueue(queue, sequences, webhooks)?;
                    Ok(Some(existing))
                },
            )
            .map_err(transaction_error)?;
        drop(guard);
        if removed.is_some() {
            self.flusher.wait_durable()?;
        }
        Ok(removed)
    }

    fn responses(&self, form_id: &str) -> ResponseIter {
        let prefix_len = form_prefix(form_id).len();
        let responses = self.responses.clone();
        let keys = self.responses_by_form.scan_prefix(form_prefix(form_id));
        Box::new(keys.filter_map(move |entry| {
            let (key, _) = match entry {
                Ok(kv) => kv,
                Err(e) => return Some(Err(backend(e))),
            };
            // An index entry whose record was erased in the meantime is skipped.
            match responses.get(&key[prefix_len..]) {
                Ok(Some(bytes)) => Some(decode(&bytes)),
                Ok(None) => None,
                Err(e) => Some(Err(backend(e))),
            }
        }))
    }

    fn count_responses(&self, form_id: &str) -> Result<u64, StoreError> {
        let mut count = 0;
        // Keys only: no record is fetched or decoded. Erasure removes the record and its
        // index key in one transaction, so the index never counts an erased response.
        for entry in self.responses_by_form.scan_prefix(form_prefix(form_id)) {
            entry.map_err(backend)?;
            count += 1;
        }
        Ok(count)
    }

    fn revisions(&self, form_id: &str) -> Result<Vec<Form>, StoreError> {
        let mut records: Vec<RevisionRecord> = Vec::new();
        for entry in self.revisions.scan_prefix(form_prefix(form_id)) {
            let (_, bytes) = entry.map_err(backend)?;
            records.push(decode(&bytes)?);
        }
        // Keys sort by revision hash; order by first response so export columns stay stable.
        records.sort_by_key(|r| r.first_response);
        Ok(records.into_iter().map(|r| r.form).collect())
    }
}
