//! Partial responses among an export's rows (`?partial=1`): after the submitted responses,
//! each unfinished one with what it holds so far. It has no receipt, which is what tells it
//! apart (`table::is_completed`), and its `submitted_at` is when its last page was kept.

use crate::auth::sha256_hex;
use crate::form::Form;
use crate::store::{ConsentGiven, PartialIter, PartialResponse, ResponseIter, StoredResponse};

/// The form's responses, then its partials, as one stream of rows.
pub fn with_partials(responses: ResponseIter, partials: PartialIter, form: &Form) -> ResponseIter {
    let consent_sha256 = form.consent.as_deref().map(sha256_hex).unwrap_or_default();
    Box::new(responses.chain(partials.map(move |p| p.map(|p| as_row(p, &consent_sha256)))))
}

fn as_row(partial: PartialResponse, consent_sha256: &str) -> StoredResponse {
    StoredResponse {
        id: partial.id,
        form: partial.form,
        form_revision: partial.form_revision,
        submitted_at: partial.saved_at,
        hidden: partial.hidden,
        answers: partial.answers,
        receipt_sha256: String::new(),
        language: partial.language,
        quotas: Vec::new(),
        order: Default::default(),
        consent: partial.consent_at.map(|at| ConsentGiven {
            text_sha256: consent_sha256.to_string(),
            at,
        }),
        contact: None,
    }
}
