//! The interview events stream (SSE), read raw over reqwest: observers get every change in
//! order, and a reconnect with Last-Event-ID gets exactly what it missed, nothing twice.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::cast_possible_truncation
)]

mod common;

use std::time::{Duration, Instant};

use bytes::Bytes;
use common::interviews::{add_note, call, start_jtbd};
use common::{INTERVIEWER, RESEARCHER, TestServer, shipped_forms};
use futures_util::StreamExt;
use futures_util::stream::BoxStream;
use reqwest::Method;
use serde_json::{Value, json};

/// How long an event that should come may take; the issue asks for under a second.
const SHOULD_COME: Duration = Duration::from_secs(5);
/// How long to listen for an event that should not come.
const QUIET: Duration = Duration::from_millis(700);

#[derive(Debug, Clone, PartialEq)]
struct SseEvent {
    id: u64,
    name: String,
    data: Value,
}

struct Observer {
    stream: BoxStream<'static, reqwest::Result<Bytes>>,
    buffer: Vec<u8>,
}

impl Observer {
    async fn connect(s: &TestServer, interview: &str, last_event_id: Option<u64>) -> Observer {
        Self::connect_to(
            s,
            &format!("/api/interviews/{interview}/events"),
            last_event_id,
        )
        .await
    }

    async fn connect_to(s: &TestServer, path: &str, last_event_id: Option<u64>) -> Observer {
        let mut request = s.http.get(s.url(path)).bearer_auth(RESEARCHER);
        if let Some(id) = last_event_id {
            request = request.header("Last-Event-ID", id.to_string());
        }
        let response = request.send().await.expect("the stream opens");
        assert_eq!(response.status(), 200);
        assert_eq!(response.headers()["content-type"], "text/event-stream");
        Observer {
            stream: response.bytes_stream().boxed(),
            buffer: Vec::new(),
        }
    }

    /// The next event (keep-alive comments skipped), or `None` if none comes within `wait`.
    async fn next(&mut self, wait: Duration) -> Option<SseEvent> {
        let deadline = Instant::now() + wait;
        loop {
            if let Some(end) = self.buffer.windows(2).position(|w| w == b"\n\n") {
                let block: Vec<u8> = self.buffer.drain(..end + 2).collect();
                match parse(&String::from_utf8(block).expect("UTF-8")) {
                    Some(event) => return Some(event),
                    None => continue,
                }
            }
            let left = deadline.saturating_duration_since(Instant::now());
            match tokio::time::timeout(left, self.stream.next()).await {
                Ok(Some(Ok(chunk))) => self.buffer.extend_from_slice(&chunk),
                Ok(Some(Err(e))) => panic!("the stream broke: {e}"),
                Ok(None) | Err(_) => return None,
            }
        }
    }

    async fn take(&mut self, count: usize) -> Vec<SseEvent> {
        let mut events = Vec::new();
        for _ in 0..count {
            match self.next(SHOULD_COME).await {
                Some(event) => events.push(event),
                None => panic!("expected {count} events, got {events:?}"),
            }
        }
        events
    }

    async fn assert_quiet(&mut self) {
        if let Some(event) = self.next(QUIET).await {
            panic!("no more events were due, got {event:?}");
        }
    }
}

fn parse(block: &str) -> Option<SseEvent> {
    let (mut id, mut name, mut data) = (None, String::from("message"), String::new());
    for line in block.lines() {
        if let Some(value) = line.strip_prefix("id: ") {
            id = Some(value.parse().expect("a numeric id"));
        } else if let Some(value) = line.strip_prefix("event: ") {
            name = value.to_string();
        } else if let Some(value) = line.strip_prefix("data: ") {
            data.push_str(value);
        }
    }
    let id = id?;
    let data: Value = serde_json::from_str(&data).expect("JSON data");
    assert_eq!(data["id"], id, "the SSE id repeats the event's id");
    assert_eq!(
        data["type"],
        name.as_str(),
        "the SSE event name repeats its type"
    );
    Some(SseEvent { id, name, data })
}

/// (name, seq, text) of each event, for comparing streams at a glance.
fn summary(events: &[SseEvent]) -> Vec<(String, u64, String)> {
    events
        .iter()
        .map(|e| {
            (
                e.name.clone(),
                e.data["seq"].as_u64().unwrap_or(0),
                e.data["note"]["text"].as_str().unwrap_or("").to_string(),
            )
        })
        .collect()
}

fn created(seq: u64, text: &str) -> (String, u64, String) {
    ("note_created".into(), seq, text.into())
}

#[tokio::test]
async fn two_observers_get_every_change_and_a_reconnect_gets_exactly_what_it_missed() {
    let s = TestServer::start(&shipped_forms()).await;
    let id = start_jtbd(&s.http, &s.base, "P07").await;
    let mut a = Observer::connect(&s, &id, None).await;
    let mut b = Observer::connect(&s, &id, None).await;

    for text in ["one", "two", "three"] {
        add_note(
            &s.http,
            &s.base,
            &id,
            json!({"text": text, "section": "first_thought"}),
        )
        .await;
    }
    let seen_by_a = a.take(3).await;
    let seen_by_b = b.take(3).await;
    assert_eq!(seen_by_a, seen_by_b);
    assert_eq!(
        summary(&seen_by_a),
        [created(1, "one"), created(2, "two"), created(3, "three")]
    );
    assert_eq!(
        seen_by_a.iter().map(|e| e.id).collect::<Vec<_>>(),
        [1, 2, 3]
    );
    assert_eq!(seen_by_a[0].data["note"]["section"], "first_thought");
    let last_seen_by_b = seen_by_b[2].id;
    drop(b);

    // While b is away: two notes, an edit, and the deletion of a note b had seen.
    add_note(
        &s.http,
        &s.base,
        &id,
        json!({"text": "four", "kind": "quote"}),
    )
    .await;
    add_note(
        &s.http,
        &s.base,
        &id,
        json!({"text": "five", "forces": ["pull"]}),
    )
    .await;
    let (status, _) = call(
        &s.http,
        Method::PATCH,
        &s.url(&format!("/api/interviews/{id}/notes/1")),
        Some(INTERVIEWER),
        Some(json!({"text": "one, edited"})),
    )
    .await;
    assert_eq!(status, 200);
    let (status, _) = call(
        &s.http,
        Method::DELETE,
        &s.url(&format!("/api/interviews/{id}/notes/2")),
        Some(INTERVIEWER),
        None,
    )
    .await;
    assert_eq!(status, 204);
    let missed = a.take(4).await;
    assert_eq!(
        summary(&missed),
        [
            created(4, "four"),
            created(5, "five"),
            ("note_edited".into(), 1, "one, edited".into()),
            ("note_deleted".into(), 2, String::new()),
        ]
    );
    assert_eq!(missed[0].data["note"]["kind"], "quote");
    assert_eq!(missed[1].data["note"]["forces"], json!(["pull"]));
    assert_eq!(
        missed[2].data["note"]["history"],
        json!([]),
        "the interview has it"
    );

    // b comes back with the id of the last event it saw: exactly the four it missed.
    let mut b = Observer::connect(&s, &id, Some(last_seen_by_b)).await;
    assert_eq!(b.take(4).await, missed);
    b.assert_quiet().await;

    // Then both follow live, each event once, within a second of the 201.
    let posted = Instant::now();
    add_note(&s.http, &s.base, &id, json!({"text": "six"})).await;
    let to_a = a.take(1).await;
    let to_b = b.take(1).await;
    assert!(
        posted.elapsed() < Duration::from_secs(1),
        "{:?}",
        posted.elapsed()
    );
    assert_eq!(to_a, to_b);
    assert_eq!(summary(&to_a), [created(6, "six")]);
    assert_eq!(to_a[0].id, 8);
    a.assert_quiet().await;
    b.assert_quiet().await;
}

#[tokio::test]
async fn a_note_deleted_while_away_comes_back_as_its_deletion_only() {
    let s = TestServer::start(&shipped_forms()).await;
    let id = start_jtbd(&s.http, &s.base, "P07").await;
    let mut observer = Observer::connect(&s, &id, None).await;
    add_note(&s.http, &s.base, &id, json!({"text": "kept"})).await;
    let seen = observer.take(1).await;
    drop(observer);

    add_note(
        &s.http,
        &s.base,
        &id,
        json!({"text": "the participant's full name"}),
    )
    .await;
    let (status, _) = call(
        &s.http,
        Method::DELETE,
        &s.url(&format!("/api/interviews/{id}/notes/2")),
        Some(INTERVIEWER),
        None,
    )
    .await;
    assert_eq!(status, 204);

    let mut observer = Observer::connect(&s, &id, Some(seen[0].id)).await;
    let missed = observer.take(1).await;
    assert_eq!(
        summary(&missed),
        [("note_deleted".into(), 2, String::new())]
    );
    assert_eq!(missed[0].id, 3);
    observer.assert_quiet().await;
    // Nor does a fresh observer ever see the deleted words.
    let mut fresh = Observer::connect(&s, &id, None).await;
    let history = fresh.take(2).await;
    assert_eq!(
        summary(&history),
        [
            created(1, "kept"),
            ("note_deleted".into(), 2, String::new())
        ]
    );
    fresh.assert_quiet().await;
}

#[tokio::test]
async fn a_new_observer_replays_from_the_start_or_from_after() {
    let s = TestServer::start(&shipped_forms()).await;
    let id = start_jtbd(&s.http, &s.base, "P07").await;
    add_note(&s.http, &s.base, &id, json!({"text": "one"})).await;
    add_note(&s.http, &s.base, &id, json!({"text": "two"})).await;
    let (status, ended) = call(
        &s.http,
        Method::POST,
        &s.url(&format!("/api/interviews/{id}/end")),
        Some(INTERVIEWER),
        None,
    )
    .await;
    assert_eq!(status, 200);

    let mut everything = Observer::connect(&s, &id, None).await;
    let events = everything.take(3).await;
    assert_eq!(
        events.iter().map(|e| e.name.as_str()).collect::<Vec<_>>(),
        ["note_created", "note_created", "interview_ended"]
    );
    assert_eq!(events[2].data["ended_at"], ended["ended_at"]);
    everything.assert_quiet().await;

    let path = format!("/api/interviews/{id}/events?after=2");
    let mut after = Observer::connect_to(&s, &path, None).await;
    assert_eq!(after.take(1).await, events[2..]);
    after.assert_quiet().await;
    // Last-Event-ID, which browsers send when they reconnect, wins over `after`.
    let mut header_wins = Observer::connect_to(&s, &path, Some(1)).await;
    assert_eq!(header_wins.take(2).await, events[1..]);

    let bad = s
        .http
        .get(s.url(&format!("/api/interviews/{id}/events")))
        .bearer_auth(INTERVIEWER)
        .header("Last-Event-ID", "yesterday")
        .send()
        .await
        .unwrap();
    assert_eq!(bad.status(), 400);
    let anonymous = s
        .http
        .get(s.url(&format!("/api/interviews/{id}/events")))
        .send()
        .await
        .unwrap();
    assert_eq!(anonymous.status(), 401);
}

#[tokio::test]
async fn a_hundred_observers_all_follow_while_the_interviewer_types() {
    let s = TestServer::start(&shipped_forms()).await;
    let id = start_jtbd(&s.http, &s.base, "P07").await;
    let mut observers = Vec::new();
    for _ in 0..100 {
        observers.push(Observer::connect(&s, &id, None).await);
    }
    let texts: Vec<String> = (1..=5).map(|i| format!("note {i}")).collect();
    for text in &texts {
        let posted = Instant::now();
        add_note(&s.http, &s.base, &id, json!({"text": text})).await;
        assert!(
            posted.elapsed() < Duration::from_secs(2),
            "a save took {:?} with 100 observers",
            posted.elapsed()
        );
    }
    for observer in &mut observers {
        let events = observer.take(5).await;
        let got: Vec<&str> = events
            .iter()
            .map(|e| e.data["note"]["text"].as_str().unwrap())
            .collect();
        assert_eq!(got, texts);
    }
}
