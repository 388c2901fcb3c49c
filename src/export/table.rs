//! The responses as a table: columns planned once from the form and its older revisions,
//! then typed cells per response. The CSV writes the cells as text; typed formats (XLSX,
//! SPSS) keep what each column is — a choice with its options, a number, a time, a 0/1 flag.
//!
//! Columns: `response_id`, `submitted_at`, `form_revision`, `language` (only for a form that
//! has or had `languages`: the page's language at submission), `consent_at` (only for a form
//! that has or had consent text), the hidden fields, then one column
//! per question in form order (`multi` as one 0/1 column per option, `matrix` one per row
//! `question_id[row]`, `ranking` one per option `question_id[option]` holding its rank, and
//! a shuffled question's `question_id[order]` after its columns). Questions and options
//! that only older revisions had follow, so editing a form never hides collected answers.
//! With partial responses among the rows, `completed` comes last: 1 for a submitted response,
//! which always has its receipt's hash, 0 for an unfinished one, which never had a receipt.

use std::borrow::Cow;
use std::collections::BTreeSet;

use serde_json::Value;

use super::responses::ExportOptions;
use crate::form::{Form, Question, QuestionType};
use crate::store::StoredResponse;

/// What a column holds.
#[derive(Debug, Clone, PartialEq)]
pub enum ColumnKind {
    /// The response id.
    Id,
    /// A time, RFC 3339 in UTC: `submitted_at`, `consent_at`.
    Time,
    /// Free text (hidden fields, text answers, an answer outside the options).
    Text,
    /// A single-choice answer: one of `options`, in form order, or free text ("other").
    Choice { options: Vec<String> },
    /// A number; `integer` when the question only takes whole numbers.
    Number { integer: bool },
    /// A scale or NPS answer: whole numbers from `min` to `max`, `labels` naming them.
    Scale {
        min: i64,
        max: i64,
        labels: Vec<String>,
    },
    /// One option of a multi question: 1 chosen, 0 not.
    Flag,
}

/// A column for people: its header, what it holds, and the question it comes from.
#[derive(Debug, Clone, PartialEq)]
pub struct ColumnInfo {
    pub name: String,
    /// The question's text (with the option for a multi column), or the header again.
    pub label: String,
    pub kind: ColumnKind,
    pub question: Option<String>,
}

/// One cell, borrowing what it can from the response it was read from: an export writes
/// millions of them and copies none it does not have to.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell<'a> {
    Empty,
    /// Text that comes from the form file (an option), safe as it is.
    Option(Cow<'a, str>),
    /// Text a respondent typed (or sent through a link): spreadsheets must not run it.
    Text(Cow<'a, str>),
    /// A number exactly as it was stored.
    Number(serde_json::Number),
    Flag(bool),
    /// RFC 3339 in UTC.
    Time(Cow<'a, str>),
    /// The response id, the form revision: identifiers, never formulas.
    Id(Cow<'a, str>),
}

enum Source {
    ResponseId,
    SubmittedAt,
    Revision,
    Language,
    ConsentAt,
    Hidden(String),
    Answer {
        question: String,
        /// Values that come from the form file, written without the formula guard.
        options: BTreeSet<String>,
    },
    MultiOption {
        question: String,
        option: String,
    },
    /// The free text of a `multi` answer outside the options ("other").
    MultiOther {
        question: String,
        options: BTreeSet<String>,
    },
    /// One row of a matrix answer.
    MatrixRow {
        question: String,
        row: String,
        options: BTreeSet<String>,
    },
    /// The rank a ranking answer gives one option, from 1.
    Rank {
        question: String,
        option: String,
    },
    /// The order a shuffled question showed its options (or rows) in, joined with `;`.
    Order {
        question: String,
    },
    Completed,
}

pub struct Table {
    sources: Vec<Source>,
    pub columns: Vec<ColumnInfo>,
}

pub(super) use super::merged::merge_questions;

fn answer_kind(q: &Question, options: &[String]) -> ColumnKind {
    match q.kind {
        QuestionType::Single => ColumnKind::Choice {
            options: options.to_vec(),
        },
        QuestionType::Scale | QuestionType::Nps => {
            let (min, max) = q.whole_bounds((0, 10));
            ColumnKind::Scale {
                min,
                max,
                labels: q.labels.clone(),
            }
        }
        QuestionType::Number => ColumnKind::Number { integer: q.integer },
        _ => ColumnKind::Text,
    }
}

impl Table {
    /// The columns of a form's export; `older` are its stored revisions, oldest first.
    pub fn plan(current: &Form, older: &[Form], options: ExportOptions) -> Table {
        let mut table = Table {
            sources: Vec::new(),
            columns: Vec::new(),
        };
        let mut push = |source: Source, name: String, label: String, kind, question| {
            table.sources.push(source);
            table.columns.push(ColumnInfo {
                name,
                label,
                kind,
                question,
            });
        };
        push(
            Source::ResponseId,
            "response_id".into(),
            "Response id".into(),
            ColumnKind::Id,
            None,
        );
        push(
            Source::SubmittedAt,
            "submitted_at".into(),
            "Submitted at (UTC)".into(),
            ColumnKind::Time,
            None,
        );
        push(
            Source::Revision,
            "form_revision".into(),
            "Form revision".into(),
            ColumnKind::Id,
            None,
        );
        if std::iter::once(current)
            .chain(older)
            .any(|f| f.has_languages())
        {
            push(
                Source::Language,
                "language".into(),
                "Language".into(),
                ColumnKind::Id,
                None,
            );
        }
        if std::iter::once(current)
            .chain(older)
            .any(|f| f.consent.is_some())
        {
            push(
                Source::ConsentAt,
                "consent_at".into(),
                "Consent given at (UTC)".into(),
                ColumnKind::Time,
                None,
            );
        }
        let mut hidden: Vec<&String> = current.hidden.iter().collect();
        for form in older.iter().rev() {
            for name in &form.hidden {
                if !hidden.contains(&name) {
                    hidden.push(name);
                }
            }
        }
        for h in hidden {
            push(
                Source::Hidden(h.clone()),
                h.clone(),
                h.clone(),
                ColumnKind::Text,
                None,
            );
        }
        for merged in merge_questions(current, older) {
            let q = merged.question;
            if q.pii && !options.include_pii {
                continue;
            }
            let known: BTreeSet<String> = merged.options.iter().cloned().collect();
            if q.kind == QuestionType::Multi {
                for option in &merged.options {
                    push(
                        Source::MultiOption {
                            question: q.id.clone(),
                            option: option.clone(),
                        },
                        format!("{}[{option}]", q.id),
                        format!("{}: {option}", q.text),
                        ColumnKind::Flag,
                        Some(q.id.clone()),
                    );
                }
                if q.other {
                    push(
                        Source::MultiOther {
                            question: q.id.clone(),
                            options: known,
                        },
                        format!("{}[other]", q.id),
                        format!("{}: other", q.text),
                        ColumnKind::Text,
                        Some(q.id.clone()),
                    );
                }
            } else if q.kind == QuestionType::Matrix {
                // A matrix row's cells are coded like the question type the row reports as.
                let kind = if q.is_scale_matrix() {
                    answer_kind(
                        &Question {
                            kind: QuestionType::Scale,
                            ..q.clone()
                        },
                        &[],
                    )
                } else {
                    ColumnKind::Choice {
                        options: merged.options.clone(),
                    }
                };
                for row in &merged.rows {
                    push(
                        Source::MatrixRow {
                            question: q.id.clone(),
                            row: row.clone(),
                            options: known.clone(),
                        },
                        crate::form::matrix::row_id(&q.id, row),
                        format!("{}: {row}", q.text),
                        kind.clone(),
                        Some(q.id.clone()),
                    );
                }
            } else if q.kind == QuestionType::Ranking {
                for option in &merged.options {
                    push(
                        Source::Rank {
                            question: q.id.clone(),
                            option: option.clone(),
                        },
                        crate::form::ranking::option_id(&q.id, option),
                        format!("{}: rank of {option}", q.text),
                        ColumnKind::Number { integer: true },
                        Some(q.id.clone()),
                    );
                }
            } else {
                push(
                    Source::Answer {
                        question: q.id.clone(),
                        options: known,
                    },
                    q.id.clone(),
                    q.text.clone(),
                    answer_kind(q, &merged.options),
                    Some(q.id.clone()),
                );
            }
            // After the question's own columns, for a question shuffled in some revision.
            let shuffled = std::iter::once(current)
                .chain(older)
                .filter_map(|f| f.question(&q.id))
                .any(|q| q.shuffle);
            if shuffled {
                push(
                    Source::Order {
                        question: q.id.clone(),
                    },
                    format!("{}[{}]", q.id, crate::form::shuffle::ORDER),
                    format!("{}: order shown", q.text),
                    ColumnKind::Text,
                    Some(q.id.clone()),
                );
            }
        }
        if options.include_partial {
            push(
                Source::Completed,
                "completed".into(),
                "Completed (1) or unfinished (0)".into(),
                ColumnKind::Flag,
                None,
            );
        }
        table
    }

    /// How many columns describe the response rather than answer it (its id, times,
    /// revision, language and hidden fields): other joined columns go after these.
    pub fn leading(&self) -> usize {
        self.sources
            .iter()
            .take_while(|s| {
                matches!(
                    s,
                    Source::ResponseId
                        | Source::SubmittedAt
                        | Source::Revision
                        | Source::Language
                        | Source::ConsentAt
                        | Source::Hidden(_)
                )
            })
            .count()
    }

    /// One response's cells, a cell per column.
    pub fn cells<'a>(&self, response: &'a StoredResponse) -> Vec<Cell<'a>> {
        self.sources.iter().map(|s| cell(s, response)).collect()
    }
}

fn cell<'a>(source: &Source, response: &'a StoredResponse) -> Cell<'a> {
    let borrowed = |s: &'a String| Cow::Borrowed(s.as_str());
    match source {
        Source::ResponseId => Cell::Id(Cow::Owned(response.id.to_string())),
        Source::Completed => Cell::Flag(is_completed(response)),
        Source::SubmittedAt => Cell::Time(borrowed(&response.submitted_at)),
        Source::Revision => Cell::Id(borrowed(&response.form_revision)),
        Source::Language => response
            .language
            .as_ref()
            .map_or(Cell::Empty, |l| Cell::Id(borrowed(l))),
        Source::ConsentAt => response
            .consent
            .as_ref()
            .map_or(Cell::Empty, |c| Cell::Time(borrowed(&c.at))),
        Source::Hidden(name) => response
            .hidden
            .get(name)
            .map_or(Cell::Empty, |v| Cell::Text(borrowed(v))),
        Source::Answer { question, options } => match response.answers.get(question) {
            None | Some(Value::Null) => Cell::Empty,
            Some(Value::String(s)) if options.contains(s) => Cell::Option(borrowed(s)),
            Some(Value::String(s)) => Cell::Text(borrowed(s)),
            Some(Value::Number(n)) => Cell::Number(n.clone()),
            Some(Value::Bool(b)) => Cell::Option(Cow::Borrowed(if *b { "true" } else { "false" })),
            // A question whose type changed from multi: keep every chosen value visible.
            Some(Value::Array(items)) => Cell::Text(Cow::Owned(
                items
                    .iter()
                    .filter_map(Value::as_str)
                    .collect::<Vec<_>>()
                    .join("; "),
            )),
            Some(other) => Cell::Text(Cow::Owned(other.to_string())),
        },
        Source::MultiOption { question, option } => match response.answers.get(question) {
            Some(Value::Array(items)) => {
                Cell::Flag(items.iter().any(|i| i.as_str() == Some(option.as_str())))
            }
            _ => Cell::Empty,
        },
        Source::MatrixRow {
            question,
            row,
            options,
        } => match response.answers.get(question).and_then(|a| a.get(row)) {
            Some(Value::String(s)) if options.contains(s) => Cell::Option(borrowed(s)),
            Some(Value::String(s)) => Cell::Text(borrowed(s)),
            Some(Value::Number(n)) => Cell::Number(n.clone()),
            _ => Cell::Empty,
        },
        Source::Rank { question, option } => response
            .answers
            .get(question)
            .and_then(|a| crate::form::ranking::rank_of(a, option))
            .map_or(Cell::Empty, |rank| {
                Cell::Number(serde_json::Number::from(rank))
            }),
        // Option texts from the form file, joined: no respondent typed them.
        Source::Order { question } => response.order.get(question).map_or(Cell::Empty, |order| {
            Cell::Option(Cow::Owned(order.join(";")))
        }),
        Source::MultiOther { question, options } => match response.answers.get(question) {
            Some(Value::Array(items)) => items
                .iter()
                .filter_map(Value::as_str)
                .find(|s| !options.contains(*s))
                .map_or(Cell::Empty, |s| Cell::Text(Cow::Borrowed(s))),
            _ => Cell::Empty,
        },
    }
}

/// Whether a row is a submitted response rather than an unfinished one: only a submission
/// hands out a receipt (see `export::partials`).
pub fn is_completed(response: &StoredResponse) -> bool {
    !response.receipt_sha256.is_empty()
}
