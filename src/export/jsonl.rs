//! The responses as JSON Lines: one JSON object per response, one response per line, written
//! as each is read from the store so that memory stays flat.
//!
//! A record is `{"id", "submitted_at", "form_revision", "hidden": {...}, "answers": {...}}`,
//! with `"language"` then `"consent_at"` after `form_revision` for a form that has or had
//! languages, or consent text (null for a response given before it had), `"contact"` after
//! `hidden` for a response linked by its invitation or the form's `contact_key`, and `"completed"`
//! (1 or 0) last when partial responses are among them; `"order"` (question id to the options
//! as shown) for a response to shuffled questions.
//! Answers are the stored JSON values untouched — numbers exactly as submitted, a `multi`
//! answer as its list — keyed by question id, including answers to questions that only older
//! revisions had. Questions marked `pii` are left out unless asked for, by the same rule as
//! the CSV (the newest definition of a question decides).

use std::collections::{BTreeMap, BTreeSet};
use std::io::Write;

use serde::Serialize;
use serde_json::Value;
use uuid::Uuid;

use super::ExportError;
use super::responses::ExportOptions;
use super::table::merge_questions;
use crate::form::Form;
use crate::store::{ResponseIter, StoredResponse};

/// One line of the export. Fields are declared in the documented order, which is the order
/// serde writes them in.
#[derive(Debug, Serialize)]
pub struct JsonRecord<'a> {
    pub id: Uuid,
    pub submitted_at: &'a str,
    pub form_revision: &'a str,
    /// Present for forms with languages; `Some(None)` (a response from before) writes a null.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub language: Option<Option<&'a str>>,
    /// Present for forms with consent text; `Some(None)` writes a null.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub consent_at: Option<Option<&'a str>>,
    pub hidden: &'a BTreeMap<String, String>,
    /// The key of the contact the response came from, through its invitation or the form's
    /// `contact_key`; absent otherwise (a `customer_id` link is already in `hidden`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub contact: Option<&'a str>,
    pub answers: BTreeMap<&'a str, &'a Value>,
    /// The order each shuffled question showed, for forms that shuffle.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub order: BTreeMap<&'a str, &'a Vec<String>>,
    /// With partial responses among the records (`?partial=1`): 1 submitted, 0 unfinished.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub completed: Option<u8>,
}

/// Which answers a record carries, decided once per export from the form and its revisions.
pub struct JsonRecords {
    /// Ids of pii questions, left out of every record.
    left_out: BTreeSet<String>,
    /// Whether the form has or had consent text, so that records carry `consent_at`.
    consent: bool,
    /// Whether partial responses are among the records, so that they carry `completed`.
    partial: bool,
    /// Whether the form has or had languages, so that records carry `language`.
    languages: bool,
}

impl JsonRecords {
    /// `older` are the stored revisions of the form, oldest first.
    pub fn plan(current: &Form, older: &[Form], options: ExportOptions) -> JsonRecords {
        let left_out = if options.include_pii {
            BTreeSet::new()
        } else {
            merge_questions(current, older)
                .into_iter()
                .filter(|m| m.question.pii)
                .map(|m| m.question.id.clone())
                .collect()
        };
        let consent = std::iter::once(current)
            .chain(older)
            .any(|f| f.consent.is_some());
        let languages = std::iter::once(current)
            .chain(older)
            .any(|f| f.has_languages());
        JsonRecords {
            left_out,
            consent,
            partial: options.include_partial,
            languages,
        }
    }

    /// A response as its JSON Lines record (also what a webhook may send as `data`).
    pub fn record<'a>(&self, response: &'a StoredResponse) -> JsonRecord<'a> {
        JsonRecord {
            id: response.id,
            submitted_at: &response.submitted_at,
            form_revision: &response.form_revision,
            language: self.languages.then_some(response.language.as_deref()),
            consent_at: self
                .consent
                .then(|| response.consent.as_ref().map(|c| c.at.as_str())),
            hidden: &response.hidden,
            contact: response.contact.as_deref(),
            answers: response
                .answers
                .iter()
                .filter(|(question, _)| !self.left_out.contains(*question))
                .map(|(question, value)| (question.as_str(), value))
                .collect(),
            order: response
                .order
                .iter()
                .filter(|(question, _)| !self.left_out.contains(*question))
                .map(|(question, order)| (question.as_str(), order))
                .collect(),
            completed: self
                .partial
                .then(|| u8::from(super::table::is_completed(response))),
        }
    }
}

/// Writes every response as a line of JSON ending in `\n`. `byte_order_mark` is ignored: JSON
/// Lines readers (jq, pandas) take plain UTF-8, and a mark would break the first line for them.
pub fn write_responses_jsonl<W: Write>(
    mut out: W,
    current: &Form,
    older: &[Form],
    responses: ResponseIter,
    options: ExportOptions,
) -> Result<(), ExportError> {
    let records = JsonRecords::plan(current, older, options);
    for response in responses {
        let response = response?;
        serde_json::to_writer(&mut out, &records.record(&response))?;
        out.write_all(b"\n")?;
    }
    out.flush()?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::form::load_dir;

    fn fixture_form() -> std::sync::Arc<Form> {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/forms");
        let catalog = load_dir(&dir).expect("the fixture forms load");
        catalog.get("all-types").expect("all-types is a fixture")
    }

    fn response(answers: Value) -> StoredResponse {
        serde_json::from_value(serde_json::json!({
            "id": "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b",
            "form": "all-types",
            "form_revision": "abc123def456",
            "submitted_at": "2026-01-02T03:04:05.678Z",
            "hidden": {"source": "=mail"},
            "answers": answers,
            "receipt_sha256": "not exported",
        }))
        .expect("a stored response")
    }

    fn lines(options: ExportOptions, responses: Vec<StoredResponse>) -> Vec<Value> {
        let mut out = Vec::new();
        let rows: ResponseIter = Box::new(responses.into_iter().map(Ok));
        write_responses_jsonl(&mut out, &fixture_form(), &[], rows, options).expect("written");
        let text = String::from_utf8(out).expect("UTF-8");
        assert!(text.ends_with('\n'));
        text.lines()
            .map(|l| serde_json::from_str(l).expect("each line is JSON"))
            .collect()
    }

    #[test]
    fn a_record_keeps_numbers_as_stored_and_leaves_pii_out_unless_asked() {
        let answers = serde_json::json!({"seats": 12, "nps": 9, "ease": 4.0,
            "tools": ["Slack", "Fax"], "contact_email": "ana@example.com", "retired": "kept"});
        let plain = lines(ExportOptions::default(), vec![response(answers.clone())]);
        assert_eq!(plain.len(), 1);
        let record = &plain[0];
        assert_eq!(record["id"], "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b");
        assert_eq!(record["submitted_at"], "2026-01-02T03:04:05.678Z");
        assert_eq!(record["form_revision"], "abc123def456");
        assert_eq!(record["hidden"], serde_json::json!({"source": "=mail"}));
        let mut expected = answers.clone();
        expected
            .as_object_mut()
            .and_then(|a| a.remove("contact_email"))
            .expect("the fixture answers the pii question");
        assert_eq!(record["answers"], expected);
        assert!(record["answers"]["seats"].is_u64());
        assert!(record["answers"]["ease"].is_f64(), "4.0 stays a float");

        let with_pii = ExportOptions {
            include_pii: true,
            ..ExportOptions::default()
        };
        assert_eq!(
            lines(with_pii, vec![response(answers.clone())])[0]["answers"],
            answers
        );
    }

    #[test]
    fn keys_come_in_the_documented_order() {
        let mut out = Vec::new();
        let rows: ResponseIter = Box::new(std::iter::once(Ok(response(serde_json::json!({})))));
        write_responses_jsonl(
            &mut out,
            &fixture_form(),
            &[],
            rows,
            ExportOptions::default(),
        )
        .expect("written");
        let text = String::from_utf8(out).expect("UTF-8");
        let at = |key: &str| text.find(&format!("\"{key}\":")).expect(key);
        let order = ["id", "submitted_at", "form_revision", "hidden", "answers"].map(at);
        assert!(order.windows(2).all(|w| w[0] < w[1]), "{text}");
    }
}
