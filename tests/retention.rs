//! `retain_days`: a server started on a store holding responses older than their survey keeps
//! erases them at start, as their respondents would, and then answers its report, themes and
//! profile cards exactly as a server on a store that never had them. The old responses are
//! written through the store API with their old times (a submission is always "now").

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::cast_possible_truncation
)]

mod common;

use std::collections::BTreeMap;
use std::path::Path;
use std::time::{Duration, Instant};

use chrono::{DateTime, TimeDelta, Utc};
use common::backup::{assert_same_answers, reads};
use common::{RESEARCHER, ServerProcess, free_port, parse_csv, repo_path};
use fieldnotes::store::StoredResponse;
use serde_json::json;
use uuid::{NoContext, Timestamp, Uuid};

fn forms() -> std::path::PathBuf {
    repo_path("tests/fixtures/retention/forms")
}

fn reports() -> std::path::PathBuf {
    repo_path("tests/fixtures/retention/reports")
}

/// A response as `form` would have stored it at `at`, its id of that time too.
struct Row {
    id: Uuid,
    form: &'static str,
    at: DateTime<Utc>,
    answers: serde_json::Value,
}

impl Row {
    fn new(form: &'static str, at: DateTime<Utc>, answers: serde_json::Value) -> Row {
        let nanos = at.timestamp_subsec_nanos();
        let seconds = u64::try_from(at.timestamp()).unwrap();
        let id = Uuid::new_v7(Timestamp::from_unix(NoContext, seconds, nanos));
        Row {
            id,
            form,
            at,
            answers,
        }
    }

    fn response(&self, revision: &str) -> StoredResponse {
        let answers: BTreeMap<String, serde_json::Value> =
            serde_json::from_value(self.answers.clone()).unwrap();
        StoredResponse {
            id: self.id,
            form: self.form.into(),
            form_revision: revision.into(),
            submitted_at: self.at.to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
            hidden: BTreeMap::new(),
            answers,
            receipt_sha256: String::new(),
            consent: None,
            quotas: Vec::new(),
            order: Default::default(),
            language: None,
            contact: None,
        }
    }
}

fn kept(at: DateTime<Utc>, size: &str, why: &str, nps: i64, pmf: &str) -> Row {
    Row::new(
        "kept",
        at,
        json!({"size": size, "why": why, "nps": nps, "pmf": pmf}),
    )
}

/// Writes the rows into a new store in `data`, as a server would have (the aggregates are
/// left for the server to build when it starts).
fn write(data: &Path, rows: &[&Row]) {
    let catalog = fieldnotes::form::load_dir(&forms()).unwrap();
    std::fs::create_dir_all(data).unwrap();
    // On a thread of its own: a store may block, which the test's runtime refuses.
    std::thread::scope(|scope| {
        scope.spawn(|| {
            let store = common::postgres::open_store(data);
            for row in rows {
                let form = catalog.get(row.form).unwrap();
                store
                    .insert_response(&row.response(&form.revision), &form, &[], &[])
                    .unwrap();
            }
        });
    });
}

const PATHS: [&str; 8] = [
    "/api/reports/kept",
    "/api/reports/kept/profiles",
    "/api/reports/kept/themes.csv",
    "/api/reports/kept/segments.csv",
    "/api/reports/kept/themes/Price",
    "/api/reports/kept/themes/Speed",
    "/api/forms/kept/responses.csv",
    "/api/forms/forever/responses.csv",
];

async fn rows_of(http: &reqwest::Client, base: &str, form: &str) -> usize {
    let csv = http
        .get(format!("{base}/api/forms/{form}/responses.csv"))
        .bearer_auth(RESEARCHER)
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    parse_csv(&csv).1.len()
}

#[tokio::test]
async fn responses_past_retain_days_are_erased_at_start_and_leave_no_trace() {
    let now = Utc::now();
    let days = |n: i64| now - TimeDelta::days(n) - TimeDelta::minutes(n);
    let (very, somewhat, not) = (
        "Very disappointed",
        "Somewhat disappointed",
        "Not disappointed",
    );
    let young = [
        kept(days(1), "Agency", "The price doubled", 9, very),
        kept(days(2), "Agency", "Setup took hours", 10, very),
        kept(days(3), "Agency", "", 6, not),
        kept(days(5), "In-house", "too expensive", 7, somewhat),
        kept(days(29), "In-house", "slow exports", 3, very),
    ];
    let old = [
        // An older first response, texts of both themes, a whole day of loyalty counts and
        // the only detractors of a segment: each would show if it were left anywhere.
        kept(days(31), "Agency", "price, price and the cost", 0, not),
        kept(days(40), "In-house", "hours lost, too slow", 1, not),
        kept(days(40), "In-house", "expensive", 2, very),
        kept(days(400), "Agency", "slow", 10, somewhat),
    ];
    let forever = Row::new("forever", days(4000), json!({"comment": "kept for good"}));
    let root = tempfile::tempdir().unwrap();
    let (with_old, without) = (root.path().join("with-old"), root.path().join("without"));
    let every: Vec<&Row> = young.iter().chain(&old).chain([&forever]).collect();
    write(&with_old, &every);
    let never: Vec<&Row> = young.iter().chain([&forever]).collect();
    write(&without, &never);

    let log = root.path().join("server.log");
    let erasing = ServerProcess::start_with_env(
        &with_old,
        &forms(),
        &reports(),
        free_port(),
        &[],
        Some(&log),
    );
    let clean = ServerProcess::start_with_reports(&without, &forms(), &reports(), free_port());
    let http = reqwest::Client::new();
    let deadline = Instant::now() + Duration::from_secs(20);
    while rows_of(&http, &erasing.base, "kept").await != young.len() {
        assert!(
            Instant::now() < deadline,
            "the old responses are still there"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let paths: Vec<String> = PATHS.map(str::to_string).to_vec();
    let expected = reads(&http, &clean.base, &paths).await;
    let got = reads(&http, &erasing.base, &paths).await;
    assert_same_answers(&expected, &got);
    assert_eq!(rows_of(&http, &erasing.base, "forever").await, 1);
    let report: serde_json::Value = serde_json::from_slice(&got["/api/reports/kept"]).unwrap();
    assert_eq!(report["responses"], young.len(), "{report}");

    let logged = std::fs::read_to_string(&log).unwrap();
    assert!(
        logged.contains("retain_days: erased 4 response(s)"),
        "the log says how many: {logged}"
    );
}

#[test]
fn check_refuses_a_retain_days_that_is_not_a_whole_number_of_days() {
    let forms = tempfile::tempdir().unwrap();
    let survey = std::fs::read_to_string(repo_path("tests/fixtures/retention/forms/forever.toml"))
        .unwrap()
        .replace("id = \"forever\"", "");
    for (name, value) in [("zero", "0"), ("negative", "-7"), ("fraction", "1.5")] {
        let text = format!("id = \"{name}\"\nretain_days = {value}\n{survey}");
        std::fs::write(forms.path().join(format!("{name}.toml")), text).unwrap();
    }
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_fieldnotes"))
        .arg("check")
        .arg("--forms")
        .arg(forms.path())
        .arg("--reports")
        .arg(repo_path("tests/fixtures/no-reports"))
        .output()
        .unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    let file = |name: &str| {
        forms
            .path()
            .join(format!("{name}.toml"))
            .display()
            .to_string()
    };
    for expected in [
        format!("{}: retain_days must be at least 1, not 0", file("zero")),
        format!(
            "{}: retain_days must be at least 1, not -7",
            file("negative")
        ),
        format!(
            "{}: retain_days must be a whole number of days (such as 365), not 1.5",
            file("fraction")
        ),
    ] {
        assert!(stderr.contains(&expected), "{expected}\nin:\n{stderr}");
    }
}
