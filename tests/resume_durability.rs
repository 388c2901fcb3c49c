//! Partial responses against the real `fieldnotes` process: a SIGKILL between pages loses no
//! page that was answered, a SIGKILL around the last page leaves the partial or the response
//! (never both, never neither), the last page sent twice stores one response, and partials
//! untouched for their survey's `partial_days` are erased when the server starts.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::cast_possible_truncation
)]

mod common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use chrono::{DateTime, TimeDelta, Utc};
use common::survey::{get, send_page, state_of, token_of};
use common::{RESEARCHER, ServerProcess, free_port, parse_csv, repo_path};
use fieldnotes::auth::sha256_hex;
use fieldnotes::store::{PartialResponse, PartialStore, SledStore, StoredResponse};
use serde_json::{Value, json};
use uuid::Uuid;

fn forms() -> PathBuf {
    repo_path("tests/fixtures/resume/forms")
}

fn reports() -> PathBuf {
    repo_path("tests/fixtures/resume/reports")
}

fn start(data: &Path) -> ServerProcess {
    ServerProcess::start_with_reports(data, &forms(), &reports(), free_port())
}

const PAGE_1: &[(&str, &str)] = &[
    ("_consent", "yes"),
    ("q.size", "Large"),
    ("q.tools", "Paper"),
    ("q.nps", "3"),
];
const PAGE_2: &[(&str, &str)] = &[("q.story", "Slow, too many hours."), ("q.hours", "9")];
const PAGE_3: &[(&str, &str)] = &[("q.region", "Asia")];

async fn send(
    http: &reqwest::Client,
    base: &str,
    html: &str,
    action: &str,
    answers: &[(&str, &str)],
) -> reqwest::Result<(u16, String)> {
    send_page(http, base, "resume", html, action, answers).await
}

/// Pages 1 and 2 answered: the third page, with its token.
async fn to_page_three(http: &reqwest::Client, base: &str) -> String {
    let (_, first) = get(http, &format!("{base}/s/resume?source=mail")).await;
    let (_, second) = send(http, base, &first, "next", PAGE_1).await.unwrap();
    let (status, third) = send(http, base, &second, "next", PAGE_2).await.unwrap();
    assert_eq!(status, 200, "{third}");
    assert!(third.contains("Page 3 of 3"));
    third
}

/// (responses, partials) of a form, from its exports.
async fn counts(http: &reqwest::Client, base: &str, form: &str) -> (usize, usize) {
    let csv = http
        .get(format!("{base}/api/forms/{form}/responses.csv?partial=1"))
        .bearer_auth(RESEARCHER)
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    let (_, rows) = parse_csv(&csv);
    let done = rows.iter().filter(|r| r["completed"] == "1").count();
    (done, rows.len() - done)
}

#[tokio::test]
async fn a_sigkill_between_pages_loses_no_page_and_the_last_page_stores_one_response() {
    let data = tempfile::tempdir().unwrap();
    let http = reqwest::Client::new();
    let server = start(data.path());
    let third = to_page_three(&http, &server.base).await;
    let token = token_of(&third).expect("a token once a page is kept");
    server.kill();

    // Offline, the CLI's export finds the partial with both pages in it.
    let export = std::process::Command::new(env!("CARGO_BIN_EXE_fieldnotes"))
        .args(["export", "resume", "--out", "-", "--partial", "--data"])
        .arg(data.path())
        .arg("--forms")
        .arg(forms())
        .output()
        .unwrap();
    assert!(
        export.status.success(),
        "{}",
        String::from_utf8_lossy(&export.stderr)
    );
    let (headers, rows) = parse_csv(&export.stdout);
    assert_eq!(headers.last().map(String::as_str), Some("completed"));
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0]["completed"], "0");
    assert_eq!(rows[0]["story"], "Slow, too many hours.");
    assert_eq!(rows[0]["size"], "Large");

    let server = start(data.path());
    assert_eq!(counts(&http, &server.base, "resume").await, (0, 1));
    let link = format!("{}/s/resume/resume/{token}", server.base);
    let (status, resumed) = get(&http, &link).await;
    assert_eq!(status, 200);
    assert!(resumed.contains("Page 3 of 3"), "{resumed}");
    let state: Value = serde_json::from_str(&state_of(&resumed)).unwrap();
    assert_eq!(state["answers"]["story"], "Slow, too many hours.");
    assert_eq!(state["answers"]["hours"], 9);
    assert_eq!(state["answers"]["tools"], json!(["Paper"]));
    assert_eq!(state["hidden"]["source"], "mail");

    let (status, done) = send(&http, &server.base, &resumed, "next", PAGE_3)
        .await
        .unwrap();
    assert_eq!(status, 200);
    assert!(done.contains("Thank you"));
    server.kill();

    let server = start(data.path());
    assert_eq!(counts(&http, &server.base, "resume").await, (1, 0));
    // The browser sends the last page again (its answer was lost, say): nothing new.
    let (status, again) = send(&http, &server.base, &resumed, "next", PAGE_3)
        .await
        .unwrap();
    assert_eq!(status, 200);
    assert!(again.contains("already sent"), "{again}");
    assert_eq!(counts(&http, &server.base, "resume").await, (1, 0));
    let link = format!("{}/s/resume/resume/{token}", server.base);
    let (status, link_page) = get(&http, &link).await;
    assert_eq!(status, 200);
    assert!(link_page.contains("already sent"), "{link_page}");
}

#[tokio::test]
async fn a_sigkill_around_the_last_page_leaves_the_partial_or_the_response() {
    let data = tempfile::tempdir().unwrap();
    let http = reqwest::Client::new();
    let mut seen = BTreeMap::new();
    for (round, delay) in [0u64, 1, 2, 3, 5, 8, 12, 20].into_iter().enumerate() {
        let server = start(data.path());
        let before = counts(&http, &server.base, "resume").await;
        let third = to_page_three(&http, &server.base).await;
        let (http2, base) = (http.clone(), server.base.clone());
        let last = tokio::spawn(async move { send(&http2, &base, &third, "next", PAGE_3).await });
        tokio::time::sleep(Duration::from_millis(delay)).await;
        server.kill();
        let answered =
            matches!(last.await.unwrap(), Ok((200, ref page)) if page.contains("Thank you"));
        let server = start(data.path());
        let after = counts(&http, &server.base, "resume").await;
        let outcome = (after.0 - before.0, after.1 as i64 - before.1 as i64);
        assert!(
            outcome == (1, 0) || outcome == (0, 1),
            "round {round}: {outcome:?} (responses, partials) added"
        );
        if answered {
            assert_eq!(
                outcome,
                (1, 0),
                "round {round}: a thank-you means it is stored"
            );
        }
        *seen.entry(outcome).or_insert(0) += 1;
        server.kill();
    }
    eprintln!("outcomes (responses, partials) added: {seen:?}");
}

fn rfc3339(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

fn token(n: u32) -> String {
    format!("{n:064x}")
}

fn partial(form: &str, at: DateTime<Utc>) -> PartialResponse {
    PartialResponse {
        id: Uuid::now_v7(),
        form: form.into(),
        form_revision: "earlier".into(),
        saved_at: rfc3339(at),
        page: 1,
        hidden: BTreeMap::new(),
        answers: BTreeMap::from([("size".to_string(), json!("Solo"))]),
        consent_at: Some(rfc3339(at)),
        language: None,
        seed: 0,
    }
}

#[tokio::test]
async fn partials_past_partial_days_are_erased_at_start() {
    let data = tempfile::tempdir().unwrap();
    let now = Utc::now();
    let days = |n: i64| now - TimeDelta::days(n) - TimeDelta::minutes(5);
    {
        let catalog = fieldnotes::form::load_dir(&forms()).unwrap();
        let store = SledStore::open(&data.path().join("db")).unwrap();
        // `resume` keeps unfinished answers 7 days, `quick` the default 30.
        for (n, form, age) in [
            (1, "resume", 8),
            (2, "resume", 6),
            (3, "quick", 8),
            (4, "quick", 31),
        ] {
            let kept = store
                .save_partial(&sha256_hex(&token(n)), &partial(form, days(age)))
                .unwrap();
            assert!(kept);
        }
        // A response finished 8 days ago leaves its mark, erased too; the response stays.
        let form = catalog.get("resume").unwrap();
        let response = StoredResponse {
            id: Uuid::now_v7(),
            form: "resume".into(),
            form_revision: form.revision.clone(),
            submitted_at: rfc3339(days(8)),
            hidden: BTreeMap::new(),
            answers: BTreeMap::from([("size".to_string(), json!("Solo"))]),
            receipt_sha256: sha256_hex("receipt"),
            consent: None,
            language: None,
            quotas: Vec::new(),
            order: Default::default(),
            contact: None,
        };
        store
            .save_partial(&sha256_hex(&token(5)), &partial("resume", days(8)))
            .unwrap();
        store
            .complete_partial(&sha256_hex(&token(5)), &response, &form, &[], &[])
            .unwrap();
    }
    let log = data.path().join("server.log");
    let server = ServerProcess::start_with_env(
        data.path(),
        &forms(),
        &reports(),
        free_port(),
        &[],
        Some(&log),
    );
    let http = reqwest::Client::new();
    let deadline = Instant::now() + Duration::from_secs(20);
    while counts(&http, &server.base, "resume").await != (1, 1)
        || counts(&http, &server.base, "quick").await != (0, 1)
    {
        assert!(
            Instant::now() < deadline,
            "the stale partials are still there"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let link = |form: &str, n: u32| format!("{}/s/{form}/resume/{}", server.base, token(n));
    let status = |page: (u16, String)| page.0;
    assert_eq!(status(get(&http, &link("resume", 1)).await), 404);
    assert_eq!(status(get(&http, &link("resume", 2)).await), 200);
    assert_eq!(status(get(&http, &link("quick", 3)).await), 200);
    assert_eq!(status(get(&http, &link("quick", 4)).await), 404);
    let (status, page) = get(&http, &link("resume", 5)).await;
    assert_eq!(status, 404, "the mark is gone with its days: {page}");
    let logged = std::fs::read_to_string(&log).unwrap();
    assert!(logged.contains("partial_days: erased"), "{logged}");
}
