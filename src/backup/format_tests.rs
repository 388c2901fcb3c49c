use std::collections::BTreeMap;
use std::io::Write;

use serde_json::json;

use super::*;
use crate::store::{ResponseStore, SledStore, StoredResponse};

/// A real store holding two responses of the fixture survey.
fn store(dir: &std::path::Path) -> SledStore {
    let forms = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/forms");
    let catalog = crate::form::load_dir(&forms).unwrap();
    let form = catalog.get("all-types").unwrap();
    let store = SledStore::open(dir).unwrap();
    for n in 0..2 {
        let response = StoredResponse {
            id: uuid::Uuid::now_v7(),
            form: form.id.clone(),
            form_revision: form.revision.clone(),
            submitted_at: chrono::Utc::now().to_rfc3339(),
            hidden: BTreeMap::new(),
            answers: BTreeMap::from([("comment".to_string(), json!(format!("é ✓ {n}\n")))]),
            receipt_sha256: String::new(),
            consent: None,
            quotas: Vec::new(),
            order: Default::default(),
            language: None,
            contact: None,
        };
        store.insert_response(&response, &form, &[], &[]).unwrap();
    }
    store
}

fn backup_bytes() -> Vec<u8> {
    let dir = tempfile::tempdir().unwrap();
    let mut bytes = Vec::new();
    write(&store(dir.path()), &mut bytes).unwrap();
    bytes
}

fn gunzip(bytes: &[u8]) -> String {
    let mut text = String::new();
    GzDecoder::new(bytes).read_to_string(&mut text).unwrap();
    text
}

fn gzip(text: &str) -> Vec<u8> {
    let mut encoder = GzEncoder::new(Vec::new(), Compression::fast());
    encoder.write_all(text.as_bytes()).unwrap();
    encoder.finish().unwrap()
}

fn read_all(bytes: &[u8]) -> Result<(Summary, Vec<String>), BackupError> {
    let mut records = Vec::new();
    let summary = read(bytes, &mut |record| {
        records.push(serde_json::to_string(&record).unwrap());
        Ok(())
    })?;
    Ok((summary, records))
}

#[test]
fn a_backup_reads_back_as_written_with_a_header_and_an_end_line() {
    let bytes = backup_bytes();
    let text = gunzip(&bytes);
    let lines: Vec<&str> = text.lines().collect();
    let header: serde_json::Value = serde_json::from_str(lines[0]).unwrap();
    assert_eq!(header["format"], "fieldnotes-backup");
    assert_eq!(header["version"], 2);
    assert!(header["created_at"].as_str().unwrap().ends_with('Z'));
    let end: serde_json::Value = serde_json::from_str(lines[lines.len() - 1]).unwrap();
    assert_eq!(
        end,
        json!({"end": {"records": 3, "counts": {"response": 2, "revision": 1}}})
    );
    let (summary, records) = read_all(&bytes).unwrap();
    assert_eq!(summary.records, 3);
    assert_eq!(records, lines[1..lines.len() - 1]);
    assert!(
        records[0].starts_with("{\"response\":{\"record\":{"),
        "{}",
        records[0]
    );
}

#[test]
fn a_backup_cut_short_is_refused() {
    let bytes = backup_bytes();
    let text = gunzip(&bytes);
    // Cut inside the compressed stream: the gzip trailer is missing.
    let cut = read_all(&bytes[..bytes.len() - 12]).unwrap_err();
    assert!(
        matches!(cut, BackupError::Truncated { .. } | BackupError::Damaged(_)),
        "{cut}"
    );
    // Whole lines, but no end line: a copy of a backup that stopped.
    let without_end: String = text.lines().take(3).map(|l| format!("{l}\n")).collect();
    let refused = read_all(&gzip(&without_end)).unwrap_err();
    assert!(
        matches!(refused, BackupError::Truncated { line: 4 }),
        "{refused}"
    );
    assert!(refused.to_string().contains("cut short"), "{refused}");
}

#[test]
fn what_is_not_a_backup_of_this_version_is_refused_with_a_reason() {
    let refusal = |bytes: &[u8]| read_all(bytes).unwrap_err().to_string();
    assert!(refusal(b"response_id,nps\n").contains("not gzip-compressed"));
    assert!(refusal(&gzip("")).contains("empty"));
    assert!(refusal(&gzip("{\"id\":1}\n")).contains("not a fieldnotes-backup header"));
    let newer = refusal(&gzip(
        "{\"format\":\"fieldnotes-backup\",\"version\":3}\n{\"end\":{\"records\":0,\"counts\":{}}}\n",
    ));
    assert!(newer.contains("format version 3"), "{newer}");

    let header = "{\"format\":\"fieldnotes-backup\",\"version\":1}\n";
    let unknown = refusal(&gzip(&format!(
        "{header}{{\"spaceship\":{{\"record\":{{}}}}}}\n"
    )));
    assert!(unknown.contains("line 2"), "{unknown}");
    let miscounted = refusal(&gzip(&format!(
        "{header}{{\"mail_state\":{{\"report\":\"r\",\"record\":{{}}}}}}\n{{\"end\":{{\"records\":2,\"counts\":{{\"mail_state\":2}}}}}}\n"
    )));
    assert!(miscounted.contains("counts 2 records"), "{miscounted}");
    let trailing = refusal(&gzip(&format!(
        "{header}{{\"end\":{{\"records\":0,\"counts\":{{}}}}}}\n{{\"end\":{{\"records\":0,\"counts\":{{}}}}}}\n"
    )));
    assert!(trailing.contains("follow the end line"), "{trailing}");
}

#[test]
fn a_record_keeps_its_stored_bytes_through_a_file() {
    // Key order, spacing and number spelling as stored, not as serde would write them anew.
    let stored = "{\"z\":1.50,\"a\":[ 1 ,2],\"é\":\"\\u00e9\"}";
    let line = format!(
        "{{\"format\":\"fieldnotes-backup\",\"version\":1}}\n{{\"mail_state\":{{\"report\":\"r\",\"record\":{stored}}}}}\n{{\"end\":{{\"records\":1,\"counts\":{{\"mail_state\":1}}}}}}\n"
    );
    let mut seen = Vec::new();
    read(gzip(&line).as_slice(), &mut |record| {
        let Record::MailState { record, .. } = record else {
            panic!("a mail state");
        };
        seen.push(record.get().to_string());
        Ok(())
    })
    .unwrap();
    assert_eq!(seen, [stored]);
}
