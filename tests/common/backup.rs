//! What the backup and retention tests compare: the answers of a server's read routes, and
//! every record of a stopped store.

use std::collections::BTreeMap;
use std::ops::ControlFlow;
use std::path::Path;

use fieldnotes::store::{BackupStore, SledStore};
use reqwest::Client;
use serde_json::Value;

use super::RESEARCHER;
use super::profiles::get_ready;

/// The bytes each path answers a researcher (200 each), waiting out a first rebuild.
pub async fn reads(http: &Client, base: &str, paths: &[String]) -> BTreeMap<String, Vec<u8>> {
    let mut answers = BTreeMap::new();
    for path in paths {
        let response = get_ready(http, &format!("{base}{path}"), RESEARCHER).await;
        assert_eq!(response.status(), 200, "GET {path}");
        answers.insert(path.clone(), response.bytes().await.unwrap().to_vec());
    }
    answers
}

/// An answer with the time the profile cards were drafted (now, at each request) left out.
fn drafted_now(bytes: &[u8]) -> Vec<u8> {
    match serde_json::from_slice::<Value>(bytes) {
        Ok(Value::Object(mut object)) if object.contains_key("drafted_at") => {
            object.remove("drafted_at");
            serde_json::to_vec(&object).unwrap()
        }
        _ => bytes.to_vec(),
    }
}

/// Asserts that two servers answered every path alike (but for the cards' drafting time).
pub fn assert_same_answers(expected: &BTreeMap<String, Vec<u8>>, got: &BTreeMap<String, Vec<u8>>) {
    let text = |bytes: &[u8]| String::from_utf8_lossy(bytes).into_owned();
    for (path, bytes) in expected {
        assert!(
            drafted_now(&got[path]) == drafted_now(bytes),
            "GET {path}:\n{}\n--- differs from ---\n{}",
            text(bytes),
            text(&got[path])
        );
    }
}

/// Every record of a stopped store, as the store hands them out for a backup.
pub fn stored(data: &Path) -> Vec<String> {
    let store = SledStore::open(&data.join("db")).unwrap();
    let mut lines = Vec::new();
    store
        .each_record(&mut |record| {
            lines.push(serde_json::to_string(&record).unwrap());
            ControlFlow::Continue(())
        })
        .unwrap();
    lines
}
