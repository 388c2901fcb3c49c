//! `GuardedStore` speaks `PartialStore` like every other store interface (see `guarded`):
//! keeping a page adds data, so it meets the free-space floor; erasing does not.

use std::collections::BTreeMap;

use super::guarded::{GuardedStore, Held, Write};
use super::partials::{Completion, PartialIter, PartialResponse, PartialState, PartialStore};
use super::{StoreError, StoredResponse, WebhookMessage};
use crate::form::Form;
use crate::tally::Contribution;

impl PartialStore for GuardedStore {
    fn save_partial(
        &self,
        token_sha256: &str,
        partial: &PartialResponse,
    ) -> Result<bool, StoreError> {
        self.write(Write::Adds, |db| db.save_partial(token_sha256, partial))
    }

    fn partial(&self, token_sha256: &str) -> Result<Option<PartialState>, StoreError> {
        self.db()?.partial(token_sha256)
    }

    fn delete_partial(&self, token_sha256: &str) -> Result<(), StoreError> {
        self.write(Write::Erases, |db| db.delete_partial(token_sha256))
    }

    fn partials(&self, form_id: &str) -> PartialIter {
        match self.db() {
            Ok(db) => Box::new(Held {
                inner: db.partials(form_id),
                _db: db,
            }),
            Err(e) => Box::new(std::iter::once(Err(e))),
        }
    }

    fn complete_partial(
        &self,
        token_sha256: &str,
        response: &StoredResponse,
        form: &Form,
        contributions: &[Contribution],
        webhooks: &[WebhookMessage],
    ) -> Result<Completion, StoreError> {
        self.write(Write::Adds, |db| {
            db.complete_partial(token_sha256, response, form, contributions, webhooks)
        })
    }

    fn erase_stale_partials(
        &self,
        stale: &dyn Fn(&str, &str) -> bool,
    ) -> Result<BTreeMap<String, u64>, StoreError> {
        self.write(Write::Erases, |db| db.erase_stale_partials(stale))
    }
}
