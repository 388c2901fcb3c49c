//! Ranking questions in reports: each option's mean rank (t-interval, among those who ranked
//! it) and the share of respondents who ranked it first (Wilson interval, among those who
//! answered the question).

use std::collections::BTreeMap;

use serde::Serialize;
use serde_json::Value;

use super::figures::{Figures, Interval, Ordered, QuestionFigures, SegmentFigures};
use super::stats;
use crate::form::Question;
use crate::form::ranking::{option_id, rank_of};
use crate::tally::{QuestionTally, SegmentStats, Sums};

/// What one ranking answer adds: a first place on the question's own tally, and a rank on
/// each ranked option's tally.
pub fn tally(q: &Question, answer: &Value, questions: &mut BTreeMap<String, QuestionTally>) {
    let Some(items) = answer.as_array() else {
        return;
    };
    let mut own = QuestionTally {
        answered: 1,
        ..QuestionTally::default()
    };
    if let Some(first) = items.first().and_then(Value::as_str)
        && q.options.iter().any(|o| o == first)
    {
        own.counts.insert(first.to_string(), 1);
    }
    for option in &q.options {
        if let Some(rank) = rank_of(answer, option) {
            questions.insert(
                option_id(&q.id, option),
                QuestionTally {
                    answered: 1,
                    counts: BTreeMap::new(),
                    sums: Some(Sums::of(rank as f64)),
                },
            );
        }
    }
    questions.insert(q.id.clone(), own);
}

/// One option's figures.
#[derive(Debug, Clone, Default, Serialize, PartialEq)]
pub struct RankFigures {
    /// Respondents who ranked this option.
    pub n: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mean_rank: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sd: Option<f64>,
    /// t-interval of the mean rank, at 95%.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ci95: Option<[f64; 2]>,
    /// Respondents who ranked it first.
    pub first: u64,
    /// Percent of the question's respondents who ranked it first, with its Wilson interval.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub first_percent: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub first_ci95: Option<[f64; 2]>,
}

fn figures_of(q: &Question, stats: &SegmentStats) -> Figures {
    let own = stats.questions.get(&q.id);
    let n = own.map_or(0, |t| t.answered.max(0) as u64);
    let ranks = q
        .options
        .iter()
        .map(|option| {
            let first = own
                .and_then(|t| t.counts.get(option))
                .map_or(0, |c| (*c).max(0) as u64);
            let mut f = RankFigures {
                first,
                ..RankFigures::default()
            };
            if let Some(summary) = stats
                .questions
                .get(&option_id(&q.id, option))
                .and_then(|t| t.sums.as_ref())
                .and_then(|s| stats::summarize(&s.moments()))
            {
                f.n = summary.n;
                f.mean_rank = Some(summary.mean);
                f.sd = summary.sd;
                f.ci95 = summary.ci95.map(|(lo, hi)| [lo, hi]);
            }
            if let Some((lo, hi)) = stats::wilson(first, n) {
                f.first_percent = Some(100.0 * first as f64 / n as f64);
                f.first_ci95 = Some([100.0 * lo, 100.0 * hi]);
            }
            (option.clone(), f)
        })
        .collect();
    // First places also fill the choice figures, so that pages, the segments CSV and cards
    // show a ranking the way they show a choice: the share that put each option first.
    let ranks: Vec<(String, RankFigures)> = ranks;
    let counts = Ordered(ranks.iter().map(|(o, f)| (o.clone(), f.first)).collect());
    let percent = (n > 0).then(|| {
        Ordered(
            ranks
                .iter()
                .filter_map(|(o, f)| f.first_percent.map(|p| (o.clone(), p)))
                .collect(),
        )
    });
    let ci95 = (n > 0).then(|| {
        Interval::Choices(Ordered(
            ranks
                .iter()
                .filter_map(|(o, f)| f.first_ci95.map(|c| (o.clone(), c)))
                .collect(),
        ))
    });
    Figures {
        n,
        counts: Some(counts),
        percent,
        ci95,
        ranks: Some(Ordered(ranks)),
        ..Figures::default()
    }
}

/// A ranking question's figures, overall and per shown segment. No test between segments:
/// ranks of one respondent are not independent of each other, so no one table fits them.
pub fn question_figures(
    q: &Question,
    overall: &SegmentStats,
    shown: &[(&str, &SegmentStats)],
) -> QuestionFigures {
    QuestionFigures {
        id: q.id.clone(),
        kind: q.kind.as_str(),
        text: q.text.clone(),
        overall: figures_of(q, overall),
        by_segment: shown
            .iter()
            .map(|(name, stats)| SegmentFigures {
                segment: name.to_string(),
                figures: figures_of(q, stats),
            })
            .collect(),
        test: None,
    }
}
