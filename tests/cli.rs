//! The real `fieldnotes` binary: check, export, durability across SIGKILL, start-up errors.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::cast_possible_truncation
)]

mod common;

use std::path::Path;
use std::process::{Command, Output};

use common::{RESEARCHER, ServerProcess, fixture_forms, free_port, repo_path, shipped_forms};
use serde_json::{Value, json};

fn fieldnotes(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_fieldnotes"))
        .args(args)
        .env_remove("FIELDNOTES_DATA")
        .env_remove("FIELDNOTES_FORMS")
        .env_remove("FIELDNOTES_REPORTS")
        .output()
        .expect("the binary runs")
}

/// A reports directory that does not exist: no reports, for the fixture forms.
const NO_REPORTS: &str = "tests/fixtures/no-reports";

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn path_str(path: &Path) -> &str {
    path.to_str().expect("utf-8 path")
}

#[test]
fn check_passes_on_the_shipped_forms() {
    let out = fieldnotes(&["check", "--forms", path_str(&shipped_forms())]);
    assert!(
        out.status.success(),
        "{}{}",
        text(&out.stdout),
        text(&out.stderr)
    );
    assert_eq!(text(&out.stdout).trim(), "3 forms and 1 report OK");
}

#[test]
fn check_reports_every_problem_as_file_colon_problem() {
    let dir = repo_path("tests/fixtures/broken");
    let none = repo_path("tests/fixtures/no-reports");
    let out = fieldnotes(&[
        "check",
        "--forms",
        path_str(&dir),
        "--reports",
        path_str(&none),
    ]);
    assert!(!out.status.success());
    let stderr = text(&out.stderr);
    let file = |name: &str| dir.join(name).display().to_string();
    let expected = [
        format!("{}: duplicate question id 'size'", file("bank.toml")),
        format!(
            "{}: question 1: unknown `use` 'no_such_question' (no such question in bank.toml)",
            file("bad-questions.toml")
        ),
        format!(
            "{}: question 'pick': a single question needs options",
            file("bad-questions.toml")
        ),
        format!(
            "{}: question 'rate': min (5) must be less than max (1)",
            file("bad-questions.toml")
        ),
        format!(
            "{}: question 'huge': scale min and max must be between -1000000000 and 1000000000",
            file("bad-questions.toml")
        ),
        format!(
            "{}: duplicate question id 'pick'",
            file("bad-questions.toml")
        ),
        format!(
            "{}: question 'later': show_if \"future = 'x'\": 'future' is not a question that comes before this one",
            file("bad-questions.toml")
        ),
        format!(
            "{}: question 'garbled': show_if \"rate >=\" does not parse: expected a number or quoted string after 'rate' and its operator",
            file("bad-questions.toml")
        ),
        format!(
            "{}: line 4: unknown field `colour`, expected one of `id`, `kind`, `title`, `intro`, `thanks`, `status`, `hidden`, `questions`, `sections`, `webhooks`, `retain_days`, `partial_days`, `contact_key`, `consent`, `quotas`, `languages`, `translations`",
            file("unknown-key.toml")
        ),
    ];
    let lines: Vec<&str> = stderr.lines().collect();
    assert_eq!(
        lines,
        expected.iter().map(String::as_str).collect::<Vec<_>>()
    );
}

#[test]
fn check_reports_every_report_problem() {
    let forms = fixture_forms();
    let dir = repo_path("tests/fixtures/broken-reports");
    let out = fieldnotes(&[
        "check",
        "--forms",
        path_str(&forms),
        "--reports",
        path_str(&dir),
    ]);
    assert!(!out.status.success());
    let file = |name: &str| dir.join(name).display().to_string();
    let expected = [
        format!(
            "{}: [profiles] alpha must be above 0 and below 1, not 1.5",
            file("bad-cards.toml")
        ),
        format!(
            "{}: [profiles] stale_after = \"soon\" must be a duration such as \"90d\", \"12w\" or \"36h\"",
            file("bad-cards.toml")
        ),
        format!(
            "{}: [profiles] interviews_per_half_year must be a whole number from 0 to 1000, not -2",
            file("bad-cards.toml")
        ),
        format!(
            "{}: [icp] outcome 'ease' is a scale question: give `min` (answers at or above it count as success), not `success`",
            file("bad-cards.toml")
        ),
        format!("{}: unknown form 'no-such-form'", file("bad-refs.toml")),
        format!(
            "{}: 'all-types' in `interviews` is a survey, not an interview guide",
            file("bad-refs.toml")
        ),
        format!(
            "{}: unknown interview guide 'missing-guide'",
            file("bad-refs.toml")
        ),
        format!(
            "{}: segment_by 'tools' must be a single-choice question; in form 'all-types' it is not",
            file("bad-segment.toml")
        ),
        format!(
            "{}: min_cell must be a whole number from 0 to 10000, not -1",
            file("bad-segment.toml")
        ),
        format!(
            "{}: theme 'price' is defined twice",
            file("bad-segment.toml")
        ),
        format!(
            "{}: theme 'price': pattern \"*\" has no word to match",
            file("bad-segment.toml")
        ),
        format!(
            "{}: [email] 'not an address' is not an email address",
            file("bad-segment.toml")
        ),
        format!(
            "{}: [email] every = \"fortnightly\" must be weekly, monthly, quarterly or a duration such as \"10s\", \"15m\", \"6h\", \"2d\"",
            file("bad-segment.toml")
        ),
        format!(
            "{}: line 5: unknown field `min_cel`, expected one of `id`, `title`, `form`, `interviews`, `segment_by`, `min_cell`, `themes`, `language`, `email`, `profiles`, `icp`, `sources`",
            file("typo.toml")
        ),
    ];
    let stderr = text(&out.stderr);
    assert_eq!(
        stderr.lines().collect::<Vec<_>>(),
        expected.iter().map(String::as_str).collect::<Vec<_>>()
    );
}

#[tokio::test]
async fn the_report_command_prints_a_summary_offline() {
    let data = tempfile::tempdir().unwrap();
    let forms = repo_path("tests/fixtures/panel/forms");
    let reports = repo_path("tests/fixtures/panel/reports");
    let server = ServerProcess::start_with_reports(data.path(), &forms, &reports, free_port());
    let client = reqwest::Client::new();
    for (plan, nps) in [
        ("Free", 9),
        ("Free", 3),
        ("Free", 10),
        ("Free", 8),
        ("Free", 6),
        ("Pro", 9),
        ("Pro", 7),
        ("Pro", 10),
        ("Pro", 2),
        ("Pro", 9),
        ("Team", 10),
    ] {
        let response = client
            .post(format!("{}/api/forms/panel/responses", server.base))
            .json(&json!({"answers": {"plan": plan, "nps": nps}}))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 201);
    }
    server.kill();
    let out = fieldnotes(&[
        "report",
        "panel",
        "--data",
        path_str(data.path()),
        "--forms",
        path_str(&forms),
        "--reports",
        path_str(&reports),
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    assert!(
        stdout.starts_with("Panel by plan\nform panel · 11 responses · segmented by plan"),
        "{stdout}"
    );
    assert!(
        stdout.contains("segments: Free (n=5) · Pro (n=5) · Team (suppressed)"),
        "{stdout}"
    );
    assert!(stdout.contains("NPS 20.0"), "{stdout}");
    assert!(stdout.contains("The average of “How likely are you to recommend us?” does not differ significantly between segments (Welch's t"), "{stdout}");
}

#[test]
fn serve_refuses_invalid_forms_with_the_same_text() {
    let data = tempfile::tempdir().unwrap();
    let dir = repo_path("tests/fixtures/broken");
    let out = fieldnotes(&[
        "serve",
        "--addr",
        "127.0.0.1:0",
        "--data",
        path_str(data.path()),
        "--forms",
        path_str(&dir),
        "--reports",
        NO_REPORTS,
    ]);
    assert!(!out.status.success());
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains("bad-questions.toml: duplicate question id 'pick'"),
        "{stderr}"
    );
    assert!(!stderr.contains("panicked"), "{stderr}");
}

#[test]
fn serve_names_a_busy_port() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = taken.local_addr().unwrap().to_string();
    let data = tempfile::tempdir().unwrap();
    let out = fieldnotes(&[
        "serve",
        "--addr",
        &addr,
        "--data",
        path_str(data.path()),
        "--forms",
        path_str(&fixture_forms()),
        "--reports",
        NO_REPORTS,
    ]);
    assert!(!out.status.success());
    let stderr = text(&out.stderr);
    assert_eq!(
        stderr.trim(),
        format!(
            "error: cannot listen on {addr}: the address is already in use (is another server running?)"
        )
    );
}

#[test]
fn serve_names_an_unusable_data_directory() {
    let parent = tempfile::NamedTempFile::new().unwrap();
    let data = parent.path().join("data");
    let out = fieldnotes(&[
        "serve",
        "--addr",
        "127.0.0.1:0",
        "--data",
        path_str(&data),
        "--forms",
        path_str(&fixture_forms()),
        "--reports",
        NO_REPORTS,
    ]);
    assert!(!out.status.success());
    let stderr = text(&out.stderr);
    assert!(
        stderr.starts_with("error: cannot open the data directory"),
        "{stderr}"
    );
    assert_eq!(stderr.trim().lines().count(), 1, "{stderr}");
}

async fn submit(base: &str, body: Value) -> Value {
    let response = reqwest::Client::new()
        .post(format!("{base}/api/forms/all-types/responses"))
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 201);
    response.json().await.unwrap()
}

async fn download(base: &str, query: &str) -> Vec<u8> {
    let response = reqwest::Client::new()
        .get(format!("{base}/api/forms/all-types/responses.csv{query}"))
        .bearer_auth(RESEARCHER)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    response.bytes().await.unwrap().to_vec()
}

#[tokio::test]
async fn a_response_survives_sigkill_right_after_its_201() {
    let data = tempfile::tempdir().unwrap();
    let port = free_port();
    let server = ServerProcess::start(data.path(), &fixture_forms(), port);
    let created = submit(
        &server.base,
        json!({"answers": {"team_size": "21+", "comment": "still here"}}),
    )
    .await;
    server.kill();

    let server = ServerProcess::start(data.path(), &fixture_forms(), port);
    let csv = String::from_utf8(download(&server.base, "").await).unwrap();
    let id = created["id"].as_str().unwrap();
    assert!(csv.contains(id), "{csv}");
    assert!(csv.contains("still here"));
}

#[tokio::test]
async fn the_cli_export_writes_the_same_bytes_as_the_http_route() {
    let data = tempfile::tempdir().unwrap();
    let server = ServerProcess::start(data.path(), &fixture_forms(), free_port());
    for (size, comment) in [
        ("1-5", "=cmd"),
        ("6-20", "plain, with comma"),
        ("21+", "line\nbreak"),
    ] {
        submit(
            &server.base,
            json!({"answers": {"team_size": size, "tools": ["Jira", "Fax"], "jira_use": "x",
                              "comment": comment, "contact_email": "a@example.com"},
                   "hidden": {"source": "mail"}}),
        )
        .await;
    }
    let variants = [("", vec![]), ("?pii=1&bom=1", vec!["--pii", "--bom"])];
    let mut over_http = Vec::new();
    for (query, _) in &variants {
        over_http.push(download(&server.base, query).await);
    }
    server.kill();

    let out_dir = tempfile::tempdir().unwrap();
    for ((_, flags), http_bytes) in variants.iter().zip(over_http) {
        let out = out_dir.path().join("export.csv");
        let mut args = vec![
            "export",
            "all-types",
            "--out",
            path_str(&out),
            "--data",
            path_str(data.path()),
            "--forms",
        ];
        let forms = fixture_forms();
        args.push(path_str(&forms));
        args.extend(flags.iter().copied());
        let result = fieldnotes(&args);
        assert!(result.status.success(), "{}", text(&result.stderr));
        assert_eq!(std::fs::read(&out).unwrap(), http_bytes);
    }
}

#[test]
fn export_while_the_server_runs_says_so() {
    let data = tempfile::tempdir().unwrap();
    let _server = ServerProcess::start(data.path(), &fixture_forms(), free_port());
    let out = data.path().join("x.csv");
    let forms = fixture_forms();
    let result = fieldnotes(&[
        "export",
        "all-types",
        "--out",
        path_str(&out),
        "--data",
        path_str(data.path()),
        "--forms",
        path_str(&forms),
    ]);
    assert!(!result.status.success());
    let stderr = text(&result.stderr);
    assert!(
        stderr.contains("it is in use by another fieldnotes process (stop the server first)"),
        "{stderr}"
    );
}

#[tokio::test]
async fn editing_a_form_keeps_answers_to_removed_questions_in_the_export() {
    let forms = tempfile::tempdir().unwrap();
    for name in ["bank.toml", "all-types.toml"] {
        std::fs::copy(fixture_forms().join(name), forms.path().join(name)).unwrap();
    }
    let data = tempfile::tempdir().unwrap();
    let port = free_port();
    let server = ServerProcess::start(data.path(), forms.path(), port);
    submit(
        &server.base,
        json!({"answers": {"team_size": "1-5", "tools": ["Notion"], "comment": "before the edit"}}),
    )
    .await;
    server.kill();

    // The edit: `comment` goes, `Notion` is no longer offered, `Linear` is new.
    let path = forms.path().join("all-types.toml");
    let original = std::fs::read_to_string(&path).unwrap();
    let edited = original
        .replace(
            "options = [\"Slack\", \"Jira\", \"Notion\"]",
            "options = [\"Slack\", \"Jira\", \"Linear\"]",
        )
        .replace(
            "[[questions]]\nid = \"comment\"\ntype = \"text\"\ntext = \"Anything else?\"\n",
            "",
        );
    assert_ne!(edited, original);
    std::fs::write(&path, edited).unwrap();

    let server = ServerProcess::start(data.path(), forms.path(), port);
    submit(
        &server.base,
        json!({"answers": {"team_size": "21+", "tools": ["Linear"]}}),
    )
    .await;
    let bytes = download(&server.base, "").await;
    let mut reader = csv::Reader::from_reader(bytes.as_slice());
    let headers: Vec<String> = reader
        .headers()
        .unwrap()
        .iter()
        .map(str::to_string)
        .collect();
    let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    let column = |name: &str| {
        headers
            .iter()
            .position(|h| h == name)
            .unwrap_or_else(|| panic!("no column {name}: {headers:?}"))
    };
    assert_eq!(&rows[0][column("comment")], "before the edit");
    assert_eq!(&rows[0][column("tools[Notion]")], "1");
    assert_eq!(&rows[1][column("tools[Linear]")], "1");
    assert_eq!(&rows[1][column("tools[Notion]")], "0");
    assert_ne!(
        &rows[0][column("form_revision")],
        &rows[1][column("form_revision")]
    );
}
