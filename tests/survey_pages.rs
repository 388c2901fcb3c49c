//! The hosted survey over plain HTTP, as a browser with JavaScript off would use it.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::cast_possible_truncation
)]

mod common;

use common::survey::state_of;
use common::{RESEARCHER, TestServer, fixture_forms};

async fn get(s: &TestServer, path: &str) -> (u16, String) {
    let response = s.http.get(s.url(path)).send().await.unwrap();
    (response.status().as_u16(), response.text().await.unwrap())
}

async fn post(s: &TestServer, path: &str, fields: &[(&str, &str)]) -> (u16, String) {
    let response = s.http.post(s.url(path)).form(fields).send().await.unwrap();
    (response.status().as_u16(), response.text().await.unwrap())
}

#[tokio::test]
async fn the_first_page_is_accessible_and_mobile_ready() {
    let s = TestServer::start(&fixture_forms()).await;
    let (status, html) = get(&s, "/s/all-types?source=mail").await;
    assert_eq!(status, 200);
    assert!(
        html.contains("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">")
    );
    assert!(html.contains("<h1>Every question type</h1>"));
    assert!(html.contains("A fixture with each type."));
    assert!(html.contains("Page 1 of"));
    // Choice questions are fieldsets with a legend; each option has its own label.
    assert!(
        html.contains(
            "<legend>How big is your team? <span class=\"req\">(required)</span></legend>"
        )
    );
    assert!(html.contains("<label for=\"q-team_size-0\">1-5</label>"));
    assert!(!html.contains(">Back<"), "no way back from the first page");
}

#[tokio::test]
async fn pages_forbid_scripts_and_framing() {
    let s = TestServer::start(&fixture_forms()).await;
    let response = s.http.get(s.url("/s/all-types")).send().await.unwrap();
    let policy = response.headers()["content-security-policy"]
        .to_str()
        .unwrap();
    assert!(policy.contains("default-src 'none'"));
    assert!(policy.contains("frame-ancestors 'none'"));
    assert_eq!(response.headers()["x-content-type-options"], "nosniff");
}

#[tokio::test]
async fn everything_from_the_url_and_the_respondent_is_escaped() {
    let s = TestServer::start(&fixture_forms()).await;
    let attack = "<script>alert(1)</script>\"><img src=x onerror=alert(2)>";
    let url = format!("/s/all-types?source={}", urlencode(attack));
    let (_, html) = get(&s, &url).await;
    assert!(!html.contains("<script>alert"));
    assert!(!html.contains("<img src=x"));
    let state: serde_json::Value = serde_json::from_str(&state_of(&html)).unwrap();
    assert_eq!(
        state["hidden"]["source"], attack,
        "the value is kept, only escaped"
    );

    // A typed answer comes back escaped next to its error.
    let state = state_of(&html);
    let fields = [
        ("_state", state.as_str()),
        ("_page", "0"),
        ("_action", "next"),
        ("q.ease", "<b>bold</b>"),
    ];
    let (status, html) = post(&s, "/s/all-types", &fields).await;
    assert_eq!(status, 422);
    assert!(!html.contains("<b>bold</b>"));
}

fn urlencode(text: &str) -> String {
    form_urlencoded::byte_serialize(text.as_bytes()).collect()
}

#[tokio::test]
async fn errors_are_shown_beside_their_fields_and_linked_from_a_summary() {
    let s = TestServer::start(&fixture_forms()).await;
    let (_, html) = get(&s, "/s/all-types").await;
    let state = state_of(&html);
    let (status, html) = post(
        &s,
        "/s/all-types",
        &[("_state", &state), ("_page", "0"), ("_action", "next")],
    )
    .await;
    assert_eq!(status, 422);
    assert!(
        html.contains(
            "<a href=\"#q-team_size\">How big is your team?: this question is required</a>"
        )
    );
    assert!(html.contains("aria-describedby=\"err-team_size\""));
    assert!(html.contains("<p class=\"error\" id=\"err-team_size\">this question is required</p>"));
}

#[tokio::test]
async fn answers_travel_across_pages_and_back_keeps_them() {
    let s = TestServer::start(&fixture_forms()).await;
    let (_, html) = get(&s, "/s/all-types?source=mail").await;
    let page1 = [
        ("_page", "0"),
        ("_action", "next"),
        ("q.team_size", "6-20"),
        ("q.tools", "Jira"),
        ("q.tools", "__other__"),
        ("q.tools.other", "Linear"),
        ("q.ease", "4"),
    ];
    let mut fields = vec![("_state", state_of(&html))];
    fields.extend(page1.iter().map(|(k, v)| (*k, v.to_string())));
    let fields_ref: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let (status, html) = post(&s, "/s/all-types", &fields_ref).await;
    assert_eq!(status, 200, "{html}");
    assert!(html.contains("Page 2 of"));
    assert!(html.contains(">Back<"));

    // Back: page 1 shows what was chosen, including the other text.
    let state = state_of(&html);
    let (_, back) = post(
        &s,
        "/s/all-types",
        &[
            ("_state", &state),
            ("_page", "1"),
            ("_action", "back"),
            ("q.nps", "3"),
        ],
    )
    .await;
    assert!(back.contains("value=\"6-20\" checked"));
    assert!(back.contains("value=\"Jira\" checked"));
    assert!(back.contains("value=\"Linear\""));
    assert!(
        state_of(&back).contains("\"nps\":3"),
        "the answer on the page left is kept"
    );
}

#[tokio::test]
async fn a_whole_survey_submitted_without_javascript_lands_in_the_csv() {
    let s = TestServer::start(&fixture_forms()).await;
    let (_, mut html) = get(&s, "/s/all-types?source=plain-http&customer_id=7").await;
    // Every answer is posted on every page; each page reads only its own questions.
    let answers = [
        ("q.team_size", "21+"),
        ("q.tools", "Slack"),
        ("q.nps", "9"),
        ("q.seats", "40"),
        ("q.comment", "all good"),
    ];
    let mut page_index = "0".to_string();
    for _ in 0..10 {
        if html.contains("Thank you!") {
            break;
        }
        let state = state_of(&html);
        let mut fields = vec![
            ("_state", state.as_str()),
            ("_page", page_index.as_str()),
            ("_action", "next"),
        ];
        fields.extend(answers);
        let (status, next) = post(&s, "/s/all-types", &fields).await;
        assert!(status == 200, "{next}");
        html = next;
        if let Some(start) = html.find("name=\"_page\" value=\"") {
            let start = start + 20;
            page_index = html[start..start + html[start..].find('"').unwrap()].to_string();
        }
    }
    assert!(html.contains("Thank you!"), "{html}");
    assert!(html.contains("receipt"));
    let csv = s
        .get_as("/api/forms/all-types/responses.csv", RESEARCHER)
        .await
        .text()
        .await
        .unwrap();
    let row = csv.lines().nth(1).expect("one response");
    assert!(
        row.contains("plain-http,7,21+,1,0,0,,,9,,40,,all good"),
        "{row}"
    );
}

#[tokio::test]
async fn closed_unknown_and_guide_pages() {
    let s = TestServer::start(&fixture_forms()).await;
    let (status, html) = get(&s, "/s/closed").await;
    assert_eq!(status, 200);
    assert!(html.contains("This survey is closed"));
    let (status, html) = post(&s, "/s/closed", &[("_action", "next")]).await;
    assert_eq!(status, 200);
    assert!(html.contains("This survey is closed"));
    let (status, html) = get(&s, "/s/no-such-survey").await;
    assert_eq!(status, 404);
    assert!(html.contains("Survey not found"));
    assert_eq!(get(&s, "/s/guide").await.0, 404);
}

#[tokio::test]
async fn a_tampered_state_starts_over_instead_of_failing() {
    let s = TestServer::start(&fixture_forms()).await;
    let (status, html) = post(
        &s,
        "/s/all-types",
        &[
            ("_state", "{not json"),
            ("_page", "99"),
            ("_action", "next"),
        ],
    )
    .await;
    assert_eq!(status, 200);
    assert!(html.contains("could not be read"));
    assert!(html.contains("Page 1 of"));
}

#[tokio::test]
async fn login_sets_a_strict_http_only_cookie_that_opens_the_csv() {
    let s = TestServer::start(&fixture_forms()).await;
    let (status, html) = post(&s, "/login", &[("token", "wrong"), ("next", "/")]).await;
    assert_eq!(status, 401);
    assert!(html.contains("not valid"));

    let next = "/api/forms/all-types/responses.csv";
    let response = s
        .http
        .post(s.url("/login"))
        .form(&[("token", RESEARCHER), ("next", next)])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 303);
    assert_eq!(response.headers()["location"], next);
    let cookie = response.headers()["set-cookie"]
        .to_str()
        .unwrap()
        .to_string();
    assert!(cookie.starts_with("fieldnotes_session="));
    assert!(cookie.contains("HttpOnly"));
    assert!(cookie.contains("SameSite=Strict"));
    let pair = cookie.split(';').next().unwrap();
    let csv = s
        .http
        .get(s.url(next))
        .header("cookie", pair)
        .send()
        .await
        .unwrap();
    assert_eq!(csv.status(), 200);

    // The front page then leads staff to their downloads and pages.
    let front = s
        .http
        .get(s.url("/"))
        .header("cookie", pair)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(front.contains("Logged in as researcher"));
    assert!(front.contains("/api/forms/all-types/responses.csv?bom=1"));
    assert!(
        front.contains("/api/forms/closed/responses.csv?bom=1"),
        "closed surveys' answers too"
    );
    assert!(front.contains("action=\"/logout\""));
    let anonymous = s
        .http
        .get(s.url("/"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(!anonymous.contains("responses.csv"));

    // The cookie is a session id, not the token; logging out ends it on the server, so a
    // copy kept by someone else stops working too.
    assert!(!cookie.contains(RESEARCHER));
    let logout = s
        .http
        .post(s.url("/logout"))
        .header("cookie", pair)
        .send()
        .await
        .unwrap();
    assert_eq!(logout.status(), 303);
    let after = s
        .http
        .get(s.url(next))
        .header("cookie", pair)
        .send()
        .await
        .unwrap();
    assert_eq!(after.status(), 401);

    // Never redirect off the site.
    let response = s
        .http
        .post(s.url("/login"))
        .form(&[("token", RESEARCHER), ("next", "//evil.example")])
        .send()
        .await
        .unwrap();
    assert_eq!(response.headers()["location"], "/");
}
