//! Consent over HTTP: `check` refuses an empty text, the hosted page (JavaScript off) asks for
//! the box before the first question, the API needs `"consent": true`, and every response
//! keeps a hash of what was agreed to and when, which the exports show as `consent_at`.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::cast_possible_truncation
)]

mod common;

use std::path::PathBuf;
use std::process::Command;

use chrono::{DateTime, Utc};
use common::survey::{page_count, state_of};
use common::{RESEARCHER, ServerProcess, TestServer, free_port, parse_csv, repo_path};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

fn flow_forms() -> PathBuf {
    repo_path("tests/fixtures/flow/forms")
}

fn consent_text() -> String {
    let catalog = fieldnotes::form::load_dir(&flow_forms()).expect("the flow fixtures load");
    let form = catalog.get("consent").expect("the consent fixture");
    form.consent.clone().expect("consent text")
}

fn time(text: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(text)
        .unwrap_or_else(|e| panic!("{text:?} is not RFC 3339: {e}"))
        .with_timezone(&Utc)
}

async fn post(http: &reqwest::Client, url: &str, fields: &[(&str, &str)]) -> (u16, String) {
    let response = http.post(url).form(fields).send().await.unwrap();
    (response.status().as_u16(), response.text().await.unwrap())
}

async fn download(http: &reqwest::Client, url: &str) -> Vec<u8> {
    let response = http.get(url).bearer_auth(RESEARCHER).send().await.unwrap();
    assert_eq!(response.status(), 200, "GET {url}");
    response.bytes().await.unwrap().to_vec()
}

#[test]
fn check_reports_an_empty_consent() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("empty-consent.toml");
    std::fs::write(
        &file,
        "id = \"empty-consent\"\nkind = \"survey\"\ntitle = \"T\"\nconsent = \"  \"\n\n\
         [[questions]]\nid = \"q\"\ntype = \"text\"\ntext = \"Q?\"\n",
    )
    .unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_fieldnotes"))
        .args(["check", "--forms"])
        .arg(dir.path())
        .arg("--reports")
        .arg(repo_path("tests/fixtures/no-reports"))
        .output()
        .expect("the binary runs");
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(
        stderr.trim(),
        format!(
            "{}: consent is empty: write the text respondents agree to, or leave consent out",
            file.display()
        )
    );
}

#[tokio::test]
async fn the_page_refuses_an_unticked_box_and_stores_when_it_was_ticked() {
    let data = tempfile::tempdir().unwrap();
    let server = ServerProcess::start(data.path(), &flow_forms(), free_port());
    let http = reqwest::Client::new();
    let url = format!("{}/s/consent", server.base);
    let html = http.get(&url).send().await.unwrap().text().await.unwrap();
    // The text comes before the first question, paragraph by paragraph, with an unticked box.
    let text_at = html
        .find("<p>We keep your answers for a year and use them only to improve our product.</p>")
        .expect("the consent text");
    assert!(
        html.contains("<p>You can erase them at any time with the receipt you get at the end.</p>")
    );
    assert!(text_at < html.find("id=\"q-role\"").expect("the first question"));
    assert!(html.contains(
        "<input type=\"checkbox\" id=\"consent-input\" name=\"_consent\" value=\"yes\" required aria-describedby=\"consent-text\">"
    ));

    // Unticked: refused with the answers kept, the error beside the box and in the summary.
    let state = state_of(&html);
    let page1 = [
        ("_page", "0"),
        ("_action", "next"),
        ("q.role", "Engineer"),
        ("q.nps", "8"),
    ];
    let mut fields = vec![("_state", state.as_str())];
    fields.extend(page1);
    let (status, refused) = post(&http, &url, &fields).await;
    assert_eq!(status, 422, "{refused}");
    assert!(refused.contains("<title>Error: "));
    assert!(refused.contains("<a href=\"#consent-input\">Consent: tick the box to agree"));
    assert!(refused.contains(
        "<p class=\"error\" id=\"err-consent\">tick the box to agree before you start: without it we keep no answers</p>"
    ));
    assert!(
        refused.contains("aria-describedby=\"consent-text err-consent\" aria-invalid=\"true\"")
    );
    assert!(refused.contains("value=\"Engineer\" checked"));
    assert!(refused.contains("value=\"8\" checked"));
    assert_eq!(page_count(&refused), (1, 2));

    // Ticked: on to page 2, with the time of the tick in the answers that travel along.
    let before = Utc::now();
    let state = state_of(&refused);
    let mut fields = vec![("_state", state.as_str()), ("_consent", "yes")];
    fields.extend(page1);
    let (status, page2) = post(&http, &url, &fields).await;
    let ticked = Utc::now();
    assert_eq!(status, 200, "{page2}");
    assert_eq!(page_count(&page2), (2, 2));
    let given: Value = serde_json::from_str(&state_of(&page2)).unwrap();
    let given_at = time(given["consent_at"].as_str().expect("a consent time"));
    assert!(before <= given_at && given_at <= ticked);

    // Back and on again: the box shows ticked and the time stays the first tick's.
    let state = state_of(&page2);
    let (_, back) = post(
        &http,
        &url,
        &[("_state", &state), ("_page", "1"), ("_action", "back")],
    )
    .await;
    assert!(back.contains("name=\"_consent\" value=\"yes\" checked"));
    let state = state_of(&back);
    let mut fields = vec![("_state", state.as_str()), ("_consent", "yes")];
    fields.extend(page1);
    let (_, page2) = post(&http, &url, &fields).await;
    let again: Value = serde_json::from_str(&state_of(&page2)).unwrap();
    assert_eq!(again["consent_at"], given["consent_at"]);

    let state = state_of(&page2);
    let (status, thanks) = post(
        &http,
        &url,
        &[
            ("_state", &state),
            ("_page", "1"),
            ("_action", "next"),
            ("q.story", "Last week, for a renewal."),
        ],
    )
    .await;
    assert_eq!(status, 200, "{thanks}");
    assert!(thanks.contains("Thank you"), "{thanks}");

    // The exports: consent_at after form_revision, the same time in CSV and JSON Lines.
    let base = &server.base;
    let csv = download(&http, &format!("{base}/api/forms/consent/responses.csv")).await;
    let (headers, rows) = parse_csv(&csv);
    assert_eq!(
        headers[..4],
        ["response_id", "submitted_at", "form_revision", "consent_at"]
    );
    assert_eq!(rows.len(), 1);
    let consent_at = rows[0]["consent_at"].clone();
    assert_eq!(
        time(&consent_at).timestamp_millis(),
        given_at.timestamp_millis()
    );
    assert!(time(&consent_at) <= time(&rows[0]["submitted_at"]));
    let jsonl = download(&http, &format!("{base}/api/forms/consent/responses.jsonl")).await;
    let record: Value = serde_json::from_slice(&jsonl).unwrap();
    assert_eq!(record["consent_at"], consent_at.as_str());

    // The store keeps which text was agreed to (its SHA-256) and when.
    server.kill();
    // On a thread of its own: a store may block, which this test's runtime refuses.
    let dir = data.path().to_path_buf();
    let stored: Vec<_> = std::thread::spawn(move || {
        let store = common::postgres::open_store(&dir);
        store
            .responses("consent")
            .map(Result::unwrap)
            .collect::<Vec<_>>()
    })
    .join()
    .unwrap();
    let consent = stored[0].consent.as_ref().expect("consent stored");
    let digest: String = Sha256::digest(consent_text().as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    assert_eq!(consent.text_sha256, digest);
    assert_eq!(consent.at, consent_at);
}

#[tokio::test]
async fn the_api_needs_consent_true_for_a_form_with_consent_text() {
    let s = TestServer::start(&flow_forms()).await;
    let form: Value = s
        .http
        .get(s.url("/api/forms/consent"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(form["consent"], consent_text());

    let server = &s;
    let refused = move |body: Value| async move {
        let response = server.submit("consent", body).await;
        assert_eq!(response.status(), 422);
        let error: Value = response.json().await.unwrap();
        assert_eq!(error["error"], "validation");
        error["fields"].clone()
    };
    let fields = refused(json!({"answers": {"role": "Founder"}})).await;
    assert!(
        fields["consent"]
            .as_str()
            .unwrap()
            .contains("\"consent\": true"),
        "{fields}"
    );
    // Every bad field at once: the consent and a bad answer.
    let fields = refused(json!({"answers": {"role": "Nobody"}, "consent": false})).await;
    assert!(
        fields.get("consent").is_some() && fields.get("role").is_some(),
        "{fields}"
    );

    let response = s
        .submit(
            "consent",
            json!({"answers": {"role": "Founder"}, "consent": true}),
        )
        .await;
    assert_eq!(response.status(), 201);
    // A form without consent text takes a response without it and shows no such column.
    let response = s
        .submit("late-branch", json!({"answers": {"more": "No"}}))
        .await;
    assert_eq!(response.status(), 201);

    let csv = download(&s.http, &s.url("/api/forms/consent/responses.csv")).await;
    let (headers, rows) = parse_csv(&csv);
    assert_eq!(headers[3], "consent_at");
    assert_eq!(rows[0]["consent_at"], rows[0]["submitted_at"]);
    let xlsx = download(&s.http, &s.url("/api/forms/consent/responses.xlsx")).await;
    let sheet = common::xlsx::rows(&xlsx, "responses");
    assert_eq!(common::xlsx::text(&sheet[0][3]), "consent_at");
    assert!(
        matches!(sheet[1][3], calamine::Data::DateTime(_)),
        "{:?}",
        sheet[1][3]
    );
    let sav = download(&s.http, &s.url("/api/forms/consent/responses.sav")).await;
    assert!(
        sav.windows(10).any(|w| w == b"consent_at"),
        "a consent_at variable"
    );

    let plain = download(&s.http, &s.url("/api/forms/late-branch/responses.csv")).await;
    assert!(!parse_csv(&plain).0.contains(&"consent_at".to_string()));
    let plain = download(&s.http, &s.url("/api/forms/late-branch/responses.jsonl")).await;
    let record: Value = serde_json::from_slice(&plain).unwrap();
    assert!(record.get("consent_at").is_none(), "{record}");
    s.stop().await;
}
