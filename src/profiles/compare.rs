//! What sets a segment apart (distinctive options) and which segments no test tells apart
//! (one profile may serve both), from the per-segment aggregates alone.

use crate::analysis::aggregate::OTHER;
use crate::analysis::proportions::{holm, two_proportion_z};
use crate::analysis::stats::{self, Moments};
use crate::form::{Form, Question, QuestionType};
use crate::tally::SegmentStats;

use super::model::{Distinctive, SimilarPair};

/// An unsuppressed segment and its aggregates.
pub type Shown<'a> = [(&'a str, &'a SegmentStats)];

pub fn answered(stats: &SegmentStats, question: &str) -> u64 {
    stats
        .questions
        .get(question)
        .map_or(0, |t| t.answered.max(0) as u64)
}

pub fn count(stats: &SegmentStats, question: &str, key: &str) -> u64 {
    stats
        .questions
        .get(question)
        .and_then(|t| t.counts.get(key))
        .map_or(0, |c| (*c).max(0) as u64)
}

pub fn moments(stats: &SegmentStats, question: &str) -> Option<Moments> {
    stats
        .questions
        .get(question)
        .and_then(|t| t.sums.as_ref())
        .map(|s| s.moments())
        .filter(|m| m.n > 0.0)
}

/// A choice question's options in form order, and "Other" when any shown segment wrote one.
pub fn option_keys(q: &Question, shown: &Shown) -> Vec<String> {
    let mut keys = q.options.clone();
    let wrote_other = shown.iter().any(|(_, s)| count(s, &q.id, OTHER) > 0);
    if wrote_other && !keys.iter().any(|k| k == OTHER) {
        keys.push(OTHER.to_string());
    }
    keys
}

/// The counts of every shown segment but one, added together.
pub fn others(shown: &Shown, segment: &str) -> SegmentStats {
    let mut total = SegmentStats::default();
    for (_, stats) in shown.iter().filter(|(name, _)| *name != segment) {
        total.add(stats, 1);
    }
    total
}

/// Questions whose answers may be compared: not personal data, not the segmenting question;
/// each matrix row as a question of its own (a single choice, or a scale).
pub fn comparable(form: &Form, segment_by: &str) -> Vec<Question> {
    crate::form::matrix::analysed_questions(&form.questions)
        .into_iter()
        .filter(|q| !q.pii && q.id != segment_by)
        .map(std::borrow::Cow::into_owned)
        .collect()
}

/// A share for a sentence: whole where it is whole ("80%"), else to one decimal ("12.5%").
fn percent_text(p: f64) -> String {
    let tenths = (p * 10.0).round();
    if tenths % 10.0 == 0.0 {
        format!("{:.0}%", tenths / 10.0)
    } else {
        format!("{:.1}%", tenths / 10.0)
    }
}

/// For every option of every single and multi question, the segment against all other shown
/// segments together (pooled z-test), Holm-corrected over the card's tests; those below
/// `alpha` after correction, strongest first.
pub fn distinctive(
    form: &Form,
    segment_by: &str,
    segment: &str,
    mine: &SegmentStats,
    rest: &SegmentStats,
    shown: &Shown,
    alpha: f64,
) -> Vec<Distinctive> {
    struct Run {
        order: usize,
        question: String,
        text: String,
        option: String,
        percent: f64,
        others_percent: f64,
        z: f64,
        p: f64,
    }
    let mut runs = Vec::new();
    for q in comparable(form, segment_by)
        .iter()
        .filter(|q| q.kind.has_options())
    {
        let (n1, n2) = (answered(mine, &q.id), answered(rest, &q.id));
        for option in option_keys(q, shown) {
            let (x1, x2) = (count(mine, &q.id, &option), count(rest, &q.id, &option));
            let Some(test) = two_proportion_z(x1, n1, x2, n2) else {
                continue;
            };
            runs.push(Run {
                order: runs.len(),
                question: q.id.clone(),
                text: q.text.clone(),
                percent: 100.0 * x1 as f64 / n1 as f64,
                others_percent: 100.0 * x2 as f64 / n2 as f64,
                option,
                z: test.z,
                p: test.p_value,
            });
        }
    }
    let adjusted = holm(&runs.iter().map(|r| r.p).collect::<Vec<_>>());
    let mut listed: Vec<(f64, Run)> = adjusted
        .into_iter()
        .zip(runs)
        .filter(|(p_adj, _)| *p_adj < alpha)
        .collect();
    listed.sort_by(|(pa, a), (pb, b)| {
        pa.total_cmp(pb)
            .then_with(|| {
                let (da, db) = (
                    (a.percent - a.others_percent).abs(),
                    (b.percent - b.others_percent).abs(),
                );
                db.total_cmp(&da)
            })
            .then_with(|| a.order.cmp(&b.order))
    });
    listed
        .into_iter()
        .map(|(p_adjusted, r)| {
            let over = r.z > 0.0;
            let verb = if q_is_multi(form, &r.question) {
                "chose"
            } else {
                "answered"
            };
            let sentence = format!(
                "{} of {segment} {verb} “{}” to “{}”, {} than the {} of the other segments ({} after Holm).",
                percent_text(r.percent),
                r.option,
                r.text,
                if over { "more" } else { "fewer" },
                percent_text(r.others_percent),
                p_text(p_adjusted),
            );
            Distinctive {
                question: r.question,
                text: r.text,
                option: r.option,
                percent: r.percent,
                others_percent: r.others_percent,
                z: r.z,
                p_value: r.p,
                p_adjusted,
                direction: if over { "over" } else { "under" }.into(),
                sentence,
            }
        })
        .collect()
}

fn q_is_multi(form: &Form, id: &str) -> bool {
    form.question(id)
        .is_some_and(|q| q.kind == QuestionType::Multi)
}

/// A p-value as people read it: "p = 0.004", or "p < 0.001".
pub fn p_text(p: f64) -> String {
    if p < 0.001 {
        "p < 0.001".into()
    } else {
        format!("p = {p:.3}")
    }
}

/// Pairs of shown segments that no test between the two alone tells apart after Holm.
pub fn similar_segments(
    form: &Form,
    segment_by: &str,
    segments: &Shown,
    alpha: f64,
) -> Vec<SimilarPair> {
    let mut pairs = Vec::new();
    for (i, (a, sa)) in segments.iter().enumerate() {
        for (b, sb) in &segments[i + 1..] {
            let p_values = pair_tests(form, segment_by, sa, sb);
            if p_values.is_empty() {
                continue;
            }
            let adjusted = holm(&p_values);
            if adjusted.iter().all(|p| *p >= alpha) {
                pairs.push(SimilarPair {
                    segments: vec![a.to_string(), b.to_string()],
                    tests: u32::try_from(p_values.len()).unwrap_or(u32::MAX),
                    min_p_adjusted: adjusted.iter().copied().fold(1.0, f64::min),
                });
            }
        }
    }
    pairs
}

/// The p-values of every test that can be run between two segments: chi-square on each
/// single question (on the options either chose), Welch's t on each numeric one.
fn pair_tests(form: &Form, segment_by: &str, a: &SegmentStats, b: &SegmentStats) -> Vec<f64> {
    let mut p_values = Vec::new();
    for q in &comparable(form, segment_by) {
        match q.kind {
            QuestionType::Single => {
                let mut keys: Vec<String> = q.options.clone();
                if !keys.iter().any(|k| k == OTHER) {
                    keys.push(OTHER.into());
                }
                let chosen: Vec<&String> = keys
                    .iter()
                    .filter(|k| count(a, &q.id, k) + count(b, &q.id, k) > 0)
                    .collect();
                if chosen.len() < 2 {
                    continue;
                }
                let row = |s: &SegmentStats| chosen.iter().map(|k| count(s, &q.id, k)).collect();
                if let Some(test) = stats::chi_square(&[row(a), row(b)]) {
                    p_values.push(test.p_value);
                }
            }
            QuestionType::Scale | QuestionType::Nps | QuestionType::Number => {
                let (Some(ma), Some(mb)) = (moments(a, &q.id), moments(b, &q.id)) else {
                    continue;
                };
                if ma.n < 2.0 || mb.n < 2.0 {
                    continue;
                }
                if let Some(test) = stats::welch_t(&ma, &mb) {
                    p_values.push(test.p_value);
                }
            }
            _ => {}
        }
    }
    p_values
}
