//! The messages that report a change, one per endpoint that wants it, built before the
//! change is written so that the store queues them in the same write.
//!
//! Body: `{"type": event, "timestamp": RFC 3339, "data": {...}}`. `data` never carries
//! personal data: a response's `pii` answers and an interview's `pii` attributes are left out.

use chrono::{DateTime, SecondsFormat, Utc};
use serde::Serialize;
use serde_json::{Value, json};
use uuid::Uuid;

use super::endpoint::endpoint_id;
use crate::form::{Answers, EventType, Form};
use crate::interview::{Change, Interview, Note};
use crate::store::{StoredResponse, WebhookMessage};

#[derive(Serialize)]
struct Body<'a> {
    #[serde(rename = "type")]
    kind: &'a str,
    timestamp: String,
    data: Value,
}

fn rfc3339(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Millis, true)
}

/// One message per endpoint of `form` that takes `event`; none when no endpoint does.
fn messages(form: &Form, event: EventType, at: DateTime<Utc>, data: Value) -> Vec<WebhookMessage> {
    let wanted: Vec<_> = form.webhooks.iter().filter(|h| h.wants(event)).collect();
    if wanted.is_empty() {
        return Vec::new();
    }
    let body = Body {
        kind: event.as_str(),
        timestamp: rfc3339(at),
        data,
    };
    // Serialising a tree of JSON values cannot fail; should it ever, the change is still
    // worth keeping, and the receiver gets an empty object rather than nothing.
    let body = serde_json::to_string(&body).unwrap_or_else(|_| "{}".into());
    wanted
        .into_iter()
        .map(|hook| WebhookMessage {
            endpoint: endpoint_id(&form.id, &hook.url),
            // Time-ordered, so ids read in the order the events happened.
            id: format!("msg_{}", Uuid::now_v7().simple()),
            event: event.as_str().to_string(),
            body: body.clone(),
            created_at: at,
        })
        .collect()
}

/// `response.created`: the response's JSON Lines record, without its `pii` answers.
pub fn response_created(form: &Form, response: &StoredResponse) -> Vec<WebhookMessage> {
    if form.webhooks.is_empty() {
        return Vec::new();
    }
    let answers: serde_json::Map<String, Value> = response
        .answers
        .iter()
        .filter(|(id, _)| !form.question(id).is_some_and(|q| q.pii))
        .map(|(id, value)| (id.clone(), value.clone()))
        .collect();
    let data = json!({
        "id": response.id,
        "submitted_at": response.submitted_at,
        "form_revision": response.form_revision,
        "hidden": response.hidden,
        "answers": answers,
    });
    let at = chrono::DateTime::parse_from_rfc3339(&response.submitted_at)
        .map(|t| t.with_timezone(&Utc))
        .unwrap_or_else(|_| Utc::now());
    messages(form, EventType::ResponseCreated, at, data)
}

/// `response.erased`: only the id, since the rest is gone.
pub fn response_erased(form: &Form, id: Uuid, at: DateTime<Utc>) -> Vec<WebhookMessage> {
    messages(form, EventType::ResponseErased, at, json!({ "id": id }))
}

fn note_data(interview: &Interview, note: &Note) -> Value {
    let content = &note.content;
    json!({
        "interview_id": interview.id,
        "guide": interview.guide,
        "seq": note.seq,
        "at": rfc3339(note.at),
        "offset_s": note.offset_s,
        "section": content.section,
        "kind": content.kind.as_str(),
        "forces": content.forces.iter().map(|f| f.as_str()).collect::<Vec<_>>(),
        "tags": content.tags,
        "text": content.text,
        "edited_at": note.edited_at.map(rfc3339),
    })
}

fn interview_data(interview: &Interview) -> Value {
    let attributes: Answers = interview
        .attributes
        .iter()
        .filter(|(id, _)| !interview.pii_attributes.contains(id))
        .map(|(id, value)| (id.clone(), value.clone()))
        .collect();
    json!({
        "id": interview.id,
        "guide": interview.guide,
        "guide_revision": interview.guide_revision,
        "participant": interview.participant,
        "attributes": attributes,
        "started_at": rfc3339(interview.started_at),
        "ended_at": interview.ended_at.map(rfc3339),
        "note_count": interview.note_count,
    })
}

/// `note.created`, `note.edited` or `interview.ended` for a change to an interview of
/// `guide`, `interview` being the record as it is after the change. A deleted note has no
/// event.
pub fn interview_change(
    guide: &Form,
    interview: &Interview,
    change: &Change,
    at: DateTime<Utc>,
) -> Vec<WebhookMessage> {
    if guide.webhooks.is_empty() {
        return Vec::new();
    }
    match change {
        Change::NoteCreated { note } => messages(
            guide,
            EventType::NoteCreated,
            at,
            note_data(interview, note),
        ),
        Change::NoteEdited { note } => {
            messages(guide, EventType::NoteEdited, at, note_data(interview, note))
        }
        Change::InterviewEnded { .. } => messages(
            guide,
            EventType::InterviewEnded,
            at,
            interview_data(interview),
        ),
        Change::NoteDeleted { .. } => Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use serde_json::json;

    use super::*;
    use crate::form::Webhook;

    fn survey() -> Form {
        let forms = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/forms");
        let catalog = crate::form::load_dir(&forms).expect("the fixture forms load");
        let mut form = (*catalog.get("all-types").expect("all-types")).clone();
        form.webhooks = vec![
            Webhook {
                url: "https://a.example/hook".into(),
                events: vec![EventType::ResponseCreated],
                secret_env: "A".into(),
            },
            Webhook {
                url: "https://b.example/hook".into(),
                events: vec![EventType::ResponseErased],
                secret_env: "B".into(),
            },
        ];
        form
    }

    #[test]
    fn a_response_goes_to_the_endpoints_that_want_it_without_its_pii() {
        let form = survey();
        let response = StoredResponse {
            id: Uuid::now_v7(),
            form: form.id.clone(),
            form_revision: form.revision.clone(),
            submitted_at: "2026-03-01T09:00:00.412Z".into(),
            hidden: BTreeMap::from([("source".to_string(), "mail".to_string())]),
            answers: BTreeMap::from([
                ("nps".to_string(), json!(9)),
                ("contact_email".to_string(), json!("ana@example.com")),
            ]),
            receipt_sha256: "secret-ish".into(),
            consent: None,
            quotas: Vec::new(),
            order: Default::default(),
            language: None,
            contact: None,
        };
        let created = response_created(&form, &response);
        assert_eq!(created.len(), 1);
        assert_eq!(
            created[0].endpoint,
            endpoint_id(&form.id, "https://a.example/hook")
        );
        let body: Value = serde_json::from_str(&created[0].body).unwrap();
        assert_eq!(body["type"], "response.created");
        assert_eq!(body["timestamp"], "2026-03-01T09:00:00.412Z");
        assert_eq!(body["data"]["answers"], json!({"nps": 9}));
        assert!(!created[0].body.contains("ana@") && !created[0].body.contains("secret-ish"));

        let erased = response_erased(&form, response.id, Utc::now());
        assert_eq!(erased.len(), 1);
        assert_eq!(
            erased[0].endpoint,
            endpoint_id(&form.id, "https://b.example/hook")
        );
        assert!(erased[0].id.starts_with("msg_") && erased[0].id != created[0].id);
    }
}
