use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Instant;

use serde_json::json;
use uuid::{NoContext, Timestamp};

use super::*;
use crate::config::{Config, Secret};
use crate::store::StoredResponse;

fn fixture(part: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/retention")
        .join(part)
}

fn state(data: &Path) -> Arc<AppState> {
    let config = Config {
        data_dir: data.to_path_buf(),
        forms_dir: fixture("forms"),
        reports_dir: fixture("reports"),
        researcher_token: Some(Secret::new("researcher")),
        ..Config::default()
    };
    crate::app::prepare(&config).unwrap().state
}

/// Stores a response submitted at `at`, its id of that time as a submission's would be.
fn submit_at(state: &AppState, form: &str, at: DateTime<Utc>) -> Uuid {
    let form = state.catalog.get(form).unwrap();
    let seconds = u64::try_from(at.timestamp()).unwrap();
    let response = StoredResponse {
        id: Uuid::new_v7(Timestamp::from_unix(NoContext, seconds, 0)),
        form: form.id.clone(),
        form_revision: form.revision.clone(),
        submitted_at: at.to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
        hidden: BTreeMap::new(),
        answers: match form.id.as_str() {
            "kept" => BTreeMap::from([("size".to_string(), json!("Agency"))]),
            _ => BTreeMap::from([("comment".to_string(), json!("old"))]),
        },
        receipt_sha256: String::new(),
        consent: None,
        quotas: Vec::new(),
        order: Default::default(),
        language: None,
        contact: None,
    };
    let contributions = crate::analysis::contributions(&state.reports, &form, &response);
    state
        .store
        .insert_response(&response, &form, &contributions, &[])
        .unwrap();
    response.id
}

fn ids(state: &AppState, form: &str) -> Vec<Uuid> {
    state.store.responses(form).map(|r| r.unwrap().id).collect()
}

fn days(n: i64) -> TimeDelta {
    TimeDelta::days(n)
}

#[test]
fn what_is_older_than_retain_days_goes_and_the_rest_stays() {
    let data = tempfile::tempdir().unwrap();
    let state = state(data.path());
    let now = Utc::now();
    let old = submit_at(&state, "kept", now - days(31));
    let young = submit_at(&state, "kept", now - days(29));
    let forever = submit_at(&state, "forever", now - days(4000));
    let erase = |at| {
        erase_expired(
            state.store.as_ref(),
            &state.catalog,
            &state.reports,
            at,
            &AtomicBool::new(false),
        )
        .unwrap()
    };

    assert_eq!(erase(now), BTreeMap::from([("kept".to_string(), 1)]));
    assert_eq!(ids(&state, "kept"), [young]);
    assert!(state.store.response(old).unwrap().is_none());
    // Two days on, the younger one is past 30 days too; a survey without retain_days keeps
    // everything.
    assert_eq!(
        erase(now + days(2)),
        BTreeMap::from([("kept".to_string(), 1)])
    );
    assert!(ids(&state, "kept").is_empty());
    assert_eq!(ids(&state, "forever"), [forever]);
    assert_eq!(
        erase(now + days(2)),
        BTreeMap::from([("kept".to_string(), 0)])
    );
}

#[test]
fn a_pass_asked_to_stop_erases_nothing_more() {
    let data = tempfile::tempdir().unwrap();
    let state = state(data.path());
    let now = Utc::now();
    submit_at(&state, "kept", now - days(40));
    let erased = erase_expired(
        state.store.as_ref(),
        &state.catalog,
        &state.reports,
        now,
        &AtomicBool::new(true),
    )
    .unwrap();
    assert!(erased.values().all(|n| *n == 0), "{erased:?}");
    assert_eq!(ids(&state, "kept").len(), 1);
}

#[tokio::test]
async fn the_task_looks_at_start_and_again_each_period_until_stopped() {
    let data = tempfile::tempdir().unwrap();
    let state = state(data.path());
    let now = Utc::now();
    submit_at(&state, "kept", now - days(60));
    let task = start_every(state.clone(), Duration::from_millis(50));
    let gone = |state: Arc<AppState>| async move {
        let deadline = Instant::now() + Duration::from_secs(10);
        while !ids(&state, "kept").is_empty() {
            assert!(
                Instant::now() < deadline,
                "the expired response is still there"
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    };
    gone(state.clone()).await;
    // One that turns up later (here: written late) is taken at a later look.
    submit_at(&state, "kept", now - days(45));
    gone(state.clone()).await;
    task.stop().await;
    submit_at(&state, "kept", now - days(45));
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(
        ids(&state, "kept").len(),
        1,
        "a stopped task erases nothing"
    );
}
