//! The responses as an Excel workbook: sheet `responses` with the CSV's columns as typed cells,
//! sheet `questions` with the codebook.
//!
//! The `responses` sheet is written in rust_xlsxwriter's constant-memory mode: each row goes to
//! a temporary file (in `temp_dir`, the data directory) as soon as the next one starts, so a
//! million responses take no more memory than one. The workbook is zipped into `out` at the end.

use std::io::Write;
use std::path::Path;

use rust_xlsxwriter::{ColNum, Format, RowNum, Workbook, Worksheet, XlsxError};

use super::ExportError;
use super::responses::ExportOptions;
use super::table::{Cell, ColumnKind, Table, merge_questions};
use crate::form::{Form, QuestionType};
use crate::store::ResponseIter;

/// Rows an Excel sheet holds below its header row (1,048,576 in all).
pub const XLSX_MAX_ROWS: u32 = 1_048_575;
/// Columns an Excel sheet holds.
pub const XLSX_MAX_COLUMNS: usize = 16_384;

/// Whole numbers beyond this do not fit exactly in a spreadsheet's 64-bit float.
const EXACT_INTEGER: u64 = 1 << 53;

/// A zip member of 4 GiB or more needs ZIP64, which some readers lack; past this bound on the
/// sheet's XML the workbook turns it on, and below it stays a plain zip that every reader opens.
const ZIP64_AFTER_BYTES: u64 = (4 << 30) - (64 << 20);

/// How `submitted_at` shows; the cell holds the full time, milliseconds included, in UTC.
const TIME_FORMAT: &str = "yyyy-mm-dd hh:mm:ss";

/// Writes the workbook. `max_rows` is the most responses accepted (the routes and the CLI
/// pass `XLSX_MAX_ROWS`; tests pass less): past it the export fails with `TooManyRows`
/// before anything is written to `out`. `temp_dir` holds the sheet's rows until the end.
pub fn write_responses_xlsx<W: Write + Send>(
    out: W,
    current: &Form,
    older: &[Form],
    responses: ResponseIter,
    options: ExportOptions,
    max_rows: u32,
    temp_dir: &Path,
) -> Result<(), ExportError> {
    let table = Table::plan(current, older, options);
    let last_col = last_column(table.columns.len())?;
    let mut workbook = Workbook::new();
    workbook.set_tempdir(temp_dir)?;
    let bold = Format::new().set_bold();
    let time = Format::new().set_num_format(TIME_FORMAT);

    let sheet = workbook.add_worksheet_with_constant_memory()?;
    sheet.set_name("responses")?;
    let mut xml_bytes = sheet_xml_upper_bound(table.columns.iter().map(|c| &c.name));
    for (col, column) in (0..).zip(&table.columns) {
        sheet.write_string_with_format(0, col, &column.name, &bold)?;
        sheet.set_column_width(col, column_width(&column.name, &column.kind))?;
    }
    sheet.set_freeze_panes(1, 0)?;
    let mut rows: RowNum = 0;
    for response in responses {
        let response = response?;
        if rows >= max_rows {
            return Err(ExportError::TooManyRows { limit: max_rows });
        }
        rows += 1;
        xml_bytes += ROW_MARKUP_BYTES;
        for (col, cell) in (0..).zip(table.cells(&response)) {
            xml_bytes += xml_upper_bound(&cell);
            write_cell(sheet, rows, col, &cell, &time)?;
        }
    }
    sheet.autofilter(0, 0, rows, last_col)?;
    if xml_bytes > ZIP64_AFTER_BYTES {
        workbook.use_zip_large_file(true);
    }

    write_codebook(
        workbook.add_worksheet(),
        current,
        older,
        options,
        &table,
        &bold,
    )?;
    workbook.save_to_writer(out)?;
    Ok(())
}

/// The index of the last column, or an error when the form has more than a sheet holds.
fn last_column(columns: usize) -> Result<ColNum, ExportError> {
    match columns.checked_sub(1).map(ColNum::try_from) {
        Some(Ok(last)) if columns <= XLSX_MAX_COLUMNS => Ok(last),
        _ => Err(ExportError::TooManyColumns {
            columns,
            limit: XLSX_MAX_COLUMNS,
        }),
    }
}

/// Wide enough for the header, and for the whole of an id or a time.
fn column_width(name: &str, kind: &ColumnKind) -> f64 {
    let header = name.chars().count() as f64 + 2.0;
    match kind {
        ColumnKind::Id => header.max(38.0),
        ColumnKind::Time => header.max(20.0),
        _ => header.clamp(10.0, 40.0),
    }
}

fn write_cell(
    sheet: &mut Worksheet,
    row: RowNum,
    col: ColNum,
    cell: &Cell,
    time: &Format,
) -> Result<(), XlsxError> {
    match cell {
        Cell::Empty => {}
        // write_string always makes a string cell, never a formula, whatever the text starts
        // with (`=`, `+`, `-`, `@`): a spreadsheet does not evaluate a string cell. So unlike
        // the CSV, XLSX needs no `'` prefix, and the respondent's text stays exactly as typed.
        Cell::Option(text) | Cell::Text(text) | Cell::Id(text) => {
            sheet.write_string(row, col, text.as_ref())?;
        }
        Cell::Number(number) => match exact_number(number) {
            Some(value) => {
                sheet.write_number(row, col, value)?;
            }
            // A spreadsheet number is a 64-bit float: a whole number too large for one goes in
            // as text, so that no digit changes.
            None => {
                sheet.write_string(row, col, number.to_string())?;
            }
        },
        Cell::Flag(chosen) => {
            sheet.write_number(row, col, if *chosen { 1.0 } else { 0.0 })?;
        }
        Cell::Time(text) => match chrono::DateTime::parse_from_rfc3339(text) {
            // Spreadsheets have no time zones: the cell holds the UTC time, as the CSV does.
            Ok(at) => {
                sheet.write_datetime_with_format(row, col, at.naive_utc(), time)?;
            }
            // A stored time that does not parse is still shown, as the text it is.
            Err(_) => {
                sheet.write_string(row, col, text.as_ref())?;
            }
        },
    }
    Ok(())
}

/// At most what the header row takes in the sheet's XML.
fn sheet_xml_upper_bound<'a>(names: impl Iterator<Item = &'a String>) -> u64 {
    ROW_MARKUP_BYTES
        + names
            .map(|name| xml_upper_bound(&Cell::Id(name.as_str().into())))
            .sum::<u64>()
}

/// At most what a row's own markup takes, `<row r="1048575" spans="1:16384">` and its end.
const ROW_MARKUP_BYTES: u64 = 64;

/// At most what a cell takes in the sheet's XML: its markup (reference, style, type, the
/// inline-string tags) and its text with every byte escaped at worst, as `_x000D_` is.
fn xml_upper_bound(cell: &Cell) -> u64 {
    let text = match cell {
        Cell::Option(text) | Cell::Text(text) | Cell::Id(text) | Cell::Time(text) => text.len(),
        Cell::Number(_) | Cell::Flag(_) | Cell::Empty => 24,
    };
    96 + 7 * text as u64
}

/// The number as a float when that float is exactly the stored number.
fn exact_number(number: &serde_json::Number) -> Option<f64> {
    if let Some(whole) = number.as_i64() {
        return (whole.unsigned_abs() <= EXACT_INTEGER).then_some(whole as f64);
    }
    if let Some(whole) = number.as_u64() {
        return (whole <= EXACT_INTEGER).then_some(whole as f64);
    }
    // Not a whole number: serde_json holds it as an f64 already.
    number.as_f64().filter(|f| f.is_finite())
}

/// The codebook: one row per question that has columns in this export, with its type, text,
/// options, scale range and labels, and the column names it produced.
fn write_codebook(
    sheet: &mut Worksheet,
    current: &Form,
    older: &[Form],
    options: ExportOptions,
    table: &Table,
    bold: &Format,
) -> Result<(), XlsxError> {
    sheet.set_name("questions")?;
    let headers = [
        "id", "type", "text", "options", "labels", "min", "max", "columns",
    ];
    let widths = [20.0, 10.0, 50.0, 40.0, 30.0, 6.0, 6.0, 40.0];
    for ((col, header), width) in (0..).zip(headers).zip(widths) {
        sheet.write_string_with_format(0, col, header, bold)?;
        sheet.set_column_width(col, width)?;
    }
    sheet.set_freeze_panes(1, 0)?;
    let mut row: RowNum = 0;
    for merged in merge_questions(current, older) {
        let q = merged.question;
        if q.pii && !options.include_pii {
            continue;
        }
        row += 1;
        let columns: Vec<&str> = table
            .columns
            .iter()
            .filter(|c| c.question.as_deref() == Some(q.id.as_str()))
            .map(|c| c.name.as_str())
            .collect();
        sheet.write_string(row, 0, &q.id)?;
        sheet.write_string(row, 1, q.kind.as_str())?;
        sheet.write_string(row, 2, &q.text)?;
        sheet.write_string(row, 3, merged.options.join("; "))?;
        sheet.write_string(row, 4, q.labels.join("; "))?;
        let (min, max) = q.bounds();
        let (min, max) = match q.kind {
            QuestionType::Scale | QuestionType::Nps | QuestionType::Number => (min, max),
            QuestionType::Matrix if q.is_scale_matrix() => (min, max),
            _ => (None, None),
        };
        if let Some(min) = min {
            sheet.write_number(row, 5, min)?;
        }
        if let Some(max) = max {
            sheet.write_number(row, 6, max)?;
        }
        sheet.write_string(row, 7, columns.join("; "))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::form::load_dir;
    use crate::store::StoredResponse;

    fn fixture_form() -> std::sync::Arc<Form> {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/forms");
        let catalog = load_dir(&dir).expect("the fixture forms load");
        catalog.get("all-types").expect("all-types is a fixture")
    }

    fn responses(n: usize) -> ResponseIter {
        Box::new((0..n).map(|i| {
            Ok(StoredResponse {
                id: uuid::Uuid::now_v7(),
                form: "all-types".into(),
                form_revision: "abc123def456".into(),
                submitted_at: "2026-01-02T03:04:05.678Z".into(),
                hidden: Default::default(),
                answers: [("seats".to_string(), serde_json::json!(i + 1))].into(),
                receipt_sha256: String::new(),
                consent: None,
                quotas: Vec::new(),
                order: Default::default(),
                language: None,
                contact: None,
            })
        }))
    }

    fn export(n: usize, max_rows: u32) -> (Result<(), ExportError>, Vec<u8>) {
        let scratch = tempfile::tempdir().expect("a scratch directory");
        let mut out = Vec::new();
        let result = write_responses_xlsx(
            &mut out,
            &fixture_form(),
            &[],
            responses(n),
            ExportOptions::default(),
            max_rows,
            scratch.path(),
        );
        (result, out)
    }

    #[test]
    fn up_to_the_row_limit_is_written() {
        let (result, out) = export(3, 3);
        assert!(result.is_ok(), "{result:?}");
        assert!(out.starts_with(b"PK"), "an XLSX file is a zip archive");
    }

    #[test]
    fn past_the_row_limit_nothing_is_written_and_the_error_names_the_csv() {
        let (result, out) = export(4, 3);
        let error = result.expect_err("four rows do not fit in three");
        assert!(
            matches!(error, ExportError::TooManyRows { limit: 3 }),
            "{error:?}"
        );
        assert!(error.to_string().contains("CSV"), "{error}");
        assert!(out.is_empty(), "no half-written workbook");
    }

    #[test]
    fn the_zip64_bound_is_never_below_the_sheet_it_bounds() {
        let nasty = "\r\u{1}&<>\"😀_x000D_ é".repeat(200);
        let rows: Vec<StoredResponse> = (0..20)
            .map(|i| StoredResponse {
                id: uuid::Uuid::now_v7(),
                form: "all-types".into(),
                form_revision: "abc123def456".into(),
                submitted_at: "2026-01-02T03:04:05.678Z".into(),
                hidden: [("source".to_string(), nasty.clone())].into(),
                answers: [
                    ("comment".to_string(), serde_json::json!(nasty)),
                    ("tools".to_string(), serde_json::json!(["Slack", nasty])),
                    ("seats".to_string(), serde_json::json!(i * 1000 + 1)),
                ]
                .into(),
                receipt_sha256: String::new(),
                consent: None,
                quotas: Vec::new(),
                order: Default::default(),
                language: None,
                contact: None,
            })
            .collect();
        let form = fixture_form();
        let table = Table::plan(&form, &[], ExportOptions::default());
        let bound = sheet_xml_upper_bound(table.columns.iter().map(|c| &c.name))
            + rows
                .iter()
                .map(|r| {
                    let cells = table.cells(r);
                    ROW_MARKUP_BYTES + cells.iter().map(xml_upper_bound).sum::<u64>()
                })
                .sum::<u64>();
        let scratch = tempfile::tempdir().expect("a scratch directory");
        let mut out = Vec::new();
        let iter: ResponseIter = Box::new(rows.into_iter().map(Ok));
        let options = ExportOptions::default();
        write_responses_xlsx(&mut out, &form, &[], iter, options, 100, scratch.path())
            .expect("written");
        let mut archive = zip::ZipArchive::new(std::io::Cursor::new(out)).expect("a zip");
        let sheet = archive
            .by_name("xl/worksheets/sheet1.xml")
            .expect("the responses sheet");
        // The sheet's fixed start and end (views, columns, filter) are what the margin under
        // 4 GiB in ZIP64_AFTER_BYTES is for.
        assert!(
            sheet.size() <= bound + 64 * 1024,
            "{} > {bound}",
            sheet.size()
        );
        assert!(sheet.size() > bound / 7, "the bound is not absurdly loose");
    }

    #[test]
    fn numbers_are_written_only_when_exact() {
        let number = |text: &str| serde_json::from_str::<serde_json::Number>(text).expect(text);
        assert_eq!(exact_number(&number("12")), Some(12.0));
        assert_eq!(exact_number(&number("-7")), Some(-7.0));
        assert_eq!(exact_number(&number("2.5")), Some(2.5));
        assert_eq!(
            exact_number(&number("9007199254740992")),
            Some(9_007_199_254_740_992.0)
        );
        assert_eq!(exact_number(&number("9007199254740993")), None);
        assert_eq!(exact_number(&number("18446744073709551615")), None);
    }

    #[test]
    fn a_sheet_holds_at_most_16384_columns() {
        assert_eq!(last_column(1).ok(), Some(0));
        assert_eq!(last_column(XLSX_MAX_COLUMNS).ok(), Some(16_383));
        assert!(last_column(XLSX_MAX_COLUMNS + 1).is_err());
        assert!(last_column(0).is_err());
    }
}
