//! The `contact.ATTR` columns of the responses CSV: one per attribute that any contact linked
//! to the form's responses has (personal data only when asked for), filled from each row's
//! contact as last imported. Planned in a first pass over the responses, so the export keeps
//! its flat memory however many rows and contacts there are.

use std::collections::BTreeSet;
use std::sync::Arc;

use super::link::contact_key;
use crate::store::{ContactStore, ResponseIter, StoreError, StoredResponse};

const PREFIX: &str = "contact.";

pub struct ContactColumns {
    attributes: Vec<String>,
    store: Arc<dyn ContactStore>,
}

impl ContactColumns {
    /// The columns for the contacts linked to `responses`.
    pub fn plan(
        store: Arc<dyn ContactStore>,
        responses: ResponseIter,
        include_pii: bool,
    ) -> Result<ContactColumns, StoreError> {
        // Without a contact nothing links: the first pass, which reads every response, would
        // find no column (and took 40% of the CSV export of a store without contacts).
        if store.contacts_after(None, 1)?.is_empty() {
            return Ok(ContactColumns {
                attributes: Vec::new(),
                store,
            });
        }
        let pii = store.pii_columns()?;
        let mut attributes = BTreeSet::new();
        let mut last_key: Option<String> = None;
        for response in responses {
            let response = response?;
            let Some(key) = contact_key(&response) else {
                continue;
            };
            // A contact's answers often come together; one read serves the run.
            if last_key.as_deref() == Some(key) {
                continue;
            }
            if let Some(contact) = store.contact(key)? {
                attributes.extend(
                    contact
                        .attributes
                        .into_keys()
                        .filter(|a| include_pii || !pii.contains(a)),
                );
            }
            last_key = Some(key.to_string());
        }
        Ok(ContactColumns {
            attributes: attributes.into_iter().collect(),
            store,
        })
    }

    pub fn headers(&self) -> impl Iterator<Item = String> + '_ {
        self.attributes.iter().map(|a| format!("{PREFIX}{a}"))
    }

    /// The row's cells, empty for a response without a contact.
    pub fn cells(&self, response: &StoredResponse) -> Result<Vec<String>, StoreError> {
        let contact = match contact_key(response) {
            Some(key) => self.store.contact(key)?,
            None => None,
        };
        Ok(self
            .attributes
            .iter()
            .map(|a| {
                contact
                    .as_ref()
                    .and_then(|c| c.attributes.get(a).cloned())
                    .unwrap_or_default()
            })
            .collect())
    }
}
