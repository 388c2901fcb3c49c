//! Rebuilding report aggregates from the stored responses, after a report or its form
//! changed: once, in batches, while the server keeps taking responses.

use crate::form::Catalog;
use crate::interview::{Interview, Note};
use crate::report::{ReportDef, Reports};
use crate::store::{Contributors, Store, StoreError, StoredResponse};

/// Responses folded in per write; small enough that writers wait only briefly.
const BATCH: usize = 2_000;

/// Marks the reports whose aggregates do not match their definition; returns them.
pub fn stale_reports<'a>(
    store: &dyn Store,
    reports: &'a Reports,
) -> Result<Vec<&'a ReportDef>, StoreError> {
    let mut stale = Vec::new();
    for report in reports.iter() {
        if store.begin_rebuild(&report.id, &report.aggregate_key, &report.form)? {
            stale.push(report.as_ref());
        }
    }
    Ok(stale)
}

/// Runs a marked rebuild to the end.
pub fn rebuild(
    store: &dyn Store,
    catalog: &Catalog,
    reports: &Reports,
    report: &ReportDef,
) -> Result<(), StoreError> {
    let response = |r: &StoredResponse| super::contributions_in(catalog, reports, r);
    let note = |i: &Interview, n: &Note| super::note_contributions(catalog, reports, i, n);
    let contributors = Contributors {
        response: &response,
        note: &note,
        guides: &report.interviews,
    };
    let started = std::time::Instant::now();
    while !store.rebuild_step(&report.id, &report.form, BATCH, &contributors)? {}
    tracing::info!(report = %report.id, "aggregates rebuilt in {:.1}s", started.elapsed().as_secs_f64());
    Ok(())
}
