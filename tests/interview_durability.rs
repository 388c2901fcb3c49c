//! The real `fieldnotes` binary killed with SIGKILL right after a 201 or 200: after a restart
//! the note, its edit, the end of the interview and the event log are all still there.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::cast_possible_truncation
)]

mod common;

use std::time::Duration;

use common::interviews::{add_note, call, get_interview, start_jtbd};
use common::{INTERVIEWER, ServerProcess, free_port, shipped_forms};
use futures_util::StreamExt;
use reqwest::{Client, Method};
use serde_json::{Value, json};

/// The first event of the stream after `last_event_id`, as its JSON data.
async fn first_event_after(http: &Client, base: &str, id: &str, last_event_id: u64) -> Value {
    let response = http
        .get(format!("{base}/api/interviews/{id}/events"))
        .bearer_auth(INTERVIEWER)
        .header("Last-Event-ID", last_event_id.to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let mut stream = response.bytes_stream();
    let mut text = String::new();
    while !text.contains("\n\n") {
        let chunk = tokio::time::timeout(Duration::from_secs(5), stream.next())
            .await
            .expect("an event within 5 s")
            .expect("the stream is open")
            .unwrap();
        text.push_str(std::str::from_utf8(&chunk).unwrap());
    }
    let data = text
        .lines()
        .find_map(|l| l.strip_prefix("data: "))
        .expect("a data line");
    serde_json::from_str(data).unwrap()
}

#[tokio::test]
async fn a_note_survives_sigkill_right_after_its_201() {
    let data = tempfile::tempdir().unwrap();
    let port = free_port();
    // No pooled connections: each restart is a new process, the old sockets died with it.
    let http = Client::builder().pool_max_idle_per_host(0).build().unwrap();
    let server = ServerProcess::start(data.path(), &shipped_forms(), port);
    let id = start_jtbd(&http, &server.base, "P07").await;
    let saved = add_note(
        &http,
        &server.base,
        &id,
        json!({"text": "It almost stopped me", "section": "deciding", "kind": "quote",
               "forces": ["anxiety"], "tags": ["price"]}),
    )
    .await;
    server.kill();

    let server = ServerProcess::start(data.path(), &shipped_forms(), port);
    let interview = get_interview(&http, &server.base, &id).await;
    assert_eq!(interview["note_count"], 1);
    let note = &interview["notes"][0];
    assert_eq!(note["seq"], 1);
    assert_eq!(note["at"], saved["at"]);
    assert_eq!(note["offset_s"], saved["offset_s"]);
    assert_eq!(note["text"], "It almost stopped me");
    assert_eq!(note["section"], "deciding");
    assert_eq!(note["kind"], "quote");
    assert_eq!(note["forces"], json!(["anxiety"]));
    // The event log came back with it: a reconnecting observer still gets the note.
    let event = first_event_after(&http, &server.base, &id, 0).await;
    assert_eq!(event["id"], 1);
    assert_eq!(event["note"]["text"], "It almost stopped me");

    // An edit answered 200 survives too, and numbering carries on where it was.
    let (status, _) = call(
        &http,
        Method::PATCH,
        &format!("{}/api/interviews/{id}/notes/1", server.base),
        Some(INTERVIEWER),
        Some(json!({"text": "It almost stopped us"})),
    )
    .await;
    assert_eq!(status, 200);
    server.kill();
    let server = ServerProcess::start(data.path(), &shipped_forms(), port);
    let note = &get_interview(&http, &server.base, &id).await["notes"][0];
    assert_eq!(note["text"], "It almost stopped us");
    assert_eq!(note["history"][0]["text"], "It almost stopped me");
    let second = add_note(&http, &server.base, &id, json!({"text": "next"})).await;
    assert_eq!(second["seq"], 2);
    let event = first_event_after(&http, &server.base, &id, 2).await;
    assert_eq!(event["id"], 3, "event ids are never handed out twice");

    // So does the end.
    let (status, _) = call(
        &http,
        Method::POST,
        &format!("{}/api/interviews/{id}/end", server.base),
        Some(INTERVIEWER),
        None,
    )
    .await;
    assert_eq!(status, 200);
    server.kill();
    let server = ServerProcess::start(data.path(), &shipped_forms(), port);
    let (status, _) = call(
        &http,
        Method::POST,
        &format!("{}/api/interviews/{id}/notes", server.base),
        Some(INTERVIEWER),
        Some(json!({"text": "after the end"})),
    )
    .await;
    assert_eq!(status, 409);
}
