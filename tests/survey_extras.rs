//! The hosted survey's honeypot, piping and quotas, over a loopback server. Forms are in
//! `tests/fixtures/extras/forms`.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::cast_possible_truncation
)]

mod common;

use common::survey::{page_of, state_of};
use common::{RESEARCHER, ServerProcess, TestServer, free_port, parse_csv, repo_path};
use serde_json::{Value, json};

fn forms() -> std::path::PathBuf {
    repo_path("tests/fixtures/extras/forms")
}

async fn post_page(s: &TestServer, form: &str, fields: &[(&str, &str)]) -> (u16, String) {
    let body: String = form_urlencoded::Serializer::new(String::new())
        .extend_pairs(fields)
        .finish();
    let response = s
        .http
        .post(s.url(&format!("/s/{form}")))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(body)
        .send()
        .await
        .expect("POST");
    let status = response.status().as_u16();
    (status, response.text().await.expect("page"))
}

async fn csv_rows(s: &TestServer, form: &str) -> Vec<std::collections::HashMap<String, String>> {
    let bytes = s
        .get_as(&format!("/api/forms/{form}/responses.csv"), RESEARCHER)
        .await
        .bytes()
        .await
        .expect("CSV");
    parse_csv(&bytes).1
}

#[tokio::test]
async fn a_filled_honeypot_gets_the_thank_you_page_and_nothing_is_stored() {
    let s = TestServer::start(&forms()).await;
    let page = s
        .http
        .get(s.url("/s/pipes"))
        .send()
        .await
        .expect("GET")
        .text()
        .await
        .expect("page");
    // Present for bots, hidden from people and screen readers, out of the tab order.
    let at = page.find("name=\"website\"").expect("a honeypot input");
    let wrapper = page[..at].rfind("<div").expect("its wrapper");
    assert!(page[wrapper..at].contains("class=\"hp\" aria-hidden=\"true\""));
    assert!(page[at..at + 80].contains("tabindex=\"-1\""));

    let state = state_of(&page);
    let (status, thanks) = post_page(
        &s,
        "pipes",
        &[
            ("_state", &state),
            ("_page", "0"),
            ("q.tool", "Spam"),
            ("website", "http://spam.example"),
            ("_action", "next"),
        ],
    )
    .await;
    assert_eq!(status, 200);
    assert!(thanks.contains("Thank you!"), "{thanks}");
    assert!(csv_rows(&s, "pipes").await.is_empty(), "nothing was stored");

    // The same page without the honeypot goes on as usual.
    let (status, next) = post_page(
        &s,
        "pipes",
        &[
            ("_state", &state),
            ("_page", "0"),
            ("q.tool", "Jira"),
            ("website", ""),
            ("_action", "next"),
        ],
    )
    .await;
    assert_eq!(status, 200);
    assert!(next.contains("Page 2 of 2"), "{next}");
    s.stop().await;
}

#[tokio::test]
async fn piped_answers_show_on_the_next_page_escaped_and_with_fallbacks() {
    let s = TestServer::start(&forms()).await;
    let first = s
        .http
        .get(s.url("/s/pipes?team=%3Cb%3EOps%3C%2Fb%3E"))
        .send()
        .await
        .expect("GET")
        .text()
        .await
        .expect("page");
    let nasty = "<img src=x onerror=alert(1)>";
    let (_, second) = post_page(
        &s,
        "pipes",
        &[
            ("_state", &state_of(&first)),
            ("_page", &page_of(&first)),
            ("q.tool", nasty),
            ("q.tools", "Slack"),
            ("q.tools", "Notion"),
            ("_action", "next"),
        ],
    )
    .await;
    assert!(
        second.contains(
            "What do you like about &#60;img src=x onerror=alert(1)&#62;, next to Slack, Notion?"
        ) || second.contains(
            "What do you like about &lt;img src=x onerror=alert(1)&gt;, next to Slack, Notion?"
        ),
        "{second}"
    );
    assert!(!second.contains(nasty), "the answer is inert");
    assert!(!second.contains("<b>Ops"), "the hidden value is inert");
    assert!(
        second.contains("Your team: &#60;b&#62;Ops") || second.contains("Your team: &lt;b&gt;Ops")
    );

    // Without the answers piped in, the fallbacks read.
    let plain = s
        .http
        .get(s.url("/s/pipes"))
        .send()
        .await
        .expect("GET")
        .text()
        .await
        .expect("page");
    let (_, second) = post_page(
        &s,
        "pipes",
        &[
            ("_state", &state_of(&plain)),
            ("_page", "0"),
            ("q.tool", "Jira"),
            ("_action", "next"),
        ],
    )
    .await;
    assert!(
        second.contains("What do you like about Jira, next to nothing else?"),
        "{second}"
    );
    assert!(second.contains("Your team: not given."), "{second}");
    // Back to page 1 and on again: the pipe follows the changed answer.
    let (_, back) = post_page(
        &s,
        "pipes",
        &[
            ("_state", &state_of(&second)),
            ("_page", "1"),
            ("_action", "back"),
        ],
    )
    .await;
    let (_, again) = post_page(
        &s,
        "pipes",
        &[
            ("_state", &state_of(&back)),
            ("_page", "0"),
            ("q.tool", "Linear"),
            ("_action", "next"),
        ],
    )
    .await;
    assert!(again.contains("What do you like about Linear,"), "{again}");
    s.stop().await;
}

#[test]
fn check_refuses_pipes_to_unknown_or_later_questions_and_bad_quotas() {
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::write(
        dir.path().join("bad.toml"),
        r#"
id = "bad"
kind = "survey"
title = "Bad"
hidden = ["src"]

[[questions]]
id = "a"
type = "text"
text = "About {{answer.b}} and {{answer.a}}"
help = "From {{hidden.nope}} {{answer.ghost|x}}"

[[questions]]
id = "b"
type = "text"
text = "Broken {{answer.a"

[[questions]]
id = "c"
type = "text"
text = "{{something.else}} is fine with {{hidden.src}} and {{answer.a|you}}"

[[quotas]]
name = "Bad Name"
when = "ghost = 'x'"
limit = -1
message = ""
"#,
    )
    .expect("write");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_fieldnotes"))
        .args(["check", "--forms"])
        .arg(dir.path())
        .output()
        .expect("run check");
    assert!(!out.status.success());
    let text =
        String::from_utf8_lossy(&out.stdout).to_string() + &String::from_utf8_lossy(&out.stderr);
    for expected in [
        "question 'a': text: pipe {{answer.b}}: 'b' comes later, so its answer is not known yet",
        "question 'a': text: pipe {{answer.a}}: 'a' is the question itself",
        "question 'a': help: pipe {{hidden.nope}}: 'nope' is not a hidden field of this form",
        "question 'a': help: pipe {{answer.ghost}}: 'ghost' is not a question of this form",
        "question 'b': text: a '{{' has no closing '}}'",
        "question 'c': text: '{{something.else}}' must read {{answer.QUESTION}} or {{hidden.NAME}}",
        "quota 'Bad Name': name must be a lowercase slug",
        "quota 'Bad Name': limit must be 0 or more",
        "quota 'Bad Name': message is empty",
        "quota 'Bad Name': when \"ghost = 'x'\": 'ghost' is not a question that comes before this one",
    ] {
        assert!(text.contains(expected), "{expected:?} in {text}");
    }
    assert!(!text.contains("hidden.src"), "{text}");
}

fn engineer() -> Value {
    json!({"answers": {"role": "Engineer", "seats": 3}})
}

async fn quota_counts(s: &TestServer) -> Value {
    let form: Value = s
        .get_as("/api/forms/quotas", RESEARCHER)
        .await
        .json()
        .await
        .expect("JSON");
    form["quotas"].clone()
}

#[tokio::test]
async fn sixty_four_concurrent_submissions_against_a_limit_of_ten_store_exactly_ten() {
    let s = TestServer::start(&forms()).await;
    let submissions = (0..64).map(|_| s.submit("quotas", engineer()));
    let responses = futures_util::future::join_all(submissions).await;
    let mut created = 0;
    let mut full = 0;
    for response in responses {
        match response.status().as_u16() {
            201 => created += 1,
            409 => {
                let body: Value = response.json().await.expect("JSON");
                assert_eq!(body["error"], "quota_full");
                assert_eq!(body["quota"], "engineers");
                full += 1;
            }
            other => panic!("unexpected status {other}"),
        }
    }
    assert_eq!((created, full), (10, 54));
    assert_eq!(csv_rows(&s, "quotas").await.len(), 10, "exactly ten stored");
    assert_eq!(
        quota_counts(&s).await,
        json!([{"name": "engineers", "limit": 10, "count": 10}])
    );
    // Anyone sees the form, but only staff see the counts.
    let public: Value = s
        .http
        .get(s.url("/api/forms/quotas"))
        .send()
        .await
        .expect("GET")
        .json()
        .await
        .expect("JSON");
    assert!(public.get("quotas").is_none(), "{public}");

    // Answers are validated before quotas: a bad answer is a 422 even when the quota is full.
    let bad = s
        .submit(
            "quotas",
            json!({"answers": {"role": "Engineer", "seats": 1000}}),
        )
        .await;
    assert_eq!(bad.status(), 422);
    // Answers outside the quota still come in.
    let designer = s
        .submit("quotas", json!({"answers": {"role": "Designer"}}))
        .await;
    assert_eq!(designer.status(), 201);

    // An erasure frees its place.
    let id = csv_rows(&s, "quotas").await[0]["response_id"].clone();
    let erased = s
        .http
        .delete(s.url(&format!("/api/responses/{id}")))
        .bearer_auth(RESEARCHER)
        .send()
        .await
        .expect("DELETE");
    assert_eq!(erased.status(), 204);
    assert_eq!(quota_counts(&s).await[0]["count"], 9);
    assert_eq!(s.submit("quotas", engineer()).await.status(), 201);
    assert_eq!(s.submit("quotas", engineer()).await.status(), 409);
    s.stop().await;
}

#[tokio::test]
async fn the_page_screens_out_as_soon_as_the_answers_decide_it() {
    let s = TestServer::start(&forms()).await;
    for _ in 0..10 {
        assert_eq!(s.submit("quotas", engineer()).await.status(), 201);
    }
    let first = s
        .http
        .get(s.url("/s/quotas"))
        .send()
        .await
        .expect("GET")
        .text()
        .await
        .expect("page");
    assert!(first.contains("Page 1 of 2"));
    let state = state_of(&first);
    // Page 1 decides it: the message comes now, not after page 2.
    let (status, out) = post_page(
        &s,
        "quotas",
        &[
            ("_state", &state),
            ("_page", "0"),
            ("q.role", "Engineer"),
            ("_action", "next"),
        ],
    )
    .await;
    assert_eq!(status, 200);
    assert!(
        out.contains("We have heard from enough engineers for now."),
        "{out}"
    );
    assert!(!out.contains("Page 2 of 2"));
    // Someone outside the quota goes on.
    let (_, on) = post_page(
        &s,
        "quotas",
        &[
            ("_state", &state),
            ("_page", "0"),
            ("q.role", "Designer"),
            ("_action", "next"),
        ],
    )
    .await;
    assert!(on.contains("Page 2 of 2"), "{on}");
    assert_eq!(
        csv_rows(&s, "quotas").await.len(),
        10,
        "nothing of theirs is kept"
    );
    s.stop().await;
}

async fn submit_to(base: &str, body: Value) -> u16 {
    reqwest::Client::new()
        .post(format!("{base}/api/forms/quotas/responses"))
        .json(&body)
        .send()
        .await
        .expect("POST")
        .status()
        .as_u16()
}

#[tokio::test]
async fn quota_counts_survive_a_kill_and_restart() {
    let data = tempfile::tempdir().expect("data");
    let reports = repo_path("tests/fixtures/no-reports");
    let server = ServerProcess::start_with_reports(data.path(), &forms(), &reports, free_port());
    for _ in 0..10 {
        assert_eq!(submit_to(&server.base, engineer()).await, 201);
    }
    server.kill();
    let server = ServerProcess::start_with_reports(data.path(), &forms(), &reports, free_port());
    assert_eq!(
        submit_to(&server.base, engineer()).await,
        409,
        "still full after a restart"
    );
    server.kill();
}
