//! The hosted survey's page flow tells the truth: a page whose answer can open another says
//! Next, never Submit, and "Page n of m" never grows as the respondent goes on. In headless
//! Chromium with JavaScript off: a failed page puts focus on its error summary, Tab meets
//! Back before Next as they are drawn, Enter in a field goes on, and consent is asked first.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::cast_possible_truncation
)]

mod common;

use std::path::PathBuf;
use std::time::{Duration, Instant};

use common::chrome::ChromeDriver;
use common::survey::{main_button, page_count, page_of, state_of};
use common::{RESEARCHER, TestServer, parse_csv, repo_path};
use fantoccini::{Client, Locator};
use serde_json::Value;

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

const WAIT: Duration = Duration::from_secs(30);

/// Clicks a form button and waits until the browser has replaced the page.
async fn press(client: &Client, action: &str) {
    let old_page = client.find(Locator::Css("main")).await.expect("main");
    client
        .find(Locator::Css(&format!(
            "button[name='_action'][value='{action}']"
        )))
        .await
        .unwrap_or_else(|_| panic!("a {action} button"))
        .click()
        .await
        .expect("click");
    wait_for_new_page(client, old_page).await;
}

async fn wait_for_new_page(client: &Client, old_page: fantoccini::elements::Element) {
    let deadline = Instant::now() + WAIT;
    while old_page.text().await.is_ok() {
        assert!(Instant::now() < deadline, "the page did not change");
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    client
        .wait()
        .at_most(WAIT)
        .for_element(Locator::Css("main"))
        .await
        .expect("the next page");
}

async fn main_text(client: &Client) -> String {
    let main = client.find(Locator::Css("main")).await.expect("main");
    main.text().await.expect("text")
}

/// What has focus, as `tag#id` or `tag[name=value]`.
async fn focused(client: &Client) -> String {
    let described = client
        .execute(
            r##"const e = document.activeElement;
               if (!e || e === document.body) return "body";
               const tag = e.tagName.toLowerCase();
               if (e.id) return tag + "#" + e.id;
               return tag + "[" + (e.getAttribute("name") || "") + "=" + (e.value || "") + "]";"##,
            vec![],
        )
        .await
        .expect("the focused element");
    described.as_str().unwrap_or_default().to_string()
}

async fn press_tab(client: &Client) {
    client
        .active_element()
        .await
        .expect("an active element")
        .send_keys("\u{E004}")
        .await
        .expect("Tab");
}

async fn left_edge(client: &Client, css: &str) -> f64 {
    let rect = client
        .find(Locator::Css(css))
        .await
        .unwrap_or_else(|_| panic!("{css}"))
        .rectangle()
        .await
        .expect("a rectangle");
    rect.0
}

async fn click_label(client: &Client, input_id: &str) {
    client
        .find(Locator::Css(&format!("label[for='{input_id}']")))
        .await
        .unwrap_or_else(|_| panic!("a label for {input_id}"))
        .click()
        .await
        .expect("click");
}

/// Proves the browser runs no page scripts before a test relies on it.
async fn assert_scripts_are_off(client: &Client) {
    client
        .goto("data:text/html,<title>before</title><script>document.title='ran'</script>")
        .await
        .expect("a page with a script");
    assert_eq!(client.title().await.unwrap(), "before", "JavaScript is off");
}

#[tokio::test]
async fn focus_goes_to_the_error_summary_and_tab_meets_back_before_next() {
    let s = TestServer::start(&flow_forms()).await;
    let driver = ChromeDriver::start();
    let client = driver.browser_without_javascript().await;
    assert_scripts_are_off(&client).await;
    client
        .goto(&s.url("/s/late-branch"))
        .await
        .expect("the survey");
    press(&client, "next").await;
    assert!(main_text(&client).await.contains("Page 2 of 3"));

    // Next with the required question unanswered: the summary has focus and links to it.
    press(&client, "next").await;
    assert!(client.title().await.unwrap().starts_with("Error: "));
    assert_eq!(focused(&client).await, "div#error-summary");
    let link = client
        .find(Locator::Css("#error-summary a"))
        .await
        .expect("a link to the field");
    assert_eq!(link.attr("href").await.unwrap().as_deref(), Some("#q-more"));

    // Tab from the summary: every field, then Back, then Next, as they are drawn.
    let mut order = Vec::new();
    for _ in 0..20 {
        press_tab(&client).await;
        let now = focused(&client).await;
        order.push(now.clone());
        if now == "button[_action=next]" {
            break;
        }
    }
    let at = |name: &str| order.iter().position(|f| f == name);
    let (back, next) = (at("button[_action=back]"), at("button[_action=next]"));
    assert!(back.is_some() && next == back.map(|b| b + 1), "{order:?}");
    assert!(at("input#q-seats-input").is_some_and(|seats| seats < back.unwrap_or(0)));
    assert!(
        !order.iter().any(|f| f.starts_with("button[=")),
        "the hidden default button is never reached: {order:?}"
    );
    let back_x = left_edge(&client, "button[value='back']").await;
    let next_x = left_edge(&client, "button[value='next']").await;
    assert!(back_x < next_x, "Back is drawn first: {back_x} {next_x}");

    // Enter in a field goes on, not back.
    click_label(&client, "q-more-0").await;
    let old_page = client.find(Locator::Css("main")).await.expect("main");
    let seats = client.find(Locator::Id("q-seats-input")).await.unwrap();
    seats.send_keys("12\u{E007}").await.expect("type and Enter");
    wait_for_new_page(&client, old_page).await;
    let text = main_text(&client).await;
    assert!(text.contains("Page 3 of 3"), "{text}");
    assert!(text.contains("What would you change first?"));
    let _ = client.close().await;
    s.stop().await;
}

#[tokio::test]
async fn consent_is_asked_first_and_kept_with_the_response_in_chromium() {
    let s = TestServer::start(&flow_forms()).await;
    let driver = ChromeDriver::start();
    let client = driver.browser_without_javascript().await;
    assert_scripts_are_off(&client).await;
    client.goto(&s.url("/s/consent")).await.expect("the survey");
    let text = main_text(&client).await;
    assert!(text.contains("We keep your answers for a year"));
    let tick = client.find(Locator::Id("consent-input")).await.unwrap();
    assert!(!tick.is_selected().await.unwrap(), "unticked at first");

    click_label(&client, "q-role-1").await;
    press(&client, "next").await;
    assert_eq!(focused(&client).await, "div#error-summary");
    let summary = client.find(Locator::Id("error-summary")).await.unwrap();
    assert!(
        summary
            .text()
            .await
            .unwrap()
            .contains("Consent: tick the box")
    );
    let role = client.find(Locator::Id("q-role-1")).await.unwrap();
    assert!(role.is_selected().await.unwrap(), "the answer is kept");

    click_label(&client, "consent-input").await;
    press(&client, "next").await;
    assert!(main_text(&client).await.contains("Page 2 of 2"));
    client
        .find(Locator::Css("textarea[name='q.story']"))
        .await
        .unwrap()
        .send_keys("For a renewal.")
        .await
        .unwrap();
    press(&client, "next").await;
    assert!(main_text(&client).await.contains("Thank you"));
    let _ = client.close().await;

    let csv = s
        .get_as("/api/forms/consent/responses.csv", RESEARCHER)
        .await
        .bytes()
        .await
        .unwrap();
    let (_, rows) = parse_csv(&csv);
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0]["role"], "Engineer");
    let jsonl = s
        .get_as("/api/forms/consent/responses.jsonl", RESEARCHER)
        .await
        .bytes()
        .await
        .unwrap();
    let record: Value = serde_json::from_slice(&jsonl).unwrap();
    assert_eq!(record["consent_at"], rows[0]["consent_at"].as_str());
    assert!(!rows[0]["consent_at"].is_empty());
    s.stop().await;
}
