//! `GuardedStore` speaks `ContactStore` like every other store interface (see `guarded`):
//! staging and committing an import add data, so they meet the free-space floor; clearing the
//! stage and erasing a contact do not.

use std::collections::BTreeSet;

use super::StoreError;
use super::contacts::{Contact, ContactStore, ImportCounts, Merge, StagedRow};
use super::guarded::{GuardedStore, Write};

impl ContactStore for GuardedStore {
    fn contact(&self, key: &str) -> Result<Option<Contact>, StoreError> {
        self.db()?.contact(key)
    }

    fn contacts_after(
        &self,
        after: Option<&str>,
        limit: usize,
    ) -> Result<Vec<Contact>, StoreError> {
        self.db()?.contacts_after(after, limit)
    }

    fn pii_columns(&self) -> Result<BTreeSet<String>, StoreError> {
        self.db()?.pii_columns()
    }

    fn stage_contacts(
        &self,
        rows: &[(String, StagedRow)],
    ) -> Result<Option<(String, u64, u64)>, StoreError> {
        self.write(Write::Adds, |db| db.stage_contacts(rows))
    }

    fn clear_stage(&self) -> Result<(), StoreError> {
        self.write(Write::Erases, |db| db.clear_stage())
    }

    fn commit_stage(
        &self,
        pii: &BTreeSet<String>,
        merge: Merge,
        batch: usize,
    ) -> Result<ImportCounts, StoreError> {
        self.write(Write::Adds, |db| db.commit_stage(pii, merge, batch))
    }

    fn delete_contact(&self, key: &str) -> Result<bool, StoreError> {
        self.write(Write::Erases, |db| db.delete_contact(key))
    }
}
