//! Numbers stay right for every value a form accepts: a number question without bounds takes
//! ±1,000,000,000 with at most 6 decimals, where the fixed-point sums are exact; anything
//! else is a 422 naming the question; the CSV writes plain decimals.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::cast_possible_truncation
)]

mod common;

use common::{RESEARCHER, TestServer, parse_csv, repo_path};
use serde_json::json;

#[tokio::test]
async fn numbers_at_the_limits_are_exact_and_beyond_them_refused() {
    let fixture = repo_path("tests/fixtures/numbers");
    let s = TestServer::start_with(
        &fixture.join("forms"),
        &fixture.join("reports"),
        Default::default(),
    )
    .await;
    for bad in [
        json!(1e308),
        json!(1e10),
        json!(-1000000000.5),
        json!(0.0000001),
        json!(9007199254740993u64),
    ] {
        let r = s
            .submit(
                "numbers",
                json!({"answers": {"plan": "A", "amount": bad.clone()}}),
            )
            .await;
        assert_eq!(r.status(), 422, "{bad}");
        let body: serde_json::Value = r.json().await.unwrap();
        assert!(body["fields"]["amount"].is_string(), "{bad}: {body}");
    }
    let values = [
        json!(1e9),
        json!(-1e9),
        json!(999999999.999999),
        json!(0.000001),
        json!(123456789.123456),
    ];
    for v in &values {
        let r = s
            .submit("numbers", json!({"answers": {"plan": "A", "amount": v}}))
            .await;
        assert_eq!(r.status(), 201, "{v}");
    }
    let report: serde_json::Value = s
        .get_as("/api/reports/numbers", RESEARCHER)
        .await
        .json()
        .await
        .unwrap();
    let amount = report["questions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|q| q["id"] == "amount")
        .unwrap();
    // Exact rational arithmetic (Python's fractions.Fraction on the five values):
    // mean 224691357.8246912, sample sd 831085216.3549708.
    let mean = amount["overall"]["mean"].as_f64().unwrap();
    let sd = amount["overall"]["sd"].as_f64().unwrap();
    assert!(
        (mean - 224691357.8246912).abs() <= 224691357.8246912 * 1e-12,
        "{mean}"
    );
    assert!(
        (sd - 831085216.3549708).abs() <= 831085216.3549708 * 1e-12,
        "{sd}"
    );
    let csv = s
        .get_as("/api/forms/numbers/responses.csv", RESEARCHER)
        .await
        .bytes()
        .await
        .unwrap();
    let (_, rows) = parse_csv(&csv);
    let written: Vec<&str> = rows.iter().map(|r| r["amount"].as_str()).collect();
    assert_eq!(
        written,
        [
            "1000000000",
            "-1000000000",
            "999999999.999999",
            "0.000001",
            "123456789.123456"
        ]
    );
    s.stop().await;
}
