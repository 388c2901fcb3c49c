//! What an outside text adds to its report: its themes (or uncoded terms), one text of its
//! source, and its time in the segment's period, all in the segment it was placed in.

use crate::analysis::aggregate::{TextOrigin, count_text};
use crate::report::Reports;
use crate::store::StoredText;
use crate::tally::{Contribution, Tally};

/// Sorts outside texts with survey answers (after interview quotes and notes), by time.
const PRIORITY: u8 = 2;

/// The theme-text sort key of a text: the priority byte, then its time-ordered id, as
/// survey answers have (the cards read the time from those 16 bytes).
pub fn order_of(text: &StoredText) -> Vec<u8> {
    let mut order = vec![PRIORITY];
    order.extend_from_slice(text.order.as_bytes());
    order
}

/// What a stored text contributes: nothing when its report or source is no longer declared
/// (the definition changed, and the rebuild that follows leaves it out).
pub fn contributions(reports: &Reports, text: &StoredText) -> Vec<Contribution> {
    let Some(report) = reports.get(&text.report) else {
        return Vec::new();
    };
    if report.source(&text.source).is_none() {
        return Vec::new();
    }
    let mut tally = Tally {
        segment: text.segment.clone(),
        ..Tally::default()
    };
    tally.stats.texts.insert(text.source.clone(), 1);
    tally
        .submitted
        .push((text.order.as_bytes().to_vec(), text.at.clone()));
    let origin = TextOrigin {
        source: &text.source,
        kind: "text",
        order: order_of(text),
        label: format!("{} {}", text.source, text.id),
    };
    count_text(&report, &text.text, origin, &mut tally);
    vec![Contribution {
        report: report.id.clone(),
        tally,
    }]
}
