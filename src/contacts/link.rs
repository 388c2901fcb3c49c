//! How a response finds its contact, and the segment a contact attribute puts it in.
//!
//! A report with `segment_by = "contact.ATTR"` segments by the contacts as last imported, so a
//! response's segment can change without the response changing: every import therefore marks
//! those reports' aggregates for a rebuild, first before anything of it is written (so no
//! erasure meanwhile takes a response out of a segment it was never counted in) and again
//! once it is committed (so the rebuild reads the contacts as they now are).

use std::collections::BTreeSet;
use std::sync::{Arc, PoisonError, RwLock, RwLockReadGuard};

use crate::analysis::aggregate::NO_ANSWER;
use crate::report::{ReportDef, Reports};
use crate::store::{Backend, Contact, ContactStore, Store, StoreError, StoredResponse};
use crate::texts::TextBackend;

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

/// The key of the contact a response is linked to: the one it was stored with (its
/// invitation's), else its `customer_id` hidden field.
pub fn contact_key(response: &StoredResponse) -> Option<&str> {
    response
        .contact
        .as_deref()
        .or_else(|| response.hidden.get(LINK_FIELD).map(String::as_str))
        .map(str::trim)
        .filter(|key| !key.is_empty())
}

/// Held by erasures while they compute what a response counted, and taken exclusively by
/// imports while contacts change: an erasure's contact and the aggregates it subtracts from
/// then always belong to the same import.
static CHANGES: RwLock<()> = RwLock::new(());

/// The contacts, as the analysis reads them to place responses in contact segments, and the
/// outside texts linked to them (which the rebuild counts and which follow their contact).
#[derive(Clone, Default)]
pub struct Directory(Source, Option<Arc<dyn TextBackend>>);

#[derive(Clone, Default)]
enum Source {
    #[default]
    None,
    Store(Arc<dyn ContactStore>),
    /// One response's contact, read ahead: an erasure computes what the response counted
    /// inside the store's transaction, where the store cannot be read again.
    Pinned {
        key: String,
        contact: Option<Contact>,
        pii: BTreeSet<String>,
    },
}

impl std::fmt::Debug for Directory {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match &self.0 {
            Source::None => "Directory(none)",
            Source::Store(_) => "Directory(store)",
            Source::Pinned { .. } => "Directory(pinned)",
        })
    }
}

impl Directory {
    pub fn new(store: Arc<dyn Backend>) -> Self {
        Directory(Source::Store(store.clone()), Some(store))
    }

    /// The same contacts, with outside texts kept in `texts` (a store without contacts, such
    /// as PostgreSQL for now, still keeps texts).
    pub fn with_texts(self, texts: Arc<dyn TextBackend>) -> Self {
        Directory(self.0, Some(texts))
    }

    /// Where outside texts are kept, when the store keeps them.
    pub fn texts(&self) -> Option<&Arc<dyn TextBackend>> {
        self.1.as_ref()
    }

    /// The response's segment by a contact attribute: the attribute of its contact, or
    /// `No answer` when it has no contact, the contact lacks it, or it is personal data
    /// (pii never names a segment).
    pub fn segment(&self, response: &StoredResponse, attribute: &str) -> String {
        self.segment_of(contact_key(response), attribute)
    }

    /// The same for a contact key (an outside text's `customer_id`).
    pub fn segment_of(&self, key: Option<&str>, attribute: &str) -> String {
        let Some(key) = key else {
            return NO_ANSWER.into();
        };
        let found = match &self.0 {
            Source::None => Ok(None),
            Source::Store(store) => Self::lookup(store.as_ref(), key, attribute),
            Source::Pinned {
                key: pinned,
                contact,
                pii,
            } => Ok((pinned == key)
                .then(|| value(contact.as_ref(), pii, attribute))
                .flatten()),
        };
        match found {
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
        let pii = store.pii_columns()?;
        Ok(value(store.contact(key)?.as_ref(), &pii, attribute))
    }
}

fn value(contact: Option<&Contact>, pii: &BTreeSet<String>, attribute: &str) -> Option<String> {
    if pii.contains(attribute) {
        return None;
    }
    contact.and_then(|c| c.attributes.get(attribute).cloned())
}

/// The reports as an erasure of `response` computes them: its contact read ahead, and no
/// import changing contacts until the returned guard is dropped.
pub fn pin(reports: &Reports, response: &StoredResponse) -> Result<Pinned, StoreError> {
    let guard = CHANGES.read().unwrap_or_else(PoisonError::into_inner);
    let texts = reports.contacts().1.clone();
    let directory = match (&reports.contacts().0, contact_key(response)) {
        (Source::Store(store), Some(key)) => Directory(
            Source::Pinned {
                key: key.to_string(),
                contact: store.contact(key)?,
                pii: store.pii_columns()?,
            },
            texts,
        ),
        _ => Directory(Source::None, texts),
    };
    Ok(Pinned {
        reports: reports.clone().with_contacts(directory),
        _guard: guard,
    })
}

/// Reports pinned for one erasure.
pub struct Pinned {
    pub reports: Reports,
    _guard: RwLockReadGuard<'static, ()>,
}

fn contact_reports(reports: &Reports) -> impl Iterator<Item = &Arc<ReportDef>> {
    reports
        .iter()
        .filter(|report| segment_attribute(&report.segment_by).is_some())
}

/// Waits for erasures under way, then takes the contact-segmented reports' aggregates down
/// before contacts change; no erasure starts until the guard is dropped.
pub fn begin_change(
    store: &dyn Store,
    reports: &Reports,
) -> Result<std::sync::RwLockWriteGuard<'static, ()>, StoreError> {
    let guard = CHANGES.write().unwrap_or_else(PoisonError::into_inner);
    for report in contact_reports(reports) {
        store.begin_rebuild(&report.id, CHANGING, &report.form)?;
    }
    Ok(guard)
}

/// Marks them for a rebuild from the contacts as they now are; the server's rebuild threads
/// (or the next start) do it.
pub fn end_change(store: &dyn Store, reports: &Reports) -> Result<(), StoreError> {
    for report in contact_reports(reports) {
        store.begin_rebuild(&report.id, &report.aggregate_key, &report.form)?;
    }
    Ok(())
}
