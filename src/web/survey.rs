//! `GET/POST /s/{id}`: the hosted survey, server-rendered, working with JavaScript off.
//!
//! The respondent's answers so far travel in a hidden `_state` field, so every POST carries
//! the whole conversation; each page that goes on is also kept durably as a partial response
//! under the respondent's token (`t`, see `survey_partial`), which "Save and continue later"
//! turns into a resume link, and the last page turns into the response in one write.
//! The page's language travels beside them in `_lang`, resolved once per request into the
//! `Locale` every page of this module is drawn in (`?lang=`, else Accept-Language, else the
//! form's default; `_switch` changes it and draws the same page again).

use std::collections::BTreeMap;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use poem::http::StatusCode;
use poem::web::{Data, Path, Query};
use poem::{Body, Request, Response, handler};
use serde::{Deserialize, Serialize};

use super::paging::{active_pages, pages};
use super::survey_consent;
use super::survey_lang::{closed, errors_on_page, locale_for, message, not_found};
use super::survey_partial::{self, Kept, TOKEN_FIELD};
use super::survey_render::page_response;
use super::survey_steps::Flow;
use super::survey_view::read_page_answers;
use super::{honeypot, resume, survey_invited, survey_quota, survey_seed};
use crate::app::AppState;
use crate::form::consent::CONSENT_FIELD;
use crate::form::{Answers, FieldErrors, Form, prune_hidden_answers};
use crate::i18n::Locale;
use crate::responses::{self, SubmitError};
use crate::store::PartialState;

#[derive(Debug, Default, Serialize, Deserialize)]
pub(super) struct SurveyState {
    #[serde(default)]
    pub(super) answers: Answers,
    #[serde(default)]
    pub(super) hidden: BTreeMap<String, String>,
    /// When the respondent ticked the consent box, for a form with consent text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(super) consent_at: Option<DateTime<Utc>>,
    /// The respondent's shuffle seed: their order of shuffled options on every page.
    #[serde(default)]
    pub(super) seed: u64,
}

/// The survey with this id if it takes answers, or the page that says why not.
pub(super) fn survey_or_page(
    state: &AppState,
    id: &str,
    asked: Option<&str>,
    req: &Request,
) -> Result<Arc<Form>, Box<Response>> {
    match responses::open_survey(&state.catalog, id) {
        Ok(form) => Ok(form),
        Err(SubmitError::Closed(_)) => {
            let form = state.catalog.get(id);
            Err(Box::new(closed(&locale_for(form.as_deref(), asked, req))))
        }
        Err(_) => Err(Box::new(not_found(&locale_for(None, asked, req)))),
    }
}

#[handler]
pub async fn show(
    state: Data<&Arc<AppState>>,
    req: &Request,
    Path(id): Path<String>,
    Query(query): Query<BTreeMap<String, String>>,
) -> Response {
    let asked = query.get("lang").map(String::as_str);
    let form = match survey_or_page(&state, &id, asked, req) {
        Ok(form) => form,
        Err(page) => return *page,
    };
    let locale = locale_for(Some(&form), asked, req);
    let invited = match query.get(TOKEN_FIELD) {
        Some(token) => match survey_invited::arriving(&state, &form, token, &locale).await {
            Ok(token) => Some(token),
            Err(page) => return *page,
        },
        None => None,
    };
    let hidden = form
        .hidden
        .iter()
        .filter_map(|name| query.get(name).map(|v| (name.clone(), v.clone())))
        .filter(|(_, v)| !v.is_empty())
        .collect();
    let (seed, new_seed) = survey_seed::seed(req.headers());
    let survey = SurveyState {
        answers: Answers::new(),
        hidden,
        consent_at: None,
        seed,
    };
    let pages = pages(&form);
    let first = active_pages(&form, &pages, &survey.answers)
        .first()
        .copied()
        .unwrap_or(0);
    let none = FieldErrors::new();
    let token = invited.as_deref();
    let mut response = page_response(&form, &pages, first, &survey, &none, None, token, &locale);
    // The page's language may come from Accept-Language: caches must keep one per language.
    response.headers_mut().insert(
        poem::http::header::VARY,
        poem::http::HeaderValue::from_static("accept-language"),
    );
    match new_seed {
        true => survey_seed::keep(response, &form.id, seed),
        false => response,
    }
}

#[handler]
pub async fn answer(
    state: Data<&Arc<AppState>>,
    req: &Request,
    Path(id): Path<String>,
    body: Body,
) -> Response {
    let bytes = body.into_bytes().await;
    let fields: Vec<(String, String)> = match &bytes {
        Ok(bytes) => form_urlencoded::parse(bytes).into_owned().collect(),
        Err(_) => Vec::new(),
    };
    let field = |name: &str| {
        fields
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    };
    // A switch to a language the form lacks (a stale page) keeps the page's language.
    let offered = |tag: &&str| {
        state
            .catalog
            .get(&id)
            .is_some_and(|f| f.languages.iter().any(|l| l == tag))
    };
    let switch = field("_switch");
    let asked = switch.filter(offered).or(field("_lang"));
    let form = match survey_or_page(&state, &id, asked, req) {
        Ok(form) => form,
        Err(page) => return *page,
    };
    let locale = locale_for(Some(&form), asked, req);
    if bytes.is_err() {
        return message(
            &locale,
            StatusCode::BAD_REQUEST,
            "page-error-title",
            "page-unreadable-text",
        );
    }
    if honeypot::is_filled(&fields) {
        return honeypot::caught(&form, &locale);
    }
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
                notice = Some(locale.t("survey-notice-restart"));
                SurveyState::default()
            }
        },
    };
    if survey.seed == 0 {
        survey.seed = survey_seed::seed(req.headers()).0;
    }
    let page_index = field("_page")
        .and_then(|p| p.parse::<usize>().ok())
        .filter(|p| *p < pages.len())
        .unwrap_or(0);
    read_page_answers(&form, &pages[page_index], &fields, &mut survey.answers);
    survey_consent::read(&form, page_index, &fields, &mut survey.consent_at);
    prune_hidden_answers(&form, &mut survey.answers);
    let active = active_pages(&form, &pages, &survey.answers);
    let action = field("_action");
    let flow = Flow {
        state: &state,
        form: &form,
        pages: &pages,
        token,
        locale: &locale,
    };

    // Another language: the same page again, with what was just typed, and no judgement yet.
    if switch.is_some() && notice.is_none() {
        return flow
            .keep_and_show(&survey, (page_index, page_index), None)
            .await;
    }
    if action == Some("back") {
        let previous = active.iter().rev().find(|&&p| p < page_index).copied();
        let target = previous.unwrap_or(page_index);
        return flow
            .keep_and_show(&survey, (page_index, target), notice)
            .await;
    }

    if notice.is_some() {
        let first = active.first().copied().unwrap_or(0);
        let none = FieldErrors::new();
        return flow.page(first, &survey, &none, notice);
    }
    let mut page_errors = errors_on_page(&form, &pages[page_index], &survey.answers, &locale);
    survey_consent::check(
        &form,
        page_index,
        survey.consent_at,
        &locale,
        &mut page_errors,
    );
    if action == Some("save") {
        // Only the consent box stops a save: without it nothing may be kept. Answers that do
        // not validate yet are left out of what is kept, and asked again on resuming.
        page_errors.retain(|k, _| k == CONSENT_FIELD);
        if page_errors.is_empty() {
            let kept = survey_partial::keep(&state, &form, token, &survey, page_index, &locale);
            return match kept.await {
                Ok(Kept::Saved(token)) => resume::saved_page(&state, &form, &token, &locale, None),
                outcome => flow.not_kept(page_index, &survey, outcome),
            };
        }
    }
    if !page_errors.is_empty() {
        if page_errors.contains_key(CONSENT_FIELD)
            && let Some(token) = token
        {
            survey_partial::withdraw(&state, token).await;
        }
        return flow.page(page_index, &survey, &page_errors, notice);
    }
    let screened =
        survey_quota::screened_out(&state, &form, &pages, page_index, &survey.answers, &locale);
    if let Some(page) = screened.await {
        // Nothing of a screened-out respondent is kept.
        if let Some(token) = token {
            survey_partial::withdraw(&state, token).await;
        }
        return page;
    }
    if let Some(&next) = active.iter().find(|&&p| p > page_index) {
        return flow.keep_and_show(&survey, (page_index, next), None).await;
    }
    flow.submit(survey, page_index).await
}

/// Answers that were submitted already: sent again (a reload, a second tab), they are not
/// stored twice.
pub(super) fn already_sent(locale: &Locale) -> Response {
    message(
        locale,
        StatusCode::OK,
        "page-already-sent-title",
        "page-already-sent-text",
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
