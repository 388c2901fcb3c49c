//! `fieldnotes migrate` from sled to a real PostgreSQL (`scripts/test` starts a throwaway
//! one), and a backup of PostgreSQL restored into another: the servers on each store must
//! answer the same report JSON, cards, theme counts and CSV bytes as the sled server the
//! records came from.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::cast_possible_truncation
)]

mod common;

use std::path::Path;
use std::process::{Command, Output};

use common::postgres::fresh_database;
use common::profiles::{REPORT, ROWS, forms, reports, submit_rows};
use common::{RESEARCHER, ServerProcess, free_port};

fn fieldnotes(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_fieldnotes"))
        .args(args)
        .env_remove("FIELDNOTES_STORE")
        .env_remove("FIELDNOTES_DATA")
        .output()
        .expect("the binary runs")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn server_on(data: &Path, store: Option<&str>) -> ServerProcess {
    let env: Vec<(&str, &str)> = store
        .map(|url| ("FIELDNOTES_STORE", url))
        .into_iter()
        .collect();
    ServerProcess::start_with_env(data, &forms(), &reports(), free_port(), &env, None)
}

const OUTPUTS: [&str; 5] = [
    "/api/reports/profiles-panel",
    "/api/reports/profiles-panel/profiles",
    "/api/reports/profiles-panel/themes.csv",
    "/api/reports/profiles-panel/segments.csv",
    "/api/forms/profiles-panel/responses.csv?pii=1",
];

/// What a server answers on every output, as bytes.
async fn outputs(server: &ServerProcess) -> Vec<(String, Vec<u8>)> {
    let http = reqwest::Client::new();
    let mut all = Vec::new();
    for path in OUTPUTS {
        // A store just filled rebuilds its aggregates first (503 meanwhile).
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
        loop {
            let response = http
                .get(format!("{}{path}", server.base))
                .bearer_auth(RESEARCHER)
                .send()
                .await
                .unwrap();
            if response.status() == 503 && std::time::Instant::now() < deadline {
                tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                continue;
            }
            assert_eq!(response.status(), 200, "{path}");
            let mut bytes = response.bytes().await.unwrap().to_vec();
            // When the cards were drafted is the second of the request, not a figure.
            if let Ok(mut json) = serde_json::from_slice::<serde_json::Value>(&bytes)
                && let Some(object) = json.as_object_mut()
            {
                object.remove("drafted_at");
                bytes = serde_json::to_vec(&json).unwrap();
            }
            all.push((path.to_string(), bytes));
            break;
        }
    }
    all
}

fn assert_same(expected: &[(String, Vec<u8>)], found: &[(String, Vec<u8>)], what: &str) {
    for ((path, a), (_, b)) in expected.iter().zip(found) {
        assert!(
            a == b,
            "{what}: {path} differs:\n{}\n---\n{}",
            text(a),
            text(b)
        );
    }
}

#[tokio::test]
async fn migrate_to_postgres_then_backup_and_restore_keep_every_figure() {
    let sled_data = tempfile::tempdir().unwrap();
    let server = server_on(sled_data.path(), None);
    let http = reqwest::Client::new();
    let rows: Vec<_> = ROWS.iter().collect();
    submit_rows(&http, &server.base, &rows).await;
    let contacts = http
        .post(format!("{}/api/contacts", server.base))
        .bearer_auth(RESEARCHER)
        .header("Content-Type", "text/csv")
        .body("customer_id,plan,email\nc1,Pro,a@example.com\nc2,Free,\n")
        .send()
        .await
        .unwrap();
    assert_eq!(contacts.status(), 200);
    let label = http
        .put(format!(
            "{}/api/reports/{REPORT}/profiles/{}",
            server.base,
            common::profiles::seg(common::profiles::AGENCY)
        ))
        .bearer_auth(RESEARCHER)
        .json(&serde_json::json!({"label": "Agencies that report weekly", "notes": "From the migration test"}))
        .send()
        .await
        .unwrap();
    assert!(label.status().is_success(), "{}", label.status());
    let expected = outputs(&server).await;
    server.kill();

    // sled into an empty PostgreSQL database.
    let postgres = fresh_database();
    let from = format!("sled:{}", sled_data.path().join("db").display());
    let (forms_dir, reports_dir) = (forms(), reports());
    let dirs = [
        "--forms",
        forms_dir.to_str().unwrap(),
        "--reports",
        reports_dir.to_str().unwrap(),
    ];
    let mut args = vec!["migrate", "--from", &from, "--to", &postgres];
    args.extend(dirs);
    let out = fieldnotes(&args);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let said = text(&out.stdout);
    assert!(said.contains(&format!("{} response", ROWS.len())), "{said}");
    assert!(
        said.contains("2 contact") && said.contains("the counts match"),
        "{said}"
    );

    // A second migration into the same database would overwrite: refused, nothing changed.
    let again = fieldnotes(&args);
    assert!(!again.status.success());
    assert!(
        text(&again.stderr).contains("already holds records"),
        "{}",
        text(&again.stderr)
    );

    let pg_data = tempfile::tempdir().unwrap();
    let on_postgres = server_on(pg_data.path(), Some(&postgres));
    assert_same(&expected, &outputs(&on_postgres).await, "after migrate");

    // A backup of the PostgreSQL store, taken while its server runs, into another database.
    let backup = pg_data.path().join("all.jsonl.gz");
    let out = fieldnotes(&["backup", backup.to_str().unwrap(), "--store", &postgres]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    on_postgres.kill();
    let restored = fresh_database();
    let out = fieldnotes(&["restore", backup.to_str().unwrap(), "--store", &restored]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(text(&out.stdout).contains(&format!("{} response", ROWS.len())));
    let refused = fieldnotes(&["restore", backup.to_str().unwrap(), "--store", &restored]);
    assert!(
        !refused.status.success(),
        "a second restore overwrites nothing"
    );
    let restored_data = tempfile::tempdir().unwrap();
    let on_restored = server_on(restored_data.path(), Some(&restored));
    let found = outputs(&on_restored).await;
    assert_same(&expected, &found, "after restore");
}

/// Webhook messages still waiting (their endpoint was down) move with the store: the server
/// on PostgreSQL delivers each of them once, with the id it had on sled.
#[tokio::test]
async fn queued_webhook_messages_are_delivered_once_after_a_migration() {
    use common::webhooks::{PLAIN, PLAIN_VAR, Receiver, SECRET, SECRET_VAR, forms_for};
    let receiver = Receiver::start().await;
    receiver.refuse_all(true);
    let forms = forms_for(&receiver);
    let reports = common::repo_path("tests/fixtures/no-reports");
    let env = [
        (SECRET_VAR, SECRET),
        (PLAIN_VAR, PLAIN),
        ("FIELDNOTES_WEBHOOK_RETRY_MS", "50"),
    ];
    let sled_data = tempfile::tempdir().unwrap();
    let start = |data: &Path, store: Option<&str>| {
        let mut env: Vec<(&str, &str)> = env.to_vec();
        env.extend(store.map(|url| ("FIELDNOTES_STORE", url)));
        ServerProcess::start_with_env(data, forms.path(), &reports, free_port(), &env, None)
    };
    let server = start(sled_data.path(), None);
    for plan in ["Free", "Team", "Enterprise"] {
        common::webhooks::submit(&server.base, serde_json::json!({"plan": plan})).await;
    }
    // The endpoint's queue is delivered in order: its first message tried, and refused.
    let tried = || -> std::collections::BTreeSet<String> {
        receiver
            .received()
            .iter()
            .filter(|r| r.path == "/standard")
            .map(|r| r.header("webhook-id").to_string())
            .collect()
    };
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    while tried().is_empty() {
        assert!(std::time::Instant::now() < deadline, "no attempts came");
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    server.kill();
    let tried = tried();

    let postgres = fresh_database();
    let from = format!("sled:{}", sled_data.path().join("db").display());
    let out = fieldnotes(&[
        "migrate",
        "--from",
        &from,
        "--to",
        &postgres,
        "--forms",
        forms.path().to_str().unwrap(),
        "--reports",
        reports.to_str().unwrap(),
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));

    receiver.refuse_all(false);
    let pg_data = tempfile::tempdir().unwrap();
    let server = start(pg_data.path(), Some(&postgres));
    receiver
        .wait_delivered("/standard", 3, std::time::Duration::from_secs(30))
        .await;
    // Time for a second delivery to show, were there one.
    tokio::time::sleep(std::time::Duration::from_millis(1500)).await;
    let delivered: Vec<String> = receiver
        .delivered("/standard")
        .iter()
        .map(|r| r.header("webhook-id").to_string())
        .collect();
    let unique: std::collections::BTreeSet<String> = delivered.iter().cloned().collect();
    assert_eq!(delivered.len(), 3, "each once: {delivered:?}");
    assert_eq!(unique.len(), 3, "{delivered:?}");
    assert!(
        tried.is_subset(&unique),
        "the same messages, by id: {tried:?} in {unique:?}"
    );
    server.kill();
}
