//! The XLSX and JSON Lines exports over HTTP and from the CLI, read back with real readers
//! (calamine and the zip's XML for XLSX, serde_json line by line for JSON Lines) and compared
//! with the CSV of the same responses and with what was submitted.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::cast_possible_truncation
)]

mod common;

use std::path::Path;
use std::process::{Command, Output};

use calamine::Data;
use common::xlsx::{formulas, part, rows, sheet_names, text};
use common::{
    INTERVIEWER, RESEARCHER, ServerProcess, TestServer, fixture_forms, free_port, login_cookie,
    parse_csv,
};
use serde_json::{Value, json};

const XLSX_TYPE: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";
const FORM: &str = "/api/forms/all-types";

/// Text a spreadsheet would run as a formula were it written as one.
const RISKY: [&str; 4] = [
    "=HYPERLINK(\"http://evil\",\"x\")",
    "+1+1",
    "-2+3",
    "@SUM(A1)",
];

/// Three responses: formula-like text in answers and hidden fields, non-ASCII text and emoji,
/// an empty answer, a multi with an "other" entry, numbers at the ends of their ranges.
fn submissions() -> Vec<Value> {
    vec![
        json!({"answers": {"team_size": "6-20", "tools": ["Slack", "Jira", "=Trello"], "ease": 4,
                           "nps": 3, "why_low": RISKY[0], "seats": 12, "jira_use": RISKY[1],
                           "comment": RISKY[2], "contact_email": "ana@example.com"},
               "hidden": {"source": RISKY[3], "customer_id": "Ünïcødé 客户 😀"}}),
        json!({"answers": {"team_size": "21+", "nps": 10, "comment": ""}}),
        json!({"answers": {"team_size": "1-5", "tools": ["Notion"], "ease": 1, "nps": 0,
                           "why_low": "Zu teuer — trop cher 💸\nzweite Zeile", "seats": 10000,
                           "comment": "\tTabbed"},
               "hidden": {"source": "-", "customer_id": "c-42"}}),
    ]
}

async fn submit_all(s: &TestServer) -> Vec<String> {
    let mut ids = Vec::new();
    for body in submissions() {
        let response = s.submit("all-types", body).await;
        assert_eq!(response.status(), 201);
        let created: Value = response.json().await.expect("a receipt");
        ids.push(created["id"].as_str().expect("an id").to_string());
    }
    ids
}

async fn get_ok(s: &TestServer, path: &str) -> (reqwest::header::HeaderMap, Vec<u8>) {
    let response = s.get_as(path, RESEARCHER).await;
    assert_eq!(response.status(), 200, "{path}");
    let headers = response.headers().clone();
    (headers, response.bytes().await.expect("a body").to_vec())
}

/// The text the CSV stands for: its `'` formula guard taken off.
fn unguarded(csv: &str) -> &str {
    match csv.strip_prefix('\'') {
        Some(rest) if rest.starts_with(['=', '+', '-', '@', '\t', '\r', '\n']) => rest,
        _ => csv,
    }
}

fn is_number_column(name: &str) -> bool {
    matches!(name, "ease" | "nps" | "seats")
        || (name.starts_with("tools[") && name != "tools[other]")
}

/// Every cell of the `responses` sheet against the same cell of the CSV.
fn assert_same_cells(csv: &[u8], xlsx: &[u8]) {
    let (columns, csv_rows) = parse_csv(csv);
    let sheet = rows(xlsx, "responses");
    let header: Vec<&str> = sheet[0].iter().map(text).collect();
    assert_eq!(header, columns);
    assert_eq!(sheet.len(), csv_rows.len() + 1, "a row per response");
    for (row, csv_row) in sheet[1..].iter().zip(&csv_rows) {
        for (cell, name) in row.iter().zip(&columns) {
            let csv_cell = csv_row[name].as_str();
            if csv_cell.is_empty() {
                assert_eq!(cell, &Data::Empty, "column {name}: unanswered is empty");
            } else if name == "submitted_at" {
                let Data::DateTime(at) = cell else {
                    panic!("submitted_at is a date-time cell, got {cell:?}");
                };
                let expected = chrono::DateTime::parse_from_rfc3339(csv_cell).expect("RFC 3339");
                assert_eq!(
                    at.as_datetime(),
                    Some(expected.naive_utc()),
                    "to the millisecond"
                );
            } else if is_number_column(name) {
                let expected: f64 = csv_cell.parse().expect("a number in the CSV");
                assert_eq!(cell, &Data::Float(expected), "column {name}");
            } else {
                assert_eq!(text(cell), unguarded(csv_cell), "column {name}");
            }
        }
    }
}

#[tokio::test]
async fn xlsx_has_the_csv_cells_typed_and_never_a_formula() {
    let s = TestServer::start(&fixture_forms()).await;
    submit_all(&s).await;
    let (headers, xlsx) = get_ok(&s, &format!("{FORM}/responses.xlsx")).await;
    assert_eq!(headers["content-type"], XLSX_TYPE);
    assert_eq!(
        headers["content-disposition"],
        "attachment; filename=\"all-types-responses.xlsx\""
    );
    assert_eq!(sheet_names(&xlsx), ["responses", "questions"]);
    let (_, csv) = get_ok(&s, &format!("{FORM}/responses.csv")).await;
    assert_same_cells(&csv, &xlsx);

    // Formula-like text is kept exactly, with no `'`, in plain text cells.
    let sheet = rows(&xlsx, "responses");
    let column = |name: &str| {
        let header: Vec<&str> = sheet[0].iter().map(text).collect();
        header.iter().position(|h| *h == name).expect(name)
    };
    let first = &sheet[1];
    for (name, expected) in [
        ("why_low", RISKY[0]),
        ("jira_use", RISKY[1]),
        ("comment", RISKY[2]),
        ("source", RISKY[3]),
        ("tools[other]", "=Trello"),
        ("customer_id", "Ünïcødé 客户 😀"),
    ] {
        assert_eq!(first[column(name)], Data::String(expected.into()), "{name}");
    }
    assert_eq!(first[column("tools[Slack]")], Data::Float(1.0));
    assert_eq!(first[column("tools[Notion]")], Data::Float(0.0));
    assert_eq!(sheet[2][column("comment")], Data::Empty, "an empty answer");
    assert_eq!(sheet[3][column("comment")], Data::String("\tTabbed".into()));
    assert_eq!(sheet[3][column("seats")], Data::Float(10000.0));
    assert!(
        !headers_contain(&sheet, "contact_email"),
        "pii only on request"
    );

    assert!(formulas(&xlsx, "responses").is_empty());
    let xml = part(&xlsx, "xl/worksheets/sheet1.xml");
    assert!(
        !xml.contains("<f>") && !xml.contains("<f "),
        "no formula element"
    );
    assert!(
        xml.contains("state=\"frozen\"") && xml.contains("ySplit=\"1\""),
        "header frozen"
    );
    assert!(
        xml.contains("<c r=\"A1\" s=\""),
        "header cells carry a style"
    );
    let styles = part(&xlsx, "xl/styles.xml");
    assert!(styles.contains("<b/>"), "the header style is bold");
    assert!(styles.contains("formatCode=\"yyyy-mm-dd hh:mm:ss\""));
}

fn headers_contain(sheet: &[Vec<Data>], name: &str) -> bool {
    sheet[0].iter().any(|c| text(c) == name)
}

#[tokio::test]
async fn the_questions_sheet_is_the_codebook() {
    let s = TestServer::start(&fixture_forms()).await;
    submit_all(&s).await;
    let (_, xlsx) = get_ok(&s, &format!("{FORM}/responses.xlsx")).await;
    let codebook = rows(&xlsx, "questions");
    let header: Vec<&str> = codebook[0].iter().map(text).collect();
    assert_eq!(
        header,
        [
            "id", "type", "text", "options", "labels", "min", "max", "columns"
        ]
    );
    let ids: Vec<&str> = codebook[1..].iter().map(|r| text(&r[0])).collect();
    let questions = [
        "team_size",
        "tools",
        "ease",
        "nps",
        "why_low",
        "seats",
        "jira_use",
        "comment",
    ];
    assert_eq!(ids, questions, "every question but the pii one");
    let row = |id: &str| &codebook[1 + questions.iter().position(|q| *q == id).expect(id)];
    let tools = row("tools");
    assert_eq!(text(&tools[1]), "multi");
    assert_eq!(text(&tools[2]), "Which tools do you use?");
    assert_eq!(text(&tools[3]), "Slack; Jira; Notion");
    assert_eq!(
        text(&tools[7]),
        "tools[Slack]; tools[Jira]; tools[Notion]; tools[other]"
    );
    let ease = row("ease");
    assert_eq!(text(&ease[4]), "Very hard; Very easy");
    assert_eq!((&ease[5], &ease[6]), (&Data::Float(1.0), &Data::Float(5.0)));
    assert_eq!(text(&row("team_size")[3]), "1-5; 6-20; 21+");
    assert_eq!(text(&row("comment")[7]), "comment");

    let (_, with_pii) = get_ok(&s, &format!("{FORM}/responses.xlsx?pii=1")).await;
    let codebook = rows(&with_pii, "questions");
    assert_eq!(text(&codebook[codebook.len() - 1][0]), "contact_email");
    let sheet = rows(&with_pii, "responses");
    assert!(headers_contain(&sheet, "contact_email"));
    let (_, csv) = get_ok(&s, &format!("{FORM}/responses.csv?pii=1")).await;
    assert_same_cells(&csv, &with_pii);
}

#[tokio::test]
async fn jsonl_is_one_record_per_line_with_the_answers_as_sent() {
    let s = TestServer::start(&fixture_forms()).await;
    let ids = submit_all(&s).await;
    let (headers, body) = get_ok(&s, &format!("{FORM}/responses.jsonl")).await;
    assert_eq!(headers["content-type"], "application/x-ndjson");
    assert_eq!(
        headers["content-disposition"],
        "attachment; filename=\"all-types-responses.jsonl\""
    );
    let (_, csv) = get_ok(&s, &format!("{FORM}/responses.csv")).await;
    let (_, csv_rows) = parse_csv(&csv);
    let text = String::from_utf8(body).expect("UTF-8");
    assert!(text.ends_with('\n'));
    let lines: Vec<Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).expect("each line is one JSON object"))
        .collect();
    assert_eq!(lines.len(), ids.len());
    for (((line, sent), id), csv_row) in lines.iter().zip(submissions()).zip(&ids).zip(&csv_rows) {
        let keys: Vec<&String> = line.as_object().expect("an object").keys().collect();
        assert_eq!(
            keys,
            ["answers", "form_revision", "hidden", "id", "submitted_at"]
        );
        assert_eq!(line["id"], id.as_str());
        assert_eq!(line["submitted_at"], csv_row["submitted_at"].as_str());
        assert_eq!(line["form_revision"], csv_row["form_revision"].as_str());
        assert_eq!(
            line["hidden"],
            sent.get("hidden").cloned().unwrap_or(json!({}))
        );
        // Sent minus the pii answer and minus the empty one, which was never stored.
        let mut expected = sent["answers"].clone();
        let answers = expected.as_object_mut().expect("answers");
        answers.remove("contact_email");
        answers.retain(|_, v| *v != "");
        assert_eq!(line["answers"], expected);
    }
    assert!(
        lines[0]["answers"]["seats"].is_u64(),
        "12 stays 12, not 12.0"
    );

    let (_, with_pii) = get_ok(&s, &format!("{FORM}/responses.jsonl?pii=1")).await;
    let first: Value =
        serde_json::from_slice(with_pii.split(|b| *b == b'\n').next().expect("a line"))
            .expect("JSON");
    assert_eq!(first["answers"]["contact_email"], "ana@example.com");
    assert_eq!(first["answers"], submissions()[0]["answers"]);
}

#[tokio::test]
async fn exports_need_a_researcher_and_a_survey() {
    let s = TestServer::start(&fixture_forms()).await;
    for format in ["xlsx", "jsonl", "sav"] {
        let path = format!("{FORM}/responses.{format}");
        let anonymous = s.http.get(s.url(&path)).send().await.expect("a response");
        assert_eq!(anonymous.status(), 401, "{path}");
        let body: Value = anonymous.json().await.expect("a JSON error");
        assert_eq!(body["error"], "unauthorized");
        assert_eq!(s.get_as(&path, "wrong").await.status(), 401, "{path}");
        let interviewer = s.get_as(&path, INTERVIEWER).await;
        assert_eq!(interviewer.status(), 403, "{path}");
        let body: Value = interviewer.json().await.expect("a JSON error");
        assert_eq!(body["error"], "forbidden");
        for missing in ["nope", "guide"] {
            let path = format!("/api/forms/{missing}/responses.{format}");
            let response = s.get_as(&path, RESEARCHER).await;
            assert_eq!(response.status(), 404, "{path}");
            let body: Value = response.json().await.expect("a JSON error");
            assert_eq!(body["error"], "not_found");
        }
        // No responses yet: still a valid file (a header row; no lines).
        let (_, body) = get_ok(&s, &path).await;
        match format {
            "xlsx" => assert_eq!(rows(&body, "responses").len(), 1),
            // An SPSS system file begins with its magic, "$FL2" (bytecode-compressed).
            "sav" => assert_eq!(&body[..4], b"$FL2"),
            _ => assert!(body.is_empty()),
        }
    }
}

#[tokio::test]
async fn the_front_page_links_every_format() {
    let s = TestServer::start(&fixture_forms()).await;
    let cookie = login_cookie(&s.base, RESEARCHER).await;
    let front = s
        .http
        .get(s.url("/"))
        .header("cookie", cookie)
        .send()
        .await
        .expect("the front page")
        .text()
        .await
        .expect("HTML");
    for link in [
        "responses.csv?bom=1",
        "responses.xlsx",
        "responses.jsonl",
        "responses.sav",
    ] {
        for form in ["all-types", "closed"] {
            let href = format!("href=\"/api/forms/{form}/{link}\"");
            assert!(front.contains(&href), "{href}");
        }
    }
}

fn fieldnotes(args: &[&str], store: Vec<(&str, String)>) -> Output {
    Command::new(env!("CARGO_BIN_EXE_fieldnotes"))
        .args(args)
        .env_remove("FIELDNOTES_DATA")
        .env_remove("FIELDNOTES_FORMS")
        .env_remove("FIELDNOTES_STORE")
        .envs(store)
        .output()
        .expect("the binary runs")
}

/// `fieldnotes export all-types --out OUT EXTRA... --data DATA --forms FIXTURES`.
fn export(data: &Path, out: &Path, extra: &[&str]) -> Vec<u8> {
    let forms = fixture_forms();
    let path = |p: &Path| p.to_str().expect("a UTF-8 path").to_string();
    let (out_arg, data_arg, forms_arg) = (path(out), path(data), path(&forms));
    let mut args = vec!["export", "all-types", "--out", out_arg.as_str()];
    args.extend(extra);
    args.extend(["--data", data_arg.as_str(), "--forms", forms_arg.as_str()]);
    let result = fieldnotes(&args, common::postgres::store_env(data));
    let stderr = String::from_utf8_lossy(&result.stderr);
    assert!(result.status.success(), "{args:?}: {stderr}");
    std::fs::read(out).expect("the export was written")
}

#[tokio::test]
async fn the_cli_writes_what_the_routes_send() {
    let data = tempfile::tempdir().expect("a data directory");
    let server = ServerProcess::start(data.path(), &fixture_forms(), free_port());
    let http = reqwest::Client::new();
    for body in submissions() {
        let url = format!("{}{FORM}/responses", server.base);
        let response = http.post(url).json(&body).send().await.expect("submitted");
        assert_eq!(response.status(), 201);
    }
    let mut over_http = Vec::new();
    for query in [
        "responses.jsonl",
        "responses.jsonl?pii=1",
        "responses.csv",
        "responses.xlsx",
    ] {
        let url = format!("{}{FORM}/{query}", server.base);
        let response = http
            .get(url)
            .bearer_auth(RESEARCHER)
            .send()
            .await
            .expect("sent");
        assert_eq!(response.status(), 200, "{query}");
        over_http.push(response.bytes().await.expect("a body").to_vec());
    }
    server.kill();
    let [jsonl, jsonl_pii, csv, xlsx] = over_http.try_into().expect("four downloads");

    let out = tempfile::tempdir().expect("an output directory");
    let file = |name: &str| out.path().join(name);
    assert_eq!(
        export(data.path(), &file("a.out"), &["--format", "jsonl"]),
        jsonl
    );
    assert_eq!(
        export(data.path(), &file("b.jsonl"), &[]),
        jsonl,
        "from the extension"
    );
    let with_pii = export(data.path(), &file("c.ndjson"), &["--pii"]);
    assert_eq!(with_pii, jsonl_pii);
    assert_eq!(
        export(data.path(), &file("d.txt"), &[]),
        csv,
        "CSV otherwise"
    );

    let workbook = export(data.path(), &file("e.out"), &["--format", "xlsx"]);
    assert_eq!(sheet_names(&workbook), ["responses", "questions"]);
    for sheet in ["responses", "questions"] {
        assert_eq!(rows(&workbook, sheet), rows(&xlsx, sheet), "{sheet}");
    }
    assert_same_cells(&csv, &workbook);
    let inferred = export(data.path(), &file("f.XLSX"), &[]);
    assert_eq!(rows(&inferred, "responses"), rows(&xlsx, "responses"));
}
