//! The responses CSV over HTTP, parsed back with the csv crate and compared field by field.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::cast_possible_truncation
)]

mod common;

use common::{RESEARCHER, TestServer, fixture_forms, parse_csv};
use serde_json::{Value, json};

async fn download(s: &TestServer, query: &str) -> (reqwest::header::HeaderMap, Vec<u8>) {
    let response = s
        .get_as(
            &format!("/api/forms/all-types/responses.csv{query}"),
            RESEARCHER,
        )
        .await;
    assert_eq!(response.status(), 200);
    let headers = response.headers().clone();
    (headers, response.bytes().await.unwrap().to_vec())
}

#[tokio::test]
async fn columns_and_cells_match_what_was_submitted() {
    let s = TestServer::start(&fixture_forms()).await;
    let first: Value = s
        .submit(
            "all-types",
            json!({
                "answers": {"team_size": "6-20", "tools": ["Slack", "Jira", "Trello"], "ease": 4,
                            "nps": 3, "why_low": "Too slow, \"really\"\nand costly", "seats": 12,
                            "jira_use": "Sprints", "comment": "Fine, thanks", "contact_email": "ana@example.com"},
                "hidden": {"source": "newsletter", "customer_id": "c-42"}
            }),
        )
        .await
        .json()
        .await
        .unwrap();
    s.submit(
        "all-types",
        json!({"answers": {"team_size": "21+", "nps": 10}}),
    )
    .await;

    let (headers, bytes) = download(&s, "").await;
    assert_eq!(headers["content-type"], "text/csv; charset=utf-8");
    assert!(
        headers["content-disposition"]
            .to_str()
            .unwrap()
            .contains("all-types-responses.csv")
    );
    assert!(!bytes.starts_with("\u{feff}".as_bytes()));
    let (columns, rows) = parse_csv(&bytes);
    assert_eq!(
        columns,
        vec![
            "response_id",
            "submitted_at",
            "form_revision",
            "source",
            "customer_id",
            "team_size",
            "tools[Slack]",
            "tools[Jira]",
            "tools[Notion]",
            "tools[other]",
            "ease",
            "nps",
            "why_low",
            "seats",
            "jira_use",
            "comment",
        ]
    );
    assert_eq!(rows.len(), 2);
    let row = &rows[0];
    assert_eq!(row["response_id"], first["id"].as_str().unwrap());
    assert!(chrono::DateTime::parse_from_rfc3339(&row["submitted_at"]).is_ok());
    assert!(row["submitted_at"].ends_with('Z'));
    assert_eq!(row["form_revision"].len(), 12);
    let expected = [
        ("source", "newsletter"),
        ("customer_id", "c-42"),
        ("team_size", "6-20"),
        ("tools[Slack]", "1"),
        ("tools[Jira]", "1"),
        ("tools[Notion]", "0"),
        ("tools[other]", "Trello"),
        ("ease", "4"),
        ("nps", "3"),
        ("why_low", "Too slow, \"really\"\nand costly"),
        ("seats", "12"),
        ("jira_use", "Sprints"),
        ("comment", "Fine, thanks"),
    ];
    for (column, value) in expected {
        assert_eq!(row[column], value, "column {column}");
    }
    // Unanswered questions are empty, not zero: a blank multi is not "chose nothing".
    let second = &rows[1];
    for column in [
        "source",
        "tools[Slack]",
        "tools[other]",
        "ease",
        "why_low",
        "comment",
    ] {
        assert_eq!(second[column], "", "column {column}");
    }
    assert_eq!(second["nps"], "10");
}

#[tokio::test]
async fn pii_only_on_request_and_bom_for_excel() {
    let s = TestServer::start(&fixture_forms()).await;
    s.submit(
        "all-types",
        json!({"answers": {"team_size": "1-5", "nps": 9, "contact_email": "ana@example.com"}}),
    )
    .await;
    let (_, plain) = download(&s, "").await;
    assert!(!String::from_utf8_lossy(&plain).contains("ana@example.com"));
    assert!(!String::from_utf8_lossy(&plain).contains("contact_email"));

    let (_, with_pii) = download(&s, "?pii=1").await;
    let (columns, rows) = parse_csv(&with_pii);
    assert_eq!(columns.last().unwrap(), "contact_email");
    assert_eq!(rows[0]["contact_email"], "ana@example.com");

    let (_, bom) = download(&s, "?bom=1").await;
    assert!(bom.starts_with(&[0xEF, 0xBB, 0xBF]));
    assert_eq!(&bom[3..], &plain[..]);
}

#[tokio::test]
async fn free_text_that_looks_like_a_formula_is_defused() {
    let s = TestServer::start(&fixture_forms()).await;
    let risky = [
        "=HYPERLINK(\"http://evil\")",
        "+1",
        "-2+3",
        "@SUM(A1)",
        "\tTabbed",
        "\rReturn",
    ];
    for text in risky {
        let response = s
            .submit(
                "all-types",
                json!({"answers": {"team_size": "1-5", "tools": [text], "comment": text},
                       "hidden": {"source": text}}),
            )
            .await;
        assert_eq!(response.status(), 201, "{text:?}");
    }
    // A negative number is a number, not text: it must stay as it is.
    let (_, bytes) = download(&s, "").await;
    let (_, rows) = parse_csv(&bytes);
    assert_eq!(rows.len(), risky.len());
    for (row, text) in rows.iter().zip(risky) {
        let guarded = format!("'{text}");
        assert_eq!(row["comment"], guarded);
        assert_eq!(row["source"], guarded);
        assert_eq!(row["tools[other]"], guarded);
        assert_eq!(row["team_size"], "1-5");
    }
}

#[tokio::test]
async fn many_rows_stream_in_order() {
    let s = TestServer::start(&fixture_forms()).await;
    let mut ids = Vec::new();
    for i in 0..300 {
        let body: Value = s
            .submit(
                "all-types",
                json!({"answers": {"team_size": "1-5", "seats": i + 1}}),
            )
            .await
            .json()
            .await
            .unwrap();
        ids.push(body["id"].as_str().unwrap().to_string());
    }
    let (_, bytes) = download(&s, "").await;
    let (_, rows) = parse_csv(&bytes);
    let exported: Vec<&str> = rows.iter().map(|r| r["response_id"].as_str()).collect();
    assert_eq!(exported, ids.iter().map(String::as_str).collect::<Vec<_>>());
    assert_eq!(rows[299]["seats"], "300");
}
