//! Profile cards from a fixed dataset, against values computed independently.
//!
//! The dataset is `tests/fixtures/cards/responses.json` (written by `make_responses.py` beside
//! it). Every expected figure below was computed from it by `tests/fixtures/cards/expected.py`
//! with statsmodels 0.15.0 and SciPy 1.17.1: pooled two-proportion z-tests
//! (`proportions_ztest`), Holm (`multipletests(method="holm")`), chi-square without correction
//! (`chi2_contingency(correction=False)`), Welch (`ttest_ind(equal_var=False)`) and Wilson
//! intervals (`proportion_confint(method="wilson")`, whose z differs from SPEC's 1.959964 in
//! the ninth digit, hence the 1e-6 tolerance on intervals). Shares, means, NPS, quotes, job
//! statements and warnings are worked out by hand in the comments next to them.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::cast_possible_truncation
)]

mod common;

use common::interviews::{add_note, call};
use common::{INTERVIEWER, RESEARCHER, TestServer, repo_path};
use reqwest::Method;
use serde_json::{Value, json};

/// p-values: statrs and SciPy agree to about ten significant digits.
fn close_p(actual: &Value, expected: f64) {
    close(actual, expected, expected * 1e-8);
}

fn close(actual: &Value, expected: f64, tolerance: f64) {
    let actual = actual
        .as_f64()
        .unwrap_or_else(|| panic!("{actual} is not a number"));
    assert!(
        (actual - expected).abs() <= tolerance,
        "{actual} is not {expected}"
    );
}

async fn server_with_dataset() -> TestServer {
    let fixture = repo_path("tests/fixtures/cards");
    let s = TestServer::start_with(
        &fixture.join("forms"),
        &fixture.join("reports"),
        Default::default(),
    )
    .await;
    let rows: Vec<Value> = serde_json::from_str(
        &std::fs::read_to_string(fixture.join("responses.json")).expect("dataset"),
    )
    .expect("dataset is JSON");
    for answers in rows {
        let r = s.submit("cards", json!({ "answers": answers })).await;
        assert_eq!(r.status(), 201, "{}", r.text().await.unwrap_or_default());
    }
    // Pro: one interview, with a marked quote and a note holding a job statement.
    let pro = start(&s, "P-pro", "Pro").await;
    add_note(
        &s.http,
        &s.base,
        &pro,
        json!({"text": "Honestly the price almost stopped me.", "kind": "quote"}),
    )
    .await;
    add_note(
        &s.http,
        &s.base,
        &pro,
        json!({"text": "When the team grows, I want exports to stay fast, so that I can keep reporting weekly."}),
    )
    .await;
    // Team: two interviews (the rhythm's target is 2), notes that mention no theme.
    for who in ["P-team-1", "P-team-2"] {
        let id = start(&s, who, "Team").await;
        add_note(
            &s.http,
            &s.base,
            &id,
            json!({"text": "We tried a spreadsheet first."}),
        )
        .await;
    }
    s
}

async fn start(s: &TestServer, participant: &str, plan: &str) -> String {
    let (status, body) = call(
        &s.http,
        Method::POST,
        &s.url("/api/interviews"),
        Some(INTERVIEWER),
        Some(json!({"guide": "cards-guide", "participant": participant, "attributes": {"plan": plan}})),
    )
    .await;
    assert_eq!(status, 201, "{body}");
    body["id"].as_str().expect("id").to_string()
}

async fn profiles(s: &TestServer) -> Value {
    let r = s.get_as("/api/reports/cards/profiles", INTERVIEWER).await;
    assert_eq!(r.status(), 200);
    r.json().await.expect("JSON")
}

fn card<'a>(p: &'a Value, segment: &str) -> &'a Value {
    p["cards"]
        .as_array()
        .expect("cards")
        .iter()
        .find(|c| c["segment"] == segment)
        .unwrap_or_else(|| panic!("no card for {segment}"))
}

fn codes(card: &Value) -> Vec<&str> {
    card["warnings"]
        .as_array()
        .expect("warnings")
        .iter()
        .map(|w| w["code"].as_str().expect("code"))
        .collect()
}

#[tokio::test]
async fn cards_match_the_independent_computation() {
    let s = server_with_dataset().await;
    let p = profiles(&s).await;
    assert_eq!(p["report"], "cards");
    close(&p["alpha"], 0.05, 0.0);
    // Enterprise has 2 responses, under min_cell = 5: no card. Cards keep the report's order.
    let names: Vec<&str> = p["cards"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["segment"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["Free", "Pro", "Team"]);

    let free = card(&p, "Free");
    assert_eq!(free["n"], 20);
    // 20 of the 60 responses in unsuppressed segments.
    close(&free["share"], 100.0 / 3.0, 1e-9);
    assert_eq!(free["index"], 0);
    // NPS by hand: 14 promoters (8 tens, 6 nines), 3 passives, 3 detractors of 20 → 55.
    close(&free["loyalty"]["nps"], 55.0, 1e-9);
    // pmf: 15 of 20 "Very disappointed"; Wilson [53.129912238125584, 88.81382985923344].
    close(&free["loyalty"]["pmf"]["percent"], 75.0, 1e-9);
    close(&free["loyalty"]["pmf"]["ci95"][0], 53.129912238125584, 1e-6);
    close(&free["loyalty"]["pmf"]["ci95"][1], 88.81382985923344, 1e-6);

    // Distinctive for Free: 9 tests (3 options × channel, drivers, pmf), Holm over 9.
    let expected = [
        (
            "drivers",
            "Price",
            80.0,
            12.5,
            5.1675232658689305,
            2.3721644545938765e-07,
            2.134948009134489e-06,
        ),
        (
            "drivers",
            "Speed",
            20.0,
            75.0,
            -4.052818694009866,
            5.0604219533851024e-05,
            0.0004048337562708082,
        ),
        (
            "channel",
            "Peers",
            70.0,
            22.5,
            3.567380616830071,
            0.0003605675631385186,
            0.0025239729419696305,
        ),
        (
            "pmf",
            "Very disappointed",
            75.0,
            32.5,
            3.1106814825234492,
            0.0018665615777654677,
            0.011199369466592807,
        ),
        (
            "channel",
            "Search",
            20.0,
            57.5,
            -2.7524094128159007,
            0.005915851074238025,
            0.029579255371190126,
        ),
    ];
    let distinctive = free["distinctive"].as_array().expect("distinctive");
    assert_eq!(distinctive.len(), expected.len(), "{distinctive:#?}");
    for (d, (q, o, pct, others, z, pv, padj)) in distinctive.iter().zip(expected) {
        assert_eq!(d["question"], q);
        assert_eq!(d["option"], o);
        close(&d["percent"], pct, 1e-9);
        close(&d["others_percent"], others, 1e-9);
        close(&d["z"], z, 1e-9);
        close_p(&d["p_value"], pv);
        close_p(&d["p_adjusted"], padj);
        assert_eq!(d["direction"], if z > 0.0 { "over" } else { "under" });
    }
    let sentence = distinctive[0]["sentence"].as_str().unwrap();
    assert!(
        sentence.contains("80%") && sentence.contains("12.5%") && sentence.contains("Free"),
        "{sentence}"
    );

    // Fields: top 3 per question, ties in form order (Speed and Trust both 4 of 20).
    let channel = free["fields"]["channel"].as_array().unwrap();
    let options: Vec<&str> = channel
        .iter()
        .map(|e| e["option"].as_str().unwrap())
        .collect();
    assert_eq!(options, ["Peers", "Search", "Ads"]);
    close(&channel[0]["percent"], 70.0, 1e-9);
    close(&channel[0]["others_percent"], 22.5, 1e-9);
    let drivers = free["fields"]["driver"].as_array().unwrap();
    let options: Vec<&str> = drivers
        .iter()
        .map(|e| e["option"].as_str().unwrap())
        .collect();
    assert_eq!(options, ["Price", "Speed", "Trust"]);
    // The pain question's themes: "expensive" and "price" (2 answers), "slow" (1).
    let pain = free["fields"]["pain"].as_array().unwrap();
    assert_eq!(pain[0]["theme"], "Price");
    assert_eq!(pain[0]["responses"], 2);
    assert_eq!(pain[1]["theme"], "Speed");
    assert_eq!(pain[1]["responses"], 1);
    // seats: Free's mean 1.7; the others' (Pro 8.0, Team 8.15, 20 each) 8.075.
    let context = free["fields"]["context"].as_array().unwrap();
    close(&context[0]["mean"], 1.7, 1e-9);
    close(&context[0]["others_mean"], 8.075, 1e-9);
    assert_eq!(free["fields"]["goal"], json!([]));

    // Quotes: no interview quote in Free, so the newest text of each top theme in turn:
    // Price (answer 9), Speed (answer 12), then Price again (answer 0).
    let quotes: Vec<(&str, &str)> = free["quotes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|q| (q["text"].as_str().unwrap(), q["theme"].as_str().unwrap()))
        .collect();
    assert_eq!(
        quotes,
        [
            ("The price keeps going up.", "Price"),
            ("Reports are slow to load.", "Speed"),
            (
                "Everything is too expensive for a one-person shop.",
                "Price"
            ),
        ]
    );
    assert_eq!(
        free["jtbd"],
        json!([{"when": "a client asks for numbers", "want": "pull them in one click",
                "so": "answer on the call", "source": "survey",
                "at": free["jtbd"][0]["at"].clone()}])
    );
    assert_eq!(
        codes(free),
        ["few_angles", "no_interviews", "rhythm_behind"]
    );
    assert_eq!(free["evidence"]["angles"], json!(["voice"]));
    assert_eq!(free["stale"], false);

    // Pro: one distinctive option, drivers/Price, 10% against 47.5%.
    let pro = card(&p, "Pro");
    let d = pro["distinctive"].as_array().unwrap();
    assert_eq!(d.len(), 1);
    assert_eq!(
        (&d[0]["question"], &d[0]["option"]),
        (&json!("drivers"), &json!("Price"))
    );
    close(&d[0]["z"], -2.8708462588160724, 1e-9);
    close_p(&d[0]["p_adjusted"], 0.03684371163162588);
    assert_eq!(d[0]["direction"], "under");
    // The marked interview quote comes first; then Speed (2 texts) before Price (1): the
    // newest Speed text is the interview note, then the survey answer.
    let quotes: Vec<(&str, &str)> = pro["quotes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|q| (q["text"].as_str().unwrap(), q["source"].as_str().unwrap()))
        .collect();
    assert_eq!(
        quotes,
        [
            ("Honestly the price almost stopped me.", "interview"),
            (
                "When the team grows, I want exports to stay fast, so that I can keep reporting weekly.",
                "interview"
            ),
            ("Exports are slow when the team grows.", "survey"),
        ]
    );
    assert_eq!(pro["jtbd"][0]["when"], "the team grows");
    assert_eq!(pro["jtbd"][0]["want"], "exports to stay fast");
    assert_eq!(pro["jtbd"][0]["so"], "keep reporting weekly");
    assert_eq!(pro["jtbd"][0]["source"], "interview");
    assert_eq!(pro["evidence"]["interviews"], 1);
    assert_eq!(pro["evidence"]["notes"], 2);
    assert_eq!(
        pro["rhythm"],
        json!({"interviews_last_half_year": 1, "target": 2})
    );
    assert_eq!(codes(pro), ["few_angles", "rhythm_behind"]);

    // Team: interviews meet the rhythm, but nothing quotable.
    let team = card(&p, "Team");
    assert_eq!(team["distinctive"], json!([]));
    assert_eq!(codes(team), ["few_angles", "no_quotes"]);

    // Similar segments: only Pro and Team (4 tests: channel and pmf by chi-square, nps and
    // seats by Welch; the smallest Holm-adjusted p is 1.0). Free differs from both (2.6e-08,
    // 1.0e-08).
    assert_eq!(p["similar_segments"].as_array().unwrap().len(), 1);
    assert_eq!(p["similar_segments"][0]["segments"], json!(["Pro", "Team"]));
    assert_eq!(p["similar_segments"][0]["tests"], 4);
    close(&p["similar_segments"][0]["min_p_adjusted"], 1.0, 1e-9);

    // ICP on pmf: Free 15/20 has the highest Wilson lower bound (53.13 against 14.55, 18.12).
    let icp = &p["icp"];
    assert_eq!(icp["outcome"], "pmf");
    assert_eq!(icp["best"], "Free");
    close(&icp["segments"][0]["ci95"][0], 53.129912238125584, 1e-6);
    close(&icp["segments"][1]["ci95"][0], 14.547724486760421, 1e-6);
    close(&icp["segments"][2]["ci95"][1], 56.714572331476376, 1e-6);
    close(&icp["best_vs_rest"]["percent"], 75.0, 1e-9);
    close(&icp["best_vs_rest"]["others_percent"], 32.5, 1e-9);
    close_p(&icp["best_vs_rest"]["p_value"], 0.0018665615777654677);
    assert_eq!(icp["firmographics"][0]["question"], "seats");
    close(&icp["firmographics"][0]["mean"], 1.7, 1e-9);
    s.stop().await;
}

#[tokio::test]
async fn no_personal_data_and_no_suppressed_segment_in_any_output() {
    let s = server_with_dataset().await;
    let json_text = s
        .get_as("/api/reports/cards/profiles", RESEARCHER)
        .await
        .text()
        .await
        .unwrap();
    let markdown = s
        .get_as("/api/reports/cards/profiles.md", RESEARCHER)
        .await
        .text()
        .await
        .unwrap();
    let page = s
        .get_as("/r/cards/profiles", RESEARCHER)
        .await
        .text()
        .await
        .unwrap();
    let (status, sent) = call(
        &s.http,
        Method::POST,
        &s.url("/api/reports/cards/email"),
        Some(RESEARCHER),
        None,
    )
    .await;
    assert_eq!(status, 200, "{sent}");
    let outbox = s.data.path().join("outbox");
    let file = std::fs::read_dir(&outbox)
        .expect("outbox")
        .next()
        .expect("one message")
        .unwrap()
        .path();
    let raw = std::fs::read(file).unwrap();
    let message = mail_parser::MessageParser::default()
        .parse(&raw)
        .expect("a message");
    let text = message.body_text(0).expect("a text part").to_string();
    let html = message.body_html(0).expect("an HTML part").to_string();
    // The summary carries each card's headline: its name, n and first distinctive sentence.
    let cards = text
        .split("PROFILE CARDS")
        .nth(1)
        .and_then(|rest| rest.split("WHERE SEGMENTS DIFFER").next())
        .expect("a profile cards section");
    assert!(
        cards.contains("- Free (n = 20): 80% of Free chose"),
        "{cards}"
    );
    assert!(
        cards.contains("- Pro (n = 20): 10% of Pro chose"),
        "{cards}"
    );
    assert!(
        cards.contains("- Team (n = 20): Nothing sets this segment apart"),
        "{cards}"
    );
    assert!(html.contains("Profile cards"));
    // The summary's segment list names suppressed segments as such; a card never does.
    assert!(!cards.contains("Enterprise"));
    let email = format!("{text}{html}");
    assert!(
        !email.contains("@secret.example"),
        "personal data in the email"
    );
    assert!(
        !email.contains("ENTERPRISE-ONLY-TEXT"),
        "a suppressed text in the email"
    );
    for (what, text) in [
        ("JSON", &json_text),
        ("Markdown", &markdown),
        ("page", &page),
    ] {
        assert!(
            !text.contains("@secret.example"),
            "personal data in the {what}"
        );
        assert!(
            !text.contains("ENTERPRISE-ONLY-TEXT"),
            "a suppressed text in the {what}"
        );
        assert!(
            !text.contains("Enterprise"),
            "the suppressed segment in the {what}"
        );
    }
    // Writes to the suppressed segment's card are refused with a reason.
    let (status, body) = call(
        &s.http,
        Method::PUT,
        &s.url("/api/reports/cards/profiles/Enterprise"),
        Some(RESEARCHER),
        Some(json!({"label": "Big accounts"})),
    )
    .await;
    assert_eq!(status, 404);
    assert_eq!(body["error"], "suppressed");
    assert!(body["message"].as_str().unwrap().contains("Enterprise"));
    s.stop().await;
}
