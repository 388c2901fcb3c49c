//! Importing contacts from CSV (a CRM export) in constant memory: the file is read once,
//! row by row, each row checked and staged in the store; only when every row is good is the
//! stage committed, so a bad row leaves the contacts exactly as they were.

use std::collections::BTreeSet;
use std::io::Read;
use std::sync::{Mutex, PoisonError};

use super::link::{begin_change, end_change};
use crate::report::Reports;
use crate::store::{Contact, ContactStore, ImportCounts, StagedRow, Store, StoreError};

/// The largest import file: streamed, so bounded by time and disk rather than memory.
pub const MAX_IMPORT_BYTES: u64 = 256 * 1024 * 1024;
/// The column that is always personal data.
pub const EMAIL: &str = "email";

const DEFAULT_KEY: &str = super::LINK_FIELD;
pub const MAX_KEY_CHARS: usize = 200;
const MAX_CELL_CHARS: usize = 10_000;
const MAX_COLUMNS: usize = 500;
/// Rows staged per store call, and committed per transaction.
const BATCH: usize = 1_000;

/// One import at a time: the stage is shared, and two files upserting the same contacts
/// at once would leave an order no one chose.
static IMPORTS: Mutex<()> = Mutex::new(());

#[derive(Debug, Clone)]
pub struct ImportOptions {
    /// The key column.
    pub key: String,
    /// Columns to mark as personal data (besides `email`, always).
    pub pii: Vec<String>,
}

impl Default for ImportOptions {
    fn default() -> Self {
        ImportOptions {
            key: DEFAULT_KEY.into(),
            pii: Vec::new(),
        }
    }
}

impl ImportOptions {
    /// From the `key` and comma-separated `pii` parameters of the route and the command.
    pub fn parse(key: Option<&str>, pii: Option<&str>) -> Self {
        ImportOptions {
            key: key
                .map(str::trim)
                .filter(|k| !k.is_empty())
                .unwrap_or(DEFAULT_KEY)
                .to_string(),
            pii: pii
                .unwrap_or_default()
                .split(',')
                .map(str::trim)
                .filter(|c| !c.is_empty())
                .map(String::from)
                .collect(),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    /// A row (or the header, line 1) that cannot be imported; nothing of the file was kept.
    #[error("line {line}: {message}")]
    BadRow { line: u64, message: String },
    #[error("the file is over {} MiB", MAX_IMPORT_BYTES / (1024 * 1024))]
    TooLarge,
    /// The file could not be read to its end (a connection cut midway).
    #[error("the file could not be read: {0}")]
    Read(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

fn bad(line: u64, message: impl Into<String>) -> ImportError {
    ImportError::BadRow {
        line,
        message: message.into(),
    }
}

/// Imports contacts from `input`, upserting by the key column; returns how many were
/// created and updated once all of it is on disk. Reports segmented by a contact attribute
/// are marked for a rebuild.
pub fn import(
    contacts: &dyn ContactStore,
    store: &dyn Store,
    reports: &Reports,
    input: impl Read,
    options: &ImportOptions,
) -> Result<ImportCounts, ImportError> {
    let _one_at_a_time = IMPORTS.lock().unwrap_or_else(PoisonError::into_inner);
    // Whatever an import cut short by a crash left behind.
    contacts.clear_stage()?;
    let staged = stage(contacts, Limited::new(input), options);
    let pii = match staged {
        Ok(pii) => pii,
        Err(e) => {
            contacts.clear_stage()?;
            return Err(e);
        }
    };
    let changing = begin_change(store, reports)?;
    let committed = contacts.commit_stage(&pii, &merge, BATCH);
    // Marked again even when the commit failed: some batches may have landed.
    end_change(store, reports)?;
    drop(changing);
    Ok(committed?)
}

/// The stored contact with a row applied: present columns overwrite, empty cells clear.
fn merge(existing: Option<Contact>, key: &str, row: StagedRow) -> Contact {
    let mut contact = existing.unwrap_or_else(|| Contact {
        key: key.to_string(),
        ..Contact::default()
    });
    for (column, value) in row.cells {
        if value.is_empty() {
            contact.attributes.remove(&column);
        } else {
            contact.attributes.insert(column, value);
        }
    }
    contact
}

/// Reads, checks and stages every row; returns the pii columns to mark.
fn stage(
    contacts: &dyn ContactStore,
    input: Limited<impl Read>,
    options: &ImportOptions,
) -> Result<BTreeSet<String>, ImportError> {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(true)
        .from_reader(input);
    let header: Vec<String> = reader
        .headers()
        .map_err(|e| csv_error(e, 1))?
        .iter()
        .map(|h| h.trim().to_string())
        .collect();
    let (key_at, pii) = check_header(&header, options)?;
    let mut record = csv::StringRecord::new();
    let mut batch = Vec::with_capacity(BATCH);
    loop {
        let line = reader.position().line();
        match reader.read_record(&mut record) {
            Ok(true) => {}
            Ok(false) => break,
            Err(e) => return Err(csv_error(e, line)),
        }
        let line = record.position().map_or(line, |p| p.line());
        batch.push(row(&header, key_at, &record, line)?);
        if batch.len() == BATCH {
            stage_batch(contacts, &mut batch)?;
        }
    }
    stage_batch(contacts, &mut batch)?;
    Ok(pii)
}

fn stage_batch(
    contacts: &dyn ContactStore,
    batch: &mut Vec<(String, StagedRow)>,
) -> Result<(), ImportError> {
    if let Some((key, first, again)) = contacts.stage_contacts(batch)? {
        return Err(bad(
            again,
            format!(
                "the key '{key}' is on line {first} already; a contact may be in the file once"
            ),
        ));
    }
    batch.clear();
    Ok(())
}

/// The key column's place and the pii columns, or why the header cannot be imported.
fn check_header(
    header: &[String],
    options: &ImportOptions,
) -> Result<(usize, BTreeSet<String>), ImportError> {
    if header.len() > MAX_COLUMNS {
        return Err(bad(1, format!("more than {MAX_COLUMNS} columns")));
    }
    let mut seen = BTreeSet::new();
    for (i, name) in header.iter().enumerate() {
        if name.is_empty() {
            return Err(bad(1, format!("column {} has no name", i + 1)));
        }
        if !seen.insert(name.as_str()) {
            return Err(bad(1, format!("the column '{name}' is named twice")));
        }
    }
    let key_at = header
        .iter()
        .position(|h| *h == options.key)
        .ok_or_else(|| {
            bad(
                1,
                format!(
                    "there is no key column '{}' (name the key column with key=COLUMN)",
                    options.key
                ),
            )
        })?;
    let mut pii = BTreeSet::new();
    for column in &options.pii {
        if !seen.contains(column.as_str()) {
            return Err(bad(
                1,
                format!("pii names '{column}', which is not a column of the file"),
            ));
        }
        if *column == options.key {
            return Err(bad(
                1,
                format!("the key column '{column}' cannot be pii: it links answers to contacts"),
            ));
        }
        pii.insert(column.clone());
    }
    if seen.contains(EMAIL) && options.key != EMAIL {
        pii.insert(EMAIL.to_string());
    }
    Ok((key_at, pii))
}

/// One record checked: its key and its other cells.
fn row(
    header: &[String],
    key_at: usize,
    record: &csv::StringRecord,
    line: u64,
) -> Result<(String, StagedRow), ImportError> {
    let key = record.get(key_at).unwrap_or_default().trim();
    if key.is_empty() {
        return Err(bad(
            line,
            format!("the key column '{}' is empty", header[key_at]),
        ));
    }
    if key.chars().count() > MAX_KEY_CHARS {
        return Err(bad(
            line,
            format!("the key is over {MAX_KEY_CHARS} characters"),
        ));
    }
    if key.chars().any(char::is_control) {
        return Err(bad(line, "the key has a control character"));
    }
    let mut cells = std::collections::BTreeMap::new();
    for (i, (name, value)) in header.iter().zip(record.iter()).enumerate() {
        if i == key_at {
            continue;
        }
        let value = value.trim();
        if value.chars().count() > MAX_CELL_CHARS {
            return Err(bad(
                line,
                format!("'{name}' is over {MAX_CELL_CHARS} characters"),
            ));
        }
        if name == EMAIL && !value.is_empty() && !email_address::EmailAddress::is_valid(value) {
            return Err(bad(line, format!("'{value}' is not an email address")));
        }
        cells.insert(name.clone(), value.to_string());
    }
    Ok((key.to_string(), StagedRow { line, cells }))
}

/// A CSV reader's error as the import's: the line it happened on, or the file's size or
/// transport (the outside texts' import reads CSV the same way).
pub(crate) fn csv_error(e: csv::Error, line: u64) -> ImportError {
    let at = e.position().map_or(line, |p| p.line());
    match e.into_kind() {
        csv::ErrorKind::Io(io) if io.kind() == std::io::ErrorKind::FileTooLarge => {
            ImportError::TooLarge
        }
        csv::ErrorKind::Io(io) => ImportError::Read(io.to_string()),
        csv::ErrorKind::Utf8 { .. } => bad(at, "the row is not valid UTF-8 text"),
        csv::ErrorKind::UnequalLengths {
            expected_len, len, ..
        } => bad(
            at,
            format!("the row has {len} cells where the header has {expected_len}"),
        ),
        other => bad(at, format!("the row cannot be read as CSV: {other:?}")),
    }
}

/// A reader that fails once more than `MAX_IMPORT_BYTES` came through it.
pub(crate) struct Limited<R> {
    inner: R,
    left: u64,
}

impl<R: Read> Limited<R> {
    pub(crate) fn new(inner: R) -> Self {
        Limited {
            inner,
            left: MAX_IMPORT_BYTES,
        }
    }
}

impl<R: Read> Read for Limited<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.left = self
            .left
            .checked_sub(n as u64)
            .ok_or_else(|| std::io::Error::from(std::io::ErrorKind::FileTooLarge))?;
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_empty_cell_clears_and_an_absent_column_is_kept() {
        let existing = Contact {
            key: "c1".into(),
            attributes: [("plan", "pro"), ("industry", "retail"), ("region", "eu")]
                .into_iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
        };
        let row = StagedRow {
            line: 2,
            cells: [("plan", "team"), ("industry", "")]
                .into_iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
        };
        let merged = merge(Some(existing), "c1", row);
        assert_eq!(
            merged.attributes.get("plan").map(String::as_str),
            Some("team")
        );
        assert_eq!(merged.attributes.get("industry"), None);
        assert_eq!(
            merged.attributes.get("region").map(String::as_str),
            Some("eu")
        );
    }

    #[test]
    fn options_default_to_customer_id_and_split_pii() {
        let options = ImportOptions::parse(None, Some(" name, phone ,,"));
        assert_eq!(options.key, "customer_id");
        assert_eq!(options.pii, vec!["name".to_string(), "phone".to_string()]);
    }
}
