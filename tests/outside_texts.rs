//! Outside texts (support tickets, reviews, usage notes) imported into a report's sources:
//! the import (upserts, the line of a bad row with nothing kept, unknown sources, access),
//! their theme counts by source and segment against a computation written out here, the
//! themes CSV and `quote_sources`, removal and contact erasure leaving no trace, a rebuild
//! giving the same figures, the cards' angles, and the offline command.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::cast_possible_truncation
)]

mod common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use common::{INTERVIEWER, RESEARCHER, TestServer, parse_csv, repo_path};
use serde_json::{Value, json};

fn forms() -> PathBuf {
    repo_path("tests/fixtures/contacts/forms")
}

fn reports() -> PathBuf {
    repo_path("tests/fixtures/texts/reports")
}

async fn server() -> TestServer {
    TestServer::start_with(&forms(), &reports(), Default::default()).await
}

/// A server on a data directory that outlives it, with reports from `reports`.
async fn server_on(data: &Path, reports: &Path) -> TestServer {
    let scratch = tempfile::tempdir().unwrap();
    let data = data.to_path_buf();
    TestServer::start_configured(&forms(), reports, scratch, move |config| {
        config.store = common::postgres::store_for(&data);
        config.data_dir = data;
    })
    .await
}

async fn post_texts(
    server: &TestServer,
    report: &str,
    source: &str,
    csv: &str,
    token: Option<&str>,
) -> (u16, Value) {
    let mut request = server
        .http
        .post(server.url(&format!("/api/reports/{report}/sources/{source}/texts")))
        .header("content-type", "text/csv")
        .body(csv.to_string());
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    let body = response.json().await.unwrap_or(Value::Null);
    (status, body)
}

async fn import_texts(server: &TestServer, report: &str, source: &str, csv: &str) -> Value {
    let (status, body) = post_texts(server, report, source, csv, Some(RESEARCHER)).await;
    assert_eq!(status, 200, "{body}");
    body
}

async fn delete(server: &TestServer, path: &str) -> u16 {
    server
        .http
        .delete(server.url(path))
        .bearer_auth(RESEARCHER)
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

async fn submit(server: &TestServer, customer: Option<&str>, role: &str, why: &str) {
    let hidden = match customer {
        Some(c) => json!({"customer_id": c}),
        None => json!({}),
    };
    let response = server
        .submit(
            "feedback",
            json!({"answers": {"nps": 8, "role": role, "why": why}, "hidden": hidden}),
        )
        .await;
    assert_eq!(response.status(), 201, "{}", response.text().await.unwrap());
}

async fn report(server: &TestServer, id: &str) -> Value {
    server.ready_report(id).await
}

async fn get_text(server: &TestServer, path: &str) -> String {
    let response = server.get_as(path, RESEARCHER).await;
    assert_eq!(response.status(), 200, "{path}");
    response.text().await.unwrap()
}

async fn profiles(server: &TestServer, id: &str) -> Value {
    report(server, id).await;
    let mut profiles: Value = server
        .get_as(&format!("/api/reports/{id}/profiles"), RESEARCHER)
        .await
        .json()
        .await
        .unwrap();
    // The time of drafting is not evidence.
    profiles.as_object_mut().unwrap().remove("drafted_at");
    profiles
}

/// The parts of a report, its themes CSV and its cards that the evidence decides.
async fn evidence(server: &TestServer, id: &str) -> (Value, String, Value) {
    let report = report(server, id).await;
    let themes = get_text(server, &format!("/api/reports/{id}/themes.csv")).await;
    (report, themes, profiles(server, id).await)
}

fn theme<'a>(report: &'a Value, name: &str) -> &'a Value {
    report["themes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["name"] == name)
        .unwrap_or_else(|| panic!("theme {name} in {report}"))
}

fn card<'a>(profiles: &'a Value, segment: &str) -> &'a Value {
    profiles["cards"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["segment"] == segment)
        .unwrap_or_else(|| panic!("a card for {segment} in {profiles}"))
}

// ---------------------------------------------------------------------------------------
// The data of the counting tests, and the computation of what they should count.

/// Survey answers: customer, role, reason.
const ANSWERS: [(Option<&str>, &str, &str); 5] = [
    (Some("c1"), "Founder", "The price is high"),
    (None, "Founder", "Too expensive for a small team"),
    (Some("c2"), "Engineer", "Support was quick"),
    (Some("c3"), "Sales", "It works"),
    (Some("c4"), "Engineer", "Helpful docs and a fair cost"),
];

/// Outside texts: source, id, customer, at, text.
const TEXTS: [(&str, &str, &str, &str, &str); 7] = [
    (
        "support",
        "t1",
        "c1",
        "2024-01-01",
        "Asks about the price of the pro plan",
    ),
    (
        "support",
        "t2",
        "c2",
        "2024-01-02",
        "Ticket: export fails, support needed",
    ),
    (
        "support",
        "t3",
        "c2",
        "2024-01-03T10:00:00Z",
        "Too expensive after renewal, the price went up",
    ),
    ("support", "t4", "", "2024-01-04", "Login broken"),
    ("support", "t5", "c9", "2024-01-05", "A price question"),
    (
        "reviews",
        "r1",
        "c3",
        "2024-01-06",
        "Great support team, fair price",
    ),
    ("reviews", "r2", "c4", "2024-01-07", "Costly but helpful"),
];

fn texts_csv(source: &str) -> String {
    let mut csv = String::from("id,customer_id,at,text,ticket_status\n");
    for (s, id, customer, at, text) in TEXTS {
        if s == source {
            csv.push_str(&format!("{id},{customer},{at},\"{text}\",closed\n"));
        }
    }
    csv
}

/// Which themes a text mentions, and how often: the codebook's patterns read by hand
/// (`price`, `expensive`, `cost*`; `support`, `help*`), on words the stemmer leaves whole.
fn mentions(text: &str) -> BTreeMap<&'static str, u64> {
    let mut found = BTreeMap::new();
    for word in text
        .to_lowercase()
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
    {
        if word == "price" || word == "expensive" || word.starts_with("cost") {
            *found.entry("Price").or_default() += 1;
        }
        if word == "support" || word.starts_with("help") {
            *found.entry("Support").or_default() += 1;
        }
    }
    found
}

/// (theme, segment, source) -> (texts, mentions), over the segments with responses (the
/// others are suppressed at min_cell 1, and take no part).
fn expected_cells() -> BTreeMap<(String, String, String), (u64, u64)> {
    let role_of: BTreeMap<&str, &str> = ANSWERS
        .iter()
        .filter_map(|(c, role, _)| c.map(|c| (c, *role)))
        .collect();
    let mut items: Vec<(String, String, &str)> = ANSWERS
        .iter()
        .map(|(_, role, why)| (role.to_string(), "survey".to_string(), *why))
        .collect();
    for (source, _, customer, _, text) in TEXTS {
        if let Some(role) = role_of.get(customer) {
            items.push((role.to_string(), source.to_string(), text));
        }
    }
    let mut cells = BTreeMap::new();
    for (segment, source, text) in items {
        for (theme, count) in mentions(text) {
            let cell = cells
                .entry((theme.to_string(), segment.clone(), source.clone()))
                .or_insert((0, 0));
            cell.0 += 1;
            cell.1 += count;
        }
    }
    cells
}

async fn ingest(server: &TestServer) {
    for (customer, role, why) in ANSWERS {
        submit(server, customer, role, why).await;
    }
    let support = import_texts(server, "by-role", "support", &texts_csv("support")).await;
    assert_eq!(support, json!({"created": 5, "updated": 0}));
    let reviews = import_texts(server, "by-role", "reviews", &texts_csv("reviews")).await;
    assert_eq!(reviews, json!({"created": 2, "updated": 0}));
}

// ---------------------------------------------------------------------------------------

#[tokio::test]
async fn imports_upsert_by_id_and_a_bad_row_keeps_nothing() {
    let server = server().await;
    submit(&server, Some("c1"), "Founder", "fine").await;
    let first = import_texts(
        &server,
        "by-role",
        "support",
        "id,text,customer_id\nt1,the price is wrong,c1\nt2,hello,c1\n,no id here,c1\n",
    )
    .await;
    assert_eq!(first, json!({"created": 3, "updated": 0}));
    let price = |r: &Value| theme(r, "Price")["responses"].as_u64().unwrap();
    assert_eq!(price(&report(&server, "by-role").await), 1);

    // t1 no longer mentions the price, t9 does; a row without id is always a new text.
    let again = import_texts(
        &server,
        "by-role",
        "support",
        "text,id\nall good now,t1\nprice and cost,t9\n",
    )
    .await;
    assert_eq!(again, json!({"created": 1, "updated": 1}));
    let before = report(&server, "by-role").await;
    // t9 has no customer: No answer, suppressed (no responses there); t1 kept its contact.
    assert_eq!(price(&before), 0);
    let csv = get_text(&server, "/api/reports/by-role/themes.csv").await;
    assert!(!csv.contains("support"), "{csv}");

    // Line 2 holds a text over two physical lines, so the bad `at` is on line 4.
    let (status, body) = post_texts(
        &server,
        "by-role",
        "support",
        "id,text,at,customer_id\nt1,\"the price\nagain\",2024-01-01,c1\nt3,fine,last tuesday,c1\n",
        Some(RESEARCHER),
    )
    .await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(body["fields"]["line"], "4", "{body}");
    assert!(
        body["message"].as_str().unwrap().contains("line 4"),
        "{body}"
    );
    assert_eq!(report(&server, "by-role").await, before, "nothing kept");

    for (csv, line) in [
        ("id,body\nt1,x\n", "1"),
        ("id,text\nt1,x\nt1,y\n", "3"),
        ("id,text\nt1,\"   \"\n", "2"),
        ("id,text,text\nt1,x,y\n", "1"),
    ] {
        let (status, body) = post_texts(&server, "by-role", "support", csv, Some(RESEARCHER)).await;
        assert_eq!(status, 422, "{csv}: {body}");
        assert_eq!(body["fields"]["line"], line, "{csv}: {body}");
    }
    let long = format!("id,text\nt1,{}\n", "a".repeat(10_001));
    let (status, _) = post_texts(&server, "by-role", "support", &long, Some(RESEARCHER)).await;
    assert_eq!(status, 422);
    assert_eq!(report(&server, "by-role").await, before, "nothing kept");

    let (status, _) = post_texts(&server, "by-role", "tweets", "text\nx\n", Some(RESEARCHER)).await;
    assert_eq!(status, 404, "an undeclared source");
    let (status, _) = post_texts(&server, "nope", "support", "text\nx\n", Some(RESEARCHER)).await;
    assert_eq!(status, 404, "an unknown report");
    let (status, _) = post_texts(&server, "by-role", "support", "text\nx\n", None).await;
    assert_eq!(status, 401);
    let (status, _) = post_texts(
        &server,
        "by-role",
        "support",
        "text\nx\n",
        Some(INTERVIEWER),
    )
    .await;
    assert_eq!(status, 403);
    let (status, _) = post_texts(&server, "by-role", "support", "text\nx\n", Some("wrong")).await;
    assert_eq!(status, 401);
    assert_eq!(
        delete(&server, "/api/reports/by-role/sources/support/texts/absent").await,
        404
    );
    assert_eq!(
        delete(&server, "/api/reports/by-role/sources/tweets/texts/t1").await,
        404
    );
    let interviewer = server
        .http
        .delete(server.url("/api/reports/by-role/sources/support/texts/t1"))
        .bearer_auth(INTERVIEWER)
        .send()
        .await
        .unwrap();
    assert_eq!(interviewer.status(), 403);
    assert_eq!(report(&server, "by-role").await, before);
}

#[tokio::test]
async fn texts_count_in_themes_by_source_and_segment() {
    let server = server().await;
    ingest(&server).await;
    let report = report(&server, "by-role").await;
    let expected = expected_cells();

    // The report JSON: per theme, texts and mentions in all, and texts by segment.
    for name in ["Price", "Support"] {
        let t = theme(&report, name);
        let of_theme = expected.iter().filter(|((theme, _, _), _)| theme == name);
        let texts: u64 = of_theme.clone().map(|(_, (n, _))| n).sum();
        let mentions: u64 = of_theme.clone().map(|(_, (_, m))| m).sum();
        assert_eq!(t["responses"], texts, "{name}: {t}");
        assert_eq!(t["mentions"], mentions, "{name}: {t}");
        let mut by_segment: BTreeMap<&str, u64> = BTreeMap::new();
        for ((_, segment, _), (n, _)) in of_theme {
            *by_segment.entry(segment).or_default() += n;
        }
        for (segment, n) in by_segment {
            assert_eq!(t["by_segment"][segment], n, "{name} in {segment}: {t}");
        }
        // One source per quote, in the quotes' order.
        let quotes = t["quotes"].as_array().unwrap();
        let sources = t["quote_sources"].as_array().unwrap();
        assert_eq!(quotes.len(), sources.len(), "{t}");
        for (quote, source) in quotes.iter().zip(sources) {
            let quote = quote.as_str().unwrap();
            let from_texts = TEXTS.iter().find(|t| t.4 == quote).map(|t| t.0);
            let from_answers = ANSWERS.iter().any(|a| a.2 == quote).then_some("survey");
            assert_eq!(source.as_str(), from_texts.or(from_answers), "{quote}: {t}");
        }
    }
    // Texts dated 2024 sort before this run's answers: the Price quotes are the texts.
    assert_eq!(
        theme(&report, "Price")["quote_sources"],
        json!(["support", "support", "reviews"]),
        "{report}"
    );

    // themes.csv: one row per theme, segment and source, outside sources by name.
    let csv = get_text(&server, "/api/reports/by-role/themes.csv").await;
    let (header, rows) = parse_csv(csv.as_bytes());
    assert_eq!(
        header,
        ["theme", "segment", "source", "responses", "mentions"]
    );
    let got: BTreeMap<(String, String, String), (u64, u64)> = rows
        .iter()
        .map(|r| {
            (
                (
                    r["theme"].clone(),
                    r["segment"].clone(),
                    r["source"].clone(),
                ),
                (
                    r["responses"].parse().unwrap(),
                    r["mentions"].parse().unwrap(),
                ),
            )
        })
        .collect();
    assert_eq!(got, expected);
    assert!(got.keys().any(|(_, _, s)| s == "reviews"));
}

#[tokio::test]
async fn a_text_takes_the_segment_of_its_contact_and_follows_it() {
    let server = server().await;
    ingest(&server).await;
    let founder = |r: &Value| theme(r, "Price")["by_segment"]["Founder"].as_u64().unwrap();
    let engineer = |r: &Value| {
        theme(r, "Price")["by_segment"]["Engineer"]
            .as_u64()
            .unwrap()
    };
    let before = report(&server, "by-role").await;
    // c1 answers again, now as an engineer: their latest response moves t1 with them.
    submit(&server, Some("c1"), "Engineer", "fine").await;
    let after = report(&server, "by-role").await;
    assert_eq!(founder(&after), founder(&before) - 1, "{after}");
    // The Price answer of c1's first response stays a Founder's; t1 is an Engineer's now.
    assert_eq!(engineer(&after), engineer(&before) + 1, "{after}");

    // By contact attribute: the contact's plan, once the contact is imported.
    import_texts(
        &server,
        "by-plan",
        "support",
        "id,customer_id,text\np1,c1,the price\np2,c2,expensive\n",
    )
    .await;
    submit(&server, Some("c7"), "Sales", "nothing to say").await;
    let contacts = server
        .http
        .post(server.url("/api/contacts"))
        .bearer_auth(RESEARCHER)
        .header("content-type", "text/csv")
        .body("customer_id,plan\nc1,Pro\nc2,Pro\nc7,Pro\n")
        .send()
        .await
        .unwrap();
    assert_eq!(contacts.status(), 200);
    let by_plan = report(&server, "by-plan").await;
    // c1's "The price is high", p1 and p2.
    assert_eq!(
        theme(&by_plan, "Price")["by_segment"]["Pro"],
        3,
        "{by_plan}"
    );
}

#[tokio::test]
async fn removing_a_text_or_erasing_its_contact_leaves_no_trace() {
    let server = server().await;
    ingest(&server).await;
    let before = evidence(&server, "by-role").await;

    let extra = "id,customer_id,at,text\nx1,c2,2025-01-01,The price is a disaster\n";
    import_texts(&server, "by-role", "support", extra).await;
    let with = evidence(&server, "by-role").await;
    assert_ne!(with.0, before.0, "the text counted");
    assert_eq!(
        delete(&server, "/api/reports/by-role/sources/support/texts/x1").await,
        204
    );
    assert_eq!(evidence(&server, "by-role").await, before);
    assert_eq!(
        delete(&server, "/api/reports/by-role/sources/support/texts/x1").await,
        404
    );

    // A contact with texts only (no response, no CRM row): erased with them.
    let gone =
        "id,customer_id,at,text\ng1,c2,2025-02-01,help with the price\ng2,c2,2025-02-02,support\n";
    import_texts(&server, "by-role", "reviews", gone).await;
    assert_ne!(evidence(&server, "by-role").await.0, before.0);
    // c2 answered too: their response goes with them, so compare against a server that
    // never had c2 at all.
    assert_eq!(delete(&server, "/api/contacts/c2").await, 204);
    let erased = evidence(&server, "by-role").await;

    let fresh = self::server().await;
    for (customer, role, why) in ANSWERS.iter().filter(|a| a.0 != Some("c2")) {
        submit(&fresh, *customer, role, why).await;
    }
    for source in ["support", "reviews"] {
        let csv: String = texts_csv(source)
            .lines()
            .filter(|l| !l.contains(",c2,"))
            .map(|l| format!("{l}\n"))
            .collect();
        import_texts(&fresh, "by-role", source, &csv).await;
    }
    let never = evidence(&fresh, "by-role").await;
    let themes = |r: &Value| r["themes"].clone();
    assert_eq!(themes(&erased.0), themes(&never.0));
    assert_eq!(erased.1, never.1, "themes.csv");
    // Survey answers came at other times on the other server: quotes compare without them.
    let quotes = |p: &Value, s: &str| -> Vec<(Value, Value, Value)> {
        card(p, s)["quotes"]
            .as_array()
            .unwrap()
            .iter()
            .map(|q| (q["text"].clone(), q["source"].clone(), q["theme"].clone()))
            .collect()
    };
    for segment in ["Founder", "Sales", "Engineer"] {
        for part in ["themes", "evidence", "warnings", "n"] {
            assert_eq!(
                card(&erased.2, segment)[part],
                card(&never.2, segment)[part],
                "{segment} {part}"
            );
        }
        assert_eq!(quotes(&erased.2, segment), quotes(&never.2, segment));
    }
    assert_eq!(delete(&server, "/api/contacts/c2").await, 404);
}

#[tokio::test]
async fn a_rebuild_gives_the_figures_incremental_counting_gave() {
    let data = tempfile::tempdir().unwrap();
    let reports = tempfile::tempdir().unwrap();
    let original = std::fs::read_to_string(self::reports().join("by-role.toml")).unwrap();
    std::fs::write(reports.path().join("by-role.toml"), &original).unwrap();
    let server = server_on(data.path(), reports.path()).await;
    ingest(&server).await;
    submit(&server, Some("c1"), "Engineer", "fine").await;
    import_texts(
        &server,
        "by-role",
        "support",
        "id,customer_id,text\nt4,c3,now about the cost\n",
    )
    .await;
    assert_eq!(
        delete(&server, "/api/reports/by-role/sources/reviews/texts/r2").await,
        204
    );
    let incremental = evidence(&server, "by-role").await;
    server.stop().await;

    // A theme that matches nothing: a new definition, rebuilt from what is stored.
    std::fs::write(
        reports.path().join("by-role.toml"),
        format!("{original}\n[[themes]]\nname = \"Zebra\"\nmatch = [\"zzzqqq\"]\n"),
    )
    .unwrap();
    let restarted = server_on(data.path(), reports.path()).await;
    let (mut rebuilt, themes, cards) = evidence(&restarted, "by-role").await;
    let listed = rebuilt["themes"].as_array_mut().unwrap();
    let zebra = listed.iter().position(|t| t["name"] == "Zebra").unwrap();
    assert_eq!(listed.remove(zebra)["responses"], 0);
    assert_eq!(rebuilt, incremental.0);
    assert_eq!(themes, incremental.1);
    assert_eq!(cards, incremental.2);
}

#[tokio::test]
async fn cards_rest_on_the_angles_of_their_sources() {
    let server = server().await;
    for (customer, role, why) in ANSWERS {
        submit(&server, customer, role, why).await;
    }
    let angles = |p: &Value, s: &str| card(p, s)["evidence"]["angles"].clone();
    let few = |p: &Value, s: &str| {
        card(p, s)["warnings"]
            .as_array()
            .unwrap()
            .iter()
            .any(|w| w["code"] == "few_angles")
    };
    let only_voice = profiles(&server, "by-role").await;
    assert_eq!(angles(&only_voice, "Founder"), json!(["voice"]));

    import_texts(&server, "by-role", "support", &texts_csv("support")).await;
    let with_support = profiles(&server, "by-role").await;
    assert_eq!(
        angles(&with_support, "Founder"),
        json!(["voice", "internal"])
    );
    assert!(few(&with_support, "Founder"));
    // Sales has no support text: still the voice alone.
    assert_eq!(angles(&with_support, "Sales"), json!(["voice"]));
    // Engineer's Price theme is quoted from a support ticket, and says so.
    let quotes = card(&with_support, "Engineer")["quotes"]
        .as_array()
        .unwrap();
    assert!(
        quotes
            .iter()
            .any(|q| q["source"] == "support" && q["theme"] == "Price"),
        "{quotes:?}"
    );

    let usage = "id,customer_id,text\nu1,c1,Opened the billing page six times this week\n";
    import_texts(&server, "by-role", "usage-notes", usage).await;
    let three = profiles(&server, "by-role").await;
    assert_eq!(
        angles(&three, "Founder"),
        json!(["voice", "internal", "analytics"])
    );
    assert!(!few(&three, "Founder"), "{}", card(&three, "Founder"));

    // Removing the usage note takes the angle back.
    assert_eq!(
        delete(&server, "/api/reports/by-role/sources/usage-notes/texts/u1").await,
        204
    );
    assert!(few(&profiles(&server, "by-role").await, "Founder"));
}

fn cli(args: &[&str], data: &Path) -> std::process::Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_fieldnotes"))
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
        .unwrap()
}

#[tokio::test]
async fn the_command_imports_offline_and_points_to_the_route_while_a_server_runs() {
    let data = tempfile::tempdir().unwrap();
    let file = data.path().join("tickets.csv");
    std::fs::write(&file, "id,text\nk1,the price\nk2,\"the\ncost\",\n").unwrap();
    let bad = cli(
        &[
            "texts",
            "import",
            "by-role",
            "support",
            file.to_str().unwrap(),
        ],
        data.path(),
    );
    assert!(!bad.status.success());
    let stderr = String::from_utf8_lossy(&bad.stderr);
    assert!(stderr.contains("line 3"), "{stderr}");
    assert!(stderr.contains("nothing was imported"), "{stderr}");

    std::fs::write(&file, "id,text\nk1,the price\nk2,\"the\ncost\"\n").unwrap();
    let done = cli(
        &[
            "texts",
            "import",
            "by-role",
            "support",
            file.to_str().unwrap(),
        ],
        data.path(),
    );
    let stdout = String::from_utf8_lossy(&done.stdout);
    assert!(
        done.status.success(),
        "{}",
        String::from_utf8_lossy(&done.stderr)
    );
    assert!(stdout.contains("2 created, 0 updated"), "{stdout}");
    let unknown = cli(
        &[
            "texts",
            "import",
            "by-role",
            "tweets",
            file.to_str().unwrap(),
        ],
        data.path(),
    );
    assert!(!unknown.status.success());
    assert!(
        String::from_utf8_lossy(&unknown.stderr).contains("no source 'tweets'"),
        "{}",
        String::from_utf8_lossy(&unknown.stderr)
    );

    let server = server_on(data.path(), &reports()).await;
    // The texts are there: a re-import over HTTP updates both.
    let again = import_texts(
        &server,
        "by-role",
        "support",
        "id,text\nk1,the price\nk2,the cost\n",
    )
    .await;
    assert_eq!(again, json!({"created": 0, "updated": 2}));
    let in_use = cli(
        &[
            "texts",
            "import",
            "by-role",
            "support",
            file.to_str().unwrap(),
        ],
        data.path(),
    );
    if common::postgres::suite_on_postgres() {
        // PostgreSQL serves any number of processes: the command imports beside the server.
        let stdout = String::from_utf8_lossy(&in_use.stdout);
        assert!(
            in_use.status.success(),
            "{}",
            String::from_utf8_lossy(&in_use.stderr)
        );
        assert!(stdout.contains("0 created, 2 updated"), "{stdout}");
    } else {
        assert!(!in_use.status.success());
        let stderr = String::from_utf8_lossy(&in_use.stderr);
        assert!(
            stderr.contains("/api/reports/by-role/sources/support/texts"),
            "{stderr}"
        );
    }
    server.stop().await;
}

#[test]
fn check_refuses_bad_source_declarations() {
    let reports = tempfile::tempdir().unwrap();
    std::fs::write(
        reports.path().join("bad.toml"),
        r#"id = "bad"
title = "Bad sources"
form = "feedback"
segment_by = "role"

[[sources]]
name = "survey"
angle = "voice"

[[sources]]
name = "Support Desk"
angle = "internal"

[[sources]]
name = "crm"
angle = "internal"

[[sources]]
name = "crm"
angle = "gut feeling"
"#,
    )
    .unwrap();
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_fieldnotes"))
        .arg("check")
        .arg("--forms")
        .arg(forms())
        .arg("--reports")
        .arg(reports.path())
        .output()
        .unwrap();
    assert!(!output.status.success());
    let out = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    for expected in [
        "bad.toml: source 'survey' is reserved",
        "bad.toml: source 'Support Desk' must be a url-safe name",
        "bad.toml: source 'crm' is declared twice",
        "bad.toml: source 'crm': angle = \"gut feeling\" must be internal, analytics or voice",
    ] {
        assert!(out.contains(expected), "{expected} in {out}");
    }
}
