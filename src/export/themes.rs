//! The themes CSV of a report: one row per theme, segment and source.
//!
//! Columns: `theme`, `segment`, `source` (`survey`, `interview` or an outside source's name),
//! `responses` (texts that mention the theme), `mentions` (occurrences). Suppressed segments
//! have no rows.

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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::figures::{Ordered, ThemeCell, ThemeFigures};

    #[test]
    fn one_row_per_cell_with_formulas_defused() {
        let report = ReportFigures {
            id: "r".into(),
            title: "R".into(),
            form: "f".into(),
            responses: 3,
            segment_by: "plan".into(),
            min_cell: 1,
            segments: Vec::new(),
            questions: Vec::new(),
            themes: vec![ThemeFigures {
                name: "=Price".into(),
                responses: 3,
                mentions: 4,
                by_segment: Ordered(vec![("Free".into(), 3)]),
                cells: vec![
                    ThemeCell {
                        segment: "Free".into(),
                        source: "survey".into(),
                        responses: 2,
                        mentions: 3,
                    },
                    ThemeCell {
                        segment: "Free".into(),
                        source: "interview".into(),
                        responses: 1,
                        mentions: 1,
                    },
                ],
                quotes: Vec::new(),
                quote_sources: Vec::new(),
            }],
            uncoded_terms: Vec::new(),
        };
        let mut out = Vec::new();
        write_themes_csv(&mut out, &report, false).unwrap();
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "theme,segment,source,responses,mentions\r\n'=Price,Free,survey,2,3\r\n'=Price,Free,interview,1,1\r\n"
        );
    }
}
