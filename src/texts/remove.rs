//! Removing outside texts with everything they counted: one text by its id, or every text
//! linked to a contact being erased.

use super::count::contributions;
use super::place::placing;
use super::{TextBackend, TextsError};
use crate::report::Reports;
use crate::store::{StoreError, TextKey};

/// Removes one text of a report's source; `NotFound` when there is none.
pub fn delete_text(
    backend: &dyn TextBackend,
    reports: &Reports,
    report: &str,
    source: &str,
    id: &str,
) -> Result<(), TextsError> {
    if reports.get(report).is_none() {
        return Err(TextsError::UnknownReport(report.into()));
    }
    if reports.source(report, source).is_none() {
        return Err(TextsError::UnknownSource {
            report: report.into(),
            name: source.into(),
        });
    }
    let key = TextKey {
        report: report.into(),
        source: source.into(),
        id: id.into(),
    };
    let _placing = placing();
    match backend.delete_texts(&[key], &|t| contributions(reports, t))? {
        0 => Err(TextsError::NotFound {
            report: report.into(),
            name: source.into(),
            id: id.into(),
        }),
        _ => Ok(()),
    }
}

/// Removes every text linked to the contact `key`, in every report; returns how many.
pub fn erase_contact_texts(
    backend: &dyn TextBackend,
    reports: &Reports,
    key: &str,
) -> Result<u64, StoreError> {
    let _placing = placing();
    let keys: Vec<TextKey> = backend
        .contact_texts(key)?
        .iter()
        .map(|t| t.key())
        .collect();
    if keys.is_empty() {
        return Ok(0);
    }
    backend.delete_texts(&keys, &|t| contributions(reports, t))
}
