use crate::store::ResponseStore;
use std::collections::BTreeMap;

use serde_json::json;
use uuid::Uuid;

use super::super::{Completion, PartialResponse, PartialState, PartialStore, SledStore};
use crate::store::{StoreError, StoredResponse};

pub(in crate::store) fn partial(form: &str, saved_at: &str) -> PartialResponse {
    PartialResponse {
        id: Uuid::now_v7(),
        form: form.into(),
        form_revision: "r1".into(),
        saved_at: saved_at.into(),
        page: 1,
        hidden: BTreeMap::from([("source".to_string(), "mail".to_string())]),
        answers: BTreeMap::from([("size".to_string(), json!("Small"))]),
        consent_at: None,
        language: None,
        seed: 0,
    }
}

pub(in crate::store) fn response() -> StoredResponse {
    StoredResponse {
        id: Uuid::now_v7(),
        form: "resume".into(),
        form_revision: "r1".into(),
        submitted_at: "2026-01-02T00:00:00.000Z".into(),
        hidden: BTreeMap::new(),
        answers: BTreeMap::from([("size".to_string(), json!("Small"))]),
        receipt_sha256: "aa".into(),
        consent: None,
        language: None,
        quotas: Vec::new(),
        order: Default::default(),
        contact: None,
    }
}

pub(in crate::store) fn form() -> std::sync::Arc<crate::form::Form> {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/resume/forms");
    crate::form::load_dir(&dir)
        .expect("the fixture forms")
        .get("resume")
        .expect("the resume form")
}

fn ids(store: &SledStore, form: &str) -> Vec<Uuid> {
    store
        .partials(form)
        .map(|p| p.expect("a partial").id)
        .collect()
}

#[test]
fn a_partial_is_replaced_page_by_page_and_listed_once() {
    let dir = tempfile::tempdir().unwrap();
    let store = SledStore::open(dir.path()).unwrap();
    let first = partial("resume", "2026-01-01T00:00:00.000Z");
    assert!(store.save_partial("hash-a", &first).unwrap());
    let mut later = first.clone();
    later.page = 2;
    later.answers.insert("hours".into(), json!(3));
    assert!(store.save_partial("hash-a", &later).unwrap());
    assert_eq!(
        store.partial("hash-a").unwrap(),
        Some(PartialState::Open(later))
    );
    let other = partial("resume", "2026-01-01T00:00:00.000Z");
    store.save_partial("hash-b", &other).unwrap();
    assert_eq!(ids(&store, "resume"), vec![first.id, other.id]);
    assert!(ids(&store, "quick").is_empty());
    store.delete_partial("hash-b").unwrap();
    assert_eq!(store.partial("hash-b").unwrap(), None);
    assert_eq!(ids(&store, "resume"), vec![first.id]);
}

#[test]
fn completing_stores_one_response_and_leaves_only_its_mark() {
    let dir = tempfile::tempdir().unwrap();
    let store = SledStore::open(dir.path()).unwrap();
    let form = form();
    store
        .save_partial("hash-a", &partial("resume", "2026-01-01T00:00:00.000Z"))
        .unwrap();
    let done = response();
    let outcome = store
        .complete_partial("hash-a", &done, &form, &[], &[])
        .unwrap();
    assert_eq!(outcome, Completion::Stored);
    assert!(ids(&store, "resume").is_empty(), "no partial left");
    assert!(matches!(
        store.partial("hash-a").unwrap(),
        Some(PartialState::Completed { response, .. }) if response == done.id
    ));
    // The last page sent again: another response id, but nothing written.
    let again = store
        .complete_partial("hash-a", &response(), &form, &[], &[])
        .unwrap();
    assert_eq!(again, Completion::AlreadyStored(done.id));
    assert_eq!(store.count_responses("resume").unwrap(), 1);
    assert_eq!(store.response(done.id).unwrap(), Some(done));
    // And a page kept after it is refused.
    let late = partial("resume", "2026-01-01T00:00:00.000Z");
    assert!(!store.save_partial("hash-a", &late).unwrap());
}

#[test]
fn a_full_quota_refuses_the_last_page_and_erases_its_partial() {
    let dir = tempfile::tempdir().unwrap();
    let store = SledStore::open(dir.path()).unwrap();
    let form = form();
    let place = || crate::store::QuotaPlace {
        name: "solo".into(),
        limit: 1,
    };
    let mut first = response();
    first.quotas = vec![place()];
    store.insert_response(&first, &form, &[], &[]).unwrap();
    store
        .save_partial("hash-a", &partial("resume", "2026-01-01T00:00:00.000Z"))
        .unwrap();
    let mut second = response();
    second.quotas = vec![place()];
    let refused = store.complete_partial("hash-a", &second, &form, &[], &[]);
    assert!(
        matches!(refused, Err(StoreError::QuotaFull(ref q)) if q == "solo"),
        "{refused:?}"
    );
    assert_eq!(store.count_responses("resume").unwrap(), 1);
    assert_eq!(
        store.partial("hash-a").unwrap(),
        None,
        "the partial is erased"
    );
    assert!(ids(&store, "resume").is_empty());
    assert_eq!(store.quota_counts("resume").unwrap().get("solo"), Some(&1));
}

#[test]
fn stale_partials_and_marks_are_erased_and_counted_by_form() {
    let dir = tempfile::tempdir().unwrap();
    let store = SledStore::open(dir.path()).unwrap();
    let form = form();
    store
        .save_partial("old", &partial("resume", "2026-01-01T00:00:00.000Z"))
        .unwrap();
    store
        .save_partial("new", &partial("resume", "2026-03-01T00:00:00.000Z"))
        .unwrap();
    store
        .save_partial("quick", &partial("quick", "2026-01-01T00:00:00.000Z"))
        .unwrap();
    store
        .save_partial("done", &partial("resume", "2026-01-01T00:00:00.000Z"))
        .unwrap();
    store
        .complete_partial("done", &response(), &form, &[], &[])
        .unwrap();
    let erased = store
        .erase_stale_partials(&|form, saved_at| {
            form == "resume" && saved_at < "2026-02-01T00:00:00.000Z"
        })
        .unwrap();
    assert_eq!(erased, BTreeMap::from([("resume".to_string(), 2)]));
    assert_eq!(store.partial("old").unwrap(), None);
    assert_eq!(store.partial("done").unwrap(), None);
    assert!(store.partial("new").unwrap().is_some());
    assert!(store.partial("quick").unwrap().is_some());
    assert_eq!(ids(&store, "resume").len(), 1);
    assert_eq!(
        store.count_responses("resume").unwrap(),
        1,
        "the response stays"
    );
}
