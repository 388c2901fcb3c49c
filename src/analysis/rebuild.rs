//! Rebuilding report aggregates from the stored responses, after a report or its form
//! changed: once, in batches, while the server keeps taking responses. The policy is here
//! (which reports are stale, how big a batch is, what each response and note contributes,
//! which guides' notes count); the store keeps the protocol that makes each batch atomic
//! with respect to writers (see `store::AggregateStore`).

use crate::form::Catalog;
use crate::report::{ReportDef, Reports};
use crate::store::{AggregateStore, InterviewStore, StoreError, StoredResponse};
use crate::tally::Contribution;

/// Responses folded in per write; small enough that writers wait only briefly.
const BATCH: usize = 2_000;

/// Marks the reports whose aggregates do not match their definition; returns them.
pub fn stale_reports<'a>(
    store: &dyn AggregateStore,
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

/// Runs a marked rebuild to the end; the notes of the report's guides come from `interviews`
/// (the same store, in the server), the outside texts from the store of `reports`' contacts.
pub fn rebuild(
    store: &dyn AggregateStore,
    interviews: &dyn InterviewStore,
    catalog: &Catalog,
    reports: &Reports,
    report: &ReportDef,
) -> Result<(), StoreError> {
    let started = std::time::Instant::now();
    rebuild_in_batches(store, interviews, catalog, reports, report, BATCH)?;
    tracing::info!(report = %report.id, "aggregates rebuilt in {:.1}s", started.elapsed().as_secs_f64());
    Ok(())
}

/// Runs a marked rebuild to the end, `batch` responses per atomic step.
pub fn rebuild_in_batches(
    store: &dyn AggregateStore,
    interviews: &dyn InterviewStore,
    catalog: &Catalog,
    reports: &Reports,
    report: &ReportDef,
    batch: usize,
) -> Result<(), StoreError> {
    let response = |r: &StoredResponse| super::contributions_in(catalog, reports, r);
    let texts = reports.contacts().texts();
    // Outside texts are placed again first (contacts or the definition may have changed);
    // the last step then counts them where they now are, with the notes.
    if let Some(texts) = texts {
        crate::texts::place::place_all(texts.as_ref(), catalog, reports, report)?;
    }
    let notes = || {
        let mut all = note_contributions(interviews, catalog, reports, report)?;
        if let Some(texts) = texts {
            for text in texts.report_texts(&report.id) {
                all.extend(crate::texts::contributions(reports, &text?));
            }
        }
        Ok(all)
    };
    while !store.rebuild_step(&report.id, &report.form, batch, &response, &notes)? {}
    Ok(())
}

/// What every note of the report's interview guides contributes to it.
fn note_contributions(
    store: &dyn InterviewStore,
    catalog: &Catalog,
    reports: &Reports,
    report: &ReportDef,
) -> Result<Vec<Contribution>, StoreError> {
    let mut all = Vec::new();
    for guide in &report.interviews {
        for interview in store.interviews(Some(guide)) {
            let interview = interview?;
            for note in store.notes(interview.id) {
                let note = note?;
                all.extend(
                    super::note_contributions(catalog, reports, &interview, &note)
                        .into_iter()
                        .filter(|c| c.report == report.id),
                );
            }
        }
    }
    Ok(all)
}
