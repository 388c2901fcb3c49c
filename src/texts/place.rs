//! Which segment an outside text counts in: that of its contact, through the contact's
//! attribute when the report segments by `contact.ATTR`, else through the contact's latest
//! response to the report's form; `No answer` without either.
//!
//! The segment is decided here and stored with the text, so that incremental writes and a
//! rebuild count it in the same place. It is decided again whenever what it depends on
//! changes: a response of the contact stored or erased (`follow`), and before every rebuild
//! of the report (`place_all`), which contact imports and definition changes start. One
//! placement at a time in this process (`PLACING`), so that a rebuild reading the responses
//! and a response moving its contact's texts cannot undo each other.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use super::TextBackend;
use super::count::contributions;
use crate::analysis::aggregate::{NO_ANSWER, segment_of};
use crate::contacts::{contact_key, segment_attribute};
use crate::form::Catalog;
use crate::report::{ReportDef, Reports};
use crate::store::{ResponseStore, StoreError, StoredResponse, StoredText};

/// Texts written per transaction when placements change.
pub(super) const BATCH: usize = 2_000;

static PLACING: Mutex<()> = Mutex::new(());

/// Held while texts are placed and written.
pub(super) fn placing() -> MutexGuard<'static, ()> {
    PLACING.lock().unwrap_or_else(PoisonError::into_inner)
}

/// The segments of the contacts of one report's texts.
pub struct Placer<'a> {
    report: Arc<ReportDef>,
    reports: &'a Reports,
    /// For reports segmented by a question: each contact's latest response's segment.
    latest: BTreeMap<String, String>,
}

impl<'a> Placer<'a> {
    /// Reads what placing texts linked to `contacts` needs: for a report segmented by a
    /// question, one pass over its form's responses.
    pub fn new<'k>(
        responses: &dyn ResponseStore,
        catalog: &Catalog,
        reports: &'a Reports,
        report: Arc<ReportDef>,
        contacts: impl IntoIterator<Item = &'k str>,
    ) -> Result<Placer<'a>, StoreError> {
        let mut latest = BTreeMap::new();
        let wanted: BTreeSet<&str> = contacts.into_iter().collect();
        let form = catalog.get(&report.form);
        if let (None, Some(form), false) = (
            segment_attribute(&report.segment_by),
            form,
            wanted.is_empty(),
        ) {
            // Oldest first: the last one seen of a contact is its latest.
            for response in responses.responses(&report.form) {
                let response = response?;
                if let Some(key) = contact_key(&response).filter(|k| wanted.contains(k)) {
                    latest.insert(
                        key.to_string(),
                        segment_of(&form, &report.segment_by, &response),
                    );
                }
            }
        }
        Ok(Placer {
            report,
            reports,
            latest,
        })
    }

    pub fn segment(&self, customer_id: Option<&str>) -> String {
        match segment_attribute(&self.report.segment_by) {
            Some(attribute) => self.reports.contacts().segment_of(customer_id, attribute),
            None => customer_id
                .and_then(|key| self.latest.get(key).cloned())
                .unwrap_or_else(|| NO_ANSWER.into()),
        }
    }
}

/// Writes texts whose segment changed, with their counts moved.
fn write_moved(
    backend: &dyn TextBackend,
    reports: &Reports,
    moved: &[StoredText],
) -> Result<(), StoreError> {
    for chunk in moved.chunks(BATCH) {
        backend.put_texts(chunk, &|t| contributions(reports, t))?;
    }
    Ok(())
}

/// Places every text of a report again, before its rebuild counts them where they are.
pub fn place_all(
    backend: &dyn TextBackend,
    catalog: &Catalog,
    reports: &Reports,
    report: &ReportDef,
) -> Result<(), StoreError> {
    let _placing = placing();
    let texts = backend
        .report_texts(&report.id)
        .collect::<Result<Vec<_>, _>>()?;
    if texts.is_empty() {
        return Ok(());
    }
    let contacts = texts.iter().filter_map(|t| t.customer_id.as_deref());
    let Some(report) = reports.get(&report.id) else {
        return Ok(());
    };
    let placer = Placer::new(backend, catalog, reports, report, contacts)?;
    let moved: Vec<StoredText> = texts
        .iter()
        .filter_map(|t| {
            let segment = placer.segment(t.customer_id.as_deref());
            (segment != t.segment).then(|| StoredText {
                segment,
                ..t.clone()
            })
        })
        .collect();
    write_moved(backend, reports, &moved)
}

/// After a response of a contact was stored (`erased` false: it is their latest now) or
/// erased, moves the contact's texts in reports on its form segmented by a question. A
/// failure is logged, not returned: the response itself is stored (or gone) already, and the
/// next rebuild places the texts again.
pub fn follow(catalog: &Catalog, reports: &Reports, response: &StoredResponse, erased: bool) {
    let (Some(backend), Some(key)) = (reports.contacts().texts(), contact_key(response)) else {
        return;
    };
    if let Err(e) = follow_in(backend.as_ref(), catalog, reports, response, key, erased) {
        tracing::error!("moving the outside texts of contact {key} to its new segment: {e}");
    }
}

fn follow_in(
    backend: &dyn TextBackend,
    catalog: &Catalog,
    reports: &Reports,
    response: &StoredResponse,
    key: &str,
    erased: bool,
) -> Result<(), StoreError> {
    let _placing = placing();
    let texts = backend.contact_texts(key)?;
    let mut moved = Vec::new();
    let mut placers: BTreeMap<String, Placer> = BTreeMap::new();
    for text in texts {
        let Some(report) = reports.get(&text.report) else {
            continue;
        };
        if report.form != response.form || segment_attribute(&report.segment_by).is_some() {
            continue;
        }
        let segment =
            if erased {
                // Their latest response now: one pass over the form's responses per report.
                let placer =
                    match placers.entry(report.id.clone()) {
                        std::collections::btree_map::Entry::Occupied(entry) => entry.into_mut(),
                        std::collections::btree_map::Entry::Vacant(entry) => entry.insert(
                            Placer::new(backend, catalog, reports, report.clone(), [key])?,
                        ),
                    };
                placer.segment(Some(key))
            } else {
                match catalog.get(&report.form) {
                    Some(form) => segment_of(&form, &report.segment_by, response),
                    None => continue,
                }
            };
        if segment != text.segment {
            moved.push(StoredText { segment, ..text });
        }
    }
    write_moved(backend, reports, &moved)
}
