//! Report JSON over a loopback server, against values computed with SciPy 1.17.1 and
//! statsmodels 0.15.0 from the same data (`scipy.stats.t.interval`, `ttest_ind(equal_var=False)`,
//! `f_oneway`, `chi2_contingency(correction=False)`, `association(method="cramer")`; Wilson by
//! SPEC's formula with z = 1.959964, which agrees with `proportion_confint(method="wilson")`
//! to 1e-8; NPS by SPEC's formula). Also: suppression, missing answers, and incremental
//! aggregates equal to a rebuild from scratch, including after erasures.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::cast_possible_truncation
)]

mod common;

use std::path::Path;

use common::{INTERVIEWER, RESEARCHER, ServerProcess, free_port, login_cookie, repo_path};
use fieldnotes::app;
use fieldnotes::config::{Config, Secret};
use serde_json::{Value, json};

fn panel_dir(sub: &str) -> std::path::PathBuf {
    repo_path(&format!("tests/fixtures/panel/{sub}"))
}

/// (plan, role, nps, ease, tools, seats)
type Row = (
    &'static str,
    &'static str,
    i64,
    i64,
    &'static [&'static str],
    f64,
);

const FREE: [Row; 7] = [
    ("Free", "Founder", 9, 4, &["Slack"], 1.5),
    ("Free", "Engineer", 10, 5, &["Slack", "Jira"], 2.0),
    ("Free", "Engineer", 6, 3, &[], 3.0),
    ("Free", "Designer", 8, 4, &["Jira"], 1.0),
    ("Free", "Founder", 3, 2, &["Slack"], 2.25),
    ("Free", "Engineer", 9, 5, &["Slack"], 4.0),
    ("Free", "Founder", 7, 4, &["Linear"], 1.0),
];
const PRO: [Row; 6] = [
    ("Pro", "Engineer", 7, 3, &["Jira"], 10.0),
    ("Pro", "Engineer", 9, 3, &["Slack", "Jira"], 12.5),
    ("Pro", "Designer", 2, 4, &["Jira"], 8.0),
    ("Pro", "Engineer", 5, 1, &["Slack"], 20.0),
    ("Pro", "Founder", 10, 5, &["Jira"], 15.0),
    ("Pro", "Engineer", 8, 2, &[], 9.0),
];
const TEAM: [Row; 2] = [
    ("Team", "Founder", 10, 5, &["Slack"], 50.0),
    ("Team", "Engineer", 9, 4, &["Slack"], 40.0),
];

fn body(row: &Row) -> Value {
    let (plan, role, nps, ease, tools, seats) = row;
    json!({"answers": {"plan": plan, "role": role, "nps": nps, "ease": ease, "tools": tools,
                       "seats": seats, "email": "secret@example.com", "comment": "free text"}})
}

fn close(actual: &Value, expected: f64, what: &str) {
    let actual = actual
        .as_f64()
        .unwrap_or_else(|| panic!("{what}: not a number: {actual}"));
    assert!(
        (actual - expected).abs() < 1e-9,
        "{what}: {actual} differs from {expected}"
    );
}

fn question<'a>(report: &'a Value, id: &str) -> &'a Value {
    report["questions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|q| q["id"] == id)
        .unwrap_or_else(|| panic!("question {id} in {report}"))
}

fn segment<'a>(q: &'a Value, name: &str) -> &'a Value {
    q["by_segment"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["segment"] == name)
        .unwrap_or_else(|| panic!("segment {name} in {q}"))
}

struct Panel {
    server: ServerProcess,
    http: reqwest::Client,
}

impl Panel {
    fn start(data: &Path, reports: &Path) -> Panel {
        let server =
            ServerProcess::start_with_reports(data, &panel_dir("forms"), reports, free_port());
        Panel {
            server,
            http: reqwest::Client::new(),
        }
    }

    async fn submit(&self, row: &Row) -> Value {
        let response = self
            .http
            .post(format!("{}/api/forms/panel/responses", self.server.base))
            .json(&body(row))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 201);
        response.json().await.unwrap()
    }

    async fn report(&self) -> Value {
        for _ in 0..200 {
            let response = self
                .http
                .get(format!("{}/api/reports/panel", self.server.base))
                .bearer_auth(RESEARCHER)
                .send()
                .await
                .unwrap();
            if response.status() == 503 {
                let body: Value = response.json().await.unwrap();
                assert_eq!(body["error"], "rebuilding");
                assert!(body["progress"]["total"].is_u64());
                tokio::time::sleep(std::time::Duration::from_millis(25)).await;
                continue;
            }
            assert_eq!(response.status(), 200);
            return response.json().await.unwrap();
        }
        panic!("the report never became ready");
    }
}

#[tokio::test]
async fn figures_match_the_reference_and_small_segments_are_suppressed() {
    let data = tempfile::tempdir().unwrap();
    let panel = Panel::start(data.path(), &panel_dir("reports"));
    for row in FREE.iter().chain(&PRO).chain(&TEAM) {
        panel.submit(row).await;
    }
    // A response without a plan answer cannot happen (plan is required); one without nps can.
    let mut partial = body(&FREE[0]);
    partial["answers"].as_object_mut().unwrap().remove("nps");
    partial["answers"]["plan"] = json!("Team");
    let r = panel
        .http
        .post(format!("{}/api/forms/panel/responses", panel.server.base))
        .json(&partial)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);

    let report = panel.report().await;
    assert_eq!(report["responses"], 16);
    assert_eq!(report["segment_by"], "plan");
    assert_eq!(
        report["segments"],
        json!([{"name": "Free", "n": 7, "suppressed": false}, {"name": "Pro", "n": 6, "suppressed": false},
               {"name": "Team", "n": null, "suppressed": true}])
    );
    // Personal data, free text and the segment question itself are not reported on.
    let ids: Vec<&str> = report["questions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|q| q["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, vec!["role", "nps", "ease", "tools", "seats"]);
    assert!(!report.to_string().contains("secret@example.com"));

    let nps = question(&report, "nps");
    let overall = &nps["overall"];
    assert_eq!(overall["n"], 13, "Team is suppressed and takes no part");
    close(&overall["mean"], 7.153846153846154, "overall mean");
    close(&overall["sd"], 2.5444761689508852, "overall sd");
    close(&overall["ci95"][0], 5.616234593744496, "overall ci low");
    close(&overall["ci95"][1], 8.691457713947813, "overall ci high");
    close(&overall["nps"], 7.6923076923076925, "overall nps");
    close(
        &overall["nps_ci95"][0],
        -37.34475285720389,
        "overall nps ci low",
    );
    close(
        &overall["nps_ci95"][1],
        52.72936824181928,
        "overall nps ci high",
    );
    let free = segment(nps, "Free");
    assert_eq!(
        (
            free["promoters"].as_u64(),
            free["passives"].as_u64(),
            free["detractors"].as_u64()
        ),
        (Some(3), Some(2), Some(2))
    );
    close(&free["mean"], 7.428571428571429, "free mean");
    close(&free["ci95"][0], 5.236268012120055, "free ci low");
    close(&free["nps"], 14.285714285714285, "free nps");
    close(&free["nps_ci95"][0], -47.42328019645176, "free nps ci low");
    close(&free["nps_ci95"][1], 75.99470876788033, "free nps ci high");
    let pro = segment(nps, "Pro");
    close(&pro["sd"], 2.9268868558020253, "pro sd");
    close(&pro["nps"], 0.0, "pro nps");
    assert!(
        nps["by_segment"]
            .as_array()
            .unwrap()
            .iter()
            .all(|s| s["segment"] != "Team")
    );
    assert_eq!(nps["test"]["name"], "welch_t");
    close(&nps["test"]["statistic"], 0.3985563334304216, "welch t");
    close(&nps["test"]["p_value"], 0.6988882443846387, "welch p");
    close(&nps["test"]["df"], 9.658498049136613, "welch df");

    let seats = question(&report, "seats");
    close(
        &segment(seats, "Free")["mean"],
        2.107142857142857,
        "seats mean",
    );
    close(
        &segment(seats, "Pro")["ci95"][1],
        17.13815524654235,
        "seats ci high",
    );
    close(&seats["test"]["statistic"], -5.474962925151511, "seats t");
    close(&seats["test"]["p_value"], 0.002038687652567897, "seats p");

    let ease = question(&report, "ease");
    close(&ease["test"]["statistic"], 1.2163272811190748, "ease t");
    close(
        &segment(ease, "Pro")["sd"],
        std::f64::consts::SQRT_2,
        "ease sd (scipy: 1.4142135623730951)",
    );

    let role = question(&report, "role");
    let free_role = segment(role, "Free");
    assert_eq!(
        free_role["counts"],
        json!({"Founder": 3, "Engineer": 3, "Designer": 1})
    );
    close(
        &free_role["percent"]["Engineer"],
        42.857142857142854,
        "percent",
    );
    close(
        &free_role["ci95"]["Engineer"][0],
        15.821985399244538,
        "wilson low",
    );
    close(
        &free_role["ci95"]["Engineer"][1],
        74.95416372469643,
        "wilson high",
    );
    assert_eq!(role["test"]["name"], "chi_square");
    close(&role["test"]["statistic"], 1.072278911564626, "chi2");
    close(&role["test"]["p_value"], 0.5850023259458847, "chi2 p");
    assert_eq!(role["test"]["df"], 2);
    close(&role["test"]["cramers_v"], 0.2871985257574957, "cramers v");
    assert_eq!(role["test"]["low_expected"], true);

    // multi: the share of those who answered (the empty list did not answer) choosing each.
    let tools = segment(question(&report, "tools"), "Free");
    assert_eq!(tools["n"], 6);
    assert_eq!(tools["counts"], json!({"Slack": 4, "Jira": 2, "Other": 1}));
    close(
        &tools["percent"]["Slack"],
        66.66666666666667,
        "multi percent",
    );
    close(
        &tools["ci95"]["Slack"][0],
        29.999331299474324,
        "multi wilson low",
    );
    close(
        &tools["ci95"]["Slack"][1],
        90.32285897864654,
        "multi wilson high",
    );
}

#[tokio::test]
async fn three_segments_use_anova_and_csv_carries_the_same_numbers() {
    let reports = tempfile::tempdir().unwrap();
    let text = std::fs::read_to_string(panel_dir("reports").join("panel.toml")).unwrap();
    std::fs::write(
        reports.path().join("panel.toml"),
        text.replace("min_cell = 5", "min_cell = 2"),
    )
    .unwrap();
    let data = tempfile::tempdir().unwrap();
    let panel = Panel::start(data.path(), reports.path());
    for row in FREE.iter().chain(&PRO).chain(&TEAM) {
        panel.submit(row).await;
    }
    let report = panel.report().await;
    let nps = question(&report, "nps");
    assert_eq!(nps["test"]["name"], "anova");
    close(&nps["test"]["statistic"], 0.8321384425216318, "F");
    close(&nps["test"]["p_value"], 0.45874099679164915, "anova p");
    assert_eq!(nps["test"]["df"], json!([2, 12]));

    let csv = panel
        .http
        .get(format!(
            "{}/api/reports/panel/segments.csv",
            panel.server.base
        ))
        .bearer_auth(RESEARCHER)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let mut reader = csv::Reader::from_reader(csv.as_bytes());
    assert_eq!(
        reader.headers().unwrap().iter().collect::<Vec<_>>(),
        vec![
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
    let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    let find = |q: &str, segment: &str, measure: &str, option: &str| {
        rows.iter()
            .find(|r| &r[0] == q && &r[2] == segment && &r[4] == measure && &r[5] == option)
            .unwrap_or_else(|| panic!("row {q} {segment} {measure} {option}"))
            .clone()
    };
    let free_mean = find("nps", "Free", "mean", "");
    assert_eq!(&free_mean[3], "7");
    close(
        &json!(free_mean[6].parse::<f64>().unwrap()),
        segment(nps, "Free")["mean"].as_f64().unwrap(),
        "csv mean",
    );
    close(
        &json!(free_mean[7].parse::<f64>().unwrap()),
        segment(nps, "Free")["ci95"][0].as_f64().unwrap(),
        "csv ci",
    );
    let f = find("nps", "(between segments)", "anova", "");
    close(
        &json!(f[6].parse::<f64>().unwrap()),
        0.8321384425216318,
        "csv F",
    );
    assert_eq!(&find("role", "Free", "count", "Engineer")[6], "3");
    assert_eq!(&find("nps", "(between segments)", "df", "")[6], "[2,12]");
}

#[tokio::test]
async fn reports_need_a_researcher_and_exist() {
    let data = tempfile::tempdir().unwrap();
    let panel = Panel::start(data.path(), &panel_dir("reports"));
    let get = |path: &str, token: Option<&str>| {
        let mut request = panel.http.get(format!("{}{path}", panel.server.base));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        request.send()
    };
    assert_eq!(get("/api/reports", None).await.unwrap().status(), 401);
    assert_eq!(
        get("/api/reports/panel", Some(INTERVIEWER))
            .await
            .unwrap()
            .status(),
        403
    );
    assert_eq!(
        get("/api/reports/nope", Some(RESEARCHER))
            .await
            .unwrap()
            .status(),
        404
    );
    let list: Value = get("/api/reports", Some(RESEARCHER))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(list[0]["id"], "panel");

    // The report page: browsers without a login go to it and come back; interviewers may not.
    let no_redirects = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let researcher_cookie = login_cookie(&panel.server.base, RESEARCHER).await;
    let interviewer_cookie = login_cookie(&panel.server.base, INTERVIEWER).await;
    let page = |path: &str, token: Option<&str>| {
        let mut request = no_redirects.get(format!("{}{path}", panel.server.base));
        if let Some(token) = token {
            let cookie = if token == RESEARCHER {
                &researcher_cookie
            } else {
                &interviewer_cookie
            };
            request = request.header("cookie", cookie.clone());
        }
        request.send()
    };
    let anonymous = page("/r/panel", None).await.unwrap();
    assert_eq!(anonymous.status(), 303);
    assert_eq!(anonymous.headers()["location"], "/login?next=%2Fr%2Fpanel");
    assert_eq!(
        page("/r/panel", Some(INTERVIEWER)).await.unwrap().status(),
        403
    );
    assert_eq!(
        page("/r/nope", Some(RESEARCHER)).await.unwrap().status(),
        404
    );
    let html = page("/r/panel", Some(RESEARCHER))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("<h1>Panel by plan</h1>"), "{html}");

    // An empty report: every segment empty and suppressed, no figures, no tests.
    let report = panel.report().await;
    assert_eq!(report["responses"], 0);
    assert!(
        report["segments"]
            .as_array()
            .unwrap()
            .iter()
            .all(|s| s["suppressed"] == true)
    );
    assert_eq!(question(&report, "nps")["overall"]["n"], 0);
    assert!(question(&report, "nps")["test"].is_null());
}

/// The store, driven directly: incremental aggregates after inserts and erasures equal the
/// aggregates a rebuild computes from the stored responses, value for value.
#[tokio::test]
async fn incremental_aggregates_equal_a_rebuild_even_after_erasures() {
    let data = tempfile::tempdir().unwrap();
    let config = Config {
        data_dir: data.path().to_path_buf(),
        forms_dir: panel_dir("forms"),
        reports_dir: panel_dir("reports"),
        researcher_token: Some(Secret::new(RESEARCHER)),
        ..Config::default()
    };
    let prepared = app::prepare(&config).unwrap();
    let state = prepared.state;
    app::start_rebuilds(&state).unwrap();
    let report = state.reports.get("panel").unwrap();
    let wait_ready = || {
        for _ in 0..400 {
            if let fieldnotes::store::AggregateState::Ready(segments) = state
                .store
                .aggregates("panel", &report.aggregate_key)
                .unwrap()
            {
                return segments;
            }
            std::thread::sleep(std::time::Duration::from_millis(10));
        }
        panic!("aggregates never ready");
    };
    wait_ready();
    let mut receipts = Vec::new();
    for row in FREE.iter().chain(&PRO).chain(&TEAM).cycle().take(60) {
        let b = body(row);
        let answers = serde_json::from_value(b["answers"].clone()).unwrap();
        let receipt = fieldnotes::responses::submit(
            state.store.as_ref(),
            &state.catalog,
            &state.reports,
            "panel",
            &answers,
            &Default::default(),
            Default::default(),
        )
        .unwrap();
        receipts.push(receipt);
    }
    for receipt in receipts.iter().step_by(3) {
        fieldnotes::responses::erase(
            state.store.as_ref(),
            &state.catalog,
            &state.reports,
            &receipt.id.to_string(),
            Some(&receipt.receipt),
        )
        .unwrap();
    }
    let incremental = wait_ready();
    assert_eq!(incremental.values().map(|s| s.responses).sum::<i64>(), 40);

    // A changed definition key forces a rebuild from the stored responses.
    assert!(
        state
            .store
            .begin_rebuild("panel", "another-key", "panel")
            .unwrap()
    );
    let panel = state.reports.get("panel").unwrap();
    fieldnotes::analysis::rebuild::rebuild_in_batches(
        state.store.as_ref(),
        state.store.as_ref(),
        &state.catalog,
        &state.reports,
        &panel,
        7,
    )
    .unwrap();
    let fieldnotes::store::AggregateState::Ready(rebuilt) =
        state.store.aggregates("panel", "another-key").unwrap()
    else {
        panic!("rebuilt aggregates are ready");
    };
    assert_eq!(rebuilt, incremental);
}

#[tokio::test]
async fn a_changed_report_file_rebuilds_once_and_gives_the_same_figures() {
    let data = tempfile::tempdir().unwrap();
    let reports = tempfile::tempdir().unwrap();
    let original = std::fs::read_to_string(panel_dir("reports").join("panel.toml")).unwrap();
    std::fs::write(reports.path().join("panel.toml"), &original).unwrap();
    let port = free_port();
    let panel = Panel::start(data.path(), reports.path());
    let mut erasable = Vec::new();
    for row in FREE.iter().chain(&PRO).chain(&TEAM).cycle().take(45) {
        erasable.push(panel.submit(row).await);
    }
    for receipt in erasable.iter().step_by(4) {
        let url = format!(
            "{}/api/responses/{}?receipt={}",
            panel.server.base,
            receipt["id"].as_str().unwrap(),
            receipt["receipt"].as_str().unwrap()
        );
        assert_eq!(panel.http.delete(url).send().await.unwrap().status(), 204);
    }
    let incremental = panel.report().await;
    drop(panel);

    // Segment by role: a different definition, rebuilt from the stored responses.
    std::fs::write(
        reports.path().join("panel.toml"),
        original.replace("segment_by = \"plan\"", "segment_by = \"role\""),
    )
    .unwrap();
    let by_role = Panel::start(data.path(), reports.path());
    assert_eq!(by_role.report().await["segment_by"], "role");
    drop(by_role);

    // Back to plan: rebuilt again, and equal to what incremental updates gave.
    std::fs::write(reports.path().join("panel.toml"), &original).unwrap();
    let _ = port;
    let rebuilt = Panel::start(data.path(), reports.path());
    assert_eq!(rebuilt.report().await, incremental);
}
