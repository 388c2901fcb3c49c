//! Contacts imported from a CRM export, over HTTP on a real server and through the command
//! line: upserts, bad rows (their line named, nothing of the file kept), pii columns, paging,
//! and the routes' access rules.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::cast_possible_truncation
)]

mod common;

use std::collections::BTreeMap;
use std::process::Command;

use common::{INTERVIEWER, RESEARCHER, ServerProcess, TestServer, free_port, repo_path};
use serde_json::{Value, json};

fn forms() -> std::path::PathBuf {
    repo_path("tests/fixtures/contacts/forms")
}

fn reports() -> std::path::PathBuf {
    repo_path("tests/fixtures/contacts/reports")
}

async fn server() -> TestServer {
    TestServer::start_with(&forms(), &reports(), Default::default()).await
}

async fn import(server: &TestServer, query: &str, csv: &str) -> (u16, Value) {
    let response = server
        .http
        .post(server.url(&format!("/api/contacts{query}")))
        .bearer_auth(RESEARCHER)
        .header("content-type", "text/csv")
        .body(csv.to_string())
        .send()
        .await
        .expect("request");
    let status = response.status().as_u16();
    (status, response.json().await.expect("a JSON body"))
}

/// Every contact, page by page, as key -> attributes.
async fn all_contacts(server: &TestServer, pii: bool) -> BTreeMap<String, Value> {
    let mut all = BTreeMap::new();
    let mut after: Option<String> = None;
    loop {
        let mut path = format!("/api/contacts?limit=2{}", if pii { "&pii=1" } else { "" });
        if let Some(after) = &after {
            path.push_str(&format!("&after={after}"));
        }
        let page: Value = server.get_as(&path, RESEARCHER).await.json().await.unwrap();
        for contact in page["contacts"].as_array().unwrap() {
            all.insert(
                contact["key"].as_str().unwrap().to_string(),
                contact["attributes"].clone(),
            );
        }
        match page["next"].as_str() {
            Some(next) => after = Some(next.to_string()),
            None => return all,
        }
    }
}

#[tokio::test]
async fn reimporting_upserts_present_columns_clears_empty_cells_and_keeps_absent_ones() {
    let server = server().await;
    let (status, body) = import(
        &server,
        "",
        "customer_id,plan,industry,region\nc1,Pro,Retail,EU\nc2,Free,Health,US\nc3,Team,,EU\n",
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body, json!({"created": 3, "updated": 0}));
    // `region` is absent from the second file: kept. c1's empty industry: cleared.
    let (status, body) = import(
        &server,
        "",
        "plan,customer_id,industry\nTeam,c1,\nFree,c4,Retail\n",
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body, json!({"created": 1, "updated": 1}));
    let contacts = all_contacts(&server, false).await;
    assert_eq!(
        contacts,
        BTreeMap::from([
            ("c1".to_string(), json!({"plan": "Team", "region": "EU"})),
            (
                "c2".to_string(),
                json!({"plan": "Free", "industry": "Health", "region": "US"})
            ),
            ("c3".to_string(), json!({"plan": "Team", "region": "EU"})),
            (
                "c4".to_string(),
                json!({"plan": "Free", "industry": "Retail"})
            ),
        ])
    );
}

#[tokio::test]
async fn a_bad_row_names_its_physical_line_and_nothing_of_the_file_is_kept() {
    let server = server().await;
    let (status, _) = import(&server, "", "customer_id,plan\nc1,Pro\n").await;
    assert_eq!(status, 200);
    let before = all_contacts(&server, true).await;
    // The quoted note spans lines 3 and 4, so the short row is on physical line 6.
    let csv = "customer_id,plan,note\nc1,Team,fine\nc2,Free,\"two\nlines\"\nc3,Pro,ok\nc4,Pro\nc5,Free,ok\n";
    let (status, body) = import(&server, "", csv).await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(body["error"], "validation");
    assert_eq!(body["fields"]["line"], "6", "{body}");
    assert!(
        body["message"].as_str().unwrap().starts_with("line 6:"),
        "{body}"
    );
    assert_eq!(
        all_contacts(&server, true).await,
        before,
        "nothing of the file is kept"
    );

    let cases = [
        // A key twice in one file: the second is the bad row.
        ("customer_id,plan\nc7,Pro\nc8,Free\nc7,Team\n", "4"),
        ("customer_id,plan\nc7,Pro\n,Free\n", "3"),
        ("plan,tier\nPro,1\n", "1"),
        ("customer_id,plan,plan\nc7,Pro,Pro\n", "1"),
        ("customer_id,email\nc7,not-an-address\n", "2"),
    ];
    for (csv, line) in cases {
        let (status, body) = import(&server, "", csv).await;
        assert_eq!(status, 422, "{csv:?}: {body}");
        assert_eq!(body["fields"]["line"], line, "{csv:?}: {body}");
    }
    // A bad row after thousands of good ones, which were staged already: still nothing kept.
    let mut long = String::from("customer_id,plan\n");
    for i in 0..2_500 {
        long.push_str(&format!("k{i},Pro\n"));
    }
    long.push_str("k10,Team\n");
    let (status, body) = import(&server, "", &long).await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(body["fields"]["line"], "2502", "{body}");
    assert_eq!(
        all_contacts(&server, true).await,
        before,
        "no bad file left a trace"
    );
    // Invalid UTF-8 is a bad row, not a 500.
    let response = server
        .http
        .post(server.url("/api/contacts"))
        .bearer_auth(RESEARCHER)
        .header("content-type", "text/csv")
        .body(b"customer_id,plan\nc1,Pro\nc2,\xff\xfe\n".to_vec())
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 422);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["fields"]["line"], "3", "{body}");
}

#[tokio::test]
async fn pii_columns_stay_out_of_the_list_unless_asked_for_and_stay_pii() {
    let server = server().await;
    let (status, body) = import(
        &server,
        "?pii=name",
        "customer_id,email,name,plan\nc1,ana@example.com,Ana,Pro\n",
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        all_contacts(&server, false).await["c1"],
        json!({"plan": "Pro"})
    );
    assert_eq!(
        all_contacts(&server, true).await["c1"],
        json!({"plan": "Pro", "name": "Ana", "email": "ana@example.com"})
    );
    // A later file that does not say pii=name: the column stays personal data.
    let (status, _) = import(&server, "", "customer_id,name\nc2,Bo\n").await;
    assert_eq!(status, 200);
    assert_eq!(all_contacts(&server, false).await["c2"], json!({}));
    let (status, body) = import(&server, "?pii=phone", "customer_id,name\nc3,Cy\n").await;
    assert_eq!(status, 422, "a pii column the file does not have: {body}");
    assert_eq!(body["fields"]["line"], "1");
}

#[tokio::test]
async fn a_key_column_of_the_researchers_choice_and_a_file_past_64_kib() {
    let server = server().await;
    let mut csv = String::from("account,plan,revenue_band\n");
    for i in 0..5_000 {
        csv.push_str(&format!(
            "acct-{i:05},{},{}\n",
            ["Free", "Pro"][i % 2],
            i % 7
        ));
    }
    assert!(csv.len() > 64 * 1024);
    let (status, body) = import(&server, "?key=account", &csv).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body, json!({"created": 5000, "updated": 0}));
    let page: Value = server
        .get_as("/api/contacts?limit=1000&after=acct-04499", RESEARCHER)
        .await
        .json()
        .await
        .unwrap();
    let keys: Vec<&str> = page["contacts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["key"].as_str().unwrap())
        .collect();
    assert_eq!(keys.len(), 500);
    assert_eq!(keys[0], "acct-04500");
    assert_eq!(page["next"], Value::Null, "the last page has no next");
    assert_eq!(
        page["contacts"][1]["attributes"],
        json!({"plan": "Pro", "revenue_band": "0"})
    );
}

#[tokio::test]
async fn only_researchers_import_list_and_erase_contacts() {
    let server = server().await;
    let post = |token: Option<&'static str>| {
        let mut request = server
            .http
            .post(server.url("/api/contacts"))
            .header("content-type", "text/csv")
            .body("customer_id\nc1\n");
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        request.send()
    };
    assert_eq!(post(None).await.unwrap().status(), 401);
    assert_eq!(post(Some(INTERVIEWER)).await.unwrap().status(), 403);
    assert_eq!(
        server.get_as("/api/contacts", INTERVIEWER).await.status(),
        403
    );
    let erase = server
        .http
        .delete(server.url("/api/contacts/c1"))
        .bearer_auth(INTERVIEWER)
        .send()
        .await
        .unwrap();
    assert_eq!(erase.status(), 403);
    let missing = server
        .http
        .delete(server.url("/api/contacts/nobody"))
        .bearer_auth(RESEARCHER)
        .send()
        .await
        .unwrap();
    assert_eq!(missing.status(), 404);
    assert_eq!(
        server
            .get_as("/api/contacts?limit=0", RESEARCHER)
            .await
            .status(),
        400
    );
    let json_body = server
        .http
        .post(server.url("/api/contacts"))
        .bearer_auth(RESEARCHER)
        .json(&json!({"customer_id": "c1"}))
        .send()
        .await
        .unwrap();
    assert!(
        json_body.status().is_client_error(),
        "{}",
        json_body.status()
    );
}

fn fieldnotes(args: &[&str], data: &std::path::Path) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_fieldnotes"))
        .args(args)
        .env_remove("FIELDNOTES_STORE")
        .envs(common::postgres::store_env(data))
        .arg("--data")
        .arg(data)
        .arg("--forms")
        .arg(forms())
        .arg("--reports")
        .arg(reports())
        .output()
        .expect("the binary runs")
}

#[tokio::test]
async fn the_command_imports_offline_and_points_to_the_route_while_a_server_runs() {
    let data = tempfile::tempdir().unwrap();
    let file = data.path().join("crm.csv");
    std::fs::write(
        &file,
        "customer_id,plan,email\nc1,Pro,a@example.com\nc2,Free,\n",
    )
    .unwrap();
    let out = fieldnotes(&["contacts", "import", file.to_str().unwrap()], data.path());
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("2 created, 0 updated"), "{stdout}");

    let bad = data.path().join("bad.csv");
    std::fs::write(&bad, "customer_id,plan\nc3,Pro\nc3,Team\n").unwrap();
    let out = fieldnotes(&["contacts", "import", bad.to_str().unwrap()], data.path());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(
        stderr.contains("line 3:") && stderr.contains("nothing was imported"),
        "{stderr}"
    );

    let server = ServerProcess::start_with_reports(data.path(), &forms(), &reports(), free_port());
    let out = fieldnotes(&["contacts", "import", file.to_str().unwrap()], data.path());
    if common::postgres::suite_on_postgres() {
        // PostgreSQL serves any number of processes: the command imports beside the server.
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(stdout.contains("0 created, 2 updated"), "{stdout}");
    } else {
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success());
        assert!(stderr.contains("/api/contacts"), "{stderr}");
    }
    // What the command imported is what the server lists; pii (email) left out.
    let page: Value = reqwest::Client::new()
        .get(format!("{}/api/contacts", server.base))
        .bearer_auth(RESEARCHER)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        page["contacts"],
        json!([{"key": "c1", "attributes": {"plan": "Pro"}}, {"key": "c2", "attributes": {"plan": "Free"}}])
    );
    server.kill();
}
