//! Taking in and erasing survey responses: the rules, apart from any transport.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde_json::Value;
use uuid::Uuid;

use crate::analysis;
use crate::auth::sha256_hex;
use crate::form::consent::CONSENT_FIELD;
use crate::form::{Answers, Catalog, FieldErrors, Form, validate_submission};
use crate::report::Reports;
use crate::store::{
    Completion, ConsentGiven, PartialStore, QuotaPlace, ResponseStore, StoreError, StoredResponse,
};
use crate::webhooks;

/// Why a response to a form with consent text was refused without it.
const CONSENT_MISSING: &str = "this survey asks for consent: the respondent must agree to its consent text (\"consent\": true)";

#[derive(Debug, thiserror::Error)]
pub enum SubmitError {
    #[error("no survey with id '{0}'")]
    UnknownForm(String),
    #[error("the survey '{0}' is closed")]
    Closed(String),
    #[error("some answers were not accepted")]
    Invalid(FieldErrors),
    /// A quota the answers fall in is full: nothing was stored. Carries the quota's name
    /// and the message its respondents are shown.
    #[error("the quota '{name}' is full")]
    QuotaFull { name: String, message: String },
    /// The invitation's contact has answered already: nothing was stored.
    #[error("this invitation has been answered already")]
    AlreadyAnswered,
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

/// What comes with a submission besides its answers and hidden fields.
#[derive(Debug, Clone, Default)]
pub struct SubmitMeta {
    /// When the respondent agreed to the form's consent text; `None`: they did not.
    pub consent_at: Option<DateTime<Utc>>,
    /// The page's language (`language` in the API): one of the form's `languages`, for a
    /// form that has them; `None` records the default.
    pub language: Option<String>,
    /// The order the hosted page showed each shuffled question's options (or matrix rows)
    /// in, by question id; empty from the API.
    pub order: BTreeMap<String, Vec<String>>,
    /// The contact whose invitation the response comes through: it links the response to
    /// them and completes their invitation, once (a second response is refused).
    pub invitation: Option<String>,
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

fn rfc3339(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

/// Validates and stores a response, with the webhook messages that report it; returns only
/// once it is durable. A form with consent text refuses a response without `meta.consent_at`,
/// among the other bad fields, and a form without ignores it; a language the form does not
/// offer is refused the same way.
pub fn submit(
    store: &dyn ResponseStore,
    catalog: &Catalog,
    reports: &Reports,
    form_id: &str,
    answers: &Answers,
    hidden: &BTreeMap<String, Value>,
    meta: SubmitMeta,
) -> Result<Receipt, SubmitError> {
    let ready = accept(catalog, reports, form_id, answers, hidden, meta)?;
    let written = store.insert_response(
        &ready.response,
        &ready.form,
        &ready.contributions,
        &ready.events,
    );
    written.map_err(|e| quota_refusal(&ready.form, e))?;
    crate::texts::place::follow(catalog, reports, &ready.response, false);
    Ok(ready.receipt)
}

/// A store refusal for a full quota, as the submission error that carries its message.
fn quota_refusal(form: &Form, e: StoreError) -> SubmitError {
    match e {
        StoreError::QuotaFull(name) if crate::invitations::is_completion(&name) => {
            SubmitError::AlreadyAnswered
        }
        StoreError::QuotaFull(name) => {
            let message = form
                .quotas
                .iter()
                .find(|q| q.name == name)
                .map(|q| q.message.clone())
                .unwrap_or_default();
            SubmitError::QuotaFull { name, message }
        }
        e => SubmitError::Store(e),
    }
}

/// How the last page of a partial response went.
#[derive(Debug, Clone)]
pub enum Finished {
    Stored(Receipt),
    /// These answers had already been submitted (the page was sent again): nothing new.
    AlreadyStored(Uuid),
}

/// `submit` for answers kept as a partial response under `token_sha256`: the response is
/// stored and the partial turned into the mark of its completion in one durable write, so
/// that a crash leaves either the partial or the response, and the same last page sent twice
/// stores one response.
#[allow(clippy::too_many_arguments)]
pub fn submit_partial(
    store: &dyn PartialStore,
    catalog: &Catalog,
    reports: &Reports,
    form_id: &str,
    answers: &Answers,
    hidden: &BTreeMap<String, Value>,
    meta: SubmitMeta,
    token_sha256: &str,
) -> Result<Finished, SubmitError> {
    let ready = accept(catalog, reports, form_id, answers, hidden, meta)?;
    let outcome = store
        .complete_partial(
            token_sha256,
            &ready.response,
            &ready.form,
            &ready.contributions,
            &ready.events,
        )
        .map_err(|e| quota_refusal(&ready.form, e))?;
    if outcome == Completion::Stored {
        crate::texts::place::follow(catalog, reports, &ready.response, false);
    }
    Ok(match outcome {
        Completion::Stored => Finished::Stored(ready.receipt),
        Completion::AlreadyStored(id) => Finished::AlreadyStored(id),
    })
}

/// A response ready to be written, with everything written with it.
struct Ready {
    form: std::sync::Arc<Form>,
    response: StoredResponse,
    receipt: Receipt,
    contributions: Vec<crate::tally::Contribution>,
    events: Vec<crate::store::WebhookMessage>,
}

fn accept(
    catalog: &Catalog,
    reports: &Reports,
    form_id: &str,
    answers: &Answers,
    hidden: &BTreeMap<String, Value>,
    meta: SubmitMeta,
) -> Result<Ready, SubmitError> {
    let consent_at = meta.consent_at;
    let form = open_survey(catalog, form_id)?;
    // The id is a UUID v7, whose timestamp the evidence index reads as the response's time:
    // `submitted_at` is taken from it, so the two can never name different milliseconds.
    let id = Uuid::now_v7();
    let now = id
        .get_timestamp()
        .and_then(|ts| {
            let (secs, nanos) = ts.to_unix();
            DateTime::from_timestamp(i64::try_from(secs).ok()?, nanos)
        })
        .unwrap_or_else(Utc::now);
    let consent = form.consent.as_ref().map(|text| {
        consent_at.map(|at| ConsentGiven {
            text_sha256: sha256_hex(text),
            // The page's time travels with the respondent's answers: never later than now.
            at: rfc3339(at.min(now)),
        })
    });
    let refused = matches!(consent, Some(None));
    let language = language_of(&form, meta.language);
    let accepted = match validate_submission(&form, answers, hidden) {
        Ok(accepted) if !refused && language.is_ok() => accepted,
        outcome => {
            let mut errors = outcome.err().unwrap_or_default();
            if refused {
                errors.insert(CONSENT_FIELD.into(), CONSENT_MISSING.into());
            }
            if let Err(message) = &language {
                errors.insert(LANGUAGE_FIELD.into(), message.clone());
            }
            return Err(SubmitError::Invalid(errors));
        }
    };
    // Validated first (422), then counted: a place is only taken by answers that stand.
    let mut quotas: Vec<QuotaPlace> = form
        .quotas
        .iter()
        .filter(|q| q.matches(&accepted.answers))
        .map(|q| QuotaPlace {
            name: q.name.clone(),
            limit: q.limit,
        })
        .collect();
    // An invitation's one response is a place of one, taken in the same write: two answers
    // sent at once through the same contact's links cannot both be stored.
    if let Some(contact) = &meta.invitation {
        quotas.push(crate::invitations::completion(contact));
    }
    // An invitation names its contact; otherwise the form's own key field may, and failing
    // both `contacts::contact_key` falls back to `customer_id` when the response is read.
    let contact = meta.invitation.or_else(|| {
        let field = form.contact_key.as_ref()?;
        let key = accepted.hidden.get(field)?.trim();
        (!key.is_empty()).then(|| key.to_string())
    });
    let receipt = Uuid::new_v4().simple().to_string();
    let response = StoredResponse {
        id,
        form: form.id.clone(),
        form_revision: form.revision.clone(),
        submitted_at: rfc3339(now),
        hidden: accepted.hidden,
        answers: accepted.answers,
        receipt_sha256: sha256_hex(&receipt),
        consent: consent.flatten(),
        language: language.unwrap_or_default(),
        quotas,
        order: meta.order,
        contact,
    };
    let contributions = analysis::contributions(reports, &form, &response);
    let events = webhooks::response_created(&form, &response);
    Ok(Ready {
        form,
        receipt: Receipt {
            id: response.id,
            receipt,
        },
        response,
        contributions,
        events,
    })
}

/// The field a refused language is reported under.
pub const LANGUAGE_FIELD: &str = "language";

/// The language to record: the one given if the form offers it, else the default; `None` for
/// a form without languages, which records none.
fn language_of(form: &Form, given: Option<String>) -> Result<Option<String>, String> {
    match given {
        _ if !form.has_languages() => match given {
            None => Ok(None),
            Some(_) => Err("this survey is in one language: leave \"language\" out".into()),
        },
        None => Ok(Some(form.default_language().to_string())),
        Some(lang) if form.languages.contains(&lang) => Ok(Some(lang)),
        Some(lang) => Err(format!(
            "'{lang}' is not a language of this survey; it has {}",
            form.languages.join(", ")
        )),
    }
}

/// Erases a response. `receipt` is `None` when a researcher asks, who needs none.
pub fn erase(
    store: &dyn ResponseStore,
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
    // A contact segment is read before the store's write, which cannot read it.
    let pinned = crate::contacts::link::pin(reports, &existing)?;
    let contributions_of =
        |r: &StoredResponse| analysis::contributions_in(catalog, &pinned.reports, r);
    // Queued only if the erasure happens: the store drops them with a response already gone.
    let events = catalog
        .get(&existing.form)
        .map(|form| webhooks::response_erased(&form, id, chrono::Utc::now()))
        .unwrap_or_default();
    let erased = store
        .delete_response(id, &contributions_of, &events)?
        .ok_or(EraseError::NotFound)?;
    drop(pinned);
    crate::texts::place::follow(catalog, reports, &erased, true);
    Ok(())
}
