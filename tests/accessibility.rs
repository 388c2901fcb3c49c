//! Every kind of page, checked with axe-core (WCAG 2.0 and 2.1, levels A and AA) in headless
//! Chromium: the survey, the thank-you page, the login page, the front page, the report page,
//! the profile cards and the interview console. axe-core comes from npm (`tests/a11y`,
//! installed by `scripts/test`); the test fails, never skips, when it is missing.

mod common;

use std::time::Duration;

use common::chrome::{ChromeDriver, log_in};
use common::{RESEARCHER, TestServer, repo_path};
use fantoccini::{Client, Locator};
use serde_json::{Value, json};

fn axe_source() -> String {
    let path = repo_path("tests/a11y/node_modules/axe-core/axe.min.js");
    std::fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!(
            "cannot read {} ({e}): run `npm ci --prefix tests/a11y`, or scripts/test",
            path.display()
        )
    })
}

/// axe's violations on the page the browser shows, as "rule: target" lines.
async fn violations(browser: &Client, axe: &str) -> Vec<String> {
    browser
        .execute(axe, vec![])
        .await
        .expect("axe-core loads into the page");
    let result = browser
        .execute_async(
            r#"const done = arguments[arguments.length - 1];
               axe.run(document, {runOnly: {type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]}})
                  .then(r => done(r.violations.map(v => ({id: v.id, help: v.help,
                       targets: v.nodes.map(n => n.target.join(" "))}))))
                  .catch(e => done([{id: "axe-error", help: String(e), targets: []}]));"#,
            vec![],
        )
        .await
        .expect("axe runs");
    result
        .as_array()
        .expect("a list of violations")
        .iter()
        .map(|v: &Value| format!("{}: {} at {}", v["id"], v["help"], v["targets"]))
        .collect()
}

async fn check(browser: &Client, axe: &str, base: &str, path: &str, failures: &mut Vec<String>) {
    browser.goto(&format!("{base}{path}")).await.expect("page");
    browser
        .wait()
        .at_most(Duration::from_secs(30))
        .for_element(Locator::Css("main"))
        .await
        .expect("the page's main element");
    for v in violations(browser, axe).await {
        failures.push(format!("{path}: {v}"));
    }
}

#[tokio::test]
async fn every_kind_of_page_passes_axe() {
    let axe = axe_source();
    let s = TestServer::start_with(
        &repo_path("forms"),
        &repo_path("reports"),
        Default::default(),
    )
    .await;
    // Enough responses in three segments for the report's tables and three cards.
    for (i, size) in ["Just me", "2–10", "11–50"]
        .iter()
        .cycle()
        .take(18)
        .enumerate()
    {
        let r = s
            .submit(
                "customer-profile",
                json!({"answers": {
                    "company_size": size, "role": "Founder or owner", "nps": (i % 11) as i64,
                    "pmf": if i % 2 == 0 { "Very disappointed" } else { "Somewhat disappointed" },
                    "biggest_challenge": "Reporting is slow and the price keeps going up."
                }}),
            )
            .await;
        assert_eq!(r.status(), 201);
    }
    let interview = common::interviews::start_jtbd(&s.http, &s.base, "P1").await;
    let driver = ChromeDriver::start();
    let browser = driver.browser_sized(1280, 1000).await;
    // The checker itself finds what it should: an image without a text alternative.
    browser
        .goto("data:text/html,<html lang=en><title>x</title><main><img src=x.png></main></html>")
        .await
        .expect("a known bad page");
    let found = violations(&browser, &axe).await;
    assert!(
        found.iter().any(|v| v.contains("image-alt")),
        "axe-core missed a missing alt: {found:?}"
    );
    let mut failures = Vec::new();
    for path in ["/", "/login", "/s/customer-profile"] {
        check(&browser, &axe, &s.base, path, &mut failures).await;
    }
    log_in(&browser, &s.base, RESEARCHER, "/r/customer-profile").await;
    for path in [
        "/",
        "/r/customer-profile",
        "/r/customer-profile/profiles",
        "/r/customer-profile/themes/Price",
        "/i",
        &format!("/i/{interview}"),
        &format!("/i/{interview}?observe=1"),
    ] {
        check(&browser, &axe, &s.base, path, &mut failures).await;
    }
    let _ = browser.close().await;
    assert!(
        failures.is_empty(),
        "axe-core found:\n{}",
        failures.join("\n")
    );
    s.stop().await;
}
