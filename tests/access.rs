//! The access matrix: every API operation and every page, asked by each kind of caller, gets
//! the status its role allows; authentication is checked before the body is read; a method a
//! path does not take gets 405 with `Allow`; every HTML page carries the security headers.
//!
//! The table below is the statement of who may do what. A test also checks it names every
//! operation of the served OpenAPI document, so a new route cannot go in without its row.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::cast_possible_truncation
)]

mod common;

use std::collections::BTreeSet;

use common::{INTERVIEWER, RESEARCHER, TestServer, login_cookie, shipped_forms};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

/// Who an operation is for.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Need {
    /// Anyone; tokens are not looked at.
    Public,
    /// Anyone, but staff see more, so a wrong bearer token is refused (401).
    Optional,
    Interviewer,
    Researcher,
    /// A researcher, or the respondent with their receipt.
    ReceiptOrResearcher,
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Caller {
    Nobody,
    WrongToken,
    InterviewerToken,
    ResearcherToken,
    InterviewerCookie,
    ResearcherCookie,
}

const CALLERS: [Caller; 6] = [
    Caller::Nobody,
    Caller::WrongToken,
    Caller::InterviewerToken,
    Caller::ResearcherToken,
    Caller::InterviewerCookie,
    Caller::ResearcherCookie,
];

/// What `need` lets `caller` do: `Some(401 | 403)` for a refusal, `None` when let through.
fn expected(need: Need, caller: Caller) -> Option<StatusCode> {
    use Caller::*;
    let researcher = matches!(caller, ResearcherToken | ResearcherCookie);
    let interviewer = matches!(caller, InterviewerToken | InterviewerCookie);
    match need {
        Need::Public => None,
        Need::Optional => (caller == WrongToken).then_some(StatusCode::UNAUTHORIZED),
        Need::Interviewer if researcher || interviewer => None,
        Need::Researcher | Need::ReceiptOrResearcher if researcher => None,
        Need::Researcher | Need::ReceiptOrResearcher if interviewer => Some(StatusCode::FORBIDDEN),
        _ => Some(StatusCode::UNAUTHORIZED),
    }
}

/// Every API operation: method, the OpenAPI path, who may call it.
const OPERATIONS: &[(&str, &str, Need)] = &[
    ("POST", "/backup", Need::Researcher),
    ("GET", "/contacts", Need::Researcher),
    ("POST", "/contacts", Need::Researcher),
    ("DELETE", "/contacts/{key}", Need::Researcher),
    (
        "POST",
        "/reports/{id}/sources/{name}/texts",
        Need::Researcher,
    ),
    (
        "DELETE",
        "/reports/{id}/sources/{name}/texts/{text_id}",
        Need::Researcher,
    ),
    ("GET", "/forms", Need::Optional),
    ("GET", "/forms/{id}", Need::Optional),
    ("GET", "/forms/{id}/invitations", Need::Researcher),
    ("POST", "/forms/{id}/invitations", Need::Researcher),
    ("POST", "/forms/{id}/invitations/remind", Need::Researcher),
    ("GET", "/forms/{id}/notes.csv", Need::Researcher),
    ("POST", "/forms/{id}/responses", Need::Public),
    ("GET", "/forms/{id}/responses.csv", Need::Researcher),
    ("GET", "/forms/{id}/responses.jsonl", Need::Researcher),
    ("GET", "/forms/{id}/responses.sav", Need::Researcher),
    ("GET", "/forms/{id}/responses.xlsx", Need::Researcher),
    ("GET", "/health", Need::Public),
    ("GET", "/interviews", Need::Interviewer),
    ("POST", "/interviews", Need::Interviewer),
    ("GET", "/interviews/{id}", Need::Interviewer),
    ("POST", "/interviews/{id}/end", Need::Interviewer),
    ("GET", "/interviews/{id}/events", Need::Interviewer),
    ("POST", "/interviews/{id}/notes", Need::Interviewer),
    ("DELETE", "/interviews/{id}/notes/{seq}", Need::Interviewer),
    ("PATCH", "/interviews/{id}/notes/{seq}", Need::Interviewer),
    ("GET", "/reports", Need::Researcher),
    ("GET", "/reports/{id}", Need::Researcher),
    ("POST", "/reports/{id}/email", Need::Researcher),
    ("GET", "/reports/{id}/profiles", Need::Interviewer),
    ("GET", "/reports/{id}/profiles.md", Need::Interviewer),
    ("PUT", "/reports/{id}/profiles/{segment}", Need::Researcher),
    (
        "POST",
        "/reports/{id}/profiles/{segment}/activations",
        Need::Researcher,
    ),
    (
        "DELETE",
        "/reports/{id}/profiles/{segment}/activations/{aid}",
        Need::Researcher,
    ),
    (
        "POST",
        "/reports/{id}/profiles/{segment}/reviews",
        Need::Interviewer,
    ),
    (
        "DELETE",
        "/reports/{id}/profiles/{segment}/reviews/{rid}",
        Need::Researcher,
    ),
    ("GET", "/reports/{id}/segments.csv", Need::Researcher),
    ("GET", "/reports/{id}/themes.csv", Need::Researcher),
    ("GET", "/reports/{id}/themes/{theme}", Need::Researcher),
    ("DELETE", "/responses/{id}", Need::ReceiptOrResearcher),
    ("GET", "/webhooks", Need::Researcher),
];

/// A body no JSON parser accepts: a request that reaches parsing gets 400, so a 401 or 403
/// for it proves the caller was checked first.
const MALFORMED: &str = "{\"answers\": ";

struct Fixture {
    server: TestServer,
    interviewer_cookie: String,
    researcher_cookie: String,
    interview: String,
    response: String,
    receipt: String,
}

async fn fixture() -> Fixture {
    let server = TestServer::start(&shipped_forms()).await;
    let created = server
        .submit(
            "customer-profile",
            json!({"answers": {
                "company_size": "Just me", "role": "Founder or owner", "nps": 9,
                "pmf": "Very disappointed"
            }}),
        )
        .await;
    assert_eq!(created.status(), 201, "a response to erase");
    let receipt: Value = created.json().await.expect("receipt");
    let interview = common::interviews::start_jtbd(&server.http, &server.base, "P01").await;
    Fixture {
        interviewer_cookie: login_cookie(&server.base, INTERVIEWER).await,
        researcher_cookie: login_cookie(&server.base, RESEARCHER).await,
        interview,
        response: receipt["id"].as_str().expect("id").to_string(),
        receipt: receipt["receipt"].as_str().expect("receipt").to_string(),
        server,
    }
}

impl Fixture {
    /// The OpenAPI path with real ids: the shipped survey, guide and report, the fixture's
    /// interview and response.
    fn fill(&self, path: &str) -> String {
        let id = if path.starts_with("/interviews/") {
            self.interview.as_str()
        } else if path.starts_with("/responses/") {
            self.response.as_str()
        } else if path.starts_with("/forms/{id}/notes") {
            "jtbd-switch"
        } else {
            "customer-profile"
        };
        path.replace("{id}", id)
            .replace("{seq}", "1")
            .replace("{segment}", "Just%20me")
            .replace("{aid}", "00000000-0000-0000-0000-000000000000")
            .replace("{rid}", "00000000-0000-0000-0000-000000000000")
            .replace("{theme}", "Price")
            .replace("{key}", "nobody")
    }

    fn request(&self, method: &str, url: &str, caller: Caller) -> reqwest::RequestBuilder {
        let method = Method::from_bytes(method.as_bytes()).expect("method");
        let request = self.server.http.request(method, url);
        match caller {
            Caller::Nobody => request,
            Caller::WrongToken => request.bearer_auth("not-a-token"),
            Caller::InterviewerToken => request.bearer_auth(INTERVIEWER),
            Caller::ResearcherToken => request.bearer_auth(RESEARCHER),
            Caller::InterviewerCookie => request.header("cookie", &self.interviewer_cookie),
            Caller::ResearcherCookie => request.header("cookie", &self.researcher_cookie),
        }
    }
}

async fn served_spec(server: &TestServer) -> Value {
    server
        .http
        .get(server.url("/api/openapi.json"))
        .send()
        .await
        .expect("spec")
        .json()
        .await
        .expect("spec is JSON")
}

#[tokio::test]
async fn every_operation_answers_each_caller_as_its_role_allows() {
    let f = fixture().await;
    let spec = served_spec(&f.server).await;
    let mut failures = Vec::new();
    for &(method, path, need) in OPERATIONS {
        let url = f.server.url(&format!("/api{}", f.fill(path)));
        let takes_body = spec["paths"][path][method.to_ascii_lowercase()]
            .get("requestBody")
            .is_some();
        for caller in CALLERS {
            let mut request = f.request(method, &url, caller);
            if takes_body {
                request = request
                    .header("content-type", "application/json")
                    .body(MALFORMED);
            }
            let status = request.send().await.expect("request").status();
            let wanted = expected(need, caller);
            let ok = match wanted {
                Some(refusal) => status == refusal,
                // Let through: a body route reaches the parser and refuses the malformed body.
                None if takes_body => status == StatusCode::BAD_REQUEST,
                None => !matches!(status.as_u16(), 401 | 403 | 405) && !status.is_server_error(),
            };
            if !ok {
                failures.push(format!(
                    "{method} {path} as {caller:?}: got {status}, wanted {}",
                    wanted.map_or("to be let through".into(), |s| s.to_string())
                ));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[tokio::test]
async fn a_respondent_erases_with_their_receipt_and_only_with_it() {
    let f = fixture().await;
    let url = f.server.url(&format!("/api/responses/{}", f.response));
    let wrong = f
        .server
        .http
        .delete(format!("{url}?receipt=not-the-receipt"))
        .send()
        .await
        .expect("request");
    assert_eq!(wrong.status(), 401, "a wrong receipt is a wrong credential");
    let right = f
        .server
        .http
        .delete(format!("{url}?receipt={}", f.receipt))
        .send()
        .await
        .expect("request");
    assert_eq!(right.status(), 204);
}

#[tokio::test]
async fn the_table_names_every_operation_and_the_document_states_each_ones_security() {
    let f = fixture().await;
    let spec = served_spec(&f.server).await;
    let schemes = spec
        .pointer("/components/securitySchemes")
        .and_then(Value::as_object)
        .expect("security schemes are declared");
    assert_eq!(
        schemes
            .get("bearerToken")
            .map(|s| (&s["type"], &s["scheme"])),
        Some((&json!("http"), &json!("bearer")))
    );
    assert_eq!(
        schemes.get("loginCookie").map(|s| (&s["in"], &s["name"])),
        Some((&json!("cookie"), &json!("fieldnotes_session")))
    );
    let mut served = BTreeSet::new();
    let paths = spec["paths"].as_object().expect("paths");
    for (path, operations) in paths {
        for (method, operation) in operations.as_object().expect("operations") {
            let method = method.to_ascii_uppercase();
            served.insert((method.clone(), path.clone()));
            let Some(&(_, _, need)) = OPERATIONS
                .iter()
                .find(|(m, p, _)| *m == method && *p == path)
            else {
                continue;
            };
            let security: Vec<Value> = operation["security"]
                .as_array()
                .cloned()
                .unwrap_or_default();
            let names_bearer = security.iter().any(|s| s.get("bearerToken").is_some());
            let anonymous_too = security
                .iter()
                .any(|s| s.as_object().is_some_and(|o| o.is_empty()));
            match need {
                Need::Public => assert!(security.is_empty(), "{method} {path}: {security:?}"),
                Need::Optional => {
                    assert!(
                        names_bearer && anonymous_too,
                        "{method} {path}: {security:?}"
                    )
                }
                Need::ReceiptOrResearcher => {
                    assert!(
                        names_bearer && anonymous_too,
                        "{method} {path}: {security:?}"
                    )
                }
                Need::Interviewer | Need::Researcher => {
                    assert!(
                        names_bearer && !anonymous_too,
                        "{method} {path}: {security:?}"
                    )
                }
            }
        }
    }
    let listed: BTreeSet<(String, String)> = OPERATIONS
        .iter()
        .map(|(m, p, _)| (m.to_string(), p.to_string()))
        .collect();
    assert_eq!(served, listed, "the table and the served operations differ");
}

#[tokio::test]
async fn request_bodies_that_refuse_unknown_fields_say_so_in_the_document() {
    let f = fixture().await;
    let spec = served_spec(&f.server).await;
    let submission = &spec["components"]["schemas"]["Submission"];
    assert_eq!(submission["additionalProperties"], json!(false));
    // And the server does refuse one.
    let extra = f
        .server
        .submit(
            "customer-profile",
            json!({"answers": {"nps": 9}, "surprise": true}),
        )
        .await;
    assert_eq!(extra.status(), 400);
    let seq = &spec["paths"]["/interviews/{id}/notes/{seq}"]["patch"]["parameters"];
    let seq = seq
        .as_array()
        .and_then(|ps| ps.iter().find(|p| p["name"] == "seq"))
        .expect("the seq parameter");
    assert_eq!(seq["schema"]["minimum"].as_f64(), Some(0.0), "{seq}");
}

/// Every page: its path (with real ids) and who may see it.
fn pages(f: &Fixture) -> Vec<(String, Need)> {
    vec![
        ("/".into(), Need::Public),
        ("/s/customer-profile".into(), Need::Public),
        ("/login".into(), Need::Public),
        ("/static/console.js".into(), Need::Public),
        ("/r/customer-profile".into(), Need::Researcher),
        ("/r/customer-profile/themes/Price".into(), Need::Researcher),
        ("/r/customer-profile/profiles".into(), Need::Interviewer),
        ("/i".into(), Need::Interviewer),
        ("/i/new/jtbd-switch".into(), Need::Interviewer),
        (format!("/i/{}", f.interview), Need::Interviewer),
    ]
}

#[tokio::test]
async fn pages_send_strangers_to_the_login_and_refuse_a_role_too_low() {
    let f = fixture().await;
    let mut failures = Vec::new();
    let callers = [
        Caller::Nobody,
        Caller::InterviewerCookie,
        Caller::ResearcherCookie,
    ];
    for (path, need) in pages(&f) {
        for caller in callers {
            let response = f
                .request("GET", &f.server.url(&path), caller)
                .send()
                .await
                .expect("request");
            let status = response.status();
            let ok = match expected(need, caller) {
                None => status == StatusCode::OK,
                Some(StatusCode::UNAUTHORIZED) => {
                    status == StatusCode::SEE_OTHER
                        && response.headers()["location"]
                            .to_str()
                            .is_ok_and(|l| l.starts_with("/login?next="))
                }
                Some(refusal) => status == refusal,
            };
            if !ok {
                failures.push(format!("GET {path} as {caller:?}: got {status}"));
            }
            let html = response
                .headers()
                .get("content-type")
                .and_then(|v| v.to_str().ok())
                .is_some_and(|v| v.starts_with("text/html"));
            if html {
                for header in [
                    "content-security-policy",
                    "x-content-type-options",
                    "referrer-policy",
                ] {
                    if response.headers().get(header).is_none() {
                        failures.push(format!("GET {path} as {caller:?}: no {header}"));
                    }
                }
            }
        }
    }
    // A staff form posted by a stranger is refused before it is read.
    let stranger = f
        .server
        .http
        .post(f.server.url("/i/new/jtbd-switch"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body("participant=%ZZ")
        .send()
        .await
        .expect("request");
    if stranger.status() != StatusCode::SEE_OTHER {
        failures.push(format!(
            "POST /i/new/jtbd-switch as a stranger: got {}",
            stranger.status()
        ));
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// The methods each path takes, as `Allow` must list them.
fn allowed(methods: &[&str]) -> String {
    let mut all: Vec<&str> = methods.to_vec();
    if all.contains(&"GET") {
        all.push("HEAD");
    }
    let rank = |m: &&str| {
        ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"]
            .iter()
            .position(|x| x == m)
    };
    all.sort_by_key(rank);
    all.join(", ")
}

#[tokio::test]
async fn a_method_a_path_does_not_take_gets_405_with_allow() {
    let f = fixture().await;
    let mut paths: Vec<(String, Vec<&str>)> = Vec::new();
    for &(method, path, _) in OPERATIONS {
        let url = format!("/api{}", f.fill(path));
        match paths.iter_mut().find(|(p, _)| *p == url) {
            Some((_, methods)) => methods.push(method),
            None => paths.push((url, vec![method])),
        }
    }
    for (template, methods) in fieldnotes::web::PAGE_METHODS {
        let path = template
            .replace(":id", "customer-profile")
            .replace(":theme", "Price")
            .replace(":guide", "jtbd-switch")
            .replace(":token", &"0".repeat(64));
        paths.push((path, methods.to_vec()));
    }
    paths.push(("/healthz".into(), vec!["GET"]));
    let mut failures = Vec::new();
    for (path, methods) in &paths {
        for probe in ["TRACE", "PUT", "DELETE", "PATCH"] {
            if methods.contains(&probe) {
                continue;
            }
            let response = f
                .request(probe, &f.server.url(path), Caller::ResearcherToken)
                .send()
                .await
                .expect("request");
            let allow = response
                .headers()
                .get("allow")
                .and_then(|v| v.to_str().ok())
                .map(str::to_string);
            if response.status() != StatusCode::METHOD_NOT_ALLOWED
                || allow.as_deref() != Some(allowed(methods).as_str())
            {
                failures.push(format!(
                    "{probe} {path}: {} with Allow {allow:?}, wanted 405 with {:?}",
                    response.status(),
                    allowed(methods)
                ));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
