//! The PostgreSQL backend against a real PostgreSQL (`scripts/test` starts a throwaway one and
//! sets `FIELDNOTES_TEST_POSTGRES`; without it these tests fail rather than pass unseen). The
//! reference is the sled backend: the same responses and erasures, given to both, must give
//! the same report figures, texts, evidence, counts and exports, incrementally and after a
//! rebuild; concurrent writers to one segment must all count, on both.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::cast_possible_truncation
)]

mod common;

use std::path::PathBuf;

use fieldnotes::analysis::{ReportOutcome, rebuild, report_figures};
use fieldnotes::app;
use fieldnotes::auth::{Role, Session};
use fieldnotes::config::Config;
use fieldnotes::form::{Answers, Catalog};
use fieldnotes::interview::{Interviews, NoteEdit, NoteInput};
use fieldnotes::report::Reports;
use fieldnotes::responses;
use fieldnotes::store::pg::PgStore;
use fieldnotes::store::{
    AggregateState, AggregateStore, AttemptOutcome, Completion, FinishedWebhook, HealthStore,
    InterviewStore, MailStore, PartialResponse, PartialState, PartialStore, ProfileStore,
    QuotaPlace, ResponseStore, SessionStore, SledStore, StoreError, StoredResponse, WebhookMessage,
    WebhookStore,
};
use serde_json::json;

const FORM: &str = "customer-profile";
const REPORT: &str = "customer-profile";

use common::postgres::fresh_database;

fn files() -> (Catalog, Reports) {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let config = Config {
        forms_dir: root.join("forms"),
        reports_dir: root.join("reports"),
        ..Config::default()
    };
    app::load_files(&config).unwrap()
}

fn answers(i: usize) -> Answers {
    let sizes = [
        "Just me",
        "2–10",
        "11–50",
        "51–200",
        "201–1,000",
        "More than 1,000",
    ];
    let reasons = [
        "The price was fair and setup took no time.",
        "Integration with our CRM saved hours every week.",
        "When a customer calls, I want to see their history, so I can answer at once.",
        "Too expensive for what it does.",
    ];
    let mut body = json!({
        "company_size": sizes[i % sizes.len()],
        "role": "Founder or owner",
        "decision_drivers": ["Price", "Trust in the company"],
        "nps": (i * 7 % 11) as i64,
        "biggest_challenge": reasons[i % reasons.len()],
        "pmf": "Very disappointed",
    });
    // Asked only of detractors and passives (show_if nps <= 6).
    if i * 7 % 11 <= 6 && i.is_multiple_of(3) {
        body["nps_reason"] = json!(reasons[(i + 1) % reasons.len()]);
    }
    serde_json::from_value(body).unwrap()
}

/// Everything a report shows from its aggregates, as JSON, for comparing two stores.
fn everything(
    store: &(impl AggregateStore + ResponseStore),
    catalog: &Catalog,
    reports: &Reports,
) -> serde_json::Value {
    let report = reports.get(REPORT).unwrap();
    let ReportOutcome::Ready(figures) = report_figures(store, catalog, &report).unwrap() else {
        panic!("the report's aggregates are ready");
    };
    let AggregateState::Ready(segments) = store.aggregates(REPORT, &report.aggregate_key).unwrap()
    else {
        panic!("ready");
    };
    let mut evidence = serde_json::Map::new();
    for segment in segments.keys() {
        let e = store.segment_evidence(REPORT, segment, 10).unwrap();
        let texts = store
            .segment_theme_texts(REPORT, segment, "Price", 10)
            .unwrap();
        evidence.insert(
            segment.clone(),
            json!({
                "first": e.first_at, "last": e.last_at,
                "days": format!("{:?}", e.days), "jobs": format!("{:?}", e.jobs),
                "texts": texts.iter().map(|t| format!("{} {:?}", t.at, t.record)).collect::<Vec<_>>(),
            }),
        );
    }
    let drill: Vec<String> = store
        .theme_texts(REPORT, "Price")
        .map(|t| format!("{:?}", t.unwrap()))
        .collect();
    let responses: Vec<String> = store
        .responses(FORM)
        .map(|r| serde_json::to_string(&r.unwrap()).unwrap())
        .collect();
    json!({
        "figures": serde_json::to_value(&*figures).unwrap(),
        "segments": format!("{segments:?}"),
        "evidence": evidence,
        "drill": drill,
        "terms": store.terms(REPORT, &|_| true).unwrap(),
        "count": store.count_responses(FORM).unwrap(),
        "revisions": store.revisions(FORM).unwrap().len(),
        "responses": responses,
    })
}

/// The same history for any backend: 60 responses, every fourth erased, then a rebuild of
/// the aggregates from the stored responses in batches of 7.
fn history<S: AggregateStore + ResponseStore>(
    store: &S,
    interviews: &SledStore,
    catalog: &Catalog,
    reports: &Reports,
    ids: &mut Vec<fieldnotes::responses::Receipt>,
) -> (serde_json::Value, serde_json::Value) {
    for stale in rebuild::stale_reports(store, reports).unwrap() {
        rebuild::rebuild(store, interviews, catalog, reports, stale).unwrap();
    }
    for i in 0..60 {
        let receipt = responses::submit(
            store,
            catalog,
            reports,
            FORM,
            &answers(i),
            &Default::default(),
            Default::default(),
        )
        .unwrap();
        ids.push(receipt);
    }
    for receipt in ids.iter().step_by(4) {
        responses::erase(
            store,
            catalog,
            reports,
            &receipt.id.to_string(),
            Some(&receipt.receipt),
        )
        .unwrap();
    }
    let incremental = everything(store, catalog, reports);
    let report = reports.get(REPORT).unwrap();
    assert!(
        store
            .begin_rebuild(REPORT, "another definition", FORM)
            .unwrap()
    );
    let mut renamed = (*report).clone();
    renamed.aggregate_key = "another definition".into();
    rebuild::rebuild_in_batches(store, interviews, catalog, reports, &renamed, 7).unwrap();
    assert!(
        store
            .begin_rebuild(REPORT, &report.aggregate_key, FORM)
            .unwrap()
    );
    rebuild::rebuild_in_batches(store, interviews, catalog, reports, &report, 7).unwrap();
    (incremental, everything(store, catalog, reports))
}

#[test]
fn the_same_history_gives_the_same_report_on_postgres_as_on_sled() {
    let (catalog, reports) = files();
    let dir = tempfile::tempdir().unwrap();
    let sled = SledStore::open(&dir.path().join("sled")).unwrap();
    let no_interviews = SledStore::open(&dir.path().join("no-interviews")).unwrap();
    let pg = PgStore::connect(&fresh_database()).unwrap();

    let (mut sled_ids, mut pg_ids) = (Vec::new(), Vec::new());
    let (sled_incremental, sled_rebuilt) =
        history(&sled, &no_interviews, &catalog, &reports, &mut sled_ids);
    let (pg_incremental, pg_rebuilt) =
        history(&pg, &no_interviews, &catalog, &reports, &mut pg_ids);

    // Response ids and times differ between the two runs: compare what does not carry them.
    let strip = |mut v: serde_json::Value| {
        v["responses"] = json!(v["responses"].as_array().unwrap().len());
        v["evidence"] = json!(
            v["evidence"]
                .as_object()
                .unwrap()
                .keys()
                .collect::<Vec<_>>()
        );
        v["drill"] = json!(v["drill"].as_array().unwrap().len());
        v
    };
    assert_eq!(
        strip(pg_incremental.clone()),
        strip(sled_incremental.clone())
    );
    assert_eq!(
        pg_rebuilt, pg_incremental,
        "a rebuild on PostgreSQL changes nothing"
    );
    assert_eq!(sled_rebuilt, sled_incremental);
    assert_eq!(pg_incremental["count"], json!(45));
    assert_eq!(pg_incremental["responses"].as_array().unwrap().len(), 45);
}

#[test]
fn an_erased_response_leaves_postgres_as_if_it_had_never_come() {
    let (catalog, reports) = files();
    let dir = tempfile::tempdir().unwrap();
    let no_interviews = SledStore::open(&dir.path().join("none")).unwrap();
    let pg = PgStore::connect(&fresh_database()).unwrap();
    for stale in rebuild::stale_reports(&pg, &reports).unwrap() {
        rebuild::rebuild(&pg, &no_interviews, &catalog, &reports, stale).unwrap();
    }
    let submit = |i| {
        responses::submit(
            &pg,
            &catalog,
            &reports,
            FORM,
            &answers(i),
            &Default::default(),
            Default::default(),
        )
        .unwrap()
    };
    for i in 0..6 {
        submit(i);
    }
    let before = everything(&pg, &catalog, &reports);
    let extra = submit(6);
    assert_ne!(
        everything(&pg, &catalog, &reports)["figures"],
        before["figures"]
    );
    responses::erase(
        &pg,
        &catalog,
        &reports,
        &extra.id.to_string(),
        Some(&extra.receipt),
    )
    .unwrap();
    assert_eq!(everything(&pg, &catalog, &reports), before);
    // Erased already: nothing to erase.
    assert!(matches!(
        responses::erase(&pg, &catalog, &reports, &extra.id.to_string(), None),
        Err(fieldnotes::responses::EraseError::NotFound)
    ));
}

#[test]
fn concurrent_writers_to_one_segment_all_count() {
    let pg = PgStore::connect(&fresh_database()).unwrap();
    writers_to_one_segment_all_count(&pg);
}

/// sled commits concurrent submissions together, several in one transaction: the same counts.
#[test]
fn concurrent_writers_to_one_segment_all_count_on_sled() {
    let dir = tempfile::tempdir().unwrap();
    let sled = SledStore::open(dir.path()).unwrap();
    writers_to_one_segment_all_count(&sled);
}

fn writers_to_one_segment_all_count<S>(store: &S)
where
    S: ResponseStore + AggregateStore + Sync,
{
    let (catalog, reports) = files();
    let dir = tempfile::tempdir().unwrap();
    let no_interviews = SledStore::open(&dir.path().join("none")).unwrap();
    for stale in rebuild::stale_reports(store, &reports).unwrap() {
        rebuild::rebuild(store, &no_interviews, &catalog, &reports, stale).unwrap();
    }
    let (writers, each) = (16, 20);
    std::thread::scope(|scope| {
        for w in 0..writers {
            let (catalog, reports) = (&catalog, &reports);
            scope.spawn(move || {
                for i in 0..each {
                    // One segment for all: every writer adds to the same counters.
                    let mut a = answers(w * each + i);
                    a.insert("company_size".into(), json!("11–50"));
                    responses::submit(
                        store,
                        catalog,
                        reports,
                        FORM,
                        &a,
                        &Default::default(),
                        Default::default(),
                    )
                    .unwrap();
                }
            });
        }
    });
    assert_eq!(
        store.count_responses(FORM).unwrap(),
        (writers * each) as u64
    );
    let report = reports.get(REPORT).unwrap();
    let AggregateState::Ready(segments) = store.aggregates(REPORT, &report.aggregate_key).unwrap()
    else {
        panic!("ready");
    };
    assert_eq!(segments.keys().collect::<Vec<_>>(), ["11–50"]);
    assert_eq!(segments["11–50"].responses, (writers * each) as i64);
    // The aggregates sum to what one rebuild from the stored responses counts.
    assert!(store.begin_rebuild(REPORT, "recount", FORM).unwrap());
    let mut recount = (*report).clone();
    recount.aggregate_key = "recount".into();
    rebuild::rebuild_in_batches(store, &no_interviews, &catalog, &reports, &recount, 50).unwrap();
    let AggregateState::Ready(rebuilt) = store.aggregates(REPORT, "recount").unwrap() else {
        panic!("ready");
    };
    assert_eq!(rebuilt, segments);
}

#[test]
fn logins_and_the_health_probe_are_durable_writes() {
    let pg = PgStore::connect(&fresh_database()).unwrap();
    assert!(pg.last_durable_write().is_none());
    pg.probe_write().unwrap();
    let (_, outcome) = pg.last_durable_write().unwrap();
    assert_eq!(outcome, Ok(()));
    let session = Session::open(Role::Researcher, "token", 1_700_000_000);
    pg.put_session("ab", &session).unwrap();
    assert_eq!(pg.session("ab").unwrap(), Some(session));
    pg.delete_session("ab").unwrap();
    assert_eq!(pg.session("ab").unwrap(), None);
    // A second connection sees what the first committed: it is in the database, not a cache.
    pg.put_session("cd", &Session::open(Role::Interviewer, "t", 1))
        .unwrap();
    assert!(pg.session("cd").unwrap().is_some());
}

#[test]
fn an_unreachable_database_is_a_clear_error() {
    let error = PgStore::connect("postgres://nobody:secret@127.0.0.1:1/none")
        .err()
        .unwrap();
    let text = error.to_string();
    assert!(matches!(error, StoreError::Open { .. }), "{text}");
    assert!(
        !text.contains("secret"),
        "the password stays out of messages: {text}"
    );
}

#[test]
fn changes_to_card_notes_and_mail_state_are_never_lost_under_contention() {
    let pg = PgStore::connect(&fresh_database()).unwrap();
    assert_eq!(pg.card_notes(REPORT, "11–50").unwrap(), Default::default());
    assert_eq!(pg.mail_state(REPORT).unwrap(), Default::default());
    let (writers, each) = (12, 10);
    std::thread::scope(|scope| {
        for w in 0..writers {
            let pg = &pg;
            scope.spawn(move || {
                for i in 0..each {
                    pg.update_card_notes(REPORT, "11–50", &mut |notes| {
                        notes.notes.push_str(&format!("{w}.{i};"));
                    })
                    .unwrap();
                    pg.update_mail_state(REPORT, &mut |state| {
                        *state.responses_at_last_send.get_or_insert(0) += 1;
                    })
                    .unwrap();
                }
            });
        }
    });
    let notes = pg.card_notes(REPORT, "11–50").unwrap();
    assert_eq!(notes.notes.matches(';').count(), writers * each);
    for w in 0..writers {
        for i in 0..each {
            assert!(notes.notes.contains(&format!("{w}.{i};")));
        }
    }
    assert_eq!(
        pg.mail_state(REPORT).unwrap().responses_at_last_send,
        Some((writers * each) as u64)
    );
    // Another segment and another report are other records.
    assert_eq!(pg.card_notes(REPORT, "2–10").unwrap(), Default::default());
    assert_eq!(pg.mail_state("other").unwrap(), Default::default());
}

fn message(endpoint: &str, id: &str) -> WebhookMessage {
    WebhookMessage {
        endpoint: endpoint.into(),
        id: id.into(),
        event: "response.created".into(),
        body: format!("{{\"id\":\"{id}\"}}"),
        created_at: chrono::Utc::now(),
    }
}

fn bare_response() -> StoredResponse {
    StoredResponse {
        id: uuid::Uuid::now_v7(),
        form: "all-types".into(),
        form_revision: "r".into(),
        submitted_at: chrono::Utc::now().to_rfc3339(),
        hidden: Default::default(),
        answers: Default::default(),
        receipt_sha256: String::new(),
        consent: None,
        quotas: Vec::new(),
        order: Default::default(),
        language: None,
        contact: None,
    }
}

/// The outbox's whole life on one backend; returns what each step showed.
fn outbox_story(store: &(impl ResponseStore + WebhookStore)) -> Vec<String> {
    let forms = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/forms");
    let form = fieldnotes::form::load_dir(&forms)
        .unwrap()
        .get("all-types")
        .unwrap();
    let first = bare_response();
    let (m1, x) = (message("aa", "m1"), message("bb", "x"));
    store.insert_response(&first, &form, &[], &[m1, x]).unwrap();
    store
        .insert_response(&bare_response(), &form, &[], &[message("aa", "m2")])
        .unwrap();
    // An erasure of nothing queues nothing.
    let none = |_: &StoredResponse| Vec::new();
    let never = [message("aa", "never")];
    assert!(
        store
            .delete_response(uuid::Uuid::now_v7(), &none, &never)
            .unwrap()
            .is_none()
    );
    store
        .delete_response(first.id, &none, &[message("aa", "m3")])
        .unwrap();
    let mut story = vec![format!(
        "queued {} and {}",
        store.webhook_queue_len("aa").unwrap(),
        store.webhook_queue_len("bb").unwrap()
    )];
    while let Some(mut head) = store.webhook_head("aa").unwrap() {
        head.attempts = 1;
        store.update_webhook(&head).unwrap();
        assert_eq!(store.webhook_head("aa").unwrap().unwrap().attempts, 1);
        let delivered = head.message.id != "m2";
        let finished = FinishedWebhook {
            seq: head.seq,
            id: head.message.id.clone(),
            event: head.message.event.clone(),
            created_at: head.message.created_at,
            attempts: 1,
            first_attempt_at: None,
            last_attempt_at: None,
            outcome: Some(AttemptOutcome::Status(if delivered { 200 } else { 500 })),
            delivered,
        };
        store.finish_webhook("aa", &finished, 2).unwrap();
        story.push(format!("sent {} {}", head.seq, head.message.id));
    }
    let ids = |list: Vec<FinishedWebhook>| list.into_iter().map(|f| f.id).collect::<Vec<_>>();
    story.push(format!(
        "log {:?}",
        ids(store.finished_webhooks("aa", 10).unwrap())
    ));
    story.push(format!(
        "failed {:?}",
        ids(store.failed_webhooks("aa", 10).unwrap())
    ));
    // An emptied queue goes on counting, so no seq names two messages.
    store
        .insert_response(&bare_response(), &form, &[], &[message("aa", "m4")])
        .unwrap();
    story.push(format!(
        "next {}",
        store.webhook_head("aa").unwrap().unwrap().seq
    ));
    story
}

#[test]
fn the_webhook_outbox_behaves_on_postgres_as_on_sled() {
    let dir = tempfile::tempdir().unwrap();
    let sled = SledStore::open(dir.path()).unwrap();
    let pg = PgStore::connect(&fresh_database()).unwrap();
    let expected = [
        "queued 3 and 1",
        "sent 1 m1",
        "sent 2 m2",
        "sent 3 m3",
        "log [\"m3\", \"m2\"]",
        "failed [\"m2\"]",
        "next 4",
    ];
    assert_eq!(outbox_story(&sled), expected);
    assert_eq!(outbox_story(&pg), expected);
}

fn partial(saved_at: &str) -> PartialResponse {
    PartialResponse {
        id: uuid::Uuid::now_v7(),
        form: "resume".into(),
        form_revision: "r1".into(),
        saved_at: saved_at.into(),
        page: 1,
        hidden: [("source".to_string(), "mail".to_string())].into(),
        answers: [("size".to_string(), json!("Small"))].into(),
        consent_at: None,
        language: None,
        seed: 7,
    }
}

/// Partial responses' whole life on one backend; returns what each step showed.
fn partials_story(store: &(impl ResponseStore + PartialStore)) -> Vec<String> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/resume/forms");
    let form = fieldnotes::form::load_dir(&dir)
        .unwrap()
        .get("resume")
        .unwrap();
    let listed = |store: &dyn PartialStore| -> Vec<usize> {
        store.partials("resume").map(|p| p.unwrap().page).collect()
    };
    let mut story = Vec::new();
    let first = partial("2026-01-01T00:00:00Z");
    assert!(store.save_partial("a", &first).unwrap());
    let mut later = first.clone();
    later.page = 2;
    assert!(store.save_partial("a", &later).unwrap());
    assert_eq!(store.partial("a").unwrap(), Some(PartialState::Open(later)));
    store
        .save_partial("b", &partial("2026-01-01T00:00:00Z"))
        .unwrap();
    store
        .save_partial("c", &partial("2026-03-01T00:00:00Z"))
        .unwrap();
    story.push(format!("open pages {:?}", listed(store)));
    store.delete_partial("b").unwrap();
    story.push(format!("after a withdrawal {:?}", listed(store)));

    let mut response = bare_response();
    response.form = "resume".into();
    response.quotas = vec![QuotaPlace {
        name: "solo".into(),
        limit: 1,
    }];
    let done = store
        .complete_partial("a", &response, &form, &[], &[])
        .unwrap();
    story.push(format!("completed: {done:?}"));
    let again = store
        .complete_partial("a", &bare_response(), &form, &[], &[])
        .unwrap();
    assert_eq!(again, Completion::AlreadyStored(response.id));
    assert!(
        !store.save_partial("a", &first).unwrap(),
        "a completed token keeps no page"
    );
    story.push(format!(
        "responses {}",
        store.count_responses("resume").unwrap()
    ));

    // The quota's one place is taken: the next completion stores nothing and leaves nothing.
    let mut screened = bare_response();
    screened.form = "resume".into();
    screened.quotas = response.quotas.clone();
    let refused = store.complete_partial("c", &screened, &form, &[], &[]);
    story.push(format!(
        "screened out: {:?}",
        refused.map_err(|e| e.to_string())
    ));
    story.push(format!("c is {:?}", store.partial("c").unwrap()));
    story.push(format!(
        "responses {}, quota {:?}",
        store.count_responses("resume").unwrap(),
        store.quota_counts("resume").unwrap()
    ));

    store
        .save_partial("d", &partial("2026-01-05T00:00:00Z"))
        .unwrap();
    store
        .save_partial("e", &partial("2026-06-01T00:00:00Z"))
        .unwrap();
    let erased = store
        .erase_stale_partials(&|_, saved_at| saved_at < "2026-02-01")
        .unwrap();
    story.push(format!("erased {erased:?}, left {:?}", listed(store)));
    story.push(format!(
        "mark of a: {}",
        store.partial("a").unwrap().is_some()
    ));
    story
}

#[test]
fn partial_responses_behave_on_postgres_as_on_sled() {
    let dir = tempfile::tempdir().unwrap();
    let sled = SledStore::open(dir.path()).unwrap();
    let pg = PgStore::connect(&fresh_database()).unwrap();
    let on_sled = partials_story(&sled);
    assert_eq!(on_sled[0], "open pages [2, 1, 1]");
    assert!(on_sled.contains(&"screened out: Err(\"the quota 'solo' is full\")".to_string()));
    assert!(on_sled.contains(&"c is None".to_string()));
    assert_eq!(partials_story(&pg), on_sled);
}

/// An interview's life through the domain service on one backend; what each step showed,
/// without the ids and times that differ between runs.
fn interview_story(store: std::sync::Arc<dyn InterviewStore>, catalog: &Catalog) -> Vec<String> {
    let interviews = Interviews::new(store.clone());
    let attributes: Answers =
        serde_json::from_value(json!({"role": "Founder or owner", "company_size": "11–50"}))
            .unwrap();
    let first = interviews
        .start(catalog, "jtbd-switch", "P01", &attributes, None)
        .unwrap();
    let second = interviews
        .start(catalog, "jtbd-switch", "P02", &attributes, None)
        .unwrap();
    let id = first.id.to_string();
    let note = |text: &str, client_id: Option<&str>| NoteInput {
        text: text.into(),
        section: Some("first_thought".into()),
        kind: None,
        forces: Vec::new(),
        tags: Vec::new(),
        client_id: client_id.map(str::to_string),
    };
    let mut story = Vec::new();
    for (text, key) in [
        ("The old tool kept losing our notes.", Some("k1")),
        ("The old tool kept losing our notes.", Some("k1")),
        ("Pricing was the push.", None),
        ("A third thought, to delete.", Some("k3")),
    ] {
        let saved = interviews.add_note(catalog, &id, &note(text, key)).unwrap();
        story.push(format!(
            "saved {} created {}",
            saved.note.seq, saved.created
        ));
    }
    let edit = NoteEdit {
        text: Some("Pricing was the main push.".into()),
        ..NoteEdit::default()
    };
    interviews.edit_note(catalog, &id, 2, &edit).unwrap();
    interviews.delete_note(&id, 3).unwrap();
    let (interview, notes) = interviews.with_notes(&id).unwrap();
    story.push(format!(
        "notes {:?}, counters {} {} {}",
        notes
            .iter()
            .map(|n| (n.seq, n.content.text.clone()))
            .collect::<Vec<_>>(),
        interview.note_count,
        interview.last_seq,
        interview.last_event_id
    ));
    let events = interviews.events_after(first.id, 0).unwrap();
    story.push(format!(
        "events {:?}",
        events
            .iter()
            .map(|e| (e.id, e.change.seq()))
            .collect::<Vec<_>>()
    ));
    assert!(
        !serde_json::to_string(&events)
            .unwrap()
            .contains("to delete"),
        "a deleted note's words are gone from the log"
    );
    story.push(format!(
        "after 4: {}",
        interviews.events_after(first.id, 4).unwrap().len()
    ));
    assert_eq!(store.note_for_client_id(first.id, "k1").unwrap(), Some(1));
    assert_eq!(store.note_for_client_id(first.id, "k3").unwrap(), None);
    let listed: Vec<String> = store
        .interviews(Some("jtbd-switch"))
        .map(|i| i.unwrap().participant)
        .collect();
    story.push(format!("newest first {listed:?}"));
    assert_eq!(store.interviews(None).count(), 2);
    assert_eq!(
        store.interview(second.id).unwrap().unwrap().participant,
        "P02"
    );
    // A change computed from a stale record is refused.
    let stale = store.interview(first.id).unwrap().unwrap();
    let event = interviews.events_after(first.id, 0).unwrap().remove(0);
    let refused = store.write(&fieldnotes::store::InterviewWrite {
        interview: &stale,
        expected_last_event_id: stale.last_event_id - 1,
        note: fieldnotes::store::NoteWrite::Unchanged,
        event: &event,
        retract: &[],
        add: &[],
        webhooks: &[],
    });
    story.push(format!("stale write: {}", refused.is_err()));
    story
}

#[test]
fn interviews_behave_on_postgres_as_on_sled() {
    let (catalog, _) = files();
    let dir = tempfile::tempdir().unwrap();
    let sled = std::sync::Arc::new(SledStore::open(dir.path()).unwrap());
    let pg = std::sync::Arc::new(PgStore::connect(&fresh_database()).unwrap());
    let on_sled = interview_story(sled, &catalog);
    assert_eq!(on_sled[0], "saved 1 created true");
    assert_eq!(
        on_sled[1], "saved 1 created false",
        "a retried save makes no second note"
    );
    assert_eq!(interview_story(pg, &catalog), on_sled);
}

/// The same story of outside texts for any backend: responses linked to contacts, texts
/// imported into two sources, one upserted, one removed, a contact's new response moving its
/// texts; then a rebuild.
fn text_history<S>(
    store: std::sync::Arc<S>,
    interviews: &SledStore,
    catalog: &Catalog,
    reports: &Reports,
) -> (serde_json::Value, serde_json::Value)
where
    S: AggregateStore + ResponseStore + fieldnotes::store::TextStore,
{
    let directory = fieldnotes::contacts::Directory::default().with_texts(store.clone());
    let reports = reports.clone().with_contacts(directory);
    let store = store.as_ref();
    for stale in rebuild::stale_reports(store, &reports).unwrap() {
        rebuild::rebuild(store, interviews, catalog, &reports, stale).unwrap();
    }
    let submit = |i: usize, customer: &str| {
        let hidden = [("customer_id".to_string(), json!(customer))].into();
        responses::submit(
            store,
            catalog,
            &reports,
            FORM,
            &answers(i),
            &hidden,
            Default::default(),
        )
        .unwrap();
    };
    // Ten responses per company size (min_cell is 5); each contact's latest is in a size
    // of its own.
    for i in 0..60 {
        submit(i, &format!("cust-{}", i % 4));
    }
    let import = |source: &str, csv: &str| {
        fieldnotes::texts::import(store, catalog, &reports, REPORT, source, csv.as_bytes()).unwrap()
    };
    let tickets = "id,customer_id,at,text\n\
        s1,cust-0,2024-01-01,The price doubled at renewal\n\
        s2,cust-1,2024-01-02,Too expensive for a team of three\n\
        s3,cust-2,2024-01-03,Export is slow\n\
        s4,,2024-01-04,Price question from a prospect\n\
        s5,cust-3,2024-01-05T09:00:00Z,The budget was cut; the cost is too high\n";
    assert_eq!(import("support", tickets).created, 5);
    import(
        "reviews",
        "id,customer_id,at,text\nr1,cust-1,2024-02-01,Fair price and quick setup\n",
    );
    let again = import(
        "support",
        "id,text\ns1,Cheaper than the last tool\ns6,expensive\n",
    );
    assert_eq!((again.created, again.updated), (1, 1));
    fieldnotes::texts::delete_text(store, &reports, REPORT, "support", "s2").unwrap();
    // cust-0's latest answer moves from 11–50 to 2–10, and its ticket with it.
    submit(61, "cust-0");
    let incremental = everything(store, catalog, &reports);
    let report = reports.get(REPORT).unwrap();
    assert!(store.begin_rebuild(REPORT, "recount texts", FORM).unwrap());
    let mut recount = (*report).clone();
    recount.aggregate_key = "recount texts".into();
    rebuild::rebuild_in_batches(store, interviews, catalog, &reports, &recount, 5).unwrap();
    assert!(
        store
            .begin_rebuild(REPORT, &report.aggregate_key, FORM)
            .unwrap()
    );
    rebuild::rebuild_in_batches(store, interviews, catalog, &reports, &report, 5).unwrap();
    (incremental, everything(store, catalog, &reports))
}

#[test]
fn outside_texts_give_the_same_figures_on_postgres_as_on_sled() {
    let (catalog, reports) = files();
    let dir = tempfile::tempdir().unwrap();
    let sled = std::sync::Arc::new(SledStore::open(&dir.path().join("sled")).unwrap());
    let no_interviews = SledStore::open(&dir.path().join("no-interviews")).unwrap();
    let pg = std::sync::Arc::new(PgStore::connect(&fresh_database()).unwrap());
    let (sled_incremental, sled_rebuilt) = text_history(sled, &no_interviews, &catalog, &reports);
    let (pg_incremental, pg_rebuilt) = text_history(pg, &no_interviews, &catalog, &reports);
    // What carries response ids and times differs between the runs.
    let same = |v: &serde_json::Value| json!({"figures": v["figures"], "segments": v["segments"], "terms": v["terms"]});
    assert_eq!(same(&pg_incremental), same(&sled_incremental));
    assert_eq!(
        pg_rebuilt, pg_incremental,
        "a rebuild on PostgreSQL changes nothing"
    );
    assert_eq!(sled_rebuilt, sled_incremental);
    let themes = pg_incremental["figures"]["themes"].to_string();
    assert!(
        themes.contains("\"support\"") && themes.contains("\"reviews\""),
        "{themes}"
    );
}
