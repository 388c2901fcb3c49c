//! The shipped `customer-profile` survey completed with the keyboard alone, in headless
//! Chromium with JavaScript off: real key events through WebDriver's actions (Tab, Shift+Tab,
//! Space, Enter and the arrow keys, nothing else, and no clicks), an error met and followed
//! from its summary to its field, Back taken once, then the stored response read back. The page is
//! read (what has focus, what the page says) with WebDriver's own scripts; nothing is clicked or
//! changed by script.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::cast_possible_truncation
)]

mod common;

use std::time::{Duration, Instant};

use common::chrome::ChromeDriver;
use common::{RESEARCHER, TestServer, parse_csv, shipped_forms};
use fantoccini::Client;
use fantoccini::actions::{InputSource, KeyAction, KeyActions};
use serde_json::Value;

const TAB: char = '\u{E004}';
const ENTER: char = '\u{E007}';
const SHIFT: char = '\u{E008}';
const SPACE: char = '\u{E00D}';
const RIGHT: char = '\u{E014}';
const DOWN: char = '\u{E015}';

/// Presses keys one after the other, each down then up; `SHIFT` is held for the key after it.
async fn keys(client: &Client, pressed: &[char]) {
    let mut actions = KeyActions::new("keyboard".into());
    let mut shift = false;
    for &key in pressed {
        if key == SHIFT {
            shift = true;
            actions = actions.then(KeyAction::Down { value: SHIFT });
            continue;
        }
        actions = actions
            .then(KeyAction::Down { value: key })
            .then(KeyAction::Up { value: key });
        if shift {
            actions = actions.then(KeyAction::Up { value: SHIFT });
            shift = false;
        }
    }
    client.perform_actions(actions).await.expect("key presses");
}

/// What has focus: its tag, type, name, value, id, and whether it (or its radio group) is
/// checked.
async fn focused(client: &Client) -> Value {
    client
        .execute(
            r#"const e = document.activeElement;
               const group = e && e.name ? [...document.getElementsByName(e.name)] : [];
               return e ? {tag: e.tagName.toLowerCase(), type: e.type || "", name: e.name || "",
                 value: e.value || "", id: e.id || "", checked: !!e.checked,
                 group_checked: group.some(g => g.checked)} : {};"#,
            vec![],
        )
        .await
        .expect("the focused element")
}

async fn page_text(client: &Client) -> String {
    client
        .execute("return document.querySelector('main').innerText;", vec![])
        .await
        .expect("the page's text")
        .as_str()
        .unwrap_or_default()
        .to_string()
}

/// Waits until the page's progress line (or the thank-you) is no longer `before`.
async fn wait_for_page_after(client: &Client, before: &str) -> String {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let text = page_text(client).await;
        if !text.is_empty() && text != before {
            return text;
        }
        assert!(
            Instant::now() < deadline,
            "Enter did not lead to another page"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Answers the focused question the way a keyboard user would, if it is one the test answers:
/// a radio group not yet answered gets Space on its first option then arrows to the one
/// wanted; the first box of a checkbox group gets Space.
async fn answer(client: &Client, here: &Value, answered: &mut Vec<String>) {
    let name = here["name"].as_str().unwrap_or_default().to_string();
    if answered.contains(&name) || !name.starts_with("q.") {
        return;
    }
    match here["type"].as_str() {
        Some("radio") if !here["group_checked"].as_bool().unwrap_or(false) => {
            let arrows = match name.as_str() {
                // 9: a promoter, so that no follow-up for detractors opens.
                "q.nps" => vec![RIGHT; 9],
                // The second option, by the other arrow.
                _ => vec![DOWN],
            };
            keys(client, &[SPACE]).await;
            keys(client, &arrows).await;
            answered.push(name);
        }
        Some("checkbox") => {
            keys(client, &[SPACE]).await;
            answered.push(name);
        }
        _ => {}
    }
}

/// Tabs until Next has focus, answering nothing.
async fn tab_to_next(client: &Client) {
    for _ in 0..120 {
        keys(client, &[TAB]).await;
        let here = focused(client).await;
        if here["tag"] == "button" && here["value"] == "next" {
            return;
        }
    }
    panic!("Tab never reached Next");
}

#[tokio::test]
async fn the_shipped_survey_can_be_completed_with_the_keyboard_alone() {
    let s = TestServer::start(&shipped_forms()).await;
    let driver = ChromeDriver::start();
    let client = driver.browser_without_javascript().await;
    client
        .goto(&s.url("/s/customer-profile"))
        .await
        .expect("the survey");
    let mut answered: Vec<String> = Vec::new();

    // Next with nothing answered: the error summary takes focus, and its first link leads to
    // the first question it names.
    let first = page_text(&client).await;
    tab_to_next(&client).await;
    keys(&client, &[ENTER]).await;
    let errors = wait_for_page_after(&client, &first).await;
    assert!(errors.contains("Please check"), "{errors}");
    assert_eq!(focused(&client).await["id"], "error-summary");
    keys(&client, &[TAB]).await;
    let link = focused(&client).await;
    assert_eq!(
        link["tag"], "a",
        "Tab from the summary meets its first link"
    );
    keys(&client, &[ENTER, TAB]).await;
    let field = focused(&client).await;
    assert_eq!(
        field["name"], "q.company_size",
        "the link leads to the field"
    );
    answer(&client, &field, &mut answered).await;

    let mut went_back = false;
    let mut pages = 0;
    'pages: loop {
        pages += 1;
        assert!(pages < 20, "the survey never ended");
        let text = page_text(&client).await;
        assert!(
            pages == 1 || !text.contains("Please check"),
            "an error page: {text}"
        );
        if text.contains("Thank you") {
            break;
        }
        assert!(text.contains("Page "), "a survey page: {text}");
        for _ in 0..120 {
            keys(&client, &[TAB]).await;
            let here = focused(&client).await;
            answer(&client, &here, &mut answered).await;
            let is_next = here["tag"] == "button" && here["value"] == "next";
            if !is_next {
                continue;
            }
            // Once, from the second page: Shift+Tab to Back, Enter, and on again from there.
            if !went_back && text.contains("Back") {
                went_back = true;
                keys(&client, &[SHIFT, TAB]).await;
                let back = focused(&client).await;
                assert_eq!(back["value"], "back", "Shift+Tab from Next meets Back");
                keys(&client, &[ENTER]).await;
                let earlier = wait_for_page_after(&client, &text).await;
                assert!(earlier.contains("Page 1 of"), "{earlier}");
                continue 'pages;
            }
            keys(&client, &[ENTER]).await;
            wait_for_page_after(&client, &text).await;
            continue 'pages;
        }
        panic!("Tab never reached Next on: {text}");
    }
    assert!(went_back, "Back was pressed on the way");
    let _ = client.close().await;

    let csv = s
        .get_as("/api/forms/customer-profile/responses.csv", RESEARCHER)
        .await
        .bytes()
        .await
        .unwrap();
    let (headers, rows) = parse_csv(&csv);
    assert_eq!(rows.len(), 1, "one response");
    let row = &rows[0];
    let form = fieldnotes::form::load_dir(&shipped_forms()).unwrap();
    let survey = form.get("customer-profile").unwrap();
    for id in ["company_size", "role"] {
        let q = survey.question(id).unwrap();
        assert_eq!(row[id], q.options[1], "{id}: the second option, by arrow");
    }
    assert_eq!(row["nps"], "9");
    let ticked: Vec<&String> = headers
        .iter()
        .filter(|h| h.contains('[') && row[*h] == "1")
        .collect();
    assert!(!ticked.is_empty(), "a box ticked with Space: {row:?}");
    s.stop().await;
}
