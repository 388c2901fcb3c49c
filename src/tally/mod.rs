//! The tallies that responses and notes add to report aggregates, shared by the analysis
//! that computes them and the stores that keep them: the one module both sides use, so
//! neither depends on the other.
//!
//! Sums are fixed-point integers (micro-units; squares in pico-units) so that adding and then
//! subtracting a response restores exactly the same state, and incremental updates equal a
//! rebuild from scratch bit for bit, whatever the order.

mod counters;

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

pub use counters::Counter;

/// Fixed-point units per 1.0 in `Sums`.
pub const SCALE: i128 = 1_000_000;

pub const SURVEY: &str = "survey";
pub const INTERVIEW: &str = "interview";

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Sums {
    pub n: i64,
    pub sum: i128,
    pub sum_sq: i128,
}

impl Sums {
    #[allow(
        clippy::cast_possible_truncation,
        reason = "answers are bounded by the form (numbers by NUMBER_LIMIT), far inside i128"
    )]
    pub(crate) fn of(value: f64) -> Sums {
        let fixed = (value * SCALE as f64).round() as i128;
        Sums {
            n: 1,
            sum: fixed,
            sum_sq: fixed.saturating_mul(fixed),
        }
    }

    pub fn add(&mut self, other: &Sums, sign: i64) {
        let s = sign as i128;
        self.n += sign * other.n;
        self.sum += s * other.sum;
        self.sum_sq = self.sum_sq.saturating_add(s.saturating_mul(other.sum_sq));
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct QuestionTally {
    /// Responses in the segment that answered the question.
    pub answered: i64,
    /// Choice counts (single, multi) or value counts (scale, nps).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub counts: BTreeMap<String, i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sums: Option<Sums>,
}

impl QuestionTally {
    fn is_empty(&self) -> bool {
        self.answered == 0 && self.counts.is_empty() && self.sums.is_none()
    }
}

/// Texts that mention a theme, and how often they do.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ThemeTally {
    pub texts: i64,
    pub mentions: i64,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SegmentStats {
    pub responses: i64,
    #[serde(default)]
    pub questions: BTreeMap<String, QuestionTally>,
    /// Theme, then source (`survey`, `interview` or the name of a report's outside source).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub themes: BTreeMap<String, BTreeMap<String, ThemeTally>>,
    /// Outside texts (support tickets, reviews, sales-call notes) by source name, whether or
    /// not they mention a theme: which angles a segment's card rests on.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub texts: BTreeMap<String, i64>,
}

impl SegmentStats {
    /// Adds (`sign` = 1) or removes (`sign` = -1) another tally. Entries that fall to zero
    /// are dropped, so the result is the same as if the removed response had never come.
    pub fn add(&mut self, other: &SegmentStats, sign: i64) {
        self.responses += sign * other.responses;
        for (id, tally) in &other.questions {
            let mine = self.questions.entry(id.clone()).or_default();
            mine.answered += sign * tally.answered;
            for (key, count) in &tally.counts {
                let entry = mine.counts.entry(key.clone()).or_default();
                *entry += sign * count;
                if *entry == 0 {
                    mine.counts.remove(key);
                }
            }
            if let Some(sums) = &tally.sums {
                let merged = mine.sums.get_or_insert_with(Sums::default);
                merged.add(sums, sign);
                if *merged == Sums::default() {
                    mine.sums = None;
                }
            }
            if mine.is_empty() {
                self.questions.remove(id);
            }
        }
        for (theme, sources) in &other.themes {
            let mine = self.themes.entry(theme.clone()).or_default();
            for (source, tally) in sources {
                let entry = mine.entry(source.clone()).or_default();
                entry.texts += sign * tally.texts;
                entry.mentions += sign * tally.mentions;
                if *entry == ThemeTally::default() {
                    mine.remove(source);
                }
            }
            if mine.is_empty() {
                self.themes.remove(theme);
            }
        }
        for (source, count) in &other.texts {
            let entry = self.texts.entry(source.clone()).or_default();
            *entry += sign * count;
            if *entry == 0 {
                self.texts.remove(source);
            }
        }
    }

    pub fn is_empty(&self) -> bool {
        self.responses == 0
            && self.questions.is_empty()
            && self.themes.is_empty()
            && self.texts.is_empty()
    }
}

/// Where a theme was found, kept so a report can quote it and list it in the drill-down.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ThemeTextRecord {
    pub text: String,
    /// `survey`, `interview` or an outside source's name.
    pub source: String,
    /// `quote` or `note` for interview notes, `answer` for survey answers, `text` for
    /// outside texts.
    pub kind: String,
    pub segment: String,
    /// Byte ranges of the matched words in `text`.
    pub spans: Vec<(usize, usize)>,
    /// The question id, or the interview's participant label and note number.
    pub origin: String,
}

/// One text's entry under one theme. `order` sorts entries: interview quotes first, then
/// notes, then survey answers, each in time order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ThemeText {
    pub theme: String,
    pub order: Vec<u8>,
    pub record: ThemeTextRecord,
}

/// Everything one response or note adds to one report.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Tally {
    pub segment: String,
    pub stats: SegmentStats,
    pub texts: Vec<ThemeText>,
    /// Uncoded words and phrases, one per occurrence.
    pub terms: Vec<String>,
    /// Loyalty counts by UTC day, for activations' figures before and since a date.
    pub days: BTreeMap<String, DayTally>,
    /// When each response came, by its sort key (response ids sort by time): the period.
    pub submitted: Vec<(Vec<u8>, String)>,
    /// Job statements in survey answers, by sort key.
    pub jobs: Vec<(Vec<u8>, JobStatement)>,
}

/// The loyalty counts of one segment on one day (UTC).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DayTally {
    pub responses: i64,
    #[serde(default)]
    pub promoters: i64,
    #[serde(default)]
    pub passives: i64,
    #[serde(default)]
    pub detractors: i64,
    #[serde(default)]
    pub pmf_answered: i64,
    /// Answers with the `pmf` question's first option ("Very disappointed").
    #[serde(default)]
    pub pmf_success: i64,
}

impl DayTally {
    pub fn add(&mut self, other: &DayTally, sign: i64) {
        self.responses += sign * other.responses;
        self.promoters += sign * other.promoters;
        self.passives += sign * other.passives;
        self.detractors += sign * other.detractors;
        self.pmf_answered += sign * other.pmf_answered;
        self.pmf_success += sign * other.pmf_success;
    }

    pub fn is_empty(&self) -> bool {
        *self == DayTally::default()
    }

    pub fn nps_answered(&self) -> i64 {
        self.promoters + self.passives + self.detractors
    }
}

/// A job statement, split into its three parts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct JobStatement {
    pub when: String,
    pub want: String,
    pub so: String,
    /// `survey` or `interview`.
    pub source: String,
    /// RFC 3339: when the answer or note was given (newest first on cards).
    pub at: String,
}

/// What one response or note adds to (or, erased, takes from) one report.
#[derive(Debug, Clone, PartialEq)]
pub struct Contribution {
    pub report: String,
    pub tally: Tally,
}

/// One contribution per report and segment, so that a batch reads and writes each segment's
/// records once.
pub fn merge_by_segment(contributions: Vec<Contribution>) -> Vec<Contribution> {
    let mut merged: BTreeMap<(String, String), Contribution> = BTreeMap::new();
    for c in contributions {
        let entry = merged
            .entry((c.report.clone(), c.tally.segment.clone()))
            .or_insert_with(|| Contribution {
                report: c.report.clone(),
                tally: Tally {
                    segment: c.tally.segment.clone(),
                    ..Default::default()
                },
            });
        entry.tally.stats.add(&c.tally.stats, 1);
        entry.tally.texts.extend(c.tally.texts);
        entry.tally.terms.extend(c.tally.terms);
        for (day, tally) in c.tally.days {
            entry.tally.days.entry(day).or_default().add(&tally, 1);
        }
        entry.tally.submitted.extend(c.tally.submitted);
        entry.tally.jobs.extend(c.tally.jobs);
    }
    merged.into_values().collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn adding_then_removing_restores_the_same_state() {
        let mut total = SegmentStats::default();
        let a = SegmentStats {
            responses: 1,
            texts: BTreeMap::new(),
            themes: BTreeMap::from([(
                "Price".to_string(),
                BTreeMap::from([(
                    "survey".to_string(),
                    ThemeTally {
                        texts: 1,
                        mentions: 2,
                    },
                )]),
            )]),
            questions: BTreeMap::from([(
                "nps".to_string(),
                QuestionTally {
                    answered: 1,
                    counts: BTreeMap::from([("7".to_string(), 1)]),
                    sums: Some(Sums::of(7.0)),
                },
            )]),
        };
        let b = SegmentStats {
            responses: 1,
            themes: BTreeMap::new(),
            texts: BTreeMap::from([("support".to_string(), 2)]),
            questions: BTreeMap::from([(
                "seats".to_string(),
                QuestionTally {
                    answered: 1,
                    counts: BTreeMap::new(),
                    sums: Some(Sums::of(0.1)),
                },
            )]),
        };
        total.add(&a, 1);
        let only_a = total.clone();
        total.add(&b, 1);
        total.add(&b, -1);
        assert_eq!(total, only_a);
        total.add(&a, -1);
        assert_eq!(total, SegmentStats::default());
    }
}
