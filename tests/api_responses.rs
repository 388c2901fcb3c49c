//! The response API over a real loopback server: validation of every question type,
//! required and show_if, hidden fields, status codes, erasure and auth.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::cast_possible_truncation
)]

mod common;

use common::{INTERVIEWER, RESEARCHER, TestServer, fixture_forms};
use serde_json::{Value, json};

async fn server() -> TestServer {
    TestServer::start(&fixture_forms()).await
}

/// A submission that satisfies every rule of the `all-types` fixture.
fn valid() -> Value {
    json!({
        "answers": {
            "team_size": "6-20",
            "tools": ["Slack", "Jira"],
            "ease": 4,
            "nps": 9,
            "seats": 12,
            "jira_use": "Sprint planning",
            "comment": "Fine",
            "contact_email": "ana@example.com"
        },
        "hidden": {"source": "newsletter", "customer_id": "c-42"}
    })
}

fn with_answer(id: &str, value: Value) -> Value {
    let mut body = valid();
    body["answers"][id] = value;
    body
}

async fn fields_of(response: reqwest::Response) -> serde_json::Map<String, Value> {
    assert_eq!(response.status(), 422);
    let body: Value = response.json().await.expect("json");
    assert_eq!(body["error"], "validation");
    body["fields"].as_object().expect("fields").clone()
}

#[tokio::test]
async fn a_valid_response_is_created_with_id_and_receipt() {
    let s = server().await;
    let response = s.submit("all-types", valid()).await;
    assert_eq!(response.status(), 201);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["id"].as_str().unwrap().len(), 36);
    assert_eq!(body["receipt"].as_str().unwrap().len(), 32);
}

#[tokio::test]
async fn every_question_type_refuses_wrong_values() {
    let s = server().await;
    let cases: Vec<(&str, Value, &str)> = vec![
        ("team_size", json!("huge"), "must be one of"),
        ("team_size", json!(["1-5"]), "must be one option"),
        ("tools", json!("Slack"), "list of options"),
        ("tools", json!(["Slack", "Slack"]), "chosen twice"),
        (
            "tools",
            json!(["Mail", "Fax"]),
            "only one answer may be outside",
        ),
        ("ease", json!(6), "between 1 and 5"),
        ("ease", json!(2.5), "whole number"),
        ("ease", json!("4"), "must be a number"),
        ("nps", json!(11), "between 0 and 10"),
        ("nps", json!(-1), "between 0 and 10"),
        ("nps", json!(7.5), "whole number"),
        ("seats", json!(0), "between 1 and 10000"),
        ("seats", json!(3.5), "whole number"),
        ("comment", json!(42), "must be text"),
        ("comment", json!("x".repeat(10_001)), "at most 10000"),
        ("contact_email", json!("not-an-email"), "email address"),
        ("contact_email", json!("name@localhost"), "email address"),
    ];
    for (id, value, expected) in cases {
        let fields = fields_of(s.submit("all-types", with_answer(id, value.clone())).await).await;
        let message = fields.get(id).and_then(Value::as_str).unwrap_or_default();
        assert!(
            message.contains(expected),
            "{id} = {value}: expected '{expected}', got {fields:?}"
        );
        assert_eq!(
            fields.len(),
            1,
            "{id} = {value}: only {id} is wrong, got {fields:?}"
        );
    }
}

#[tokio::test]
async fn every_question_type_accepts_good_values() {
    let s = server().await;
    let cases: Vec<(&str, Value)> = vec![
        ("tools", json!(["Jira", "Trello"])),
        ("ease", json!(1)),
        ("ease", json!(5.0)),
        ("nps", json!(10)),
        ("seats", json!(10000)),
        ("comment", json!("x".repeat(10_000))),
        ("contact_email", json!("first.last+tag@sub.example.org")),
    ];
    for (id, value) in cases {
        let response = s.submit("all-types", with_answer(id, value.clone())).await;
        assert_eq!(
            response.status(),
            201,
            "{id} = {value}: {}",
            response.text().await.unwrap()
        );
    }
    // An empty list is no answer, and then the Jira follow-up must go too.
    let mut no_tools = with_answer("tools", json!([]));
    no_tools["answers"]
        .as_object_mut()
        .unwrap()
        .remove("jira_use");
    assert_eq!(s.submit("all-types", no_tools).await.status(), 201);
}

#[tokio::test]
async fn a_422_lists_every_bad_field_at_once() {
    let s = server().await;
    let body = json!({
        "answers": {"tools": ["Fax", "Mail"], "nps": 12, "contact_email": "nope", "mystery": "?"},
        "hidden": {"campaign": "x"}
    });
    let fields = fields_of(s.submit("all-types", body).await).await;
    let mut names: Vec<&str> = fields.keys().map(String::as_str).collect();
    names.sort();
    assert_eq!(
        names,
        vec![
            "contact_email",
            "hidden.campaign",
            "mystery",
            "nps",
            "team_size",
            "tools"
        ]
    );
    assert_eq!(fields["team_size"], "this question is required");
    assert_eq!(fields["mystery"], "unknown question");
    assert_eq!(fields["hidden.campaign"], "unknown hidden field");
}

#[tokio::test]
async fn show_if_decides_what_is_required_and_what_is_refused() {
    let s = server().await;
    // A low score makes the follow-up required.
    let fields = fields_of(s.submit("all-types", with_answer("nps", json!(3))).await).await;
    assert_eq!(fields["why_low"], "this question is required");
    let mut low = with_answer("nps", json!(3));
    low["answers"]["why_low"] = json!("Too slow");
    assert_eq!(s.submit("all-types", low).await.status(), 201);
    // A high score hides it, so an answer to it is refused.
    let fields = fields_of(
        s.submit("all-types", with_answer("why_low", json!("?")))
            .await,
    )
    .await;
    assert!(fields["why_low"].as_str().unwrap().contains("not shown"));
    // `'Jira' in tools`: without Jira the Jira question may not be answered.
    let fields = fields_of(
        s.submit("all-types", with_answer("tools", json!(["Slack"])))
            .await,
    )
    .await;
    assert!(fields["jira_use"].as_str().unwrap().contains("not shown"));
}

#[tokio::test]
async fn hidden_fields_are_checked() {
    let s = server().await;
    let mut long = valid();
    long["hidden"]["source"] = json!("s".repeat(1001));
    let fields = fields_of(s.submit("all-types", long).await).await;
    assert!(
        fields["hidden.source"]
            .as_str()
            .unwrap()
            .contains("at most 1000")
    );
    let mut nested = valid();
    nested["hidden"]["source"] = json!({"a": 1});
    let fields = fields_of(s.submit("all-types", nested).await).await;
    assert_eq!(fields["hidden.source"], "must be a string");
}

#[tokio::test]
async fn status_codes_of_the_contract() {
    let s = server().await;
    assert_eq!(s.submit("no-such-form", valid()).await.status(), 404);
    assert_eq!(s.submit("guide", valid()).await.status(), 404);
    let closed = s
        .submit("closed", json!({"answers": {"anything": "x"}}))
        .await;
    assert_eq!(closed.status(), 409);
    assert_eq!(closed.json::<Value>().await.unwrap()["error"], "conflict");

    let malformed = s
        .http
        .post(s.url("/api/forms/all-types/responses"))
        .header("content-type", "application/json")
        .body("{\"answers\": ")
        .send()
        .await
        .unwrap();
    assert_eq!(malformed.status(), 400);
    assert_eq!(
        malformed.json::<Value>().await.unwrap()["error"],
        "bad_request"
    );

    let wrong_shape = s.submit("all-types", json!({"answers": [1, 2]})).await;
    assert_eq!(wrong_shape.status(), 400);
    let extra_key = s
        .submit("all-types", json!({"answers": {}, "surprise": 1}))
        .await;
    assert_eq!(extra_key.status(), 400);

    let huge = json!({"answers": {"comment": "x".repeat(70 * 1024)}});
    let too_large = s.submit("all-types", huge).await;
    assert_eq!(too_large.status(), 413);
    assert_eq!(
        too_large.json::<Value>().await.unwrap()["error"],
        "too_large"
    );

    // The same limit holds for a body that does not announce its length.
    let chunks: Vec<Result<Vec<u8>, std::io::Error>> =
        (0..80).map(|_| Ok(vec![b' '; 1024])).collect();
    let streamed = s
        .http
        .post(s.url("/api/forms/all-types/responses"))
        .header("content-type", "application/json")
        .body(reqwest::Body::wrap_stream(futures_util::stream::iter(
            chunks,
        )))
        .send()
        .await
        .unwrap();
    assert_eq!(streamed.status(), 413);
}

#[tokio::test]
async fn refused_requests_store_nothing() {
    let s = server().await;
    s.submit("all-types", with_answer("nps", json!(99))).await;
    s.submit("closed", json!({"answers": {"anything": "x"}}))
        .await;
    let csv = s
        .get_as("/api/forms/all-types/responses.csv", RESEARCHER)
        .await
        .text()
        .await
        .unwrap();
    assert_eq!(csv.lines().count(), 1, "only the header: {csv}");
}

#[tokio::test]
async fn forms_are_listed_and_guides_need_a_token() {
    let s = server().await;
    let anonymous: Value = s
        .http
        .get(s.url("/api/forms"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let ids: Vec<&str> = anonymous
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, vec!["all-types", "closed"]);
    let staff: Value = s
        .get_as("/api/forms", INTERVIEWER)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(staff.as_array().unwrap().len(), 3);

    let form: Value = s
        .http
        .get(s.url("/api/forms/all-types"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let nps = &form["questions"][3];
    assert_eq!(nps["id"], "nps");
    assert_eq!(nps["type"], "nps");
    assert_eq!(nps["min"], 0.0);
    assert_eq!(nps["max"], 10.0);
    assert_eq!(form["questions"][4]["show_if"], "nps <= 6");
    assert_eq!(
        form["questions"][0]["options"],
        json!(["1-5", "6-20", "21+"])
    );
    assert_eq!(form["questions"][0]["required"], true);

    assert_eq!(
        s.http
            .get(s.url("/api/forms/guide"))
            .send()
            .await
            .unwrap()
            .status(),
        401
    );
    assert_eq!(s.get_as("/api/forms/guide", "wrong").await.status(), 401);
    assert_eq!(
        s.get_as("/api/forms/guide", INTERVIEWER).await.status(),
        200
    );
    assert_eq!(s.get_as("/api/forms", "wrong").await.status(), 401);
    assert_eq!(
        s.http
            .get(s.url("/api/forms/nope"))
            .send()
            .await
            .unwrap()
            .status(),
        404
    );
}

#[tokio::test]
async fn csv_needs_a_researcher() {
    let s = server().await;
    let path = "/api/forms/all-types/responses.csv";
    let anonymous = s.http.get(s.url(path)).send().await.unwrap();
    assert_eq!(anonymous.status(), 401);
    assert_eq!(
        anonymous.json::<Value>().await.unwrap()["error"],
        "unauthorized"
    );
    assert_eq!(s.get_as(path, "wrong").await.status(), 401);
    let interviewer = s.get_as(path, INTERVIEWER).await;
    assert_eq!(interviewer.status(), 403);
    assert_eq!(
        interviewer.json::<Value>().await.unwrap()["error"],
        "forbidden"
    );
    assert_eq!(s.get_as(path, RESEARCHER).await.status(), 200);
    assert_eq!(
        s.get_as("/api/forms/nope/responses.csv", RESEARCHER)
            .await
            .status(),
        404
    );
}

async fn csv_rows(s: &TestServer) -> usize {
    let csv = s
        .get_as("/api/forms/all-types/responses.csv", RESEARCHER)
        .await
        .text()
        .await
        .unwrap();
    csv.lines().count() - 1
}

#[tokio::test]
async fn erasure_by_receipt_or_by_a_researcher() {
    let s = server().await;
    let first: Value = s.submit("all-types", valid()).await.json().await.unwrap();
    let second: Value = s.submit("all-types", valid()).await.json().await.unwrap();
    assert_eq!(csv_rows(&s).await, 2);

    let delete =
        |id: &str, query: &str| s.http.delete(s.url(&format!("/api/responses/{id}{query}")));
    let id1 = first["id"].as_str().unwrap();
    let id2 = second["id"].as_str().unwrap();

    assert_eq!(delete(id1, "").send().await.unwrap().status(), 401);
    assert_eq!(
        delete(id1, "")
            .bearer_auth(INTERVIEWER)
            .send()
            .await
            .unwrap()
            .status(),
        403
    );
    // Another response's receipt does not erase this one.
    let wrong = format!("?receipt={}", second["receipt"].as_str().unwrap());
    assert_eq!(delete(id1, &wrong).send().await.unwrap().status(), 401);
    assert_eq!(csv_rows(&s).await, 2);

    let own = format!("?receipt={}", first["receipt"].as_str().unwrap());
    assert_eq!(delete(id1, &own).send().await.unwrap().status(), 204);
    assert_eq!(delete(id1, &own).send().await.unwrap().status(), 404);
    assert_eq!(csv_rows(&s).await, 1);

    assert_eq!(
        delete(id2, "")
            .bearer_auth(RESEARCHER)
            .send()
            .await
            .unwrap()
            .status(),
        204
    );
    assert_eq!(csv_rows(&s).await, 0);
    assert_eq!(
        delete("not-a-uuid", "")
            .bearer_auth(RESEARCHER)
            .send()
            .await
            .unwrap()
            .status(),
        404
    );
}

#[tokio::test]
async fn health_and_openapi() {
    let s = server().await;
    assert_eq!(
        s.http.get(s.url("/healthz")).send().await.unwrap().status(),
        200
    );
    let spec: Value = s
        .http
        .get(s.url("/api/openapi.json"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(spec["openapi"].as_str().unwrap().starts_with("3."));
    assert!(spec["paths"]["/forms/{id}/responses"]["post"].is_object());
    let docs = s.http.get(s.url("/api/docs")).send().await.unwrap();
    assert_eq!(docs.status(), 200);
    assert!(docs.text().await.unwrap().contains("swagger"));
    let unknown = s.http.get(s.url("/api/nothing-here")).send().await.unwrap();
    assert_eq!(unknown.status(), 404);
    assert_eq!(unknown.json::<Value>().await.unwrap()["error"], "not_found");
}
