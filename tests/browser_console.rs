//! The interview console in real headless Chromium: an interviewer types notes with the
//! keyboard while an observer, in a browser of their own, watches them arrive; and notes typed
//! while the server is down are saved, in order, once it is back.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::cast_possible_truncation
)]

mod common;

use std::time::{Duration, Instant};

use common::chrome::{ChromeDriver, log_in};
use common::{INTERVIEWER, RESEARCHER, ServerProcess, TestServer, free_port, shipped_forms};
use fantoccini::key::Key;
use fantoccini::{Client, Locator};
use serde_json::{Value, json};

const WAIT: Duration = Duration::from_secs(20);

async fn count(browser: &Client, css: &str) -> usize {
    browser
        .find_all(Locator::Css(css))
        .await
        .expect("find")
        .len()
}

async fn wait_for_count(browser: &Client, css: &str, wanted: usize) {
    let deadline = Instant::now() + WAIT;
    loop {
        let found = count(browser, css).await;
        if found == wanted {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "expected {wanted} of {css}, found {found}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn wait_for_text(browser: &Client, css: &str, wanted: &str) {
    let deadline = Instant::now() + WAIT;
    loop {
        if let Ok(element) = browser.find(Locator::Css(css)).await
            && element.text().await.is_ok_and(|t| t == wanted)
        {
            return;
        }
        assert!(Instant::now() < deadline, "{css} never read '{wanted}'");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// textContent of each match: exactly what was stored, without what CSS adds around it.
async fn contents(browser: &Client, css: &str) -> Vec<String> {
    let mut out = Vec::new();
    for element in browser.find_all(Locator::Css(css)).await.expect("find") {
        out.push(
            element
                .prop("textContent")
                .await
                .expect("textContent")
                .unwrap_or_default(),
        );
    }
    out
}

async fn type_into(browser: &Client, css: &str, keys: &str) {
    browser
        .find(Locator::Css(css))
        .await
        .expect("the field")
        .send_keys(keys)
        .await
        .expect("typing");
}

async fn click(browser: &Client, css: &str) {
    browser
        .find(Locator::Css(css))
        .await
        .unwrap_or_else(|_| panic!("no {css}"))
        .click()
        .await
        .expect("click");
}

fn enter(text: &str) -> String {
    format!("{text}{}", Key::Enter)
}

#[tokio::test]
async fn an_interviewer_types_notes_and_an_observer_sees_them_live() {
    let server = TestServer::start(&shipped_forms()).await;
    let driver = ChromeDriver::start();
    let interviewer = driver.browser_sized(1280, 900).await;
    let observer = driver.browser_sized(1280, 900).await;

    // The interviewer logs in and starts an interview from the guide.
    log_in(&interviewer, &server.base, INTERVIEWER, "/i").await;
    interviewer
        .find(Locator::LinkText("JTBD switch interview"))
        .await
        .expect("the guide is offered")
        .click()
        .await
        .expect("open the start page");
    type_into(&interviewer, "#participant", "P07").await;
    click(&interviewer, "label[for='q-role-0']").await;
    click(&interviewer, "label[for='q-company_size-2']").await;
    click(&interviewer, "form button[type=submit]").await;
    interviewer
        .wait()
        .at_most(WAIT)
        .for_element(Locator::Css("#note-text"))
        .await
        .expect("the console opens");
    let url = interviewer.current_url().await.unwrap();
    let id = url.path().trim_start_matches("/i/").to_string();
    assert_eq!(id.len(), 36, "{url}");

    // The observer logs in, in a browser of their own, straight to the read-only console.
    log_in(
        &observer,
        &server.base,
        RESEARCHER,
        &format!("/i/{id}?observe=1"),
    )
    .await;
    assert_eq!(
        count(&observer, "#note-text").await,
        0,
        "observers cannot type"
    );
    assert_eq!(count(&observer, "#read-only").await, 1);
    wait_for_text(&interviewer, "#connection", "live").await;
    wait_for_text(&observer, "#connection", "live").await;

    // A plain note, in the first section.
    type_into(
        &interviewer,
        "#note-text",
        &enter("They kept a spreadsheet for years"),
    )
    .await;
    // Alt+Q marks the next note as a quote.
    type_into(&interviewer, "#note-text", &format!("{}q", Key::Alt)).await;
    assert_eq!(
        interviewer
            .find(Locator::Css("#quote"))
            .await
            .unwrap()
            .attr("aria-pressed")
            .await
            .unwrap()
            .as_deref(),
        Some("true")
    );
    type_into(
        &interviewer,
        "#note-text",
        &enter("I was scared we'd lose the history"),
    )
    .await;
    // Another section, and the push and anxiety forces with Alt+1 and Alt+3.
    click(&interviewer, "button[data-section='deciding']").await;
    type_into(&interviewer, "#note-text", &format!("{}1", Key::Alt)).await;
    type_into(&interviewer, "#note-text", &format!("{}3", Key::Alt)).await;
    type_into(
        &interviewer,
        "#note-text",
        &enter("The old tool broke every Monday"),
    )
    .await;
    // Markup is text, and Shift+Enter starts a new line instead of saving.
    type_into(
        &interviewer,
        "#note-text",
        "<img src=x onerror=alert(1)> & <b>first</b>",
    )
    .await;
    type_into(
        &interviewer,
        "#note-text",
        &format!("{}{}", Key::Shift, Key::Enter),
    )
    .await;
    type_into(&interviewer, "#note-text", &enter("second line")).await;

    // The marks applied to one note each.
    for mark in [
        "#quote",
        "button[data-force='push']",
        "button[data-force='anxiety']",
    ] {
        let pressed = interviewer
            .find(Locator::Css(mark))
            .await
            .unwrap()
            .attr("aria-pressed")
            .await
            .unwrap();
        assert_eq!(
            pressed.as_deref(),
            Some("false"),
            "{mark} is reset after a note"
        );
    }

    // The observer sees all four, in order, live.
    wait_for_count(&observer, "#notes li[data-state='saved']", 4).await;
    wait_for_count(&interviewer, "#notes li[data-state='saved']", 4).await;
    assert_eq!(
        count(&interviewer, "#notes li:not([data-state='saved'])").await,
        0
    );
    let texts = contents(&observer, "#notes li .text").await;
    assert_eq!(
        texts,
        [
            "They kept a spreadsheet for years",
            "I was scared we'd lose the history",
            "The old tool broke every Monday",
            "<img src=x onerror=alert(1)> & <b>first</b>\nsecond line",
        ]
    );
    assert_eq!(
        count(&observer, "#notes img, #notes b").await,
        0,
        "markup stays text"
    );
    assert_eq!(count(&observer, "#notes li.quote").await, 1);
    assert_eq!(
        contents(&observer, "#notes li:nth-child(3) .force").await,
        ["push", "anxiety"]
    );
    assert_eq!(
        contents(&observer, "#notes li:nth-child(3) .section").await,
        ["Deciding"]
    );
    assert_eq!(
        count(&observer, "#notes button.edit").await,
        0,
        "observers cannot edit"
    );

    // The researcher's CSV has every note with its section, kind and forces.
    let csv = server
        .get_as("/api/forms/jtbd-switch/notes.csv", RESEARCHER)
        .await
        .text()
        .await
        .unwrap();
    let mut reader = csv::Reader::from_reader(csv.as_bytes());
    let headers = reader.headers().unwrap().clone();
    let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    let column = |row: &csv::StringRecord, name: &str| {
        let index = headers.iter().position(|h| h == name).unwrap();
        row[index].to_string()
    };
    assert_eq!(rows.len(), 4, "{csv}");
    let cells: Vec<[String; 5]> = rows
        .iter()
        .map(|r| {
            [
                column(r, "participant"),
                column(r, "section"),
                column(r, "kind"),
                column(r, "forces"),
                column(r, "text"),
            ]
        })
        .collect();
    let expected = [
        [
            "P07",
            "first_thought",
            "note",
            "",
            "They kept a spreadsheet for years",
        ],
        [
            "P07",
            "first_thought",
            "quote",
            "",
            "I was scared we'd lose the history",
        ],
        [
            "P07",
            "deciding",
            "note",
            "push;anxiety",
            "The old tool broke every Monday",
        ],
        [
            "P07",
            "deciding",
            "note",
            "",
            "<img src=x onerror=alert(1)> & <b>first</b>\nsecond line",
        ],
    ];
    for (got, want) in cells.iter().zip(expected) {
        assert_eq!(got, &want.map(String::from));
    }
    assert_eq!(column(&rows[0], "role"), "Founder or owner");
    assert_eq!(column(&rows[0], "company_size"), "11–50");

    // Ending the interview reaches the observer, whose clock stops.
    let ended = server
        .http
        .post(server.url(&format!("/api/interviews/{id}/end")))
        .bearer_auth(INTERVIEWER)
        .send()
        .await
        .unwrap();
    assert_eq!(ended.status(), 200);
    wait_for_text(&observer, "#status", "Ended").await;
    wait_for_text(&interviewer, "#status", "Ended").await;
    interviewer.close().await.unwrap();
    observer.close().await.unwrap();
}

async fn start_interview(base: &str) -> String {
    let response = reqwest::Client::new()
        .post(format!("{base}/api/interviews"))
        .bearer_auth(INTERVIEWER)
        .json(&json!({"guide": "jtbd-switch", "participant": "P11",
                      "attributes": {"role": "Individual contributor", "company_size": "2–10"}}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 201);
    let body: Value = response.json().await.unwrap();
    body["id"].as_str().unwrap().to_string()
}

async fn stored_texts(base: &str, id: &str) -> Vec<(u64, String)> {
    let body: Value = reqwest::Client::new()
        .get(format!("{base}/api/interviews/{id}"))
        .bearer_auth(INTERVIEWER)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    body["notes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| {
            (
                n["seq"].as_u64().unwrap(),
                n["text"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

#[tokio::test]
async fn notes_typed_while_the_server_is_down_are_saved_in_order_once_it_is_back() {
    let data = tempfile::tempdir().unwrap();
    let port = free_port();
    let server = ServerProcess::start(data.path(), &shipped_forms(), port);
    let id = start_interview(&server.base).await;
    let driver = ChromeDriver::start();
    let browser = driver.browser_sized(1280, 900).await;
    log_in(&browser, &server.base, INTERVIEWER, &format!("/i/{id}")).await;
    wait_for_text(&browser, "#connection", "live").await;
    type_into(&browser, "#note-text", &enter("before the outage")).await;
    wait_for_count(&browser, "#notes li[data-state='saved']", 1).await;

    server.kill();
    type_into(&browser, "#note-text", &enter("during the outage, one")).await;
    type_into(&browser, "#note-text", &enter("during the outage, two")).await;
    wait_for_count(&browser, "#notes li[data-state='unsent']", 2).await;
    let queued = browser
        .execute(
            "return JSON.parse(localStorage.getItem(arguments[0]) || '[]').length",
            vec![json!(format!("fieldnotes.unsent.{id}"))],
        )
        .await
        .unwrap();
    assert_eq!(
        queued,
        json!(2),
        "the unsent notes are kept in localStorage"
    );
    assert_eq!(
        contents(&browser, "#notes li[data-state='unsent'] .text").await,
        ["during the outage, one", "during the outage, two"]
    );

    let server = ServerProcess::start(data.path(), &shipped_forms(), port);
    wait_for_count(&browser, "#notes li[data-state='saved']", 3).await;
    assert_eq!(
        count(&browser, "#notes li:not([data-state='saved'])").await,
        0
    );
    assert_eq!(
        stored_texts(&server.base, &id).await,
        [
            (1, "before the outage".to_string()),
            (2, "during the outage, one".to_string()),
            (3, "during the outage, two".to_string()),
        ]
    );
    let left = browser
        .execute(
            "return localStorage.getItem(arguments[0])",
            vec![json!(format!("fieldnotes.unsent.{id}"))],
        )
        .await
        .unwrap();
    assert_eq!(left, Value::Null, "nothing is left to send");

    // A page closed before it could save leaves its note in localStorage; the console sends
    // it when it opens again, and a second reload sends nothing more.
    browser
        .execute(
            "localStorage.setItem(arguments[0], JSON.stringify([\
               {client_id: 'left-by-a-closed-tab', text: 'from the closed tab', section: 'since',\
                kind: 'quote', forces: ['habit']}]))",
            vec![json!(format!("fieldnotes.unsent.{id}"))],
        )
        .await
        .unwrap();
    browser.refresh().await.unwrap();
    wait_for_count(&browser, "#notes li[data-state='saved']", 4).await;
    browser.refresh().await.unwrap();
    wait_for_count(&browser, "#notes li[data-state='saved']", 4).await;
    let texts = stored_texts(&server.base, &id).await;
    assert_eq!(texts.len(), 4, "{texts:?}");
    assert_eq!(texts[3], (4, "from the closed tab".to_string()));
    browser.close().await.unwrap();
}
