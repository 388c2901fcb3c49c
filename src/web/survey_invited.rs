//! `/s/{id}?t=TOKEN`: a respondent arriving through their personal invitation link. The
//! token then travels in the page's `t` field like a partial's (it names their partial
//! response too), and the submission links the response to their contact.

use std::sync::Arc;

use poem::http::StatusCode;
use poem::web::Redirect;
use poem::{IntoResponse, Response};

use super::survey_lang::message;
use super::survey_partial;
use crate::app::AppState;
use crate::form::Form;
use crate::i18n::Locale;
use crate::store::PartialState;

/// The page for an invitation whose contact has answered already.
pub(super) fn already_answered(locale: &Locale) -> Response {
    message(
        locale,
        StatusCode::CONFLICT,
        "page-already-answered-title",
        "page-already-answered-text",
    )
}

/// The token to carry if it is a link of an invitation to `form` still to be answered (its
/// opening noted), or the page to show instead: the link is not valid, the invitation was
/// answered, or answers kept under it are to be resumed.
pub(super) async fn arriving(
    state: &Arc<AppState>,
    form: &Form,
    token: &str,
    locale: &Locale,
) -> Result<String, Box<Response>> {
    let unavailable = |e: &dyn std::fmt::Display| {
        tracing::error!("reading an invitation failed: {e}");
        Box::new(message(
            locale,
            StatusCode::SERVICE_UNAVAILABLE,
            "page-error-title",
            "survey-notice-retry",
        ))
    };
    let contact = match state.invitations.survey_link(&form.id, token).await {
        Ok(Some(contact)) => contact,
        Ok(None) => {
            return Err(Box::new(message(
                locale,
                StatusCode::NOT_FOUND,
                "page-invitation-unknown-title",
                "page-invitation-unknown-text",
            )));
        }
        Err(e) => return Err(unavailable(&e)),
    };
    match state.invitations.completed(&form.id, &contact).await {
        Ok(true) => return Err(Box::new(already_answered(locale))),
        Ok(false) => {}
        Err(e) => return Err(unavailable(&e)),
    }
    if let Err(e) = state.invitations.opened(&form.id, &contact).await {
        // The respondent may answer all the same; only the status list misses the opening.
        tracing::error!("noting an invitation opened failed: {e}");
    }
    match survey_partial::open(state, &form.id, token).await {
        Ok(Some(PartialState::Open(_))) => Err(Box::new(
            Redirect::see_other(format!("/s/{}/resume/{token}", form.id)).into_response(),
        )),
        Ok(Some(PartialState::Completed { .. })) => Err(Box::new(already_answered(locale))),
        Ok(None) => Ok(token.to_string()),
        Err(e) => Err(unavailable(&e)),
    }
}
