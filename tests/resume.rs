//! Save and resume: every page a respondent sends is kept durably as a partial response; "Save
//! and continue later" gives a link (and mails it); resuming in another browser restores every
//! answer and the page, and the response then equals one given in one go. Partials stay out of
//! reports, and out of exports unless `?partial=1` asks for them with a `completed` column.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::cast_possible_truncation
)]

mod common;

use std::path::PathBuf;
use std::time::Duration;

use common::chrome::{ChromeDriver, press};
use common::smtp::SmtpSink;
use common::survey::{get, send_page, token_of, unescape};
use common::{RESEARCHER, TestServer, parse_csv, repo_path};
use fantoccini::{Client, Locator};
use fieldnotes::config::{MailConfig, SmtpConfig};
use serde_json::Value;

fn forms() -> PathBuf {
    repo_path("tests/fixtures/resume/forms")
}

fn reports() -> PathBuf {
    repo_path("tests/fixtures/resume/reports")
}

const PAGE_1: &[(&str, &str)] = &[
    ("_consent", "yes"),
    ("q.size", "Small"),
    ("q.tools", "Calendar"),
    ("q.tools", "Spreadsheet"),
    ("q.nps", "8"),
];
const PAGE_2: &[(&str, &str)] = &[
    (
        "q.story",
        "A calm week: three hours of planning, most of it on Monday.",
    ),
    ("q.hours", "3"),
    ("q.mood", "Tired"),
];
const PAGE_3: &[(&str, &str)] = &[
    ("q.wish", "Fewer meetings"),
    ("q.region", "Europe"),
    ("q.remote", "Sometimes"),
];

/// Sends a page of the `resume` survey.
async fn send(
    http: &reqwest::Client,
    base: &str,
    html: &str,
    action: &str,
    answers: &[(&str, &str)],
) -> (u16, String) {
    send_page(http, base, "resume", html, action, answers)
        .await
        .expect("POST")
}

/// The whole survey in one go, from the link with `?source=newsletter`.
async fn one_go(http: &reqwest::Client, base: &str) {
    let (_, first) = get(http, &format!("{base}/s/resume?source=newsletter")).await;
    let (_, second) = send(http, base, &first, "next", PAGE_1).await;
    let (_, third) = send(http, base, &second, "next", PAGE_2).await;
    let (status, done) = send(http, base, &third, "next", PAGE_3).await;
    assert_eq!(status, 200);
    assert!(done.contains("Thank you"), "{done}");
}

async fn export(http: &reqwest::Client, base: &str, path: &str) -> Vec<u8> {
    let response = http
        .get(format!("{base}{path}"))
        .bearer_auth(RESEARCHER)
        .send()
        .await
        .expect("export");
    assert_eq!(response.status(), 200, "{path}");
    response.bytes().await.expect("export body").to_vec()
}

async fn records(http: &reqwest::Client, base: &str, query: &str) -> Vec<Value> {
    let bytes = export(
        http,
        base,
        &format!("/api/forms/resume/responses.jsonl{query}"),
    )
    .await;
    String::from_utf8(bytes)
        .expect("UTF-8")
        .lines()
        .map(|line| serde_json::from_str(line).expect("a JSON record"))
        .collect()
}

/// What a response says, without what differs between any two responses (id and times).
fn content(record: &Value) -> Value {
    let mut record = record.clone();
    let object = record.as_object_mut().expect("an object");
    object.remove("id");
    object.remove("submitted_at");
    let consent = object.remove("consent_at");
    object.insert(
        "consented".into(),
        Value::Bool(consent.is_some_and(|c| c.is_string())),
    );
    record
}

/// The href of the page's resume link.
fn resume_path(html: &str) -> String {
    let marker = "id=\"resume-link\"";
    let at = html.find(marker).expect("a resume link");
    let start = html[..at].rfind("href=\"").expect("its href") + 6;
    let end = start + html[start..].find('"').expect("its end");
    unescape(&html[start..end])
}

async fn click(client: &Client, css: &str) {
    client
        .find(Locator::Css(css))
        .await
        .unwrap_or_else(|_| panic!("{css}"))
        .click()
        .await
        .unwrap_or_else(|_| panic!("click {css}"));
}

async fn typed(client: &Client, id: &str, text: &str) {
    client
        .find(Locator::Id(id))
        .await
        .unwrap_or_else(|_| panic!("#{id}"))
        .send_keys(text)
        .await
        .expect("type");
}

async fn checked(client: &Client, id: &str) -> bool {
    client
        .find(Locator::Id(id))
        .await
        .unwrap_or_else(|_| panic!("#{id}"))
        .is_selected()
        .await
        .expect("selected")
}

async fn value(client: &Client, id: &str) -> String {
    client
        .find(Locator::Id(id))
        .await
        .unwrap_or_else(|_| panic!("#{id}"))
        .prop("value")
        .await
        .expect("value")
        .unwrap_or_default()
}

#[tokio::test]
async fn leaving_after_page_two_and_resuming_in_another_browser_gives_the_same_response() {
    let s = TestServer::start_with(&forms(), &reports(), MailConfig::default()).await;
    let driver = ChromeDriver::start();
    let first = driver.browser_without_javascript().await;
    first
        .goto(&s.url("/s/resume?source=newsletter"))
        .await
        .expect("the survey");
    let text = first.find(Locator::Css("main")).await.unwrap();
    assert!(
        text.text()
            .await
            .unwrap()
            .contains("Your answers are kept as you go"),
        "the first page says that answers are kept"
    );
    click(&first, "label[for='consent-input']").await;
    click(&first, "label[for='q-size-1']").await;
    click(&first, "label[for='q-tools-1']").await;
    click(&first, "label[for='q-tools-2']").await;
    click(&first, "label[for='q-nps-8']").await;
    press(&first, "next").await;
    typed(&first, "q-story-input", PAGE_2[0].1).await;
    typed(&first, "q-hours-input", "3").await;
    click(&first, "label[for='q-mood-1']").await;
    press(&first, "next").await;
    // On page 3, the respondent leaves with the link.
    press(&first, "save").await;
    let link = first
        .find(Locator::Id("resume-link"))
        .await
        .expect("the resume link")
        .attr("href")
        .await
        .unwrap()
        .expect("an href");
    assert!(link.starts_with("/s/resume/resume/") || link.starts_with("/s/resume/"));
    let token = link.rsplit('/').next().unwrap();
    assert!(token.len() >= 32, "at least 128 bits: {token}");
    let _ = first.close().await;

    // Another browser, another profile: nothing but the link.
    let second = driver.browser_without_javascript().await;
    second.goto(&s.url(&link)).await.expect("the resume link");
    let main = second.find(Locator::Css("main")).await.unwrap();
    assert!(
        main.text().await.unwrap().contains("Page 3 of 3"),
        "the page it was left on"
    );
    press(&second, "back").await;
    assert_eq!(value(&second, "q-story-input").await, PAGE_2[0].1);
    assert_eq!(value(&second, "q-hours-input").await, "3");
    assert!(checked(&second, "q-mood-1").await);
    press(&second, "back").await;
    assert!(checked(&second, "consent-input").await, "consent restored");
    assert!(checked(&second, "q-size-1").await);
    assert!(checked(&second, "q-tools-1").await && checked(&second, "q-tools-2").await);
    assert!(!checked(&second, "q-tools-0").await);
    assert!(checked(&second, "q-nps-8").await);
    press(&second, "next").await;
    press(&second, "next").await;
    typed(&second, "q-wish-input", "Fewer meetings").await;
    click(&second, "label[for='q-region-0']").await;
    click(&second, "label[for='q-remote-2']").await;
    press(&second, "next").await;
    let main = second.find(Locator::Css("main")).await.unwrap();
    assert!(main.text().await.unwrap().contains("Thank you"));
    let _ = second.close().await;

    one_go(&s.http, &s.base).await;
    let got = records(&s.http, &s.base, "").await;
    assert_eq!(got.len(), 2, "{got:?}");
    assert_eq!(content(&got[0]), content(&got[1]));
    assert_eq!(got[0]["hidden"]["source"], "newsletter");
    let csv = export(&s.http, &s.base, "/api/forms/resume/responses.csv").await;
    let (_, rows) = parse_csv(&csv);
    let strip = |row: &std::collections::HashMap<String, String>| {
        let mut row = row.clone();
        for varying in ["response_id", "submitted_at", "consent_at"] {
            row.remove(varying);
        }
        row
    };
    assert_eq!(strip(&rows[0]), strip(&rows[1]));
    // Finished, the partial is gone: the link says so, and no unfinished row is left.
    let (status, again) = get(&s.http, &s.url(&link)).await;
    assert_eq!(status, 200);
    assert!(again.contains("already sent"), "{again}");
    let with_partials = records(&s.http, &s.base, "?partial=1").await;
    assert_eq!(with_partials.len(), 2);
    assert!(with_partials.iter().all(|r| r["completed"] == 1));
    s.stop().await;
}

#[tokio::test]
async fn the_resume_link_is_mailed_to_the_address_typed_on_its_page() {
    let sink = SmtpSink::start();
    let mail = MailConfig {
        smtp: Some(SmtpConfig::parse(&sink.url(), None, None).unwrap()),
        from: "Research <research@example.com>".into(),
        public_url: "https://survey.example.com".into(),
    };
    let s = TestServer::start_with(&forms(), &reports(), mail).await;
    let (_, first) = get(&s.http, &s.url("/s/resume")).await;
    let (_, second) = send(&s.http, &s.base, &first, "next", PAGE_1).await;
    let (status, saved) = send(&s.http, &s.base, &second, "save", PAGE_2).await;
    assert_eq!(status, 200);
    let path = resume_path(&saved);
    assert!(saved.contains(&format!("https://survey.example.com{path}")));

    let post = |email: &str| s.http.post(s.url(&path)).form(&[("email", email)]).send();
    let refused = post("not an address").await.unwrap();
    assert_eq!(refused.status(), 422);
    let page = refused.text().await.unwrap();
    assert!(page.contains("error-summary") && page.contains("href=\"#email\""));
    assert!(sink.messages().is_empty());

    let sent = post("ada@example.org").await.unwrap();
    assert_eq!(sent.status(), 200);
    assert!(
        sent.text()
            .await
            .unwrap()
            .contains("We sent the link to ada@example.org")
    );
    let messages = sink.wait_for(1, Duration::from_secs(10)).await;
    assert_eq!(messages[0].to, vec!["ada@example.org".to_string()]);
    let parsed = mail_parser::MessageParser::default()
        .parse(&messages[0].data)
        .expect("a message");
    assert!(
        parsed
            .subject()
            .unwrap_or_default()
            .contains("How you plan your week")
    );
    let body = parsed.body_text(0).expect("a text body").to_string();
    let link = format!("https://survey.example.com{path}");
    assert!(body.contains(&link), "{body}");

    // The mailed link restores the page it was saved on, with what was typed on it.
    let (status, resumed) = get(&s.http, &s.url(&path)).await;
    assert_eq!(status, 200);
    assert!(resumed.contains("Page 2 of 3"));
    assert!(resumed.contains("three hours of planning"));
    assert_eq!(
        resumed.matches("no-store").count(),
        0,
        "headers, not markup"
    );
    s.stop().await;
}

#[tokio::test]
async fn partials_stay_out_of_reports_and_of_exports_unless_asked_for() {
    let s = TestServer::start_with(&forms(), &reports(), MailConfig::default()).await;
    one_go(&s.http, &s.base).await;
    let formats = ["csv", "jsonl", "xlsx", "sav"];
    let mut before = Vec::new();
    for format in formats {
        before.push(
            export(
                &s.http,
                &s.base,
                &format!("/api/forms/resume/responses.{format}"),
            )
            .await,
        );
    }
    let report_before = export(&s.http, &s.base, "/api/reports/resume").await;

    // A respondent who stops after page 1, with answers that would count in the report.
    let (_, first) = get(&s.http, &s.url("/s/resume?source=ad")).await;
    let (status, second) = send(&s.http, &s.base, &first, "next", PAGE_1).await;
    assert_eq!(status, 200);
    assert!(token_of(&second).is_some());

    for (format, earlier) in formats.iter().zip(&before) {
        let now = export(
            &s.http,
            &s.base,
            &format!("/api/forms/resume/responses.{format}"),
        )
        .await;
        if *format == "xlsx" {
            // A workbook's zip carries its time of writing: compare what it holds.
            let cells = |bytes: &[u8]| common::xlsx::rows(bytes, "responses");
            assert_eq!(cells(&now), cells(earlier));
        } else if *format == "sav" {
            // The header carries its time of writing (creation date and time, bytes
            // 92..109): compare everything else.
            let rest = |bytes: &[u8]| [&bytes[..92], &bytes[109..]].concat();
            assert!(
                rest(&now) == rest(earlier),
                "sav changed without ?partial=1"
            );
        } else {
            assert!(now == *earlier, "{format} changed without ?partial=1");
        }
    }
    let report: Value =
        serde_json::from_slice(&export(&s.http, &s.base, "/api/reports/resume").await).unwrap();
    let earlier: Value = serde_json::from_slice(&report_before).unwrap();
    assert_eq!(report["responses"], 1, "{report}");
    assert_eq!(report["segments"], earlier["segments"]);
    assert_eq!(report["questions"], earlier["questions"]);

    let csv = export(
        &s.http,
        &s.base,
        "/api/forms/resume/responses.csv?partial=1",
    )
    .await;
    let (headers, rows) = parse_csv(&csv);
    assert_eq!(headers.last().map(String::as_str), Some("completed"));
    assert_eq!(rows.len(), 2);
    assert_eq!(rows[0]["completed"], "1");
    assert_eq!(rows[1]["completed"], "0");
    assert_eq!(rows[1]["size"], "Small");
    assert_eq!(rows[1]["source"], "ad");
    assert_eq!(rows[1]["story"], "", "not answered yet");
    let jsonl = records(&s.http, &s.base, "?partial=1").await;
    assert_eq!(jsonl.len(), 2);
    assert_eq!(jsonl[1]["completed"], 0);
    assert_eq!(jsonl[1]["answers"]["nps"], 8);
    let xlsx = export(
        &s.http,
        &s.base,
        "/api/forms/resume/responses.xlsx?partial=1",
    )
    .await;
    let sheet = common::xlsx::rows(&xlsx, "responses");
    assert_eq!(sheet.len(), 3, "a header and two rows");
    let last = |row: &Vec<calamine::Data>| row.last().map(ToString::to_string);
    assert_eq!(last(&sheet[0]).as_deref(), Some("completed"));
    assert_eq!(last(&sheet[1]).as_deref(), Some("1"));
    assert_eq!(last(&sheet[2]).as_deref(), Some("0"));
    let sav = export(
        &s.http,
        &s.base,
        "/api/forms/resume/responses.sav?partial=1",
    )
    .await;
    let (headers, cases) = pspp_csv(&sav);
    assert_eq!(headers.last().map(String::as_str), Some("completed"));
    let completed: Vec<&str> = cases.iter().map(|c| c["completed"].as_str()).collect();
    assert_eq!(completed, ["1", "0"], "PSPP reads both cases");
    s.stop().await;
}

/// A .sav file as PSPP reads it, saved back as CSV with its variable names.
fn pspp_csv(sav: &[u8]) -> (Vec<String>, Vec<std::collections::HashMap<String, String>>) {
    let dir = tempfile::tempdir().unwrap();
    let (file, out, syntax) = (
        dir.path().join("in.sav"),
        dir.path().join("out.csv"),
        dir.path().join("read.sps"),
    );
    std::fs::write(&file, sav).unwrap();
    std::fs::write(
        &syntax,
        format!(
            "GET FILE='{}'.\nSAVE TRANSLATE /OUTFILE='{}' /TYPE=CSV /FIELDNAMES /REPLACE.\n",
            file.display(),
            out.display()
        ),
    )
    .unwrap();
    let run = std::process::Command::new("pspp")
        .arg(&syntax)
        .output()
        .expect("pspp must be installed (apt-get install pspp; .ci/run does)");
    assert!(
        run.status.success(),
        "pspp: {}",
        String::from_utf8_lossy(&run.stderr)
    );
    parse_csv(&std::fs::read(&out).expect("PSPP's CSV"))
}

#[tokio::test]
async fn a_page_that_cannot_be_kept_says_so_and_keeps_every_answer() {
    if common::postgres::suite_on_postgres() {
        // The free-space floor guards sled's data directory; PostgreSQL's full disk is the
        // database server's, refused there (SQLSTATE 53100) and mapped to the same 507.
        eprintln!("skipped on PostgreSQL: the floor is sled's");
        return;
    }
    // A free-space floor no disk meets: the store refuses every write that adds data.
    let data = tempfile::tempdir().unwrap();
    // No reports: a report's first rebuild would write at start.
    let no_reports = repo_path("tests/fixtures/no-reports");
    let s = TestServer::start_configured(&forms(), &no_reports, data, |config| {
        config.min_free_bytes = u64::MAX;
    })
    .await;
    let (_, first) = get(&s.http, &s.url("/s/resume")).await;
    let (status, page) = send(&s.http, &s.base, &first, "next", PAGE_1).await;
    assert_eq!(status, 507, "{page}");
    assert!(page.contains("run out of room"), "{page}");
    assert!(page.contains("Page 1 of 3"), "the same page, to send again");
    assert!(page.contains("value=\"Small\" checked"));
    assert_eq!(token_of(&page), None);
    let (status, saved) = send(&s.http, &s.base, &first, "save", PAGE_1).await;
    assert_eq!(status, 507, "{saved}");
    assert!(!saved.contains("id=\"resume-link\""));
    s.stop().await;
}

#[tokio::test]
async fn nothing_is_kept_without_consent_and_unticking_it_forgets_the_partial() {
    let s = TestServer::start_with(&forms(), &reports(), MailConfig::default()).await;
    let partials = |s: &TestServer| {
        let (http, base) = (s.http.clone(), s.base.clone());
        async move { records(&http, &base, "?partial=1").await.len() }
    };
    let (_, first) = get(&s.http, &s.url("/s/resume")).await;
    let unticked = &PAGE_1[1..];
    let (status, refused) = send(&s.http, &s.base, &first, "save", unticked).await;
    assert_eq!(status, 422, "Save without consent asks for it");
    assert!(refused.contains("err-consent"));
    assert_eq!(token_of(&refused), None);
    assert_eq!(partials(&s).await, 0);

    let (_, second) = send(&s.http, &s.base, &first, "next", PAGE_1).await;
    assert_eq!(partials(&s).await, 1);
    let (_, again) = send(&s.http, &s.base, &second, "back", &[]).await;
    assert!(again.contains("Page 1 of 3"));
    let (status, withdrawn) = send(&s.http, &s.base, &again, "next", unticked).await;
    assert_eq!(status, 422);
    assert!(withdrawn.contains("err-consent"));
    assert_eq!(partials(&s).await, 0, "the partial is forgotten");
    s.stop().await;
}

#[tokio::test]
async fn a_damaged_page_state_falls_back_on_the_answers_kept() {
    let s = TestServer::start_with(&forms(), &reports(), MailConfig::default()).await;
    let (_, first) = get(&s.http, &s.url("/s/resume?source=ad")).await;
    let (_, second) = send(&s.http, &s.base, &first, "next", PAGE_1).await;
    let token = token_of(&second).expect("a token");
    let mut fields: Vec<(&str, &str)> = vec![
        ("_state", "{not json"),
        ("_page", "1"),
        ("_action", "next"),
        ("t", &token),
    ];
    fields.extend_from_slice(PAGE_2);
    let response = s
        .http
        .post(s.url("/s/resume"))
        .form(&fields)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let third = response.text().await.unwrap();
    assert!(third.contains("Page 3 of 3"), "{third}");
    assert!(!third.contains("could not be read"));
    let (_, done) = send(&s.http, &s.base, &third, "next", PAGE_3).await;
    assert!(done.contains("Thank you"));
    let got = records(&s.http, &s.base, "").await;
    assert_eq!(got[0]["answers"]["size"], "Small", "page 1 from the store");
    assert_eq!(got[0]["answers"]["hours"], 3, "page 2 from the post");
    assert_eq!(got[0]["hidden"]["source"], "ad");
    s.stop().await;
}
