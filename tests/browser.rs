//! The shipped customer-profile survey answered in a real headless Chromium (WebDriver),
//! on a phone-sized window: a validation error, every page, back, submit, then the CSV.
//!
//! Needs Debian's `chromium` and `chromium-driver` (see `common::chrome`).

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::cast_possible_truncation
)]

mod common;

use std::collections::BTreeMap;

use common::chrome::{ChromeDriver, log_in, main_text, press};
use common::{RESEARCHER, TestServer, shipped_forms};
use fantoccini::{Client, Locator};
use serde_json::{Value, json};

/// What the respondent picks for a question, by the input's `name` (`q.<id>`).
fn choose(name: &str, values: &[String]) -> String {
    match name {
        // A low score, so the follow-up question must appear.
        "q.nps" => "3".into(),
        // "Yes" to the interview, so the email question must appear.
        "q.interview_opt_in" => values
            .iter()
            .find(|v| *v == "Yes")
            .cloned()
            .unwrap_or_else(|| values[0].clone()),
        _ => values[0].clone(),
    }
}

async fn attr(element: &fantoccini::elements::Element, name: &str) -> String {
    element
        .attr(name)
        .await
        .expect("attribute")
        .unwrap_or_default()
}

/// Answers every question on the current page; returns question id -> expected CSV cells.
async fn answer_page(client: &Client) -> BTreeMap<String, String> {
    let mut expected = BTreeMap::new();
    let inputs = client
        .find_all(Locator::Css("form input, form textarea"))
        .await
        .expect("inputs");
    let mut groups: BTreeMap<String, Vec<(String, String, fantoccini::elements::Element)>> =
        BTreeMap::new();
    for input in inputs {
        let name = attr(&input, "name").await;
        if !name.starts_with("q.") || name.ends_with(".other") {
            continue;
        }
        let kind = attr(&input, "type").await;
        let kind = if kind.is_empty() {
            "textarea".to_string()
        } else {
            kind
        };
        let value = attr(&input, "value").await;
        groups.entry(name).or_default().push((kind, value, input));
    }
    for (name, inputs) in groups {
        let id = name.trim_start_matches("q.").to_string();
        let kind = inputs[0].0.clone();
        match kind.as_str() {
            "radio" | "checkbox" => {
                let values: Vec<String> = inputs
                    .iter()
                    .map(|(_, v, _)| v.clone())
                    .filter(|v| v != "__other__")
                    .collect();
                let pick = choose(&name, &values);
                let (_, _, input) = inputs
                    .iter()
                    .find(|(_, v, _)| *v == pick)
                    .expect("the option");
                if !input.is_selected().await.expect("selected?") {
                    let dom_id = input.attr("id").await.expect("id").expect("an id");
                    // Clicking the label, as a person on a phone would.
                    client
                        .find(Locator::Css(&format!("label[for='{dom_id}']")))
                        .await
                        .expect("label")
                        .click()
                        .await
                        .expect("click");
                }
                let cell_key = if kind == "checkbox" {
                    format!("{id}[{pick}]")
                } else {
                    id.clone()
                };
                let cell_value = if kind == "checkbox" {
                    "1".to_string()
                } else {
                    pick
                };
                expected.insert(cell_key, cell_value);
            }
            "email" => {
                inputs[0].2.clear().await.expect("clear");
                inputs[0]
                    .2
                    .send_keys("ana@example.com")
                    .await
                    .expect("type");
                expected.insert(id, "ana@example.com".into());
            }
            "number" => {
                inputs[0].2.clear().await.expect("clear");
                inputs[0].2.send_keys("12").await.expect("type");
                expected.insert(id, "12".into());
            }
            _ => {
                let text = format!("Browser answer for {id}, with \"quotes\" & <angle brackets>");
                inputs[0].2.clear().await.expect("clear");
                inputs[0].2.send_keys(&text).await.expect("type");
                expected.insert(id, text);
            }
        }
    }
    expected
}

#[tokio::test]
async fn a_respondent_answers_the_shipped_survey_in_chromium() {
    let server = TestServer::start(&shipped_forms()).await;
    let driver = ChromeDriver::start();
    let client = driver.browser().await;
    client
        .goto(&server.url("/s/customer-profile?source=test&customer_id=cust-9"))
        .await
        .expect("open the survey");
    let text = main_text(&client).await;
    assert!(text.contains("Help us understand how you work"));
    assert!(text.contains("Page 1 of"));

    // Next without answering: the required questions say so, beside their fields.
    press(&client, "next").await;
    let summary = client
        .find(Locator::Css("#error-summary"))
        .await
        .expect("an error summary");
    assert!(
        summary
            .text()
            .await
            .unwrap()
            .contains("this question is required")
    );
    let field_error = client
        .find(Locator::Css("#err-company_size"))
        .await
        .expect("an error beside company_size");
    assert_eq!(
        field_error.text().await.unwrap(),
        "this question is required"
    );

    let mut expected = answer_page(&client).await;
    press(&client, "next").await;
    assert!(main_text(&client).await.contains("Page 2 of"));

    // Back keeps what was chosen on page 1.
    press(&client, "back").await;
    let checked = client
        .find_all(Locator::Css("input:checked"))
        .await
        .unwrap();
    assert!(
        !checked.is_empty(),
        "page 1 answers are still selected after Back"
    );
    press(&client, "next").await;

    let mut pages = 1;
    loop {
        if main_text(&client).await.contains("Thank you!") {
            break;
        }
        pages += 1;
        assert!(pages < 15, "the survey should end");
        expected.extend(answer_page(&client).await);
        press(&client, "next").await;
    }
    assert!(pages >= 3, "the survey spans several pages, got {pages}");
    assert!(
        expected.contains_key("nps_reason"),
        "nps <= 6 showed the follow-up"
    );
    assert!(
        expected.contains_key("work_email"),
        "opting in showed the email question"
    );
    client.close().await.expect("close the browser");

    let csv = server
        .get_as(
            "/api/forms/customer-profile/responses.csv?pii=1",
            RESEARCHER,
        )
        .await
        .text()
        .await
        .unwrap();
    let mut reader = csv::Reader::from_reader(csv.as_bytes());
    let headers: Vec<String> = reader
        .headers()
        .unwrap()
        .iter()
        .map(str::to_string)
        .collect();
    let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    assert_eq!(rows.len(), 1);
    let cell = |name: &str| {
        let index = headers
            .iter()
            .position(|h| h == name)
            .unwrap_or_else(|| panic!("no column {name} in {headers:?}"));
        rows[0][index].to_string()
    };
    assert_eq!(cell("source"), "test");
    assert_eq!(cell("customer_id"), "cust-9");
    for (column, value) in &expected {
        assert_eq!(&cell(column), value, "column {column}");
    }
}

#[tokio::test]
async fn the_report_page_draws_a_cross_tab_and_one_bar_group_per_unsuppressed_segment() {
    let server = TestServer::start(&shipped_forms()).await;
    // Two segments over min_cell (5), one under it.
    let sizes = [("11–50", 6), ("51–200", 5), ("Just me", 2)];
    let mut i = 0;
    for (size, count) in sizes {
        for _ in 0..count {
            i += 1;
            let body = json!({"answers": {
                "company_size": size, "role": if i % 2 == 0 { "Founder or owner" } else { "Individual contributor" },
                "nps": (i * 3) % 11, "decision_drivers": ["Price"], "nps_reason": "Too slow <b>really</b>"
            }});
            let mut body = body;
            if (i * 3) % 11 > 6 {
                body["answers"]
                    .as_object_mut()
                    .unwrap()
                    .remove("nps_reason");
            }
            let response = server.submit("customer-profile", body).await;
            assert_eq!(response.status(), 201, "{}", response.text().await.unwrap());
        }
    }
    let report: Value = server
        .get_as("/api/reports/customer-profile", RESEARCHER)
        .await
        .json()
        .await
        .unwrap();
    let shown: Vec<&str> = report["segments"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|s| s["suppressed"] == false)
        .map(|s| s["name"].as_str().unwrap())
        .collect();
    assert_eq!(shown, vec!["11–50", "51–200"]);

    let driver = ChromeDriver::start();
    let client = driver.browser().await;
    log_in(&client, &server.base, RESEARCHER, "/r/customer-profile").await;
    assert!(
        client
            .current_url()
            .await
            .unwrap()
            .path()
            .ends_with("/r/customer-profile")
    );
    let text = main_text(&client).await;
    assert!(text.contains("Customer profile — segments and themes"));
    assert!(text.contains("13 responses"));
    let suppressed = client
        .find(Locator::Id("suppressed"))
        .await
        .expect("a suppressed note")
        .text()
        .await
        .unwrap();
    assert!(suppressed.contains("Just me"));

    for question in ["role", "nps", "decision_drivers"] {
        let groups = client
            .find_all(Locator::Css(&format!("#q-{question} svg g.bar-group")))
            .await
            .unwrap();
        let mut names = Vec::new();
        for g in &groups {
            names.push(g.attr("data-segment").await.unwrap().unwrap_or_default());
        }
        assert_eq!(
            names, shown,
            "one bar group per unsuppressed segment for {question}"
        );
        let bars = client
            .find_all(Locator::Css(&format!("#q-{question} svg rect.bar")))
            .await
            .unwrap();
        assert!(!bars.is_empty());
        // The SVG is laid out: its bars have a real rendered size.
        let (_, _, width, height) = bars[0].rectangle().await.unwrap();
        assert!(width >= 0.0 && height > 0.0);
    }
    let nps_whiskers = client
        .find_all(Locator::Css("#q-nps svg line.whisker"))
        .await
        .unwrap();
    assert_eq!(
        nps_whiskers.len(),
        4,
        "mean and NPS intervals for two segments"
    );
    // Choice questions: one cross-tab, a column per unsuppressed segment and one for all.
    let mut columns = vec!["Option"];
    columns.extend(&shown);
    columns.push("All");
    for question in ["role", "decision_drivers"] {
        let headers = client
            .find_all(Locator::Css(&format!(
                "#q-{question} table.crosstab thead th[scope=col]"
            )))
            .await
            .unwrap();
        let mut names = Vec::new();
        for h in &headers {
            names.push(h.text().await.unwrap());
        }
        assert_eq!(names, columns, "the cross-tab columns of {question}");
    }
    // On a phone the chart comes below its table; on a wide screen they sit side by side.
    let (table_box, chart_box) = (
        "#q-role .figure-pair > .table-scroll",
        "#q-role .figure-pair > figure",
    );
    let rectangle = |client: &Client, css: &'static str| {
        let client = client.clone();
        async move {
            client
                .find(Locator::Css(css))
                .await
                .unwrap_or_else(|e| panic!("{css}: {e}"))
                .rectangle()
                .await
                .unwrap()
        }
    };
    let (_, table_y, _, table_height) = rectangle(&client, table_box).await;
    let (_, chart_y, _, _) = rectangle(&client, chart_box).await;
    assert!(
        chart_y >= table_y + table_height - 1.0,
        "stacked on a phone: table at {table_y} (+{table_height}), chart at {chart_y}"
    );
    std::fs::write(
        std::env::temp_dir().join("fieldnotes-report.png"),
        client.screenshot().await.unwrap(),
    )
    .ok();
    client.close().await.unwrap();

    let wide = driver.browser_sized(1400, 1000).await;
    log_in(&wide, &server.base, RESEARCHER, "/r/customer-profile").await;
    let (table_x, table_y, table_width, _) = rectangle(&wide, table_box).await;
    let (chart_x, chart_y, _, _) = rectangle(&wide, chart_box).await;
    assert!(
        chart_x >= table_x + table_width - 1.0 && (chart_y - table_y).abs() < 1.0,
        "side by side when wide: table at ({table_x}, {table_y}) +{table_width}, chart at ({chart_x}, {chart_y})"
    );
    std::fs::write(
        std::env::temp_dir().join("fieldnotes-report-wide.png"),
        wide.screenshot().await.unwrap(),
    )
    .ok();
    wide.close().await.unwrap();
}
