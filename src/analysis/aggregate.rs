//! Per-segment sufficient statistics, kept up to date as responses arrive and are erased.
//!
//! Sums are fixed-point integers (micro-units; squares in pico-units) so that adding and then
//! subtracting a response restores exactly the same state, and incremental updates equal a
//! rebuild from scratch bit for bit, whatever the order.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;

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
    fn of(value: f64) -> Sums {
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

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SegmentStats {
    pub responses: i64,
    #[serde(default)]
    pub questions: BTreeMap<String, QuestionTally>,
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
    }

    pub fn is_empty(&self) -> bool {
        self.responses == 0 && self.questions.is_empty()
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

/// What one response adds to its segment of one report.
pub fn contribution(
    report: &ReportDef,
    form: &Form,
    response: &StoredResponse,
) -> (String, SegmentStats) {
    let mut stats = SegmentStats {
        responses: 1,
        questions: BTreeMap::new(),
    };
    for q in &form.questions {
        if q.pii || q.id == report.segment_by {
            continue;
        }
        let Some(answer) = response.answers.get(&q.id) else {
            continue;
        };
        let mut tally = QuestionTally {
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
                tally.counts.insert(bucket(choice), 1);
            }
            (QuestionType::Multi, Value::Array(items)) => {
                for choice in items.iter().filter_map(Value::as_str) {
                    *tally.counts.entry(bucket(choice)).or_default() += 1;
                }
            }
            (QuestionType::Scale | QuestionType::Nps, Value::Number(n)) => {
                let value = n.as_f64().unwrap_or_default();
                tally.counts.insert(format!("{}", value as i64), 1);
                tally.sums = Some(Sums::of(value));
            }
            (QuestionType::Number, Value::Number(n)) => {
                tally.sums = Some(Sums::of(n.as_f64().unwrap_or_default()));
            }
            // Text answers feed theme counts, not these statistics; a type changed since
            // the answer was given is left out rather than miscounted.
            _ => continue,
        }
        stats.questions.insert(q.id.clone(), tally);
    }
    (segment_of(form, &report.segment_by, response), stats)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn adding_then_removing_restores_the_same_state() {
        let mut total = SegmentStats::default();
        let a = SegmentStats {
            responses: 1,
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
