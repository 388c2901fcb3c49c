//! The responses CSV: one row per response, written as it is read from the store.
//!
//! Columns: `response_id`, `submitted_at`, `form_revision`, the hidden fields, then one column
//! per question in form order (`multi` as one 0/1 column per option). Questions and options
//! that only older revisions had follow, so editing a form never hides collected answers.

use std::collections::BTreeSet;
use std::io::Write;

use serde_json::Value;

use super::{ExportError, guard_formula};
use crate::form::{Form, Question, QuestionType};
use crate::store::{ResponseIter, StoredResponse};

#[derive(Debug, Clone, Copy, Default)]
pub struct ExportOptions {
    pub include_pii: bool,
    pub byte_order_mark: bool,
}

enum Column {
    ResponseId,
    SubmittedAt,
    Revision,
    Hidden(String),
    Answer(AnswerColumn),
    MultiOption {
        question: String,
        option: String,
    },
    /// The free text of a `multi` answer outside the options ("other").
    MultiOther {
        question: String,
        options: BTreeSet<String>,
    },
}

struct AnswerColumn {
    question: String,
    /// Values that come from the form file, written without the formula guard.
    options: BTreeSet<String>,
}

/// A question as seen across revisions: the newest definition, with every option ever offered.
struct MergedQuestion<'a> {
    question: &'a Question,
    options: Vec<String>,
}

fn merge_questions<'a>(current: &'a Form, older: &'a [Form]) -> Vec<MergedQuestion<'a>> {
    let mut merged: Vec<MergedQuestion> = current
        .questions
        .iter()
        .map(|q| MergedQuestion {
            question: q,
            options: q.options.clone(),
        })
        .collect();
    for form in older.iter().rev() {
        for q in &form.questions {
            match merged.iter_mut().find(|m| m.question.id == q.id) {
                Some(existing) => {
                    for option in &q.options {
                        if !existing.options.contains(option) {
                            existing.options.push(option.clone());
                        }
                    }
                }
                None => merged.push(MergedQuestion {
                    question: q,
                    options: q.options.clone(),
                }),
            }
        }
    }
    merged
}

fn plan_columns(current: &Form, older: &[Form], options: ExportOptions) -> Vec<Column> {
    let mut columns = vec![Column::ResponseId, Column::SubmittedAt, Column::Revision];
    let mut hidden: Vec<&String> = current.hidden.iter().collect();
    for form in older.iter().rev() {
        for name in &form.hidden {
            if !hidden.contains(&name) {
                hidden.push(name);
            }
        }
    }
    columns.extend(hidden.into_iter().map(|h| Column::Hidden(h.clone())));
    for merged in merge_questions(current, older) {
        let q = merged.question;
        if q.pii && !options.include_pii {
            continue;
        }
        let known: BTreeSet<String> = merged.options.iter().cloned().collect();
        if q.kind == QuestionType::Multi {
            for option in &merged.options {
                columns.push(Column::MultiOption {
                    question: q.id.clone(),
                    option: option.clone(),
                });
            }
            if q.other {
                columns.push(Column::MultiOther {
                    question: q.id.clone(),
                    options: known,
                });
            }
        } else {
            columns.push(Column::Answer(AnswerColumn {
                question: q.id.clone(),
                options: known,
            }));
        }
    }
    columns
}

fn header(column: &Column) -> String {
    match column {
        Column::ResponseId => "response_id".into(),
        Column::SubmittedAt => "submitted_at".into(),
        Column::Revision => "form_revision".into(),
        Column::Hidden(name) => name.clone(),
        Column::Answer(a) => a.question.clone(),
        Column::MultiOption { question, option } => format!("{question}[{option}]"),
        Column::MultiOther { question, .. } => format!("{question}[other]"),
    }
}

fn cell(column: &Column, response: &StoredResponse) -> String {
    match column {
        Column::ResponseId => response.id.to_string(),
        Column::SubmittedAt => response.submitted_at.clone(),
        Column::Revision => response.form_revision.clone(),
        Column::Hidden(name) => response
            .hidden
            .get(name)
            .map(|v| guard_formula(v))
            .unwrap_or_default(),
        Column::Answer(a) => match response.answers.get(&a.question) {
            None | Some(Value::Null) => String::new(),
            Some(Value::String(s)) if a.options.contains(s) => s.clone(),
            Some(Value::String(s)) => guard_formula(s),
            Some(Value::Number(n)) => n.to_string(),
            Some(Value::Bool(b)) => b.to_string(),
            // A question whose type changed from multi: keep every chosen value visible.
            Some(Value::Array(items)) => guard_formula(
                &items
                    .iter()
                    .filter_map(Value::as_str)
                    .collect::<Vec<_>>()
                    .join("; "),
            ),
            Some(other) => guard_formula(&other.to_string()),
        },
        Column::MultiOption { question, option } => match response.answers.get(question) {
            Some(Value::Array(items)) => {
                let chosen = items.iter().any(|i| i.as_str() == Some(option.as_str()));
                if chosen { "1" } else { "0" }.into()
            }
            _ => String::new(),
        },
        Column::MultiOther { question, options } => match response.answers.get(question) {
            Some(Value::Array(items)) => items
                .iter()
                .filter_map(Value::as_str)
                .find(|s| !options.contains(*s))
                .map(guard_formula)
                .unwrap_or_default(),
            _ => String::new(),
        },
    }
}

/// Writes the whole CSV; `older` are the stored revisions of the form, oldest first.
pub fn write_responses_csv<W: Write>(
    out: W,
    current: &Form,
    older: &[Form],
    responses: ResponseIter,
    options: ExportOptions,
) -> Result<(), ExportError> {
    let columns = plan_columns(current, older, options);
    let mut writer = super::csv_writer(out, options.byte_order_mark)?;
    writer.write_record(columns.iter().map(header))?;
    let mut record: Vec<String> = Vec::with_capacity(columns.len());
    for response in responses {
        let response = response?;
        record.clear();
        record.extend(columns.iter().map(|c| cell(c, &response)));
        writer.write_record(&record)?;
    }
    writer.flush()?;
    Ok(())
}
