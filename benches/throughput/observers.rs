//! Note-to-observer latency: one interviewer posting notes to an interview while `watchers`
//! observers follow its event stream (`GET /api/interviews/{id}/events`). Each latency is
//! from the moment the note's POST is sent (so it includes the durable write behind the 201)
//! to the moment an observer has read the event that carries it.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use serde_json::{Value, json};

use crate::load::{Client, percentile};

/// Time between two notes: a fast typist, not a flood.
const PAUSE: Duration = Duration::from_millis(20);
/// How long observers may take to see the last note before the missing are counted.
const GRACE: Duration = Duration::from_secs(10);

type Seen = Arc<Mutex<Vec<(usize, Instant)>>>;

pub async fn run(host: &str, watchers: usize, notes: usize, token: &str) -> Value {
    let mut writer = Client::connect(host).await.expect("connect");
    let auth = format!("Bearer {token}");
    let start = json!({
        "guide": "jtbd-switch",
        "participant": "Bench participant",
        "attributes": {"role": "Founder or owner", "company_size": "11–50"}
    });
    let request = writer
        .request("POST", "/api/interviews")
        .header("authorization", &auth)
        .header("content-type", "application/json")
        .body(Full::new(Bytes::from(start.to_string())))
        .expect("request");
    let started = writer.send(request).await.expect("start the interview");
    assert_eq!(started.status, 201, "{:?}", started.body);
    let body: Value = serde_json::from_slice(&started.body).expect("JSON");
    let id = body["id"].as_str().expect("an id").to_string();

    let mut seen: Vec<Seen> = Vec::new();
    for _ in 0..watchers {
        let mut observer = Client::connect(host).await.expect("connect");
        let request = observer
            .request("GET", &format!("/api/interviews/{id}/events"))
            .header("authorization", &auth)
            .header("accept", "text/event-stream")
            .body(Full::default())
            .expect("request");
        // The head comes once the server has subscribed the observer.
        let response = observer.send_head(request).await.expect("the event stream");
        assert_eq!(response.status(), 200);
        let found: Seen = Arc::default();
        seen.push(found.clone());
        tokio::spawn(async move {
            let _connection = observer;
            let mut body = response.into_body();
            let mut text = String::new();
            while let Some(Ok(frame)) = body.frame().await {
                let Ok(data) = frame.into_data() else {
                    continue;
                };
                text.push_str(&String::from_utf8_lossy(&data));
                let at = Instant::now();
                while let Some(end) = text.find('\n') {
                    if let Some(k) = marker(&text[..end]) {
                        found.lock().expect("seen").push((k, at));
                    }
                    text.drain(..=end);
                }
            }
        });
    }

    let mut sent = Vec::with_capacity(notes);
    let mut saves = Vec::with_capacity(notes);
    for k in 0..notes {
        let note = json!({"text": format!("bench-note-{k}: the old tool was too slow for us")});
        let request = writer
            .request("POST", &format!("/api/interviews/{id}/notes"))
            .header("authorization", &auth)
            .header("content-type", "application/json")
            .body(Full::new(Bytes::from(note.to_string())))
            .expect("request");
        let at = Instant::now();
        sent.push(at);
        let saved = writer.send(request).await.expect("a note");
        assert_eq!(saved.status, 201, "{:?}", saved.body);
        saves.push(at.elapsed().as_micros() as u32);
        tokio::time::sleep(PAUSE).await;
    }
    let waited = Instant::now();
    while seen.iter().any(|s| s.lock().expect("seen").len() < notes) && waited.elapsed() < GRACE {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let mut latencies: Vec<u32> = Vec::new();
    for observer in &seen {
        for (k, at) in observer.lock().expect("seen").iter() {
            latencies.push(at.duration_since(sent[*k]).as_micros() as u32);
        }
    }
    let missing = watchers * notes - latencies.len();
    latencies.sort_unstable();
    saves.sort_unstable();
    json!({
        "observers": watchers,
        "notes": notes,
        "deliveries": latencies.len(),
        "missing": missing,
        "p50_ms": percentile(&latencies, 0.50),
        "p99_ms": percentile(&latencies, 0.99),
        "max_ms": latencies.last().map_or(0.0, |l| *l as f64 / 1000.0),
        "save_p50_ms": percentile(&saves, 0.50),
    })
}

/// The note number in an event's `data:` line, if it carries one of ours.
fn marker(line: &str) -> Option<usize> {
    let data = line.strip_prefix("data:")?;
    let at = data.find("bench-note-")? + "bench-note-".len();
    let digits: String = data[at..]
        .chars()
        .take_while(char::is_ascii_digit)
        .collect();
    digits.parse().ok()
}
