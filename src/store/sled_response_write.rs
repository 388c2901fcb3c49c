//! The one write that stores a response in sled: its quota places, the record, its index, the
//! revision's snapshot, its contributions to the aggregates, its webhook messages and, when it
//! finishes a partial response, the partial replaced by its completion mark, all in one
//! transaction.

use sled::Transactional;
use uuid::Uuid;

use super::partials::{Completion, PartialState};
use super::sled_aggregate_tx::AggregateTx;
use super::sled_quotas;
use super::sled_store::{SledStore, backend, decode, encode, form_key, transaction_error};
use super::sled_webhooks::enqueue;
use super::webhooks::WebhookMessage;
use super::{StoreError, StoredResponse};
use crate::form::Form;
use crate::tally::Contribution;

/// A form as it was when a response first answered this revision.
#[derive(serde::Serialize)]
struct NewRevision<'a> {
    first_response: Uuid,
    form: &'a Form,
}

impl SledStore {
    /// The one write that stores a response: the record, its index, the revision's snapshot,
    /// its contributions and its webhook messages, and, when it finishes a partial response
    /// (`finishing`: the hash of its token), the partial replaced by its completion mark, so
    /// that no crash can leave both or neither. Returns once it is on disk. A quota without a
    /// place left refuses it (`StoreError::QuotaFull`) and writes nothing of it, but erases
    /// the partial it would have finished: a respondent screened out leaves nothing behind.
    pub(super) fn write_response(
        &self,
        response: &StoredResponse,
        form: &Form,
        contributions: &[Contribution],
        webhooks: &[WebhookMessage],
        finishing: Option<&str>,
    ) -> Result<Completion, StoreError> {
        let record = encode(response)?;
        let id = response.id.as_bytes().to_vec();
        let index_key = form_key(&response.form, &id);
        let revision_key = form_key(&form.id, form.revision.as_bytes());
        // Revisions are never removed, so a revision seen once needs no snapshot again.
        let snapshot = match self
            .revisions
            .contains_key(&revision_key)
            .map_err(backend)?
        {
            true => None,
            false => Some(encode(&NewRevision {
                first_response: response.id,
                form,
            })?),
        };
        let mark = match finishing {
            Some(_) => Some(encode(&PartialState::Completed {
                form: response.form.clone(),
                response: response.id,
                saved_at: response.submitted_at.clone(),
            })?),
            None => None,
        };
        let guard = self.lock()?;
        let outcome = (
            &self.responses,
            &self.responses_by_form,
            &self.revisions,
            &self.aggregates,
            &self.aggregate_state,
            &self.theme_texts,
            &self.terms,
            &self.evidence,
            &self.webhook_queue,
            &self.webhook_sequences,
            &self.partials,
            &self.partials_by_form,
            &self.quota_counts,
        )
            .transaction(
                |(
                    responses,
                    by_form,
                    revisions,
                    aggregates,
                    states,
                    theme_texts,
                    terms,
                    evidence,
                    queue,
                    sequences,
                    partials,
                    partials_by_form,
                    quotas,
                )| {
                    let open = match finishing {
                        Some(token) => match partials.get(token.as_bytes())?.map(|b| decode(&b)) {
                            Some(Ok(PartialState::Completed { response, .. })) => {
                                return Ok(Ok(Completion::AlreadyStored(response)));
                            }
                            Some(Ok(PartialState::Open(partial))) => Some(partial),
                            // An unreadable partial is replaced like any other.
                            Some(Err(_)) | None => None,
                        },
                        None => None,
                    };
                    let full = sled_quotas::claim(quotas, &response.form, &response.quotas)?;
                    if let (Some(token), Some(mark)) = (finishing, &mark) {
                        if let Some(partial) = &open {
                            partials_by_form
                                .remove(form_key(&partial.form, partial.id.as_bytes()))?;
                        }
                        match &full {
                            Some(_) => partials.remove(token.as_bytes())?,
                            None => partials.insert(token.as_bytes(), mark.as_slice())?,
                        };
                    }
                    if let Some(quota) = full {
                        return Ok(Err(quota));
                    }
                    responses.insert(id.as_slice(), record.as_slice())?;
                    by_form.insert(index_key.as_slice(), &[] as &[u8])?;
                    if let Some(snapshot) = &snapshot
                        && revisions.get(revision_key.as_slice())?.is_none()
                    {
                        revisions.insert(revision_key.as_slice(), snapshot.as_slice())?;
                    }
                    let tx = AggregateTx {
                        aggregates,
                        states,
                        theme_texts,
                        terms,
                        evidence,
                    };
                    tx.apply(contributions, Some(response.id), 1)?;
                    enqueue(queue, sequences, webhooks)?;
                    Ok(Ok(Completion::Stored))
                },
            )
            .map_err(transaction_error)?;
        drop(guard);
        match outcome {
            Ok(Completion::Stored) => {
                self.flusher.wait_durable()?;
                Ok(Completion::Stored)
            }
            Ok(already) => Ok(already),
            Err(quota) => {
                // The erased partial must be gone before the screen-out page says so.
                if finishing.is_some() {
                    self.flusher.wait_durable()?;
                }
                Err(StoreError::QuotaFull(quota))
            }
        }
    }
}
