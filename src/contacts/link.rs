//! How a response finds its contact, and the segment a contact attribute puts it in.
//!
//! A report with `segment_by = "contact.ATTR"` segments by the contacts as last imported, so a
//! response's segment can change without the response changing: every import therefore marks
//! those reports' aggregates for a rebuild, first before anything of it is written (so no
//! erasure meanwhile takes a response out of a segment it was never counted in) and again
//! once it is committed (so the rebuild reads the contacts as they now are).

use std::sync::Arc;

use crate::analysis::aggregate::NO_ANSWER;
use crate::report::{ReportDef, Reports};
use crate::store::{ContactStore, Store, StoreError, StoredResponse};

/// The hidden field that names a response's contact.
pub const LINK_FIELD: &str = "customer_id";

const PREFIX: &str = "contact.";

/// What the aggregates are marked as while contacts change: a definition no report has,
/// so that the next `begin_rebuild` with the report's own key starts a rebuild.
const CHANGING: &str = "contacts changing";

/// The contact attribute a `segment_by` names, for `contact.ATTR`.
pub fn segment_attribute(segment_by: &str) -> Option<&str> {
    segment_by
        .strip_prefix(PREFIX)
        .filter(|attribute| !attribute.is_empty())
}

/// The key of the contact a response is linked to: its `customer_id` hidden field.
pub fn contact_key(response: &StoredResponse) -> Option<&str> {
    response
        .hidden
        .get(LINK_FIELD)
        .map(|key| key.trim())
        .filter(|key| !key.is_empty())
}

/// The contacts, as the analysis reads them to place responses in contact segments.
#[derive(Clone, Default)]
pub struct Directory(Option<Arc<dyn ContactStore>>);

impl std::fmt::Debug for Directory {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self.0 {
            Some(_) => "Directory(store)",
            None => "Directory(none)",
        })
    }
}

impl Directory {
    pub fn new(store: Arc<dyn ContactStore>) -> Self {
        Directory(Some(store))
    }

    /// The response's segment by a contact attribute: the attribute of its contact, or
    /// `No answer` when it has no contact, the contact lacks it, or it is personal data
    /// (pii never names a segment).
    pub fn segment(&self, response: &StoredResponse, attribute: &str) -> String {
        let (Some(store), Some(key)) = (&self.0, contact_key(response)) else {
            return NO_ANSWER.into();
        };
        match Self::lookup(store.as_ref(), key, attribute) {
            Ok(Some(value)) => value,
            Ok(None) => NO_ANSWER.into(),
            Err(e) => {
                // The contributions have no error path; a read failing here fails the
                // same read for the rebuild, which then reports it.
                tracing::error!("reading contact {key} for its segment failed: {e}");
                NO_ANSWER.into()
            }
        }
    }

    fn lookup(
        store: &dyn ContactStore,
        key: &str,
        attribute: &str,
    ) -> Result<Option<String>, StoreError> {
        if store.pii_columns()?.contains(attribute) {
            return Ok(None);
        }
        Ok(store
            .contact(key)?
            .and_then(|contact| contact.attributes.get(attribute).cloned()))
    }
}

fn contact_reports(reports: &Reports) -> impl Iterator<Item = &Arc<ReportDef>> {
    reports
        .iter()
        .filter(|report| segment_attribute(&report.segment_by).is_some())
}

/// Takes the contact-segmented reports' aggregates down before contacts change.
pub fn begin_change(store: &dyn Store, reports: &Reports) -> Result<(), StoreError> {
    for report in contact_reports(reports) {
        store.begin_rebuild(&report.id, CHANGING, &report.form)?;
    }
    Ok(())
}

/// Marks them for a rebuild from the contacts as they now are; the server's rebuild threads
/// (or the next start) do it.
pub fn end_change(store: &dyn Store, reports: &Reports) -> Result<(), StoreError> {
    for report in contact_reports(reports) {
        store.begin_rebuild(&report.id, &report.aggregate_key, &report.form)?;
    }
    Ok(())
}
