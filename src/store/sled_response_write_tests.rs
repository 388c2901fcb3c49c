//! Writes committed together in one transaction must come out as if committed one by one.

use super::super::sled_partials::tests::{form, partial, response as fixture_response};
use super::super::{
    Completion, PartialStore, QuotaPlace, ResponseStore, SledStore, StoredResponse,
};

/// A response to the fixture form, taking the given quota places.
fn response(quotas: Vec<QuotaPlace>) -> StoredResponse {
    StoredResponse {
        quotas,
        ..fixture_response()
    }
}

fn stored(store: &SledStore) -> u64 {
    store.count_responses("resume").unwrap()
}

#[test]
fn two_finishes_of_one_partial_in_one_commit_store_one_response() {
    let dir = tempfile::tempdir().unwrap();
    let store = SledStore::open(dir.path()).unwrap();
    let form = form();
    let partial = partial("resume", "2026-01-01T00:00:00.000Z");
    assert!(store.save_partial("tok", &partial).unwrap());
    let (first, response) = (response(Vec::new()), response(Vec::new()));
    let (a, a_done) = store.prepare(&first, &form, &[], &[], Some("tok")).unwrap();
    let (b, b_done) = store
        .prepare(&response, &form, &[], &[], Some("tok"))
        .unwrap();
    store.commit(&[a, b]);
    assert!(matches!(a_done.recv().unwrap(), Ok(Ok(Completion::Stored))));
    // The second reads the first's completion mark inside the same transaction.
    match b_done.recv().unwrap() {
        Ok(Ok(Completion::AlreadyStored(id))) => assert_eq!(id, first.id),
        other => panic!("expected the first response, got {other:?}"),
    }
    assert_eq!(stored(&store), 1);
    assert_eq!(store.partials("resume").count(), 0);
}

#[test]
fn a_quota_with_one_place_admits_one_of_two_writes_in_one_commit() {
    let dir = tempfile::tempdir().unwrap();
    let store = SledStore::open(dir.path()).unwrap();
    let form = form();
    let place = vec![QuotaPlace {
        name: "small".into(),
        limit: 1,
    }];
    let (one, two) = (response(place.clone()), response(place));
    let (a, a_done) = store.prepare(&one, &form, &[], &[], None).unwrap();
    let (b, b_done) = store.prepare(&two, &form, &[], &[], None).unwrap();
    store.commit(&[a, b]);
    assert!(matches!(a_done.recv().unwrap(), Ok(Ok(Completion::Stored))));
    assert!(matches!(b_done.recv().unwrap(), Ok(Err(quota)) if quota == "small"));
    assert_eq!(stored(&store), 1);
}
