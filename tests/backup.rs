//! Backups and restores with the real `fieldnotes` binary: a store filled over HTTP (two
//! surveys, an erasure, an interview with edited and deleted notes, the team's words on a
//! card, a summary schedule, a browser login, contacts, a support ticket, an invitation
//! campaign with an unsubscribe) is backed up while the server runs (the route, and the
//! command through it) and once it has stopped; each backup holds the same records; a restore
//! into an empty directory gives back every record byte for byte, and a server on it answers
//! every read as the original did. A restore into a directory in use is refused and changes
//! nothing. The same store migrated to PostgreSQL answers alike too.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::cast_possible_truncation
)]

mod common;

use std::collections::BTreeMap;
use std::io::Read;
use std::path::Path;
use std::process::{Command, Output};
use std::time::{Duration, Instant};

use common::backup::{assert_same_answers, reads, stored};
use common::interviews::call;
use common::profiles::get_ready;
use common::{INTERVIEWER, RESEARCHER, ServerProcess, free_port, login_cookie, repo_path};
use reqwest::{Client, Method};
use serde_json::{Value, json};

fn forms() -> std::path::PathBuf {
    repo_path("tests/fixtures/backup/forms")
}

fn reports() -> std::path::PathBuf {
    repo_path("tests/fixtures/backup/reports")
}

fn start(data: &Path, port: u16) -> ServerProcess {
    ServerProcess::start_with_reports(data, &forms(), &reports(), port)
}

fn fieldnotes(args: &[&str], env: &[(&str, &str)]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_fieldnotes"))
        .args(args)
        .env_remove("FIELDNOTES_DATA")
        .env_remove("FIELDNOTES_ADDR")
        .env_remove("FIELDNOTES_RESEARCHER_TOKEN")
        .envs(env.iter().copied())
        .output()
        .expect("the binary runs")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn path(p: &Path) -> &str {
    p.to_str().expect("a UTF-8 path")
}

/// SIGTERM, and the graceful exit it brings.
async fn stop(mut server: ServerProcess) {
    let id = server.child.id().to_string();
    assert!(
        Command::new("kill")
            .args(["-TERM", &id])
            .status()
            .unwrap()
            .success()
    );
    let deadline = Instant::now() + Duration::from_secs(15);
    while server.child.try_wait().unwrap().is_none() {
        assert!(Instant::now() < deadline, "the server did not stop");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

async fn send(http: &Client, method: Method, url: &str, token: Option<&str>, body: Value) -> Value {
    let body = (!body.is_null()).then_some(body);
    let (status, answer) = call(http, method.clone(), url, token, body).await;
    assert!(status.is_success(), "{method} {url}: {status} {answer}");
    answer
}

/// Fills the store the way people do; returns the interview id.
async fn fill(http: &Client, base: &str, data: &Path) -> String {
    let rows = [
        ("Agency", "The price doubled", 9, "Very disappointed"),
        ("Agency", "Setup took hours", 10, "Very disappointed"),
        (
            "Agency",
            "Too expensive — «vraiment»",
            6,
            "Not disappointed",
        ),
        (
            "In-house",
            "We needed faster reports",
            7,
            "Somewhat disappointed",
        ),
        ("In-house", "the cost", 3, "Very disappointed"),
        ("In-house", "slow exports", 8, "Not disappointed"),
    ];
    let mut ids = Vec::new();
    for (n, (size, why, nps, pmf)) in rows.iter().enumerate() {
        let body = json!({
            "answers": {"size": size, "goals": ["Save time"], "why": why, "nps": nps, "pmf": pmf,
                        "email": format!("p{n}@example.org")},
            "hidden": {"source": "newsletter"}
        });
        let url = format!("{base}/api/forms/panel/responses");
        ids.push(send(http, Method::POST, &url, None, body).await["id"].clone());
    }
    for (score, comment) in [(4, "fine"), (2, "=SUM(A1)"), (5, "")] {
        let body = json!({"answers": {"score": score, "comment": comment}});
        send(
            http,
            Method::POST,
            &format!("{base}/api/forms/pulse/responses"),
            None,
            body,
        )
        .await;
    }
    let erased = format!("{base}/api/responses/{}", ids[5].as_str().unwrap());
    send(http, Method::DELETE, &erased, Some(RESEARCHER), Value::Null).await;

    let started =
        json!({"guide": "switch", "participant": "P01", "attributes": {"size": "Agency"}});
    let interview = send(
        http,
        Method::POST,
        &format!("{base}/api/interviews"),
        Some(INTERVIEWER),
        started,
    )
    .await["id"]
        .as_str()
        .unwrap()
        .to_string();
    let notes = format!("{base}/api/interviews/{interview}/notes");
    for (text, kind) in [
        ("The price was what worried them", "quote"),
        ("Moved over a weekend", "note"),
        ("A slip of the tongue", "note"),
    ] {
        let note =
            json!({"text": text, "section": "deciding", "kind": kind, "forces": ["anxiety"]});
        send(http, Method::POST, &notes, Some(INTERVIEWER), note).await;
    }
    let edit = json!({"text": "Moved over a weekend, faster than they feared"});
    send(
        http,
        Method::PATCH,
        &format!("{notes}/2"),
        Some(INTERVIEWER),
        edit,
    )
    .await;
    send(
        http,
        Method::DELETE,
        &format!("{notes}/3"),
        Some(INTERVIEWER),
        Value::Null,
    )
    .await;
    let end = format!("{base}/api/interviews/{interview}/end");
    send(http, Method::POST, &end, Some(INTERVIEWER), Value::Null).await;

    let card = format!("{base}/api/reports/panel/profiles/Agency");
    get_ready(http, &format!("{base}/api/reports/panel"), RESEARCHER).await;
    let label = json!({"label": "Agencies", "notes": "Ask support first."});
    send(http, Method::PUT, &card, Some(RESEARCHER), label).await;
    let review =
        json!({"team": "support", "field": "objection", "verdict": "agrees", "comment": "yes"});
    send(
        http,
        Method::POST,
        &format!("{card}/reviews"),
        Some(INTERVIEWER),
        review,
    )
    .await;
    let today = chrono::Utc::now().format("%Y-%m-%d").to_string();
    let activation = json!({"kind": "sales", "title": "Agency deck", "started": today});
    send(
        http,
        Method::POST,
        &format!("{card}/activations"),
        Some(RESEARCHER),
        activation,
    )
    .await;
    evidence_beyond_surveys(http, base, &data.join("outbox")).await;
    interview
}

/// A CSV posted as a researcher; the answer must be 200.
async fn post_csv(http: &Client, url: &str, csv: &str) {
    let response = http
        .post(url)
        .bearer_auth(RESEARCHER)
        .header("content-type", "text/csv")
        .body(csv.to_string())
        .send()
        .await
        .unwrap();
    let status = response.status();
    assert_eq!(
        status,
        200,
        "POST {url}: {}",
        response.text().await.unwrap()
    );
}

/// Contacts (one column pii), a support ticket linked to one, and an invitation campaign to
/// both, sent through the outbox, which one of them unsubscribes from.
async fn evidence_beyond_surveys(http: &Client, base: &str, outbox: &Path) {
    post_csv(
        http,
        &format!("{base}/api/contacts?pii=name"),
        "customer_id,email,name,plan\nc1,ana@example.com,Ana,Pro\nc2,bo@example.com,Bo,Free\n",
    )
    .await;
    post_csv(
        http,
        &format!("{base}/api/reports/panel/sources/support/texts"),
        "id,text,customer_id\nt1,The price went up again,c1\nt2,Exports are slow,\n",
    )
    .await;
    let campaign = json!({"contacts": "all", "subject": "Two minutes?", "message": "Hello"});
    let invitations = format!("{base}/api/forms/panel/invitations");
    send(http, Method::POST, &invitations, Some(RESEARCHER), campaign).await;
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let listing = send(
            http,
            Method::GET,
            &invitations,
            Some(RESEARCHER),
            Value::Null,
        )
        .await;
        if listing["counts"]["sent"] == 2 {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the invitations were not sent: {listing}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let unsubscribe = invitation_token(outbox, "bo@example.com", "/u/");
    let response = http
        .post(format!("{base}/u/{unsubscribe}"))
        .send()
        .await
        .unwrap();
    assert!(response.status().is_success(), "{}", response.status());
}

/// The token after `prefix` in the text of the outbox message to `to`.
fn invitation_token(outbox: &Path, to: &str, prefix: &str) -> String {
    for entry in std::fs::read_dir(outbox).unwrap() {
        let raw = std::fs::read(entry.unwrap().path()).unwrap();
        let message = mail_parser::MessageParser::default().parse(&raw).unwrap();
        let addressed = message
            .to()
            .and_then(|a| a.first())
            .and_then(|a| a.address())
            == Some(to);
        if !addressed {
            continue;
        }
        let text = message.body_text(0).unwrap().into_owned();
        let start = text.find(prefix).unwrap() + prefix.len();
        return text[start..]
            .chars()
            .take_while(char::is_ascii_hexdigit)
            .collect();
    }
    panic!("no outbox message to {to}");
}

/// Every read a researcher makes of this dataset.
fn paths(interview: &str) -> Vec<String> {
    [
        "/api/forms/panel/responses.csv?pii=1",
        "/api/forms/panel/responses.jsonl?pii=1",
        "/api/forms/pulse/responses.csv",
        "/api/interviews",
        &format!("/api/interviews/{interview}"),
        "/api/forms/switch/notes.csv",
        "/api/reports/panel",
        "/api/reports/panel/profiles",
        "/api/reports/panel/themes.csv",
        "/api/reports/panel/segments.csv",
        "/api/reports/panel/themes/Price",
        "/api/contacts?pii=1",
        "/api/forms/panel/invitations",
    ]
    .map(str::to_string)
    .to_vec()
}

/// A backup file's record lines (its header, with its time, left out).
fn record_lines(file: &Path) -> Vec<String> {
    let mut text = String::new();
    flate2::read::GzDecoder::new(std::fs::File::open(file).unwrap())
        .read_to_string(&mut text)
        .unwrap();
    text.lines().skip(1).map(str::to_string).collect()
}

/// Every file under `dir` with its bytes.
fn contents(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    let mut files = BTreeMap::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let entry = entry.unwrap().path();
        if entry.is_dir() {
            files.extend(contents(&entry));
        } else {
            files.insert(entry.display().to_string(), std::fs::read(&entry).unwrap());
        }
    }
    files
}

#[tokio::test]
async fn a_restore_gives_back_everything_a_running_or_stopped_server_had() {
    let http = Client::builder().pool_max_idle_per_host(0).build().unwrap();
    let root = tempfile::tempdir().unwrap();
    let (original, restored) = (root.path().join("original"), root.path().join("restored"));
    let port = free_port();
    let server = start(&original, port);
    let interview = fill(&http, &server.base, &original).await;
    let cookie = login_cookie(&server.base, RESEARCHER).await;
    let before = reads(&http, &server.base, &paths(&interview)).await;

    // The route: researcher only.
    let backup = format!("{}/api/backup", server.base);
    let (status, body) = call(&http, Method::POST, &backup, None, None).await;
    assert_eq!(
        (status.as_u16(), body["error"].as_str()),
        (401, Some("unauthorized"))
    );
    let (status, body) = call(&http, Method::POST, &backup, Some(INTERVIEWER), None).await;
    assert_eq!(
        (status.as_u16(), body["error"].as_str()),
        (403, Some("forbidden"))
    );
    let response = http
        .post(&backup)
        .bearer_auth(RESEARCHER)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["content-type"], "application/gzip");
    let records: usize = response.headers()["x-backup-records"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    let from_route = root.path().join("route.jsonl.gz");
    std::fs::write(&from_route, response.bytes().await.unwrap()).unwrap();
    let lines = record_lines(&from_route);
    assert_eq!(lines.len(), records + 1, "the records and the end line");
    assert!(lines.last().unwrap().starts_with("{\"end\":"));

    // The command, while the server holds the store: it asks the server at FIELDNOTES_ADDR.
    let through_server = root.path().join("through-server.jsonl.gz");
    let addr = format!("127.0.0.1:{port}");
    let env = [
        ("FIELDNOTES_ADDR", addr.as_str()),
        ("FIELDNOTES_RESEARCHER_TOKEN", RESEARCHER),
    ];
    let out = fieldnotes(
        &["backup", path(&through_server), "--data", path(&original)],
        &env,
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(
        text(&out.stdout).contains("taken by the server at http://127.0.0.1"),
        "{}",
        text(&out.stdout)
    );
    assert_eq!(record_lines(&through_server), lines);
    // A wrong token is refused with what to do about it, and leaves no file.
    let refused = root.path().join("refused.jsonl.gz");
    let wrong = [
        ("FIELDNOTES_ADDR", addr.as_str()),
        ("FIELDNOTES_RESEARCHER_TOKEN", "wrong"),
    ];
    let out = fieldnotes(
        &["backup", path(&refused), "--data", path(&original)],
        &wrong,
    );
    assert!(!out.status.success());
    assert!(
        text(&out.stderr).contains("FIELDNOTES_RESEARCHER_TOKEN"),
        "{}",
        text(&out.stderr)
    );
    assert!(!refused.exists());
    stop(server).await;

    // Offline, once the server has stopped: the same records.
    let offline = root.path().join("offline.jsonl.gz");
    let out = fieldnotes(&["backup", path(&offline), "--data", path(&original)], &[]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(
        text(&out.stdout).starts_with(&format!("Backed up {records} records")),
        "{}",
        text(&out.stdout)
    );
    assert_eq!(record_lines(&offline), lines);

    // Not into a directory in use: refused, and nothing there changes.
    let untouched = contents(&original);
    let out = fieldnotes(
        &["restore", path(&from_route), "--data", path(&original)],
        &[],
    );
    assert!(!out.status.success());
    assert!(
        text(&out.stderr).contains("is not empty"),
        "{}",
        text(&out.stderr)
    );
    assert_eq!(contents(&original), untouched);

    let out = fieldnotes(
        &["restore", path(&from_route), "--data", path(&restored)],
        &[],
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(
        stored(&restored),
        stored(&original),
        "every record, byte for byte"
    );

    // A server on the restored store answers as the first did, aggregates rebuilt; the
    // browser login is still good.
    let server = start(&restored, free_port());
    let after = reads(&http, &server.base, &paths(&interview)).await;
    assert_same_answers(&before, &after);
    let report: Value = serde_json::from_slice(&after["/api/reports/panel"]).unwrap();
    assert_eq!(report["responses"], 5, "{report}");
    // The schedule came back rather than starting over (a new one would be due from now).
    assert!(report["email"]["next_due"].is_string(), "{report}");
    let with_cookie = http
        .get(format!("{}/api/reports", server.base))
        .header("cookie", cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(with_cookie.status(), 200);
    // The invitation links still lead to the survey: the token index came back too.
    assert_invitation_opens(&http, &server.base, &original.join("outbox")).await;
    stop(server).await;
}

/// Issue 10's migration check, on the fullest store the suite fills: every kind of record
/// this dataset holds reaches PostgreSQL, and a server there answers every read as the sled
/// server did.
#[tokio::test]
async fn a_store_with_every_kind_of_record_migrates_to_postgres_and_answers_alike() {
    let http = Client::builder().pool_max_idle_per_host(0).build().unwrap();
    let root = tempfile::tempdir().unwrap();
    let original = root.path().join("original");
    let server = start(&original, free_port());
    let interview = fill(&http, &server.base, &original).await;
    let before = reads(&http, &server.base, &paths(&interview)).await;
    stop(server).await;

    let postgres = common::postgres::fresh_database();
    let from = format!("sled:{}", original.join("db").display());
    let (forms, reports) = (forms(), reports());
    let out = fieldnotes(
        &[
            "migrate",
            "--from",
            &from,
            "--to",
            &postgres,
            "--forms",
            path(&forms),
            "--reports",
            path(&reports),
        ],
        &[],
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    let said = text(&out.stdout);
    for kind in [
        "response",
        "revision",
        "interview",
        "note",
        "interview_event",
        "card_notes",
        "mail_state",
        "contact",
        "pii_columns",
        "text",
        "invitation",
        "campaign",
        "unsubscribed",
    ] {
        assert!(
            said.contains(&format!(" {kind},")) || said.contains(&format!(" {kind})")),
            "{kind} in {said}"
        );
    }

    let on_postgres = root.path().join("on-postgres");
    let env = [("FIELDNOTES_STORE", postgres.as_str())];
    let server =
        ServerProcess::start_with_env(&on_postgres, &forms, &reports, free_port(), &env, None);
    let after = reads(&http, &server.base, &paths(&interview)).await;
    assert_same_answers(&before, &after);
    assert_invitation_opens(&http, &server.base, &original.join("outbox")).await;
    let opened = reads(&http, &server.base, &paths(&interview)).await;
    stop(server).await;

    // And a backup of PostgreSQL restored into another database gives the same again.
    let backup = root.path().join("postgres.jsonl.gz");
    let out = fieldnotes(&["backup", path(&backup), "--store", &postgres], &[]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let restored = common::postgres::fresh_database();
    let out = fieldnotes(&["restore", path(&backup), "--store", &restored], &[]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let env = [("FIELDNOTES_STORE", restored.as_str())];
    let on_restored = root.path().join("on-restored");
    let server =
        ServerProcess::start_with_env(&on_restored, &forms, &reports, free_port(), &env, None);
    assert_same_answers(
        &opened,
        &reads(&http, &server.base, &paths(&interview)).await,
    );
    stop(server).await;
}

#[test]
fn a_backup_names_what_is_missing_and_a_bad_file_restores_nothing() {
    let root = tempfile::tempdir().unwrap();
    let nowhere = root.path().join("nowhere");
    let out = fieldnotes(
        &[
            "backup",
            path(&root.path().join("b.gz")),
            "--data",
            path(&nowhere),
        ],
        &[],
    );
    assert!(!out.status.success());
    assert!(
        text(&out.stderr).contains("there is no store in"),
        "{}",
        text(&out.stderr)
    );
    assert!(!nowhere.exists(), "no store is made where there was none");

    let not_a_backup = root.path().join("responses.csv");
    std::fs::write(&not_a_backup, "response_id,nps\n").unwrap();
    let target = root.path().join("target");
    let out = fieldnotes(
        &["restore", path(&not_a_backup), "--data", path(&target)],
        &[],
    );
    assert!(!out.status.success());
    assert!(
        text(&out.stderr).contains("not a fieldnotes backup"),
        "{}",
        text(&out.stderr)
    );
    assert!(!target.exists(), "a refused restore leaves nothing behind");

    // A backup cut short: its end line missing. The empty directory stays empty.
    let whole = root.path().join("whole.gz");
    {
        let data = root.path().join("data");
        let port = free_port();
        drop(start(&data, port));
        let out = fieldnotes(&["backup", path(&whole), "--data", path(&data)], &[]);
        assert!(out.status.success(), "{}", text(&out.stderr));
    }
    let mut lines = String::new();
    flate2::read::GzDecoder::new(std::fs::File::open(&whole).unwrap())
        .read_to_string(&mut lines)
        .unwrap();
    let header = lines.lines().next().unwrap();
    let mut cut = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    std::io::Write::write_all(&mut cut, format!("{header}\n").as_bytes()).unwrap();
    let cut_file = root.path().join("cut.gz");
    std::fs::write(&cut_file, cut.finish().unwrap()).unwrap();
    let empty = tempfile::tempdir().unwrap();
    let out = fieldnotes(
        &["restore", path(&cut_file), "--data", path(empty.path())],
        &[],
    );
    assert!(!out.status.success());
    assert!(
        text(&out.stderr).contains("cut short"),
        "{}",
        text(&out.stderr)
    );
    assert_eq!(std::fs::read_dir(empty.path()).unwrap().count(), 0);
}

/// Ana's personal link, read from the outbox the campaign wrote to, opens the survey.
async fn assert_invitation_opens(http: &reqwest::Client, base: &str, outbox: &Path) {
    let link = invitation_token(outbox, "ana@example.com", "?t=");
    let survey = http
        .get(format!("{base}/s/panel?t={link}"))
        .send()
        .await
        .unwrap();
    assert_eq!(survey.status(), 200);
}
