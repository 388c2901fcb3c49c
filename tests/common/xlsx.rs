//! Reading an XLSX export back: calamine for the cells and their types, and the zip's XML
//! for what calamine does not show (formulas written as such, the frozen header, bold).

use std::io::{Cursor, Read};

use calamine::{Data, Reader, Xlsx, open_workbook_from_rs};

fn workbook(bytes: &[u8]) -> Xlsx<Cursor<Vec<u8>>> {
    open_workbook_from_rs(Cursor::new(bytes.to_vec())).expect("calamine opens the workbook")
}

pub fn sheet_names(bytes: &[u8]) -> Vec<String> {
    workbook(bytes).sheet_names()
}

/// Every row of a sheet from A1, each as wide as the widest.
pub fn rows(bytes: &[u8], sheet: &str) -> Vec<Vec<Data>> {
    let range = workbook(bytes)
        .worksheet_range(sheet)
        .unwrap_or_else(|e| panic!("sheet {sheet}: {e}"));
    assert_eq!(range.start(), Some((0, 0)), "sheet {sheet} starts at A1");
    range.rows().map(<[Data]>::to_vec).collect()
}

/// The formulas calamine finds in a sheet (none, for an export).
pub fn formulas(bytes: &[u8], sheet: &str) -> Vec<String> {
    let range = workbook(bytes)
        .worksheet_formula(sheet)
        .unwrap_or_else(|e| panic!("formulas of {sheet}: {e}"));
    range.used_cells().map(|(_, _, f)| f.clone()).collect()
}

/// A part of the zip container as text, such as `xl/worksheets/sheet1.xml`.
pub fn part(bytes: &[u8], name: &str) -> String {
    let mut archive = zip::ZipArchive::new(Cursor::new(bytes)).expect("an XLSX is a zip");
    let mut file = archive
        .by_name(name)
        .unwrap_or_else(|e| panic!("{name}: {e}"));
    let mut text = String::new();
    file.read_to_string(&mut text).expect("UTF-8 XML");
    text
}

/// A cell as text: strings as they are, anything else panics (the caller expects text).
pub fn text(cell: &Data) -> &str {
    match cell {
        Data::String(s) => s,
        other => panic!("expected a text cell, got {other:?}"),
    }
}
