//! Taking in and erasing survey responses: the rules, apart from any transport.

use std::collections::BTreeMap;

use crate::auth::sha256_hex;
use serde_json::Value;
use uuid::Uuid;

use crate::analysis;
use crate::form::{Answers, Catalog, FieldErrors, Form, validate_submission};
use crate::report::Reports;
use crate::store::{Store, StoreError, StoredResponse};
use crate::webhooks;

#[derive(Debug, thiserror::Error)]
pub enum SubmitError {
    #[error("no survey with id '{0}'")]
    UnknownForm(String),
    #[error("the survey '{0}' is closed")]
    Closed(String),
    #[error("some answers were not accepted")]
    Invalid(FieldErrors),
    #[error(transparent)]
    Store(#[from] StoreError),
}

#[derive(Debug, thiserror::Error)]
pub enum EraseError {
    #[error("no response with that id")]
    NotFound,
    #[error("the receipt does not match this response")]
    WrongReceipt,
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// What a respondent gets back: the response id and the secret that lets them erase it.
#[derive(Debug, Clone)]
pub struct Receipt {
    pub id: Uuid,
    pub receipt: String,
}

/// The open survey with this id, or why it takes no answers.
pub fn open_survey(catalog: &Catalog, form_id: &str) -> Result<std::sync::Arc<Form>, SubmitError> {
    let form = catalog
        .get(form_id)
        .filter(|f| f.is_survey())
        .ok_or_else(|| SubmitError::UnknownForm(form_id.to_string()))?;
    if !form.is_open() {
        return Err(SubmitError::Closed(form_id.to_string()));
    }
    Ok(form)
}

/// Validates and stores a response, with the webhook messages that report it; returns only
/// once it is durable.
pub fn submit(
    store: &dyn Store,
    catalog: &Catalog,
    reports: &Reports,
    form_id: &str,
    answers: &Answers,
    hidden: &BTreeMap<String, Value>,
) -> Result<Receipt, SubmitError> {
    let form = open_survey(catalog, form_id)?;
    let accepted = validate_submission(&form, answers, hidden).map_err(SubmitError::Invalid)?;
    let receipt = Uuid::new_v4().simple().to_string();
    let response = StoredResponse {
        id: Uuid::now_v7(),
        form: form.id.clone(),
        form_revision: form.revision.clone(),
        submitted_at: chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
        hidden: accepted.hidden,
        answers: accepted.answers,
        receipt_sha256: sha256_hex(&receipt),
    };
    let contributions = analysis::contributions(reports, &form, &response);
    let events = webhooks::response_created(&form, &response);
    store.insert_response(&response, &form, &contributions, &events)?;
    Ok(Receipt {
        id: response.id,
        receipt,
    })
}

/// Erases a response. `receipt` is `None` when a researcher asks, who needs none.
pub fn erase(
    store: &dyn Store,
    catalog: &Catalog,
    reports: &Reports,
    id: &str,
    receipt: Option<&str>,
) -> Result<(), EraseError> {
    let id = Uuid::parse_str(id).map_err(|_| EraseError::NotFound)?;
    let existing = store.response(id)?.ok_or(EraseError::NotFound)?;
    if let Some(receipt) = receipt
        && sha256_hex(receipt) != existing.receipt_sha256
    {
        return Err(EraseError::WrongReceipt);
    }
    let contributions_of = |r: &StoredResponse| analysis::contributions_in(catalog, reports, r);
    // Queued only if the erasure happens: the store drops them with a response already gone.
    let events = catalog
        .get(&existing.form)
        .map(|form| webhooks::response_erased(&form, id, chrono::Utc::now()))
        .unwrap_or_default();
    store
        .delete_response(id, &contributions_of, &events)?
        .ok_or(EraseError::NotFound)?;
    Ok(())
}
