//! The interview API over a real loopback server: starting with attributes checked against the
//! guide, notes of each kind, edits with history, deletes, the end, validation, auth, the list,
//! and the notes CSV parsed back field by field.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::cast_possible_truncation
)]

mod common;

use std::time::Duration;

use chrono::{DateTime, Utc};
use common::interviews::{add_note, call, get_interview, start_jtbd};
use common::{
    INTERVIEWER, RESEARCHER, TestServer, fixture_forms, parse_csv, repo_path, shipped_forms,
};
use reqwest::Method;
use serde_json::{Value, json};

async fn shipped() -> TestServer {
    TestServer::start(&shipped_forms()).await
}

async fn post(s: &TestServer, path: &str, body: Value) -> (reqwest::StatusCode, Value) {
    call(
        &s.http,
        Method::POST,
        &s.url(path),
        Some(INTERVIEWER),
        Some(body),
    )
    .await
}

async fn patch(s: &TestServer, path: &str, body: Value) -> (reqwest::StatusCode, Value) {
    call(
        &s.http,
        Method::PATCH,
        &s.url(path),
        Some(INTERVIEWER),
        Some(body),
    )
    .await
}

fn fields(body: &Value) -> Vec<String> {
    assert_eq!(body["error"], "validation", "{body}");
    body["fields"]
        .as_object()
        .expect("fields")
        .keys()
        .cloned()
        .collect()
}

fn time(value: &Value) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(value.as_str().expect("a timestamp"))
        .expect("RFC 3339")
        .with_timezone(&Utc)
}

#[tokio::test]
async fn an_interview_starts_with_attributes_checked_against_the_guide() {
    let s = shipped().await;
    let (status, body) = post(
        &s,
        "/api/interviews",
        json!({"guide": "jtbd-switch", "participant": "  P07 ",
               "attributes": {"role": "Founder or owner", "company_size": "11–50", "plan": "Paid, team"}}),
    )
    .await;
    assert_eq!(status, 201, "{body}");
    let id = body["id"].as_str().unwrap();
    assert_eq!(id.len(), 36);

    let interview = get_interview(&s.http, &s.base, id).await;
    assert_eq!(interview["participant"], "P07", "the label is trimmed");
    assert_eq!(interview["guide"], "jtbd-switch");
    assert_eq!(interview["guide_revision"].as_str().unwrap().len(), 12);
    assert_eq!(
        interview["attributes"],
        json!({"role": "Founder or owner", "company_size": "11–50", "plan": "Paid, team"})
    );
    assert_eq!(interview["note_count"], 0);
    assert_eq!(interview["notes"], json!([]));
    assert!(interview.get("ended_at").is_none());
    let started = time(&interview["started_at"]);
    assert!((Utc::now() - started).num_seconds().abs() < 60);

    // `role` takes other text; `company_size` takes only its options.
    let (status, _) = post(
        &s,
        "/api/interviews",
        json!({"guide": "jtbd-switch", "participant": "P08",
               "attributes": {"role": "Head of growth", "company_size": "Just me"}}),
    )
    .await;
    assert_eq!(status, 201);
}

#[tokio::test]
async fn a_bad_start_names_every_field() {
    let s = shipped().await;
    let cases = [
        (
            json!({"guide": "jtbd-switch", "participant": "P1",
                   "attributes": {"role": "Founder or owner", "company_size": "huge"}}),
            vec!["attributes.company_size"],
            "must be one of",
        ),
        (
            json!({"guide": "jtbd-switch", "participant": "",
                   "attributes": {"company_size": "11–50", "colour": "red"}}),
            vec!["attributes.colour", "attributes.role", "participant"],
            "",
        ),
        (
            json!({"guide": "no-such-guide", "participant": "P1"}),
            vec!["guide"],
            "no interview guide",
        ),
        // A survey is not an interview guide.
        (
            json!({"guide": "customer-profile", "participant": "P1"}),
            vec!["guide"],
            "no interview guide",
        ),
        (
            json!({"participant": "x".repeat(101), "guide": "jtbd-switch",
                   "attributes": {"role": "Founder or owner", "company_size": "11–50"}}),
            vec!["participant"],
            "at most 100",
        ),
    ];
    for (body, expected, message) in cases {
        let (status, answer) = post(&s, "/api/interviews", body.clone()).await;
        assert_eq!(status, 422, "{body}: {answer}");
        assert_eq!(fields(&answer), expected, "{body}");
        let first = &answer["fields"][expected[0]];
        assert!(
            first.as_str().unwrap().contains(message),
            "{body}: {answer}"
        );
    }
    let listed = call(
        &s.http,
        Method::GET,
        &s.url("/api/interviews"),
        Some(INTERVIEWER),
        None,
    )
    .await
    .1;
    assert_eq!(listed, json!([]), "nothing was stored");

    // Unknown body fields and wrong types are malformed requests.
    let (status, _) = post(
        &s,
        "/api/interviews",
        json!({"guide": "jtbd-switch", "mood": 1}),
    )
    .await;
    assert_eq!(status, 400);
    let (status, _) = post(
        &s,
        "/api/interviews",
        json!({"guide": "jtbd-switch", "attributes": "role"}),
    )
    .await;
    assert_eq!(status, 400);
}

#[tokio::test]
async fn a_closed_guide_takes_no_new_interviews() {
    let forms = tempfile::tempdir().unwrap();
    std::fs::copy(
        repo_path("tests/fixtures/forms/bank.toml"),
        forms.path().join("bank.toml"),
    )
    .unwrap();
    std::fs::write(
        forms.path().join("old-guide.toml"),
        "id = \"old-guide\"\nkind = \"interview\"\ntitle = \"Old\"\nstatus = \"closed\"\n\n\
         [[sections]]\nid = \"only\"\ntitle = \"Only\"\n",
    )
    .unwrap();
    let s = TestServer::start(forms.path()).await;
    let (status, body) = post(
        &s,
        "/api/interviews",
        json!({"guide": "old-guide", "participant": "P1"}),
    )
    .await;
    assert_eq!(status, 409, "{body}");
    assert_eq!(body["error"], "conflict");
}

#[tokio::test]
async fn notes_of_each_kind_get_seq_time_and_offset() {
    let s = shipped().await;
    let id = start_jtbd(&s.http, &s.base, "P07").await;
    let notes_path = format!("/api/interviews/{id}/notes");

    let first = add_note(
        &s.http,
        &s.base,
        &id,
        json!({"text": "Used a spreadsheet", "section": "first_thought"}),
    )
    .await;
    let second = add_note(
        &s.http,
        &s.base,
        &id,
        json!({"text": "I was afraid we'd lose our history", "section": "deciding",
               "kind": "quote", "forces": ["anxiety", "habit"], "tags": ["migration", " data "]}),
    )
    .await;
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let third = add_note(
        &s.http,
        &s.base,
        &id,
        json!({"text": "Boss wanted weekly reports", "kind": "note",
               "forces": ["pull", "push", "push"]}),
    )
    .await;
    assert_eq!(
        [&first["seq"], &second["seq"], &third["seq"]],
        [&json!(1), &json!(2), &json!(3)]
    );

    let interview = get_interview(&s.http, &s.base, &id).await;
    let started = time(&interview["started_at"]);
    for saved in [&first, &second, &third] {
        let at = time(&saved["at"]);
        assert!(at >= started);
        assert_eq!(
            saved["offset_s"].as_i64().unwrap(),
            (at - started).num_seconds(),
            "offset_s is the whole seconds from the start to `at`"
        );
    }
    assert!(third["offset_s"].as_u64().unwrap() >= 1);
    assert!(time(&third["at"]) > time(&first["at"]));

    assert_eq!(interview["note_count"], 3);
    let notes = interview["notes"].as_array().unwrap();
    assert_eq!(notes.len(), 3);
    assert_eq!(notes[0]["kind"], "note");
    assert_eq!(notes[0]["section"], "first_thought");
    assert_eq!(notes[0]["forces"], json!([]));
    assert_eq!(notes[1]["kind"], "quote");
    assert_eq!(notes[1]["forces"], json!(["anxiety", "habit"]));
    assert_eq!(notes[1]["tags"], json!(["migration", "data"]));
    assert_eq!(notes[1]["text"], "I was afraid we'd lose our history");
    assert!(
        notes[2].get("section").is_none(),
        "a note may have no section"
    );
    assert_eq!(
        notes[2]["forces"],
        json!(["push", "pull"]),
        "forces are distinct, in push, pull, anxiety, habit order"
    );
    assert_eq!(notes[0]["at"], first["at"]);
    assert_eq!(notes[2]["offset_s"], third["offset_s"]);

    // A retried save with the same client_id returns the first note instead of a second one.
    let body = json!({"text": "Said twice", "client_id": "tab1-0001"});
    let (status, once) = post(&s, &notes_path, body.clone()).await;
    assert_eq!(status, 201);
    let (status, again) = post(&s, &notes_path, body).await;
    assert_eq!(status, 200);
    assert_eq!(once, again);
    assert_eq!(get_interview(&s.http, &s.base, &id).await["note_count"], 4);
}

#[tokio::test]
async fn an_edit_keeps_the_earlier_text_in_the_history() {
    let s = shipped().await;
    let id = start_jtbd(&s.http, &s.base, "P07").await;
    add_note(
        &s.http,
        &s.base,
        &id,
        json!({"text": "Prise was too high", "section": "deciding", "forces": ["anxiety"]}),
    )
    .await;
    let path = format!("/api/interviews/{id}/notes/1");

    let (status, edited) = patch(&s, &path, json!({"text": "Price was too high"})).await;
    assert_eq!(status, 200, "{edited}");
    assert_eq!(edited["text"], "Price was too high");
    assert_eq!(edited["section"], "deciding", "unnamed fields stay");
    assert_eq!(edited["history"][0]["text"], "Prise was too high");
    assert!(edited["edited_at"].is_string());

    let (status, edited) = patch(
        &s,
        &path,
        json!({"kind": "quote", "forces": ["anxiety", "pull"], "section": null, "tags": ["price"]}),
    )
    .await;
    assert_eq!(status, 200, "{edited}");
    assert_eq!(edited["kind"], "quote");
    assert_eq!(edited["forces"], json!(["pull", "anxiety"]));
    assert!(edited.get("section").is_none(), "null clears the section");
    let history = edited["history"].as_array().unwrap();
    assert_eq!(history.len(), 2);
    assert_eq!(history[1]["text"], "Price was too high");
    assert_eq!(history[1]["section"], "deciding");
    assert_eq!(history[1]["kind"], "note");

    // Changing nothing adds nothing to the history.
    let (status, same) = patch(&s, &path, json!({"text": "Price was too high"})).await;
    assert_eq!(status, 200);
    assert_eq!(same["history"].as_array().unwrap().len(), 2);

    // A bad edit changes nothing.
    let (status, body) = patch(&s, &path, json!({"text": "ok", "forces": ["greed"]})).await;
    assert_eq!(status, 422);
    assert_eq!(fields(&body), ["forces"]);
    let note = &get_interview(&s.http, &s.base, &id).await["notes"][0];
    assert_eq!(note["text"], "Price was too high");
    assert_eq!(note["history"].as_array().unwrap().len(), 2);

    let (status, _) = patch(
        &s,
        &format!("/api/interviews/{id}/notes/9"),
        json!({"text": "x"}),
    )
    .await;
    assert_eq!(status, 404);
    let (status, _) = patch(&s, &path, json!({"colour": "red"})).await;
    assert_eq!(status, 400);
}

#[tokio::test]
async fn a_deleted_note_is_gone_and_its_seq_is_not_reused() {
    let s = shipped().await;
    let id = start_jtbd(&s.http, &s.base, "P07").await;
    for text in ["one", "two", "three"] {
        add_note(&s.http, &s.base, &id, json!({"text": text})).await;
    }
    let url = s.url(&format!("/api/interviews/{id}/notes/2"));
    let (status, body) = call(&s.http, Method::DELETE, &url, Some(INTERVIEWER), None).await;
    assert_eq!(status, 204);
    assert_eq!(body, Value::Null);
    let (status, _) = call(&s.http, Method::DELETE, &url, Some(INTERVIEWER), None).await;
    assert_eq!(status, 404);

    let next = add_note(&s.http, &s.base, &id, json!({"text": "four"})).await;
    assert_eq!(next["seq"], 4);
    let interview = get_interview(&s.http, &s.base, &id).await;
    assert_eq!(interview["note_count"], 3);
    let kept: Vec<(u64, &str)> = interview["notes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| (n["seq"].as_u64().unwrap(), n["text"].as_str().unwrap()))
        .collect();
    assert_eq!(kept, [(1, "one"), (3, "three"), (4, "four")]);
}

#[tokio::test]
async fn an_ended_interview_refuses_notes_with_409() {
    let s = shipped().await;
    let id = start_jtbd(&s.http, &s.base, "P07").await;
    add_note(&s.http, &s.base, &id, json!({"text": "before the end"})).await;
    let end = format!("/api/interviews/{id}/end");
    let (status, ended) = post(&s, &end, json!(null)).await;
    assert_eq!(status, 200, "{ended}");
    let ended_at = time(&ended["ended_at"]);
    assert_eq!(ended["note_count"], 1);

    let (status, body) = post(
        &s,
        &format!("/api/interviews/{id}/notes"),
        json!({"text": "too late"}),
    )
    .await;
    assert_eq!(status, 409);
    assert_eq!(body["error"], "conflict");

    // Ending again answers the same; the interview can still be tidied up.
    let (status, again) = post(&s, &end, json!(null)).await;
    assert_eq!(status, 200);
    assert_eq!(time(&again["ended_at"]), ended_at);
    let (status, _) = patch(
        &s,
        &format!("/api/interviews/{id}/notes/1"),
        json!({"text": "before the end, typo fixed"}),
    )
    .await;
    assert_eq!(status, 200);
    let interview = get_interview(&s.http, &s.base, &id).await;
    assert_eq!(interview["note_count"], 1);
    assert_eq!(time(&interview["ended_at"]), ended_at);
}

#[tokio::test]
async fn bad_notes_get_422_naming_the_field_and_store_nothing() {
    let s = shipped().await;
    let id = start_jtbd(&s.http, &s.base, "P07").await;
    let path = format!("/api/interviews/{id}/notes");
    let cases = [
        (
            json!({"text": "x", "section": "small_talk"}),
            "section",
            "not a section",
        ),
        (
            json!({"text": "x", "forces": ["push", "greed"]}),
            "forces",
            "not a force",
        ),
        (json!({"text": "x", "kind": "aside"}), "kind", "not a kind"),
        (json!({"text": "x".repeat(10_001)}), "text", "at most 10000"),
        (json!({"text": "   "}), "text", "needs some text"),
        (json!({}), "text", "needs some text"),
        (json!({"text": "x", "tags": ["a;b"]}), "tags", "';'"),
        (
            json!({"text": "x", "tags": vec!["t"; 21]}),
            "tags",
            "at most 20",
        ),
        (
            json!({"text": "x", "client_id": "has spaces"}),
            "client_id",
            "letters",
        ),
    ];
    for (body, field, message) in cases {
        let (status, answer) = post(&s, &path, body.clone()).await;
        assert_eq!(status, 422, "{body}: {answer}");
        assert_eq!(fields(&answer), [field], "{answer}");
        assert!(
            answer["fields"][field].as_str().unwrap().contains(message),
            "{answer}"
        );
    }
    let (status, answer) = post(
        &s,
        &path,
        json!({"text": "", "section": "nope", "forces": ["greed"], "kind": "aside"}),
    )
    .await;
    assert_eq!(status, 422);
    assert_eq!(fields(&answer), ["forces", "kind", "section", "text"]);

    // Exactly 10,000 characters is fine.
    let (status, _) = post(&s, &path, json!({"text": "é".repeat(10_000)})).await;
    assert_eq!(status, 201);
    // Wrong JSON types are malformed requests; so is a body over 64 KiB.
    let (status, _) = post(&s, &path, json!({"text": "x", "forces": "push"})).await;
    assert_eq!(status, 400);
    let (status, _) = post(&s, &path, json!({"text": "x".repeat(70_000)})).await;
    assert_eq!(status, 413);

    let interview = get_interview(&s.http, &s.base, &id).await;
    assert_eq!(interview["note_count"], 1, "only the good note was stored");
    assert_eq!(interview["last_event_id"], 1);
}

#[tokio::test]
async fn unknown_interviews_and_notes_are_404() {
    let s = shipped().await;
    let id = start_jtbd(&s.http, &s.base, "P07").await;
    let missing = "01900000-0000-7000-8000-000000000000";
    for (method, path) in [
        (Method::GET, format!("/api/interviews/{missing}")),
        (Method::GET, "/api/interviews/not-a-uuid".to_string()),
        (Method::POST, format!("/api/interviews/{missing}/end")),
        (Method::GET, format!("/api/interviews/{missing}/events")),
        (Method::DELETE, format!("/api/interviews/{id}/notes/1")),
        (
            Method::GET,
            "/api/forms/no-such-guide/notes.csv".to_string(),
        ),
        (
            Method::GET,
            "/api/forms/customer-profile/notes.csv".to_string(),
        ),
    ] {
        let (status, body) = call(
            &s.http,
            method.clone(),
            &s.url(&path),
            Some(RESEARCHER),
            None,
        )
        .await;
        assert_eq!(status, 404, "{method} {path}: {body}");
        assert_eq!(body["error"], "not_found");
    }
    let (status, _) = post(
        &s,
        &format!("/api/interviews/{missing}/notes"),
        json!({"text": "x"}),
    )
    .await;
    assert_eq!(status, 404);
}

#[tokio::test]
async fn interviewers_and_researchers_only() {
    let s = shipped().await;
    let id = start_jtbd(&s.http, &s.base, "P07").await;
    add_note(&s.http, &s.base, &id, json!({"text": "x"})).await;
    let routes = [
        (
            Method::POST,
            "/api/interviews".to_string(),
            Some(json!({"guide": "jtbd-switch"})),
        ),
        (Method::GET, "/api/interviews".to_string(), None),
        (Method::GET, format!("/api/interviews/{id}"), None),
        (
            Method::POST,
            format!("/api/interviews/{id}/notes"),
            Some(json!({"text": "x"})),
        ),
        (
            Method::PATCH,
            format!("/api/interviews/{id}/notes/1"),
            Some(json!({"text": "y"})),
        ),
        (
            Method::DELETE,
            format!("/api/interviews/{id}/notes/1"),
            None,
        ),
        (Method::POST, format!("/api/interviews/{id}/end"), None),
        (Method::GET, format!("/api/interviews/{id}/events"), None),
        (
            Method::GET,
            "/api/forms/jtbd-switch/notes.csv".to_string(),
            None,
        ),
    ];
    for (method, path, body) in &routes {
        for token in [None, Some("wrong-token")] {
            let (status, answer) =
                call(&s.http, method.clone(), &s.url(path), token, body.clone()).await;
            assert_eq!(status, 401, "{method} {path} with {token:?}");
            assert_eq!(answer["error"], "unauthorized");
        }
    }
    // The notes CSV is for researchers.
    let (status, answer) = call(
        &s.http,
        Method::GET,
        &s.url("/api/forms/jtbd-switch/notes.csv"),
        Some(INTERVIEWER),
        None,
    )
    .await;
    assert_eq!(status, 403);
    assert_eq!(answer["error"], "forbidden");
    // A researcher may do what an interviewer may.
    let (status, _) = call(
        &s.http,
        Method::POST,
        &s.url(&format!("/api/interviews/{id}/notes")),
        Some(RESEARCHER),
        Some(json!({"text": "from the researcher"})),
    )
    .await;
    assert_eq!(status, 201);
    assert_eq!(
        get_interview(&s.http, &s.base, &id).await["note_count"],
        2,
        "refused requests changed nothing"
    );
}

#[tokio::test]
async fn interviews_are_listed_newest_first() {
    let s = shipped().await;
    let mut started = Vec::new();
    for participant in ["P01", "P02", "P03"] {
        started.push(start_jtbd(&s.http, &s.base, participant).await);
    }
    started.reverse();
    let list = |query: &'static str| {
        let s = &s;
        async move {
            let (status, body) = call(
                &s.http,
                Method::GET,
                &s.url(&format!("/api/interviews{query}")),
                Some(INTERVIEWER),
                None,
            )
            .await;
            assert_eq!(status, 200);
            body.as_array()
                .unwrap()
                .iter()
                .map(|i| i["id"].as_str().unwrap().to_string())
                .collect::<Vec<_>>()
        }
    };
    assert_eq!(list("").await, started);
    assert_eq!(list("?guide=jtbd-switch").await, started);
    assert_eq!(
        list("?guide=").await,
        started,
        "an empty filter keeps everything"
    );
    assert_eq!(list("?guide=customer-profile").await, Vec::<String>::new());

    let (_, body) = call(
        &s.http,
        Method::GET,
        &s.url("/api/interviews?guide=jtbd-switch"),
        Some(INTERVIEWER),
        None,
    )
    .await;
    assert_eq!(body[0]["participant"], "P03");
    assert_eq!(body[0]["note_count"], 0);
    assert!(body[0].get("notes").is_none(), "the list leaves notes out");
}

async fn notes_csv(
    s: &TestServer,
    guide: &str,
    query: &str,
) -> (reqwest::header::HeaderMap, Vec<u8>) {
    let response = s
        .get_as(&format!("/api/forms/{guide}/notes.csv{query}"), RESEARCHER)
        .await;
    assert_eq!(response.status(), 200);
    let headers = response.headers().clone();
    (headers, response.bytes().await.unwrap().to_vec())
}

#[tokio::test]
async fn the_notes_csv_has_every_note_field_by_field() {
    let s = shipped().await;
    let first = start_jtbd(&s.http, &s.base, "P01").await;
    let (status, body) = post(
        &s,
        "/api/interviews",
        json!({"guide": "jtbd-switch", "participant": "=P02",
               "attributes": {"role": "=HYPERLINK(\"x\")", "company_size": "2–10", "plan": "Free"}}),
    )
    .await;
    assert_eq!(status, 201);
    let second = body["id"].as_str().unwrap().to_string();
    // An interview without notes adds no row.
    let (status, _) = post(
        &s,
        "/api/interviews",
        json!({"guide": "jtbd-switch", "participant": "P03",
        "attributes": {"role": "Founder or owner", "company_size": "Just me"}}),
    )
    .await;
    assert_eq!(status, 201);

    add_note(
        &s.http,
        &s.base,
        &first,
        json!({"text": "Plain, with a comma", "section": "first_thought"}),
    )
    .await;
    add_note(
        &s.http,
        &s.base,
        &first,
        json!({"text": "=1+1", "kind": "quote",
        "section": "deciding", "forces": ["push", "anxiety"], "tags": ["-risky", "price"]}),
    )
    .await;
    add_note(&s.http, &s.base, &first, json!({"text": "deleted"})).await;
    add_note(
        &s.http,
        &s.base,
        &first,
        json!({"text": "He said \"never again\"\nthen left"}),
    )
    .await;
    let (status, _) = call(
        &s.http,
        Method::DELETE,
        &s.url(&format!("/api/interviews/{first}/notes/3")),
        Some(INTERVIEWER),
        None,
    )
    .await;
    assert_eq!(status, 204);
    add_note(
        &s.http,
        &s.base,
        &second,
        json!({"text": "before edit", "forces": ["habit"]}),
    )
    .await;
    patch(
        &s,
        &format!("/api/interviews/{second}/notes/1"),
        json!({"text": "@after edit"}),
    )
    .await;

    let (headers, bytes) = notes_csv(&s, "jtbd-switch", "").await;
    assert_eq!(headers["content-type"], "text/csv; charset=utf-8");
    assert!(
        headers["content-disposition"]
            .to_str()
            .unwrap()
            .contains("jtbd-switch-notes.csv")
    );
    assert!(!bytes.starts_with("\u{feff}".as_bytes()));
    let text = String::from_utf8(bytes.clone()).unwrap();
    assert!(text.starts_with(
        "interview_id,participant,role,company_size,plan,seq,at,offset_s,section,kind,forces,tags,text\r\n"
    ), "{text}");
    assert!(text.ends_with("\r\n"));

    let (_, rows) = parse_csv(&bytes);
    assert_eq!(rows.len(), 4, "one row per remaining note: {text}");
    let a = get_interview(&s.http, &s.base, &first).await;
    let row = |i: usize, column: &str| rows[i][column].clone();
    // Interviews oldest first, notes in seq order.
    assert_eq!(
        rows.iter()
            .map(|r| (r["interview_id"].as_str(), r["seq"].as_str()))
            .collect::<Vec<_>>(),
        [
            (first.as_str(), "1"),
            (first.as_str(), "2"),
            (first.as_str(), "4"),
            (second.as_str(), "1")
        ]
    );
    assert_eq!(row(0, "participant"), "P01");
    assert_eq!(row(0, "role"), "Founder or owner");
    assert_eq!(row(0, "company_size"), "11–50");
    assert_eq!(row(0, "plan"), "");
    assert_eq!(row(0, "at"), a["notes"][0]["at"].as_str().unwrap());
    assert_eq!(row(0, "offset_s"), a["notes"][0]["offset_s"].to_string());
    assert_eq!(row(0, "section"), "first_thought");
    assert_eq!(row(0, "kind"), "note");
    assert_eq!(row(0, "forces"), "");
    assert_eq!(row(0, "text"), "Plain, with a comma");
    assert_eq!(row(1, "kind"), "quote");
    assert_eq!(row(1, "section"), "deciding");
    assert_eq!(row(1, "forces"), "push;anxiety");
    assert_eq!(row(1, "tags"), "'-risky;price", "formula guard on tags");
    assert_eq!(row(1, "text"), "'=1+1", "formula guard on text");
    assert_eq!(row(2, "text"), "He said \"never again\"\nthen left");
    assert_eq!(row(2, "section"), "");
    assert_eq!(row(3, "participant"), "'=P02");
    assert_eq!(
        row(3, "role"),
        "'=HYPERLINK(\"x\")",
        "free 'other' text is guarded"
    );
    assert_eq!(row(3, "company_size"), "2–10");
    assert_eq!(row(3, "plan"), "Free");
    assert_eq!(
        row(3, "text"),
        "'@after edit",
        "the current text of an edited note"
    );
    assert_eq!(row(3, "forces"), "habit");
    assert!(!text.contains("deleted"));

    let (_, with_bom) = notes_csv(&s, "jtbd-switch", "?bom=1").await;
    assert!(with_bom.starts_with("\u{feff}".as_bytes()));
    assert_eq!(&with_bom[3..], &bytes[..]);
}

#[tokio::test]
async fn the_notes_csv_keeps_personal_data_out_unless_asked() {
    let s = TestServer::start(&fixture_forms()).await;
    let (status, body) = post(
        &s,
        "/api/interviews",
        json!({"guide": "guide", "participant": "P1",
               "attributes": {"team_size": "6-20", "contact_email": "ana@example.com"}}),
    )
    .await;
    assert_eq!(status, 201, "{body}");
    let id = body["id"].as_str().unwrap();
    add_note(
        &s.http,
        &s.base,
        id,
        json!({"text": "hello", "section": "deciding"}),
    )
    .await;

    let (headers, rows) = parse_csv(&notes_csv(&s, "guide", "").await.1);
    assert!(
        !headers.contains(&"contact_email".to_string()),
        "{headers:?}"
    );
    assert_eq!(rows[0]["team_size"], "6-20");
    let (headers, rows) = parse_csv(&notes_csv(&s, "guide", "?pii=1").await.1);
    assert!(headers.contains(&"contact_email".to_string()));
    assert_eq!(rows[0]["contact_email"], "ana@example.com");

    // A guide without interviews: just the header.
    let empty = TestServer::start(&fixture_forms()).await;
    let (_, bytes) = notes_csv(&empty, "guide", "").await;
    assert_eq!(
        String::from_utf8(bytes).unwrap(),
        "interview_id,participant,team_size,seq,at,offset_s,section,kind,forces,tags,text\r\n"
    );
}
