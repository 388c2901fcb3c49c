//! Per-segment sufficient statistics, kept up to date as responses arrive and are erased.
//!
//! Sums are fixed-point integers (micro-units; squares in pico-units) so that adding and then
//! subtracting a response restores exactly the same state, and incremental updates equal a
//! rebuild from scratch bit for bit, whatever the order.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::evidence::{DayTally, JobStatement, day_of, day_tally, job_statements};
use super::stats::Moments;
use crate::form::{Form, QuestionType};
use crate::report::ReportDef;
use crate::store::StoredResponse;

const SCALE: i128 = 1_000_000;

/// The segment for responses whose segment question is unanswered.
pub const NO_ANSWER: &str = "No answer";
/// The segment (and choice bucket) for free-text "other" answers.
pub const OTHER: &str = "Other";

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Sums {
    pub n: i64,
    pub sum: i128,
    pub sum_sq: i128,
}

impl Sums {
    pub(crate) fn of(value: f64) -> Sums {
        let fixed = (value * SCALE as f64).round() as i128;
        Sums {
            n: 1,
            sum: fixed,
            sum_sq: fixed.saturating_mul(fixed),
        }
    }

    fn add(&mut self, other: &Sums, sign: i64) {
        let s = sign as i128;
        self.n += sign * other.n;
        self.sum += s * other.sum;
        self.sum_sq = self.sum_sq.saturating_add(s.saturating_mul(other.sum_sq));
    }

    pub fn moments(&self) -> Moments {
        let n = self.n as f64;
        if self.n <= 0 {
            return Moments {
                n: 0.0,
                mean: 0.0,
                m2: 0.0,
            };
        }
        let mean = self.sum as f64 / SCALE as f64 / n;
        // n·Σx² − (Σx)², exact in integers where it fits: no cancellation error.
        let m2 = (self.n as i128)
            .checked_mul(self.sum_sq)
            .zip(self.sum.checked_mul(self.sum))
            .and_then(|(a, b)| a.checked_sub(b))
            .map(|numerator| numerator as f64 / n / (SCALE * SCALE) as f64)
            .unwrap_or_else(|| {
                let sum = self.sum as f64 / SCALE as f64;
                self.sum_sq as f64 / (SCALE * SCALE) as f64 - sum * sum / n
            });
        Moments {
            n,
            mean,
            m2: m2.max(0.0),
        }
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
    /// Theme, then source (`survey` or `interview`).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub themes: BTreeMap<String, BTreeMap<String, ThemeTally>>,
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
    }

    pub fn is_empty(&self) -> bool {
        self.responses == 0 && self.questions.is_empty() && self.themes.is_empty()
    }
}

/// The segment a response belongs to under a report's `segment_by`.
pub fn segment_of(form: &Form, segment_by: &str, response: &StoredResponse) -> String {
    let options = form
        .question(segment_by)
        .map(|q| q.options.as_slice())
        .unwrap_or_default();
    match response.answers.get(segment_by) {
        Some(Value::String(choice)) if options.contains(choice) => choice.clone(),
        Some(Value::String(_)) => OTHER.into(),
        _ => NO_ANSWER.into(),
    }
}

/// Where a theme was found, kept so a report can quote it and list it in the drill-down.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ThemeTextRecord {
    pub text: String,
    /// `survey` or `interview`.
    pub source: String,
    /// `quote` or `note` for interview notes, `answer` for survey answers.
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

pub const SURVEY: &str = "survey";
pub const INTERVIEW: &str = "interview";

/// Where a text comes from: its source, its kind, its sort key and a label for people.
pub struct TextOrigin<'a> {
    pub source: &'a str,
    pub kind: &'a str,
    pub order: Vec<u8>,
    pub label: String,
}

/// Counts one text's themes (or, if it has none, its terms) into `tally`; returns the
/// names of the themes it mentions.
pub fn count_text(
    report: &ReportDef,
    text: &str,
    origin: TextOrigin,
    tally: &mut Tally,
) -> Vec<String> {
    let analysis = report.codebook.analyse(text);
    let mut names = Vec::new();
    for found in &analysis.found {
        let name = &report.codebook.names[found.theme];
        let entry = tally
            .stats
            .themes
            .entry(name.clone())
            .or_default()
            .entry(origin.source.to_string())
            .or_default();
        entry.texts += 1;
        entry.mentions += found.spans.len() as i64;
        names.push(name.clone());
        tally.texts.push(ThemeText {
            theme: name.clone(),
            order: origin.order.clone(),
            record: ThemeTextRecord {
                text: text.to_string(),
                source: origin.source.to_string(),
                kind: origin.kind.to_string(),
                segment: tally.segment.clone(),
                spans: found.spans.clone(),
                origin: origin.label.clone(),
            },
        });
    }
    tally.terms.extend(analysis.uncoded_terms);
    names
}

/// What one response adds to its segment of one report.
pub fn contribution(report: &ReportDef, form: &Form, response: &StoredResponse) -> Tally {
    let segment = segment_of(form, &report.segment_by, response);
    contribution_in(report, form, response, segment)
}

/// The same, in a segment found elsewhere (a contact's attribute).
pub fn contribution_in(
    report: &ReportDef,
    form: &Form,
    response: &StoredResponse,
    segment: String,
) -> Tally {
    let mut tally = Tally {
        segment,
        stats: SegmentStats {
            responses: 1,
            ..SegmentStats::default()
        },
        ..Tally::default()
    };
    tally
        .days
        .insert(day_of(&response.submitted_at), day_tally(form, response));
    tally.submitted.push((
        response.id.as_bytes().to_vec(),
        response.submitted_at.clone(),
    ));
    // Matrix rows are questions of their own here, each reading its row of the answer.
    let answers = crate::form::matrix::flatten_answers(form, &response.answers);
    for q in &crate::form::matrix::analysed_questions(&form.questions) {
        if q.pii || q.id == report.segment_by {
            continue;
        }
        let Some(answer) = answers.get(&q.id) else {
            continue;
        };
        if q.kind == QuestionType::Ranking {
            super::ranking::tally(q, answer, &mut tally.stats.questions);
            continue;
        }
        if let (QuestionType::Text | QuestionType::LongText, Value::String(text)) = (q.kind, answer)
        {
            let mut order = vec![2];
            order.extend_from_slice(response.id.as_bytes());
            order.extend_from_slice(q.id.as_bytes());
            let origin = TextOrigin {
                source: SURVEY,
                kind: "answer",
                order: order.clone(),
                label: q.id.clone(),
            };
            // A text question's tally counts, per theme, the answers that mention it: the
            // card's top themes of that question.
            let themes = count_text(report, text, origin, &mut tally);
            tally.stats.questions.insert(
                q.id.clone(),
                QuestionTally {
                    answered: 1,
                    counts: themes.into_iter().map(|t| (t, 1)).collect(),
                    sums: None,
                },
            );
            for (i, (when, want, so)) in job_statements(text).into_iter().enumerate() {
                // The response id (time order), the question, then the statement's place.
                let mut key = order[1..].to_vec();
                key.push(i as u8);
                tally.jobs.push((
                    key,
                    JobStatement {
                        when,
                        want,
                        so,
                        source: SURVEY.into(),
                        at: response.submitted_at.clone(),
                    },
                ));
            }
            continue;
        }
        let mut question = QuestionTally {
            answered: 1,
            ..QuestionTally::default()
        };
        let bucket = |choice: &str| {
            if q.options.iter().any(|o| o == choice) {
                choice.to_string()
            } else {
                OTHER.to_string()
            }
        };
        match (q.kind, answer) {
            (QuestionType::Single, Value::String(choice)) => {
                question.counts.insert(bucket(choice), 1);
            }
            (QuestionType::Multi, Value::Array(items)) => {
                for choice in items.iter().filter_map(Value::as_str) {
                    *question.counts.entry(bucket(choice)).or_default() += 1;
                }
            }
            (QuestionType::Scale | QuestionType::Nps, Value::Number(n)) => {
                let value = n.as_f64().unwrap_or_default();
                question.counts.insert(format!("{}", value as i64), 1);
                question.sums = Some(Sums::of(value));
            }
            (QuestionType::Number, Value::Number(n)) => {
                question.sums = Some(Sums::of(n.as_f64().unwrap_or_default()));
            }
            // A type changed since the answer was given: left out rather than miscounted.
            _ => continue,
        }
        tally.stats.questions.insert(q.id.clone(), question);
    }
    tally
}

/// The segment an interview belongs to: its participant attribute named by `segment_by`.
pub fn interview_segment(
    guide: Option<&Form>,
    segment_by: &str,
    attributes: &crate::form::Answers,
) -> String {
    let options = guide
        .and_then(|g| g.question(segment_by))
        .map(|q| q.options.as_slice())
        .unwrap_or_default();
    match attributes.get(segment_by) {
        Some(Value::String(choice)) if options.contains(choice) => choice.clone(),
        Some(Value::String(_)) => OTHER.into(),
        _ => NO_ANSWER.into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn adding_then_removing_restores_the_same_state() {
        let mut total = SegmentStats::default();
        let a = SegmentStats {
            responses: 1,
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

    #[test]
    fn moments_from_fixed_point_sums() {
        let mut sums = Sums::default();
        for v in [7.0, 9.0, 10.0, 6.0, 8.0, 9.0, 3.0, 10.0] {
            sums.add(&Sums::of(v), 1);
        }
        let m = sums.moments();
        assert_eq!(m.mean, 7.75);
        // Σ(x − mean)² of the same data, by hand: 39.5.
        assert_eq!(m.m2, 39.5);
    }
}
