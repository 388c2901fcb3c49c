//! Every kind of page, checked with axe-core (WCAG 2.0, 2.1 and 2.2, levels A and AA, target
//! size included) in headless Chromium: the survey in each of its states (first page, errors,
//! consent, save and resume, thank-you, closed, a dead link), the German survey with its
//! language switch, the login page, the front page, the report page, the profile cards, the
//! interview pages and console. axe-core comes from npm (`tests/a11y`, installed by
//! `scripts/test`); the test fails, never skips, when it is missing, and prints every violation.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::cast_possible_truncation
)]

mod common;

use std::time::Duration;

use common::chrome::{ChromeDriver, click_and_wait, log_in, press};
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

const WCAG_21: &[&str] = &["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"];
/// What the specification asks of every hosted survey page.
const WCAG_22: &[&str] = &[
    "wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22a", "wcag22aa",
];

/// axe's violations of rules with these tags on the page the browser shows, as "rule: target"
/// lines.
async fn violations(browser: &Client, axe: &str, tags: &[&str]) -> Vec<String> {
    browser
        .execute(axe, vec![])
        .await
        .expect("axe-core loads into the page");
    let result = browser
        .execute_async(
            r#"const [tags, done] = arguments;
               axe.run(document, {runOnly: {type: "tag", values: tags}})
                  .then(r => done(r.violations.map(v => ({id: v.id, help: v.help,
                       targets: v.nodes.map(n => n.target.join(" "))}))))
                  .catch(e => done([{id: "axe-error", help: String(e), targets: []}]));"#,
            vec![json!(tags)],
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
    for v in violations(browser, axe, WCAG_22).await {
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
    let found = violations(&browser, &axe, WCAG_21).await;
    assert!(
        found.iter().any(|v| v.contains("image-alt")),
        "axe-core missed a missing alt: {found:?}"
    );
    // And WCAG 2.2's target size: two 10 px buttons side by side.
    browser
        .goto("data:text/html,<html lang=en><title>x</title><main><button style='width:10px;height:10px;padding:0;margin:0'>a</button><button style='width:10px;height:10px;padding:0;margin:0'>b</button></main></html>")
        .await
        .expect("a page with small targets");
    let found = violations(&browser, &axe, WCAG_22).await;
    assert!(
        found.iter().any(|v| v.contains("target-size")),
        "axe-core missed small targets: {found:?}"
    );
    let mut failures = Vec::new();
    for path in [
        "/",
        "/login",
        "/s/customer-profile",
        "/s/customer-profile/resume/nothing",
        "/s/customer-profile?lang=de",
    ] {
        check(&browser, &axe, &s.base, path, &mut failures).await;
    }
    log_in(&browser, &s.base, RESEARCHER, "/r/customer-profile").await;
    for path in [
        "/",
        "/r/customer-profile",
        "/r/customer-profile/profiles",
        "/r/customer-profile/themes/Price",
        "/i",
        "/i/new/jtbd-switch",
        &format!("/i/{interview}"),
        &format!("/i/{interview}?observe=1"),
    ] {
        check(&browser, &axe, &s.base, path, &mut failures).await;
    }
    // The console's shortcut hints, in either state of their button.
    browser
        .goto(&format!("{}/i/{interview}", s.base))
        .await
        .expect("the console");
    browser
        .wait()
        .at_most(Duration::from_secs(30))
        .for_element(Locator::Id("quote"))
        .await
        .expect("the Quote button");
    failures.extend(hint_contrast(&browser).await);
    browser
        .find(Locator::Id("quote"))
        .await
        .expect("the Quote button")
        .click()
        .await
        .expect("press Quote");
    failures.extend(hint_contrast(&browser).await);
    let _ = browser.close().await;
    assert!(
        failures.is_empty(),
        "axe-core found:\n{}",
        failures.join("\n")
    );
    s.stop().await;
}

/// The contrast of each mark button's `kbd` hint with the button behind it, by WCAG's
/// formula, opacity included (a faded hint is a lighter hint): a line for each under 7:1.
/// 4.5:1 is the rule, but thin 12 px glyphs render lighter than their colour: the accent,
/// 5.8:1 as written, was measured at 3.93:1 on screen.
async fn hint_contrast(browser: &Client) -> Vec<String> {
    let found = browser
        .execute(
            r#"const channels = c => c.match(/[\d.]+/g).map(Number);
               const luminance = c => channels(c).slice(0, 3).map(v => v / 255)
                   .map(v => v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4))
                   .reduce((sum, v, i) => sum + v * [0.2126, 0.7152, 0.0722][i], 0);
               return [...document.querySelectorAll("button.mark")].map(button => {
                 const kbd = button.querySelector("kbd");
                 const fg = getComputedStyle(kbd).color, bg = getComputedStyle(button).backgroundColor;
                 let opacity = (channels(fg)[3] ?? 1);
                 for (let e = kbd; e; e = e.parentElement) opacity *= Number(getComputedStyle(e).opacity);
                 const [a, b] = [luminance(fg), luminance(bg)].sort((x, y) => y - x);
                 return {button: button.textContent, pressed: button.getAttribute("aria-pressed"),
                         fg, bg, opacity, ratio: (a + 0.05) / (b + 0.05)};
               });"#,
            vec![],
        )
        .await
        .expect("the hints' colours");
    let hints = found.as_array().expect("a list of hints");
    assert_eq!(hints.len(), 5, "Quote, Push, Pull, Anxiety, Habit: {found}");
    hints
        .iter()
        .filter(|h| h["ratio"].as_f64().unwrap_or(0.0) < 7.0 || h["opacity"].as_f64() != Some(1.0))
        .map(|h| format!("console: the hint in {} is {h} (under 7:1)", h["button"]))
        .collect()
}

async fn audit(browser: &Client, axe: &str, state: &str, failures: &mut Vec<String>) {
    for v in violations(browser, axe, WCAG_22).await {
        failures.push(format!("{state}: {v}"));
    }
}

#[tokio::test]
async fn consent_and_error_pages_pass_axe_with_wcag_22() {
    let axe = axe_source();
    let s = TestServer::start(&repo_path("tests/fixtures/flow/forms")).await;
    let driver = ChromeDriver::start();
    let browser = driver.browser().await;
    let mut failures = Vec::new();
    browser
        .goto(&s.url("/s/consent"))
        .await
        .expect("the consent page");
    audit(&browser, &axe, "consent page", &mut failures).await;
    press(&browser, "next").await;
    assert!(browser.find(Locator::Id("err-consent")).await.is_ok());
    audit(&browser, &axe, "consent page, box unticked", &mut failures).await;

    // A page with Back, its hidden default button and an error.
    browser
        .goto(&s.url("/s/late-branch"))
        .await
        .expect("the survey");
    press(&browser, "next").await;
    press(&browser, "next").await;
    assert!(browser.find(Locator::Id("error-summary")).await.is_ok());
    audit(&browser, &axe, "page 2 with an error", &mut failures).await;
    let _ = browser.close().await;
    assert!(
        failures.is_empty(),
        "axe-core found:\n{}",
        failures.join("\n")
    );
    s.stop().await;
}

/// The matrix and ranking pages, on a phone (rows stacked) and in a wide window (a table),
/// fresh and with their errors, against WCAG 2.2 (target size included).
#[tokio::test]
async fn matrix_and_ranking_pages_pass_axe_with_wcag_22() {
    let axe = axe_source();
    let dir = repo_path("tests/fixtures/engine");
    let s =
        TestServer::start_with(&dir.join("forms"), &dir.join("reports"), Default::default()).await;
    let driver = ChromeDriver::start();
    let mut failures = Vec::new();
    for (size, browser) in [
        ("phone", driver.browser().await),
        ("wide", driver.browser_sized(1280, 1000).await),
    ] {
        browser.goto(&s.url("/s/engine")).await.expect("the survey");
        audit(
            &browser,
            &axe,
            &format!("{size}: matrix page"),
            &mut failures,
        )
        .await;
        press(&browser, "next").await;
        assert!(browser.find(Locator::Id("error-summary")).await.is_ok());
        audit(
            &browser,
            &axe,
            &format!("{size}: matrix page with errors"),
            &mut failures,
        )
        .await;
        for id in ["q-plan-0", "q-sat-0-0", "q-sat-1-1"] {
            browser
                .execute(&format!("document.getElementById('{id}').click()"), vec![])
                .await
                .expect("choose");
        }
        press(&browser, "next").await;
        audit(
            &browser,
            &axe,
            &format!("{size}: ranking page"),
            &mut failures,
        )
        .await;
        for option in ["0", "1"] {
            browser
                .find(Locator::Id(&format!("q-drivers-rank-{option}")))
                .await
                .expect("a rank")
                .select_by_value("1")
                .await
                .expect("rank 1");
        }
        press(&browser, "next").await;
        assert!(browser.find(Locator::Id("error-summary")).await.is_ok());
        audit(
            &browser,
            &axe,
            &format!("{size}: ranking page with errors"),
            &mut failures,
        )
        .await;
        let _ = browser.close().await;
    }
    assert!(
        failures.is_empty(),
        "axe-core found:\n{}",
        failures.join("\n")
    );
    s.stop().await;
}

/// The quota-full page a screened-out respondent sees, against WCAG 2.2.
#[tokio::test]
async fn the_quota_full_page_passes_axe_with_wcag_22() {
    let axe = axe_source();
    let s = TestServer::start(&repo_path("tests/fixtures/extras/forms")).await;
    for _ in 0..10 {
        let r = s
            .submit("quotas", json!({"answers": {"role": "Engineer"}}))
            .await;
        assert_eq!(r.status(), 201);
    }
    let driver = ChromeDriver::start();
    let browser = driver.browser().await;
    browser.goto(&s.url("/s/quotas")).await.expect("the survey");
    browser
        .find(Locator::Css("label[for='q-role-0']"))
        .await
        .expect("Engineer")
        .click()
        .await
        .expect("choose");
    press(&browser, "next").await;
    let text = browser
        .find(Locator::Css("main"))
        .await
        .expect("main")
        .text()
        .await
        .expect("text");
    assert!(text.contains("enough engineers"), "{text}");
    let mut failures = Vec::new();
    audit(&browser, &axe, "quota full", &mut failures).await;
    let _ = browser.close().await;
    assert!(
        failures.is_empty(),
        "axe-core found:\n{}",
        failures.join("\n")
    );
    s.stop().await;
}

async fn click(browser: &Client, css: &str) {
    browser
        .find(Locator::Css(css))
        .await
        .unwrap_or_else(|_| panic!("{css}"))
        .click()
        .await
        .expect("click");
}

#[tokio::test]
async fn every_state_of_save_and_resume_passes_axe_with_wcag_22() {
    let axe = axe_source();
    let s = TestServer::start(&repo_path("tests/fixtures/resume/forms")).await;
    let driver = ChromeDriver::start();
    let browser = driver.browser().await;
    let mut failures = Vec::new();
    browser.goto(&s.url("/s/resume")).await.expect("the survey");
    audit(
        &browser,
        &axe,
        "first page, answers kept as you go",
        &mut failures,
    )
    .await;
    press(&browser, "next").await;
    assert!(browser.find(Locator::Id("error-summary")).await.is_ok());
    audit(&browser, &axe, "first page with errors", &mut failures).await;
    click(&browser, "label[for='consent-input']").await;
    click(&browser, "label[for='q-size-0']").await;
    press(&browser, "next").await;
    audit(&browser, &axe, "page 2, with Back and Save", &mut failures).await;
    press(&browser, "save").await;
    audit(&browser, &axe, "the resume link", &mut failures).await;
    let link = browser
        .find(Locator::Id("resume-link"))
        .await
        .expect("the resume link")
        .attr("href")
        .await
        .expect("href")
        .expect("an href");
    click_and_wait(&browser, "form button.primary").await;
    assert!(browser.find(Locator::Id("err-email")).await.is_ok());
    audit(
        &browser,
        &axe,
        "the resume link, no address typed",
        &mut failures,
    )
    .await;
    browser
        .find(Locator::Id("email"))
        .await
        .expect("the address field")
        .send_keys("ada@example.org")
        .await
        .expect("type");
    click_and_wait(&browser, "form button.primary").await;
    assert!(browser.find(Locator::Id("sent")).await.is_ok());
    audit(&browser, &axe, "the resume link, mailed", &mut failures).await;
    browser.goto(&s.url(&link)).await.expect("the resume link");
    audit(&browser, &axe, "resumed", &mut failures).await;
    press(&browser, "next").await;
    press(&browser, "next").await;
    assert!(browser.find(Locator::Id("receipt")).await.is_ok());
    audit(&browser, &axe, "thank-you", &mut failures).await;
    browser.goto(&s.url(&link)).await.expect("the used link");
    audit(&browser, &axe, "a link already used", &mut failures).await;
    browser
        .goto(&s.url("/s/closed"))
        .await
        .expect("a closed survey");
    audit(&browser, &axe, "closed survey", &mut failures).await;
    let _ = browser.close().await;
    assert!(
        failures.is_empty(),
        "axe-core found:\n{}",
        failures.join("\n")
    );
    s.stop().await;
}

#[tokio::test]
async fn the_german_survey_and_its_language_switch_pass_axe_with_wcag_22() {
    let axe = axe_source();
    let s = TestServer::start(&repo_path("forms")).await;
    let driver = ChromeDriver::start();
    let browser = driver.browser().await;
    let mut failures = Vec::new();
    browser
        .goto(&s.url("/s/customer-profile?lang=de"))
        .await
        .expect("the German survey");
    assert!(
        browser
            .find(Locator::Css("html[lang='de'][dir='ltr']"))
            .await
            .is_ok()
    );
    audit(&browser, &axe, "German first page", &mut failures).await;
    // Next with the required questions unanswered: the German error summary and messages.
    press(&browser, "next").await;
    assert!(browser.find(Locator::Id("error-summary")).await.is_ok());
    audit(
        &browser,
        &axe,
        "German first page with errors",
        &mut failures,
    )
    .await;
    // The switch back to English is a button like Next and Back: the page comes back in English.
    press(&browser, "en").await;
    assert!(browser.find(Locator::Css("html[lang='en']")).await.is_ok());
    audit(&browser, &axe, "switched to English", &mut failures).await;
    let _ = browser.close().await;
    assert!(
        failures.is_empty(),
        "axe-core found:\n{}",
        failures.join("\n")
    );
    s.stop().await;
}
