//! Calls of the interview API shared by the interview tests.

use reqwest::{Client, Method, StatusCode};
use serde_json::{Value, json};

use super::INTERVIEWER;

/// Sends a request as `token` (none: anonymous) and returns the status and the JSON body
/// (`null` when there is none).
pub async fn call(
    http: &Client,
    method: Method,
    url: &str,
    token: Option<&str>,
    body: Option<Value>,
) -> (StatusCode, Value) {
    let mut request = http.request(method, url);
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    if let Some(body) = body {
        request = request.json(&body);
    }
    let response = request.send().await.expect("request");
    let status = response.status();
    let text = response.text().await.expect("body");
    let json = if text.is_empty() {
        Value::Null
    } else {
        serde_json::from_str(&text).unwrap_or(Value::String(text))
    };
    (status, json)
}

/// Starts an interview of the shipped `jtbd-switch` guide; returns its id.
pub async fn start_jtbd(http: &Client, base: &str, participant: &str) -> String {
    let (status, body) = call(
        http,
        Method::POST,
        &format!("{base}/api/interviews"),
        Some(INTERVIEWER),
        Some(json!({
            "guide": "jtbd-switch",
            "participant": participant,
            "attributes": {"role": "Founder or owner", "company_size": "11–50"}
        })),
    )
    .await;
    assert_eq!(status, 201, "{body}");
    body["id"].as_str().expect("an id").to_string()
}

/// Posts a note as the interviewer; returns the 201 body (`seq`, `at`, `offset_s`).
pub async fn add_note(http: &Client, base: &str, id: &str, note: Value) -> Value {
    let (status, body) = call(
        http,
        Method::POST,
        &format!("{base}/api/interviews/{id}/notes"),
        Some(INTERVIEWER),
        Some(note),
    )
    .await;
    assert_eq!(status, 201, "{body}");
    body
}

/// The interview with its notes, as the interviewer sees it.
pub async fn get_interview(http: &Client, base: &str, id: &str) -> Value {
    let (status, body) = call(
        http,
        Method::GET,
        &format!("{base}/api/interviews/{id}"),
        Some(INTERVIEWER),
        None,
    )
    .await;
    assert_eq!(status, 200, "{body}");
    body
}
