//! Which variables a table's columns become, and each response's values for them.

use std::borrow::Cow;
use std::collections::HashMap;

use chrono::{DateTime, NaiveDate};

use super::format::SYSMIS;
use super::names::{MAX_NAME, Names, column_base};
use crate::export::table::{Cell, ColumnKind, Table};
use crate::form::{Form, QuestionType};

/// How a column's cells become values of one variable.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum Coding {
    /// A string, as it is.
    Text,
    /// `DATETIME` seconds.
    Time,
    /// Codes 1..k of the options.
    Code(HashMap<String, f64>),
    /// 1 chosen, 0 not.
    Flag,
    Number,
    /// The text of a cell that the variable before (its column's coded one) left missing.
    Other,
}

impl Coding {
    pub(super) fn is_numeric(&self) -> bool {
        !matches!(self, Coding::Text | Coding::Other)
    }
}

/// One variable to write: the column it reads, its name, how it codes the cells.
pub(super) struct Planned {
    pub column: usize,
    pub name: String,
    pub coding: Coding,
}

/// Whether some revision lets the question hold answers that a coded variable cannot.
fn needs_other(question: &str, kind: &ColumnKind, current: &Form, older: &[Form]) -> bool {
    std::iter::once(current)
        .chain(older)
        .filter_map(|form| form.question(question))
        .any(|q| match kind {
            // Matrix rows and ranks only ever hold an option or a whole number.
            ColumnKind::Choice { .. } => {
                !matches!(q.kind, QuestionType::Single | QuestionType::Matrix) || q.other
            }
            ColumnKind::Number { .. } | ColumnKind::Scale { .. } => {
                !q.kind.is_numeric()
                    && !matches!(q.kind, QuestionType::Matrix | QuestionType::Ranking)
            }
            _ => false,
        })
}

/// The variables of a table, in file order: a column's `_other` right after it.
pub(super) fn plan(table: &Table, current: &Form, older: &[Form]) -> Vec<Planned> {
    let mut names = Names::default();
    let mut positions: HashMap<&str, usize> = HashMap::new();
    let mut planned = Vec::with_capacity(table.columns.len());
    for (index, column) in table.columns.iter().enumerate() {
        let position = column.question.as_deref().map_or(1, |q| {
            let seen = positions.entry(q).or_default();
            *seen += 1;
            *seen
        });
        let name = names.claim(&column_base(
            &column.name,
            column.question.as_deref(),
            position,
        ));
        let coding = match &column.kind {
            ColumnKind::Id | ColumnKind::Text => Coding::Text,
            ColumnKind::Time => Coding::Time,
            ColumnKind::Choice { options } => Coding::Code(
                options
                    .iter()
                    .enumerate()
                    .map(|(i, o)| (o.clone(), (i + 1) as f64))
                    .collect(),
            ),
            ColumnKind::Flag => Coding::Flag,
            ColumnKind::Number { .. } | ColumnKind::Scale { .. } => Coding::Number,
        };
        let other = matches!(coding, Coding::Code(_) | Coding::Number)
            && column
                .question
                .as_deref()
                .is_some_and(|q| needs_other(q, &column.kind, current, older));
        let stem = &name[..name.len().min(MAX_NAME - "_other".len())];
        let other_name = other.then(|| names.claim(&format!("{stem}_other")));
        planned.push(Planned {
            column: index,
            name,
            coding,
        });
        if let Some(name) = other_name {
            planned.push(Planned {
                column: index,
                name,
                coding: Coding::Other,
            });
        }
    }
    planned
}

/// A variable's value in one case.
pub(super) enum Value<'a> {
    Number(f64),
    Text(Cow<'a, str>),
}

fn cell_text<'c>(cell: &'c Cell) -> Cow<'c, str> {
    match cell {
        Cell::Empty => Cow::Borrowed(""),
        Cell::Option(s) | Cell::Text(s) | Cell::Time(s) | Cell::Id(s) => Cow::Borrowed(s),
        Cell::Number(n) => Cow::Owned(n.to_string()),
        Cell::Flag(chosen) => Cow::Borrowed(if *chosen { "1" } else { "0" }),
    }
}

/// Seconds from SPSS's epoch (the start of the Gregorian calendar) to an RFC 3339 time.
fn spss_seconds(rfc3339: &str) -> Option<f64> {
    let epoch = NaiveDate::from_ymd_opt(1582, 10, 14)?.and_hms_opt(0, 0, 0)?;
    let at = DateTime::parse_from_rfc3339(rfc3339).ok()?.naive_utc();
    let millis = (at - epoch).num_milliseconds();
    Some(millis as f64 / 1000.0)
}

/// Values of one response, a value per planned variable.
pub(super) fn values<'c>(plan: &[Planned], cells: &'c [Cell]) -> Vec<Value<'c>> {
    let mut out = Vec::with_capacity(plan.len());
    let mut main_missing = false;
    for p in plan {
        let cell = cells.get(p.column).unwrap_or(&Cell::Empty);
        let number = match (&p.coding, cell) {
            (Coding::Text, _) => {
                out.push(Value::Text(cell_text(cell)));
                continue;
            }
            (Coding::Other, _) => {
                let text = if main_missing {
                    cell_text(cell)
                } else {
                    Cow::Borrowed("")
                };
                out.push(Value::Text(text));
                continue;
            }
            (Coding::Time, Cell::Time(at)) => spss_seconds(at),
            (Coding::Code(codes), Cell::Option(s) | Cell::Text(s)) => {
                codes.get(s.as_ref()).copied()
            }
            (Coding::Flag, Cell::Flag(chosen)) => Some(if *chosen { 1.0 } else { 0.0 }),
            (Coding::Number, Cell::Number(n)) => n.as_f64(),
            _ => None,
        };
        // An answer the code cannot hold (not an empty cell) goes to `_other`, if planned.
        main_missing = number.is_none() && *cell != Cell::Empty;
        out.push(Value::Number(number.unwrap_or(SYSMIS)));
    }
    out
}
