//! One segment's figures on its card: the tagged fields, loyalty and themes.

use std::cmp::Reverse;

use crate::analysis::evidence::{nps_question, pmf_question};
use crate::analysis::stats;
use crate::form::{Form, Question, QuestionType};
use crate::interview::{Interview, Note};
use crate::report::ReportDef;
use crate::tally::SegmentStats;

use super::compare::{Shown, answered, comparable, count, moments, option_keys};
use super::model::{CardTheme, FIELD_TAGS, FieldEntry, Fields, Loyalty, Pmf};

pub const TOP: usize = 3;
pub const QUOTES: usize = 3;
pub const JOBS: usize = 5;
/// The method's "5–8 fresh interviews twice a year": the rhythm counts this window.
pub const HALF_YEAR_DAYS: i64 = 182;

/// An interview of one of the report's guides, with its notes, in this card's segment.
pub struct SegmentInterview<'a> {
    pub interview: &'a Interview,
    pub notes: &'a [Note],
}

pub fn percent_interval(x: u64, n: u64) -> Option<Vec<f64>> {
    stats::wilson(x, n).map(|(lo, hi)| vec![100.0 * lo, 100.0 * hi])
}

/// A choice question's top options in the segment, against the other segments.
pub fn top_options(
    q: &Question,
    mine: &SegmentStats,
    rest: &SegmentStats,
    shown: &Shown,
) -> Vec<FieldEntry> {
    let (n, n_rest) = (answered(mine, &q.id), answered(rest, &q.id));
    if n == 0 {
        return Vec::new();
    }
    let mut options: Vec<(u64, String)> = option_keys(q, shown)
        .into_iter()
        .map(|o| (count(mine, &q.id, &o), o))
        .filter(|(c, _)| *c > 0)
        .collect();
    // A stable sort keeps the form's order among ties.
    options.sort_by_key(|o| Reverse(o.0));
    options
        .into_iter()
        .take(TOP)
        .map(|(c, option)| FieldEntry {
            question: q.id.clone(),
            text: Some(q.text.clone()),
            percent: Some(100.0 * c as f64 / n as f64),
            ci95: percent_interval(c, n),
            others_percent: (n_rest > 0)
                .then(|| 100.0 * count(rest, &q.id, &option) as f64 / n_rest as f64),
            n: Some(n),
            option: Some(option),
            ..FieldEntry::default()
        })
        .collect()
}

/// A numeric question's mean in the segment, against the other segments.
pub fn mean_entry(q: &Question, mine: &SegmentStats, rest: &SegmentStats) -> Option<FieldEntry> {
    let summary = moments(mine, &q.id).and_then(|m| stats::summarize(&m))?;
    Some(FieldEntry {
        question: q.id.clone(),
        text: Some(q.text.clone()),
        mean: Some(summary.mean),
        ci95: summary.ci95.map(|(lo, hi)| vec![lo, hi]),
        others_mean: moments(rest, &q.id)
            .and_then(|m| stats::summarize(&m))
            .map(|s| s.mean),
        n: Some(summary.n),
        ..FieldEntry::default()
    })
}

/// A text question's top themes in the segment (answers that mention each).
fn top_themes_of(q: &Question, mine: &SegmentStats, names: &[String]) -> Vec<FieldEntry> {
    let mut themes: Vec<(u64, &String)> = names
        .iter()
        .map(|name| (count(mine, &q.id, name), name))
        .filter(|(c, _)| *c > 0)
        .collect();
    themes.sort_by_key(|t| Reverse(t.0));
    themes
        .into_iter()
        .take(TOP)
        .map(|(c, name)| FieldEntry {
            question: q.id.clone(),
            text: Some(q.text.clone()),
            theme: Some(name.clone()),
            responses: Some(c),
            n: Some(answered(mine, &q.id)),
            ..FieldEntry::default()
        })
        .collect()
}

/// What one question gives a field or the ICP's firmographics.
pub fn entries(
    q: &Question,
    mine: &SegmentStats,
    rest: &SegmentStats,
    shown: &Shown,
    theme_names: &[String],
) -> Vec<FieldEntry> {
    match q.kind {
        // A ranking's tally counts first places: its top options by share ranked first.
        QuestionType::Single | QuestionType::Multi | QuestionType::Ranking => {
            top_options(q, mine, rest, shown)
        }
        QuestionType::Scale | QuestionType::Nps | QuestionType::Number => {
            mean_entry(q, mine, rest).into_iter().collect()
        }
        QuestionType::Text | QuestionType::LongText => top_themes_of(q, mine, theme_names),
        // Matrices reach cards as their rows (`comparable`), never whole.
        QuestionType::Email | QuestionType::Matrix => Vec::new(),
    }
}

pub fn fields(
    form: &Form,
    report: &ReportDef,
    mine: &SegmentStats,
    rest: &SegmentStats,
    shown: &Shown,
) -> Fields {
    let mut fields = Fields::default();
    for tag in FIELD_TAGS {
        let Some(list) = fields.get_mut(tag) else {
            continue;
        };
        for q in comparable(form, &report.segment_by)
            .iter()
            .filter(|q| q.tags.iter().any(|t| t == tag))
        {
            list.extend(entries(q, mine, rest, shown, &report.codebook.names));
        }
    }
    fields
}

pub fn loyalty(form: &Form, mine: &SegmentStats) -> Loyalty {
    let mut loyalty = Loyalty::default();
    if let Some(q) = nps_question(form) {
        let in_range = |lo: i64, hi: i64| -> u64 {
            (lo..=hi).map(|v| count(mine, &q.id, &v.to_string())).sum()
        };
        let (promoters, passives, detractors) = (in_range(9, 10), in_range(7, 8), in_range(0, 6));
        if let Some(score) = stats::nps(promoters, passives, detractors) {
            loyalty.nps = Some(score.nps);
            loyalty.nps_ci95 = Some(vec![score.ci95.0, score.ci95.1]);
            loyalty.nps_n = Some(promoters + passives + detractors);
        }
    }
    if let Some(q) = pmf_question(form)
        && let Some(first) = q.options.first()
    {
        let n = answered(mine, &q.id);
        let x = count(mine, &q.id, first);
        if let Some(ci95) = percent_interval(x, n) {
            loyalty.pmf = Some(Pmf {
                question: q.id.clone(),
                option: first.clone(),
                n,
                percent: 100.0 * x as f64 / n as f64,
                ci95,
            });
        }
    }
    loyalty
}

/// The segment's themes, most mentioned first (answers and notes together).
pub fn themes(mine: &SegmentStats, names: &[String]) -> Vec<CardTheme> {
    let mut themes: Vec<CardTheme> = names
        .iter()
        .filter_map(|name| {
            let texts: i64 = mine.themes.get(name)?.values().map(|t| t.texts).sum();
            (texts > 0).then(|| CardTheme {
                name: name.clone(),
                responses: texts as u64,
            })
        })
        .collect();
    themes.sort_by_key(|t| Reverse(t.responses));
    themes
}
