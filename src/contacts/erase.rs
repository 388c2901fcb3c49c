//! Erasing a contact: its outside texts first, then its linked responses, each through the respondent's own erasure
//! (`responses::erase`), so aggregates, themes, cards and webhooks follow as if they had never
//! come; then the contact itself. Run again after a crash, it finishes what was left.

use uuid::Uuid;

use super::link::contact_key;
use crate::form::Catalog;
use crate::report::Reports;
use crate::responses::{self, EraseError};
use crate::store::{ContactStore, Store, StoreError};

#[derive(Debug, thiserror::Error)]
pub enum EraseContactError {
    #[error("no contact with key '{0}'")]
    NotFound(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Erases the contact `key` with every response linked to it; returns how many responses
/// went with it.
pub fn erase_contact(
    contacts: &dyn ContactStore,
    store: &dyn Store,
    catalog: &Catalog,
    reports: &Reports,
    key: &str,
) -> Result<u64, EraseContactError> {
    let known = contacts.contact(key)?.is_some();
    let linked = linked_responses(store, catalog, key)?;
    // Their texts go first, so that erasing the responses moves none of them.
    let texts = match reports.contacts().texts() {
        Some(texts) => crate::texts::erase_contact_texts(texts.as_ref(), reports, key)?,
        None => 0,
    };
    if !known && linked.is_empty() && texts == 0 {
        return Err(EraseContactError::NotFound(key.to_string()));
    }
    let mut erased = 0;
    for id in linked {
        match responses::erase(store, catalog, reports, &id.to_string(), None) {
            Ok(()) => erased += 1,
            // Erased meanwhile by its respondent or by retention: gone all the same.
            Err(EraseError::NotFound) => {}
            Err(EraseError::Store(e)) => return Err(e.into()),
            Err(EraseError::WrongReceipt) => {
                return Err(
                    StoreError::Backend("an erasure without receipt asked for one".into()).into(),
                );
            }
        }
    }
    // Interviews are the interviewer's notes and stay; their link now names nobody, so the
    // contact segments they counted in are rebuilt without them, as after an import.
    if interviewed(store, reports, key)? {
        let _changing = super::link::begin_change(store, reports)?;
        contacts.delete_contact(key)?;
        super::link::end_change(store, reports)?;
    } else {
        contacts.delete_contact(key)?;
    }
    Ok(erased)
}

/// Whether an interview that a report by contact attribute reads is linked to `key`.
fn interviewed(store: &dyn Store, reports: &Reports, key: &str) -> Result<bool, StoreError> {
    let guides: std::collections::BTreeSet<&String> = reports
        .iter()
        .filter(|report| super::segment_attribute(&report.segment_by).is_some())
        .flat_map(|report| report.interviews.iter())
        .collect();
    for guide in guides {
        for interview in store.interviews(Some(guide)) {
            if interview?.contact.as_deref() == Some(key) {
                return Ok(true);
            }
        }
    }
    Ok(false)
}

/// The ids of every survey response linked to `key`, over every form on disk. Read through
/// once per erasure, which is rare, rather than kept as an index every response must write.
fn linked_responses(
    store: &dyn Store,
    catalog: &Catalog,
    key: &str,
) -> Result<Vec<Uuid>, StoreError> {
    let mut ids = Vec::new();
    for form in catalog.iter().filter(|f| f.is_survey()) {
        for response in store.responses(&form.id) {
            let response = response?;
            if contact_key(&response) == Some(key) {
                ids.push(response.id);
            }
        }
    }
    Ok(ids)
}
