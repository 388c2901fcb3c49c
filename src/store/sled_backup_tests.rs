use crate::store::{ResponseStore, SessionStore};
use std::collections::BTreeMap;
use std::path::Path;

use chrono::Utc;
use serde_json::json;

use super::*;
use crate::auth::{Role, Session};
use crate::interview::{Change, Force, Interview, InterviewEvent, Note, NoteContent, NoteKind};
use crate::store::{
    AttemptOutcome, FinishedWebhook, InterviewStore, InterviewWrite, MailStore, NoteWrite,
    ProfileStore, StoredResponse, WebhookMessage, WebhookStore,
};
use crate::store::{
    Campaign, Contact, ContactStore, Invitation, InvitationMessage, InvitationStore, IssuedToken,
    MessageState, StagedRow, StoredText, TextStore, TokenPurpose,
};

fn tree<'a>(store: &'a SledStore, name: &str) -> &'a sled::Tree {
    match name {
        "responses" => &store.responses,
        "responses_by_form" => &store.responses_by_form,
        "revisions" => &store.revisions,
        "interviews" => &store.interviews,
        "interviews_by_guide" => &store.interviews_by_guide,
        "notes" => &store.notes,
        "note_client_ids" => &store.note_client_ids,
        "interview_events" => &store.interview_events,
        "profiles" => &store.profiles,
        "mail" => &store.mail,
        "sessions" => &store.sessions,
        "webhook_queue" => &store.webhook_queue,
        "webhook_sequences" => &store.webhook_sequences,
        "webhook_log" => &store.webhook_log,
        "webhook_failures" => &store.webhook_failures,
        "contacts" => &store.contacts,
        "contact_meta" => &store.contact_meta,
        "outside_texts" => &store.outside_texts,
        "texts_by_contact" => &store.texts_by_contact,
        "invitations" => &store.invitations,
        "invitations_pending" => &store.invitations_pending,
        "invitation_tokens" => &store.invitation_tokens,
        "campaigns" => &store.campaigns,
        "unsubscribed" => &store.unsubscribed,
        other => panic!("no tree {other} in this test"),
    }
}

fn entries(store: &SledStore, name: &str) -> Vec<(Vec<u8>, Vec<u8>)> {
    tree(store, name)
        .iter()
        .map(|entry| {
            let (k, v) = entry.unwrap();
            (k.to_vec(), v.to_vec())
        })
        .collect()
}

/// Every record, as the lines a backup file holds.
fn lines(store: &SledStore) -> Vec<String> {
    let mut lines = Vec::new();
    store
        .each_record(&mut |record| {
            lines.push(serde_json::to_string(&record).unwrap());
            ControlFlow::Continue(())
        })
        .unwrap();
    lines
}

fn message(endpoint: &str, n: u32) -> WebhookMessage {
    WebhookMessage {
        endpoint: endpoint.into(),
        id: format!("msg_{n}"),
        event: "response.created".into(),
        body: format!("{{\"n\":{n}}}"),
        created_at: Utc::now(),
    }
}

/// A store with a record of every kind.
fn filled(dir: &Path) -> SledStore {
    let forms = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/forms");
    let catalog = crate::form::load_dir(&forms).unwrap();
    let form = catalog.get("all-types").unwrap();
    let store = SledStore::open(dir).unwrap();
    for n in 0..3 {
        let response = StoredResponse {
            id: Uuid::now_v7(),
            form: form.id.clone(),
            form_revision: form.revision.clone(),
            submitted_at: Utc::now().to_rfc3339(),
            hidden: BTreeMap::new(),
            answers: BTreeMap::from([("nps".to_string(), json!(n)), ("x".into(), json!(0.1))]),
            receipt_sha256: "00".repeat(32),
            consent: None,
            quotas: Vec::new(),
            order: Default::default(),
            language: None,
            contact: None,
        };
        store
            .insert_response(&response, &form, &[], &[message("ab12", n)])
            .unwrap();
    }
    let started = Utc::now();
    let mut interview = Interview {
        id: Uuid::now_v7(),
        guide: "guide".into(),
        guide_revision: "r1".into(),
        participant: "P01".into(),
        attributes: BTreeMap::from([("team_size".to_string(), json!("1-5"))]),
        pii_attributes: Vec::new(),
        contact: None,
        started_at: started,
        ended_at: None,
        note_count: 0,
        last_seq: 0,
        last_event_id: 0,
    };
    store.insert_interview(&interview).unwrap();
    let note = Note {
        seq: 1,
        at: started,
        offset_s: 0,
        content: NoteContent {
            text: "The price doubled — « ouch »".into(),
            section: Some("deciding".into()),
            kind: NoteKind::Quote,
            forces: vec![Force::Push],
            tags: Vec::new(),
        },
        client_id: Some("console-1".into()),
        edited_at: None,
        history: Vec::new(),
    };
    interview.note_count = 1;
    interview.last_seq = 1;
    interview.last_event_id = 1;
    let event = InterviewEvent {
        id: 1,
        at: started,
        change: Change::NoteCreated { note: note.clone() },
    };
    store
        .write(&InterviewWrite {
            interview: &interview,
            expected_last_event_id: 0,
            note: NoteWrite::Put(&note),
            event: &event,
            retract: &[],
            add: &[],
            webhooks: &[],
        })
        .unwrap();
    store
        .update_card_notes("report", "Agency", &mut |card| {
            card.label = Some("Agencies".into());
            card.notes = "Ask support.".into();
        })
        .unwrap();
    store
        .update_mail_state("report", &mut |mail| mail.responses_at_last_send = Some(3))
        .unwrap();
    store
        .put_session(&"ab".repeat(32), &Session::open(Role::Researcher, "t", 0))
        .unwrap();
    let head = store.webhook_head("ab12").unwrap().unwrap();
    let finished = FinishedWebhook {
        seq: head.seq,
        id: head.message.id.clone(),
        event: head.message.event.clone(),
        created_at: head.message.created_at,
        attempts: 3,
        first_attempt_at: Some(started),
        last_attempt_at: Some(started),
        outcome: Some(AttemptOutcome::Status(500)),
        delivered: false,
    };
    store.finish_webhook("ab12", &finished, 50).unwrap();
    evidence_beyond_surveys(&store);
    store
}

/// Two contacts (one column pii), a text linked to one, an invitation waiting to be sent
/// and one sent, their campaign, and an unsubscribe.
fn evidence_beyond_surveys(store: &SledStore) {
    let rows: Vec<(String, StagedRow)> = ["c1", "c2"]
        .iter()
        .enumerate()
        .map(|(n, key)| {
            let cells = BTreeMap::from([
                ("plan".to_string(), "Pro".to_string()),
                ("email".to_string(), format!("{key}@example.com")),
            ]);
            let line = n as u64 + 2;
            (key.to_string(), StagedRow { line, cells })
        })
        .collect();
    store.clear_stage().unwrap();
    store.stage_contacts(&rows).unwrap();
    let pii = std::collections::BTreeSet::from(["email".to_string()]);
    let merge = |_: Option<Contact>, key: &str, row: StagedRow| Contact {
        key: key.to_string(),
        attributes: row.cells,
    };
    store.commit_stage(&pii, &merge, 100).unwrap();
    let text = StoredText {
        report: "report".into(),
        source: "support".into(),
        id: "t1".into(),
        text: "The price went up".into(),
        at: Utc::now().to_rfc3339(),
        customer_id: Some("c1".into()),
        order: Uuid::now_v7(),
        segment: "Pro".into(),
    };
    store.put_texts(&[text], &|_| Vec::new()).unwrap();
    let now = Utc::now().to_rfc3339();
    let campaign = Campaign {
        id: "k1".into(),
        form: "all-types".into(),
        subject: "Two minutes?".into(),
        message: "Hello".into(),
        created_at: now.clone(),
    };
    store.put_campaign(&campaign).unwrap();
    let invitation = |contact: &str, state: MessageState| Invitation {
        form: "all-types".into(),
        contact: contact.into(),
        invited_at: now.clone(),
        opened_at: None,
        messages: vec![InvitationMessage {
            campaign: "k1".into(),
            reminder: false,
            queued_at: now.clone(),
            state,
        }],
        tokens: [TokenPurpose::Survey, TokenPurpose::Unsubscribe]
            .into_iter()
            .map(|purpose| IssuedToken {
                sha256: format!("{contact}{purpose:?}"),
                purpose,
            })
            .collect(),
    };
    let sent = MessageState::Sent { at: now.clone() };
    store
        .add_invitations(&[
            invitation("c1", sent),
            invitation("c2", MessageState::Queued),
        ])
        .unwrap();
    store.unsubscribe("c1", &now).unwrap();
}

#[test]
fn every_tree_is_carried_or_left_out_on_purpose() {
    let dir = tempfile::tempdir().unwrap();
    drop(SledStore::open(dir.path()).unwrap());
    let db = sled::open(dir.path()).unwrap();
    for name in db.tree_names() {
        let name = String::from_utf8(name.to_vec()).unwrap();
        assert!(
            CARRIED.contains(&name.as_str())
                || LEFT_OUT.contains(&name.as_str())
                || name == "__sled__default",
            "tree {name} is neither carried by backups nor left out on purpose: add it to one"
        );
    }
}

#[test]
fn a_restore_gives_back_every_record_byte_for_byte_with_its_indexes() {
    let (from_dir, to_dir) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let from = filled(from_dir.path());
    let written = lines(&from);
    let kinds: std::collections::BTreeSet<&str> = written
        .iter()
        .map(|line| serde_json::from_str::<Record>(line).unwrap().kind())
        .collect::<Vec<_>>()
        .into_iter()
        .collect();
    assert_eq!(kinds.len(), 18, "a record of every kind: {kinds:?}");

    let to = SledStore::open(to_dir.path()).unwrap();
    let records: Vec<Record> = written
        .iter()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect();
    // In two batches, as a restore of a large file writes them.
    let (first, rest) = records.split_at(records.len() / 2);
    to.restore_records(first).unwrap();
    to.restore_records(rest).unwrap();

    assert_eq!(lines(&to), written);
    for name in CARRIED.iter().chain(&[
        "responses_by_form",
        "interviews_by_guide",
        "note_client_ids",
        "texts_by_contact",
        "invitations_pending",
        "invitation_tokens",
    ]) {
        assert_eq!(entries(&to, name), entries(&from, name), "tree {name}");
        assert!(!entries(&from, name).is_empty(), "tree {name} was filled");
    }
    // The restored store works as the first did: the next message takes the next seq.
    assert_eq!(to.webhook_queue_len("ab12").unwrap(), 2);
    assert_eq!(
        to.note_for_client_id(
            serde_json::from_slice::<Interview>(&entries(&to, "interviews")[0].1)
                .unwrap()
                .id,
            "console-1"
        )
        .unwrap(),
        Some(1)
    );
}

#[test]
fn a_visitor_that_breaks_stops_the_read() {
    let dir = tempfile::tempdir().unwrap();
    let store = filled(dir.path());
    let mut seen = 0;
    store
        .each_record(&mut |_| {
            seen += 1;
            ControlFlow::Break(())
        })
        .unwrap();
    assert_eq!(seen, 1);
}
