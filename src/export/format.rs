//! The formats the responses export comes in, and the one function that writes any of them,
//! so that the HTTP routes and the CLI cannot drift apart and a new format is one more arm.

use std::io::Write;
use std::path::Path;

use super::responses::{ExportOptions, write_responses_csv_with};
use super::{
    ExportError, XLSX_MAX_ROWS, write_responses_jsonl, write_responses_sav_in, write_responses_xlsx,
};
use crate::contacts::columns::ContactColumns;
use crate::form::Form;
use crate::store::ResponseIter;

/// A responses export format; `clap` lists them for `fieldnotes export --format`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ExportFormat {
    /// UTF-8 CSV, RFC 4180 quoting, text guarded against formulas.
    Csv,
    /// An Excel workbook: typed cells, and the codebook on a second sheet.
    Xlsx,
    /// JSON Lines: one JSON object per response.
    Jsonl,
    /// An SPSS system file: coded choices with value labels, measure levels, UTF-8.
    Sav,
}

impl ExportFormat {
    /// The file name extension, as in `responses.xlsx`.
    pub fn extension(self) -> &'static str {
        match self {
            ExportFormat::Csv => "csv",
            ExportFormat::Xlsx => "xlsx",
            ExportFormat::Jsonl => "jsonl",
            ExportFormat::Sav => "sav",
        }
    }

    pub fn content_type(self) -> &'static str {
        match self {
            ExportFormat::Csv => "text/csv; charset=utf-8",
            ExportFormat::Xlsx => {
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
            }
            ExportFormat::Jsonl => "application/x-ndjson",
            // No registered type exists; this is the one SPSS files are served with.
            ExportFormat::Sav => "application/x-spss-sav",
        }
    }

    /// The most responses the format can hold, if it has a limit.
    pub fn max_rows(self) -> Option<u64> {
        match self {
            ExportFormat::Xlsx => Some(u64::from(XLSX_MAX_ROWS)),
            // Past 2^31 - 1 cases the header says "unknown", which readers accept.
            ExportFormat::Csv | ExportFormat::Jsonl | ExportFormat::Sav => None,
        }
    }

    /// Whether the format is written row by row as responses are read, and so can stream
    /// straight to a client; a zipped workbook is only complete at the end.
    pub fn writes_rows_as_read(self) -> bool {
        match self {
            ExportFormat::Csv | ExportFormat::Jsonl => true,
            // The .sav measures and spools every response first, then writes straight out.
            ExportFormat::Sav => true,
            ExportFormat::Xlsx => false,
        }
    }

    /// The format a file name's extension names (`.csv`, `.xlsx`, `.jsonl`, `.ndjson` or
    /// `.sav`, in any case), or `None` when it names none of them.
    pub fn from_path(path: &Path) -> Option<ExportFormat> {
        let extension = path.extension()?.to_str()?.to_ascii_lowercase();
        match extension.as_str() {
            "csv" => Some(ExportFormat::Csv),
            "xlsx" => Some(ExportFormat::Xlsx),
            "jsonl" | "ndjson" => Some(ExportFormat::Jsonl),
            "sav" => Some(ExportFormat::Sav),
            _ => None,
        }
    }
}

/// Writes a form's responses in `format`; `older` are its stored revisions, oldest first.
/// `scratch` is a directory for temporary files (the XLSX sheet's rows until it is zipped,
/// the `.sav`'s measured first pass):
/// the data directory, so that a large export never fills a small `/tmp`.
// The contact columns are the CSV's alone; the other formats take `None`.
#[allow(clippy::too_many_arguments)]
pub fn write_responses<W: Write + Send>(
    format: ExportFormat,
    out: W,
    current: &Form,
    older: &[Form],
    responses: ResponseIter,
    options: ExportOptions,
    scratch: &Path,
    contacts: Option<&ContactColumns>,
) -> Result<(), ExportError> {
    match format {
        ExportFormat::Csv => {
            write_responses_csv_with(out, current, older, responses, options, contacts)
        }
        ExportFormat::Jsonl => write_responses_jsonl(out, current, older, responses, options),
        ExportFormat::Xlsx => write_responses_xlsx(
            out,
            current,
            older,
            responses,
            options,
            XLSX_MAX_ROWS,
            scratch,
        ),
        ExportFormat::Sav => {
            write_responses_sav_in(out, current, older, responses, options, scratch)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::ExportFormat;
    use std::path::Path;

    #[test]
    fn a_known_extension_names_its_format_and_nothing_else_does() {
        let of = |name: &str| ExportFormat::from_path(Path::new(name));
        assert_eq!(of("out.csv"), Some(ExportFormat::Csv));
        assert_eq!(of("dir.v2/OUT.XLSX"), Some(ExportFormat::Xlsx));
        assert_eq!(of("out.jsonl"), Some(ExportFormat::Jsonl));
        assert_eq!(of("out.ndjson"), Some(ExportFormat::Jsonl));
        assert_eq!(of("Out.SAV"), Some(ExportFormat::Sav));
        for unknown in ["-", "out", "out.json", "out.xls", "out.tsv", ".csv"] {
            assert_eq!(of(unknown), None, "{unknown}");
        }
    }
}
