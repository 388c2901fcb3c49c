//! Webhooks end to end: the real `fieldnotes` binary posts to a real receiver on loopback.
//! Retries run on a 50 ms base (FIELDNOTES_WEBHOOK_RETRY_MS) so that each test takes seconds.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::cast_possible_truncation
)]

mod common;

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::interviews::call;
use common::webhooks::{
    PLAIN, PLAIN_VAR, Receiver, SECRET, SECRET_VAR, Scene, WITHIN, endpoint, submit,
    verify_with_python, webhooks_json,
};
use common::{INTERVIEWER, RESEARCHER, free_port, repo_path};
use reqwest::Method;
use serde_json::{Value, json};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn signatures_verify_with_the_standardwebhooks_package() {
    let receiver = Receiver::start().await;
    let scene = Scene::new(&receiver);
    let server = scene.serve("60");
    let created = submit(
        &server.base,
        json!({"plan": "Team", "comment": "Ça marche ✓"}),
    )
    .await;

    let standard = receiver.wait_delivered("/standard", 1, WITHIN).await;
    let plain = receiver.wait_delivered("/plain", 1, WITHIN).await;
    let scratch = tempfile::tempdir().unwrap();
    for (secret, received) in [(SECRET, &standard[0]), (PLAIN, &plain[0])] {
        assert_eq!(received.header("content-type"), "application/json");
        assert!(received.header("webhook-signature").starts_with("v1,"));
        let verified = verify_with_python(secret, received, scratch.path()).unwrap_or_else(|e| {
            panic!("the standardwebhooks package refused the signature (pip install standardwebhooks): {e}")
        });
        let verified: Value = serde_json::from_str(&verified).unwrap();
        assert_eq!(verified, received.json());
        assert_eq!(verified["type"], "response.created");
        assert_eq!(verified["data"]["id"], created["id"]);
        // The verifier is not a rubber stamp: a changed body or the other secret fails.
        let mut tampered = received.clone();
        tampered.body = tampered.body.replace("Team", "Free");
        assert!(verify_with_python(secret, &tampered, scratch.path()).is_err());
        let other = if secret == SECRET { PLAIN } else { SECRET };
        assert!(verify_with_python(other, received, scratch.path()).is_err());
    }
    assert_ne!(
        standard[0].header("webhook-id"),
        plain[0].header("webhook-id")
    );
    server.kill();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_receiver_that_fails_five_times_gets_every_event_in_order() {
    let receiver = Receiver::start().await;
    receiver.fail_next("/standard", 5);
    let scene = Scene::new(&receiver);
    let server = scene.serve("60");
    let mut ids = Vec::new();
    for plan in ["Free", "Team", "Enterprise"] {
        ids.push(submit(&server.base, json!({ "plan": plan })).await["id"].clone());
    }
    let delivered = receiver.wait_delivered("/standard", 3, WITHIN).await;
    let got: Vec<Value> = delivered
        .iter()
        .map(|r| r.json()["data"]["id"].clone())
        .collect();
    assert_eq!(got, ids, "every event, once, in the order of the responses");

    // The five refusals were all the first message, with the id it was delivered under.
    let standard: Vec<_> = receiver
        .received()
        .into_iter()
        .filter(|r| r.path == "/standard")
        .collect();
    let first_id = delivered[0].header("webhook-id").to_string();
    let refused: Vec<_> = standard.iter().filter(|r| r.status == 500).collect();
    assert_eq!(refused.len(), 5, "{standard:#?}");
    assert!(refused.iter().all(|r| r.header("webhook-id") == first_id));
    assert!(refused.iter().all(|r| r.body == delivered[0].body));
    assert_eq!(standard.iter().position(|r| r.status == 200), Some(5));

    let list = webhooks_json(&server.base).await;
    let standard = endpoint(&list, "/standard");
    assert_eq!(standard["form"], "survey");
    assert_eq!(
        standard["events"],
        json!(["response.created", "response.erased"])
    );
    assert_eq!(standard["queued"], 0);
    let deliveries = standard["deliveries"].as_array().unwrap();
    assert_eq!(deliveries.len(), 3);
    assert_eq!(deliveries[2]["id"], first_id.as_str(), "newest first");
    assert_eq!(deliveries[2]["attempts"], 6);
    assert_eq!(deliveries[2]["status"], 200);
    assert_eq!(deliveries[0]["attempts"], 1);
    assert!(deliveries.iter().all(|d| d["delivered"] == true));
    assert_eq!(standard["failures"], json!([]));

    // The route is the researcher's; the secrets are nowhere: not in it, not in the log.
    let http = reqwest::Client::new();
    let url = format!("{}/api/webhooks", server.base);
    let (anonymous, _) = call(&http, Method::GET, &url, None, None).await;
    let (interviewer, _) = call(&http, Method::GET, &url, Some(INTERVIEWER), None).await;
    assert_eq!((anonymous.as_u16(), interviewer.as_u16()), (401, 403));
    server.kill();
    let logged = scene.log();
    assert!(
        logged.contains("webhook not delivered; retrying"),
        "{logged}"
    );
    for text in [list.to_string(), logged] {
        for secret in [SECRET, &SECRET["whsec_".len()..], PLAIN, SECRET_VAR] {
            assert!(!text.contains(secret), "{secret} shows in {text}");
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_event_acknowledged_before_sigkill_arrives_after_the_restart() {
    let receiver = Receiver::start().await;
    receiver.refuse_all(true);
    let scene = Scene::new(&receiver);
    let server = scene.serve("60");
    let created = submit(&server.base, json!({"plan": "Team"})).await;
    server.kill();

    receiver.refuse_all(false);
    let server = scene.serve("60");
    let delivered = receiver.wait_delivered("/standard", 1, WITHIN).await;
    assert_eq!(delivered[0].json()["data"]["id"], created["id"]);
    receiver.wait_delivered("/plain", 1, WITHIN).await;
    server.kill();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_message_given_up_on_is_marked_failed_and_the_queue_moves_on() {
    let receiver = Receiver::start().await;
    receiver.refuse_bodies_containing("poison");
    let scene = Scene::new(&receiver);
    let server = scene.serve("1");
    submit(&server.base, json!({"plan": "Free", "comment": "poison"})).await;
    let second = submit(&server.base, json!({"plan": "Team"})).await;

    let delivered = receiver.wait_delivered("/standard", 1, WITHIN).await;
    assert_eq!(delivered[0].json()["data"]["id"], second["id"]);
    let standard: Vec<_> = receiver
        .received()
        .into_iter()
        .filter(|r| r.path == "/standard")
        .collect();
    let tries = standard.iter().take_while(|r| r.status == 500).count();
    assert!(tries >= 3, "retried until given up: {standard:#?}");
    assert_eq!(
        tries + 1,
        standard.len(),
        "the second waited behind the first"
    );

    let list = webhooks_json(&server.base).await;
    let failures = endpoint(&list, "/standard")["failures"]
        .as_array()
        .unwrap()
        .clone();
    assert_eq!(failures.len(), 1, "{list}");
    assert_eq!(failures[0]["delivered"], false);
    assert_eq!(failures[0]["status"], 500);
    assert_eq!(failures[0]["attempts"], tries);
    assert_eq!(failures[0]["id"], standard[0].header("webhook-id"));
    server.kill();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn erasure_notes_and_interview_end_arrive_with_their_data_and_no_pii() {
    let receiver = Receiver::start().await;
    let scene = Scene::new(&receiver);
    let server = scene.serve("60");
    let http = reqwest::Client::new();
    let base = server.base.clone();

    let answers = json!({"plan": "Team", "comment": "fine", "email": "ana@example.com"});
    let created = submit(&base, answers).await;
    let url = format!(
        "{base}/api/responses/{}?receipt={}",
        created["id"].as_str().unwrap(),
        created["receipt"].as_str().unwrap()
    );
    let (status, _) = call(&http, Method::DELETE, &url, None, None).await;
    assert_eq!(status, 204);
    let survey = receiver.wait_delivered("/standard", 2, WITHIN).await;
    let record = survey[0].json();
    assert_eq!(record["type"], "response.created");
    let data = &record["data"];
    assert_eq!(data["answers"], json!({"plan": "Team", "comment": "fine"}));
    assert_eq!(data["hidden"], json!({"source": "newsletter"}));
    let mut fields: Vec<&str> = data
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    fields.sort();
    assert_eq!(
        fields,
        ["answers", "form_revision", "hidden", "id", "submitted_at"]
    );
    assert_eq!(survey[1].json()["type"], "response.erased");
    assert_eq!(survey[1].json()["data"], json!({"id": created["id"]}));

    let (status, started) = call(
        &http,
        Method::POST,
        &format!("{base}/api/interviews"),
        Some(INTERVIEWER),
        Some(json!({"guide": "guide", "participant": "P07",
                    "attributes": {"team_size": "6-20", "contact": "bo@example.com"}})),
    )
    .await;
    assert_eq!(status, 201, "{started}");
    let id = started["id"].as_str().unwrap().to_string();
    let note = json!({"text": "The price almost stopped me", "section": "deciding",
                      "kind": "quote", "forces": ["anxiety"], "tags": ["price"]});
    let notes = format!("{base}/api/interviews/{id}/notes");
    let (status, saved) = call(&http, Method::POST, &notes, Some(INTERVIEWER), Some(note)).await;
    assert_eq!(status, 201, "{saved}");
    let edit = json!({"text": "Price nearly stopped me"});
    let (status, _) = call(
        &http,
        Method::PATCH,
        &format!("{notes}/1"),
        Some(INTERVIEWER),
        Some(edit),
    )
    .await;
    assert_eq!(status, 200);
    let (status, _) = call(
        &http,
        Method::DELETE,
        &format!("{notes}/1"),
        Some(INTERVIEWER),
        None,
    )
    .await;
    assert_eq!(status, 204);
    let end = format!("{base}/api/interviews/{id}/end");
    let (status, _) = call(&http, Method::POST, &end, Some(INTERVIEWER), None).await;
    assert_eq!(status, 200);

    let events = receiver.wait_delivered("/interviews", 3, WITHIN).await;
    let types: Vec<Value> = events.iter().map(|r| r.json()["type"].clone()).collect();
    assert_eq!(
        types,
        ["note.created", "note.edited", "interview.ended"],
        "no event for a deletion"
    );
    let created_note = &events[0].json()["data"];
    assert_eq!(created_note["interview_id"], id.as_str());
    assert_eq!(created_note["seq"], 1);
    assert_eq!(created_note["at"], saved["at"]);
    assert_eq!(created_note["text"], "The price almost stopped me");
    assert_eq!(created_note["section"], "deciding");
    assert_eq!(created_note["kind"], "quote");
    assert_eq!(created_note["forces"], json!(["anxiety"]));
    let edited = &events[1].json()["data"];
    assert_eq!(
        (edited["seq"].clone(), edited["text"].clone()),
        (json!(1), json!("Price nearly stopped me"))
    );
    assert!(edited["edited_at"].is_string());
    let ended = &events[2].json()["data"];
    assert_eq!(ended["id"], id.as_str());
    assert_eq!(ended["participant"], "P07");
    assert_eq!(ended["attributes"], json!({"team_size": "6-20"}));
    assert!(ended["ended_at"].is_string());

    let ids: std::collections::HashSet<&str> = survey
        .iter()
        .chain(&events)
        .map(|r| r.header("webhook-id"))
        .collect();
    assert_eq!(ids.len(), 5, "one id per message");
    for received in receiver.received() {
        for pii in ["ana@example.com", "bo@example.com"] {
            assert!(!received.body.contains(pii), "{pii} in {}", received.body);
        }
    }
    server.kill();
}

#[test]
fn an_unset_secret_env_stops_serve_naming_it_and_the_form() {
    let data = tempfile::tempdir().unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_fieldnotes"))
        .args(["serve", "--addr", &format!("127.0.0.1:{}", free_port())])
        .arg("--data")
        .arg(data.path())
        .arg("--forms")
        .arg(repo_path("tests/fixtures/webhooks/forms"))
        .arg("--reports")
        .arg(repo_path("tests/fixtures/no-reports"))
        .env("FIELDNOTES_RESEARCHER_TOKEN", RESEARCHER)
        .env(SECRET_VAR, SECRET)
        .env_remove(PLAIN_VAR)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the binary runs");
    let deadline = Instant::now() + WITHIN;
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait") {
            break status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("serve kept running without {PLAIN_VAR}");
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    let stderr = std::io::read_to_string(child.stderr.take().expect("stderr")).unwrap();
    assert!(!status.success());
    assert_eq!(
        stderr.trim(),
        format!(
            "error: webhook http://127.0.0.1:1/plain of form 'survey': its secret_env {PLAIN_VAR} is not set; set {PLAIN_VAR} to the secret the receiver verifies signatures with"
        )
    );
}

#[test]
fn check_refuses_bad_webhook_declarations_and_needs_no_secrets() {
    let check = |forms: &Path| {
        Command::new(env!("CARGO_BIN_EXE_fieldnotes"))
            .arg("check")
            .arg("--forms")
            .arg(forms)
            .arg("--reports")
            .arg(repo_path("tests/fixtures/no-reports"))
            .env_remove(SECRET_VAR)
            .env_remove(PLAIN_VAR)
            .output()
            .expect("the binary runs")
    };
    let good = check(&repo_path("tests/fixtures/webhooks/forms"));
    assert!(
        good.status.success(),
        "{}",
        String::from_utf8_lossy(&good.stderr)
    );
    assert_eq!(
        String::from_utf8_lossy(&good.stdout).trim(),
        "2 forms and 0 reports OK"
    );

    let dir = repo_path("tests/fixtures/webhooks/broken");
    let out = check(&dir);
    assert!(!out.status.success());
    let file = |name: &str| dir.join(name).display().to_string();
    let (guide, survey, unknown) = (
        file("guide.toml"),
        file("survey.toml"),
        file("unknown-key.toml"),
    );
    let expected = [
        format!(
            "{guide}: webhook 1: event 'response.erased' cannot happen on an interview guide; it takes note.created, note.edited, interview.ended"
        ),
        format!(
            "{guide}: webhook 2: url 'https://crm.example.com/notes' is declared twice; list every event in one [[webhooks]]"
        ),
        format!(
            "{survey}: webhook 1: url 'ftp://example.com/hook' must start with http:// or https://, not ftp:"
        ),
        format!(
            "{survey}: webhook 1: unknown event 'response.updated'; expected one of response.created, response.erased, note.created, note.edited, interview.ended"
        ),
        format!("{survey}: webhook 2: url 'not a url' is not a URL (relative URL without a base)"),
        format!(
            "{survey}: webhook 2: event 'note.created' cannot happen on a survey; it takes response.created, response.erased"
        ),
        format!(
            "{survey}: webhook 2: secret_env '1-not-a-name' is not an environment variable name (letters, digits and '_', such as CRM_WEBHOOK_SECRET)"
        ),
        format!("{survey}: webhook 3: events is empty; name at least one"),
        format!(
            "{unknown}: line 13: unknown field `secret`, expected one of `url`, `events`, `secret_env`"
        ),
    ];
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(stderr.lines().collect::<Vec<_>>(), expected);
}
