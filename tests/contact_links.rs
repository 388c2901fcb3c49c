//! The other ways a piece of evidence finds its contact: a form's own `contact_key` hidden
//! field, and an interview started with `"contact": KEY`. Survey answers, interview notes
//! and support tickets of one contact then land in that contact's segment of a report by
//! contact attribute, follow a re-import, and leave the segment when the contact is erased.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::collections::BTreeMap;
use std::process::Command;

use common::{INTERVIEWER, RESEARCHER, TestServer, parse_csv, repo_path};
use serde_json::{Value, json};

async fn server() -> TestServer {
    TestServer::start_with(
        &repo_path("tests/fixtures/contact-links/forms"),
        &repo_path("tests/fixtures/contact-links/reports"),
        Default::default(),
    )
    .await
}

async fn report(server: &TestServer) -> Value {
    server.ready_report("accounts").await
}

async fn get_text(server: &TestServer, path: &str) -> String {
    let response = server.get_as(path, RESEARCHER).await;
    assert_eq!(response.status(), 200, "{path}");
    response.text().await.unwrap()
}

async fn submit(server: &TestServer, account: Option<&str>, nps: u8, why: &str) {
    let hidden = match account {
        Some(account) => json!({"account": account}),
        None => json!({}),
    };
    let body = json!({"answers": {"nps": nps, "why": why}, "hidden": hidden});
    let response = server.submit("accounts", body).await;
    assert_eq!(response.status(), 201, "{}", response.text().await.unwrap());
}

async fn interview(server: &TestServer, contact: Option<&str>, note: &str) -> String {
    let mut body = json!({"guide": "calls", "participant": "P", "attributes": {"role": "Founder"}});
    if let Some(contact) = contact {
        body["contact"] = json!(contact);
    }
    let response = server
        .http
        .post(server.url("/api/interviews"))
        .bearer_auth(INTERVIEWER)
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 201, "{}", response.text().await.unwrap());
    let id = response.json::<Value>().await.unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    let note = json!({"text": note, "section": "deciding", "kind": "quote", "forces": []});
    let response = server
        .http
        .post(server.url(&format!("/api/interviews/{id}/notes")))
        .bearer_auth(INTERVIEWER)
        .json(&note)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 201, "{}", response.text().await.unwrap());
    id
}

/// Segment → n, from the report JSON.
fn sizes(report: &Value) -> BTreeMap<String, u64> {
    report["segments"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            (
                s["name"].as_str().unwrap().to_string(),
                s["n"].as_u64().unwrap_or_else(|| panic!("{s}")),
            )
        })
        .collect()
}

/// (segment, source) → texts the Price theme counted, from themes.csv.
async fn price_cells(server: &TestServer) -> BTreeMap<(String, String), u64> {
    let csv = get_text(server, "/api/reports/accounts/themes.csv").await;
    let (_, rows) = parse_csv(csv.as_bytes());
    rows.iter()
        .filter(|r| r["theme"] == "Price")
        .map(|r| {
            (
                (r["segment"].clone(), r["source"].clone()),
                r["responses"].parse().unwrap(),
            )
        })
        .collect()
}

fn cells(expected: &[(&str, &str, u64)]) -> BTreeMap<(String, String), u64> {
    expected
        .iter()
        .map(|(segment, source, n)| ((segment.to_string(), source.to_string()), *n))
        .collect()
}

#[tokio::test]
async fn answers_notes_and_tickets_of_one_contact_share_its_segment() {
    let server = server().await;
    server
        .import_csv(
            "/api/contacts",
            "customer_id,email,plan\na1,a1@example.com,Pro\na2,a2@example.com,Free\na3,,Pro\n",
        )
        .await;
    // Linked through the form's own key field, `account`; one answer names nobody.
    submit(&server, Some("a1"), 9, "The price is fair").await;
    submit(&server, Some(" a3 "), 10, "Great tool").await;
    submit(&server, Some("a2"), 3, "Too expensive for us").await;
    submit(&server, None, 5, "Fine").await;
    let linked = interview(&server, Some("a1"), "The price was the blocker").await;
    interview(&server, None, "The price page confused me").await;
    let free = interview(&server, Some("a2"), "We nearly left over price").await;
    server
        .import_csv(
            "/api/reports/accounts/sources/support/texts",
            "id,customer_id,text\nt1,a3,The price went up at renewal\nt2,,Price too high\n",
        )
        .await;

    // Counted by hand from the lines above: Pro holds a1 and a3, Free a2.
    let figures = report(&server).await;
    assert_eq!(
        sizes(&figures),
        BTreeMap::from([
            ("Free".to_string(), 1),
            ("No answer".to_string(), 1),
            ("Pro".to_string(), 2),
        ]),
        "{figures}"
    );
    assert_eq!(
        price_cells(&server).await,
        cells(&[
            ("Free", "interview", 1),
            ("Free", "survey", 1),
            ("No answer", "interview", 1),
            ("No answer", "support", 1),
            ("Pro", "interview", 1),
            ("Pro", "support", 1),
            ("Pro", "survey", 1),
        ])
    );
    // The interview says whom it is linked to.
    let started: Value = server
        .get_as(&format!("/api/interviews/{linked}"), INTERVIEWER)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(started["contact"], "a1", "{started}");

    // The exports name the contact: CSV columns right after the hidden fields, JSONL a key.
    let (header, rows) = parse_csv(
        get_text(&server, "/api/forms/accounts/responses.csv")
            .await
            .as_bytes(),
    );
    let at = header.iter().position(|h| h == "account").unwrap();
    assert_eq!(header[at + 1], "contact.plan", "{header:?}");
    assert!(!header.iter().any(|h| h == "contact.email"), "{header:?}");
    let plans: Vec<&str> = rows.iter().map(|r| r["contact.plan"].as_str()).collect();
    assert_eq!(plans, ["Pro", "Pro", "Free", ""]);
    let jsonl = get_text(&server, "/api/forms/accounts/responses.jsonl").await;
    let contacts: Vec<Value> = jsonl
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).unwrap()["contact"].clone())
        .collect();
    assert_eq!(
        contacts,
        [json!("a1"), json!("a3"), json!("a2"), Value::Null]
    );

    // A re-import moves a1's answer and call to Team.
    server
        .import_csv("/api/contacts", "customer_id,plan\na1,Team\n")
        .await;
    let figures = report(&server).await;
    assert_eq!(sizes(&figures)["Team"], 1, "{figures}");
    assert_eq!(sizes(&figures)["Pro"], 1, "{figures}");
    let moved = price_cells(&server).await;
    assert_eq!(moved[&("Team".to_string(), "interview".to_string())], 1);
    assert_eq!(moved[&("Team".to_string(), "survey".to_string())], 1);
    assert!(!moved.contains_key(&("Pro".to_string(), "interview".to_string())));

    // Erasing a2 takes its answer; its call stays, the interviewer's notes, but no longer in
    // a segment of a contact that is gone.
    let erased = server
        .http
        .delete(server.url("/api/contacts/a2"))
        .bearer_auth(RESEARCHER)
        .send()
        .await
        .unwrap();
    assert_eq!(erased.status(), 204);
    let figures = report(&server).await;
    assert!(!sizes(&figures).contains_key("Free"), "{figures}");
    let after = price_cells(&server).await;
    assert!(
        !after.keys().any(|(segment, _)| segment == "Free"),
        "{after:?}"
    );
    assert_eq!(
        after[&("No answer".to_string(), "interview".to_string())],
        2
    );
    let kept = server
        .get_as(&format!("/api/interviews/{free}"), INTERVIEWER)
        .await;
    assert_eq!(kept.status(), 200);
}

#[tokio::test]
async fn a_bad_contact_is_a_field_error_and_starts_nothing() {
    let server = server().await;
    let long = "k".repeat(201);
    for contact in [json!(long), json!("two\nlines")] {
        let body = json!({"guide": "calls", "participant": "P", "contact": contact});
        let response = server
            .http
            .post(server.url("/api/interviews"))
            .bearer_auth(INTERVIEWER)
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 422);
        let error: Value = response.json().await.unwrap();
        assert!(error["fields"]["contact"].is_string(), "{error}");
    }
    let listed: Value = server
        .get_as("/api/interviews", INTERVIEWER)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(listed, json!([]));
}

#[test]
fn a_contact_key_that_is_no_hidden_field_is_a_load_error() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("f.toml"),
        r#"id = "f"
kind = "survey"
title = "F"
hidden = ["account"]
contact_key = "acount"

[[questions]]
id = "q"
type = "text"
text = "Q"
"#,
    )
    .unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_fieldnotes"))
        .args(["check", "--forms"])
        .arg(dir.path())
        .output()
        .unwrap();
    assert!(!out.status.success());
    let text =
        String::from_utf8_lossy(&out.stdout).to_string() + &String::from_utf8_lossy(&out.stderr);
    assert!(
        text.contains("contact_key 'acount' must be one of the form's hidden fields"),
        "{text}"
    );
}

#[tokio::test]
async fn the_start_page_links_an_interview_to_the_contact_typed_in() {
    let server = server().await;
    let cookie = common::login_cookie(&server.base, INTERVIEWER).await;
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let page = client
        .get(server.url("/i/new/calls"))
        .header("cookie", &cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), 200);
    let html = page.text().await.unwrap();
    assert!(html.contains(r#"name="contact""#), "{html}");

    // A bad key comes back on the page with the field named and what was typed kept.
    let refused = client
        .post(server.url("/i/new/calls"))
        .header("cookie", &cookie)
        .form(&[
            ("participant", "P09"),
            ("contact", &"k".repeat(201)),
            ("role", "Founder"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), 422);
    let html = refused.text().await.unwrap();
    assert!(html.contains(r##"href="#contact""##), "{html}");
    assert!(html.contains("P09"), "{html}");

    let started = client
        .post(server.url("/i/new/calls"))
        .header("cookie", &cookie)
        .form(&[
            ("participant", "P09"),
            ("contact", " a1 "),
            ("role", "Founder"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(started.status(), 303);
    let listed: Value = server
        .get_as("/api/interviews", INTERVIEWER)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(listed[0]["participant"], "P09", "{listed}");
    assert_eq!(listed[0]["contact"], "a1", "{listed}");
}
