//! Downloads, written row by row to any `Write` so the HTTP routes and the CLI share bytes:
//! the responses as CSV, XLSX or JSON Lines (`write_responses` picks by `ExportFormat`), and
//! the notes, segments and themes as CSV.

use std::borrow::Cow;

mod format;
mod jsonl;
mod merged;
mod notes;
mod partials;
mod responses;
mod sav;
mod segments;
pub mod table;
mod themes;
mod xlsx;

pub use format::{ExportFormat, write_responses};
pub use jsonl::{JsonRecord, JsonRecords, write_responses_jsonl};
pub use notes::write_notes_csv;
pub use partials::with_partials;
pub use responses::{ExportOptions, csv_text, write_responses_csv};
pub use sav::{SavName, sav_variable_names, write_responses_sav, write_responses_sav_in};
pub use segments::write_segments_csv;
pub use themes::write_themes_csv;
pub use xlsx::{XLSX_MAX_COLUMNS, XLSX_MAX_ROWS, write_responses_xlsx};

use crate::store::StoreError;

#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("cannot write the export: {0}")]
    Io(#[from] std::io::Error),
    #[error("cannot write the CSV: {0}")]
    Csv(#[from] csv::Error),
    #[error("cannot write the JSON Lines: {0}")]
    Json(#[from] serde_json::Error),
    #[error("cannot write the XLSX: {0}")]
    Xlsx(#[from] rust_xlsxwriter::XlsxError),
    /// More responses than one Excel sheet holds; the CSV and JSON Lines have no limit.
    #[error(
        "more than {limit} responses: an Excel sheet holds at most {limit} rows below its header; download the CSV (or JSON Lines) instead"
    )]
    TooManyRows { limit: u32 },
    #[error(
        "{columns} columns: an Excel sheet holds at most {limit}; download the CSV (or JSON Lines) instead"
    )]
    TooManyColumns { columns: usize, limit: usize },
}

impl ExportError {
    /// Whether the export failed because a disk filled: the store's, or the data directory
    /// where the XLSX and .sav exports spool.
    pub fn is_storage_full(&self) -> bool {
        match self {
            ExportError::Store(StoreError::Full(_)) => true,
            ExportError::Io(e) => crate::store::is_full(e),
            // rust_xlsxwriter's `source()` skips its own I/O error, so look inside by hand.
            ExportError::Xlsx(rust_xlsxwriter::XlsxError::IoError(e)) => crate::store::is_full(e),
            ExportError::Xlsx(rust_xlsxwriter::XlsxError::ZipError(zip)) => {
                let mut next = std::error::Error::source(zip);
                while let Some(e) = next {
                    if e.downcast_ref().is_some_and(crate::store::is_full) {
                        return true;
                    }
                    next = e.source();
                }
                false
            }
            _ => false,
        }
    }
}

/// A CSV writer with the project's rules: RFC 4180 quoting, CRLF line ends, and a UTF-8
/// byte-order mark first when asked for (Excel needs it to read UTF-8).
pub fn csv_writer<W: std::io::Write>(
    mut out: W,
    byte_order_mark: bool,
) -> Result<csv::Writer<W>, ExportError> {
    if byte_order_mark {
        out.write_all("\u{feff}".as_bytes())?;
    }
    Ok(csv::WriterBuilder::new()
        .terminator(csv::Terminator::CRLF)
        .from_writer(out))
}

/// Prefixes `'` to text a spreadsheet would run as a formula (OWASP CSV injection).
pub fn guard_formula(text: &str) -> String {
    guarded(text).into_owned()
}

/// The same, copying only text that needs the prefix: what the CSV writes millions of.
pub fn guarded(text: &str) -> Cow<'_, str> {
    match text.chars().next() {
        Some('=' | '+' | '-' | '@' | '\t' | '\r' | '\n') => Cow::Owned(format!("'{text}")),
        _ => Cow::Borrowed(text),
    }
}

#[cfg(test)]
mod tests {
    use super::guard_formula;

    #[test]
    fn formulas_are_defused() {
        for risky in ["=1+1", "+1", "-2", "@SUM(A1)", "\tx", "\rx", "\nx"] {
            assert_eq!(guard_formula(risky), format!("'{risky}"));
        }
        assert_eq!(guard_formula("plain = text"), "plain = text");
        assert_eq!(guard_formula(""), "");
    }
}
