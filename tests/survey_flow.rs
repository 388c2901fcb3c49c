//! The hosted survey's page flow tells the truth: a page whose answer can open another says
//! Next, never Submit, and "Page n of m" never grows as the respondent goes on.

mod common;

use std::path::PathBuf;

use common::survey::{main_button, page_count, page_of, state_of};
use common::{RESEARCHER, TestServer, parse_csv, repo_path};

fn flow_forms() -> PathBuf {
    repo_path("tests/fixtures/flow/forms")
}

async fn post(s: &TestServer, fields: &[(&str, &str)]) -> (u16, String) {
    let response = s
        .http
        .post(s.url("/s/late-branch"))
        .form(fields)
        .send()
        .await
        .unwrap();
    (response.status().as_u16(), response.text().await.unwrap())
}

/// Posts a page of late-branch with these answers and the action; returns the next page.
async fn answer(s: &TestServer, html: &str, action: &str, answers: &[(&str, &str)]) -> String {
    let (state, page) = (state_of(html), page_of(html));
    let mut fields = vec![
        ("_state", state.as_str()),
        ("_page", page.as_str()),
        ("_action", action),
    ];
    fields.extend_from_slice(answers);
    let (status, next) = post(s, &fields).await;
    assert_eq!(status, 200, "{next}");
    next
}

#[tokio::test]
async fn a_page_whose_answer_can_open_another_says_next_and_the_count_holds() {
    let s = TestServer::start(&flow_forms()).await;
    let first = s
        .http
        .get(s.url("/s/late-branch"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(page_count(&first), (1, 3));
    assert_eq!(main_button(&first), "Next");

    // The page with the question that opens the follow-up: not "Page 2 of 2, Submit".
    let second = answer(&s, &first, "next", &[("q.score", "9")]).await;
    assert_eq!(page_count(&second), (2, 3));
    assert_eq!(main_button(&second), "Next");

    let third = answer(&s, &second, "next", &[("q.more", "Yes")]).await;
    assert_eq!(page_count(&third), (3, 3));
    assert_eq!(main_button(&third), "Submit");

    // Back (with the follow-up answered) shows the page as it was, its count included.
    let again = answer(&s, &third, "back", &[("q.more_detail", "Fewer steps")]).await;
    assert_eq!(page_count(&again), (2, 3));
    assert_eq!(main_button(&again), "Next");
    assert!(again.contains("value=\"Yes\" checked"));

    // "No" opens nothing: Next then submits, and the survey is done.
    let done = answer(&s, &again, "next", &[("q.more", "No")]).await;
    assert!(done.contains("Thank you"), "{done}");
    let csv = s
        .get_as("/api/forms/late-branch/responses.csv", RESEARCHER)
        .await
        .bytes()
        .await
        .unwrap();
    let (_, rows) = parse_csv(&csv);
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0]["more"], "No");
    assert_eq!(
        rows[0]["more_detail"], "",
        "the answer it no longer shows is gone"
    );
    s.stop().await;
}
