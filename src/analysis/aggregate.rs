//! What each response adds to its report's per-segment sufficient statistics (the tally
//! types themselves are in `crate::tally`), and their moments.

use serde_json::Value;

use super::evidence::{day_of, day_tally, job_statements};
use super::stats::Moments;
use crate::form::{Form, QuestionType};
use crate::report::ReportDef;
use crate::store::StoredResponse;
use crate::tally::{
    JobStatement, QuestionTally, SCALE, SURVEY, SegmentStats, Sums, Tally, ThemeText,
    ThemeTextRecord,
};

/// The segment for responses whose segment question is unanswered.
pub const NO_ANSWER: &str = "No answer";
/// The segment (and choice bucket) for free-text "other" answers.
pub const OTHER: &str = "Other";

impl Sums {
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
            // A place is one byte of the key: a text's first 256 statements are kept.
            for (place, (when, want, so)) in (0..=u8::MAX).zip(job_statements(text)) {
                // The response id (time order), the question, then the statement's place.
                let mut key = order[1..].to_vec();
                key.push(place);
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
                // Validated whole numbers, so the key is always the integer's digits.
                let key =
                    crate::form::whole_number(value).map_or(value.to_string(), |w| w.to_string());
                question.counts.insert(key, 1);
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
