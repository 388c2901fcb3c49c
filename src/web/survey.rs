//! `GET/POST /s/{id}`: the hosted survey, server-rendered, working with JavaScript off.
//!
//! The respondent's answers so far travel in a hidden `_state` field, so every POST carries
//! the whole conversation; each page that goes on is also kept durably as a partial response
//! under the respondent's token (`t`, see `survey_partial`), which "Save and continue later"
//! turns into a resume link, and the last page turns into the response in one write.

use std::collections::BTreeMap;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use poem::http::StatusCode;
use poem::web::{Data, Path, Query};
use poem::{Body, Response, handler};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::paging::{active_pages, pages};
use super::survey_consent;
use super::survey_partial::{self, Kept, TOKEN_FIELD};
use super::survey_view::{page_response, read_page_answers, retry_page};
use super::{message_page, resume, thanks_page};
use crate::app::AppState;
use crate::auth::sha256_hex;
use crate::form::consent::CONSENT_FIELD;
use crate::form::{Answers, FieldErrors, Form, prune_hidden_answers, validate_answers};
use crate::responses::{self, Finished, SubmitError};
use crate::store::{PartialState, StoreError};

#[derive(Debug, Default, Serialize, Deserialize)]
pub(super) struct SurveyState {
    #[serde(default)]
    pub(super) answers: Answers,
    #[serde(default)]
    pub(super) hidden: BTreeMap<String, String>,
    /// When the respondent ticked the consent box, for a form with consent text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(super) consent_at: Option<DateTime<Utc>>,
}

pub(super) fn not_found() -> Response {
    message_page(
        StatusCode::NOT_FOUND,
        "Survey not found",
        "There is no survey at this address. Please check the link you were sent.",
    )
}

pub(super) fn closed() -> Response {
    message_page(
        StatusCode::OK,
        "This survey is closed",
        "This survey no longer takes answers. Thank you for your interest.",
    )
}

/// The survey with this id if it takes answers, or the page that says why not.
pub(super) fn survey_or_page(state: &AppState, id: &str) -> Result<Arc<Form>, Box<Response>> {
    match responses::open_survey(&state.catalog, id) {
        Ok(form) => Ok(form),
        Err(SubmitError::Closed(_)) => Err(Box::new(closed())),
        Err(_) => Err(Box::new(not_found())),
    }
}

#[handler]
pub async fn show(
    state: Data<&Arc<AppState>>,
    Path(id): Path<String>,
    Query(query): Query<BTreeMap<String, String>>,
) -> Response {
    let form = match survey_or_page(&state, &id) {
        Ok(form) => form,
        Err(page) => return *page,
    };
    let hidden = form
        .hidden
        .iter()
        .filter_map(|name| query.get(name).map(|v| (name.clone(), v.clone())))
        .filter(|(_, v)| !v.is_empty())
        .collect();
    let survey = SurveyState {
        answers: Answers::new(),
        hidden,
        consent_at: None,
    };
    let pages = pages(&form);
    let first = active_pages(&form, &pages, &survey.answers)
        .first()
        .copied()
        .unwrap_or(0);
    page_response(
        &form,
        &pages,
        first,
        &survey,
        &FieldErrors::new(),
        None,
        None,
    )
}

#[handler]
pub async fn answer(state: Data<&Arc<AppState>>, Path(id): Path<String>, body: Body) -> Response {
    let form = match survey_or_page(&state, &id) {
        Ok(form) => form,
        Err(page) => return *page,
    };
    let bytes = match body.into_bytes().await {
        Ok(bytes) => bytes,
        Err(_) => {
            return message_page(
                StatusCode::BAD_REQUEST,
                "Something went wrong",
                "Your answers could not be read. Please go back and try again.",
            );
        }
    };
    let fields: Vec<(String, String)> = form_urlencoded::parse(&bytes).into_owned().collect();
    let field = |name: &str| {
        fields
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    };
    let pages = pages(&form);
    let token = field(TOKEN_FIELD).filter(|t| survey_partial::well_formed(t));
    let mut notice = None;
    let mut survey: SurveyState = match field("_state").map(serde_json::from_str) {
        // More answers than the form has questions is no state this server wrote.
        Some(Ok(survey)) if fits(&form, &survey) => survey,
        // The page's copy is damaged, but the answers kept so far are on disk.
        _ => match kept_state(&state, &form, token).await {
            Some(survey) => survey,
            None => {
                notice = Some(
                    "Your earlier answers could not be read, so this page starts the survey again."
                        .to_string(),
                );
                SurveyState::default()
            }
        },
    };
    let page_index = field("_page")
        .and_then(|p| p.parse::<usize>().ok())
        .filter(|p| *p < pages.len())
        .unwrap_or(0);
    read_page_answers(&form, &pages[page_index], &fields, &mut survey.answers);
    survey_consent::read(&form, page_index, &fields, &mut survey.consent_at);
    prune_hidden_answers(&form, &mut survey.answers);
    let active = active_pages(&form, &pages, &survey.answers);
    let action = field("_action");

    if action == Some("back") {
        let previous = active.iter().rev().find(|&&p| p < page_index).copied();
        let target = previous.unwrap_or(page_index);
        let step = (page_index, target);
        return keep_and_show(&state, &form, &pages, token, &survey, step, notice).await;
    }

    if notice.is_some() {
        let first = active.first().copied().unwrap_or(0);
        let page = FieldErrors::new();
        return page_response(&form, &pages, first, &survey, &page, notice, token);
    }
    let mut page_errors = errors_on_page(&form, &pages[page_index], &survey.answers);
    survey_consent::check(&form, page_index, survey.consent_at, &mut page_errors);
    if action == Some("save") {
        // Only the consent box stops a save: without it nothing may be kept. Answers that do
        // not validate yet are left out of what is kept, and asked again on resuming.
        page_errors.retain(|k, _| k == CONSENT_FIELD);
        if page_errors.is_empty() {
            return match survey_partial::keep(&state, &form, token, &survey, page_index).await {
                Ok(Kept::Saved(token)) => resume::saved_page(&state, &form, &token, None),
                outcome => not_kept(&form, &pages, page_index, &survey, token, outcome),
            };
        }
    }
    if !page_errors.is_empty() {
        if page_errors.contains_key(CONSENT_FIELD)
            && let Some(token) = token
        {
            survey_partial::withdraw(&state, token).await;
        }
        return page_response(
            &form,
            &pages,
            page_index,
            &survey,
            &page_errors,
            notice,
            token,
        );
    }
    if let Some(&next) = active.iter().find(|&&p| p > page_index) {
        let step = (page_index, next);
        return keep_and_show(&state, &form, &pages, token, &survey, step, None).await;
    }
    submit(&state, &form, &pages, survey, page_index, token).await
}

/// Keeps the answers as the respondent's partial response, then goes from the page sent to
/// the page `target`; a page that cannot be kept is shown again, every answer on it, to be
/// sent again.
async fn keep_and_show(
    state: &Arc<AppState>,
    form: &Arc<Form>,
    pages: &[Vec<usize>],
    token: Option<&str>,
    survey: &SurveyState,
    (sent, target): (usize, usize),
    notice: Option<String>,
) -> Response {
    match survey_partial::keep(state, form, token, survey, target).await {
        Ok(Kept::Saved(token)) => {
            let none = FieldErrors::new();
            page_response(form, pages, target, survey, &none, notice, Some(&token))
        }
        Ok(Kept::WithoutConsent) => page_response(
            form,
            pages,
            target,
            survey,
            &FieldErrors::new(),
            notice,
            None,
        ),
        outcome => not_kept(form, pages, sent, survey, token, outcome),
    }
}

/// The page for answers already submitted, or that could not be kept.
fn not_kept(
    form: &Form,
    pages: &[Vec<usize>],
    page_index: usize,
    survey: &SurveyState,
    token: Option<&str>,
    outcome: Result<Kept, StoreError>,
) -> Response {
    let (status, notice) = match outcome {
        Ok(Kept::Submitted) => return already_sent(),
        // Not reached (the callers show their page for these); asking again is harmless.
        Ok(Kept::Saved(_) | Kept::WithoutConsent) => (StatusCode::OK, RETRY),
        Err(StoreError::Full(e)) => {
            tracing::error!("keeping a partial response failed, the disk is full: {e}");
            (StatusCode::INSUFFICIENT_STORAGE, FULL)
        }
        Err(e) => {
            tracing::error!("keeping a partial response failed: {e}");
            (StatusCode::SERVICE_UNAVAILABLE, RETRY)
        }
    };
    retry_page(form, pages, page_index, survey, token, status, notice)
}

/// Answers that were submitted already: sent again (a reload, a second tab), they are not
/// stored twice.
pub(super) fn already_sent() -> Response {
    message_page(
        StatusCode::OK,
        "Your answers were already sent",
        "We received these answers before, so nothing more is needed. Thank you for your time.",
    )
}

/// The answers kept under the page's token, if it has one the store knows.
async fn kept_state(
    state: &Arc<AppState>,
    form: &Form,
    token: Option<&str>,
) -> Option<SurveyState> {
    match survey_partial::open(state, &form.id, token?).await {
        Ok(Some(PartialState::Open(partial))) => Some(survey_partial::restore(partial)),
        Ok(_) => None,
        Err(e) => {
            tracing::error!("reading a partial response failed: {e}");
            None
        }
    }
}

fn fits(form: &Form, survey: &SurveyState) -> bool {
    survey.answers.len() <= form.questions.len() && survey.hidden.len() <= form.hidden.len()
}

/// Validation errors that concern the questions on one page.
fn errors_on_page(form: &Form, page: &[usize], answers: &Answers) -> FieldErrors {
    match validate_answers(form, answers) {
        Ok(_) => FieldErrors::new(),
        Err(errors) => errors
            .into_iter()
            .filter(|(id, _)| page.iter().any(|&i| form.questions[i].id == *id))
            .collect(),
    }
}

async fn submit(
    state: &Arc<AppState>,
    form: &Arc<Form>,
    pages: &[Vec<usize>],
    survey: SurveyState,
    page_index: usize,
    token: Option<&str>,
) -> Response {
    let hidden: BTreeMap<String, Value> = survey
        .hidden
        .iter()
        .map(|(k, v)| (k.clone(), Value::String(v.clone())))
        .collect();
    let (store_state, form_id, answers) = (state.clone(), form.id.clone(), survey.answers.clone());
    let (consent_at, finishing) = (survey.consent_at, token.map(sha256_hex));
    let outcome = tokio::task::spawn_blocking(move || match finishing {
        // Kept as a partial: the response replaces it in the same write.
        Some(hash) => responses::submit_partial(
            store_state.partials.as_ref(),
            &store_state.catalog,
            &store_state.reports,
            &form_id,
            &answers,
            &hidden,
            consent_at,
            &hash,
        ),
        None => responses::submit(
            store_state.store.as_ref(),
            &store_state.catalog,
            &store_state.reports,
            &form_id,
            &answers,
            &hidden,
            consent_at,
        )
        .map(Finished::Stored),
    })
    .await;
    match outcome {
        Ok(Ok(Finished::Stored(receipt))) => thanks_page(form, &receipt),
        Ok(Ok(Finished::AlreadyStored(_))) => already_sent(),
        Ok(Err(SubmitError::Invalid(errors))) => {
            // Consent is asked on the first page, so a refusal for it leads back there.
            let page = pages
                .iter()
                .position(|p| {
                    p.iter()
                        .any(|&i| errors.contains_key(&form.questions[i].id))
                })
                .or(errors.contains_key(CONSENT_FIELD).then_some(0))
                .unwrap_or(page_index);
            let notice = errors
                .keys()
                .any(|k| k.starts_with("hidden."))
                .then(|| "The link you followed carries a value we cannot accept. Please ask for a fresh link.".to_string());
            page_response(form, pages, page, &survey, &errors, notice, token)
        }
        Ok(Err(SubmitError::Closed(_))) => closed(),
        Ok(Err(SubmitError::UnknownForm(_))) => not_found(),
        Ok(Err(SubmitError::Store(StoreError::Full(e)))) => {
            tracing::error!("saving a survey response failed, the disk is full: {e}");
            retry_page(
                form,
                pages,
                page_index,
                &survey,
                token,
                StatusCode::INSUFFICIENT_STORAGE,
                FULL,
            )
        }
        Ok(Err(SubmitError::Store(e))) => {
            tracing::error!("saving a survey response failed: {e}");
            retry_page(
                form,
                pages,
                page_index,
                &survey,
                token,
                StatusCode::SERVICE_UNAVAILABLE,
                RETRY,
            )
        }
        Err(e) => {
            tracing::error!("saving a survey response failed: {e}");
            retry_page(
                form,
                pages,
                page_index,
                &survey,
                token,
                StatusCode::SERVICE_UNAVAILABLE,
                RETRY,
            )
        }
    }
}

const RETRY: &str =
    "We could not save your answers just now. They are all still here: please send them again.";

const FULL: &str = "Our server has run out of room to store answers, so yours were not saved yet. They are all still here: please send them again in a little while.";
