//! The themes CSV of a report: one row per theme, segment and source.
//!
//! Columns: `theme`, `segment`, `source` (`survey` or `interview`), `responses` (texts that
//! mention the theme), `mentions` (occurrences). Suppressed segments have no rows.

use std::io::Write;

use super::{ExportError, guard_formula};
use crate::analysis::figures::ReportFigures;

pub fn write_themes_csv<W: Write>(
    out: W,
    report: &ReportFigures,
    byte_order_mark: bool,
) -> Result<(), ExportError> {
    let mut writer = super::csv_writer(out, byte_order_mark)?;
    writer.write_record(["theme", "segment", "source", "responses", "mentions"])?;
    for theme in &report.themes {
        for cell in &theme.cells {
            writer.write_record([
                guard_formula(&theme.name),
                guard_formula(&cell.segment),
                cell.source.clone(),
                cell.responses.to_string(),
                cell.mentions.to_string(),
            ])?;
        }
    }
    writer.flush()?;
    Ok(())
}
