//! The responses CSV: one row per response, written as it is read from the store (the
//! columns are planned in `table`).

use std::io::Write;

use super::table::{Cell, Table};
use super::{ExportError, guard_formula};
use crate::form::Form;
use crate::store::ResponseIter;

#[derive(Debug, Clone, Copy, Default)]
pub struct ExportOptions {
    pub include_pii: bool,
    pub byte_order_mark: bool,
}

/// A cell as CSV text: respondents' text guarded against formulas, the rest as it is.
pub fn csv_text(cell: &Cell) -> String {
    match cell {
        Cell::Empty => String::new(),
        Cell::Option(s) | Cell::Time(s) | Cell::Id(s) => s.clone(),
        Cell::Text(s) => guard_formula(s),
        Cell::Number(n) => n.to_string(),
        Cell::Flag(chosen) => if *chosen { "1" } else { "0" }.into(),
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
    let table = Table::plan(current, older, options);
    let mut writer = super::csv_writer(out, options.byte_order_mark)?;
    writer.write_record(table.columns.iter().map(|c| &c.name))?;
    let mut record: Vec<String> = Vec::with_capacity(table.columns.len());
    for response in responses {
        let response = response?;
        record.clear();
        record.extend(table.cells(&response).iter().map(csv_text));
        writer.write_record(&record)?;
    }
    writer.flush()?;
    Ok(())
}
