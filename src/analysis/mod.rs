//! Analysis of collected answers: statistics, per-segment aggregates and report figures.

pub mod aggregate;
pub mod crosstab;
pub mod evidence;
pub mod figures;
pub mod proportions;
pub mod ranking;
pub mod rebuild;
pub mod stats;
pub mod summary;
pub mod themes;

use crate::form::{Catalog, Form};
use crate::interview::{Interview, Note, NoteKind};
use crate::report::Reports;
use crate::store::StoredResponse;
use crate::tally::{self, Contribution};

/// What a response adds to every report on its form.
pub fn contributions(
    reports: &Reports,
    form: &Form,
    response: &StoredResponse,
) -> Vec<Contribution> {
    reports
        .for_form(&form.id)
        .map(|report| Contribution {
            report: report.id.clone(),
            tally: match crate::contacts::segment_attribute(&report.segment_by) {
                Some(attribute) => {
                    let segment = reports.contacts().segment(response, attribute);
                    aggregate::contribution_in(report, form, response, segment)
                }
                None => aggregate::contribution(report, form, response),
            },
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

/// The segment of a report an interview's notes count in: its contact's attribute for a
/// report by contact attribute, else the participant attribute the report segments by.
pub fn interview_segment(
    contacts: &crate::contacts::Directory,
    report: &crate::report::ReportDef,
    guide: Option<&Form>,
    interview: &Interview,
) -> String {
    match crate::contacts::segment_attribute(&report.segment_by) {
        Some(attribute) => contacts.segment_of(interview.contact.as_deref(), attribute),
        None => aggregate::interview_segment(guide, &report.segment_by, &interview.attributes),
    }
}

/// What an interview note adds to the theme counts of every report that reads its guide.
pub fn note_contributions(
    catalog: &Catalog,
    reports: &Reports,
    interview: &Interview,
    note: &Note,
) -> Vec<Contribution> {
    let guide = catalog.get(&interview.guide);
    reports
        .iter()
        .filter(|report| report.interviews.contains(&interview.guide))
        .filter_map(|report| {
            let segment =
                interview_segment(reports.contacts(), report, guide.as_deref(), interview);
            let mut tally = tally::Tally {
                segment,
                ..tally::Tally::default()
            };
            let (priority, kind) = match note.content.kind {
                NoteKind::Quote => (0, "quote"),
                NoteKind::Note => (1, "note"),
            };
            let mut order = vec![priority];
            order.extend_from_slice(interview.id.as_bytes());
            order.extend_from_slice(&note.seq.to_be_bytes());
            let origin = aggregate::TextOrigin {
                source: tally::INTERVIEW,
                kind,
                order,
                label: format!("{}, note {}", interview.participant, note.seq),
            };
            aggregate::count_text(report, &note.content.text, origin, &mut tally);
            let counts = !tally.stats.is_empty() || !tally.terms.is_empty();
            counts.then(|| Contribution {
                report: report.id.clone(),
                tally,
            })
        })
        .collect()
}

/// A report's figures, or how far the rebuild of its aggregates has got.
#[derive(Debug, Clone)]
pub enum ReportOutcome {
    Ready(Box<figures::ReportFigures>),
    Building { done: u64, total: u64 },
}

pub fn report_figures(
    store: &dyn crate::store::AggregateStore,
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
        AggregateState::Ready(segments) => {
            let mut figures = figures::compute(report, &form, &segments);
            let (themes, terms) =
                themes::figures::theme_figures(store, report, &figures.segments, &segments)?;
            figures.themes = themes;
            figures.uncoded_terms = terms;
            Ok(ReportOutcome::Ready(Box::new(figures)))
        }
        AggregateState::Building { done, total } => Ok(ReportOutcome::Building { done, total }),
        AggregateState::Missing => Ok(ReportOutcome::Building { done: 0, total: 0 }),
    }
}
