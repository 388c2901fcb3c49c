//! Reports segmented by a contact attribute (`segment_by = "contact.plan"`): responses
//! linked through their `customer_id` take their contact's plan, the figures match an
//! independent computation, a re-import moves a contact's responses, and erasing a contact
//! leaves reports, themes and cards as if its responses had never come.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::cast_possible_truncation
)]

mod common;

use std::collections::BTreeMap;

use common::{RESEARCHER, TestServer, repo_path};
use serde_json::{Value, json};
use statrs::distribution::{ContinuousCDF, StudentsT};

async fn server() -> TestServer {
    TestServer::start_with(
        &repo_path("tests/fixtures/contacts/forms"),
        &repo_path("tests/fixtures/contacts/reports"),
        Default::default(),
    )
    .await
}

async fn import(server: &TestServer, csv: &str) {
    server.import_csv("/api/contacts", csv).await
}

async fn report(server: &TestServer, id: &str) -> Value {
    server.ready_report(id).await
}

async fn get_text(server: &TestServer, path: &str) -> String {
    let response = server.get_as(path, RESEARCHER).await;
    assert_eq!(response.status(), 200, "{path}");
    response.text().await.unwrap()
}

struct Answer {
    customer: Option<String>,
    nps: u8,
    why: String,
}

fn answers() -> Vec<Answer> {
    let mut all = Vec::new();
    for i in 0..60u32 {
        all.push(Answer {
            customer: Some(format!("c{}", i % 12)),
            nps: ((i * 7) % 11) as u8,
            why: match i % 4 {
                0 => "The price is too high for us".into(),
                1 => "Support answered within minutes".into(),
                2 => "Costs went up and support was slow".into(),
                _ => "It does the job".into(),
            },
        });
    }
    // Unlinked, and linked to a key no contact has: both "No answer".
    for i in 0..4u32 {
        all.push(Answer {
            customer: (i % 2 == 0).then(|| "stranger".to_string()),
            nps: 10 - i as u8,
            why: "expensive".into(),
        });
    }
    all
}

async fn submit(server: &TestServer, answer: &Answer) {
    let mut hidden = json!({});
    if let Some(customer) = &answer.customer {
        hidden = json!({"customer_id": customer});
    }
    let response = server
        .submit(
            "feedback",
            json!({"answers": {"nps": answer.nps, "why": answer.why}, "hidden": hidden}),
        )
        .await;
    assert_eq!(response.status(), 201, "{}", response.text().await.unwrap());
}

/// Mean, sample sd, t-interval at 95% and NPS (% 9–10 minus % 0–6), written out here
/// from their textbook definitions rather than taken from the server's code.
fn expected_nps(values: &[f64]) -> Value {
    let n = values.len() as f64;
    let mean = values.iter().sum::<f64>() / n;
    let sd = (values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (n - 1.0)).sqrt();
    let t = StudentsT::new(0.0, 1.0, n - 1.0)
        .unwrap()
        .inverse_cdf(0.975);
    let half = t * sd / n.sqrt();
    let promoters = values.iter().filter(|v| **v >= 9.0).count() as f64;
    let detractors = values.iter().filter(|v| **v <= 6.0).count() as f64;
    json!({
        "n": values.len(),
        "mean": mean,
        "sd": sd,
        "lo": mean - half,
        "hi": mean + half,
        "nps": 100.0 * (promoters - detractors) / n,
    })
}

fn close(a: &Value, b: f64, what: &str) {
    let a = a.as_f64().unwrap_or_else(|| panic!("{what}: {a}"));
    assert!((a - b).abs() < 1e-6, "{what}: {a} vs {b}");
}

/// Checks the report's NPS figures and Price theme by plan against the answers.
fn check(report: &Value, plans: &BTreeMap<String, String>, answers: &[Answer]) {
    let plan_of = |a: &Answer| {
        a.customer
            .as_ref()
            .and_then(|c| plans.get(c))
            .cloned()
            .unwrap_or_else(|| "No answer".to_string())
    };
    let mut by_plan: BTreeMap<String, Vec<f64>> = BTreeMap::new();
    let mut price: BTreeMap<String, u64> = BTreeMap::new();
    for a in answers {
        by_plan.entry(plan_of(a)).or_default().push(a.nps as f64);
        let why = a.why.to_lowercase();
        if why.contains("price") || why.contains("expensive") || why.contains("cost") {
            *price.entry(plan_of(a)).or_default() += 1;
        }
    }
    // Named segments sorted by name, then No answer.
    let mut names: Vec<String> = by_plan
        .keys()
        .filter(|k| *k != "No answer")
        .cloned()
        .collect();
    names.push("No answer".into());
    let segments: Vec<&str> = report["segments"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["name"].as_str().unwrap())
        .collect();
    assert_eq!(segments, names, "{report}");
    assert_eq!(report["segment_by"], "contact.plan");
    let nps = report["questions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|q| q["id"] == "nps")
        .unwrap();
    for cell in nps["by_segment"].as_array().unwrap() {
        let segment = cell["segment"].as_str().unwrap();
        let expected = expected_nps(&by_plan[segment]);
        assert_eq!(cell["n"], expected["n"], "{segment}");
        close(&cell["mean"], expected["mean"].as_f64().unwrap(), segment);
        close(&cell["sd"], expected["sd"].as_f64().unwrap(), segment);
        close(&cell["ci95"][0], expected["lo"].as_f64().unwrap(), segment);
        close(&cell["ci95"][1], expected["hi"].as_f64().unwrap(), segment);
        close(&cell["nps"], expected["nps"].as_f64().unwrap(), segment);
    }
    let theme = report["themes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["name"] == "Price")
        .unwrap();
    let counted: BTreeMap<String, u64> = theme["by_segment"]
        .as_object()
        .unwrap()
        .iter()
        .map(|(k, v)| (k.clone(), v.as_u64().unwrap()))
        .filter(|(_, v)| *v > 0)
        .collect();
    assert_eq!(counted, price, "{theme}");
}

fn plans(csv: &str) -> BTreeMap<String, String> {
    csv.lines()
        .skip(1)
        .filter_map(|line| {
            let mut cells = line.split(',');
            let key = cells.next()?.to_string();
            let plan = cells.next()?.to_string();
            (!plan.is_empty()).then_some((key, plan))
        })
        .collect()
}

#[tokio::test]
async fn figures_by_contact_plan_match_an_independent_computation_and_follow_a_reimport() {
    let server = server().await;
    let mut crm = String::from("customer_id,plan,email\n");
    for i in 0..12 {
        // c11 has no plan: "No answer", like responses without a contact.
        let plan = if i == 11 {
            ""
        } else {
            ["Free", "Pro", "Team"][i % 3]
        };
        crm.push_str(&format!("c{i},{plan},c{i}@example.com\n"));
    }
    import(&server, &crm).await;
    let answers = answers();
    for answer in &answers {
        submit(&server, answer).await;
    }
    let before = report(&server, "by-plan").await;
    check(&before, &plans(&crm), &answers);
    // A report segmented by a question is untouched by contacts.
    let by_role = report(&server, "by-role").await;
    assert_eq!(by_role["responses"], 64);

    // c0 moves from Free to Enterprise, c1 loses its plan: their responses move with them.
    import(&server, "customer_id,plan\nc0,Enterprise\nc1,\n").await;
    let mut moved = plans(&crm);
    moved.insert("c0".into(), "Enterprise".into());
    moved.remove("c1");
    let after = report(&server, "by-plan").await;
    check(&after, &moved, &answers);
    assert_ne!(before["segments"], after["segments"]);

    // The themes CSV counts by the same segments; email (pii) names none of them.
    let themes = get_text(&server, "/api/reports/by-plan/themes.csv").await;
    assert!(themes.contains("Enterprise"), "{themes}");
    assert!(!themes.contains("@example.com"), "{themes}");

    // The responses CSV carries the linked contacts' attributes, pii only when asked for.
    let (header, rows) = common::parse_csv(
        get_text(&server, "/api/forms/feedback/responses.csv")
            .await
            .as_bytes(),
    );
    // After the hidden fields, before the answers.
    let at = header.iter().position(|h| h == "customer_id").unwrap();
    assert_eq!(header[at + 1], "contact.plan", "{header:?}");
    assert!(!header.iter().any(|h| h == "contact.email"), "{header:?}");
    for row in &rows {
        let expected = plans_now(&moved, row["customer_id"].as_str());
        assert_eq!(row["contact.plan"], expected, "{row:?}");
    }
    let (header, rows) = common::parse_csv(
        get_text(&server, "/api/forms/feedback/responses.csv?pii=1")
            .await
            .as_bytes(),
    );
    assert!(header.iter().any(|h| h == "contact.email"), "{header:?}");
    let c3 = rows.iter().find(|r| r["customer_id"] == "c3").unwrap();
    assert_eq!(c3["contact.email"], "c3@example.com");

    // Cards of contact segments rest on the internal angle as well as the voice, and the
    // few-angles warning says two of three.
    let profiles: Value = server
        .get_as("/api/reports/by-plan/profiles", RESEARCHER)
        .await
        .json()
        .await
        .unwrap();
    let cards = profiles["cards"].as_array().unwrap();
    assert!(!cards.is_empty());
    for card in cards {
        assert_ne!(card["segment"], "No answer");
        assert_eq!(
            card["evidence"]["angles"],
            json!(["voice", "internal"]),
            "{card}"
        );
        let few = card["warnings"]
            .as_array()
            .unwrap()
            .iter()
            .find(|w| w["code"] == "few_angles")
            .expect("still fewer than three angles");
        assert!(
            few["message"].as_str().unwrap().contains("2 of the three"),
            "{few}"
        );
    }
}

fn plans_now(plans: &BTreeMap<String, String>, customer: &str) -> String {
    plans.get(customer).cloned().unwrap_or_default()
}

/// The parts of a report, its themes CSV and its cards that the evidence decides.
async fn evidence(server: &TestServer) -> (Value, String, Value) {
    let report = report(server, "by-plan").await;
    let themes = get_text(server, "/api/reports/by-plan/themes.csv").await;
    let mut profiles: Value = server
        .get_as("/api/reports/by-plan/profiles", RESEARCHER)
        .await
        .json()
        .await
        .unwrap();
    // When the cards were drafted is the second of the request, not evidence.
    profiles.as_object_mut().unwrap().remove("drafted_at");
    (report, themes, profiles)
}

#[tokio::test]
async fn erasing_a_contact_leaves_reports_themes_and_cards_as_if_it_had_never_answered() {
    let server = server().await;
    import(
        &server,
        "customer_id,plan\nc0,Free\nc1,Pro\nc2,Free\nc3,Pro\nc4,Team\ngone,Pro\n",
    )
    .await;
    let answers = answers();
    for answer in answers
        .iter()
        .filter(|a| a.customer.as_deref() != Some("c5"))
    {
        submit(&server, answer).await;
    }
    let (report_before, themes_before, cards_before) = evidence(&server).await;
    for (nps, why) in [
        (0, "Far too expensive, the price doubled"),
        (2, "No help from support"),
    ] {
        let answer = Answer {
            customer: Some("gone".into()),
            nps,
            why: why.into(),
        };
        submit(&server, &answer).await;
    }
    let (report_with, _, cards_with) = evidence(&server).await;
    assert_ne!(report_with, report_before, "the contact's answers counted");
    assert_ne!(cards_with, cards_before);

    let erased = server
        .http
        .delete(server.url("/api/contacts/gone"))
        .bearer_auth(RESEARCHER)
        .send()
        .await
        .unwrap();
    assert_eq!(erased.status(), 204);
    let (report_after, themes_after, cards_after) = evidence(&server).await;
    assert_eq!(report_after, report_before);
    assert_eq!(themes_after, themes_before);
    assert_eq!(cards_after, cards_before);
    let listed: Value = server
        .get_as("/api/contacts", RESEARCHER)
        .await
        .json()
        .await
        .unwrap();
    assert!(
        !listed["contacts"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c["key"] == "gone"),
        "{listed}"
    );
    let csv = get_text(&server, "/api/forms/feedback/responses.csv").await;
    assert!(
        !csv.contains("doubled") && !csv.contains("No help"),
        "{csv}"
    );
}
