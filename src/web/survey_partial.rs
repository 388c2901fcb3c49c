//! Keeping a hosted survey's answers as a partial response, page by page: the respondent's
//! token (the page's `t` field, and the secret of their resume link) names it; the store
//! only ever sees the token's SHA-256.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::survey::SurveyState;
use crate::app::AppState;
use crate::auth::sha256_hex;
use crate::form::{Form, valid_answers};
use crate::i18n::Locale;
use crate::store::{PartialResponse, PartialState, StoreError, blocking};

/// The page's field that carries the token; SPEC reserves `t` (no hidden field may take it).
pub const TOKEN_FIELD: &str = "t";

pub use crate::auth::{random_token as new_token, well_formed_token as well_formed};

/// What keeping a page came to.
pub enum Kept {
    /// Kept under this token (the one the page came with, or a new one).
    Saved(String),
    /// The token's answers were already submitted: nothing was kept.
    Submitted,
    /// A form with consent text keeps nothing until the box is ticked.
    WithoutConsent,
}

fn rfc3339(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

/// Keeps `survey` as the partial response of `token` (or of a new token when the page came
/// without one, or with one the store does not know: a respondent never picks their own),
/// with `page` as the page a resume shows. Answers that do not validate are left out: a
/// partial holds only what could be submitted. Durable when it returns.
pub async fn keep(
    state: &Arc<AppState>,
    form: &Arc<Form>,
    token: Option<&str>,
    survey: &SurveyState,
    page: usize,
    locale: &Locale,
) -> Result<Kept, StoreError> {
    if form.consent.is_some() && survey.consent_at.is_none() {
        return Ok(Kept::WithoutConsent);
    }
    let answers = valid_answers(form, &survey.answers);
    let (state, form) = (state.clone(), form.clone());
    let token = token.filter(|t| well_formed(t)).map(str::to_string);
    let (hidden, consent_at) = (survey.hidden.clone(), survey.consent_at.map(rfc3339));
    let language = form.has_languages().then(|| locale.tag().to_string());
    let seed = survey.seed;
    blocking(move || {
        let known = match &token {
            Some(token) => match state.partials.partial(&sha256_hex(token))? {
                Some(PartialState::Completed { .. }) => return Ok(Kept::Submitted),
                Some(PartialState::Open(p)) if p.form == form.id => Some((token.clone(), p.id)),
                // An invitation's token names its respondent's partial from the first page.
                None if state
                    .invitations
                    .survey_link_now(&form.id, token)?
                    .is_some() =>
                {
                    Some((token.clone(), Uuid::now_v7()))
                }
                _ => None,
            },
            None => None,
        };
        let (token, id) = known.unwrap_or_else(|| (new_token(), Uuid::now_v7()));
        let partial = PartialResponse {
            id,
            form: form.id.clone(),
            form_revision: form.revision.clone(),
            saved_at: rfc3339(Utc::now()),
            page,
            hidden,
            answers,
            consent_at,
            language,
            seed,
        };
        match state.partials.save_partial(&sha256_hex(&token), &partial)? {
            true => Ok(Kept::Saved(token)),
            false => Ok(Kept::Submitted),
        }
    })
    .await
}

/// Forgets the token's partial: its respondent unticked the consent box.
pub async fn withdraw(state: &Arc<AppState>, token: &str) {
    let (state, hash) = (state.clone(), sha256_hex(token));
    if let Err(e) = blocking(move || state.partials.delete_partial(&hash)).await {
        tracing::error!("forgetting a partial response after consent was withdrawn failed: {e}");
    }
}

/// The open partial of a token, for `form`.
pub async fn open(
    state: &Arc<AppState>,
    form_id: &str,
    token: &str,
) -> Result<Option<PartialState>, StoreError> {
    if !well_formed(token) {
        return Ok(None);
    }
    let (state, hash, form_id) = (state.clone(), sha256_hex(token), form_id.to_string());
    blocking(move || {
        Ok(state
            .partials
            .partial(&hash)?
            .filter(|p| p.form() == form_id))
    })
    .await
}

/// The survey state a partial restores.
pub fn restore(partial: PartialResponse) -> SurveyState {
    SurveyState {
        answers: partial.answers,
        hidden: partial.hidden,
        consent_at: partial
            .consent_at
            .and_then(|at| DateTime::parse_from_rfc3339(&at).ok())
            .map(|at| at.with_timezone(&Utc)),
        seed: partial.seed,
    }
}
