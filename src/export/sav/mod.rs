//! The responses as an SPSS system file (`.sav`), for SPSS, PSPP, R (haven) and Python
//! (pyreadstat, `pandas.read_spss`).
//!
//! One case per response, one variable per CSV column (see `table`), named by the rules in
//! `names`:
//! - `response_id`, `form_revision`, hidden fields, text answers: UTF-8 strings, as wide as
//!   the longest value (at most 32,767 bytes, SPSS's limit; a longer value is cut at a
//!   character boundary). Strings over 255 bytes are written as very long strings.
//! - `submitted_at`: a numeric `DATETIME` (seconds since 1582-10-14, milliseconds kept).
//! - single choice: numeric codes 1..k in option order (options of older revisions after the
//!   current ones, as in the CSV), value labels code → option text. An answer outside the
//!   options ("other") leaves the code system-missing and goes, as typed, into a string
//!   variable `{name}_other`, which exists when some revision of the question allows
//!   `other` (or had another type, whose answers a code cannot hold either).
//! - multi: one numeric 0/1 variable per option, labelled 0 "not selected", 1 "selected";
//!   the `[other]` column is a string as in the CSV.
//! - scale and nps: numeric, with the scale's `labels` as value labels (all points, or the
//!   two ends on min and max). number: numeric, `Fw.d` sized to the data. A number question
//!   that once had another type gets a `{name}_other` string for those older answers.
//! - Unanswered: system-missing for numbers, an empty string for strings.
//! - Variable labels: the question texts ("text: option" for multi columns); measure levels
//!   nominal (choices, flags, strings), ordinal (scale, nps), scale (number, datetime).
//!
//! The dictionary needs every string's width and the number of cases before the first
//! case, and an HTTP stream cannot seek back to patch them. So the responses are read once
//! from the store, measured and spooled, already converted, into an anonymous temporary file
//! (never linked into the file system on Linux, gone when the export ends or the process
//! dies), then the dictionary is written with the real widths and case count and the cases
//! are streamed from the spool. Memory stays flat (one case at a time); the spool holds
//! about the uncompressed size of the answers. A crates.io writer was considered: `ambers`
//! (MIT, maintained) needs the whole table in memory as an Arrow batch and a seekable
//! output, and the `pspp` crate is a GPL application with GUI libraries; neither fits.

mod cases;
mod format;
mod names;
mod plan;
#[cfg(test)]
mod tests;

use std::fs::File;
use std::io::{self, BufReader, BufWriter, Read, Seek, Write};
use std::path::Path;

use super::table::{Cell, ColumnInfo, ColumnKind, Table};
use super::{ExportError, ExportOptions};
use crate::form::Form;
use crate::store::ResponseIter;
use cases::CaseWriter;
use format::{Dictionary, MAX_STRING_WIDTH, Measure, Storage, Variable, truncate_utf8};
use plan::{Coding, Planned, Value, plan, values};

/// One SPSS variable and the CSV column it comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SavName {
    /// The CSV column's header.
    pub column: String,
    /// The SPSS variable name.
    pub name: String,
    /// True for a `{name}_other` string: the column's answers that its codes cannot hold.
    pub other: bool,
}

/// The SPSS variables of a form's export, in file order, with the CSV columns they come
/// from: the documented name mapping, as `write_responses_sav` applies it.
pub fn sav_variable_names(current: &Form, older: &[Form], options: ExportOptions) -> Vec<SavName> {
    let table = Table::plan(current, older, options);
    plan(&table, current, older)
        .into_iter()
        .map(|p| SavName {
            column: table.columns[p.column].name.clone(),
            other: p.coding == Coding::Other,
            name: p.name,
        })
        .collect()
}

/// What the first pass learns of a variable: how wide its strings and numbers are.
#[derive(Debug, Clone, Copy, Default)]
struct Seen {
    bytes: usize,
    integer_digits: usize,
    decimals: usize,
    negative: bool,
}

impl Seen {
    fn number(&mut self, cell: &Cell) {
        let Cell::Number(n) = cell else { return };
        let text = n.to_string();
        self.negative |= text.starts_with('-');
        let text = text.trim_start_matches('-');
        // serde_json writes large and tiny floats with an exponent (1e16, 1.5e-7).
        let (mantissa, exponent) = match text.split_once(['e', 'E']) {
            Some((m, e)) => (m, e.parse::<i64>().unwrap_or(0)),
            None => (text, 0),
        };
        let (whole, fraction) = mantissa.split_once('.').unwrap_or((mantissa, ""));
        let digits = |n: usize| i64::try_from(n).unwrap_or(i64::MAX);
        let at_least = |n: i64, floor: i64| usize::try_from(n.max(floor)).unwrap_or(usize::MAX);
        let whole = at_least(digits(whole.len()).saturating_add(exponent), 1);
        let fraction = at_least(digits(fraction.len()).saturating_sub(exponent), 0);
        self.integer_digits = self.integer_digits.max(whole);
        self.decimals = self.decimals.max(fraction);
    }

    /// `Fw.d` wide enough for what was seen, within SPSS's 40 columns and 16 decimals.
    fn number_storage(&self) -> Storage {
        let sign = usize::from(self.negative);
        let whole = self.integer_digits.max(1) + sign;
        let decimals = self.decimals.min(16).min(40usize.saturating_sub(whole + 1));
        let width = (whole + if decimals > 0 { decimals + 1 } else { 0 }).min(40);
        // Both are at most 40 by the bounds above.
        Storage::Number {
            width: u8::try_from(width).unwrap_or(40),
            decimals: u8::try_from(decimals).unwrap_or(16),
        }
    }
}

fn digits(n: i64) -> u8 {
    // At most 20 (a sign and 19 digits).
    u8::try_from(n.to_string().len()).unwrap_or(20)
}

fn value_labels(column: &ColumnInfo, coding: &Coding) -> Vec<(f64, String)> {
    match (&column.kind, coding) {
        (ColumnKind::Choice { options }, Coding::Code(_)) => options
            .iter()
            .enumerate()
            .map(|(i, o)| ((i + 1) as f64, o.clone()))
            .collect(),
        // The one flag that is no option of a question: a row's being submitted.
        (ColumnKind::Flag, _) if column.question.is_none() => {
            vec![(0.0, "unfinished".into()), (1.0, "completed".into())]
        }
        (ColumnKind::Flag, _) => vec![(0.0, "not selected".into()), (1.0, "selected".into())],
        (ColumnKind::Scale { min, max, labels }, Coding::Number) => {
            let points = usize::try_from(max - min + 1).unwrap_or(0);
            if labels.len() == points {
                (*min..=*max)
                    .map(|p| p as f64)
                    .zip(labels.iter().cloned())
                    .collect()
            } else if let [low, high] = labels.as_slice() {
                // Two labels name the ends of a longer scale (as the survey page shows them).
                vec![(*min as f64, low.clone()), (*max as f64, high.clone())]
            } else {
                Vec::new()
            }
        }
        _ => Vec::new(),
    }
}

fn variable(planned: &Planned, column: &ColumnInfo, seen: &Seen) -> Variable {
    let (storage, measure) = match (&planned.coding, &column.kind) {
        (Coding::Text | Coding::Other, _) => (
            Storage::Text {
                width: seen.bytes.max(1),
            },
            Measure::Nominal,
        ),
        (Coding::Time, _) => (
            Storage::DateTime {
                width: 24,
                decimals: 3,
            },
            Measure::Scale,
        ),
        (Coding::Code(codes), _) => (
            Storage::Number {
                width: digits(codes.len() as i64),
                decimals: 0,
            },
            Measure::Nominal,
        ),
        (Coding::Flag, _) => (
            Storage::Number {
                width: 1,
                decimals: 0,
            },
            Measure::Nominal,
        ),
        (Coding::Number, ColumnKind::Scale { min, max, .. }) => (
            Storage::Number {
                width: digits(*min).max(digits(*max)),
                decimals: 0,
            },
            Measure::Ordinal,
        ),
        (Coding::Number, _) => (seen.number_storage(), Measure::Scale),
    };
    let display_width = match storage {
        Storage::Text { width } => u32::try_from(width.clamp(8, 60)).unwrap_or(60),
        Storage::Number { width, .. } | Storage::DateTime { width, .. } => u32::from(width.max(8)),
    };
    let label = match planned.coding {
        Coding::Other => format!("{}: other", column.label),
        _ => column.label.clone(),
    };
    Variable {
        name: planned.name.clone(),
        label,
        storage,
        measure,
        display_width,
        value_labels: value_labels(column, &planned.coding),
    }
}

/// Writes the `.sav`; `older` are the stored revisions of the form, oldest first. The spool
/// is in the system's temporary directory; `write_responses_sav_in` picks another.
pub fn write_responses_sav<W: Write>(
    out: W,
    current: &Form,
    older: &[Form],
    responses: ResponseIter,
    options: ExportOptions,
) -> Result<(), ExportError> {
    let spool = tempfile::tempfile()?;
    write_spooled(out, current, older, responses, options, spool)
}

/// `write_responses_sav` with the spool in `scratch` (the server and the CLI pass the data
/// directory, so that a large export never fills a small `/tmp`).
pub fn write_responses_sav_in<W: Write>(
    out: W,
    current: &Form,
    older: &[Form],
    responses: ResponseIter,
    options: ExportOptions,
    scratch: &Path,
) -> Result<(), ExportError> {
    let spool = tempfile::tempfile_in(scratch)?;
    write_spooled(out, current, older, responses, options, spool)
}

fn write_spooled<W: Write>(
    out: W,
    current: &Form,
    older: &[Form],
    responses: ResponseIter,
    options: ExportOptions,
    spool: File,
) -> Result<(), ExportError> {
    let table = Table::plan(current, older, options);
    let plan = plan(&table, current, older);

    // First pass: convert, measure and spool. Nothing reaches `out` before it ends, so a
    // store error leaves `out` untouched.
    let mut seen = vec![Seen::default(); plan.len()];
    let mut spool = BufWriter::new(spool);
    let mut cases: u64 = 0;
    for response in responses {
        let response = response?;
        let cells = table.cells(&response);
        for ((p, value), seen) in plan.iter().zip(values(&plan, &cells)).zip(&mut seen) {
            match value {
                Value::Number(n) => {
                    if let (Coding::Number, Some(cell)) = (&p.coding, cells.get(p.column)) {
                        seen.number(cell);
                    }
                    spool.write_all(&n.to_le_bytes())?;
                }
                Value::Text(text) => {
                    let text = truncate_utf8(&text, MAX_STRING_WIDTH).as_bytes();
                    seen.bytes = seen.bytes.max(text.len());
                    // The length fits: MAX_STRING_WIDTH is far below u32::MAX.
                    let length = u32::try_from(text.len()).map_err(io::Error::other)?;
                    spool.write_all(&length.to_le_bytes())?;
                    spool.write_all(text)?;
                }
            }
        }
        cases += 1;
    }
    let mut spool = spool.into_inner().map_err(io::IntoInnerError::into_error)?;
    spool.rewind()?;
    let mut spool = BufReader::new(spool);

    let variables: Vec<Variable> = plan
        .iter()
        .zip(&seen)
        .map(|(p, seen)| variable(p, &table.columns[p.column], seen))
        .collect();
    let mut out = BufWriter::new(out);
    Dictionary {
        variables: &variables,
        file_label: &current.title,
        cases,
        created: chrono::Utc::now(),
    }
    .write(&mut out)?;

    // Second pass: the cases, from the spool.
    let mut writer = CaseWriter::new(out);
    let mut text = Vec::new();
    for _ in 0..cases {
        for (p, variable) in plan.iter().zip(&variables) {
            if p.coding.is_numeric() {
                let mut bytes = [0; 8];
                spool.read_exact(&mut bytes)?;
                writer.number(f64::from_le_bytes(bytes))?;
            } else {
                let mut len = [0; 4];
                spool.read_exact(&mut len)?;
                text.resize(u32::from_le_bytes(len) as usize, 0);
                spool.read_exact(&mut text)?;
                let Storage::Text { width } = variable.storage else {
                    return Err(io::Error::other("spool out of step with the dictionary").into());
                };
                writer.string(width, &text)?;
            }
        }
    }
    writer.finish()?.flush()?;
    Ok(())
}
