//! SIGTERM (what systemd, Docker and Kubernetes send) and SIGINT stop the server gracefully
//! under load: it stops accepting, lets requests under way finish, exits 0, and every write it
//! acknowledged is there after a restart.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::cast_possible_truncation
)]

mod common;

use std::collections::HashSet;
use std::process::Command;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::{RESEARCHER, ServerProcess, fixture_forms, free_port, parse_csv};
use serde_json::json;

async fn stop_under_load(signal: &str) {
    let data = tempfile::tempdir().unwrap();
    let forms = fixture_forms();
    let port = free_port();
    let mut server = ServerProcess::start(data.path(), &forms, port);
    let base = server.base.clone();
    let acknowledged = Arc::new(Mutex::new(HashSet::new()));
    let http = reqwest::Client::new();
    let mut clients = Vec::new();
    for _ in 0..6 {
        let (http, base, acknowledged) = (http.clone(), base.clone(), acknowledged.clone());
        clients.push(tokio::spawn(async move {
            let deadline = Instant::now() + Duration::from_secs(3);
            while Instant::now() < deadline {
                let sent = http
                    .post(format!("{base}/api/forms/all-types/responses"))
                    .json(&json!({"answers": {"team_size": "6-20", "nps": 9}}))
                    .send()
                    .await;
                // After the signal, connections are refused: those writes were never acked.
                let Ok(response) = sent else { continue };
                if response.status() == 201 {
                    let body: serde_json::Value = response.json().await.unwrap();
                    acknowledged
                        .lock()
                        .unwrap()
                        .insert(body["id"].as_str().unwrap().to_string());
                }
            }
        }));
    }
    tokio::time::sleep(Duration::from_millis(800)).await;
    let status = Command::new("kill")
        .args([signal, &server.child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let deadline = Instant::now() + Duration::from_secs(15);
    let exit = loop {
        if let Some(exit) = server.child.try_wait().unwrap() {
            break exit;
        }
        assert!(
            Instant::now() < deadline,
            "still running 15 s after {signal}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    assert!(
        exit.success(),
        "{signal} should end with exit 0, got {exit}"
    );
    for client in clients {
        client.await.unwrap();
    }
    let acknowledged = acknowledged.lock().unwrap().clone();
    assert!(!acknowledged.is_empty(), "the load got some writes in");
    let restarted = ServerProcess::start(data.path(), &forms, free_port());
    let csv = http
        .get(format!(
            "{}/api/forms/all-types/responses.csv",
            restarted.base
        ))
        .bearer_auth(RESEARCHER)
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    let (_, rows) = parse_csv(&csv);
    let stored: HashSet<String> = rows.iter().map(|r| r["response_id"].clone()).collect();
    let lost: Vec<&String> = acknowledged.difference(&stored).collect();
    assert!(
        lost.is_empty(),
        "{} of {} acknowledged responses lost after {signal}",
        lost.len(),
        acknowledged.len()
    );
}

#[tokio::test]
async fn sigterm_under_load_exits_0_and_keeps_every_acknowledged_write() {
    stop_under_load("-TERM").await;
}

#[tokio::test]
async fn sigint_does_the_same() {
    stop_under_load("-INT").await;
}
