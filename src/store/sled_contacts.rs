//! Contacts in sled. Trees and keys:
//! - `contacts`: contact key -> `Contact` as JSON
//! - `contact_stage`: contact key -> `StagedRow` as JSON, the rows of the import under way
//!   (scratch: one import at a time, cleared before and after each)
//! - `contact_meta`: `pii` -> the pii columns, a JSON list

use std::collections::BTreeSet;
use std::ops::Bound;

use sled::Transactional;
use sled::transaction::ConflictableTransactionError;

use super::StoreError;
use super::contacts::{Contact, ContactStore, ImportCounts, Merge, StagedRow};
use super::sled_store::{SledStore, backend, decode, encode, transaction_error};

pub(super) const PII: &[u8] = b"pii";

impl SledStore {
    fn pii_from(bytes: Option<sled::IVec>) -> Result<BTreeSet<String>, StoreError> {
        match bytes {
            Some(bytes) => decode(&bytes),
            None => Ok(BTreeSet::new()),
        }
    }

    /// One batch of staged rows merged into the contacts, with the pii columns, in one
    /// transaction.
    fn commit_batch(
        &self,
        rows: &[(String, StagedRow)],
        pii: &BTreeSet<String>,
        merge: Merge,
    ) -> Result<ImportCounts, StoreError> {
        (&self.contacts, &self.contact_meta)
            .transaction(|(contacts, meta)| {
                let fail = |e: StoreError| ConflictableTransactionError::Abort(e.to_string());
                let mut counts = ImportCounts::default();
                let mut columns = Self::pii_from(meta.get(PII)?).map_err(fail)?;
                columns.extend(pii.iter().cloned());
                meta.insert(PII, encode(&columns).map_err(fail)?)?;
                for (key, row) in rows {
                    let existing = match contacts.get(key.as_bytes())? {
                        Some(bytes) => Some(decode::<Contact>(&bytes).map_err(fail)?),
                        None => None,
                    };
                    match existing {
                        Some(_) => counts.updated += 1,
                        None => counts.created += 1,
                    }
                    let contact = merge(existing, key, row.clone());
                    contacts.insert(key.as_bytes(), encode(&contact).map_err(fail)?)?;
                }
                Ok(counts)
            })
            .map_err(transaction_error)
    }
}

impl ContactStore for SledStore {
    fn contact(&self, key: &str) -> Result<Option<Contact>, StoreError> {
        match self.contacts.get(key.as_bytes()).map_err(backend)? {
            Some(bytes) => decode(&bytes).map(Some),
            None => Ok(None),
        }
    }

    fn contacts_after(
        &self,
        after: Option<&str>,
        limit: usize,
    ) -> Result<Vec<Contact>, StoreError> {
        let start = match after {
            Some(key) => Bound::Excluded(key.as_bytes().to_vec()),
            None => Bound::Unbounded,
        };
        self.contacts
            .range::<Vec<u8>, _>((start, Bound::Unbounded))
            .take(limit)
            .map(|entry| {
                let (_, bytes) = entry.map_err(backend)?;
                decode(&bytes)
            })
            .collect()
    }

    fn pii_columns(&self) -> Result<BTreeSet<String>, StoreError> {
        Self::pii_from(self.contact_meta.get(PII).map_err(backend)?)
    }

    fn stage_contacts(
        &self,
        rows: &[(String, StagedRow)],
    ) -> Result<Option<(String, u64, u64)>, StoreError> {
        for (key, row) in rows {
            if let Some(first) = self
                .contact_stage
                .insert(key.as_bytes(), encode(row)?)
                .map_err(backend)?
            {
                let first: StagedRow = decode(&first)?;
                return Ok(Some((key.clone(), first.line, row.line)));
            }
        }
        Ok(None)
    }

    fn clear_stage(&self) -> Result<(), StoreError> {
        self.contact_stage.clear().map_err(backend)
    }

    fn commit_stage(
        &self,
        pii: &BTreeSet<String>,
        merge: Merge,
        batch: usize,
    ) -> Result<ImportCounts, StoreError> {
        let mut total = ImportCounts::default();
        let mut rows = Vec::with_capacity(batch);
        let mut entries = self.contact_stage.iter();
        loop {
            let next = entries.next();
            if let Some(entry) = &next {
                let (key, bytes) = entry.clone().map_err(backend)?;
                let key = String::from_utf8(key.to_vec())
                    .map_err(|e| StoreError::Corrupt(format!("a staged contact key: {e}")))?;
                rows.push((key, decode::<StagedRow>(&bytes)?));
            }
            if rows.len() == batch || (next.is_none() && !rows.is_empty()) {
                // Writers of responses take the same lock: a batch never lands inside a
                // backup's snapshot.
                let guard = self.lock()?;
                let counts = self.commit_batch(&rows, pii, merge)?;
                drop(guard);
                total.created += counts.created;
                total.updated += counts.updated;
                rows.clear();
            }
            if next.is_none() {
                break;
            }
        }
        // A file with no rows still marks its pii columns.
        if total == ImportCounts::default() && !pii.is_empty() {
            let guard = self.lock()?;
            self.commit_batch(&[], pii, merge)?;
            drop(guard);
        }
        self.contact_stage.clear().map_err(backend)?;
        self.flusher.wait_durable()?;
        Ok(total)
    }

    fn delete_contact(&self, key: &str) -> Result<bool, StoreError> {
        let guard = self.lock()?;
        let removed = self.contacts.remove(key.as_bytes()).map_err(backend)?;
        drop(guard);
        self.flusher.wait_durable()?;
        Ok(removed.is_some())
    }
}
