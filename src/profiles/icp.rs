//! Template 2 of the method: which segment fits best by the report's outcome (`[icp]`).

use crate::analysis::proportions::two_proportion_z;
use crate::analysis::stats;
use crate::form::Form;
use crate::report::{IcpSettings, ReportDef, Success};
use crate::tally::SegmentStats;

use super::card::entries;
use super::compare::{Shown, answered, comparable, others};
use super::model::{BestVsRest, Icp, IcpSegment};

fn successes(settings: &IcpSettings, stats: &SegmentStats) -> u64 {
    let Some(tally) = stats.questions.get(&settings.outcome) else {
        return 0;
    };
    let counted = tally
        .counts
        .iter()
        .filter(|(key, _)| match &settings.success {
            Success::Options(options) => options.contains(key),
            Success::AtLeast(min) => key.parse::<f64>().is_ok_and(|v| v >= *min),
        });
    counted.map(|(_, c)| (*c).max(0) as u64).sum()
}

pub fn success_text(settings: &IcpSettings) -> String {
    match &settings.success {
        Success::Options(options) => format!(
            "answered {}",
            options
                .iter()
                .map(|o| format!("“{o}”"))
                .collect::<Vec<_>>()
                .join(" or ")
        ),
        Success::AtLeast(min) => format!("answered {min} or more"),
    }
}

/// Each card segment's success rate, the best by Wilson lower bound, its test against the
/// rest, and its firmographics (top options on questions tagged `segment` and `context`).
pub fn icp(report: &ReportDef, settings: &IcpSettings, form: &Form, cards: &Shown) -> Icp {
    let mut segments = Vec::new();
    let mut best: Option<(f64, usize)> = None;
    for (name, stats) in cards {
        let n = answered(stats, &settings.outcome);
        let x = successes(settings, stats);
        let Some((lo, hi)) = stats::wilson(x, n) else {
            continue;
        };
        if best.is_none_or(|(bound, _)| lo > bound) {
            best = Some((lo, segments.len()));
        }
        segments.push(IcpSegment {
            segment: name.to_string(),
            n,
            successes: x,
            percent: 100.0 * x as f64 / n as f64,
            ci95: vec![100.0 * lo, 100.0 * hi],
        });
    }
    let best_name = best.map(|(_, i)| segments[i].segment.clone());
    let mut best_vs_rest = None;
    let mut firmographics = Vec::new();
    if let Some(name) = &best_name
        && let Some((_, mine)) = cards.iter().find(|(n, _)| n == name)
    {
        let rest = others(cards, name);
        let (x1, n1) = (successes(settings, mine), answered(mine, &settings.outcome));
        let (x2, n2) = (
            successes(settings, &rest),
            answered(&rest, &settings.outcome),
        );
        let test = two_proportion_z(x1, n1, x2, n2);
        best_vs_rest = (n2 > 0).then(|| BestVsRest {
            percent: 100.0 * x1 as f64 / n1.max(1) as f64,
            others_percent: 100.0 * x2 as f64 / n2 as f64,
            z: test.map(|t| t.z),
            p_value: test.map(|t| t.p_value),
        });
        for q in comparable(form, &report.segment_by)
            .iter()
            .filter(|q| q.tags.iter().any(|t| t == "segment" || t == "context"))
        {
            firmographics.extend(entries(q, mine, &rest, cards, &report.codebook.names));
        }
    }
    Icp {
        outcome: settings.outcome.clone(),
        success: success_text(settings),
        segments,
        best: best_name,
        best_vs_rest,
        firmographics,
    }
}
