//! Report summaries by email, end to end: through a real SMTP server on loopback
//! (mailin-embedded, in this process), into the outbox as `.eml` files, from the command line,
//! and on a cadence across restarts of the real binary. Messages are parsed with mail-parser
//! and checked against the report JSON and CSV the API serves for the same data.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::cast_possible_truncation
)]

mod common;

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::{Duration, Instant};

use chrono::{DateTime, NaiveDateTime, Utc};
use common::smtp::{Received, SmtpSink};
use common::{
    INTERVIEWER, MAIL_VARIABLES, RESEARCHER, ServerProcess, TestServer, free_port, repo_path,
};
use fieldnotes::config::{MailConfig, SmtpConfig};
use mail_parser::{MessageParser, MimeHeaders};
use serde_json::{Value, json};

/// The personal answer every response carries; it must never reach a message.
const PII_EMAIL: &str = "hidden.respondent@pii.invalid";
const PII_MARKERS: [&str; 2] = ["hidden.respondent", "pii.invalid"];
const FROM: &str = "Research bot <fieldnotes@panel.test>";
const PUBLIC_URL: &str = "https://fieldnotes.example.org";
const TITLE: &str = "Panel by plan <b>& \"friends\"</b>";

fn panel(sub: &str) -> PathBuf {
    repo_path(&format!("tests/fixtures/panel/{sub}"))
}

/// (plan, role, nps, tools): 7 Free, 6 Pro, 2 Team (suppressed under min_cell 5).
const ROWS: [(&str, &str, i64, &[&str]); 15] = [
    ("Free", "Founder", 9, &["Slack"]),
    ("Free", "Engineer", 10, &["Slack", "Jira"]),
    ("Free", "Engineer", 6, &[]),
    ("Free", "Designer", 8, &["Jira"]),
    ("Free", "Founder", 3, &["Slack"]),
    ("Free", "Engineer", 9, &["Slack"]),
    ("Free", "Founder", 7, &["Linear"]),
    ("Pro", "Engineer", 7, &["Jira"]),
    ("Pro", "Engineer", 9, &["Slack", "Jira"]),
    ("Pro", "Designer", 2, &["Jira"]),
    ("Pro", "Engineer", 5, &["Slack"]),
    ("Pro", "Founder", 10, &["Jira"]),
    ("Pro", "Engineer", 8, &[]),
    ("Team", "Founder", 10, &["Slack"]),
    ("Team", "Engineer", 9, &["Slack"]),
];

fn answers(i: usize) -> Value {
    let (plan, role, nps, tools) = ROWS[i % ROWS.len()];
    json!({"answers": {"plan": plan, "role": role, "nps": nps, "ease": 1 + (i % 5) as i64,
                       "tools": tools, "seats": (i + 1) as f64, "email": PII_EMAIL,
                       "comment": "The price is what almost stopped us"}})
}

async fn submit_all(http: &reqwest::Client, base: &str, range: std::ops::Range<usize>) {
    for i in range {
        let response = http
            .post(format!("{base}/api/forms/panel/responses"))
            .json(&answers(i))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 201, "{}", response.text().await.unwrap());
    }
}

async fn report_json(http: &reqwest::Client, base: &str, id: &str) -> Value {
    for _ in 0..200 {
        let response = http
            .get(format!("{base}/api/reports/{id}"))
            .bearer_auth(RESEARCHER)
            .send()
            .await
            .unwrap();
        match response.status().as_u16() {
            200 => return response.json().await.unwrap(),
            503 => tokio::time::sleep(Duration::from_millis(25)).await,
            other => panic!("report {id}: {other} {}", response.text().await.unwrap()),
        }
    }
    panic!("report {id} never became ready");
}

async fn send_now(s: &TestServer, id: &str) -> reqwest::Response {
    s.http
        .post(s.url(&format!("/api/reports/{id}/email")))
        .bearer_auth(RESEARCHER)
        .send()
        .await
        .unwrap()
}

fn mail_to(sink: &SmtpSink) -> MailConfig {
    MailConfig {
        smtp: Some(SmtpConfig::parse(&sink.url(), None, None).unwrap()),
        from: FROM.into(),
        public_url: PUBLIC_URL.into(),
    }
}

/// A summary as the tests read it: the parts decoded, the attachments by file name.
struct Parsed {
    from: String,
    from_name: String,
    to: Vec<String>,
    subject: String,
    message_id: String,
    text: String,
    html: String,
    attachments: Vec<(String, String, Vec<u8>)>,
}

fn parse(raw: &[u8]) -> Parsed {
    let message = MessageParser::default()
        .parse(raw)
        .expect("the message parses");
    let from = message.from().and_then(|a| a.first()).expect("a From");
    let to = message
        .to()
        .map(|a| {
            a.clone()
                .into_list()
                .iter()
                .filter_map(|a| a.address().map(str::to_string))
                .collect()
        })
        .unwrap_or_default();
    assert_eq!(message.text_body_count(), 1, "one text part");
    assert_eq!(message.html_body_count(), 1, "one HTML part");
    Parsed {
        from: from.address().unwrap_or_default().to_string(),
        from_name: from.name().unwrap_or_default().to_string(),
        to,
        subject: message.subject().unwrap_or_default().to_string(),
        message_id: message.message_id().unwrap_or_default().to_string(),
        text: message.body_text(0).expect("a text part").into_owned(),
        html: message.body_html(0).expect("an HTML part").into_owned(),
        attachments: message
            .attachments()
            .map(|part| {
                let content_type = part
                    .content_type()
                    .map(|c| format!("{}/{}", c.ctype(), c.subtype().unwrap_or_default()))
                    .unwrap_or_default();
                (
                    part.attachment_name().unwrap_or_default().to_string(),
                    content_type,
                    part.contents().to_vec(),
                )
            })
            .collect(),
    }
}

fn attachment<'a>(parsed: &'a Parsed, name: &str) -> &'a [u8] {
    let (_, content_type, bytes) = parsed
        .attachments
        .iter()
        .find(|(n, _, _)| n == name)
        .unwrap_or_else(|| panic!("{name} attached"));
    assert_eq!(content_type, "text/csv", "{name}");
    bytes
}

fn csv_rows(bytes: &[u8]) -> Vec<Vec<String>> {
    csv::ReaderBuilder::new()
        .has_headers(false)
        .from_reader(bytes)
        .records()
        .map(|r| r.expect("a CSV row").iter().map(str::to_string).collect())
        .collect()
}

fn question<'a>(report: &'a Value, id: &str) -> &'a Value {
    report["questions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|q| q["id"] == id)
        .unwrap_or_else(|| panic!("question {id}"))
}

/// Everything a summary of the panel report must say, checked against the report JSON and
/// the segments CSV the API serves for the same responses.
fn check_summary(raw: &[u8], parsed: &Parsed, report: &Value, segments_csv: &[u8]) {
    let text = String::from_utf8_lossy(raw);
    for marker in PII_MARKERS {
        assert!(!text.contains(marker), "pii in the raw message");
        assert!(!parsed.text.contains(marker), "pii in the text part");
        assert!(!parsed.html.contains(marker), "pii in the HTML part");
        for (name, _, bytes) in &parsed.attachments {
            assert!(
                !String::from_utf8_lossy(bytes).contains(marker),
                "pii in {name}"
            );
        }
    }
    assert_eq!(parsed.from, "fieldnotes@panel.test");
    assert_eq!(parsed.from_name, "Research bot");
    assert_eq!(parsed.to, ["research@example.com", "product@example.com"]);

    // Both parts: counts, segments with the suppressed one kept suppressed, NPS, the link.
    let responses = report["responses"].as_u64().unwrap();
    let nps = &question(report, "nps")["overall"];
    let nps_line = format!(
        "NPS {:.1} (95% interval {:.1} to {:.1})",
        nps["nps"].as_f64().unwrap(),
        nps["nps_ci95"][0].as_f64().unwrap(),
        nps["nps_ci95"][1].as_f64().unwrap()
    );
    assert!(parsed.text.contains(TITLE), "{}", parsed.text);
    assert!(
        parsed
            .text
            .contains(&format!("{responses} responses in all"))
    );
    for segment in report["segments"].as_array().unwrap() {
        let name = segment["name"].as_str().unwrap();
        let line = match segment["n"].as_u64() {
            Some(n) => format!("- {name}: n = {n}"),
            None => format!("- {name}: suppressed (fewer than 5 responses)"),
        };
        assert!(parsed.text.contains(&line), "{line} in {}", parsed.text);
    }
    assert!(
        parsed
            .text
            .contains("- Team: suppressed (fewer than 5 responses)")
    );
    assert!(!parsed.text.contains("Team: n ="));
    assert!(
        parsed.text.contains(&nps_line),
        "{nps_line} in {}",
        parsed.text
    );
    assert!(parsed.text.contains("WHERE SEGMENTS DIFFER"));
    let link = format!("{PUBLIC_URL}/r/panel-summary");
    assert!(parsed.text.contains(&link));
    assert!(
        parsed.html.contains(&format!("href=\"{link}\"")),
        "{}",
        parsed.html
    );
    assert!(parsed.html.contains(&nps_line));
    assert!(parsed.html.contains("suppressed (under 5)"));
    // The title is user-written: escaped in HTML, never live markup.
    assert!(!parsed.html.contains("<b>&"), "{}", parsed.html);
    assert!(
        parsed
            .html
            .contains("Panel by plan &#60;b&#62;&#38; &#34;friends&#34;&#60;/b&#62;")
            || parsed
                .html
                .contains("Panel by plan &lt;b&gt;&amp; &quot;friends&quot;&lt;/b&gt;"),
        "{}",
        parsed.html
    );
    // A quote, when the theme counts find one, is in both parts (escaped in HTML).
    for theme in report["themes"].as_array().unwrap() {
        if let Some(quote) = theme["quotes"][0].as_str() {
            assert!(parsed.text.contains(quote), "quote of {}", theme["name"]);
        }
    }

    // segments.csv: byte for byte the download, and the JSON's numbers.
    let attached = attachment(parsed, "segments.csv");
    assert_eq!(
        String::from_utf8_lossy(attached),
        String::from_utf8_lossy(segments_csv)
    );
    let rows = csv_rows(attached);
    assert_eq!(
        rows[0],
        [
            "question_id",
            "question_type",
            "segment",
            "n",
            "measure",
            "option",
            "value",
            "ci95_low",
            "ci95_high"
        ]
    );
    let find = |q: &str, segment: &str, measure: &str, option: &str| -> f64 {
        rows.iter()
            .find(|r| r[0] == q && r[2] == segment && r[4] == measure && r[5] == option)
            .unwrap_or_else(|| panic!("row {q} {segment} {measure} {option}"))[6]
            .parse()
            .unwrap()
    };
    assert_eq!(
        find("nps", "(overall)", "nps", ""),
        nps["nps"].as_f64().unwrap()
    );
    let role_free = question(report, "role")["by_segment"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["segment"] == "Free")
        .unwrap()
        .clone();
    assert_eq!(
        find("role", "Free", "count", "Founder"),
        role_free["counts"]["Founder"].as_f64().unwrap()
    );
    assert!(
        rows.iter()
            .any(|r| r[0] == "nps" && r[2] == "Team" && r[4] == "suppressed")
    );

    // themes.csv: one row per theme cell of the JSON.
    let rows = csv_rows(attachment(parsed, "themes.csv"));
    assert_eq!(
        rows[0],
        ["theme", "segment", "source", "responses", "mentions"]
    );
    let cells: Vec<Vec<String>> = report["themes"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|t| {
            t["cells"].as_array().unwrap().iter().map(move |c| {
                vec![
                    t["name"].as_str().unwrap().to_string(),
                    c["segment"].as_str().unwrap().to_string(),
                    c["source"].as_str().unwrap().to_string(),
                    c["responses"].to_string(),
                    c["mentions"].to_string(),
                ]
            })
        })
        .collect();
    assert_eq!(rows[1..], cells[..]);
}

async fn segments_csv(s: &TestServer, id: &str) -> Vec<u8> {
    let response = s
        .get_as(&format!("/api/reports/{id}/segments.csv"), RESEARCHER)
        .await;
    assert_eq!(response.status(), 200);
    response.bytes().await.unwrap().to_vec()
}

#[tokio::test]
async fn a_summary_arrives_through_a_real_smtp_server() {
    let sink = SmtpSink::start();
    let s = TestServer::start_with(&panel("forms"), &panel("mail-reports"), mail_to(&sink)).await;
    submit_all(&s.http, &s.base, 0..15).await;
    let report = report_json(&s.http, &s.base, "panel-summary").await;
    assert_eq!(report["responses"], 15);
    assert_eq!(
        report["email"],
        json!({"to": ["research@example.com", "product@example.com"], "every": null,
               "last_sent": null, "next_due": null, "last_error": null})
    );

    let response = send_now(&s, "panel-summary").await;
    assert_eq!(response.status(), 200);
    let sent: Value = response.json().await.unwrap();
    assert_eq!(
        sent["to"],
        json!(["research@example.com", "product@example.com"])
    );
    assert_eq!(sent["transport"], "smtp");

    let messages = sink.wait_for(1, Duration::from_secs(5)).await;
    assert_eq!(messages.len(), 1);
    let Received { from, to, data, .. } = &messages[0];
    assert_eq!(from, "fieldnotes@panel.test");
    assert_eq!(to, &["research@example.com", "product@example.com"]);
    let parsed = parse(data);
    assert_eq!(
        format!("<{}>", parsed.message_id),
        sent["message_id"].as_str().unwrap()
    );
    assert_eq!(parsed.subject, format!("{TITLE}: 15 responses"));
    assert!(parsed.text.contains("the first summary of this report"));
    check_summary(
        data,
        &parsed,
        &report,
        &segments_csv(&s, "panel-summary").await,
    );

    // The JSON now tells when it went; the next one counts what is new since.
    let report = report_json(&s.http, &s.base, "panel-summary").await;
    let last_sent = report["email"]["last_sent"].as_str().expect("last_sent");
    DateTime::parse_from_rfc3339(last_sent).expect("RFC 3339");
    assert_eq!(report["email"]["last_error"], Value::Null);
    assert_eq!(report["email"]["next_due"], Value::Null, "no cadence");

    submit_all(&s.http, &s.base, 0..2).await;
    assert_eq!(send_now(&s, "panel-summary").await.status(), 200);
    let messages = sink.wait_for(2, Duration::from_secs(5)).await;
    let second = parse(&messages[1].data);
    assert_eq!(second.subject, format!("{TITLE}: 17 responses, 2 new"));
    assert!(
        second
            .text
            .contains("17 responses in all, 2 new since the last summary on "),
        "{}",
        second.text
    );
    let report = report_json(&s.http, &s.base, "panel-summary").await;
    check_summary(
        &messages[1].data,
        &second,
        &report,
        &segments_csv(&s, "panel-summary").await,
    );
    s.stop().await;
}

#[tokio::test]
async fn sending_on_demand_answers_404_409_401_403_and_502_naming_the_server() {
    // A port nobody listens on: the connection is refused.
    let closed = free_port();
    let mail = MailConfig {
        smtp: Some(SmtpConfig::parse(&format!("smtp://127.0.0.1:{closed}"), None, None).unwrap()),
        ..MailConfig::default()
    };
    let s = TestServer::start_with(&panel("forms"), &panel("mail-reports"), mail).await;
    submit_all(&s.http, &s.base, 0..3).await;

    let status = |r: &reqwest::Response| r.status().as_u16();
    let unknown = send_now(&s, "no-such-report").await;
    assert_eq!(status(&unknown), 404);
    let plain = send_now(&s, "panel-plain").await;
    assert_eq!(status(&plain), 409);
    let body: Value = plain.json().await.unwrap();
    assert_eq!(body["error"], "no_email");
    assert!(body["message"].as_str().unwrap().contains("[email]"));
    let anonymous = s
        .http
        .post(s.url("/api/reports/panel-summary/email"))
        .send()
        .await
        .unwrap();
    assert_eq!(status(&anonymous), 401);
    let interviewer = s
        .http
        .post(s.url("/api/reports/panel-summary/email"))
        .bearer_auth(INTERVIEWER)
        .send()
        .await
        .unwrap();
    assert_eq!(status(&interviewer), 403);

    let refused = send_now(&s, "panel-summary").await;
    assert_eq!(status(&refused), 502);
    let body: Value = refused.json().await.unwrap();
    assert_eq!(body["error"], "mail_failed");
    let server = format!("smtp://127.0.0.1:{closed}");
    let message = body["message"].as_str().unwrap();
    assert!(message.contains(&server), "{message}");

    let report = report_json(&s.http, &s.base, "panel-summary").await;
    assert_eq!(report["email"]["last_sent"], Value::Null);
    let last_error = report["email"]["last_error"].as_str().expect("last_error");
    assert!(last_error.contains(&server), "{last_error}");
    // A report without [email] has no email object.
    let plain = report_json(&s.http, &s.base, "panel-plain").await;
    assert!(plain.get("email").is_none());
    s.stop().await;
}

fn outbox_files(data: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(data.join("outbox"))
        .map(|dir| dir.map(|e| e.unwrap().path()).collect())
        .unwrap_or_default();
    files.sort();
    files
}

#[tokio::test]
async fn without_a_mail_server_the_summary_is_a_parseable_eml_in_the_outbox() {
    let mail = MailConfig {
        from: FROM.into(),
        public_url: PUBLIC_URL.into(),
        smtp: None,
    };
    let s = TestServer::start_with(&panel("forms"), &panel("mail-reports"), mail).await;
    submit_all(&s.http, &s.base, 0..15).await;
    let response = send_now(&s, "panel-summary").await;
    assert_eq!(response.status(), 200);
    let sent: Value = response.json().await.unwrap();
    assert_eq!(sent["transport"], "outbox");

    let files = outbox_files(s.data.path());
    assert_eq!(files.len(), 1, "one file and no leftovers: {files:?}");
    let name = files[0].file_name().unwrap().to_string_lossy().into_owned();
    assert!(
        name.ends_with(".eml") && name.contains("-panel-summary-"),
        "{name}"
    );
    let raw = std::fs::read(&files[0]).unwrap();
    let parsed = parse(&raw);
    assert_eq!(
        format!("<{}>", parsed.message_id),
        sent["message_id"].as_str().unwrap()
    );
    assert_eq!(parsed.subject, format!("{TITLE}: 15 responses"));
    let report = report_json(&s.http, &s.base, "panel-summary").await;
    check_summary(
        &raw,
        &parsed,
        &report,
        &segments_csv(&s, "panel-summary").await,
    );
    assert!(report["email"]["last_sent"].is_string());
    s.stop().await;
}

fn fieldnotes(args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_fieldnotes"));
    command.args(args);
    for name in MAIL_VARIABLES.iter().chain(&[
        "FIELDNOTES_DATA",
        "FIELDNOTES_FORMS",
        "FIELDNOTES_REPORTS",
        "FIELDNOTES_STORE",
    ]) {
        command.env_remove(name);
    }
    command
        .envs(env.iter().copied())
        .output()
        .expect("the binary runs")
}

#[tokio::test]
async fn report_email_on_the_command_line_sends_or_writes_the_outbox() {
    let data = tempfile::tempdir().unwrap();
    let (forms, reports) = (panel("forms"), panel("mail-reports"));
    let server = ServerProcess::start_with_reports(data.path(), &forms, &reports, free_port());
    submit_all(&reqwest::Client::new(), &server.base, 0..15).await;
    server.kill();

    let dirs = |id: &'static str| -> Vec<String> {
        vec![
            "report".into(),
            id.into(),
            "--email".into(),
            "--data".into(),
            data.path().display().to_string(),
            "--forms".into(),
            forms.display().to_string(),
            "--reports".into(),
            reports.display().to_string(),
        ]
    };
    let store = common::postgres::store_env(data.path());
    let run = |id: &'static str, env: &[(&str, &str)]| {
        let args = dirs(id);
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let env: Vec<(&str, &str)> = env
            .iter()
            .copied()
            .chain(store.iter().map(|(k, v)| (*k, v.as_str())))
            .collect();
        fieldnotes(&args, &env)
    };
    let text = |bytes: &[u8]| String::from_utf8_lossy(bytes).into_owned();

    // Through SMTP.
    let sink = SmtpSink::start();
    let url = sink.url();
    let out = run(
        "panel-summary",
        &[
            ("FIELDNOTES_SMTP_URL", &url),
            ("FIELDNOTES_MAIL_FROM", FROM),
        ],
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    assert!(stdout.contains("15 responses"), "{stdout}");
    assert!(
        stdout.contains(&format!(
            "Summary sent to research@example.com, product@example.com through {url}"
        )),
        "{stdout}"
    );
    let messages = sink.wait_for(1, Duration::from_secs(5)).await;
    let parsed = parse(&messages[0].data);
    assert_eq!(parsed.subject, format!("{TITLE}: 15 responses"));
    assert!(parsed.text.contains("the first summary of this report"));

    // Into the outbox, counting from the summary just sent.
    let out = run("panel-summary", &[]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let files = outbox_files(data.path());
    assert_eq!(files.len(), 1);
    assert!(text(&out.stdout).contains(&files[0].display().to_string()));
    let parsed = parse(&std::fs::read(&files[0]).unwrap());
    assert_eq!(parsed.from, "fieldnotes@localhost");
    assert!(parsed.text.contains("0 new since the last summary"));

    // A report without [email], and a mail server that is not there: clear errors.
    let out = run("panel-plain", &[]);
    assert!(!out.status.success());
    assert!(text(&out.stderr).contains("has no [email] section"));
    let closed = format!("smtp://127.0.0.1:{}", free_port());
    let out = run("panel-summary", &[("FIELDNOTES_SMTP_URL", &closed)]);
    assert!(!out.status.success());
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains(&format!("cannot send mail through {closed}")),
        "{stderr}"
    );
    let out = run(
        "panel-summary",
        &[("FIELDNOTES_SMTP_URL", "smtp://u:s3cret@")],
    );
    assert!(!out.status.success());
    let stderr = text(&out.stderr);
    assert!(stderr.contains("FIELDNOTES_SMTP_URL"), "{stderr}");
    assert!(!stderr.contains("s3cret"), "{stderr}");
}

/// The due time a scheduled summary's Message-ID carries: `<report.YYYYMMDDTHHMMSS.mmmZ.summary@…>`.
fn due_of(message: &Received) -> DateTime<Utc> {
    let id = parse(&message.data).message_id;
    let stamp = id
        .strip_prefix("panel-cadence.")
        .and_then(|rest| rest.split(".summary@").next())
        .unwrap_or_else(|| panic!("a scheduled Message-ID: {id}"));
    NaiveDateTime::parse_from_str(stamp, "%Y%m%dT%H%M%S%.3fZ")
        .unwrap_or_else(|e| panic!("{stamp}: {e}"))
        .and_utc()
}

async fn wait_for_error(http: &reqwest::Client, base: &str, log: &Path) -> Value {
    let deadline = Instant::now() + Duration::from_secs(8);
    loop {
        let report = report_json(http, base, "panel-cadence").await;
        if report["email"]["last_error"].is_string() {
            return report;
        }
        assert!(
            Instant::now() < deadline,
            "no last_error: {}\n{}",
            report["email"],
            std::fs::read_to_string(log).unwrap_or_default()
        );
        tokio::time::sleep(Duration::from_millis(40)).await;
    }
}

#[tokio::test]
async fn summaries_go_out_on_a_cadence_across_restarts_and_retry_after_a_refusal() {
    let sink = SmtpSink::start();
    let data = tempfile::tempdir().unwrap();
    let logs = tempfile::tempdir().unwrap();
    let (forms, reports) = (panel("forms"), panel("mail-cadence"));
    let url = sink.url();
    let env = [
        ("FIELDNOTES_SMTP_URL", url.as_str()),
        ("FIELDNOTES_MAIL_FROM", "fieldnotes@panel.test"),
    ];
    let http = reqwest::Client::new();
    let start = |log: &str| {
        ServerProcess::start_with_env(
            data.path(),
            &forms,
            &reports,
            free_port(),
            &env,
            Some(&logs.path().join(log)),
        )
    };
    let period = chrono::TimeDelta::seconds(2);

    // On time: the first summary is due one period after the report is first seen.
    let before_start = Utc::now();
    let server = start("first.log");
    submit_all(&http, &server.base, 0..6).await;
    let messages = sink.wait_for(1, Duration::from_secs(10)).await;
    let first_due = due_of(&messages[0]);
    assert!(
        first_due >= before_start + period,
        "{first_due} vs {before_start}"
    );
    assert!(first_due < before_start + period + chrono::TimeDelta::seconds(5));
    let late = messages[0].at - first_due;
    assert!(
        late < chrono::TimeDelta::milliseconds(1500),
        "sent {late} late"
    );
    let messages = sink.wait_for(2, Duration::from_secs(6)).await;
    assert_eq!(
        due_of(&messages[1]),
        first_due + period,
        "the rhythm keeps its phase"
    );
    let report = report_json(&http, &server.base, "panel-cadence").await;
    let email = &report["email"];
    assert_eq!(email["every"], "2s");
    assert_eq!(email["to"], json!(["research@example.com"]));
    assert!(
        email["last_sent"].is_string() && email["next_due"].is_string(),
        "{email}"
    );
    assert_eq!(email["last_error"], Value::Null);

    // A restart right after a send: the next summary is the next due one, not a resend.
    tokio::time::sleep(Duration::from_millis(300)).await;
    let sent_before = sink.messages();
    let last_due = sent_before.iter().map(due_of).max().unwrap();
    server.kill();
    let server = start("second.log");
    let messages = sink
        .wait_for(sent_before.len() + 1, Duration::from_secs(6))
        .await;
    let next = &messages[sent_before.len()];
    assert_eq!(
        due_of(next),
        last_due + period,
        "not sent twice across a restart"
    );
    assert!(next.at >= due_of(next), "not sent before it was due");

    // Down over two due times: one summary when it is back, then the rhythm again.
    tokio::time::sleep(Duration::from_millis(300)).await;
    server.kill();
    let sent_before = sink.messages().len();
    tokio::time::sleep(Duration::from_secs(5)).await;
    let before_restart = Utc::now();
    let server = start("third.log");
    let messages = sink.wait_for(sent_before + 2, Duration::from_secs(8)).await;
    let after: Vec<DateTime<Utc>> = messages[sent_before..].iter().map(due_of).collect();
    assert!(
        after[0] < before_restart,
        "the missed summary goes out: {after:?}"
    );
    assert!(
        after[1] > before_restart,
        "once, not once per missed period: {after:?} (restarted {before_restart})"
    );

    // The mail server refuses once: the error shows in the JSON and the logs, and the same
    // summary is retried until it goes through.
    let accepted = sink.messages().len();
    sink.refuse_next(1);
    let report = wait_for_error(&http, &server.base, &logs.path().join("third.log")).await;
    let last_error = report["email"]["last_error"].as_str().unwrap();
    assert!(
        last_error.contains("451") && last_error.contains(&url),
        "{last_error}"
    );
    let refused = sink.refused();
    assert_eq!(refused.len(), 1);
    assert_eq!(refused[0].to, ["research@example.com"]);
    let messages = sink.wait_for(accepted + 1, Duration::from_secs(6)).await;
    let retried = &messages[accepted];
    let due = due_of(retried);
    assert!(
        retried.at - refused[0].at >= chrono::TimeDelta::milliseconds(900),
        "retried after a backoff"
    );
    let log_path = logs.path().join("third.log");
    let log = std::fs::read_to_string(&log_path).unwrap();
    let failed = format!(
        "summary due {} failed",
        due.format("%Y-%m-%dT%H:%M:%S%.3fZ")
    );
    assert!(
        log.contains(&failed) && log.contains("451"),
        "the refused summary is the one retried, and the refusal is logged: {log}"
    );
    let deadline = Instant::now() + Duration::from_secs(4);
    loop {
        let report = report_json(&http, &server.base, "panel-cadence").await;
        if report["email"]["last_error"].is_null() {
            break;
        }
        assert!(Instant::now() < deadline, "last_error never cleared");
        tokio::time::sleep(Duration::from_millis(40)).await;
    }
    server.kill();

    // Across the whole run, no summary went out twice.
    let ids: Vec<String> = sink
        .messages()
        .iter()
        .map(|m| parse(&m.data).message_id)
        .collect();
    let unique: HashSet<&String> = ids.iter().collect();
    assert_eq!(unique.len(), ids.len(), "{ids:?}");
}
