//! Two `serve` processes on one PostgreSQL database (`scripts/test` starts a throwaway one):
//! an observer on one sees the notes written on the other; responses sent to both are one
//! set of records; each webhook message goes out once although both deliver; SIGKILL of one
//! under load loses no acknowledged response and the other keeps serving.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::cast_possible_truncation
)]

mod common;

use std::collections::BTreeMap;
use std::path::Path;
use std::time::{Duration, Instant};

use common::interviews::{add_note, start_jtbd};
use common::postgres::fresh_database;
use common::webhooks::{PLAIN, PLAIN_VAR, Receiver, SECRET, SECRET_VAR, forms_for};
use common::{RESEARCHER, ServerProcess, free_port, parse_csv, repo_path, shipped_forms};
use futures_util::StreamExt;
use serde_json::{Value, json};

/// Generous: the figure itself is measured and printed, not asserted (tests time nothing).
const SHOULD_COME: Duration = Duration::from_secs(5);

fn node(
    data: &Path,
    forms: &Path,
    reports: &Path,
    database: &str,
    env: &[(&str, &str)],
) -> ServerProcess {
    let mut env: Vec<(&str, &str)> = env.to_vec();
    env.push(("FIELDNOTES_STORE", database));
    ServerProcess::start_with_env(data, forms, reports, free_port(), &env, None)
}

async fn csv_ids(http: &reqwest::Client, base: &str, form: &str) -> Vec<String> {
    let response = http
        .get(format!("{base}/api/forms/{form}/responses.csv"))
        .bearer_auth(RESEARCHER)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let (_, rows) = parse_csv(&response.bytes().await.unwrap());
    let mut ids: Vec<String> = rows.into_iter().map(|r| r["response_id"].clone()).collect();
    ids.sort();
    ids
}

fn answers(i: usize) -> Value {
    let size = ["Just me", "2–10", "11–50"][i % 3];
    json!({"answers": {
        "role": "Founder or owner",
        "company_size": size,
        "decision_drivers": ["Price"],
        "nps": i % 11,
        "biggest_challenge": "The price was fair and setup took no time.",
        "pmf": "Very disappointed",
    }})
}

#[tokio::test]
async fn two_nodes_share_notes_responses_and_survive_the_loss_of_one() {
    let database = fresh_database();
    let (forms, reports) = (shipped_forms(), repo_path("reports"));
    let (data_a, data_b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let a = node(data_a.path(), &forms, &reports, &database, &[]);
    let b = node(data_b.path(), &forms, &reports, &database, &[]);
    let http = reqwest::Client::new();

    // An observer on B, the interviewer on A.
    let interview = start_jtbd(&http, &a.base, "P-two-nodes").await;
    let stream = http
        .get(format!("{}/api/interviews/{interview}/events", b.base))
        .bearer_auth(RESEARCHER)
        .send()
        .await
        .unwrap();
    assert_eq!(stream.status(), 200);
    let mut stream = stream.bytes_stream();
    let mut seen = String::new();
    let mut latencies = Vec::new();
    for n in 1..=5 {
        let text = format!("Note {n} written on node A");
        let sent = Instant::now();
        add_note(
            &http,
            &a.base,
            &interview,
            json!({"text": text, "section": "first_thought"}),
        )
        .await;
        while !seen.contains(&text) {
            let chunk = tokio::time::timeout(SHOULD_COME, stream.next())
                .await
                .unwrap_or_else(|_| panic!("node B's observer never saw '{text}': {seen}"))
                .expect("the stream stays open")
                .unwrap();
            seen.push_str(&String::from_utf8_lossy(&chunk));
        }
        latencies.push(sent.elapsed());
    }
    latencies.sort();
    eprintln!(
        "note written on A to observer on B: median {:?}, max {:?}",
        latencies[latencies.len() / 2],
        latencies[latencies.len() - 1]
    );

    // Responses sent alternately to both nodes are one set.
    let mut acknowledged = Vec::new();
    for i in 0..20 {
        let base = if i % 2 == 0 { &a.base } else { &b.base };
        let response = http
            .post(format!("{base}/api/forms/customer-profile/responses"))
            .json(&answers(i))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 201, "{}", response.text().await.unwrap());
        let body: Value = response.json().await.unwrap();
        acknowledged.push(body["id"].as_str().unwrap().to_string());
    }
    acknowledged.sort();
    assert_eq!(
        csv_ids(&http, &a.base, "customer-profile").await,
        acknowledged
    );
    assert_eq!(
        csv_ids(&http, &b.base, "customer-profile").await,
        acknowledged
    );
    let report = |base: String| {
        let http = http.clone();
        async move {
            let report: Value = http
                .get(format!("{base}/api/reports/customer-profile"))
                .bearer_auth(RESEARCHER)
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
            report
        }
    };
    let (on_a, on_b) = (report(a.base.clone()).await, report(b.base.clone()).await);
    assert_eq!(on_a["responses"], 20, "{on_a}");
    assert_eq!(on_a, on_b);

    // SIGKILL of A while both take responses: every acknowledged one is there, B serves on.
    let load = |base: String| {
        let http = http.clone();
        tokio::spawn(async move {
            let mut ok = Vec::new();
            for i in 0..200 {
                let sent = http
                    .post(format!("{base}/api/forms/customer-profile/responses"))
                    .json(&answers(i))
                    .send()
                    .await;
                match sent {
                    Ok(response) if response.status() == 201 => {
                        let body: Value = response.json().await.unwrap();
                        ok.push(body["id"].as_str().unwrap().to_string());
                    }
                    _ => break,
                }
            }
            ok
        })
    };
    let (load_a, load_b) = (load(a.base.clone()), load(b.base.clone()));
    tokio::time::sleep(Duration::from_millis(300)).await;
    let b_base = b.base.clone();
    a.kill();
    acknowledged.extend(load_a.await.unwrap());
    acknowledged.extend(load_b.await.unwrap());
    let stored = csv_ids(&http, &b_base, "customer-profile").await;
    let missing: Vec<&String> = acknowledged
        .iter()
        .filter(|id| stored.binary_search(id).is_err())
        .collect();
    assert!(missing.is_empty(), "acknowledged but lost: {missing:?}");
    // A's client sends one request at a time, so at most the one A had committed when it
    // died, before its 201 went out, is stored without an acknowledgement.
    assert!(
        stored.len() <= acknowledged.len() + 1,
        "{} stored, {} acknowledged",
        stored.len(),
        acknowledged.len()
    );
    b.kill();
}

#[tokio::test]
async fn each_webhook_message_goes_out_once_with_two_nodes_delivering() {
    let receiver = Receiver::start().await;
    let forms = forms_for(&receiver);
    let reports = repo_path("tests/fixtures/no-reports");
    let database = fresh_database();
    let env = [
        (SECRET_VAR, SECRET),
        (PLAIN_VAR, PLAIN),
        ("FIELDNOTES_WEBHOOK_RETRY_MS", "50"),
    ];
    let (data_a, data_b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let a = node(data_a.path(), forms.path(), &reports, &database, &env);
    let b = node(data_b.path(), forms.path(), &reports, &database, &env);
    for i in 0..10 {
        let base = if i % 2 == 0 { &a.base } else { &b.base };
        common::webhooks::submit(base, json!({"plan": "Team"})).await;
    }
    receiver
        .wait_delivered("/standard", 10, Duration::from_secs(20))
        .await;
    // Time for a second delivery to show, were there one.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let mut times: BTreeMap<String, usize> = BTreeMap::new();
    for delivered in receiver.delivered("/standard") {
        *times
            .entry(delivered.header("webhook-id").to_string())
            .or_default() += 1;
    }
    assert_eq!(times.len(), 10, "{times:?}");
    assert!(
        times.values().all(|n| *n == 1),
        "a message went out twice: {times:?}"
    );
    a.kill();
    b.kill();
}

/// The Message-ID of a scheduled summary names its due time: what must not repeat.
fn message_id(data: &[u8]) -> String {
    let text = String::from_utf8_lossy(data);
    text.lines()
        .find_map(|line| {
            let (name, value) = line.split_once(':')?;
            name.eq_ignore_ascii_case("message-id")
                .then(|| value.trim().to_string())
        })
        .unwrap_or_else(|| panic!("a Message-ID in {text}"))
}

#[tokio::test]
async fn a_scheduled_summary_goes_out_once_with_two_nodes_and_after_the_holder_dies() {
    let sink = common::smtp::SmtpSink::start();
    let url = sink.url();
    let env = [
        ("FIELDNOTES_SMTP_URL", url.as_str()),
        ("FIELDNOTES_MAIL_FROM", "fieldnotes@panel.test"),
    ];
    // The panel report with a summary every 2 s.
    let (forms, reports) = (
        repo_path("tests/fixtures/panel/forms"),
        repo_path("tests/fixtures/panel/mail-cadence"),
    );
    let database = fresh_database();
    let (data_a, data_b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let a = node(data_a.path(), &forms, &reports, &database, &env);
    let b = node(data_b.path(), &forms, &reports, &database, &env);
    let http = reqwest::Client::new();
    for i in 0..6 {
        let base = if i % 2 == 0 { &a.base } else { &b.base };
        let response = http
            .post(format!("{base}/api/forms/panel/responses"))
            .json(
                &json!({"answers": {"plan": "Free", "role": "Founder", "nps": i, "ease": 3,
                                      "tools": ["Slack"], "seats": 2.0,
                                      "comment": "The price is what almost stopped us"}}),
            )
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 201, "{}", response.text().await.unwrap());
    }
    sink.wait_for(3, Duration::from_secs(15)).await;
    // The holder of the schedule goes; the other takes it over and the rhythm goes on.
    a.kill();
    let before = sink.messages().len();
    sink.wait_for(before + 2, Duration::from_secs(20)).await;
    b.kill();
    let mut seen: BTreeMap<String, usize> = BTreeMap::new();
    for message in sink.messages() {
        *seen.entry(message_id(&message.data)).or_default() += 1;
    }
    assert!(
        seen.values().all(|n| *n == 1),
        "a summary due once went out twice: {seen:?}"
    );
}

/// Each node's report, once its rebuild is done (503 with the progress until then).
async fn ready_report(http: &reqwest::Client, base: &str) -> Value {
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        let response = http
            .get(format!("{base}/api/reports/customer-profile"))
            .bearer_auth(RESEARCHER)
            .send()
            .await
            .unwrap();
        match response.status().as_u16() {
            200 => return response.json().await.unwrap(),
            503 if Instant::now() < deadline => {
                tokio::time::sleep(Duration::from_millis(100)).await
            }
            status => panic!("{base}: {status} {}", response.text().await.unwrap()),
        }
    }
}

#[tokio::test]
async fn two_nodes_started_on_a_changed_report_rebuild_it_once_between_them() {
    // More responses than one rebuild step takes, so that both nodes' rebuilds interleave.
    const RESPONSES: usize = 2_600;
    let database = fresh_database();
    let forms = shipped_forms();
    let (data_a, data_b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let a = node(data_a.path(), &forms, &repo_path("reports"), &database, &[]);
    let http = reqwest::Client::new();
    futures_util::stream::iter(0..RESPONSES)
        .for_each_concurrent(16, |i| {
            let (http, base) = (&http, &a.base);
            async move {
                let response = http
                    .post(format!("{base}/api/forms/customer-profile/responses"))
                    .json(&answers(i))
                    .send()
                    .await
                    .unwrap();
                assert_eq!(response.status(), 201);
            }
        })
        .await;
    a.kill();

    // The same report now segmented by role: its aggregates are stale on both nodes, which
    // start together and both find them so.
    let changed = tempfile::tempdir().unwrap();
    let definition = std::fs::read_to_string(repo_path("reports/customer-profile.toml")).unwrap();
    let by_role = definition.replace("segment_by = \"company_size\"", "segment_by = \"role\"");
    assert_ne!(by_role, definition);
    std::fs::write(changed.path().join("customer-profile.toml"), by_role).unwrap();
    let a = node(data_a.path(), &forms, changed.path(), &database, &[]);
    let b = node(data_b.path(), &forms, changed.path(), &database, &[]);
    let (on_a, on_b) = tokio::join!(ready_report(&http, &a.base), ready_report(&http, &b.base));
    assert_eq!(on_a, on_b);
    // Every response counted once: all are founders, in one segment of RESPONSES.
    let segments = on_a["segments"].as_array().unwrap();
    let counted: u64 = segments.iter().filter_map(|s| s["n"].as_u64()).sum();
    assert_eq!(counted, RESPONSES as u64, "{segments:?}");
    let founders = segments
        .iter()
        .find(|s| s["name"] == "Founder or owner")
        .unwrap();
    assert_eq!(founders["n"], RESPONSES as u64);
    // The NPS mean of i % 11 over 0..RESPONSES, by hand.
    let expected_mean = (0..RESPONSES).map(|i| (i % 11) as f64).sum::<f64>() / RESPONSES as f64;
    let nps = on_a["questions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|q| q["id"] == "nps")
        .unwrap();
    let mean = nps["by_segment"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["segment"] == "Founder or owner")
        .unwrap()["mean"]
        .as_f64()
        .unwrap();
    assert!(
        (mean - expected_mean).abs() < 1e-9,
        "{mean} against {expected_mean}"
    );
    a.kill();
    b.kill();
}
