//! The responses CSV: one row per response, written as it is read from the store (the
//! columns are planned in `table`).

use std::borrow::Cow;
use std::io::Write;

use super::table::{Cell, Table};
use super::{ExportError, guarded};
use crate::contacts::columns::ContactColumns;
use crate::form::Form;
use crate::store::ResponseIter;

#[derive(Debug, Clone, Copy, Default)]
pub struct ExportOptions {
    pub include_pii: bool,
    pub byte_order_mark: bool,
    /// Partial responses are among the rows (`?partial=1`): every format then ends its
    /// columns with `completed` (1 submitted, 0 unfinished).
    pub include_partial: bool,
}

/// A cell as CSV text: respondents' text guarded against formulas, the rest as it is.
pub fn csv_text<'c>(cell: &'c Cell) -> Cow<'c, str> {
    match cell {
        Cell::Empty => Cow::Borrowed(""),
        Cell::Option(s) | Cell::Id(s) | Cell::Time(s) => Cow::Borrowed(s),
        Cell::Text(s) => guarded(s),
        Cell::Number(n) => Cow::Owned(plain_number(n)),
        Cell::Flag(chosen) => Cow::Borrowed(if *chosen { "1" } else { "0" }),
    }
}

/// A number as plain decimal digits, never with an exponent (`1e-7`, `1e+16`), and exact:
/// integers as stored, other values as the shortest decimal that reads back to the same f64
/// (Rust's `Display` for f64 never uses an exponent).
pub fn plain_number(n: &serde_json::Number) -> String {
    match (n.as_i64(), n.as_u64(), n.as_f64()) {
        (Some(i), _, _) => i.to_string(),
        (None, Some(u), _) => u.to_string(),
        (None, None, Some(f)) => f.to_string(),
        _ => n.to_string(),
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
    write_responses_csv_with(out, current, older, responses, options, None)
}

/// The same, with the `contact.ATTR` columns of the linked contacts after the hidden fields.
pub fn write_responses_csv_with<W: Write>(
    out: W,
    current: &Form,
    older: &[Form],
    responses: ResponseIter,
    options: ExportOptions,
    contacts: Option<&ContactColumns>,
) -> Result<(), ExportError> {
    let table = Table::plan(current, older, options);
    let mut writer = super::csv_writer(out, options.byte_order_mark)?;
    let leading = table.leading();
    let mut header: Vec<String> = table.columns.iter().map(|c| c.name.clone()).collect();
    header.splice(
        leading..leading,
        contacts.into_iter().flat_map(ContactColumns::headers),
    );
    writer.write_record(&header)?;
    for response in responses {
        let response = response?;
        let cells = table.cells(&response);
        let (describing, answering) = cells.split_at(leading.min(cells.len()));
        for cell in describing {
            writer.write_field(csv_text(cell).as_bytes())?;
        }
        if let Some(contacts) = contacts {
            // Imported text: a CRM cell could be a formula as well as an answer could.
            for cell in contacts.cells(&response)? {
                writer.write_field(guarded(&cell).as_bytes())?;
            }
        }
        for cell in answering {
            writer.write_field(csv_text(cell).as_bytes())?;
        }
        // Ends the row whose fields were written one by one.
        writer.write_record(None::<&[u8]>)?;
    }
    writer.flush()?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::plain_number;

    #[test]
    fn numbers_are_plain_decimals_that_read_back_exactly() {
        for (value, text) in [
            (serde_json::json!(7), "7"),
            (serde_json::json!(-12), "-12"),
            (serde_json::json!(0.1), "0.1"),
            (serde_json::json!(1e-7), "0.0000001"),
            (serde_json::json!(2.5e16), "25000000000000000"),
            (serde_json::json!(9007199254740993u64), "9007199254740993"),
        ] {
            let serde_json::Value::Number(n) = value else {
                unreachable!()
            };
            let written = plain_number(&n);
            assert_eq!(written, text);
            assert!(!written.contains('e'));
            assert_eq!(written.parse::<f64>().ok(), n.as_f64());
        }
    }
}
