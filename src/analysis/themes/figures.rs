//! A report's theme counts, quotes and uncoded terms, from its aggregates and theme index.

use std::collections::BTreeMap;

use crate::analysis::figures::{Ordered, SegmentInfo, TermCount, ThemeCell, ThemeFigures};
use crate::report::ReportDef;
use crate::store::{AggregateStore, StoreError};
use crate::tally::{INTERVIEW, SURVEY, SegmentStats};

pub const QUOTES: usize = 3;
pub const UNCODED_TERMS: usize = 15;

/// The quotes of a theme: texts from unsuppressed segments, interview quotes first; with
/// the source of each.
fn quotes(
    store: &dyn AggregateStore,
    report: &ReportDef,
    theme: &str,
    shown: &[&str],
) -> Result<(Vec<String>, Vec<String>), StoreError> {
    let (mut quotes, mut sources) = (Vec::new(), Vec::new());
    for record in store.theme_texts(&report.id, theme) {
        let record = record?;
        if shown.contains(&record.segment.as_str()) && !quotes.contains(&record.text) {
            quotes.push(record.text);
            sources.push(record.source);
            if quotes.len() == QUOTES {
                break;
            }
        }
    }
    Ok((quotes, sources))
}

pub fn theme_figures(
    store: &dyn AggregateStore,
    report: &ReportDef,
    segments: &[SegmentInfo],
    aggregates: &BTreeMap<String, SegmentStats>,
) -> Result<(Vec<ThemeFigures>, Vec<TermCount>), StoreError> {
    let shown: Vec<&str> = segments
        .iter()
        .filter(|s| !s.suppressed)
        .map(|s| s.name.as_str())
        .collect();
    let mut themes = Vec::new();
    for name in &report.codebook.names {
        let mut cells = Vec::new();
        let mut by_segment = Vec::new();
        for segment in &shown {
            let sources = aggregates.get(*segment).and_then(|s| s.themes.get(name));
            let mut texts = 0;
            let outside = report.sources.iter().map(|s| s.name.as_str());
            for source in [SURVEY, INTERVIEW].into_iter().chain(outside) {
                let Some(tally) = sources.and_then(|s| s.get(source)) else {
                    continue;
                };
                texts += tally.texts.max(0) as u64;
                cells.push(ThemeCell {
                    segment: segment.to_string(),
                    source: source.to_string(),
                    responses: tally.texts.max(0) as u64,
                    mentions: tally.mentions.max(0) as u64,
                });
            }
            by_segment.push((segment.to_string(), texts));
        }
        let (quotes, quote_sources) = quotes(store, report, name, &shown)?;
        themes.push(ThemeFigures {
            name: name.clone(),
            responses: cells.iter().map(|c| c.responses).sum(),
            mentions: cells.iter().map(|c| c.mentions).sum(),
            by_segment: Ordered(by_segment),
            quotes,
            quote_sources,
            cells,
        });
    }
    let counts = store.terms(&report.id, &|segment| shown.contains(&segment))?;
    let mut terms: Vec<TermCount> = counts
        .into_iter()
        .map(|(term, count)| TermCount { term, count })
        .collect();
    terms.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.term.cmp(&b.term)));
    terms.truncate(UNCODED_TERMS);
    Ok((themes, terms))
}
