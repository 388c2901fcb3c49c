//! Matrix and ranking questions over HTTP: accepted and refused (422 naming every bad field),
//! exported in every format and read back field by field, reported against SciPy and
//! statsmodels, and read by the profile cards. The form is `tests/fixtures/engine`.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::cast_possible_truncation
)]

mod common;

use std::process::Command;

use common::{RESEARCHER, TestServer, parse_csv, repo_path};
use serde_json::{Value, json};

const FORM: &str = "engine";

async fn server() -> TestServer {
    let dir = repo_path("tests/fixtures/engine");
    TestServer::start_with(&dir.join("forms"), &dir.join("reports"), Default::default()).await
}

/// (plan, sat Speed, sat Price, rate Docs, rate Support, drivers best first)
type Row = (
    &'static str,
    &'static str,
    &'static str,
    i64,
    i64,
    [&'static str; 3],
);

const ROWS: [Row; 10] = [
    ("Free", "High", "Low", 4, 5, ["Price", "Speed", "Support"]),
    ("Free", "High", "Low", 5, 4, ["Price", "Support", "Speed"]),
    ("Free", "Low", "Low", 3, 4, ["Speed", "Price", "Support"]),
    ("Free", "High", "High", 4, 3, ["Price", "Speed", "Support"]),
    ("Free", "High", "Low", 5, 5, ["Support", "Price", "Speed"]),
    ("Pro", "Low", "High", 2, 3, ["Speed", "Support", "Price"]),
    ("Pro", "Low", "High", 3, 2, ["Speed", "Price", "Support"]),
    ("Pro", "High", "High", 2, 4, ["Support", "Speed", "Price"]),
    ("Pro", "Low", "Low", 1, 3, ["Speed", "Price", "Support"]),
    ("Pro", "Low", "High", 3, 2, ["Price", "Speed", "Support"]),
];

fn body(row: &Row) -> Value {
    let (plan, speed, price, docs, support, drivers) = row;
    json!({"answers": {
        "plan": plan,
        "sat": {"Speed": speed, "Price": price},
        "rate": {"Docs": docs, "Support": support},
        "drivers": drivers,
        "top2": ["Peers"],
    }})
}

async fn submit_all(s: &TestServer) -> Vec<String> {
    let mut ids = Vec::new();
    for row in &ROWS {
        let response = s.submit(FORM, body(row)).await;
        assert_eq!(response.status(), 201, "submitting {row:?}");
        let created: Value = response.json().await.expect("JSON");
        ids.push(created["id"].as_str().expect("an id").to_string());
    }
    ids
}

async fn get_bytes(s: &TestServer, path: &str) -> Vec<u8> {
    let response = s.get_as(path, RESEARCHER).await;
    assert_eq!(response.status(), 200, "GET {path}");
    response.bytes().await.expect("body").to_vec()
}

#[tokio::test]
async fn every_bad_matrix_and_ranking_field_is_named_in_one_422() {
    let s = server().await;
    let bad = json!({"answers": {
        "plan": "Free",
        "sat": {"Speed": "Medium"},
        "rate": {"Docs": 9, "Colour": 2},
        "drivers": ["Price", "Price", "Speed"],
        "top2": ["Search", "Peers", "Ads"],
    }});
    let response = s.submit(FORM, bad).await;
    assert_eq!(response.status(), 422);
    let error: Value = response.json().await.expect("JSON");
    assert_eq!(error["error"], "validation");
    let fields = error["fields"].as_object().expect("fields");
    let keys: Vec<&str> = fields.keys().map(String::as_str).collect();
    assert_eq!(keys, ["drivers", "rate", "sat", "top2"], "{error}");
    let sat = fields["sat"].as_str().unwrap();
    assert!(
        sat.contains("row 'Speed' must be one of 'Low', 'High'"),
        "{sat}"
    );
    assert!(sat.contains("every row needs an answer: 'Price'"), "{sat}");
    let rate = fields["rate"].as_str().unwrap();
    assert!(rate.contains("'Colour' is not a row"), "{rate}");
    assert!(
        rate.contains("row 'Docs' must be a whole number from 1 to 5"),
        "{rate}"
    );
    assert_eq!(fields["drivers"], "'Price' is ranked twice");
    assert_eq!(fields["top2"], "rank at least 1 and at most 2 options");

    // Wrong shapes are refused the same way, never with a 500.
    for (answers, field) in [
        (
            json!({"plan": "Free", "sat": ["Low"], "drivers": ["Price", "Speed", "Support"]}),
            "sat",
        ),
        (
            json!({"plan": "Free", "sat": {"Speed": "Low", "Price": "Low"}, "drivers": "Price"}),
            "drivers",
        ),
        (
            json!({"plan": "Free", "sat": {"Speed": "Low", "Price": "Low"}, "drivers": [1, 2, 3]}),
            "drivers",
        ),
        (
            json!({"plan": "Free", "sat": {"Speed": "Low", "Price": "Low"}, "drivers": ["Speed"]}),
            "drivers",
        ),
    ] {
        let response = s.submit(FORM, json!({"answers": answers})).await;
        assert_eq!(response.status(), 422, "{answers}");
        let error: Value = response.json().await.expect("JSON");
        assert!(error["fields"][field].is_string(), "{error}");
    }
    // A required matrix left out is required; a required ranking too.
    let response = s.submit(FORM, json!({"answers": {"plan": "Pro"}})).await;
    let error: Value = response.json().await.expect("JSON");
    assert_eq!(error["fields"]["sat"], "this question is required");
    assert_eq!(error["fields"]["drivers"], "this question is required");

    let good = s.submit(FORM, body(&ROWS[0])).await;
    assert_eq!(good.status(), 201);
    // The form definition carries rows and max_ranked.
    let form: Value = s
        .http
        .get(s.url("/api/forms/engine"))
        .send()
        .await
        .expect("GET")
        .json()
        .await
        .expect("JSON");
    assert_eq!(form["questions"][1]["type"], "matrix");
    assert_eq!(form["questions"][1]["rows"], json!(["Speed", "Price"]));
    assert_eq!(form["questions"][2]["min"], 1.0);
    assert_eq!(form["questions"][4]["type"], "ranking");
    assert_eq!(form["questions"][4]["max_ranked"], 2);
    s.stop().await;
}

#[tokio::test]
async fn exports_have_a_column_per_row_and_per_option_read_back_in_every_format() {
    let s = server().await;
    let ids = submit_all(&s).await;

    let (headers, rows) = parse_csv(&get_bytes(&s, "/api/forms/engine/responses.csv").await);
    assert_eq!(
        headers[3..],
        [
            "source",
            "plan",
            "sat[Speed]",
            "sat[Price]",
            "rate[Docs]",
            "rate[Support]",
            "drivers[Price]",
            "drivers[Speed]",
            "drivers[Support]",
            "top2[Search]",
            "top2[Peers]",
            "top2[Ads]",
            "top2[Events]",
        ]
    );
    for ((row, csv), id) in ROWS.iter().zip(&rows).zip(&ids) {
        let (plan, speed, price, docs, support, drivers) = row;
        assert_eq!(&csv["response_id"], id);
        assert_eq!(&csv["plan"], plan);
        assert_eq!(&csv["sat[Speed]"], speed);
        assert_eq!(&csv["sat[Price]"], price);
        assert_eq!(csv["rate[Docs]"], docs.to_string());
        assert_eq!(csv["rate[Support]"], support.to_string());
        for option in ["Price", "Speed", "Support"] {
            let rank = drivers.iter().position(|d| *d == option).unwrap() + 1;
            assert_eq!(csv[&format!("drivers[{option}]")], rank.to_string());
        }
        assert_eq!(csv["top2[Peers]"], "1");
        assert_eq!(csv["top2[Search]"], "", "an option not ranked is empty");
    }

    let jsonl =
        String::from_utf8(get_bytes(&s, "/api/forms/engine/responses.jsonl").await).expect("UTF-8");
    let records: Vec<Value> = jsonl
        .lines()
        .map(|l| serde_json::from_str(l).expect("a JSON line"))
        .collect();
    assert_eq!(records.len(), ROWS.len());
    for (record, row) in records.iter().zip(&ROWS) {
        assert_eq!(record["answers"], body(row)["answers"]);
    }

    let xlsx = get_bytes(&s, "/api/forms/engine/responses.xlsx").await;
    let sheet = common::xlsx::rows(&xlsx, "responses");
    let header: Vec<String> = sheet[0].iter().map(|c| c.to_string()).collect();
    assert_eq!(header, headers, "the XLSX has the CSV's columns");
    let col = |name: &str| header.iter().position(|h| h == name).unwrap();
    for (cells, row) in sheet[1..].iter().zip(&ROWS) {
        assert_eq!(
            cells[col("sat[Speed]")],
            calamine::Data::String(row.1.into())
        );
        assert_eq!(
            cells[col("rate[Docs]")],
            calamine::Data::Float(row.3 as f64)
        );
        let first = row.5[0];
        assert_eq!(
            cells[col(&format!("drivers[{first}]"))],
            calamine::Data::Float(1.0),
            "ranks are numbers"
        );
        assert_eq!(cells[col("top2[Ads]")], calamine::Data::Empty);
    }

    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("engine.sav");
    std::fs::write(
        &path,
        get_bytes(&s, "/api/forms/engine/responses.sav").await,
    )
    .expect("write");
    let read = Command::new("python3")
        .arg("-c")
        .arg(
            "import json, sys, pyreadstat\n\
             df, meta = pyreadstat.read_sav(sys.argv[1])\n\
             print(json.dumps({'names': list(meta.column_names),\n\
               'labels': meta.variable_value_labels,\n\
               'rows': [{k: (None if v != v else v) for k, v in r.items()} for r in df.to_dict('records')]}, default=str))",
        )
        .arg(&path)
        .output()
        .expect("python3 with pyreadstat");
    assert!(
        read.status.success(),
        "{}",
        String::from_utf8_lossy(&read.stderr)
    );
    let sav: Value = serde_json::from_slice(&read.stdout).expect("JSON");
    let names: Vec<&str> = sav["names"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(Value::as_str)
        .collect();
    for name in ["sat_Speed", "rate_Docs", "drivers_Price", "top2_Events"] {
        assert!(names.contains(&name), "{name} in {names:?}");
    }
    assert!(!names.iter().any(|n| n.ends_with("_other")), "{names:?}");
    assert_eq!(
        sav["labels"]["sat_Speed"],
        json!({"1.0": "Low", "2.0": "High"})
    );
    for (record, row) in sav["rows"].as_array().unwrap().iter().zip(&ROWS) {
        let code = if row.1 == "Low" { 1.0 } else { 2.0 };
        assert_eq!(record["sat_Speed"], json!(code));
        assert_eq!(record["rate_Support"], json!(row.4 as f64));
        let rank = row.5.iter().position(|d| *d == "Support").unwrap() + 1;
        assert_eq!(record["drivers_Support"], json!(rank as f64));
        assert_eq!(record["top2_Search"], Value::Null);
    }
    s.stop().await;
}

fn close(actual: &Value, expected: f64, what: &str) {
    within(actual, expected, 1e-9, what);
}

fn within(actual: &Value, expected: f64, tolerance: f64, what: &str) {
    let actual = actual
        .as_f64()
        .unwrap_or_else(|| panic!("{what}: not a number: {actual}"));
    assert!(
        (actual - expected).abs() < tolerance,
        "{what}: {actual} differs from {expected}"
    );
}

/// statsmodels takes z = 1.959963984540054, SPEC's Wilson z = 1.959964: in percent the two
/// agree to well within 1e-6.
fn wilson_close(actual: &Value, expected: f64, what: &str) {
    within(actual, expected, 1e-6, what);
}

fn question<'a>(report: &'a Value, id: &str) -> &'a Value {
    report["questions"]
        .as_array()
        .expect("questions")
        .iter()
        .find(|q| q["id"] == id)
        .unwrap_or_else(|| panic!("question {id} in {report}"))
}

async fn report(s: &TestServer) -> Value {
    for _ in 0..100 {
        let response = s.get_as("/api/reports/engine", RESEARCHER).await;
        if response.status() == 200 {
            return response.json().await.expect("JSON");
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("the report never became ready");
}

/// Reference values from SciPy 1.17.1 and statsmodels 0.15.0 on the data of `ROWS`.
#[tokio::test]
async fn matrix_rows_and_rankings_are_reported_as_scipy_computes_them() {
    let s = server().await;
    submit_all(&s).await;
    let report = report(&s).await;

    // A rating row is a scale question of its own. Docs: [4,5,3,4,5] Free, [2,3,2,1,3] Pro.
    let docs = question(&report, "rate[Docs]");
    assert_eq!(docs["type"], "scale");
    assert_eq!(docs["overall"]["n"], 10);
    close(&docs["overall"]["mean"], 3.2, "mean");
    // numpy.std(x, ddof=1)
    close(&docs["overall"]["sd"], 1.3165611772087666, "sd");
    // scipy.stats.t.interval(0.95, 9, loc=mean, scale=scipy.stats.sem(x))
    close(&docs["overall"]["ci95"][0], 2.2581888697508408, "ci low");
    close(&docs["overall"]["ci95"][1], 4.14181113024916, "ci high");
    // scipy.stats.ttest_ind(free, pro, equal_var=False)
    assert_eq!(docs["test"]["name"], "welch_t");
    close(&docs["test"]["statistic"], 3.7796447300922726, "t");
    close(&docs["test"]["df"], 8.0, "df");
    close(&docs["test"]["p_value"], 0.005390882019515592, "p");

    // A row of options is a single-choice question of its own. Speed: Free 4 High 1 Low,
    // Pro 1 High 4 Low.
    let speed = question(&report, "sat[Speed]");
    assert_eq!(speed["type"], "single");
    assert_eq!(speed["overall"]["counts"], json!({"Low": 5, "High": 5}));
    // scipy.stats.chi2_contingency([[1, 4], [4, 1]], correction=False)
    assert_eq!(speed["test"]["name"], "chi_square");
    close(&speed["test"]["statistic"], 3.6, "chi2");
    assert_eq!(speed["test"]["df"], 1);
    close(&speed["test"]["p_value"], 0.05777957112359715, "p");
    // scipy.stats.contingency.association([[1, 4], [4, 1]], method="cramer")
    close(&speed["test"]["cramers_v"], 0.6, "V");
    assert!(
        report["questions"]
            .as_array()
            .unwrap()
            .iter()
            .all(|q| q["id"] != "sat"),
        "a matrix is reported by its rows"
    );

    // Ranking: Price's ranks [1,1,2,1,2,3,2,3,2,1], first 4 times of 10.
    let drivers = question(&report, "drivers");
    assert_eq!(drivers["type"], "ranking");
    assert!(drivers["test"].is_null());
    let price = &drivers["overall"]["ranks"]["Price"];
    assert_eq!(price["n"], 10);
    close(&price["mean_rank"], 1.8, "mean rank");
    close(&price["sd"], 0.7888106377466155, "sd of ranks");
    // scipy.stats.t.interval(0.95, 9, loc=1.8, scale=scipy.stats.sem(ranks))
    close(&price["ci95"][0], 1.2357188627848343, "rank ci low");
    close(&price["ci95"][1], 2.3642811372151655, "rank ci high");
    assert_eq!(price["first"], 4);
    close(&price["first_percent"], 40.0, "share first");
    // statsmodels.stats.proportion.proportion_confint(4, 10, method="wilson"), in percent
    wilson_close(&price["first_ci95"][0], 16.81803297062361, "wilson low");
    wilson_close(&price["first_ci95"][1], 68.73262302663417, "wilson high");
    // Support was ranked first twice (rows 5 and 8).
    assert_eq!(drivers["overall"]["ranks"]["Support"]["first"], 2);
    // The Free segment: Price ranks [1,1,2,1,2], first 3 of 5.
    let free = drivers["by_segment"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["segment"] == "Free")
        .expect("Free");
    let free_price = &free["ranks"]["Price"];
    close(&free_price["mean_rank"], 1.4, "Free mean rank");
    // scipy.stats.t.interval(0.95, 4, loc=1.4, scale=scipy.stats.sem([1,1,2,1,2]))
    close(
        &free_price["ci95"][0],
        0.7199126193417443,
        "Free rank ci low",
    );
    close(
        &free_price["ci95"][1],
        2.0800873806582554,
        "Free rank ci high",
    );
    // proportion_confint(3, 5, method="wilson")
    wilson_close(
        &free_price["first_ci95"][0],
        23.07242812760129,
        "Free wilson low",
    );
    wilson_close(
        &free_price["first_ci95"][1],
        88.23792257673522,
        "Free wilson high",
    );
    // Options ranked by nobody have no mean: top2 ranks only Peers.
    let top2 = question(&report, "top2");
    assert_eq!(top2["overall"]["ranks"]["Peers"]["n"], 10);
    assert!(top2["overall"]["ranks"]["Ads"].get("mean_rank").is_none());

    // The segments CSV carries the mean ranks.
    let csv = get_bytes(&s, "/api/reports/engine/segments.csv").await;
    let (_, rows) = parse_csv(&csv);
    let mean_rank = rows
        .iter()
        .find(|r| {
            r["question_id"] == "drivers"
                && r["measure"] == "mean_rank"
                && r["option"] == "Price"
                && r["segment"] == "(overall)"
        })
        .unwrap_or_else(|| panic!("a mean_rank row in {rows:?}"));
    assert_eq!(mean_rank["value"].parse::<f64>().unwrap(), 1.8);

    // The report page draws matrix rows and rankings like the questions they report as.
    let cookie = common::login_cookie(&s.base, RESEARCHER).await;
    let page = s
        .http
        .get(s.url("/r/engine"))
        .header("cookie", cookie)
        .send()
        .await
        .expect("the report page");
    assert_eq!(page.status(), 200);
    let html = page.text().await.expect("HTML");
    assert!(
        html.contains("Rate each of these — Docs"),
        "a matrix row by its text"
    );
    assert!(
        html.contains("ranked each option first"),
        "a ranking's caption"
    );
    s.stop().await;
}

#[tokio::test]
async fn cards_read_matrix_rows_as_their_tags_say_and_rankings_by_first_places() {
    let s = server().await;
    submit_all(&s).await;
    report(&s).await;
    let response = s.get_as("/api/reports/engine/profiles", RESEARCHER).await;
    assert_eq!(response.status(), 200);
    let profiles: Value = response.json().await.expect("JSON");
    let free = profiles["cards"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["segment"] == "Free")
        .expect("a Free card");
    let pain = free["fields"]["pain"].as_array().expect("pain");
    // sat[Speed] in Free: High 4 of 5; the other segment 1 of 5.
    let speed = pain
        .iter()
        .find(|e| e["question"] == "sat[Speed]" && e["option"] == "High")
        .unwrap_or_else(|| panic!("sat[Speed] among the pains: {pain:?}"));
    close(&speed["percent"], 80.0, "percent");
    close(&speed["others_percent"], 20.0, "others");
    // A rating row gives its mean: Docs in Free [4,5,3,4,5] against Pro's 2.2.
    let docs = pain
        .iter()
        .find(|e| e["question"] == "rate[Docs]")
        .unwrap_or_else(|| panic!("rate[Docs] among the pains: {pain:?}"));
    close(&docs["mean"], 4.2, "mean");
    close(&docs["others_mean"], 2.2, "others mean");
    // The ranking's top options by share ranked first: Price 3 of 5 in Free.
    let driver = free["fields"]["driver"].as_array().expect("driver");
    assert_eq!(driver[0]["question"], "drivers");
    assert_eq!(driver[0]["option"], "Price");
    close(&driver[0]["percent"], 60.0, "first places");
    s.stop().await;
}

#[test]
fn check_refuses_bad_matrix_and_ranking_definitions_all_at_once() {
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::write(
        dir.path().join("bad.toml"),
        r#"
id = "bad"
kind = "survey"
title = "Bad"

[[questions]]
id = "m1"
type = "matrix"
text = "No rows"
options = ["a"]

[[questions]]
id = "m2"
type = "matrix"
text = "Both"
rows = ["x", "x"]
options = ["a"]
min = 1
max = 5

[[questions]]
id = "r1"
type = "ranking"
text = "Too many"
options = ["a", "b"]
max_ranked = 3

[[questions]]
id = "r2"
type = "ranking"
text = "Zero"
options = ["a"]
max_ranked = 0

[[questions]]
id = "s1"
type = "single"
text = "Rows on a single"
options = ["a"]
rows = ["x"]
max_ranked = 1

[[questions]]
id = "later"
type = "text"
text = "Reads a matrix"
show_if = "m2 = 'a'"
"#,
    )
    .expect("write");
    let out = Command::new(env!("CARGO_BIN_EXE_fieldnotes"))
        .args(["check", "--forms"])
        .arg(dir.path())
        .output()
        .expect("run check");
    assert!(!out.status.success());
    let text =
        String::from_utf8_lossy(&out.stdout).to_string() + &String::from_utf8_lossy(&out.stderr);
    for expected in [
        "question 'm1': a matrix question needs rows",
        "question 'm2': row 'x' is listed twice",
        "question 'm2': a matrix takes either options or min and max, not both",
        "question 'r1': max_ranked (3) is more than the 2 options",
        "question 'r2': max_ranked must be at least 1",
        "question 's1': rows only apply to matrix questions",
        "question 's1': max_ranked only applies to ranking questions",
        "question 'later': show_if \"m2 = 'a'\": 'm2' is a matrix question, which show_if cannot read",
    ] {
        assert!(text.contains(expected), "{expected:?} in {text}");
    }
}
