//! A question as seen across a form's revisions, shared by every export so that all formats
//! agree on which questions, options and rows there are.

use crate::form::{Form, Question};

/// A question as seen across revisions: the newest definition, with every option ever offered.
/// The other exports (the JSON Lines' pii rule, the XLSX codebook) read questions this way too,
/// so that every format agrees on which questions there are.
pub(super) struct MergedQuestion<'a> {
    pub(super) question: &'a Question,
    pub(super) options: Vec<String>,
    /// A matrix's rows, every one ever asked.
    pub(super) rows: Vec<String>,
}

/// The current form's questions in form order, then those only older revisions had.
pub(super) fn merge_questions<'a>(current: &'a Form, older: &'a [Form]) -> Vec<MergedQuestion<'a>> {
    let mut merged: Vec<MergedQuestion> = current
        .questions
        .iter()
        .map(|q| MergedQuestion {
            question: q,
            options: q.options.clone(),
            rows: q.rows.clone(),
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
                    for row in &q.rows {
                        if !existing.rows.contains(row) {
                            existing.rows.push(row.clone());
                        }
                    }
                }
                None => merged.push(MergedQuestion {
                    question: q,
                    options: q.options.clone(),
                    rows: q.rows.clone(),
                }),
            }
        }
    }
    merged
}
