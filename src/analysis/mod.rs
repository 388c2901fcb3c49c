//! Analysis of collected answers: statistics, per-segment aggregates and report figures.

pub mod aggregate;
pub mod figures;
pub mod rebuild;
pub mod stats;
pub mod summary;
pub mod themes;

use crate::form::{Catalog, Form};
use crate::report::Reports;
use crate::store::{Contribution, StoredResponse};

/// What a response adds to every report on its form.
pub fn contributions(
    reports: &Reports,
    form: &Form,
    response: &StoredResponse,
) -> Vec<Contribution> {
    reports
        .for_form(&form.id)
        .map(|report| {
            let (segment, stats) = aggregate::contribution(report, form, response);
            Contribution {
                report: report.id.clone(),
                segment,
                stats,
            }
        })
        .collect()
}

/// The same, looking the response's form up; a form no longer on disk has no reports.
pub fn contributions_in(
    catalog: &Catalog,
    reports: &Reports,
    response: &StoredResponse,
) -> Vec<Contribution> {
    catalog
        .get(&response.form)
        .map(|form| contributions(reports, &form, response))
        .unwrap_or_default()
}

/// A report's figures, or how far the rebuild of its aggregates has got.
#[derive(Debug, Clone)]
pub enum ReportOutcome {
    Ready(Box<figures::ReportFigures>),
    Building { done: u64, total: u64 },
}

pub fn report_figures(
    store: &dyn crate::store::Store,
    catalog: &Catalog,
    report: &crate::report::ReportDef,
) -> Result<ReportOutcome, crate::store::StoreError> {
    use crate::store::AggregateState;
    let Some(form) = catalog.get(&report.form) else {
        return Err(crate::store::StoreError::Corrupt(format!(
            "report {} names a form that is gone",
            report.id
        )));
    };
    match store.aggregates(&report.id, &report.aggregate_key)? {
        AggregateState::Ready(segments) => Ok(ReportOutcome::Ready(Box::new(figures::compute(
            report, &form, &segments,
        )))),
        AggregateState::Building { done, total } => Ok(ReportOutcome::Building { done, total }),
        AggregateState::Missing => Ok(ReportOutcome::Building { done: 0, total: 0 }),
    }
}
