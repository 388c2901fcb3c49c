//! Matrix questions: rows answered on one shared set of options or one shared scale.
//!
//! Everywhere past the form file a row behaves as a question of its own, with id
//! `question_id[row]`: a single-choice question for a matrix of options, a scale for a matrix
//! of points. Reports, tests between segments and profile cards read those row questions, so
//! they need no matrix logic of their own.

use std::borrow::Cow;
use std::collections::{BTreeMap, HashSet};

use serde_json::Value;

use super::invalid::Invalid;
use super::load::{ProblemLog, check_options, check_scale};
use super::model::{Form, Question, QuestionType};
use super::validate::{Answers, is_given};

/// The id a row goes by in reports, cards and exports.
pub fn row_id(question: &str, row: &str) -> String {
    format!("{question}[{row}]")
}

pub(super) fn check_shape(q: &Question, label: &str, report: &mut ProblemLog) {
    if q.rows.is_empty() {
        report.add(format!("{label}: a matrix question needs rows"));
    }
    let mut seen = HashSet::new();
    for row in &q.rows {
        if row.trim().is_empty() {
            report.add(format!("{label}: a row is empty"));
        } else if row.contains('[') || row.contains(']') {
            // `[` and `]` delimit the row in `question_id[row]`, the row's id everywhere.
            report.add(format!("{label}: row '{row}' may not contain '[' or ']'"));
        } else if !seen.insert(row.as_str()) {
            report.add(format!("{label}: row '{row}' is listed twice"));
        }
    }
    if q.other {
        report.add(format!(
            "{label}: `other` does not apply to matrix questions"
        ));
    }
    let has_points = q.min.is_some() || q.max.is_some();
    match (q.options.is_empty(), has_points) {
        (false, true) => report.add(format!(
            "{label}: a matrix takes either options or min and max, not both"
        )),
        (false, false) => {
            check_options(q, label, report);
            if !q.labels.is_empty() {
                report.add(format!(
                    "{label}: labels only apply to a matrix rated on min and max"
                ));
            }
        }
        (true, true) => check_scale(q, label, report),
        (true, false) => report.add(format!(
            "{label}: a matrix needs options, or min and max for a rating scale"
        )),
    }
}

/// `rows` belong to matrix questions only.
pub(super) fn check_not_matrix(q: &Question, label: &str, report: &mut ProblemLog) {
    if q.kind != QuestionType::Matrix && !q.rows.is_empty() {
        report.add(format!("{label}: rows only apply to matrix questions"));
    }
}

/// Checks a matrix answer, `{"row": "option" or number}`, and returns it without empty
/// rows. One message names every bad row, so a respondent fixes them all at once.
pub(super) fn check_answer(q: &Question, value: &Value) -> Result<Value, Invalid> {
    let Value::Object(given) = value else {
        return Err(Invalid::MatrixNotObject);
    };
    let mut problems = Vec::new();
    for key in given.keys() {
        if !q.rows.iter().any(|r| r == key) {
            problems.push(Invalid::MatrixNotARow { key: key.clone() });
        }
    }
    let mut clean = serde_json::Map::new();
    let mut missing = Vec::new();
    for row in &q.rows {
        match given.get(row).filter(|v| is_given(v)) {
            None => missing.push(row.clone()),
            Some(answer) => match check_cell(q, answer) {
                Ok(cell) => {
                    clean.insert(row.clone(), cell);
                }
                Err(why) => problems.push(Invalid::MatrixRow {
                    row: row.clone(),
                    why: Box::new(why),
                }),
            },
        }
    }
    if q.required && !missing.is_empty() {
        problems.push(Invalid::MatrixRowsMissing { rows: missing });
    }
    match problems.len() {
        0 => Ok(Value::Object(clean)),
        1 => Err(problems.remove(0)),
        _ => Err(Invalid::Several(problems)),
    }
}

fn check_cell(q: &Question, answer: &Value) -> Result<Value, Invalid> {
    if !q.is_scale_matrix() {
        return match answer {
            Value::String(s) if q.options.contains(s) => Ok(answer.clone()),
            _ => Err(Invalid::NotOneOf {
                options: q.options.clone(),
            }),
        };
    }
    let (min, max) = (q.min.unwrap_or(0.0), q.max.unwrap_or(0.0));
    let within = answer.as_f64().filter(|n| *n >= min && *n <= max);
    match within.and_then(super::whole_number) {
        Some(n) => Ok(Value::Number(serde_json::Number::from(n))),
        None => Err(Invalid::WholeFromTo { min, max }),
    }
}

/// A matrix's rows as the questions reports read: single choice on the options, or a scale.
pub fn row_questions(q: &Question) -> Vec<Question> {
    q.rows
        .iter()
        .map(|row| Question {
            id: row_id(&q.id, row),
            kind: if q.is_scale_matrix() {
                QuestionType::Scale
            } else {
                QuestionType::Single
            },
            text: format!("{} — {row}", q.text),
            rows: Vec::new(),
            required: false,
            ..q.clone()
        })
        .collect()
}

/// The questions as analysis sees them: each matrix replaced by its rows, in place. Borrowed
/// where they are the form's own: every submission asks for them, once per report.
pub fn analysed_questions(questions: &[Question]) -> Vec<Cow<'_, Question>> {
    let mut out = Vec::with_capacity(questions.len());
    for q in questions {
        if q.kind == QuestionType::Matrix {
            out.extend(row_questions(q).into_iter().map(Cow::Owned));
        } else {
            out.push(Cow::Borrowed(q));
        }
    }
    out
}

/// Answers with each matrix answer also given per row, under the row's id, so that the row
/// questions of `analysed_questions` find theirs.
pub fn flatten_answers<'a>(form: &Form, answers: &'a Answers) -> Cow<'a, Answers> {
    let matrices: Vec<&Question> = form
        .questions
        .iter()
        .filter(|q| q.kind == QuestionType::Matrix && answers.contains_key(&q.id))
        .collect();
    if matrices.is_empty() {
        return Cow::Borrowed(answers);
    }
    let mut flat: BTreeMap<String, Value> = answers.clone();
    for q in matrices {
        if let Some(Value::Object(rows)) = answers.get(&q.id) {
            for (row, answer) in rows {
                flat.insert(row_id(&q.id, row), answer.clone());
            }
        }
    }
    Cow::Owned(flat)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn matrix(options: &[&str], required: bool) -> Question {
        Question {
            id: "sat".into(),
            kind: QuestionType::Matrix,
            text: "How satisfied are you with".into(),
            help: None,
            required,
            options: options.iter().map(|o| o.to_string()).collect(),
            other: false,
            min: options.is_empty().then_some(1.0),
            max: options.is_empty().then_some(5.0),
            labels: vec![],
            rows: vec!["Speed".into(), "Price".into()],
            max_ranked: None,
            shuffle: false,
            keep_last: vec![],
            integer: false,
            show_if: None,
            tags: vec!["pain".into()],
            pii: false,
            condition: None,
        }
    }

    #[test]
    fn every_bad_row_is_named_in_one_message() {
        let q = matrix(&["Low", "High"], true);
        let err = check_answer(&q, &json!({"Speed": "Medium", "Colour": "Low"}))
            .unwrap_err()
            .to_string();
        assert!(err.contains("'Colour' is not a row"), "{err}");
        assert!(
            err.contains("row 'Speed' must be one of 'Low', 'High'"),
            "{err}"
        );
        assert!(err.contains("every row needs an answer: 'Price'"), "{err}");
        assert_eq!(
            check_answer(&q, &json!({"Speed": "Low", "Price": "High"})).unwrap(),
            json!({"Speed": "Low", "Price": "High"})
        );
    }

    #[test]
    fn a_rating_matrix_takes_whole_points_in_range_and_optional_rows_may_be_left() {
        let q = matrix(&[], false);
        assert_eq!(
            check_answer(&q, &json!({"Speed": 4.0, "Price": null})).unwrap(),
            json!({"Speed": 4})
        );
        assert!(check_answer(&q, &json!({"Speed": 6})).is_err());
        assert!(check_answer(&q, &json!({"Speed": 2.5})).is_err());
        assert!(check_answer(&q, &json!(["Speed"])).is_err());
    }

    #[test]
    fn rows_become_questions_of_their_own_with_the_matrix_tags() {
        let rows = row_questions(&matrix(&[], true));
        assert_eq!(rows[1].id, "sat[Price]");
        assert_eq!(rows[1].kind, QuestionType::Scale);
        assert_eq!(rows[1].tags, vec!["pain".to_string()]);
        assert!(!rows[1].required);
        assert_eq!(
            row_questions(&matrix(&["a"], true))[0].kind,
            QuestionType::Single
        );
    }
}
