//! The survey engine in the page's language and with save and resume: a matrix's rows and
//! options and a piped choice on a German page, answers stored in the default language with
//! the shuffled order, and a respondent screened out by a full quota told so in German and
//! left with no partial response.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::cast_possible_truncation
)]

mod common;

use std::path::PathBuf;

use common::survey::{page_of, state_of, token_of};
use common::{RESEARCHER, TestServer, repo_path};
use serde_json::{Value, json};

fn forms() -> PathBuf {
    repo_path("tests/fixtures/engine_languages/forms")
}

/// Posts `html`'s page back with `answers`, its state, language and token, and Next.
async fn next(s: &TestServer, html: &str, answers: &[(&str, &str)]) -> (u16, String) {
    let (state, page) = (state_of(html), page_of(html));
    let token = token_of(html).unwrap_or_default();
    let mut fields = vec![
        ("_state", state.as_str()),
        ("_page", page.as_str()),
        ("_lang", "de"),
        ("t", token.as_str()),
        ("_action", "next"),
    ];
    fields.extend_from_slice(answers);
    let response = s
        .http
        .post(s.url("/s/tools"))
        .form(&fields)
        .send()
        .await
        .unwrap();
    (response.status().as_u16(), response.text().await.unwrap())
}

async fn records(s: &TestServer, query: &str) -> Vec<Value> {
    let response = s
        .http
        .get(s.url(&format!("/api/forms/tools/responses.jsonl{query}")))
        .bearer_auth(RESEARCHER)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    response
        .text()
        .await
        .unwrap()
        .lines()
        .map(|line| serde_json::from_str(line).expect("a record"))
        .collect()
}

#[tokio::test]
async fn a_german_page_translates_rows_and_pipes_and_stores_the_default_language() {
    let s = TestServer::start(&forms()).await;
    let first = s
        .http
        .get(s.url("/s/tools?lang=de"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(first.contains("Was ist Ihre Rolle?"), "{first}");
    assert!(first.contains("Designerin"), "{first}");
    // What is posted and stored stays the default language's option.
    assert!(first.contains("value=\"Designer\""), "{first}");
    let (status, second) = next(&s, &first, &[("q.role", "Designer")]).await;
    assert_eq!(status, 200, "{second}");
    // The pipe shows the choice in the page's language, and the rows and options are German.
    assert!(
        second.contains("Als Designerin: wie bewerten Sie das?"),
        "{second}"
    );
    for word in ["Tempo", "Preis", "Niedrig", "Hoch"] {
        assert!(second.contains(word), "no {word} in {second}");
    }
    let (status, thanks) = next(&s, &second, &[("q.sat.0", "Low"), ("q.sat.1", "High")]).await;
    assert_eq!(status, 200, "{thanks}");
    assert!(thanks.contains("lang=\"de\""), "{thanks}");
    let stored = records(&s, "").await;
    assert_eq!(stored.len(), 1, "{stored:?}");
    let record = &stored[0];
    assert_eq!(record["language"], "de");
    assert_eq!(
        record["answers"],
        json!({"role": "Designer", "sat": {"Speed": "Low", "Price": "High"}})
    );
    let mut shown: Vec<String> = serde_json::from_value(record["order"]["sat"].clone()).unwrap();
    shown.sort();
    assert_eq!(shown, ["Price", "Speed"], "the rows as shown: {record}");
    s.stop().await;
}

#[tokio::test]
async fn a_full_quota_screens_out_in_german_and_keeps_nothing_of_the_respondent() {
    let s = TestServer::start(&forms()).await;
    let first = s
        .http
        .get(s.url("/s/tools?lang=de"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    // While the quota has a place, the first page goes on and is kept as a partial.
    let (status, second) = next(&s, &first, &[("q.role", "Engineer")]).await;
    assert_eq!(status, 200, "{second}");
    assert!(token_of(&second).is_some(), "the page is kept: {second}");
    assert_eq!(records(&s, "?partial=1").await.len(), 1);
    // Another respondent takes the last place.
    let taken = s
        .submit(
            "tools",
            json!({"answers": {"role": "Engineer", "sat": {"Speed": "Low", "Price": "Low"}}}),
        )
        .await;
    assert_eq!(taken.status(), 201);
    let (status, out) = next(&s, &second, &[("q.sat.0", "High"), ("q.sat.1", "High")]).await;
    assert_eq!(status, 200, "{out}");
    assert!(
        out.contains("Wir haben genug Ingenieurinnen gehört."),
        "{out}"
    );
    assert!(out.contains("lang=\"de\""), "{out}");
    let left = records(&s, "?partial=1").await;
    assert_eq!(
        left.len(),
        1,
        "only the other respondent's response: {left:?}"
    );
    assert_eq!(left[0]["completed"], 1);
    // The API says the same in its own way.
    let refused = s
        .submit(
            "tools",
            json!({"answers": {"role": "Engineer", "sat": {"Speed": "Low", "Price": "Low"}}}),
        )
        .await;
    assert_eq!(refused.status(), 409);
    let body: Value = refused.json().await.unwrap();
    assert_eq!(body["error"], "quota_full");
    assert_eq!(body["quota"], "engineers");
    s.stop().await;
}
