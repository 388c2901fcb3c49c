//! Hostile text from respondents and interviewers — markup, a right-to-left override, NUL
//! and other control characters, 4-byte emoji — is stored exactly, comes back exactly from
//! every export, runs nowhere, and is isolated wherever a staff page shows it, so it cannot
//! visually reorder the text around it. Checked in headless Chromium, and in the email.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::cast_possible_truncation
)]

mod common;

use std::time::Duration;

use common::chrome::{ChromeDriver, log_in};
use common::{RESEARCHER, TestServer, repo_path};
use fantoccini::{Client, Locator};
use serde_json::{Value, json};

/// Mentions "price" so the Price theme quotes it; the image would set `window.pwned` if it
/// ever became markup.
const HOSTILE: &str = "The price \u{202E}is too high\u{202C} <img src=x id=pwned onerror=\"window.pwned=1\"> <b>bold</b> \u{0000}\u{0007} 🙂👩🏽‍💻 &amp; done";
const PARTICIPANT: &str = "P\u{202E}<i>7</i>🙂";

async fn server_with_hostile_text() -> (TestServer, String) {
    let s = TestServer::start_with(
        &repo_path("forms"),
        &repo_path("reports"),
        Default::default(),
    )
    .await;
    for i in 0..6 {
        let r = s
            .submit(
                "customer-profile",
                json!({"answers": {
                    "company_size": "Just me", "role": "Founder or owner", "nps": i,
                    "pmf": "Very disappointed",
                    "biggest_challenge": HOSTILE,
                }}),
            )
            .await;
        assert_eq!(r.status(), 201, "{}", r.text().await.unwrap_or_default());
    }
    let interview = common::interviews::start_jtbd(&s.http, &s.base, PARTICIPANT).await;
    common::interviews::add_note(
        &s.http,
        &s.base,
        &interview,
        json!({"text": HOSTILE, "kind": "quote"}),
    )
    .await;
    (s, interview)
}

#[tokio::test]
async fn hostile_text_is_stored_and_exported_exactly() {
    let (s, interview) = server_with_hostile_text().await;
    let jsonl = s
        .get_as("/api/forms/customer-profile/responses.jsonl", RESEARCHER)
        .await
        .text()
        .await
        .expect("JSON Lines");
    let lines: Vec<Value> = jsonl
        .lines()
        .map(|l| serde_json::from_str(l).expect("a JSON line"))
        .collect();
    assert_eq!(lines.len(), 6);
    for line in &lines {
        assert_eq!(line["answers"]["biggest_challenge"], json!(HOSTILE));
    }
    let csv = s
        .get_as("/api/forms/customer-profile/responses.csv", RESEARCHER)
        .await
        .bytes()
        .await
        .expect("CSV");
    let (_, rows) = common::parse_csv(&csv);
    for row in &rows {
        assert_eq!(
            row["biggest_challenge"], HOSTILE,
            "CSV keeps the text exactly"
        );
    }
    let xlsx = s
        .get_as("/api/forms/customer-profile/responses.xlsx", RESEARCHER)
        .await
        .bytes()
        .await
        .expect("XLSX");
    let sheet = common::xlsx::rows(&xlsx, "responses");
    let column = sheet[0]
        .iter()
        .position(|c| common::xlsx::text(c) == "biggest_challenge")
        .expect("the column");
    for row in &sheet[1..] {
        assert_eq!(
            common::xlsx::text(&row[column]),
            HOSTILE,
            "XLSX keeps it exactly"
        );
    }
    assert!(
        common::xlsx::formulas(&xlsx, "responses").is_empty(),
        "no formulas"
    );
    let sav = s
        .get_as("/api/forms/customer-profile/responses.sav", RESEARCHER)
        .await
        .bytes()
        .await
        .expect("SAV");
    let file = s.data.path().join("hostile.sav");
    std::fs::write(&file, &sav).expect("written");
    let read = std::process::Command::new("python3")
        .arg("-c")
        .arg(
            "import json, sys, pyreadstat\n\
             df, meta = pyreadstat.read_sav(sys.argv[1])\n\
             print(json.dumps(list(df['biggest_challenge']), ensure_ascii=False))",
        )
        .arg(&file)
        .output()
        .expect("python3 with pyreadstat");
    assert!(
        read.status.success(),
        "{}",
        String::from_utf8_lossy(&read.stderr)
    );
    let texts: Vec<String> = serde_json::from_slice(&read.stdout).expect("JSON");
    // The writer writes every byte; ReadStat (like SPSS's own string handling) takes a NUL
    // for the padding of a fixed-width value and drops it. Everything else reads back exactly.
    let readable = HOSTILE.replace('\0', "");
    assert_eq!(
        texts,
        vec![readable; 6],
        "pyreadstat reads the rest exactly"
    );
    let stored = common::interviews::get_interview(&s.http, &s.base, &interview).await;
    assert_eq!(stored["participant"], json!(PARTICIPANT));
    assert_eq!(stored["notes"][0]["text"], json!(HOSTILE));
    let notes = s
        .get_as("/api/forms/jtbd-switch/notes.csv", RESEARCHER)
        .await
        .bytes()
        .await
        .expect("notes CSV");
    let (_, rows) = common::parse_csv(&notes);
    assert!(
        rows.iter().any(|r| r.values().any(|v| v == HOSTILE)),
        "the notes CSV keeps the note exactly: {rows:?}"
    );
    s.stop().await;
}

/// Where the page shows text with the override: (text nodes found, those not isolated).
const ISOLATION: &str = r#"
const isolating = ['isolate', 'isolate-override', 'plaintext'];
const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
let found = 0;
const loose = [];
while (walker.nextNode()) {
  const node = walker.currentNode;
  if (!node.nodeValue.includes('\u202E')) continue;
  const parent = node.parentElement;
  // An SVG <title> is a tooltip, not text drawn in the page.
  if (parent.closest('title')) continue;
  found += 1;
  if (!isolating.includes(getComputedStyle(parent).unicodeBidi)) {
    loose.push(parent.outerHTML.slice(0, 160));
  }
}
return {found, loose, pwned: window.pwned === 1,
  injected: document.getElementById('pwned') !== null
    || [...document.querySelectorAll('b, i')].some(e => e.textContent === 'bold' || e.textContent === '7')};
"#;

async fn check_page(browser: &Client, base: &str, path: &str, failures: &mut Vec<String>) {
    browser.goto(&format!("{base}{path}")).await.expect("page");
    browser
        .wait()
        .at_most(Duration::from_secs(30))
        .for_element(Locator::Css("main"))
        .await
        .expect("the page's main element");
    // The console draws its notes from the API after load.
    if path.starts_with("/i/") {
        let _ = browser
            .wait()
            .at_most(Duration::from_secs(10))
            .for_element(Locator::Css("li.note p.text"))
            .await;
    }
    let result = browser
        .execute(ISOLATION, vec![])
        .await
        .expect("the check runs");
    if result["found"].as_u64().unwrap_or(0) == 0 {
        failures.push(format!("{path}: the hostile text is not on the page"));
    }
    for loose in result["loose"].as_array().into_iter().flatten() {
        failures.push(format!("{path}: not isolated: {loose}"));
    }
    if result["pwned"] == json!(true) || result["injected"] == json!(true) {
        failures.push(format!("{path}: the text became markup"));
    }
}

#[tokio::test]
async fn staff_pages_show_hostile_text_inert_and_isolated() {
    let (s, interview) = server_with_hostile_text().await;
    let driver = ChromeDriver::start();
    let browser = driver.browser_sized(1280, 1000).await;
    log_in(&browser, &s.base, RESEARCHER, "/").await;
    let mut failures = Vec::new();
    for path in [
        "/r/customer-profile",
        "/r/customer-profile/themes/Price",
        "/r/customer-profile/profiles",
        "/i",
        &format!("/i/{interview}"),
    ] {
        check_page(&browser, &s.base, path, &mut failures).await;
    }
    let _ = browser.close().await;
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    s.stop().await;
}

#[tokio::test]
async fn the_email_summary_shows_hostile_text_escaped_and_isolated() {
    let (s, _) = server_with_hostile_text().await;
    let sent = s
        .http
        .post(s.url("/api/reports/customer-profile/email"))
        .bearer_auth(RESEARCHER)
        .send()
        .await
        .expect("request");
    assert_eq!(
        sent.status(),
        200,
        "{}",
        sent.text().await.unwrap_or_default()
    );
    let outbox = s.data.path().join("outbox");
    let file = std::fs::read_dir(&outbox)
        .expect("the outbox")
        .filter_map(Result::ok)
        .map(|e| e.path())
        .find(|p| p.extension().is_some_and(|e| e == "eml"))
        .expect("one .eml");
    let raw = std::fs::read(file).expect("the message");
    let message = mail_parser::MessageParser::default()
        .parse(&raw)
        .expect("the message parses");
    let html = message.body_html(0).expect("an HTML part").into_owned();
    assert!(!html.contains("<img src=x"), "markup stays text");
    assert!(
        html.contains("&lt;img src=x") || html.contains("&#60;img src=x"),
        "escaped: {html}"
    );
    // The quote carries its override inside an element that isolates it.
    let at = html.find('\u{202E}').expect("the quote is in the summary");
    let before = &html[..at];
    let opened = before.rfind('<').map(|i| &before[i..]).unwrap_or_default();
    assert!(
        opened.contains("dir=\"auto\"") || opened.starts_with("<bdi"),
        "the element around the quote isolates it: {opened}"
    );
    s.stop().await;
}
