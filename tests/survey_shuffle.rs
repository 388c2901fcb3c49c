//! Shuffled options over the no-JavaScript page flow: orders differ between respondents,
//! stay put for one respondent across pages, Back and a reload (the same page posted again),
//! and the order shown is exported as `question_id[order]`.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::cast_possible_truncation
)]

mod common;

use std::collections::HashSet;

use common::survey::{page_of, state_of};
use common::{RESEARCHER, TestServer, parse_csv, repo_path};

const TOOLS: [&str; 5] = ["Slack", "Jira", "Notion", "Linear", "None of these"];
const ROWS: [&str; 4] = ["Speed", "Price", "Support", "Docs"];
const RANKED: [&str; 4] = ["P", "Q", "R", "S"];

/// The form positions of the elements whose ids start with `prefix` and a number, in page order.
fn order_of(html: &str, prefix: &str) -> Vec<usize> {
    let marker = format!("id=\"{prefix}");
    let mut out = Vec::new();
    let mut rest = html;
    while let Some(at) = rest.find(&marker) {
        rest = &rest[at + marker.len()..];
        let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
        if rest[digits.len()..].starts_with('"')
            && let Ok(n) = digits.parse::<usize>()
        {
            out.push(n);
        }
    }
    out
}

async fn get(s: &TestServer, path: &str) -> String {
    s.http
        .get(s.url(path))
        .send()
        .await
        .expect("GET")
        .text()
        .await
        .expect("page")
}

async fn post(s: &TestServer, fields: &[(&str, &str)]) -> String {
    let body: String = form_urlencoded::Serializer::new(String::new())
        .extend_pairs(fields)
        .finish();
    s.http
        .post(s.url("/s/shuffle"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(body)
        .send()
        .await
        .expect("POST")
        .text()
        .await
        .expect("page")
}

#[tokio::test]
async fn respondents_get_orders_of_their_own_with_kept_options_last() {
    let s = TestServer::start(&repo_path("tests/fixtures/extras/forms")).await;
    let mut orders = HashSet::new();
    let mut firsts = HashSet::new();
    for _ in 0..200 {
        let order = order_of(&get(&s, "/s/shuffle").await, "q-tools-");
        assert_eq!(order.len(), 5, "{order:?}");
        assert_eq!(order[4], 4, "None of these stays last: {order:?}");
        firsts.insert(order[0]);
        orders.insert(order);
    }
    // 24 orders of the four shuffled options; 200 respondents covering fewer than 12 of
    // them (about 24 expected) would take a broken shuffle, not chance (p < 1e-30).
    assert!(orders.len() >= 12, "only {} orders", orders.len());
    assert_eq!(
        firsts.len(),
        4,
        "each shuffled option comes first for someone"
    );
    s.stop().await;
}

#[tokio::test]
async fn one_respondent_keeps_their_order_across_pages_back_and_reload_and_it_is_exported() {
    let s = TestServer::start(&repo_path("tests/fixtures/extras/forms")).await;
    let first = get(&s, "/s/shuffle").await;
    let tools = order_of(&first, "q-tools-");
    // The "other" choice comes after every option, shuffled or kept.
    let other_at = first.find("id=\"q-tools-other\"").expect("other");
    let last_option = first
        .find(&format!("id=\"q-tools-{}\"", tools[4]))
        .expect("last");
    assert!(other_at > last_option);

    let page_one = [
        ("_state", state_of(&first)),
        ("_page", page_of(&first)),
        ("q.tools", "Jira".to_string()),
        ("_action", "next".to_string()),
    ];
    let fields: Vec<(&str, &str)> = page_one.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let second = post(&s, &fields).await;
    let rows = order_of(&second, "q-sat-row-");
    assert_eq!(rows.len(), 4);
    // A reload posts the same page again: the same order.
    let reloaded = post(&s, &fields).await;
    assert_eq!(order_of(&reloaded, "q-sat-row-"), rows);
    // Back shows page 1 in its first order.
    let back = post(
        &s,
        &[
            ("_state", &state_of(&second)),
            ("_page", &page_of(&second)),
            ("_action", "back"),
        ],
    )
    .await;
    assert_eq!(order_of(&back, "q-tools-"), tools);
    let second = post(
        &s,
        &[
            ("_state", &state_of(&back)),
            ("_page", &page_of(&back)),
            ("q.tools", "Jira"),
            ("_action", "next"),
        ],
    )
    .await;
    assert_eq!(order_of(&second, "q-sat-row-"), rows);
    let third = post(
        &s,
        &[
            ("_state", &state_of(&second)),
            ("_page", &page_of(&second)),
            ("q.sat.0", "High"),
            ("_action", "next"),
        ],
    )
    .await;
    let ranked = order_of(&third, "q-rank-rank-");
    assert_eq!(ranked.len(), 4);
    let thanks = post(
        &s,
        &[
            ("_state", &state_of(&third)),
            ("_page", &page_of(&third)),
            ("q.rank.2", "1"),
            ("q.rank.0", "2"),
            ("q.rank.1", "3"),
            ("q.rank.3", "4"),
            ("_action", "next"),
        ],
    )
    .await;
    assert!(thanks.contains("Thank you!"), "{thanks}");

    let csv = s
        .get_as("/api/forms/shuffle/responses.csv", RESEARCHER)
        .await
        .bytes()
        .await
        .expect("CSV");
    let (headers, rows_out) = parse_csv(&csv);
    let at = |name: &str| headers.iter().position(|h| h == name).unwrap_or(usize::MAX);
    assert_eq!(
        at("tools[order]"),
        at("tools[other]") + 1,
        "after the question's columns"
    );
    assert_eq!(at("sat[order]"), at("sat[Docs]") + 1);
    assert_eq!(at("rank[order]"), at("rank[S]") + 1);
    let row = &rows_out[0];
    let names = |order: &[usize], texts: &[&str]| {
        order
            .iter()
            .map(|&i| texts[i])
            .collect::<Vec<_>>()
            .join(";")
    };
    assert_eq!(row["tools[order]"], names(&tools, &TOOLS));
    assert_eq!(row["sat[order]"], names(&rows, &ROWS));
    assert_eq!(row["rank[order]"], names(&ranked, &RANKED));
    assert_eq!(
        row["rank[R]"], "1",
        "ranks read back by position, whatever the order shown"
    );
    assert_eq!(row["sat[Speed]"], "High");
    s.stop().await;
}

#[test]
fn check_refuses_bad_shuffles() {
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::write(
        dir.path().join("bad.toml"),
        r#"
id = "bad"
kind = "survey"
title = "Bad"

[[questions]]
id = "a"
type = "text"
text = "Text"
shuffle = true

[[questions]]
id = "b"
type = "multi"
text = "Order"
options = ["order", "x"]
shuffle = true
keep_last = ["y"]

[[questions]]
id = "c"
type = "single"
text = "Keep"
options = ["x"]
keep_last = ["x"]
"#,
    )
    .expect("write");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_fieldnotes"))
        .args(["check", "--forms"])
        .arg(dir.path())
        .output()
        .expect("run check");
    assert!(!out.status.success());
    let text =
        String::from_utf8_lossy(&out.stdout).to_string() + &String::from_utf8_lossy(&out.stderr);
    for expected in [
        "question 'a': shuffle applies to single, multi, ranking and matrix questions",
        "question 'b': keep_last 'y' is not one of its options",
        "question 'b': a shuffled question may not have an option or row named 'order'",
        "question 'c': keep_last only applies with shuffle = true",
    ] {
        assert!(text.contains(expected), "{expected:?} in {text}");
    }
}
