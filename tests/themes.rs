//! Theme counts over a loopback server: a fixed corpus of survey answers and interview notes
//! whose counts were worked out by hand (below, next to each text), quotes, uncoded terms,
//! the CSV, the drill-down, and incremental counts equal to a rebuild after edits of the
//! codebook, erasures, and note edits and deletions.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::cast_possible_truncation
)]

mod common;

use std::path::{Path, PathBuf};

use common::{INTERVIEWER, RESEARCHER, ServerProcess, free_port, login_cookie, repo_path};
use serde_json::{Value, json};

fn dir(sub: &str) -> PathBuf {
    repo_path(&format!("tests/fixtures/themes/{sub}"))
}

/// (plan, why) — hand counts with the fixture codebook (Price: price, expensive, cost*;
/// Integration: integrate, api; Time saved: "save time", faster):
const ANSWERS: [(&str, &str); 7] = [
    // Price: 1 text, 2 mentions (price, expensive)
    ("Free", "The price was too expensive for us"),
    // Integration: 1 text, 1 mention (Integrations stems to integr, like integrate)
    ("Free", "Integrations with Jira saved us"),
    // no theme: great, great onboarding, onboarding, onboarding call, call, helpful
    ("Free", "Great onboarding call, very helpful"),
    // Price: 1/1 (costs); Integration: 1 text, 2 mentions (integrates, API)
    ("Pro", "It costs a lot but it integrates with our API"),
    // Time saved: 1 text, 2 mentions (save time, Faster)
    ("Pro", "We save time every week. Faster reports."),
    // no theme ("priceless" is not "price"): priceless, priceless support, support
    ("Pro", "Priceless support"),
    // Team has one response: under min_cell 2, suppressed, counted nowhere
    ("Team", "price price price"),
];

struct Server {
    process: ServerProcess,
    http: reqwest::Client,
}

impl Server {
    fn start(data: &Path, reports: &Path) -> Server {
        Server {
            process: ServerProcess::start_with_reports(data, &dir("forms"), reports, free_port()),
            http: reqwest::Client::new(),
        }
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.process.base)
    }

    async fn answer(&self, plan: &str, why: &str) -> Value {
        let body = json!({"answers": {"plan": plan, "why": why, "name": "Price Integrate API"}});
        let response = self
            .http
            .post(self.url("/api/forms/feedback/responses"))
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 201);
        response.json().await.unwrap()
    }

    async fn interview(&self, plan: &str, participant: &str) -> String {
        let body =
            json!({"guide": "calls", "participant": participant, "attributes": {"plan": plan}});
        let response = self
            .http
            .post(self.url("/api/interviews"))
            .bearer_auth(INTERVIEWER)
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 201, "{}", response.text().await.unwrap());
        response.json::<Value>().await.unwrap()["id"]
            .as_str()
            .unwrap()
            .to_string()
    }

    async fn note(&self, interview: &str, kind: &str, text: &str) -> u64 {
        let body = json!({"text": text, "section": "deciding", "kind": kind, "forces": []});
        let url = self.url(&format!("/api/interviews/{interview}/notes"));
        let response = self
            .http
            .post(url)
            .bearer_auth(INTERVIEWER)
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 201, "{}", response.text().await.unwrap());
        response.json::<Value>().await.unwrap()["seq"]
            .as_u64()
            .unwrap()
    }

    async fn get(&self, path: &str) -> reqwest::Response {
        self.http
            .get(self.url(path))
            .bearer_auth(RESEARCHER)
            .send()
            .await
            .unwrap()
    }

    async fn report(&self) -> Value {
        for _ in 0..400 {
            let response = self.get("/api/reports/feedback").await;
            if response.status() == 200 {
                return response.json().await.unwrap();
            }
            assert_eq!(response.status(), 503);
            tokio::time::sleep(std::time::Duration::from_millis(25)).await;
        }
        panic!("the report never became ready");
    }
}

fn theme<'a>(report: &'a Value, name: &str) -> &'a Value {
    report["themes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["name"] == name)
        .unwrap_or_else(|| panic!("theme {name}"))
}

/// Loads the hand-counted corpus: the answers above, and notes from two interviews.
async fn load_corpus(server: &Server) -> (Vec<Value>, String, String) {
    let mut receipts = Vec::new();
    for (plan, why) in ANSWERS {
        receipts.push(server.answer(plan, why).await);
    }
    let pro = server.interview("Pro", "P01").await;
    // Price: interview, 1/1
    server
        .note(&pro, "quote", "Honestly the price almost stopped me")
        .await;
    // Integration: interview, 1/1 (API)
    server.note(&pro, "note", "Wanted an API first").await;
    let free = server.interview("Free", "P02").await;
    // Time saved: interview, 1 text, 2 mentions
    server
        .note(&free, "quote", "We needed to save time, faster onboarding")
        .await;
    (receipts, pro, free)
}

#[tokio::test]
async fn a_hand_counted_corpus_of_answers_and_notes() {
    let data = tempfile::tempdir().unwrap();
    let server = Server::start(data.path(), &dir("reports"));
    load_corpus(&server).await;
    let report = server.report().await;

    let price = theme(&report, "Price");
    assert_eq!(
        (price["responses"].as_u64(), price["mentions"].as_u64()),
        (Some(3), Some(4))
    );
    assert_eq!(price["by_segment"], json!({"Free": 1, "Pro": 2}));
    assert_eq!(
        price["quotes"],
        json!([
            "Honestly the price almost stopped me",
            "The price was too expensive for us",
            "It costs a lot but it integrates with our API"
        ]),
        "interview quotes first, then answers in the order they came; never the suppressed Team"
    );
    let integration = theme(&report, "Integration");
    assert_eq!(
        (
            integration["responses"].as_u64(),
            integration["mentions"].as_u64()
        ),
        (Some(3), Some(4))
    );
    assert_eq!(integration["by_segment"], json!({"Free": 1, "Pro": 2}));
    assert_eq!(integration["quotes"][0], "Wanted an API first");
    let time = theme(&report, "Time saved");
    assert_eq!(
        (time["responses"].as_u64(), time["mentions"].as_u64()),
        (Some(2), Some(4))
    );
    assert_eq!(time["by_segment"], json!({"Free": 1, "Pro": 1}));
    assert_eq!(
        time["quotes"][0],
        "We needed to save time, faster onboarding"
    );

    let terms: Vec<(String, u64)> = report["uncoded_terms"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| {
            (
                t["term"].as_str().unwrap().to_string(),
                t["count"].as_u64().unwrap(),
            )
        })
        .collect();
    let expected = [
        "call",
        "great",
        "great onboarding",
        "helpful",
        "onboarding",
        "onboarding call",
        "priceless",
        "priceless support",
        "support",
    ];
    assert_eq!(
        terms,
        expected
            .iter()
            .map(|t| (t.to_string(), 1))
            .collect::<Vec<_>>()
    );
    // Personal data is never counted or quoted.
    assert!(!report.to_string().contains("Price Integrate API"));

    let csv = server
        .get("/api/reports/feedback/themes.csv")
        .await
        .text()
        .await
        .unwrap();
    let mut reader = csv::Reader::from_reader(csv.as_bytes());
    assert_eq!(
        reader.headers().unwrap().iter().collect::<Vec<_>>(),
        vec!["theme", "segment", "source", "responses", "mentions"]
    );
    let rows: Vec<Vec<String>> = reader
        .records()
        .map(|r| r.unwrap().iter().map(str::to_string).collect())
        .collect();
    let row = |t: &str, s: &str, src: &str| {
        rows.iter()
            .find(|r| r[0] == t && r[1] == s && r[2] == src)
            .map(|r| (r[3].clone(), r[4].clone()))
    };
    assert_eq!(
        row("Price", "Free", "survey"),
        Some(("1".into(), "2".into()))
    );
    assert_eq!(
        row("Price", "Pro", "survey"),
        Some(("1".into(), "1".into()))
    );
    assert_eq!(
        row("Price", "Pro", "interview"),
        Some(("1".into(), "1".into()))
    );
    assert_eq!(
        row("Time saved", "Free", "interview"),
        Some(("1".into(), "2".into()))
    );
    assert!(rows.iter().all(|r| r[1] != "Team"));

    // The drill-down lists every text with the matched words.
    let drill: Value = server
        .get("/api/reports/feedback/themes/Price")
        .await
        .json()
        .await
        .unwrap();
    let texts = drill["texts"].as_array().unwrap();
    assert_eq!(texts.len(), 3);
    assert_eq!(texts[1]["text"], "The price was too expensive for us");
    assert_eq!(texts[1]["spans"], json!([[4, 9], [18, 27]]));
    assert_eq!(
        server
            .get("/api/reports/feedback/themes/Nothing")
            .await
            .status(),
        404
    );
    let page = server
        .http
        .get(server.url("/r/feedback/themes/Price"))
        .header(
            "cookie",
            login_cookie(&server.process.base, RESEARCHER).await,
        )
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        page.contains("The <mark>price</mark> was too <mark>expensive</mark> for us"),
        "{page}"
    );
}

/// Everything but the rebuild-only bookkeeping: the counts, quotes and terms.
fn theme_part(report: &Value) -> Value {
    json!({"themes": report["themes"], "uncoded_terms": report["uncoded_terms"], "segments": report["segments"]})
}

#[tokio::test]
async fn incremental_counts_equal_a_rebuild_after_edits_erasures_and_a_codebook_change() {
    let data = tempfile::tempdir().unwrap();
    let reports = tempfile::tempdir().unwrap();
    let original = std::fs::read_to_string(dir("reports").join("feedback.toml")).unwrap();
    std::fs::write(reports.path().join("feedback.toml"), &original).unwrap();

    let server = Server::start(data.path(), reports.path());
    let (receipts, pro, free) = load_corpus(&server).await;
    // Erase the first answer, edit a quote, delete a note, add one more of each.
    let first = &receipts[0];
    let erase = server.url(&format!(
        "/api/responses/{}?receipt={}",
        first["id"].as_str().unwrap(),
        first["receipt"].as_str().unwrap()
    ));
    assert_eq!(
        server.http.delete(erase).send().await.unwrap().status(),
        204
    );
    let edit = server.url(&format!("/api/interviews/{pro}/notes/1"));
    let edited = server
        .http
        .patch(edit)
        .bearer_auth(INTERVIEWER)
        .json(&json!({"text": "The cost was a worry, and the API"}))
        .send()
        .await
        .unwrap();
    assert!(
        edited.status().is_success(),
        "{}",
        edited.text().await.unwrap()
    );
    let delete = server.url(&format!("/api/interviews/{free}/notes/1"));
    assert_eq!(
        server
            .http
            .delete(delete)
            .bearer_auth(INTERVIEWER)
            .send()
            .await
            .unwrap()
            .status(),
        204
    );
    server
        .answer("Free", "Cheaper than the rest, and faster")
        .await;
    server
        .note(&free, "note", "Asked twice about the price")
        .await;
    let incremental = server.report().await;
    assert_eq!(
        theme(&incremental, "Price")["quotes"][0],
        "The cost was a worry, and the API"
    );
    drop(server);

    // A changed codebook is rebuilt from the stored answers and notes...
    let extended = format!(
        "{original}\n[[themes]]\nname = \"Support\"\nmatch = [\"support\", \"onboarding\"]\n"
    );
    std::fs::write(reports.path().join("feedback.toml"), extended).unwrap();
    let server = Server::start(data.path(), reports.path());
    let with_support = server.report().await;
    assert_eq!(
        theme(&with_support, "Support")["responses"],
        2,
        "the onboarding answer and 'priceless support'"
    );
    assert!(
        with_support["uncoded_terms"]
            .as_array()
            .unwrap()
            .iter()
            .all(|t| t["term"] != "support")
    );
    drop(server);

    // ...and going back rebuilds again, to exactly what the incremental updates gave.
    std::fs::write(reports.path().join("feedback.toml"), &original).unwrap();
    let server = Server::start(data.path(), reports.path());
    assert_eq!(theme_part(&server.report().await), theme_part(&incremental));
}
