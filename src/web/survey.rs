//! `GET/POST /s/{id}`: the hosted survey, server-rendered, working with JavaScript off.
//!
//! The respondent's answers so far travel in a hidden `_state` field, so the server keeps no
//! session: every POST carries the whole conversation, and only the final submit stores it.
//! The page's language travels beside it in `_lang`, resolved once per request into the
//! `Locale` every page of this module is drawn in (`?lang=`, else Accept-Language, else the
//! form's default; `_switch` changes it and draws the same page again).

use std::collections::BTreeMap;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use poem::http::StatusCode;
use poem::web::{Data, Path, Query};
use poem::{Body, Request, Response, handler};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::paging::{active_pages, is_visible, pages, progress};
use super::survey_consent::{self, CONSENT_ANCHOR};
use super::survey_lang::{
    closed, errors_on_page, language_choices, locale_for, localized, message, not_found,
};
use super::survey_view::{PageWords, SurveyPage, question_view, read_page_answers};
use super::{render, thanks_page};
use crate::app::AppState;
use crate::form::consent::CONSENT_FIELD;
use crate::form::{Answers, FieldErrors, Form, prune_hidden_answers};
use crate::i18n::Locale;
use crate::responses::{self, SubmitError, SubmitMeta};
use crate::store::StoreError;

#[derive(Debug, Default, Serialize, Deserialize)]
struct SurveyState {
    #[serde(default)]
    answers: Answers,
    #[serde(default)]
    hidden: BTreeMap<String, String>,
    /// When the respondent ticked the consent box, for a form with consent text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    consent_at: Option<DateTime<Utc>>,
}

/// The survey with this id if it takes answers, or the page that says why not.
fn survey_or_page(
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
    let mut response = page_response(
        &form,
        &pages,
        first,
        &survey,
        &FieldErrors::new(),
        None,
        &locale,
    );
    // The page's language may come from Accept-Language: caches must keep one per language.
    response.headers_mut().insert(
        poem::http::header::VARY,
        poem::http::HeaderValue::from_static("accept-language"),
    );
    response
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
    let pages = pages(&form);
    let mut notice = None;
    let mut survey: SurveyState = match field("_state").map(serde_json::from_str) {
        // More answers than the form has questions is no state this server wrote.
        Some(Ok(survey)) if fits(&form, &survey) => survey,
        _ => {
            notice = Some(locale.t("survey-notice-restart"));
            SurveyState::default()
        }
    };
    let page_index = field("_page")
        .and_then(|p| p.parse::<usize>().ok())
        .filter(|p| *p < pages.len())
        .unwrap_or(0);
    read_page_answers(&form, &pages[page_index], &fields, &mut survey.answers);
    survey_consent::read(&form, page_index, &fields, &mut survey.consent_at);
    prune_hidden_answers(&form, &mut survey.answers);
    let active = active_pages(&form, &pages, &survey.answers);
    let no_errors = FieldErrors::new();

    // Another language: the same page again, with what was just typed, and no judgement yet.
    if switch.is_some() && notice.is_none() {
        return page_response(
            &form, &pages, page_index, &survey, &no_errors, None, &locale,
        );
    }
    if field("_action") == Some("back") {
        let previous = active.iter().rev().find(|&&p| p < page_index).copied();
        let target = previous.unwrap_or(page_index);
        return page_response(&form, &pages, target, &survey, &no_errors, notice, &locale);
    }

    if notice.is_some() {
        let first = active.first().copied().unwrap_or(0);
        return page_response(&form, &pages, first, &survey, &no_errors, notice, &locale);
    }
    let mut page_errors = errors_on_page(&form, &pages[page_index], &survey.answers, &locale);
    survey_consent::check(
        &form,
        page_index,
        survey.consent_at,
        &locale,
        &mut page_errors,
    );
    if !page_errors.is_empty() {
        return page_response(
            &form,
            &pages,
            page_index,
            &survey,
            &page_errors,
            notice,
            &locale,
        );
    }
    if let Some(&next) = active.iter().find(|&&p| p > page_index) {
        return page_response(&form, &pages, next, &survey, &no_errors, None, &locale);
    }
    submit(&state, &form, &pages, survey, page_index, &locale).await
}

fn fits(form: &Form, survey: &SurveyState) -> bool {
    survey.answers.len() <= form.questions.len() && survey.hidden.len() <= form.hidden.len()
}

async fn submit(
    state: &Arc<AppState>,
    form: &Arc<Form>,
    pages: &[Vec<usize>],
    survey: SurveyState,
    page_index: usize,
    locale: &Locale,
) -> Response {
    let hidden: BTreeMap<String, Value> = survey
        .hidden
        .iter()
        .map(|(k, v)| (k.clone(), Value::String(v.clone())))
        .collect();
    let (store_state, form_id, answers) = (state.clone(), form.id.clone(), survey.answers.clone());
    let meta = SubmitMeta {
        consent_at: survey.consent_at,
        language: form.has_languages().then(|| locale.tag().to_string()),
    };
    let outcome = tokio::task::spawn_blocking(move || {
        responses::submit(
            store_state.store.as_ref(),
            &store_state.catalog,
            &store_state.reports,
            &form_id,
            &answers,
            &hidden,
            meta,
        )
    })
    .await;
    match outcome {
        Ok(Ok(receipt)) => thanks_page(form, locale, &receipt),
        Ok(Err(SubmitError::Invalid(errors))) => {
            let errors = localized(form, &survey.answers, errors, locale);
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
                .then(|| locale.t("survey-notice-bad-link"));
            page_response(form, pages, page, &survey, &errors, notice, locale)
        }
        Ok(Err(SubmitError::Closed(_))) => closed(locale),
        Ok(Err(SubmitError::UnknownForm(_))) => not_found(locale),
        Ok(Err(SubmitError::Store(StoreError::Full(e)))) => {
            tracing::error!("saving a survey response failed, the disk is full: {e}");
            let notice = locale.t("survey-notice-disk-full");
            retry_page(
                form,
                pages,
                page_index,
                &survey,
                StatusCode::INSUFFICIENT_STORAGE,
                notice,
                locale,
            )
        }
        Ok(Err(SubmitError::Store(e))) => {
            tracing::error!("saving a survey response failed: {e}");
            retry_page(
                form,
                pages,
                page_index,
                &survey,
                StatusCode::SERVICE_UNAVAILABLE,
                locale.t("survey-notice-retry"),
                locale,
            )
        }
        Err(e) => {
            tracing::error!("saving a survey response failed: {e}");
            retry_page(
                form,
                pages,
                page_index,
                &survey,
                StatusCode::SERVICE_UNAVAILABLE,
                locale.t("survey-notice-retry"),
                locale,
            )
        }
    }
}

/// Keeps every answer on the page so that sending it again can succeed.
fn retry_page(
    form: &Form,
    pages: &[Vec<usize>],
    page_index: usize,
    survey: &SurveyState,
    status: StatusCode,
    notice: String,
    locale: &Locale,
) -> Response {
    let mut response = page_response(
        form,
        pages,
        page_index,
        survey,
        &FieldErrors::new(),
        Some(notice),
        locale,
    );
    response.set_status(status);
    response
}

/// "Question: what is wrong", as the language punctuates it.
fn error_link(locale: &Locale, question: &str, message: &str) -> String {
    locale.t_args(
        "survey-error-link",
        &[("question", question.into()), ("message", message.into())],
    )
}

/// Draws one page of the survey in `locale`; `errors` are already in its language.
#[allow(clippy::too_many_arguments)]
fn page_response(
    form: &Form,
    pages: &[Vec<usize>],
    page_index: usize,
    survey: &SurveyState,
    errors: &FieldErrors,
    notice: Option<String>,
    locale: &Locale,
) -> Response {
    let texts = form.texts(locale.tag());
    let progress = progress(form, pages, &survey.answers, page_index);
    let questions: Vec<_> = pages[page_index]
        .iter()
        .map(|&i| &form.questions[i])
        .filter(|q| is_visible(q, &survey.answers))
        .map(|q| question_view(q, &texts, locale, &survey.answers, errors))
        .collect();
    let consent = survey_consent::view(texts.consent(), page_index, survey.consent_at, errors);
    let consent_label = locale.t("survey-consent-label");
    let consent_link = consent.as_ref().and_then(|c| c.error.as_ref()).map(|e| {
        (
            CONSENT_ANCHOR.to_string(),
            error_link(locale, &consent_label, e),
        )
    });
    let error_links: Vec<(String, String)> = consent_link
        .into_iter()
        .chain(questions.iter().filter_map(|q| {
            q.error
                .as_ref()
                .map(|e| (q.anchor.clone(), error_link(locale, &q.text, e)))
        }))
        .collect();
    let place = [
        ("title", texts.title().into()),
        ("number", progress.number.into()),
        ("count", progress.count.into()),
    ];
    let words = PageWords {
        page_title: if error_links.is_empty() {
            locale.t_args("survey-page-title", &place)
        } else {
            locale.t_args("survey-page-title-error", &place)
        },
        progress: locale.t_args("survey-progress", &place[1..]),
        summary: locale.t_args(
            "survey-error-summary",
            &[("count", error_links.len().into())],
        ),
    };
    let page = SurveyPage {
        languages: language_choices(form, locale),
        locale: locale.clone(),
        words,
        form_title: texts.title().to_string(),
        form_id: form.id.clone(),
        intro: (progress.number == 1)
            .then(|| texts.intro().map(str::to_string))
            .flatten(),
        notice,
        page_number: progress.number,
        page_count: progress.count,
        page_index,
        consent,
        questions,
        errors: error_links,
        state_json: serde_json::to_string(survey).unwrap_or_default(),
        can_go_back: progress.number > 1,
        is_last: progress.is_last,
    };
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    render(status, &page)
}
