//! The profile panel (`tests/fixtures/profiles`): a fixed small dataset whose card figures are
//! worked out by hand below, and the calls the profile-card tests make over HTTP.

use std::path::PathBuf;
use std::time::Duration;

use percent_encoding::{NON_ALPHANUMERIC, utf8_percent_encode};
use reqwest::{Client, Method};
use serde_json::{Value, json};

use super::repo_path;

pub const REPORT: &str = "profiles-panel";
pub const FORM: &str = "profiles-panel";
pub const AGENCY: &str = "Agency";
pub const IN_HOUSE: &str = "In-house 11–50";
/// Two responses, under `min_cell` = 4: no card, no figure, no name anywhere on the cards.
pub const TINY: &str = "Tiny Shop";
/// Written only by Tiny Shop respondents.
pub const TINY_SECRET: &str = "TINYSECRET";
/// The family name given in the personal-data answers (a `pii` text and an `email`).
pub const PII_SECRET: &str = "Quartermain";

pub fn forms() -> PathBuf {
    repo_path("tests/fixtures/profiles/forms")
}

pub fn reports() -> PathBuf {
    repo_path("tests/fixtures/profiles/reports")
}

/// One response of the panel.
pub struct Row {
    pub size: &'static str,
    pub channel: &'static str,
    pub goals: &'static [&'static str],
    pub why: Option<&'static str>,
    /// A `pii` text answer, and a `pii` email.
    pub contact: Option<(&'static str, &'static str)>,
    pub nps: i64,
    pub pmf: &'static str,
    pub seats: i64,
}

const VERY: &str = "Very disappointed";
const SOMEWHAT: &str = "Somewhat disappointed";
const NOT: &str = "Not disappointed";

/// In submission order. Figures by hand:
///
/// Agency (6): NPS 10 9 9 8 6 10 -> 4 promoters, 1 passive, 1 detractor, NPS 50.0;
/// PMF "Very disappointed" 4 of 6; channel Peers 4, Search 1, Ads 1; goals Win clients 4,
/// Save time 2, Report faster 1 (of 6); `why` answered 3: Price 2 (rows 1, 2), Speed 2
/// (rows 1, 3); seats 4 6 5 3 8 4, mean 5.0. One job statement (row 1).
///
/// In-house 11–50 (5): NPS 7 5 9 3 8 -> 1 promoter, 2 passives, 2 detractors, NPS -20.0;
/// PMF 1 of 5; channel Search 4, Ads 1; goals Report faster 4, Save time 2 (of 5); `why`
/// answered 2: Price 1, Speed 1; seats 40 25 30 50 35, mean 36.0.
///
/// Tiny Shop (2): suppressed. Shown in all: 11, so shares 6/11 and 5/11.
pub const ROWS: [Row; 13] = [
    Row {
        size: AGENCY,
        channel: "Peers",
        goals: &["Win clients"],
        why: Some(
            "When a client asks about the price, I want to answer quickly, so I can keep the account.",
        ),
        contact: None,
        nps: 10,
        pmf: VERY,
        seats: 4,
    },
    Row {
        size: AGENCY,
        channel: "Peers",
        goals: &["Win clients", "Save time"],
        why: Some("Too expensive for a small team"),
        contact: Some((
            "Zelda Quartermain: when the price doubles, I want to leave, so I can save money",
            "zelda.quartermain@example.org",
        )),
        nps: 9,
        pmf: VERY,
        seats: 6,
    },
    Row {
        size: AGENCY,
        channel: "Peers",
        goals: &["Win clients"],
        why: Some("Setup took hours"),
        contact: None,
        nps: 9,
        pmf: SOMEWHAT,
        seats: 5,
    },
    Row {
        size: AGENCY,
        channel: "Search",
        goals: &["Save time"],
        why: None,
        contact: None,
        nps: 8,
        pmf: VERY,
        seats: 3,
    },
    Row {
        size: TINY,
        channel: "Peers",
        goals: &["Win clients"],
        why: Some("TINYSECRET: the price is fine, we are quick"),
        contact: None,
        nps: 10,
        pmf: VERY,
        seats: 1,
    },
    Row {
        size: AGENCY,
        channel: "Peers",
        goals: &["Win clients"],
        why: None,
        contact: None,
        nps: 6,
        pmf: NOT,
        seats: 8,
    },
    Row {
        size: IN_HOUSE,
        channel: "Search",
        goals: &["Report faster"],
        why: Some("We needed faster reports"),
        contact: None,
        nps: 7,
        pmf: SOMEWHAT,
        seats: 40,
    },
    Row {
        size: IN_HOUSE,
        channel: "Search",
        goals: &["Report faster", "Save time"],
        why: None,
        contact: Some((
            "Quartermain again, worried the price will go up",
            "q@quartermain.example",
        )),
        nps: 5,
        pmf: NOT,
        seats: 25,
    },
    Row {
        size: AGENCY,
        channel: "Ads",
        goals: &["Report faster"],
        why: None,
        contact: None,
        nps: 10,
        pmf: VERY,
        seats: 4,
    },
    Row {
        size: IN_HOUSE,
        channel: "Search",
        goals: &["Save time"],
        why: Some("the price"),
        contact: None,
        nps: 9,
        pmf: VERY,
        seats: 30,
    },
    Row {
        size: TINY,
        channel: "Peers",
        goals: &["Win clients"],
        why: Some("TINYSECRET too slow"),
        contact: None,
        nps: 10,
        pmf: VERY,
        seats: 2,
    },
    Row {
        size: IN_HOUSE,
        channel: "Ads",
        goals: &["Report faster"],
        why: None,
        contact: None,
        nps: 3,
        pmf: SOMEWHAT,
        seats: 50,
    },
    Row {
        size: IN_HOUSE,
        channel: "Search",
        goals: &["Report faster"],
        why: None,
        contact: None,
        nps: 8,
        pmf: NOT,
        seats: 35,
    },
];

/// The request body of a row.
pub fn body(row: &Row) -> Value {
    let mut answers = json!({
        "size": row.size,
        "channel": row.channel,
        "goals": row.goals,
        "nps": row.nps,
        "pmf": row.pmf,
        "seats": row.seats,
    });
    if let Some(why) = row.why {
        answers["why"] = json!(why);
    }
    if let Some((name, email)) = row.contact {
        answers["contact_name"] = json!(name);
        answers["email"] = json!(email);
    }
    json!({ "answers": answers })
}

/// A segment's name as a path segment.
pub fn seg(name: &str) -> String {
    utf8_percent_encode(name, NON_ALPHANUMERIC).to_string()
}

pub use super::interviews::call;

/// Submits every row in order; returns the response ids (201 each).
pub async fn submit_rows(http: &Client, base: &str, rows: &[&Row]) -> Vec<String> {
    let mut ids = Vec::new();
    for row in rows {
        let (status, saved) = call(
            http,
            Method::POST,
            &format!("{base}/api/forms/{FORM}/responses"),
            None,
            Some(body(row)),
        )
        .await;
        assert_eq!(status, 201, "submitting {}: {saved}", row.size);
        ids.push(saved["id"].as_str().expect("an id").to_string());
    }
    ids
}

/// GET a path that answers 503 while the report's aggregates are first built.
pub async fn get_ready(http: &Client, url: &str, token: &str) -> reqwest::Response {
    for _ in 0..400 {
        let response = http
            .get(url)
            .bearer_auth(token)
            .send()
            .await
            .expect("a response");
        if response.status() == 503 {
            tokio::time::sleep(Duration::from_millis(25)).await;
            continue;
        }
        return response;
    }
    panic!("{url} never became ready");
}

/// The profiles JSON (200).
pub async fn profiles(http: &Client, base: &str, token: &str) -> Value {
    let response = get_ready(
        http,
        &format!("{base}/api/reports/{REPORT}/profiles"),
        token,
    )
    .await;
    assert_eq!(response.status(), 200, "GET profiles");
    response.json().await.expect("profiles JSON")
}

/// The card of a segment in the profiles JSON.
pub fn card<'a>(profiles: &'a Value, segment: &str) -> &'a Value {
    profiles["cards"]
        .as_array()
        .expect("cards")
        .iter()
        .find(|c| c["segment"] == segment)
        .unwrap_or_else(|| panic!("a card for {segment} in {profiles}"))
}

/// The card path of a segment, under a base URL.
pub fn card_url(base: &str, segment: &str) -> String {
    format!("{base}/api/reports/{REPORT}/profiles/{}", seg(segment))
}

/// Wilson score interval at 95% (z = 1.959964), in percent.
pub fn wilson_percent(x: f64, n: f64) -> (f64, f64) {
    let z = 1.959964_f64;
    let p = x / n;
    let z2 = z * z;
    let denominator = 1.0 + z2 / n;
    let center = (p + z2 / (2.0 * n)) / denominator;
    let half = z * (p * (1.0 - p) / n + z2 / (4.0 * n * n)).sqrt() / denominator;
    (
        100.0 * (center - half).max(0.0),
        100.0 * (center + half).min(1.0),
    )
}

/// Asserts two numbers agree to 1e-9 (they are computed the same way from the same counts).
pub fn close(actual: &Value, expected: f64, what: &str) {
    let actual = actual
        .as_f64()
        .unwrap_or_else(|| panic!("{what}: a number, not {actual}"));
    assert!(
        (actual - expected).abs() < 1e-9,
        "{what}: {actual} != {expected}"
    );
}
