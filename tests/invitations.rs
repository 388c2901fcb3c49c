//! Personal invitations, end to end: contacts imported over HTTP, a campaign sent through a
//! real SMTP server on loopback (mailin-embedded), each message parsed (mail-parser) and its
//! link followed as the API client and as a browser with JavaScript off would; reminders,
//! unsubscribing, the status list, and a campaign whose server is SIGKILLed mid-send.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::collections::{BTreeMap, HashMap};
use std::time::{Duration, Instant};

use common::smtp::{Received, SmtpSink};
use common::survey::{send_page, token_of};
use common::{RESEARCHER, ServerProcess, TestServer, free_port, repo_path};
use fieldnotes::config::{MailConfig, SmtpConfig};
use mail_parser::MessageParser;
use serde_json::{Value, json};

const FROM: &str = "Research team <research@fieldnotes.test>";
const PUBLIC_URL: &str = "https://survey.example.org";

fn forms() -> std::path::PathBuf {
    repo_path("tests/fixtures/invitations/forms")
}

fn reports() -> std::path::PathBuf {
    repo_path("tests/fixtures/invitations/reports")
}

fn mail_to(sink: &SmtpSink) -> MailConfig {
    MailConfig {
        smtp: Some(SmtpConfig::parse(&sink.url(), None, None).unwrap()),
        from: FROM.into(),
        public_url: PUBLIC_URL.into(),
    }
}

async fn server(sink: &SmtpSink) -> TestServer {
    TestServer::start_with(&forms(), &reports(), mail_to(sink)).await
}

async fn import(server: &TestServer, csv: &str) {
    server.import_csv("/api/contacts", csv).await
}

async fn post(server: &TestServer, path: &str, body: Value) -> (u16, Value) {
    let response = server
        .http
        .post(server.url(path))
        .bearer_auth(RESEARCHER)
        .json(&body)
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

async fn invite(server: &TestServer, form: &str, contacts: Value) -> (u16, Value) {
    let body = json!({"contacts": contacts, "subject": "Two minutes about your plan?",
                      "message": "Hello,\n\nwe would love to hear how the product works for you."});
    post(server, &format!("/api/forms/{form}/invitations"), body).await
}

async fn statuses(server: &TestServer, form: &str) -> (BTreeMap<String, String>, Value) {
    let listing: Value = server
        .get_as(&format!("/api/forms/{form}/invitations"), RESEARCHER)
        .await
        .json()
        .await
        .unwrap();
    let each = listing["invitations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| {
            (
                i["contact"].as_str().unwrap().to_string(),
                i["status"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    (each, listing["counts"].clone())
}

/// One received message, decoded.
struct Mail {
    to: Vec<String>,
    subject: String,
    text: String,
    headers: HashMap<String, String>,
}

fn parse(received: &Received) -> Mail {
    let message = MessageParser::default().parse(&received.data).unwrap();
    let headers = message
        .headers_raw()
        .map(|(name, value)| (name.to_ascii_lowercase(), value.trim().to_string()))
        .collect();
    Mail {
        to: received.to.clone(),
        subject: message.subject().unwrap_or_default().to_string(),
        text: message.body_text(0).unwrap().replace("\r\n", "\n"),
        headers,
    }
}

/// The token after `prefix` in a message's text (a 64-digit hex secret).
fn token_after(text: &str, prefix: &str) -> String {
    let start = text
        .find(prefix)
        .unwrap_or_else(|| panic!("{prefix} in {text}"))
        + prefix.len();
    let token: String = text[start..]
        .chars()
        .take_while(char::is_ascii_hexdigit)
        .collect();
    assert_eq!(token.len(), 64, "a 256-bit-looking token in {text}");
    token
}

fn survey_token(mail: &Mail, form: &str) -> String {
    token_after(&mail.text, &format!("{PUBLIC_URL}/s/{form}?t="))
}

fn unsubscribe_token(mail: &Mail) -> String {
    token_after(&mail.text, &format!("{PUBLIC_URL}/u/"))
}

fn by_recipient(messages: &[Received]) -> HashMap<String, Vec<Mail>> {
    let mut map: HashMap<String, Vec<Mail>> = HashMap::new();
    for received in messages {
        let mail = parse(received);
        map.entry(mail.to[0].clone()).or_default().push(mail);
    }
    map
}

async fn answer(server: &TestServer, form: &str, token: &str, nps: u8) -> (u16, Value) {
    let response = server
        .submit(
            form,
            json!({"answers": {"nps": nps, "why": "Support was quick"}, "invitation": token}),
        )
        .await;
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

async fn report(server: &TestServer, id: &str) -> Value {
    for _ in 0..400 {
        let response = server
            .get_as(&format!("/api/reports/{id}"), RESEARCHER)
            .await;
        match response.status().as_u16() {
            200 => return response.json().await.unwrap(),
            503 => tokio::time::sleep(Duration::from_millis(25)).await,
            other => panic!("report {id}: {other} {}", response.text().await.unwrap()),
        }
    }
    panic!("report {id} never became ready");
}

/// Answers every page of a survey from `page` on, checking that each carries the invitation's
/// token, until the thank-you page; how many pages were sent.
async fn answer_pages(
    server: &TestServer,
    form: &str,
    mut page: String,
    token: &str,
    answers: &[(&str, &str)],
) -> usize {
    let mut pages = 0;
    loop {
        assert_eq!(token_of(&page).as_deref(), Some(token), "{page}");
        let (status, next) = send_page(&server.http, &server.base, form, &page, "next", answers)
            .await
            .unwrap();
        assert_eq!(status, 200, "{next}");
        pages += 1;
        if !next.contains("name=\"_state\"") {
            assert!(next.contains("Thank you"), "{next}");
            return pages;
        }
        page = next;
    }
}

const CONTACTS: &str = "customer_id,email,plan\n\
    ada,ada@example.com,Pro\n\
    ben,ben@example.com,Free\n\
    cy,,Pro\n\
    dee,,Free\n";

#[tokio::test]
async fn each_contact_gets_one_message_whose_link_takes_one_response() {
    let sink = SmtpSink::start();
    let server = server(&sink).await;
    import(&server, CONTACTS).await;

    let (status, body) = invite(&server, "feedback", json!("all")).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["sent"], 2, "{body}");
    assert_eq!(body["failed"], 0, "{body}");
    assert_eq!(
        body["skipped"],
        json!({"no_email": 2, "unsubscribed": 0, "already_invited": 0})
    );
    let mails = by_recipient(&sink.wait_for(2, Duration::from_secs(10)).await);
    assert_eq!(mails.len(), 2, "one message per contact with an address");
    let ada = &mails["ada@example.com"][0];
    assert_eq!(mails["ada@example.com"].len(), 1);
    assert_eq!(mails["ben@example.com"].len(), 1);
    assert_eq!(ada.subject, "Two minutes about your plan?");
    assert!(
        ada.text.starts_with("Hello,\n\nwe would love to hear"),
        "{}",
        ada.text
    );
    // RFC 8058 one-click unsubscribe: the header names the message's own /u/ link.
    let unsubscribe = unsubscribe_token(ada);
    assert_eq!(
        ada.headers["list-unsubscribe"],
        format!("<{PUBLIC_URL}/u/{unsubscribe}>")
    );
    assert_eq!(
        ada.headers["list-unsubscribe-post"],
        "List-Unsubscribe=One-Click"
    );
    let ada_token = survey_token(ada, "feedback");
    let ben_token = survey_token(&mails["ben@example.com"][0], "feedback");
    assert_ne!(ada_token, ben_token);
    assert_ne!(ada_token, unsubscribe);

    // Invited once: a second campaign to the same survey invites nobody again.
    let (status, again) = invite(&server, "feedback", json!(["ada", "ben"])).await;
    assert_eq!(status, 200, "{again}");
    assert_eq!(again["sent"], 0);
    assert_eq!(again["skipped"]["already_invited"], 2);
    assert_eq!(sink.messages().len(), 2);

    // The API client: one response per token, then 409; an unknown token is 404.
    let (status, receipt) = answer(&server, "feedback", &ada_token, 9).await;
    assert_eq!(status, 201, "{receipt}");
    let (status, refused) = answer(&server, "feedback", &ada_token, 3).await;
    assert_eq!(status, 409, "{refused}");
    assert_eq!(refused["error"], "already_answered");
    let (status, _) = answer(&server, "feedback", &"0".repeat(64), 3).await;
    assert_eq!(status, 404);
    let (status, _) = answer(&server, "feedback", "short", 3).await;
    assert_eq!(status, 404);

    // The browser: the link opens the survey with the token carried in the page.
    let (status, page) = common::survey::get(
        &server.http,
        &server.url(&format!("/s/feedback?t={ben_token}")),
    )
    .await;
    assert_eq!(status, 200, "{page}");
    assert_eq!(token_of(&page).as_deref(), Some(ben_token.as_str()));
    let (each, _) = statuses(&server, "feedback").await;
    assert_eq!(each["ben"], "opened");
    let pages = answer_pages(
        &server,
        "feedback",
        page,
        &ben_token,
        &[("q.nps", "6"), ("q.why", "Too expensive for us")],
    )
    .await;
    assert!(pages >= 1);
    // Answered: the link now says so, on the page and in the API.
    let (status, page) = common::survey::get(
        &server.http,
        &server.url(&format!("/s/feedback?t={ben_token}")),
    )
    .await;
    assert_eq!(status, 409, "{page}");
    assert!(page.contains("This invitation has been answered"), "{page}");
    let (status, _) = answer(&server, "feedback", &ben_token, 5).await;
    assert_eq!(status, 409);
    let (status, page) = common::survey::get(
        &server.http,
        &server.url(&format!("/s/feedback?t={}", "a".repeat(64))),
    )
    .await;
    assert_eq!(status, 404, "{page}");

    // Both responses are linked to their contacts: segments by CRM plan, each of n 1.
    let by_plan = report(&server, "by-plan").await;
    let segments: BTreeMap<String, u64> = by_plan["segments"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            (
                s["name"].as_str().unwrap().to_string(),
                s["n"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        segments,
        BTreeMap::from([("Free".into(), 1), ("Pro".into(), 1)]),
        "{by_plan}"
    );

    let (each, counts) = statuses(&server, "feedback").await;
    assert_eq!(
        each,
        BTreeMap::from([
            ("ada".into(), "completed".into()),
            ("ben".into(), "completed".into())
        ])
    );
    assert_eq!(counts["completed"], 2, "{counts}");
    assert_eq!(counts["sent"], 0, "{counts}");

    // Erasing a contact takes their invitation, and their link stops working.
    let erased = server
        .http
        .delete(server.url("/api/contacts/ada"))
        .bearer_auth(RESEARCHER)
        .send()
        .await
        .unwrap();
    assert_eq!(erased.status(), 204);
    let (each, _) = statuses(&server, "feedback").await;
    assert!(!each.contains_key("ada"), "{each:?}");
    let (status, _) = common::survey::get(
        &server.http,
        &server.url(&format!("/s/feedback?t={ada_token}")),
    )
    .await;
    assert_eq!(status, 404);
    server.stop().await;
}

#[tokio::test]
async fn the_token_travels_through_every_page_and_links_the_response() {
    let sink = SmtpSink::start();
    let server = server(&sink).await;
    import(
        &server,
        "customer_id,email,plan\nfay,fay@example.com,Team\n",
    )
    .await;
    let (status, body) = invite(&server, "weekly", json!({"where": {"plan": "Team"}})).await;
    assert_eq!((status, body["sent"].clone()), (200, json!(1)), "{body}");
    let mails = by_recipient(&sink.wait_for(1, Duration::from_secs(10)).await);
    let token = survey_token(&mails["fay@example.com"][0], "weekly");

    let url = server.url(&format!("/s/weekly?t={token}"));
    let (_, page) = common::survey::get(&server.http, &url).await;
    let answers = [
        ("q.size", "Small"),
        ("q.nps", "8"),
        ("q.story", "Mostly calendar"),
        ("q.hours", "3"),
        ("q.mood", "Ready"),
        ("q.wish", "Less of it"),
        ("q.region", "Europe"),
    ];
    let pages = answer_pages(&server, "weekly", page, &token, &answers).await;
    assert!(pages > 1, "the form has several pages");
    // The response names its contact: the CSV's contact columns come from the CRM.
    let csv = server
        .get_as("/api/forms/weekly/responses.csv", RESEARCHER)
        .await
        .bytes()
        .await
        .unwrap();
    let (header, rows) = common::parse_csv(&csv);
    assert!(header.contains(&"contact.plan".to_string()), "{header:?}");
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0]["contact.plan"], "Team");
    let (each, _) = statuses(&server, "weekly").await;
    assert_eq!(each["fay"], "completed");
    server.stop().await;
}

#[tokio::test]
async fn reminders_skip_completed_and_unsubscribed_contacts() {
    let sink = SmtpSink::start();
    let server = server(&sink).await;
    import(
        &server,
        "customer_id,email,plan\nada,ada@example.com,Pro\nben,ben@example.com,Free\ncy,cy@example.com,Pro\n",
    )
    .await;
    let (_, body) = invite(&server, "feedback", json!("all")).await;
    assert_eq!(body["sent"], 3, "{body}");
    let mails = by_recipient(&sink.wait_for(3, Duration::from_secs(10)).await);
    let (status, _) = answer(
        &server,
        "feedback",
        &survey_token(&mails["ada@example.com"][0], "feedback"),
        10,
    )
    .await;
    assert_eq!(status, 201);

    // Ben unsubscribes: the link's page changes nothing until its button is pressed.
    let ben_unsubscribe = unsubscribe_token(&mails["ben@example.com"][0]);
    let (status, page) =
        common::survey::get(&server.http, &server.url(&format!("/u/{ben_unsubscribe}"))).await;
    assert_eq!(status, 200, "{page}");
    assert!(page.contains("method=\"post\""), "{page}");
    let (each, _) = statuses(&server, "feedback").await;
    assert_eq!(each["ben"], "sent");
    // What a mail client's one-click unsubscribe sends (RFC 8058).
    let response = server
        .http
        .post(server.url(&format!("/u/{ben_unsubscribe}")))
        .header("content-type", "application/x-www-form-urlencoded")
        .body("List-Unsubscribe=One-Click")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let (status, _) =
        common::survey::get(&server.http, &server.url(&format!("/u/{}", "b".repeat(64)))).await;
    assert_eq!(status, 404);

    // Nobody is due within the hour; past a second, only Cy is.
    let (status, early) = post(
        &server,
        "/api/forms/feedback/invitations/remind",
        json!({"older_than": "1h"}),
    )
    .await;
    assert_eq!(status, 200, "{early}");
    assert_eq!(early["sent"], 0, "{early}");
    assert_eq!(
        early["skipped"],
        json!({"completed": 1, "unsubscribed": 1, "recent": 1})
    );
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let (status, reminded) = post(
        &server,
        "/api/forms/feedback/invitations/remind",
        json!({"older_than": "1s"}),
    )
    .await;
    assert_eq!(status, 200, "{reminded}");
    assert_eq!(reminded["sent"], 1, "{reminded}");
    assert_eq!(
        reminded["skipped"],
        json!({"completed": 1, "unsubscribed": 1, "recent": 0})
    );
    let all = by_recipient(&sink.wait_for(4, Duration::from_secs(10)).await);
    assert_eq!(
        all["cy@example.com"].len(),
        2,
        "an invitation and a reminder"
    );
    assert_eq!(all["ada@example.com"].len(), 1);
    assert_eq!(all["ben@example.com"].len(), 1);
    let reminder = &all["cy@example.com"][1];
    assert_eq!(reminder.subject, "Reminder: Two minutes about your plan?");
    // The reminder's own link works, and answering through it completes Cy's invitation.
    let (status, _) = answer(&server, "feedback", &survey_token(reminder, "feedback"), 7).await;
    assert_eq!(status, 201);
    let (status, _) = answer(
        &server,
        "feedback",
        &survey_token(&all["cy@example.com"][0], "feedback"),
        7,
    )
    .await;
    assert_eq!(
        status, 409,
        "one response per contact, whichever of their links"
    );

    // An unsubscribed contact is never invited again, to any survey.
    let (_, weekly) = invite(&server, "weekly", json!("all")).await;
    assert_eq!(weekly["sent"], 2, "{weekly}");
    assert_eq!(weekly["skipped"]["unsubscribed"], 1, "{weekly}");

    let (each, counts) = statuses(&server, "feedback").await;
    assert_eq!(each["ada"], "completed");
    assert_eq!(each["ben"], "unsubscribed");
    assert_eq!(each["cy"], "completed");
    assert_eq!(counts["unsubscribed"], 1);
    server.stop().await;
}

#[tokio::test]
async fn bad_requests_get_clear_errors_and_send_nothing() {
    let sink = SmtpSink::start();
    let server = server(&sink).await;
    import(&server, CONTACTS).await;
    for (contacts, field) in [
        (json!("some"), "contacts"),
        (json!([]), "contacts"),
        (json!({"where": {"plan": 3}}), "contacts"),
        (json!(["ada", "nobody"]), "contacts"),
    ] {
        let (status, body) = invite(&server, "feedback", contacts.clone()).await;
        assert_eq!(status, 422, "{contacts}: {body}");
        assert!(body["fields"][field].is_string(), "{body}");
    }
    let (_, body) = invite(&server, "feedback", json!(["ada", "nobody"])).await;
    assert!(
        body["fields"]["contacts"]
            .as_str()
            .unwrap()
            .contains("nobody"),
        "{body}"
    );
    let (status, body) = post(
        &server,
        "/api/forms/feedback/invitations",
        json!({"contacts": "all", "subject": "  ", "message": "Hi"}),
    )
    .await;
    assert_eq!(status, 422, "{body}");
    assert!(body["fields"]["subject"].is_string(), "{body}");
    let (status, _) = invite(&server, "no-such-form", json!("all")).await;
    assert_eq!(status, 404);
    let (status, body) = post(
        &server,
        "/api/forms/feedback/invitations/remind",
        json!({"older_than": "soon"}),
    )
    .await;
    assert_eq!(status, 422, "{body}");
    let anonymous = server
        .http
        .post(server.url("/api/forms/feedback/invitations"))
        .json(&json!({"contacts": "all", "subject": "a", "message": "b"}))
        .send()
        .await
        .unwrap();
    assert_eq!(anonymous.status(), 401);
    assert!(sink.messages().is_empty(), "nothing was sent");
    server.stop().await;
}

/// How many of `n` contacts the kill test invites (more with FIELDNOTES_INVITE_CONTACTS).
fn campaign_size() -> usize {
    std::env::var("FIELDNOTES_INVITE_CONTACTS")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(300)
}

#[tokio::test]
async fn a_campaign_killed_mid_send_finishes_after_restart_without_sending_twice() {
    let sink = SmtpSink::start();
    let data = tempfile::tempdir().unwrap();
    let n = campaign_size();
    // The message after the first tenth is held at the SMTP server while the sender is
    // killed: it is mid-send, and may or may not count as delivered.
    sink.stall_after(n / 10, Duration::from_secs(3));
    let env = [
        ("FIELDNOTES_SMTP_URL", sink.url()),
        ("FIELDNOTES_MAIL_FROM", FROM.to_string()),
        ("FIELDNOTES_PUBLIC_URL", PUBLIC_URL.to_string()),
    ];
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let port = free_port();
    let first = ServerProcess::start_with_env(data.path(), &forms(), &reports(), port, &env, None);
    let http = reqwest::Client::new();
    let mut csv = String::from("customer_id,email\n");
    for i in 0..n {
        csv.push_str(&format!("c{i:04},c{i:04}@example.com\n"));
    }
    let imported = http
        .post(format!("{}/api/contacts", first.base))
        .bearer_auth(RESEARCHER)
        .header("content-type", "text/csv")
        .body(csv)
        .send()
        .await
        .unwrap();
    assert_eq!(imported.status(), 200);
    let base = first.base.clone();
    let campaign = tokio::spawn(async move {
        reqwest::Client::new()
            .post(format!("{base}/api/forms/feedback/invitations"))
            .bearer_auth(RESEARCHER)
            .json(&json!({"contacts": "all", "subject": "Hello", "message": "A short survey"}))
            .send()
            .await
    });
    let deadline = Instant::now() + Duration::from_secs(60);
    while !sink.stalling() {
        assert!(
            Instant::now() < deadline,
            "the campaign did not start sending"
        );
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    first.kill();
    let _ = campaign.await;
    // The held message arrives after all (the server had it whole): it left, though its
    // sender never heard so.
    tokio::time::sleep(Duration::from_secs(4)).await;
    let at_kill = sink.messages().len();
    assert_eq!(at_kill, n / 10 + 1);
    assert!(
        at_kill < n,
        "killed before the campaign ended ({at_kill} of {n} sent)"
    );

    let second = ServerProcess::start_with_env(data.path(), &forms(), &reports(), port, &env, None);
    // The restarted server carries on by itself, without being asked again.
    let deadline = Instant::now() + Duration::from_secs(120);
    let listing = loop {
        let listing: Value = http
            .get(format!(
                "{}/api/forms/feedback/invitations?limit=1000",
                second.base
            ))
            .bearer_auth(RESEARCHER)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let queued = listing["counts"]["queued"].as_u64().unwrap_or(0);
        if queued == 0 {
            break listing;
        }
        assert!(
            Instant::now() < deadline,
            "the campaign did not finish: {}",
            listing["counts"]
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    let received = sink.messages();
    let mut per_address: HashMap<String, usize> = HashMap::new();
    for message in &received {
        for to in &message.to {
            *per_address.entry(to.clone()).or_default() += 1;
        }
    }
    let twice: Vec<_> = per_address.iter().filter(|(_, n)| **n > 1).collect();
    assert!(twice.is_empty(), "invited twice: {twice:?}");
    let failed: Vec<String> = listing["invitations"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|i| i["status"] == "failed")
        .map(|i| i["contact"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(listing["total"], n, "{}", listing["counts"]);
    for i in 0..n {
        let key = format!("c{i:04}");
        let address = format!("c{i:04}@example.com");
        assert!(
            per_address.contains_key(&address) || failed.contains(&key),
            "{key} got no message and is not listed failed"
        );
    }
    assert!(
        received.len() > at_kill,
        "the restarted server sent the rest"
    );
    // The one message under way at the kill is marked failed, not sent again; its contact
    // got it once.
    assert_eq!(failed.len(), 1, "failed: {failed:?}");
    let interrupted = &failed[0];
    assert!(
        per_address.contains_key(&format!("{interrupted}@example.com")),
        "{interrupted}"
    );
    eprintln!(
        "{n} contacts: {at_kill} sent before the kill, {} after, {} marked failed",
        received.len() - at_kill,
        failed.len()
    );
    second.kill();
}
