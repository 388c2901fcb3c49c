//! Importing outside texts from CSV into one source of a report: the file is read and every
//! row checked before anything is written, so a bad row (named by its physical line, the
//! header being line 1) leaves the store as it was. Rows upsert by `id`; without one, a text
//! gets a generated id. Columns other than `text`, `id`, `at` and `customer_id` are ignored,
//! as a helpdesk export carries many.

use std::collections::BTreeMap;
use std::io::Read;

use chrono::{DateTime, NaiveDate, Utc};
use uuid::Uuid;

use super::count::contributions;
use super::place::{BATCH, Placer, placing};
use super::{TextBackend, TextsError};
use crate::contacts::import::{ImportError, Limited, csv_error};
use crate::form::Catalog;
use crate::report::Reports;
use crate::store::{StoredText, TextCounts, TextKey};

const TEXT: &str = "text";
const ID: &str = "id";
const AT: &str = "at";
const CUSTOMER: &str = crate::contacts::LINK_FIELD;
/// As for survey text answers and notes.
pub const MAX_TEXT_CHARS: usize = 10_000;
const MAX_KEY_CHARS: usize = 200;

/// What an import did.
pub type ImportedTexts = TextCounts;

/// Where each known column is in the file.
struct Columns {
    text: usize,
    id: Option<usize>,
    at: Option<usize>,
    customer: Option<usize>,
}

/// One row, checked.
struct Row {
    id: Option<String>,
    text: String,
    at: Option<DateTime<Utc>>,
    /// `None`: no such column (the stored link is kept); `Some(None)`: an empty cell.
    customer: Option<Option<String>>,
}

fn bad(line: u64, message: impl Into<String>) -> TextsError {
    TextsError::BadRow {
        line,
        message: message.into(),
    }
}

impl From<ImportError> for TextsError {
    fn from(e: ImportError) -> Self {
        match e {
            ImportError::BadRow { line, message } => TextsError::BadRow { line, message },
            ImportError::TooLarge => TextsError::TooLarge,
            ImportError::Read(reason) => TextsError::Read(reason),
            ImportError::Store(e) => TextsError::Store(e),
        }
    }
}

/// Imports texts from `input` into `source` of `report`; returns how many were created and
/// updated once all of it, with its counts, is on disk.
pub fn import(
    backend: &dyn TextBackend,
    catalog: &Catalog,
    reports: &Reports,
    report: &str,
    source: &str,
    input: impl Read,
) -> Result<ImportedTexts, TextsError> {
    let (report, source) = match reports.source(report, source) {
        Some(found) => found,
        None if reports.get(report).is_none() => {
            return Err(TextsError::UnknownReport(report.into()));
        }
        None => {
            return Err(TextsError::UnknownSource {
                report: report.into(),
                name: source.into(),
            });
        }
    };
    let rows = read_rows(Limited::new(input))?;
    let now = Utc::now();
    let _placing = placing();
    let key = |id: &str| TextKey {
        report: report.id.clone(),
        source: source.name.clone(),
        id: id.to_string(),
    };
    let mut texts = Vec::with_capacity(rows.len());
    for row in rows {
        let existing = match &row.id {
            Some(id) => backend.text(&key(id))?,
            None => None,
        };
        texts.push(merge(row, existing, &key, now));
    }
    let contacts = texts.iter().filter_map(|t| t.customer_id.as_deref());
    let placer = Placer::new(backend, catalog, reports, report.clone(), contacts)?;
    for text in &mut texts {
        text.segment = placer.segment(text.customer_id.as_deref());
    }
    let mut counts = TextCounts::default();
    for chunk in texts.chunks(BATCH) {
        let done = backend.put_texts(chunk, &|t| contributions(reports, t))?;
        counts.created += done.created;
        counts.updated += done.updated;
    }
    Ok(counts)
}

/// The text a row makes: its cells over the stored text's, which keeps its time (and so
/// its place in time order) and its contact where the file says nothing of them.
fn merge(
    row: Row,
    existing: Option<StoredText>,
    key: &dyn Fn(&str) -> TextKey,
    now: DateTime<Utc>,
) -> StoredText {
    let id = row
        .id
        .unwrap_or_else(|| Uuid::new_v4().simple().to_string());
    let k = key(&id);
    let (old_at, old_order, old_customer) = match existing {
        Some(t) => (Some(t.at), Some(t.order), t.customer_id),
        None => (None, None, None),
    };
    let (at, order) = match (row.at, old_at, old_order) {
        (Some(at), Some(old), Some(order)) if rfc3339(at) == old => (old, order),
        (Some(at), _, _) => (rfc3339(at), order_at(at)),
        (None, Some(old), Some(order)) => (old, order),
        (None, _, _) => (rfc3339(now), order_at(now)),
    };
    StoredText {
        report: k.report,
        source: k.source,
        id: k.id,
        text: row.text,
        at,
        customer_id: row.customer.unwrap_or(old_customer),
        order,
        segment: String::new(),
    }
}

fn rfc3339(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

/// A UUID v7 of the text's time: its place among the report's texts in time order.
fn order_at(at: DateTime<Utc>) -> Uuid {
    let secs = u64::try_from(at.timestamp()).unwrap_or(0);
    let ts = uuid::Timestamp::from_unix(uuid::NoContext, secs, at.timestamp_subsec_nanos());
    Uuid::new_v7(ts)
}

fn read_rows(input: Limited<impl Read>) -> Result<Vec<Row>, TextsError> {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(true)
        .from_reader(input);
    let header: Vec<String> = reader
        .headers()
        .map_err(|e| csv_error(e, 1))?
        .iter()
        .map(|h| h.trim().to_string())
        .collect();
    let columns = check_header(&header)?;
    let mut rows = Vec::new();
    let mut seen: BTreeMap<String, u64> = BTreeMap::new();
    let mut record = csv::StringRecord::new();
    loop {
        let line = reader.position().line();
        match reader.read_record(&mut record) {
            Ok(true) => {}
            Ok(false) => break,
            Err(e) => return Err(csv_error(e, line).into()),
        }
        let line = record.position().map_or(line, |p| p.line());
        let row = row(&columns, &record, line)?;
        if let Some(id) = &row.id
            && let Some(first) = seen.insert(id.clone(), line)
        {
            return Err(bad(
                line,
                format!("the id '{id}' is on line {first} already; a text may be in the file once"),
            ));
        }
        rows.push(row);
    }
    Ok(rows)
}

fn check_header(header: &[String]) -> Result<Columns, TextsError> {
    let mut seen = std::collections::BTreeSet::new();
    for (i, name) in header.iter().enumerate() {
        if name.is_empty() {
            return Err(bad(1, format!("column {} has no name", i + 1)));
        }
        if !seen.insert(name.as_str()) {
            return Err(bad(1, format!("the column '{name}' is named twice")));
        }
    }
    let at = |name: &str| header.iter().position(|h| h == name);
    Ok(Columns {
        text: at(TEXT).ok_or_else(|| bad(1, "there is no 'text' column"))?,
        id: at(ID),
        at: at(AT),
        customer: at(CUSTOMER),
    })
}

fn key_cell(line: u64, name: &str, value: &str) -> Result<Option<String>, TextsError> {
    let value = value.trim();
    if value.chars().count() > MAX_KEY_CHARS {
        return Err(bad(
            line,
            format!("'{name}' is over {MAX_KEY_CHARS} characters"),
        ));
    }
    if value.chars().any(char::is_control) {
        return Err(bad(line, format!("'{name}' has a control character")));
    }
    Ok((!value.is_empty()).then(|| value.to_string()))
}

/// `at`: RFC 3339, or a day (`YYYY-MM-DD`, 00:00 UTC).
pub fn parse_at(value: &str) -> Option<DateTime<Utc>> {
    let value = value.trim();
    if let Ok(at) = DateTime::parse_from_rfc3339(value) {
        return Some(at.with_timezone(&Utc));
    }
    NaiveDate::parse_from_str(value, "%Y-%m-%d")
        .ok()
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .map(|t| t.and_utc())
}

fn row(columns: &Columns, record: &csv::StringRecord, line: u64) -> Result<Row, TextsError> {
    let cell = |at: usize| record.get(at).unwrap_or_default();
    let text = cell(columns.text);
    if text.trim().is_empty() {
        return Err(bad(line, "the text is empty"));
    }
    if text.chars().count() > MAX_TEXT_CHARS {
        return Err(bad(
            line,
            format!("the text is over {MAX_TEXT_CHARS} characters"),
        ));
    }
    let id = match columns.id {
        Some(at) => key_cell(line, ID, cell(at))?,
        None => None,
    };
    let at = match columns.at.map(cell).map(str::trim) {
        None | Some("") => None,
        Some(value) => Some(parse_at(value).ok_or_else(|| {
            bad(
                line,
                format!("at '{value}' is not a time: use RFC 3339 (2026-03-01T09:30:00Z) or a day (2026-03-01)"),
            )
        })?),
    };
    let customer = match columns.customer {
        Some(at) => Some(key_cell(line, CUSTOMER, cell(at))?),
        None => None,
    };
    Ok(Row {
        id,
        text: text.to_string(),
        at,
        customer,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_are_rfc3339_or_a_day() {
        assert_eq!(
            parse_at("2026-03-01").map(rfc3339).as_deref(),
            Some("2026-03-01T00:00:00.000Z")
        );
        assert_eq!(
            parse_at("2026-03-01T10:00:00+02:00")
                .map(rfc3339)
                .as_deref(),
            Some("2026-03-01T08:00:00.000Z")
        );
        assert!(parse_at("yesterday").is_none());
        assert!(parse_at("2026-13-01").is_none());
    }

    #[test]
    fn a_bad_row_is_named_by_its_physical_line() {
        let file = "id,text,at\nt1,\"two\nlines\",2026-01-01\nt2,fine,not a date\n";
        match read_rows(Limited::new(file.as_bytes())) {
            Err(TextsError::BadRow { line, .. }) => assert_eq!(line, 4),
            other => panic!("expected a bad row, got {:?}", other.map(|r| r.len())),
        }
    }

    #[test]
    fn an_id_twice_is_a_bad_row() {
        let file = "id,text\na,one\na,two\n";
        match read_rows(Limited::new(file.as_bytes())) {
            Err(TextsError::BadRow { line, message }) => {
                assert_eq!(line, 3);
                assert!(message.contains("line 2"), "{message}");
            }
            other => panic!("expected a bad row, got {:?}", other.map(|r| r.len())),
        }
    }
}
