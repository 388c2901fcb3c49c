//! The webhook outbox in sled. Trees and keys (endpoint ids are hex, so the 0xFF separator
//! never occurs in them; seqs are big-endian, so every scan comes out in queue order):
//! - `webhook_queue`: endpoint id, 0xFF, seq (8 bytes) -> `QueuedWebhook` as JSON
//! - `webhook_sequences`: endpoint id -> the last seq given (8 bytes); a counter rather than
//!   the queue's last key, since a queue that empties must not hand out a seq again
//! - `webhook_log`: endpoint id, 0xFF, seq -> `FinishedWebhook`, the last few per endpoint
//! - `webhook_failures`: the same, for given-up messages only, kept apart so that a run of
//!   successes does not push the failures a researcher needs to see out of the log
//!
//! Messages join a queue through `enqueue`, called inside the transaction of the change they
//! report (`insert_response`, `delete_response`, an interview write).

use sled::Transactional;
use sled::transaction::{
    ConflictableTransactionError, ConflictableTransactionResult, TransactionalTree,
};

use super::StoreError;
use super::sled_store::{
    SledStore, backend, decode, encode, form_key, form_prefix, transaction_error,
};
use super::webhooks::{FinishedWebhook, QueuedWebhook, WebhookMessage, WebhookStore};

pub(super) fn numbered_key(endpoint: &str, seq: u64) -> Vec<u8> {
    form_key(endpoint, &seq.to_be_bytes())
}

/// Queues `messages` at the end of their endpoints' queues, inside the caller's transaction.
pub(super) fn enqueue(
    queue: &TransactionalTree,
    sequences: &TransactionalTree,
    messages: &[WebhookMessage],
) -> ConflictableTransactionResult<(), String> {
    let abort = |reason: String| ConflictableTransactionError::Abort(reason);
    for message in messages {
        let counter_key = message.endpoint.as_bytes();
        let seq = match sequences.get(counter_key)? {
            None => 1,
            Some(bytes) => {
                let last: [u8; 8] = bytes.as_ref().try_into().map_err(|_| {
                    abort(format!(
                        "the webhook sequence of endpoint {} is not a number",
                        message.endpoint
                    ))
                })?;
                u64::from_be_bytes(last).saturating_add(1)
            }
        };
        sequences.insert(counter_key, &seq.to_be_bytes())?;
        let record = QueuedWebhook {
            seq,
            message: message.clone(),
            attempts: 0,
            first_attempt_at: None,
            last_attempt_at: None,
            last_outcome: None,
            next_attempt_at: None,
        };
        let bytes = serde_json::to_vec(&record).map_err(|e| abort(e.to_string()))?;
        queue.insert(numbered_key(&message.endpoint, seq), bytes)?;
    }
    Ok(())
}

/// Removes the oldest entries of an endpoint beyond the newest `keep`.
fn trim(tree: &sled::Tree, endpoint: &str, keep: usize) -> Result<(), StoreError> {
    let keys = tree
        .scan_prefix(form_prefix(endpoint))
        .keys()
        .collect::<Result<Vec<_>, _>>()
        .map_err(backend)?;
    let surplus = keys.len().saturating_sub(keep);
    for key in &keys[..surplus] {
        tree.remove(key).map_err(backend)?;
    }
    Ok(())
}

fn newest(
    tree: &sled::Tree,
    endpoint: &str,
    limit: usize,
) -> Result<Vec<FinishedWebhook>, StoreError> {
    tree.scan_prefix(form_prefix(endpoint))
        .values()
        .rev()
        .take(limit)
        .map(|bytes| decode(&bytes.map_err(backend)?))
        .collect()
}

impl WebhookStore for SledStore {
    fn webhook_head(&self, endpoint: &str) -> Result<Option<QueuedWebhook>, StoreError> {
        match self.webhook_queue.scan_prefix(form_prefix(endpoint)).next() {
            None => Ok(None),
            Some(entry) => decode(&entry.map_err(backend)?.1).map(Some),
        }
    }

    fn webhook_queue_len(&self, endpoint: &str) -> Result<u64, StoreError> {
        let mut count = 0;
        for key in self.webhook_queue.scan_prefix(form_prefix(endpoint)).keys() {
            key.map_err(backend)?;
            count += 1;
        }
        Ok(count)
    }

    fn update_webhook(&self, queued: &QueuedWebhook) -> Result<(), StoreError> {
        let key = numbered_key(&queued.message.endpoint, queued.seq);
        let bytes = encode(queued)?;
        let guard = self.lock()?;
        self.webhook_queue
            .transaction(|queue| {
                if queue.get(key.as_slice())?.is_some() {
                    queue.insert(key.as_slice(), bytes.as_slice())?;
                }
                Ok::<_, ConflictableTransactionError<String>>(())
            })
            .map_err(transaction_error)?;
        drop(guard);
        self.flusher.wait_durable()
    }

    fn finish_webhook(
        &self,
        endpoint: &str,
        finished: &FinishedWebhook,
        keep: usize,
    ) -> Result<(), StoreError> {
        let key = numbered_key(endpoint, finished.seq);
        let bytes = encode(finished)?;
        let guard = self.lock()?;
        (
            &self.webhook_queue,
            &self.webhook_log,
            &self.webhook_failures,
        )
            .transaction(|(queue, log, failures)| {
                queue.remove(key.as_slice())?;
                log.insert(key.as_slice(), bytes.as_slice())?;
                if !finished.delivered {
                    failures.insert(key.as_slice(), bytes.as_slice())?;
                }
                Ok::<_, ConflictableTransactionError<String>>(())
            })
            .map_err(transaction_error)?;
        trim(&self.webhook_log, endpoint, keep)?;
        trim(&self.webhook_failures, endpoint, keep)?;
        drop(guard);
        self.flusher.wait_durable()
    }

    fn finished_webhooks(
        &self,
        endpoint: &str,
        limit: usize,
    ) -> Result<Vec<FinishedWebhook>, StoreError> {
        newest(&self.webhook_log, endpoint, limit)
    }

    fn failed_webhooks(
        &self,
        endpoint: &str,
        limit: usize,
    ) -> Result<Vec<FinishedWebhook>, StoreError> {
        newest(&self.webhook_failures, endpoint, limit)
    }
}

#[cfg(test)]
mod tests {
    use crate::store::ResponseStore;
    use std::collections::BTreeMap;
    use std::path::Path;

    use chrono::Utc;
    use uuid::Uuid;

    use super::*;
    use crate::form::load_dir;
    use crate::store::{AttemptOutcome, StoredResponse};

    fn message(endpoint: &str, id: &str) -> WebhookMessage {
        WebhookMessage {
            endpoint: endpoint.into(),
            id: id.into(),
            event: "response.created".into(),
            body: format!("{{\"id\":\"{id}\"}}"),
            created_at: Utc::now(),
        }
    }

    fn response() -> StoredResponse {
        StoredResponse {
            id: Uuid::now_v7(),
            form: "all-types".into(),
            form_revision: "r".into(),
            submitted_at: Utc::now().to_rfc3339(),
            hidden: BTreeMap::new(),
            answers: BTreeMap::new(),
            receipt_sha256: String::new(),
            consent: None,
            quotas: Vec::new(),
            order: Default::default(),
            language: None,
            contact: None,
        }
    }

    fn finished(queued: &QueuedWebhook, delivered: bool) -> FinishedWebhook {
        FinishedWebhook {
            seq: queued.seq,
            id: queued.message.id.clone(),
            event: queued.message.event.clone(),
            created_at: queued.message.created_at,
            attempts: 1,
            first_attempt_at: None,
            last_attempt_at: None,
            outcome: Some(AttemptOutcome::Status(if delivered { 200 } else { 500 })),
            delivered,
        }
    }

    #[test]
    fn messages_queue_with_their_change_in_order_and_leave_it_once_finished() {
        let dir = tempfile::tempdir().unwrap();
        let store = SledStore::open(dir.path()).unwrap();
        let forms = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/forms");
        let form = load_dir(&forms).unwrap().get("all-types").unwrap();
        let first = response();
        store
            .insert_response(
                &first,
                &form,
                &[],
                &[message("aa", "m1"), message("bb", "x")],
            )
            .unwrap();
        store
            .insert_response(&response(), &form, &[], &[message("aa", "m2")])
            .unwrap();
        // An erasure of nothing queues nothing.
        let none = |_: &StoredResponse| Vec::new();
        let gone = store
            .delete_response(Uuid::now_v7(), &none, &[message("aa", "never")])
            .unwrap();
        assert!(gone.is_none());
        store
            .delete_response(first.id, &none, &[message("aa", "m3")])
            .unwrap();
        assert_eq!(store.webhook_queue_len("aa").unwrap(), 3);
        assert_eq!(store.webhook_queue_len("bb").unwrap(), 1);

        let mut seen = Vec::new();
        while let Some(mut head) = store.webhook_head("aa").unwrap() {
            head.attempts = 1;
            store.update_webhook(&head).unwrap();
            assert_eq!(store.webhook_head("aa").unwrap().unwrap().attempts, 1);
            let delivered = head.message.id != "m2";
            store
                .finish_webhook("aa", &finished(&head, delivered), 2)
                .unwrap();
            seen.push((head.seq, head.message.id));
        }
        let ids: Vec<(u64, &str)> = seen.iter().map(|(s, id)| (*s, id.as_str())).collect();
        assert_eq!(ids, [(1, "m1"), (2, "m2"), (3, "m3")]);
        let log: Vec<String> = store
            .finished_webhooks("aa", 10)
            .unwrap()
            .into_iter()
            .map(|f| f.id)
            .collect();
        assert_eq!(log, ["m3", "m2"], "newest first, the oldest trimmed");
        let failed = store.failed_webhooks("aa", 10).unwrap();
        assert_eq!(failed.len(), 1);
        assert_eq!(failed[0].id, "m2");

        // An emptied queue goes on counting, so no seq names two messages.
        store
            .insert_response(&response(), &form, &[], &[message("aa", "m4")])
            .unwrap();
        assert_eq!(store.webhook_head("aa").unwrap().unwrap().seq, 4);
    }
}
