//! One request's way through the hosted survey once its answers are read: a page shown (and
//! kept as the respondent's partial response first), a page that could not be kept shown
//! again to be resent, and the last page submitted.

use std::collections::BTreeMap;
use std::sync::Arc;

use poem::Response;
use poem::http::StatusCode;
use serde_json::Value;

use super::PageError;
use super::survey::{SurveyState, already_sent};
use super::survey_lang::{closed, localized, not_found};
use super::survey_partial::{self, Kept};
use super::survey_quota;
use super::survey_render::{page_response, retry_page};
use super::thanks_page;
use crate::app::AppState;
use crate::auth::sha256_hex;
use crate::form::consent::CONSENT_FIELD;
use crate::form::{FieldErrors, Form, shuffle};
use crate::i18n::Locale;
use crate::responses::{self, Finished, SubmitError, SubmitMeta};
use crate::store::StoreError;

/// What every page of one request is drawn with.
pub(super) struct Flow<'a> {
    pub(super) state: &'a Arc<AppState>,
    pub(super) form: &'a Arc<Form>,
    pub(super) pages: &'a [Vec<usize>],
    /// The token the page came with, if it is well formed.
    pub(super) token: Option<&'a str>,
    pub(super) locale: &'a Locale,
}

impl Flow<'_> {
    pub(super) fn page(
        &self,
        page: usize,
        survey: &SurveyState,
        errors: &FieldErrors,
        notice: Option<String>,
    ) -> Response {
        let (form, pages, token, locale) = (self.form, self.pages, self.token, self.locale);
        page_response(form, pages, page, survey, errors, notice, token, locale)
    }

    /// Keeps the answers as the respondent's partial response, then goes from the page sent
    /// to the page `target`; a page that cannot be kept is shown again, every answer on it,
    /// to be sent again.
    pub(super) async fn keep_and_show(
        &self,
        survey: &SurveyState,
        (sent, target): (usize, usize),
        notice: Option<String>,
    ) -> Response {
        let (form, pages, locale) = (self.form, self.pages, self.locale);
        let none = FieldErrors::new();
        match survey_partial::keep(self.state, form, self.token, survey, target, locale).await {
            Ok(Kept::Saved(token)) => {
                let token = Some(token.as_str());
                page_response(form, pages, target, survey, &none, notice, token, locale)
            }
            Ok(Kept::WithoutConsent) => {
                page_response(form, pages, target, survey, &none, notice, None, locale)
            }
            outcome => self.not_kept(sent, survey, outcome),
        }
    }

    /// The page for answers already submitted, or that could not be kept.
    pub(super) fn not_kept(
        &self,
        page_index: usize,
        survey: &SurveyState,
        outcome: Result<Kept, StoreError>,
    ) -> Response {
        let (status, notice) = match outcome {
            Ok(Kept::Submitted) => return already_sent(self.locale),
            // Not reached (the callers show their page for these); asking again is harmless.
            Ok(Kept::Saved(_) | Kept::WithoutConsent) => (StatusCode::OK, "survey-notice-retry"),
            Err(StoreError::Full(e)) => {
                tracing::error!("keeping a partial response failed, the disk is full: {e}");
                (StatusCode::INSUFFICIENT_STORAGE, "survey-notice-disk-full")
            }
            Err(e) => {
                tracing::error!("keeping a partial response failed: {e}");
                (StatusCode::SERVICE_UNAVAILABLE, "survey-notice-retry")
            }
        };
        self.retry(page_index, survey, status, notice)
    }

    fn retry(
        &self,
        page_index: usize,
        survey: &SurveyState,
        status: StatusCode,
        notice_id: &str,
    ) -> Response {
        let (form, pages, token, locale) = (self.form, self.pages, self.token, self.locale);
        let notice = locale.t(notice_id);
        retry_page(
            form, pages, page_index, survey, token, status, notice, locale,
        )
    }

    pub(super) async fn submit(&self, survey: SurveyState, page_index: usize) -> Response {
        let (form, locale) = (self.form, self.locale);
        let hidden: BTreeMap<String, Value> = survey
            .hidden
            .iter()
            .map(|(k, v)| (k.clone(), Value::String(v.clone())))
            .collect();
        let (store_state, form_id) = (self.state.clone(), form.id.clone());
        let answers = survey.answers.clone();
        let mut meta = SubmitMeta {
            consent_at: survey.consent_at,
            language: form.has_languages().then(|| locale.tag().to_string()),
            order: shuffle::orders(form, &survey.answers, survey.seed),
            invitation: None,
        };
        let token = self.token.map(str::to_string);
        let outcome = super::blocking(move || {
            let finishing = token.as_deref().map(sha256_hex);
            if let Some(token) = &token {
                meta.invitation = store_state.invitations.survey_link_now(&form_id, token)?;
            }
            submit_as(&store_state, &form_id, &answers, &hidden, meta, finishing)
        })
        .await;
        self.answered(outcome, survey, page_index)
    }

    fn answered(
        &self,
        outcome: Result<Finished, PageError<SubmitError>>,
        survey: SurveyState,
        page_index: usize,
    ) -> Response {
        let (form, locale) = (self.form, self.locale);
        match outcome {
            Ok(Finished::Stored(receipt)) => thanks_page(form, locale, &receipt),
            Ok(Finished::AlreadyStored(_)) => already_sent(locale),
            Err(PageError::Failed(SubmitError::AlreadyAnswered)) => {
                super::survey_invited::already_answered(locale)
            }
            // The store erased the partial in the write that refused the response.
            Err(PageError::Failed(SubmitError::QuotaFull { name, .. })) => {
                survey_quota::screened_out_page(form, &name, locale)
            }
            Err(PageError::Failed(SubmitError::Invalid(errors))) => {
                self.refused(survey, errors, page_index)
            }
            Err(PageError::Failed(SubmitError::Closed(_))) => closed(locale),
            Err(PageError::Failed(SubmitError::UnknownForm(_))) => not_found(locale),
            Err(PageError::Failed(SubmitError::Store(StoreError::Full(e)))) => {
                tracing::error!("saving a survey response failed, the disk is full: {e}");
                let status = StatusCode::INSUFFICIENT_STORAGE;
                self.retry(page_index, &survey, status, "survey-notice-disk-full")
            }
            Err(e) => {
                tracing::error!("saving a survey response failed: {e}");
                let status = StatusCode::SERVICE_UNAVAILABLE;
                self.retry(page_index, &survey, status, "survey-notice-retry")
            }
        }
    }
}

/// Stores the answers: as the completion of the partial kept under the page's token, when
/// there is one, else as a response of their own.
fn submit_as(
    state: &AppState,
    form_id: &str,
    answers: &crate::form::Answers,
    hidden: &BTreeMap<String, Value>,
    meta: SubmitMeta,
    finishing: Option<String>,
) -> Result<Finished, SubmitError> {
    match finishing {
        // Kept as a partial: the response replaces it in the same write.
        Some(hash) => responses::submit_partial(
            state.partials.as_ref(),
            &state.catalog,
            &state.reports,
            form_id,
            answers,
            hidden,
            meta,
            &hash,
        ),
        None => responses::submit(
            state.store.as_ref(),
            &state.catalog,
            &state.reports,
            form_id,
            answers,
            hidden,
            meta,
        )
        .map(Finished::Stored),
    }
}

impl Flow<'_> {
    /// The answers refused: the page of the first refused one, with every error.
    fn refused(&self, survey: SurveyState, errors: FieldErrors, page_index: usize) -> Response {
        let (form, locale) = (self.form, self.locale);
        let errors = localized(form, &survey.answers, errors, locale);
        // Consent is asked on the first page, so a refusal for it leads back there.
        let page = self
            .pages
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
        self.page(page, &survey, &errors, notice)
    }
}
