//! Outside texts in sled. Trees and keys:
//! - `outside_texts`: report id, 0xFF, source, 0xFF, text id -> `StoredText` as JSON
//! - `texts_by_contact`: contact key, 0xFF, report id, 0xFF, source, 0xFF, text id -> empty
//!   (a contact's texts, for its erasure and for following its latest response)
//!
//! Writes take the writers' lock and change the texts and the aggregates in one transaction
//! (`sled_aggregate_tx`), as response writes do, so a rebuild step never sees half of one.

use sled::Transactional;
use sled::transaction::TransactionalTree;

use super::StoreError;
use super::sled_aggregate_tx::{AggregateTx, TxResult, abort, key};
use super::sled_store::{SledStore, backend, decode, transaction_error};
use super::texts::{StoredText, TextContributions, TextCounts, TextIter, TextKey, TextStore};

fn text_key(k: &TextKey) -> Vec<u8> {
    key(&[k.report.as_bytes(), k.source.as_bytes(), k.id.as_bytes()])
}

fn contact_key(customer_id: &str, k: &TextKey) -> Vec<u8> {
    key(&[
        customer_id.as_bytes(),
        k.report.as_bytes(),
        k.source.as_bytes(),
        k.id.as_bytes(),
    ])
}

/// The trees a text write changes, inside one transaction.
struct TextTx<'a> {
    texts: &'a TransactionalTree,
    by_contact: &'a TransactionalTree,
    aggregates: AggregateTx<'a>,
}

impl TextTx<'_> {
    /// Takes a stored text out (its record, its index entry and its contributions); returns
    /// whether there was one.
    fn remove(&self, k: &TextKey, contributions: TextContributions) -> TxResult<bool> {
        let Some(bytes) = self.texts.remove(text_key(k))? else {
            return Ok(false);
        };
        let old: StoredText = serde_json::from_slice(&bytes).map_err(|e| abort(e.to_string()))?;
        if let Some(customer) = &old.customer_id {
            self.by_contact.remove(contact_key(customer, k))?;
        }
        self.aggregates.apply(&contributions(&old), None, -1)?;
        Ok(true)
    }

    fn insert(&self, text: &StoredText, contributions: TextContributions) -> TxResult<()> {
        let k = text.key();
        let bytes = serde_json::to_vec(text).map_err(|e| abort(e.to_string()))?;
        self.texts.insert(text_key(&k), bytes)?;
        if let Some(customer) = &text.customer_id {
            self.by_contact
                .insert(contact_key(customer, &k), &[] as &[u8])?;
        }
        self.aggregates.apply(&contributions(text), None, 1)
    }
}

impl SledStore {
    /// Runs `change` on the texts and aggregate trees in one transaction, under the writers'
    /// lock, and waits until it is on disk.
    fn text_transaction<T>(
        &self,
        change: impl Fn(&TextTx) -> TxResult<T>,
    ) -> Result<T, StoreError> {
        let guard = self.lock()?;
        let done = (
            &self.outside_texts,
            &self.texts_by_contact,
            &self.aggregates,
            &self.aggregate_state,
            &self.theme_texts,
            &self.terms,
            &self.evidence,
        )
            .transaction(
                |(texts, by_contact, aggregates, states, theme_texts, terms, evidence)| {
                    change(&TextTx {
                        texts,
                        by_contact,
                        aggregates: AggregateTx {
                            aggregates,
                            states,
                            theme_texts,
                            terms,
                            evidence,
                        },
                    })
                },
            )
            .map_err(transaction_error)?;
        drop(guard);
        self.flusher.wait_durable()?;
        Ok(done)
    }
}

impl TextStore for SledStore {
    fn text(&self, k: &TextKey) -> Result<Option<StoredText>, StoreError> {
        match self.outside_texts.get(text_key(k)).map_err(backend)? {
            Some(bytes) => decode(&bytes).map(Some),
            None => Ok(None),
        }
    }

    fn report_texts(&self, report: &str) -> TextIter {
        let mut prefix = report.as_bytes().to_vec();
        prefix.push(0xFF);
        Box::new(
            self.outside_texts
                .scan_prefix(prefix)
                .map(|entry| entry.map_err(backend).and_then(|(_, bytes)| decode(&bytes))),
        )
    }

    fn contact_texts(&self, customer_id: &str) -> Result<Vec<StoredText>, StoreError> {
        let mut prefix = customer_id.as_bytes().to_vec();
        prefix.push(0xFF);
        let mut texts = Vec::new();
        for entry in self.texts_by_contact.scan_prefix(&prefix).keys() {
            let index = entry.map_err(backend)?;
            let address = index
                .get(prefix.len()..)
                .ok_or_else(|| StoreError::Corrupt("a contact's text index entry".into()))?;
            // The text itself may have gone since (an erasure under way): skipped.
            if let Some(bytes) = self.outside_texts.get(address).map_err(backend)? {
                texts.push(decode(&bytes)?);
            }
        }
        Ok(texts)
    }

    fn put_texts(
        &self,
        texts: &[StoredText],
        contributions: TextContributions,
    ) -> Result<TextCounts, StoreError> {
        self.text_transaction(|tx| {
            let mut counts = TextCounts::default();
            for text in texts {
                match tx.remove(&text.key(), contributions)? {
                    true => counts.updated += 1,
                    false => counts.created += 1,
                }
                tx.insert(text, contributions)?;
            }
            Ok(counts)
        })
    }

    fn delete_texts(
        &self,
        keys: &[TextKey],
        contributions: TextContributions,
    ) -> Result<u64, StoreError> {
        self.text_transaction(|tx| {
            let mut removed = 0;
            for k in keys {
                if tx.remove(k, contributions)? {
                    removed += 1;
                }
            }
            Ok(removed)
        })
    }
}
