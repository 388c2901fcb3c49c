//! The notes CSV of an interview guide: one row per note, interviews oldest first, notes in
//! seq order, written as they are read from the store.
//!
//! Columns: `interview_id`, `participant`, one column per attribute question of the guide (in
//! guide order; then attributes whose question has since left the guide), `seq`, `at`,
//! `offset_s`, `section`, `kind`, `forces` and `tags` (each joined with `;`), `text`.

use std::collections::BTreeSet;
use std::io::Write;

use chrono::SecondsFormat;
use serde_json::Value;

use super::{ExportError, ExportOptions, guard_formula};
use crate::form::{Form, Question};
use crate::interview::{Interview, Note};
use crate::store::NoteIter;

struct AttributeColumn<'a> {
    id: String,
    /// Values that come from the guide file, written without the formula guard.
    question: Option<&'a Question>,
}

fn attribute_columns<'a>(
    guide: &'a Form,
    interviews: &[Interview],
    options: ExportOptions,
) -> Vec<AttributeColumn<'a>> {
    let mut columns: Vec<AttributeColumn> = guide
        .questions
        .iter()
        .filter(|q| options.include_pii || !q.pii)
        .map(|q| AttributeColumn {
            id: q.id.clone(),
            question: Some(q),
        })
        .collect();
    let removed: BTreeSet<&String> = interviews
        .iter()
        .flat_map(|i| {
            i.attributes
                .keys()
                .filter(|id| options.include_pii || !i.pii_attributes.contains(id))
        })
        .filter(|id| guide.question(id).is_none())
        .collect();
    columns.extend(removed.into_iter().map(|id| AttributeColumn {
        id: id.clone(),
        question: None,
    }));
    columns
}

fn attribute_cell(column: &AttributeColumn, interview: &Interview) -> String {
    let from_guide = |s: &str| {
        column
            .question
            .is_some_and(|q| q.options.iter().any(|o| o == s))
    };
    match interview.attributes.get(&column.id) {
        None | Some(Value::Null) => String::new(),
        Some(Value::String(s)) if from_guide(s) => s.clone(),
        Some(Value::String(s)) => guard_formula(s),
        Some(Value::Number(n)) => n.to_string(),
        Some(Value::Bool(b)) => b.to_string(),
        Some(Value::Array(items)) => {
            let chosen: Vec<&str> = items.iter().filter_map(Value::as_str).collect();
            if chosen.iter().all(|s| from_guide(s)) {
                chosen.join("; ")
            } else {
                guard_formula(&chosen.join("; "))
            }
        }
        Some(other) => guard_formula(&other.to_string()),
    }
}

fn note_cells(note: &Note) -> [String; 8] {
    let forces: Vec<&str> = note.content.forces.iter().map(|f| f.as_str()).collect();
    [
        note.seq.to_string(),
        note.at.to_rfc3339_opts(SecondsFormat::Millis, true),
        note.offset_s.to_string(),
        note.content.section.clone().unwrap_or_default(),
        note.content.kind.as_str().to_string(),
        forces.join(";"),
        guard_formula(&note.content.tags.join(";")),
        guard_formula(&note.content.text),
    ]
}

/// Writes the whole CSV. `interviews` are the guide's, oldest first; `notes_of` reads one
/// interview's notes lazily, so memory stays flat however many notes there are.
pub fn write_notes_csv<W: Write>(
    out: W,
    guide: &Form,
    interviews: &[Interview],
    mut notes_of: impl FnMut(&Interview) -> NoteIter,
    options: ExportOptions,
) -> Result<(), ExportError> {
    let attributes = attribute_columns(guide, interviews, options);
    let mut writer = super::csv_writer(out, options.byte_order_mark)?;
    let mut header = vec!["interview_id".to_string(), "participant".to_string()];
    header.extend(attributes.iter().map(|c| c.id.clone()));
    header.extend(
        [
            "seq", "at", "offset_s", "section", "kind", "forces", "tags", "text",
        ]
        .map(String::from),
    );
    writer.write_record(&header)?;
    let mut record: Vec<String> = Vec::with_capacity(header.len());
    for interview in interviews {
        let mut prefix = vec![
            interview.id.to_string(),
            guard_formula(&interview.participant),
        ];
        prefix.extend(attributes.iter().map(|c| attribute_cell(c, interview)));
        for note in notes_of(interview) {
            let note = note?;
            record.clear();
            record.extend(prefix.iter().cloned());
            record.extend(note_cells(&note));
            writer.write_record(&record)?;
        }
    }
    writer.flush()?;
    Ok(())
}
