//! A server on PostgreSQL whose database goes away: writes answer 503 `store_unavailable`
//! (never 500) and keep nothing, reads that need no database go on, and once the database
//! is back the same server writes again. The outage is real: the server reaches the
//! throwaway PostgreSQL through a TCP relay that this test stops and starts again.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::time::{Duration, Instant};

use common::postgres::fresh_database;
use common::{RESEARCHER, ServerProcess, free_port, parse_csv, repo_path, shipped_forms};
use serde_json::{Value, json};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinHandle;

/// Relays every connection on `port` to `target` until aborted (connections included). The
/// test runs on two worker threads: starting the server blocks one while the relay works.
async fn relay(port: u16, target: String) -> JoinHandle<()> {
    let listener = TcpListener::bind(("127.0.0.1", port)).await.unwrap();
    tokio::spawn(async move {
        let mut connections = tokio::task::JoinSet::new();
        while let Ok((mut client, _)) = listener.accept().await {
            let target = target.clone();
            connections.spawn(async move {
                if let Ok(mut server) = TcpStream::connect(&target).await {
                    let _ = tokio::io::copy_bidirectional(&mut client, &mut server).await;
                }
            });
        }
    })
}

fn answers() -> Value {
    json!({"answers": {
        "role": "Founder or owner",
        "company_size": "2–10",
        "decision_drivers": ["Price"],
        "nps": 9,
        "biggest_challenge": "Setup took no time.",
        "pmf": "Very disappointed",
    }})
}

async fn submit(http: &reqwest::Client, base: &str) -> reqwest::Response {
    http.post(format!("{base}/api/forms/customer-profile/responses"))
        .json(&answers())
        .send()
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lost_database_is_a_503_that_keeps_nothing_and_writes_resume_when_it_is_back() {
    let database = fresh_database();
    // postgres://user@host:port/name → the same through the relay's port.
    let (scheme_user, rest) = database.split_once('@').unwrap();
    let (target, name) = rest.split_once('/').unwrap();
    let port = free_port();
    let through_relay = format!("{scheme_user}@127.0.0.1:{port}/{name}");
    let mut link = relay(port, target.to_string()).await;

    let data = tempfile::tempdir().unwrap();
    let env = [("FIELDNOTES_STORE", through_relay.as_str())];
    let server = ServerProcess::start_with_env(
        data.path(),
        &shipped_forms(),
        &repo_path("reports"),
        free_port(),
        &env,
        None,
    );
    let http = reqwest::Client::new();
    assert_eq!(submit(&http, &server.base).await.status(), 201);

    link.abort();
    let _ = (&mut link).await;
    let refused = submit(&http, &server.base).await;
    assert_eq!(refused.status(), 503);
    let body: Value = refused.json().await.unwrap();
    assert_eq!(body["error"], "store_unavailable", "{body}");
    // The form is served from memory: respondents still see the survey.
    let form = http
        .get(format!("{}/api/forms/customer-profile", server.base))
        .send()
        .await
        .unwrap();
    assert_eq!(form.status(), 200);

    let _link = relay(port, target.to_string()).await;
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let status = submit(&http, &server.base).await.status();
        if status == 201 {
            break;
        }
        assert_eq!(status, 503, "while the pool reconnects");
        assert!(Instant::now() < deadline, "writes never resumed");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let csv = http
        .get(format!(
            "{}/api/forms/customer-profile/responses.csv",
            server.base
        ))
        .bearer_auth(RESEARCHER)
        .send()
        .await
        .unwrap();
    assert_eq!(csv.status(), 200);
    let (_, rows) = parse_csv(&csv.bytes().await.unwrap());
    assert_eq!(rows.len(), 2, "the refused response was not kept");
    server.kill();
}
