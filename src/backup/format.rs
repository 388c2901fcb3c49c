//! The backup file: gzip-compressed JSON Lines in UTF-8, one JSON object a line.
//!
//! - line 1, the header: `{"format": "fieldnotes-backup", "version": 2, "created_at": ...,
//!   "fieldnotes": "0.1.0"}`;
//! - then one record a line, the object's only key naming its kind (`crate::store::Record`):
//!   `{"response": {"record": {...}}}`, `{"note": {"interview": ..., "seq": 3, "record": {...}}}`;
//! - last, `{"end": {"records": N, "counts": {"response": ..., ...}}}`.
//!
//! The counts close the file rather than open it: the records are streamed while the store
//! holds its writers, and are counted as they go. A file without its end line, or whose counts
//! disagree with its lines, was cut short, and is refused whole.

use std::collections::BTreeMap;
use std::io::{self, BufRead, BufReader, BufWriter, Read, Write};
use std::ops::ControlFlow;

use flate2::Compression;
use flate2::read::GzDecoder;
use flate2::write::GzEncoder;
use serde::{Deserialize, Serialize};

use super::BackupError;
use crate::store::{BackupStore, Record};

pub const FORMAT: &str = "fieldnotes-backup";
/// The format version this build writes. It reads this one and every older one: version 1
/// lacked contacts, outside texts and invitations, and holds a subset of version 2's kinds.
pub const VERSION: u32 = 2;
/// A line longer than this is not one fieldnotes wrote (a stored form or response is far
/// smaller); reading stops there rather than filling memory.
const MAX_LINE_BYTES: u64 = 64 * 1024 * 1024;

#[derive(Debug, Serialize, Deserialize)]
struct Header {
    format: String,
    version: u32,
    #[serde(default)]
    created_at: String,
    #[serde(default)]
    fieldnotes: String,
}

/// How many records a backup holds, in all and by kind.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Summary {
    pub records: u64,
    pub counts: BTreeMap<String, u64>,
}

impl Summary {
    pub(crate) fn count(&mut self, record: &Record) {
        self.records += 1;
        *self.counts.entry(record.kind().to_string()).or_default() += 1;
    }

    /// `57 records (12 response, 3 interview, ...)`, for the command line.
    pub fn describe(&self) -> String {
        let kinds: Vec<String> = self
            .counts
            .iter()
            .map(|(kind, n)| format!("{n} {kind}"))
            .collect();
        format!("{} records ({})", self.records, kinds.join(", "))
    }
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct End {
    end: Summary,
}

fn io_error(context: &'static str) -> impl Fn(io::Error) -> BackupError {
    move |source| BackupError::Io { context, source }
}

fn write_line<T: Serialize>(out: &mut impl Write, value: &T) -> io::Result<()> {
    serde_json::to_writer(&mut *out, value)?;
    out.write_all(b"\n")
}

/// Writes the whole store as a backup into `out`; returns what it holds. `out` is flushed,
/// not synced: making it durable is the caller's (a file) or moot (a download).
pub fn write(store: &dyn BackupStore, out: &mut dyn Write) -> Result<Summary, BackupError> {
    // Fast compression: every writer waits while the records are read, so time counts for
    // more than the last few percent of size.
    let mut lines = BufWriter::new(GzEncoder::new(out, Compression::fast()));
    let header = Header {
        format: FORMAT.into(),
        version: VERSION,
        created_at: chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
        fieldnotes: env!("CARGO_PKG_VERSION").into(),
    };
    let writing = io_error("writing the backup");
    write_line(&mut lines, &header).map_err(&writing)?;
    let mut summary = Summary::default();
    let mut failure = None;
    store.each_record(&mut |record| match write_line(&mut lines, &record) {
        Ok(()) => {
            summary.count(&record);
            ControlFlow::Continue(())
        }
        Err(e) => {
            failure = Some(e);
            ControlFlow::Break(())
        }
    })?;
    if let Some(e) = failure {
        return Err(writing(e));
    }
    write_line(
        &mut lines,
        &End {
            end: summary.clone(),
        },
    )
    .map_err(&writing)?;
    let encoder = lines.into_inner().map_err(|e| writing(e.into_error()))?;
    encoder
        .finish()
        .map_err(&writing)?
        .flush()
        .map_err(&writing)?;
    Ok(summary)
}

/// Reads a backup, handing each record to `each` in file order; returns what it held once
/// its end line has been read and its counts match. Nothing is handed over before the header
/// has been checked.
pub fn read(
    input: impl Read,
    each: &mut dyn FnMut(Record) -> Result<(), BackupError>,
) -> Result<Summary, BackupError> {
    let mut lines = BufReader::new(GzDecoder::new(input));
    let mut line = String::new();
    let read_error = |number: u64| {
        move |e: io::Error| match e.kind() {
            io::ErrorKind::UnexpectedEof => BackupError::Truncated { line: number },
            _ if number == 1 => BackupError::NotABackup(format!("it is not gzip-compressed ({e})")),
            _ => BackupError::Damaged(e.to_string()),
        }
    };
    let header_read = next_line(&mut lines, &mut line).map_err(read_error(1))?;
    let header: Header = match header_read {
        0 => return Err(BackupError::NotABackup("it is empty".into())),
        _ => serde_json::from_str(&line).map_err(|_| {
            BackupError::NotABackup(format!("its first line is not a {FORMAT} header"))
        })?,
    };
    if header.format != FORMAT {
        return Err(BackupError::NotABackup(format!(
            "its header names the format '{}', not '{FORMAT}'",
            header.format
        )));
    }
    if !(1..=VERSION).contains(&header.version) {
        return Err(BackupError::Version {
            found: header.version,
        });
    }
    let mut summary = Summary::default();
    let mut number = 1;
    loop {
        number += 1;
        if next_line(&mut lines, &mut line).map_err(read_error(number))? == 0 {
            return Err(BackupError::Truncated { line: number });
        }
        let record_error = match serde_json::from_str::<Record>(&line) {
            Ok(record) => {
                summary.count(&record);
                each(record)?;
                continue;
            }
            Err(e) => e,
        };
        let Ok(End { end }) = serde_json::from_str::<End>(&line) else {
            return Err(BackupError::Malformed {
                line: number,
                reason: record_error.to_string(),
            });
        };
        if end != summary {
            return Err(BackupError::CountsDiffer {
                expected: end.describe(),
                found: summary.describe(),
            });
        }
        if next_line(&mut lines, &mut line).map_err(read_error(number + 1))? != 0 {
            return Err(BackupError::Malformed {
                line: number + 1,
                reason: "lines follow the end line".into(),
            });
        }
        return Ok(summary);
    }
}

/// The next line into `line` (cleared first); 0 at the end of the file.
fn next_line(lines: &mut impl BufRead, line: &mut String) -> io::Result<usize> {
    line.clear();
    let read = lines.by_ref().take(MAX_LINE_BYTES).read_line(line)?;
    if read as u64 == MAX_LINE_BYTES && !line.ends_with('\n') {
        return Err(io::Error::new(
            io::ErrorKind::InvalidData,
            format!("a line is over {} MiB", MAX_LINE_BYTES / (1024 * 1024)),
        ));
    }
    Ok(read)
}

#[cfg(test)]
#[path = "format_tests.rs"]
mod tests;
