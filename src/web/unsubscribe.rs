//! `GET /u/{token}`: the unsubscribe link of an invitation shows a button; `POST` the same
//! address unsubscribes. The GET changes nothing, so mail scanners that follow links
//! unsubscribe nobody; the POST is also what a mail client's one-click unsubscribe sends
//! (RFC 8058), which needs no page.

use std::sync::Arc;

use askama::Template;
use poem::http::StatusCode;
use poem::web::{Data, Path};
use poem::{Request, Response, handler};

use super::render;
use super::survey_lang::{locale_for, message};
use crate::app::AppState;
use crate::i18n::Locale;
use crate::invitations::InvitationError;

#[derive(Template)]
#[template(path = "unsubscribe.html")]
struct UnsubscribePage<'a> {
    locale: &'a Locale,
    token: &'a str,
}

fn unknown(locale: &Locale) -> Response {
    message(
        locale,
        StatusCode::NOT_FOUND,
        "page-invitation-unknown-title",
        "page-invitation-unknown-text",
    )
}

fn unavailable(locale: &Locale, e: &dyn std::fmt::Display) -> Response {
    tracing::error!("unsubscribing failed: {e}");
    message(
        locale,
        StatusCode::SERVICE_UNAVAILABLE,
        "page-error-title",
        "survey-notice-retry",
    )
}

/// The page's language: the invited survey's, by Accept-Language.
async fn locale_of(state: &AppState, req: &Request, token: &str) -> Locale {
    let target = state
        .invitations
        .unsubscribe_target(token)
        .await
        .ok()
        .flatten();
    let form = target.and_then(|t| state.catalog.get(&t.form));
    locale_for(form.as_deref(), None, req)
}

#[handler]
pub async fn show(
    state: Data<&Arc<AppState>>,
    req: &Request,
    Path(token): Path<String>,
) -> Response {
    let locale = locale_of(&state, req, &token).await;
    match state.invitations.unsubscribe_target(&token).await {
        Ok(Some(_)) => render(
            StatusCode::OK,
            &UnsubscribePage {
                locale: &locale,
                token: &token,
            },
        ),
        Ok(None) => unknown(&locale),
        Err(e) => unavailable(&locale, &e),
    }
}

#[handler]
pub async fn confirm(
    state: Data<&Arc<AppState>>,
    req: &Request,
    Path(token): Path<String>,
) -> Response {
    let locale = locale_of(&state, req, &token).await;
    match state.invitations.unsubscribe(&token).await {
        Ok(()) => message(
            &locale,
            StatusCode::OK,
            "unsubscribed-title",
            "unsubscribed-text",
        ),
        Err(InvitationError::UnknownToken) => unknown(&locale),
        Err(e) => unavailable(&locale, &e),
    }
}
