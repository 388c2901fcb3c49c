//! Matrix and ranking questions answered in headless Chromium, with JavaScript off on a phone
//! (matrix rows stacked, options chosen by their labels) and on in a wide window (the matrix
//! drawn as a table under its headings): a refused ranking keeps what was chosen, Back keeps
//! every answer, and the CSV holds exactly what was chosen.
//!
//! Needs Debian's `chromium` and `chromium-driver` (see `common::chrome`).

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::cast_possible_truncation
)]

mod common;

use common::chrome::{ChromeDriver, main_text, press};
use common::{RESEARCHER, TestServer, parse_csv, repo_path};
use fantoccini::{Client, Locator};

async fn server() -> TestServer {
    let dir = repo_path("tests/fixtures/engine");
    TestServer::start_with(&dir.join("forms"), &dir.join("reports"), Default::default()).await
}

/// Picks a radio by its id: by its label where labels show (phones), else the radio itself.
async fn pick(client: &Client, dom_id: &str, by_label: bool) {
    let selector = if by_label {
        format!("label[for='{dom_id}']")
    } else {
        format!("#{dom_id}")
    };
    client
        .find(Locator::Css(&selector))
        .await
        .unwrap_or_else(|_| panic!("{selector}"))
        .click()
        .await
        .expect("click");
}

async fn rank(client: &Client, dom_id: &str, value: &str) {
    client
        .find(Locator::Id(dom_id))
        .await
        .unwrap_or_else(|_| panic!("a rank select {dom_id}"))
        .select_by_value(value)
        .await
        .expect("choose a rank");
}

async fn rank_of(client: &Client, dom_id: &str) -> String {
    client
        .find(Locator::Id(dom_id))
        .await
        .expect("a rank select")
        .prop("value")
        .await
        .expect("its value")
        .unwrap_or_default()
}

async fn answer_the_survey(server: &TestServer, client: &Client, by_label: bool) {
    client.goto(&server.url("/s/engine")).await.expect("open");
    // Page 1: the plan and the matrix of options, each row its own labelled group.
    let groups = client
        .find_all(Locator::Css("fieldset#q-sat [role=group]"))
        .await
        .expect("row groups");
    assert_eq!(groups.len(), 2, "one group per matrix row");
    let labelled_by = groups[0]
        .attr("aria-labelledby")
        .await
        .expect("attr")
        .expect("a label id");
    let row_label = client
        .find(Locator::Id(&labelled_by))
        .await
        .expect("the row's label");
    assert_eq!(row_label.text().await.expect("text"), "Speed");
    press(client, "next").await;
    assert!(
        main_text(client)
            .await
            .contains("this question is required"),
        "the required matrix says so"
    );
    pick(client, "q-plan-1", by_label).await;
    pick(client, "q-sat-0-1", by_label).await; // Speed: High
    pick(client, "q-sat-1-0", by_label).await; // Price: Low
    press(client, "next").await;

    // Page 2: the rating matrix and the ranking. One rank twice is refused, choices kept.
    pick(client, "q-rate-0-3", by_label).await; // Docs: 4
    pick(client, "q-rate-1-4", by_label).await; // Support: 5
    rank(client, "q-drivers-rank-0", "1").await;
    rank(client, "q-drivers-rank-1", "1").await;
    press(client, "next").await;
    assert!(
        main_text(client)
            .await
            .contains("give each rank to one option only"),
        "{}",
        main_text(client).await
    );
    assert_eq!(rank_of(client, "q-drivers-rank-0").await, "1");
    assert_eq!(rank_of(client, "q-drivers-rank-1").await, "1");
    let docs = client
        .find(Locator::Id("q-rate-0-3"))
        .await
        .expect("Docs 4");
    assert!(
        docs.is_selected().await.expect("selected?"),
        "the matrix answer is kept"
    );
    rank(client, "q-drivers-rank-1", "2").await;
    rank(client, "q-drivers-rank-2", "3").await;
    press(client, "next").await;

    // Page 3: a ranking of at most two; Back and forward keep every rank.
    rank(client, "q-top2-rank-1", "1").await;
    press(client, "back").await;
    assert_eq!(rank_of(client, "q-drivers-rank-2").await, "3");
    assert!(
        client
            .find(Locator::Id("q-rate-1-4"))
            .await
            .expect("Support 5")
            .is_selected()
            .await
            .expect("selected?")
    );
    press(client, "next").await;
    rank(client, "q-top2-rank-1", "1").await;
    press(client, "next").await;
    assert!(main_text(client).await.contains("Thank you!"));
}

async fn check_csv(server: &TestServer) {
    let csv = server
        .get_as("/api/forms/engine/responses.csv", RESEARCHER)
        .await
        .bytes()
        .await
        .expect("CSV");
    let (_, rows) = parse_csv(&csv);
    assert_eq!(rows.len(), 1);
    let row = &rows[0];
    for (column, value) in [
        ("plan", "Pro"),
        ("sat[Speed]", "High"),
        ("sat[Price]", "Low"),
        ("rate[Docs]", "4"),
        ("rate[Support]", "5"),
        ("drivers[Price]", "1"),
        ("drivers[Speed]", "2"),
        ("drivers[Support]", "3"),
        ("top2[Search]", ""),
        ("top2[Peers]", "1"),
        ("top2[Ads]", ""),
    ] {
        assert_eq!(row[column], value, "{column}");
    }
}

#[tokio::test]
async fn matrix_and_ranking_work_with_javascript_off_on_a_phone() {
    let server = server().await;
    let driver = ChromeDriver::start();
    let client = driver.browser_without_javascript().await;
    answer_the_survey(&server, &client, true).await;
    client.close().await.expect("close");
    check_csv(&server).await;
    server.stop().await;
}

#[tokio::test]
async fn matrix_and_ranking_work_with_javascript_on_in_a_wide_window() {
    let server = server().await;
    let driver = ChromeDriver::start();
    let client = driver.browser_sized(1280, 900).await;
    client.goto(&server.url("/s/engine")).await.expect("open");
    // Wide: the headings show, and each row is drawn as a grid row beside them.
    let head = client
        .find(Locator::Css("fieldset#q-sat .matrix-head"))
        .await
        .expect("headings");
    assert_eq!(head.css_value("display").await.expect("display"), "grid");
    assert!(head.text().await.expect("text").contains("High"));
    answer_the_survey(&server, &client, false).await;
    client.close().await.expect("close");
    check_csv(&server).await;
    server.stop().await;
}

/// The form positions of a question's shuffled options, in the order the page shows them.
async fn shown_order(client: &Client, selector: &str) -> Vec<String> {
    let mut ids = Vec::new();
    for element in client
        .find_all(Locator::Css(selector))
        .await
        .expect("options")
    {
        ids.push(element.attr("id").await.expect("attr").unwrap_or_default());
    }
    ids
}

#[tokio::test]
async fn a_shuffled_order_survives_back_forward_and_reload_in_chromium() {
    let server = TestServer::start(&repo_path("tests/fixtures/extras/forms")).await;
    let driver = ChromeDriver::start();
    let client = driver.browser_without_javascript().await;
    client.goto(&server.url("/s/shuffle")).await.expect("open");
    let tools = shown_order(&client, "input[name='q.tools']").await;
    assert_eq!(tools.len(), 6, "five options and other: {tools:?}");
    assert_eq!(tools[5], "q-tools-other");
    assert_eq!(tools[4], "q-tools-4", "None of these is kept last");
    press(&client, "next").await;
    let rows = shown_order(&client, "#q-sat [role=group]").await;
    assert_eq!(rows.len(), 4);
    // The browser's own Back and Forward, then a reload (which posts page 1 again).
    client.back().await.expect("history back");
    client
        .wait()
        .for_element(Locator::Css("main"))
        .await
        .expect("page 1");
    assert_eq!(shown_order(&client, "input[name='q.tools']").await, tools);
    client.forward().await.expect("history forward");
    client
        .wait()
        .for_element(Locator::Css("#q-sat"))
        .await
        .expect("page 2");
    assert_eq!(shown_order(&client, "#q-sat [role=group]").await, rows);
    client.refresh().await.expect("reload");
    client
        .wait()
        .for_element(Locator::Css("#q-sat"))
        .await
        .expect("page 2 again");
    assert_eq!(shown_order(&client, "#q-sat [role=group]").await, rows);
    // The page's Back button too.
    press(&client, "back").await;
    assert_eq!(shown_order(&client, "input[name='q.tools']").await, tools);
    client.close().await.expect("close");
    server.stop().await;
}
