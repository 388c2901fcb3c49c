//! The team's words on profile cards are durable before they are acknowledged, and an erased
//! response leaves the cards as if it had never been: the real `fieldnotes` binary, killed with
//! SIGKILL right after each acknowledgement, restarted on the same data directory.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::cast_possible_truncation
)]

mod common;

use std::collections::BTreeMap;

use chrono::Utc;
use common::profiles::{
    AGENCY, FORM, IN_HOUSE, ROWS, Row, call, card, card_url, close, profiles, submit_rows,
};
use common::{INTERVIEWER, RESEARCHER, ServerProcess, free_port, parse_csv};
use reqwest::{Client, Method};
use serde_json::{Value, json};

fn start(data: &std::path::Path, port: u16) -> ServerProcess {
    ServerProcess::start_with_reports(
        data,
        &common::profiles::forms(),
        &common::profiles::reports(),
        port,
    )
}

fn all_rows() -> Vec<&'static Row> {
    ROWS.iter().collect()
}

#[tokio::test]
async fn labels_reviews_and_activations_survive_sigkill() {
    // No pooled connections: each restart is a new process, the old sockets died with it.
    let http = Client::builder().pool_max_idle_per_host(0).build().unwrap();
    let data = tempfile::tempdir().unwrap();
    let port = free_port();
    let today = Utc::now().format("%Y-%m-%d").to_string();
    let server = start(data.path(), port);
    submit_rows(&http, &server.base, &all_rows()).await;

    // A label, answered 200, then the process is killed.
    let (status, _) = call(
        &http,
        Method::PUT,
        &card_url(&server.base, IN_HOUSE),
        Some(RESEARCHER),
        Some(json!({"label": "In-house marketing teams", "notes": "Ask support."})),
    )
    .await;
    assert_eq!(status, 200);
    server.kill();
    let server = start(data.path(), port);
    let json = profiles(&http, &server.base, RESEARCHER).await;
    let c = card(&json, IN_HOUSE);
    assert_eq!(c["label"], "In-house marketing teams");
    assert_eq!(c["notes"], "Ask support.");
    assert_eq!(c["n"], 5, "the responses came back too");

    // A review (an interviewer may post one), 201, killed.
    let (status, review) = call(
        &http,
        Method::POST,
        &format!("{}/reviews", card_url(&server.base, IN_HOUSE)),
        Some(INTERVIEWER),
        Some(
            json!({"team": "support", "field": "objection", "verdict": "disagrees",
                    "comment": "They never mention price"}),
        ),
    )
    .await;
    assert_eq!(status, 201, "{review}");
    server.kill();
    let server = start(data.path(), port);
    let json = profiles(&http, &server.base, RESEARCHER).await;
    let c = card(&json, IN_HOUSE);
    assert_eq!(
        c["reviews"],
        json!([{"id": review["id"], "team": "support", "field": "objection",
                "verdict": "disagrees", "comment": "They never mention price",
                "at": review["at"]}])
    );
    assert_eq!(
        c["label"], "In-house marketing teams",
        "the label is still there"
    );

    // An activation, 201, killed: it comes back with its figures (every response is since).
    let (status, activation) = call(
        &http,
        Method::POST,
        &format!("{}/activations", card_url(&server.base, AGENCY)),
        Some(RESEARCHER),
        Some(json!({"kind": "sales", "title": "Agency partner deck", "started": today})),
    )
    .await;
    assert_eq!(status, 201, "{activation}");
    server.kill();
    let server = start(data.path(), port);
    let json = profiles(&http, &server.base, RESEARCHER).await;
    let a = &card(&json, AGENCY)["activations"];
    assert_eq!(a.as_array().unwrap().len(), 1);
    assert_eq!(a[0]["id"], activation["id"]);
    assert_eq!(a[0]["kind"], "sales");
    assert_eq!(a[0]["title"], "Agency partner deck");
    assert_eq!(a[0]["started"], today);
    assert_eq!(
        a[0]["before"],
        json!({"n": 0, "nps": null, "pmf_percent": null})
    );
    assert_eq!(a[0]["since"]["n"], 6);
    close(&a[0]["since"]["nps"], 50.0, "NPS since");
    assert_eq!(card(&json, IN_HOUSE)["reviews"][0]["id"], review["id"]);

    // A delete, 204, killed: it stays deleted.
    let (status, _) = call(
        &http,
        Method::DELETE,
        &format!(
            "{}/reviews/{}",
            card_url(&server.base, IN_HOUSE),
            review["id"].as_str().unwrap()
        ),
        Some(RESEARCHER),
        None,
    )
    .await;
    assert_eq!(status, 204);
    server.kill();
    let server = start(data.path(), port);
    let json = profiles(&http, &server.base, RESEARCHER).await;
    assert_eq!(card(&json, IN_HOUSE)["reviews"], json!([]));
    assert_eq!(
        card(&json, AGENCY)["activations"][0]["id"],
        activation["id"]
    );
    server.kill();
}

/// What the team says, the same on both servers: a label, a contradiction, two activations.
async fn team_words(http: &Client, base: &str, today: &str, tomorrow: &str) {
    let calls = [
        (
            Method::PUT,
            card_url(base, AGENCY),
            json!({"label": "Client-service agencies", "notes": "From the spring panel."}),
        ),
        (
            Method::POST,
            format!("{}/reviews", card_url(base, AGENCY)),
            json!({"team": "sales", "field": "pain", "verdict": "agrees", "comment": "Price"}),
        ),
        (
            Method::POST,
            format!("{}/reviews", card_url(base, AGENCY)),
            json!({"team": "marketing", "field": "pain", "verdict": "disagrees", "comment": ""}),
        ),
        (
            Method::POST,
            format!("{}/activations", card_url(base, AGENCY)),
            json!({"kind": "messaging", "title": "Lead with price", "started": today}),
        ),
        (
            Method::POST,
            format!("{}/activations", card_url(base, IN_HOUSE)),
            json!({"kind": "offer", "title": "Annual plan", "started": tomorrow}),
        ),
    ];
    for (method, url, body) in calls {
        let (status, answer) = call(http, method.clone(), &url, Some(RESEARCHER), Some(body)).await;
        assert!(status.is_success(), "{method} {url}: {status} {answer}");
    }
}

/// The profiles JSON without what differs between two servers given the same answers and the
/// same words: when the cards were drafted, when each answer came (period, quotes, jobs; the
/// period is checked against the CSV apart), and the ids and times of reviews and activations.
fn comparable(profiles: &Value) -> Value {
    let mut p = profiles.clone();
    p.as_object_mut().unwrap().remove("drafted_at");
    for c in p["cards"].as_array_mut().unwrap() {
        c.as_object_mut().unwrap().remove("period");
        for (list, keys) in [
            ("reviews", &["id", "at"][..]),
            ("activations", &["id"][..]),
            ("quotes", &["at"][..]),
            ("jtbd", &["at"][..]),
        ] {
            for item in c[list].as_array_mut().unwrap() {
                for key in keys {
                    item.as_object_mut().unwrap().remove(*key);
                }
            }
        }
    }
    p
}

/// Each segment's submission times, from the responses CSV.
async fn submitted_by_segment(http: &Client, base: &str) -> BTreeMap<String, Vec<String>> {
    let response = http
        .get(format!("{base}/api/forms/{FORM}/responses.csv"))
        .bearer_auth(RESEARCHER)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let (_, rows) = parse_csv(&response.bytes().await.unwrap());
    let mut by_segment: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for row in rows {
        by_segment
            .entry(row["size"].clone())
            .or_default()
            .push(row["submitted_at"].clone());
    }
    by_segment
}

#[tokio::test]
async fn an_erased_response_leaves_the_cards_as_if_it_had_never_been() {
    let http = Client::new();
    let today = Utc::now().format("%Y-%m-%d").to_string();
    let data = tempfile::tempdir().unwrap();
    let server = start(data.path(), free_port());
    let ids = submit_rows(&http, &server.base, &all_rows()).await;
    let tomorrow = (Utc::now() + chrono::Duration::days(1))
        .format("%Y-%m-%d")
        .to_string();
    team_words(&http, &server.base, &today, &tomorrow).await;
    let before = profiles(&http, &server.base, RESEARCHER).await;

    // The first response: Agency's oldest, its only job statement, a Price and a Speed text,
    // a promoter, "Very disappointed", Peers, Win clients, 4 seats.
    let (status, _) = call(
        &http,
        Method::DELETE,
        &format!("{}/api/responses/{}", server.base, ids[0]),
        Some(RESEARCHER),
        None,
    )
    .await;
    assert_eq!(status, 204);
    let erased = profiles(&http, &server.base, RESEARCHER).await;

    let fresh_data = tempfile::tempdir().unwrap();
    let fresh = start(fresh_data.path(), free_port());
    submit_rows(&http, &fresh.base, &all_rows()[1..]).await;
    team_words(&http, &fresh.base, &today, &tomorrow).await;
    let never = profiles(&http, &fresh.base, RESEARCHER).await;

    assert_eq!(comparable(&erased), comparable(&never));
    assert_ne!(
        comparable(&erased),
        comparable(&before),
        "the erasure changed the cards"
    );
    // What the erased response carried is gone from the figures.
    let agency = card(&erased, AGENCY);
    assert_eq!(agency["n"], 5);
    assert_eq!(agency["jtbd"], json!([]));
    assert_eq!(
        agency["themes"],
        json!([{"name": "Price", "responses": 1}, {"name": "Speed", "responses": 1}])
    );
    // NPS 9 9 8 6 10: 3 promoters, 1 passive, 1 detractor.
    close(&agency["loyalty"]["nps"], 40.0, "NPS");
    close(&agency["loyalty"]["pmf"]["percent"], 60.0, "PMF");
    let since = &agency["activations"][0]["since"];
    assert_eq!(since["n"], 5);
    close(&since["nps"], 40.0, "NPS since");
    close(&since["pmf_percent"], 60.0, "PMF since");
    assert!(
        agency["quotes"]
            .as_array()
            .unwrap()
            .iter()
            .all(|q| !q["text"].as_str().unwrap().contains("keep the account")),
        "the erased answer is no quote: {}",
        agency["quotes"]
    );
    assert_eq!(
        agency["contradictions"],
        json!([{"field": "pain", "agree": ["sales"], "disagree": ["marketing"]}])
    );
    assert_eq!(card(&erased, IN_HOUSE)["activations"][0]["before"]["n"], 5);

    // The period runs over the remaining responses only: the erased one was the oldest.
    let submitted = submitted_by_segment(&http, &server.base).await;
    assert_eq!(submitted[AGENCY].len(), 5);
    for c in erased["cards"].as_array().unwrap() {
        let times = &submitted[c["segment"].as_str().unwrap()];
        let oldest = times.iter().min().unwrap();
        let newest = times.iter().max().unwrap();
        assert_eq!(&c["period"]["from"], oldest, "{}", c["segment"]);
        assert_eq!(&c["period"]["to"], newest, "{}", c["segment"]);
        for q in c["quotes"].as_array().unwrap() {
            assert!(times.contains(&q["at"].as_str().unwrap().to_string()));
        }
    }
    assert_ne!(
        card(&before, AGENCY)["period"]["from"],
        card(&erased, AGENCY)["period"]["from"]
    );
    server.kill();
    fresh.kill();
}
