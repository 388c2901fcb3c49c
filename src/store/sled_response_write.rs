//! The one write that stores a response in sled: its quota places, the record, its index, the
//! revision's snapshot, its contributions to the aggregates, its webhook messages and, when it
//! finishes a partial response, the partial replaced by its completion mark, all in one
//! transaction.
//!
//! Concurrent submissions share that transaction (flat combining): each writer queues its
//! prepared write, and whichever holds the writers' lock next commits every queued write in
//! one sled transaction. sled serialises transactions behind one global lock and pays its
//! bookkeeping per transaction, so under load one transaction of many writes is far cheaper
//! than many of one; alone, a writer commits its own write as before.

use std::sync::mpsc::{Receiver, SyncSender, sync_channel};

use sled::Transactional;
use uuid::Uuid;

use super::partials::{Completion, PartialState};
use super::sled_aggregate_tx::AggregateTx;
use super::sled_combine::tell;
use super::sled_quotas;
use super::sled_store::{SledStore, backend, decode, encode, form_key, transaction_error};
use super::sled_webhooks::enqueue;
use super::webhooks::WebhookMessage;
use super::{QuotaPlace, StoreError, StoredResponse};
use crate::form::Form;
use crate::tally::Contribution;

/// A form as it was when a response first answered this revision.
#[derive(serde::Serialize)]
struct NewRevision<'a> {
    first_response: Uuid,
    form: &'a Form,
}

/// What one write tells its writer: stored, already stored, or refused by a full quota.
type Outcome = Result<Result<Completion, String>, StoreError>;

/// One response's write, encoded and keyed outside the lock, waiting to be committed.
pub(super) struct QueuedWrite {
    id: Uuid,
    form: String,
    quotas: Vec<QuotaPlace>,
    record: Vec<u8>,
    index_key: Vec<u8>,
    revision_key: Vec<u8>,
    snapshot: Option<Vec<u8>>,
    /// The hash of the partial's token this write finishes, and its completion mark.
    finishing: Option<(String, Vec<u8>)>,
    contributions: Vec<Contribution>,
    webhooks: Vec<WebhookMessage>,
    done: SyncSender<Outcome>,
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
        let (write, done) = self.prepare(response, form, contributions, webhooks, finishing)?;
        let outcome =
            self.queued_writes
                .run(write, done, || self.lock(), |writes| self.commit(writes))?;
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

    fn prepare(
        &self,
        response: &StoredResponse,
        form: &Form,
        contributions: &[Contribution],
        webhooks: &[WebhookMessage],
        finishing: Option<&str>,
    ) -> Result<(QueuedWrite, Receiver<Outcome>), StoreError> {
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
        let finishing = match finishing {
            Some(token) => Some((
                token.to_string(),
                encode(&PartialState::Completed {
                    form: response.form.clone(),
                    response: response.id,
                    saved_at: response.submitted_at.clone(),
                })?,
            )),
            None => None,
        };
        let (done, outcome) = sync_channel(1);
        let write = QueuedWrite {
            id: response.id,
            form: response.form.clone(),
            quotas: response.quotas.clone(),
            record: encode(response)?,
            index_key: form_key(&response.form, response.id.as_bytes()),
            revision_key,
            snapshot,
            finishing,
            contributions: contributions.to_vec(),
            webhooks: webhooks.to_vec(),
            done,
        };
        Ok((write, outcome))
    }

    /// Commits the writes in one transaction, under the writers' lock, and tells each writer
    /// its outcome. Within the transaction each write reads what the ones before it wrote, so
    /// quotas, revisions and partials come out as if they had been committed one by one.
    fn commit(&self, writes: &[QueuedWrite]) {
        let committed = (
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
                    let tx = AggregateTx {
                        aggregates,
                        states,
                        theme_texts,
                        terms,
                        evidence,
                    };
                    let mut outcomes = Vec::with_capacity(writes.len());
                    for write in writes {
                        let open = match &write.finishing {
                            Some((token, _)) => {
                                match partials.get(token.as_bytes())?.map(|b| decode(&b)) {
                                    Some(Ok(PartialState::Completed { response, .. })) => {
                                        outcomes.push(Ok(Completion::AlreadyStored(response)));
                                        continue;
                                    }
                                    Some(Ok(PartialState::Open(partial))) => Some(partial),
                                    // An unreadable partial is replaced like any other.
                                    Some(Err(_)) | None => None,
                                }
                            }
                            None => None,
                        };
                        let full = sled_quotas::claim(quotas, &write.form, &write.quotas)?;
                        if let Some((token, mark)) = &write.finishing {
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
                            outcomes.push(Err(quota));
                            continue;
                        }
                        responses.insert(write.id.as_bytes(), write.record.as_slice())?;
                        by_form.insert(write.index_key.as_slice(), &[] as &[u8])?;
                        if let Some(snapshot) = &write.snapshot
                            && revisions.get(write.revision_key.as_slice())?.is_none()
                        {
                            revisions.insert(write.revision_key.as_slice(), snapshot.as_slice())?;
                        }
                        tx.apply(&write.contributions, Some(write.id), 1)?;
                        enqueue(queue, sequences, &write.webhooks)?;
                        outcomes.push(Ok(Completion::Stored));
                    }
                    Ok(outcomes)
                },
            )
            .map_err(transaction_error);
        tell(writes, |write| &write.done, committed);
    }
}

#[cfg(test)]
#[path = "sled_response_write_tests.rs"]
mod tests;
