//! `GuardedStore` speaks `TextStore` like every other store interface (see `guarded`):
//! upserting texts adds data, so it meets the free-space floor; removing them does not.

use super::StoreError;
use super::guarded::{GuardedStore, Held, Write};
use super::texts::{StoredText, TextContributions, TextCounts, TextIter, TextKey, TextStore};

impl TextStore for GuardedStore {
    fn text(&self, key: &TextKey) -> Result<Option<StoredText>, StoreError> {
        self.db()?.text(key)
    }

    fn report_texts(&self, report: &str) -> TextIter {
        match self.db() {
            Ok(db) => Box::new(Held {
                inner: db.report_texts(report),
                _db: db,
            }),
            Err(e) => Box::new(std::iter::once(Err(e))),
        }
    }

    fn contact_texts(&self, customer_id: &str) -> Result<Vec<StoredText>, StoreError> {
        self.db()?.contact_texts(customer_id)
    }

    fn put_texts(
        &self,
        texts: &[StoredText],
        contributions: TextContributions,
    ) -> Result<TextCounts, StoreError> {
        self.write(Write::Adds, |db| db.put_texts(texts, contributions))
    }

    fn delete_texts(
        &self,
        keys: &[TextKey],
        contributions: TextContributions,
    ) -> Result<u64, StoreError> {
        self.write(Write::Erases, |db| db.delete_texts(keys, contributions))
    }
}
