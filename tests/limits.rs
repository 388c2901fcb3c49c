//! Limits over a real loopback server: the per-client budget of public submissions (staff
//! exempt, `X-Forwarded-For` believed only from a trusted proxy), the time limits on slow
//! connections, and the cap on answer keys per submission.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::cast_possible_truncation
)]

mod common;

use std::num::NonZeroU32;
use std::time::{Duration, Instant};

use common::{INTERVIEWER, RESEARCHER, TestServer, fixture_forms, reports_for};
use fieldnotes::config::{Config, LimitsConfig, TrustedProxies};
use fieldnotes::limits::HEADER_TIMEOUT;
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

const FORM: &str = "all-types";

async fn server(configure: impl FnOnce(&mut Config)) -> TestServer {
    let forms = fixture_forms();
    let data = tempfile::tempdir().unwrap();
    TestServer::start_configured(&forms, &reports_for(&forms), data, configure).await
}

async fn limited(per_minute: u32, proxies: &str) -> TestServer {
    server(|config| {
        config.limits = LimitsConfig {
            rate_limit: NonZeroU32::new(per_minute),
            trusted_proxies: TrustedProxies::parse(proxies).unwrap(),
        };
    })
    .await
}

fn answers() -> Value {
    json!({"answers": {"team_size": "6-20", "nps": 9}})
}

/// Posts one submission, with a bearer token and an `X-Forwarded-For` when given.
async fn post(s: &TestServer, token: Option<&str>, forwarded: Option<&str>) -> reqwest::Response {
    let mut request = s
        .http
        .post(s.url(&format!("/api/forms/{FORM}/responses")))
        .json(&answers());
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    if let Some(forwarded) = forwarded {
        request = request.header("x-forwarded-for", forwarded);
    }
    request.send().await.unwrap()
}

async fn assert_rate_limited(response: reqwest::Response) {
    assert_eq!(response.status(), 429);
    let wait: u64 = response.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .expect("Retry-After is whole seconds");
    assert!(wait >= 1, "Retry-After: {wait}");
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["error"], "rate_limited", "{body}");
    assert!(body["message"].as_str().unwrap().contains("try again"));
}

/// The default budget: 120 at once, then one more each half second (120 a minute). The
/// submissions are real durable writes and take a while, so a few of the budget come back
/// while the first 120 are sent; no more than that may get in.
#[tokio::test]
async fn past_120_submissions_a_minute_a_client_gets_429_with_retry_after() {
    let s = server(|config| config.limits = LimitsConfig::default()).await;
    let started = Instant::now();
    let mut accepted = 0;
    let refused = loop {
        let sent = post(&s, None, None).await;
        if sent.status() != 201 {
            break sent;
        }
        accepted += 1;
        assert!(accepted <= 1000, "no limit seen");
    };
    let regained = (started.elapsed().as_secs_f64() / 0.5).ceil() as usize;
    assert!(
        (120..=120 + regained).contains(&accepted),
        "{accepted} accepted in {:?}",
        started.elapsed()
    );
    assert_rate_limited(refused).await;
    // Reads are not counted.
    let forms = s.http.get(s.url("/api/forms")).send().await.unwrap();
    assert_eq!(forms.status(), 200);
}

#[tokio::test]
async fn the_hosted_survey_pages_count_too_and_get_a_page() {
    let s = limited(2, "").await;
    let page = s.url(&format!("/s/{FORM}"));
    for _ in 0..2 {
        let sent = s.http.post(&page).form(&[("_page", "0")]).send().await;
        assert_eq!(sent.unwrap().status(), 200);
    }
    let refused = s.http.post(&page).form(&[("_page", "0")]).send().await;
    let refused = refused.unwrap();
    assert_eq!(refused.status(), 429);
    assert!(refused.headers().contains_key("retry-after"));
    let html = refused.text().await.unwrap();
    assert!(html.contains("Please wait"), "{html}");
    // The API route shares the client's budget.
    assert_eq!(post(&s, None, None).await.status(), 429);
    // Showing the survey is a read.
    let shown = s.http.get(&page).send().await.unwrap();
    assert_eq!(shown.status(), 200);
}

#[tokio::test]
async fn staff_tokens_are_not_limited() {
    let s = limited(2, "").await;
    for _ in 0..2 {
        assert_eq!(post(&s, None, None).await.status(), 201);
    }
    assert_eq!(post(&s, None, None).await.status(), 429);
    for _ in 0..5 {
        assert_eq!(post(&s, Some(RESEARCHER), None).await.status(), 201);
        assert_eq!(post(&s, Some(INTERVIEWER), None).await.status(), 201);
    }
    // A staff browser's login counts as a token does.
    let cookie = common::login_cookie(&s.base, INTERVIEWER).await;
    let with_login = s
        .http
        .post(s.url(&format!("/api/forms/{FORM}/responses")))
        .header("cookie", cookie)
        .json(&answers())
        .send()
        .await
        .unwrap();
    assert_eq!(with_login.status(), 201);
    assert_rate_limited(post(&s, Some("not-a-token"), None).await).await;
}

#[tokio::test]
async fn x_forwarded_for_counts_only_from_a_trusted_proxy() {
    // Loopback is the proxy: each forwarded client has a budget of its own.
    let s = limited(2, "127.0.0.1, 10.0.0.0/8").await;
    let alice = Some("203.0.113.1");
    for _ in 0..2 {
        assert_eq!(post(&s, None, alice).await.status(), 201);
    }
    assert_rate_limited(post(&s, None, alice).await).await;
    // What the client itself claimed, left of what the proxies saw, changes nothing.
    let spoofed = Some("198.51.100.77, 203.0.113.1, 10.0.0.3");
    assert_eq!(post(&s, None, spoofed).await.status(), 429);
    assert_eq!(post(&s, None, Some("203.0.113.2")).await.status(), 201);

    // Loopback is not a proxy: the header is the client's say-so and is ignored.
    let s = limited(2, "10.0.0.0/8").await;
    assert_eq!(post(&s, None, Some("203.0.113.1")).await.status(), 201);
    assert_eq!(post(&s, None, Some("203.0.113.2")).await.status(), 201);
    assert_rate_limited(post(&s, None, Some("203.0.113.3")).await).await;
}

#[tokio::test]
async fn off_takes_any_number() {
    let off = LimitsConfig::from_vars(|name| {
        (name == "FIELDNOTES_RATE_LIMIT").then(|| "off".to_string())
    })
    .unwrap();
    assert_eq!(off.rate_limit, None);
    let s = server(|config| config.limits = off).await;
    for n in 1..=150 {
        assert_eq!(post(&s, None, None).await.status(), 201, "submission {n}");
    }
}

/// Reads until the server closes the connection; returns what it sent and when it closed.
async fn read_until_closed(stream: &mut TcpStream, limit: Duration) -> (String, Duration) {
    let started = Instant::now();
    let mut got = Vec::new();
    let mut buf = [0u8; 1024];
    loop {
        match tokio::time::timeout_at((started + limit).into(), stream.read(&mut buf)).await {
            Ok(Ok(0)) | Ok(Err(_)) => break,
            Ok(Ok(n)) => got.extend_from_slice(&buf[..n]),
            Err(_) => panic!("the connection was still open after {limit:?}"),
        }
    }
    (
        String::from_utf8_lossy(&got).into_owned(),
        started.elapsed(),
    )
}

#[tokio::test]
async fn a_stalled_or_dripping_request_head_is_cut_off_while_others_are_served() {
    let s = server(|_| {}).await;
    let addr = s.base.trim_start_matches("http://").to_string();
    let deadline = HEADER_TIMEOUT + Duration::from_secs(2);

    let mut stalled = TcpStream::connect(&addr).await.unwrap();
    stalled.write_all(b"GET /healthz HT").await.unwrap();
    let stall = tokio::spawn(async move { read_until_closed(&mut stalled, deadline).await });

    // A head sent a byte a second never completes: the limit is on the whole head.
    let mut dripping = TcpStream::connect(&addr).await.unwrap();
    let drip = tokio::spawn(async move {
        dripping
            .write_all(b"GET /healthz HTTP/1.1\r\n")
            .await
            .unwrap();
        let started = Instant::now();
        for byte in b"X-Slow: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
            .iter()
            .cycle()
        {
            if dripping.write_all(&[*byte]).await.is_err() || started.elapsed() > deadline {
                break;
            }
            tokio::time::sleep(Duration::from_millis(500)).await;
        }
        started.elapsed()
    });

    // Meanwhile everyone else is served as usual.
    for _ in 0..5 {
        let started = Instant::now();
        let health = s.http.get(s.url("/healthz")).send().await.unwrap();
        assert_eq!(health.status(), 200);
        assert!(started.elapsed() < Duration::from_secs(2));
        tokio::time::sleep(Duration::from_secs(1)).await;
    }

    let (sent, after) = stall.await.unwrap();
    assert!(!sent.contains("200 OK"), "{sent}");
    assert!(
        after >= HEADER_TIMEOUT - Duration::from_secs(1),
        "closed after {after:?}, before the {HEADER_TIMEOUT:?} a head may take"
    );
    let dripped = drip.await.unwrap();
    assert!(
        dripped < deadline,
        "a dripping head kept its connection for {dripped:?}"
    );
}

#[tokio::test]
async fn a_body_that_never_arrives_gets_408() {
    let s = server(|_| {}).await;
    let addr = s.base.trim_start_matches("http://").to_string();
    let mut stream = TcpStream::connect(&addr).await.unwrap();
    let head = format!(
        "POST /api/forms/{FORM}/responses HTTP/1.1\r\nHost: {addr}\r\ncontent-type: application/json\r\ncontent-length: 100\r\n\r\n{{\"answers\":"
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    let limit = fieldnotes::app::BODY_TIMEOUT + HEADER_TIMEOUT + Duration::from_secs(3);
    let (sent, after) = read_until_closed(&mut stream, limit).await;
    assert!(sent.starts_with("HTTP/1.1 408"), "{sent}");
    assert!(sent.contains("\"timeout\""), "{sent}");
    assert!(after >= fieldnotes::app::BODY_TIMEOUT - Duration::from_secs(1));
}

#[tokio::test]
async fn more_answer_keys_than_questions_is_refused_whole() {
    let s = server(|_| {}).await;
    // The fixture has 9 questions and 2 hidden fields.
    let mut answers = serde_json::Map::new();
    for i in 0..10 {
        answers.insert(format!("q{i}"), json!("x"));
    }
    let sent = s.submit(FORM, json!({"answers": answers})).await;
    assert_eq!(sent.status(), 422);
    let body: Value = sent.json().await.unwrap();
    let fields = body["fields"].as_object().unwrap();
    assert_eq!(fields.len(), 1, "one error, not one per key: {body}");
    assert!(fields["answers"].as_str().unwrap().contains("9 questions"));

    let hidden = json!({"source": "a", "customer_id": "b", "extra": "c"});
    let sent = s
        .submit(
            FORM,
            json!({"answers": {"team_size": "6-20"}, "hidden": hidden}),
        )
        .await;
    assert_eq!(sent.status(), 422);
    let body: Value = sent.json().await.unwrap();
    assert!(body["fields"]["hidden"].is_string(), "{body}");

    // A body of thousands of tiny keys, just under the size limit, is as quick to refuse.
    let many: serde_json::Map<String, Value> =
        (0..6000).map(|i| (format!("k{i}"), json!(0))).collect();
    let started = Instant::now();
    let sent = s.submit(FORM, json!({"answers": many})).await;
    assert_eq!(sent.status(), 422);
    let body: Value = sent.json().await.unwrap();
    assert_eq!(body["fields"].as_object().unwrap().len(), 1);
    assert!(started.elapsed() < Duration::from_secs(2));
}
