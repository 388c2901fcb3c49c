//! Fails when the API's OpenAPI spec changes without `docs/openapi.json` changing with it,
//! so every API change is visible in review. Refresh with `UPDATE_OPENAPI=1 cargo test --test openapi_drift`.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::cast_possible_truncation
)]

mod common;

use common::{TestServer, fixture_forms, repo_path};

#[tokio::test]
async fn the_committed_spec_matches_the_served_one() {
    let s = TestServer::start(&fixture_forms()).await;
    let served: serde_json::Value = s
        .http
        .get(s.url("/api/openapi.json"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let path = repo_path("docs/openapi.json");
    if std::env::var_os("UPDATE_OPENAPI").is_some() {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        let pretty = serde_json::to_string_pretty(&served).unwrap() + "\n";
        std::fs::write(&path, pretty).unwrap();
    }
    let committed: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&path).expect("docs/openapi.json exists"))
            .expect("docs/openapi.json is JSON");
    assert!(
        committed == served,
        "the API changed: review it, then run UPDATE_OPENAPI=1 cargo test --test openapi_drift"
    );
}
