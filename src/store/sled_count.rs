//! Counting a form's responses in sled without reading them: the `responses_by_form` index
//! has one empty-valued key per stored response, so a key scan is enough. The XLSX export
//! uses it to refuse a form that would not fit in one sheet before writing anything.

use super::StoreError;
use super::sled_store::{SledStore, backend, form_prefix};

impl SledStore {
    pub(super) fn count_form_responses(&self, form_id: &str) -> Result<u64, StoreError> {
        let mut count = 0;
        // Keys only: no record is fetched or decoded. Erasure removes the record and its
        // index key in one transaction, so the index never counts an erased response.
        for entry in self.responses_by_form.scan_prefix(form_prefix(form_id)) {
            entry.map_err(backend)?;
            count += 1;
        }
        Ok(count)
    }
}
