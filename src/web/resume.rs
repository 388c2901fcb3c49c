//! `GET /s/{id}/resume/{token}`: back to a partial response where it was left, every answer
//! restored; `POST` the same address: the link mailed to the address typed on the page that
//! shows it. The token is the page's own `t`; the link is its only other copy.

use std::sync::Arc;

use askama::Template;
use poem::http::StatusCode;
use poem::web::{Data, Path};
use poem::{Body, IntoResponse, Response, handler};

use super::paging::{active_pages, pages};
use super::survey::{already_sent, survey_or_page};
use super::survey_partial::{self, restore};
use super::survey_view::page_response;
use super::{internal_error_page, message_page, render};
use crate::app::AppState;
use crate::form::{FieldErrors, Form};
use crate::store::PartialState;

/// The page that gives the link, with the form that mails it.
#[derive(Template)]
#[template(path = "resume_saved.html")]
struct SavedPage<'a> {
    form_title: &'a str,
    path: String,
    link: String,
    partial_days: u32,
    email: &'a str,
    error: Option<&'static str>,
    sent: bool,
    notice: Option<&'static str>,
}

/// What became of an address typed on the page.
pub struct Mailing<'a> {
    pub email: &'a str,
    pub error: Option<&'static str>,
    pub sent: bool,
    pub notice: Option<&'static str>,
}

fn path_of(form: &Form, token: &str) -> String {
    format!("/s/{}/resume/{token}", form.id)
}

/// The link to the token's partial response, and the form to mail it.
pub fn saved_page(
    state: &AppState,
    form: &Form,
    token: &str,
    mailing: Option<Mailing>,
) -> Response {
    let path = path_of(form, token);
    let mailing = mailing.unwrap_or(Mailing {
        email: "",
        error: None,
        sent: false,
        notice: None,
    });
    let status = match (mailing.error, mailing.notice) {
        (Some(_), _) => StatusCode::UNPROCESSABLE_ENTITY,
        (None, Some(_)) => StatusCode::SERVICE_UNAVAILABLE,
        (None, None) => StatusCode::OK,
    };
    let page = SavedPage {
        form_title: &form.title,
        link: format!("{}{path}", state.mail.public_url()),
        path,
        partial_days: form.partial_days,
        email: mailing.email,
        error: mailing.error,
        sent: mailing.sent,
        notice: mailing.notice,
    };
    private(render(status, &page))
}

/// A page whose address holds the token: kept out of caches.
fn private(response: Response) -> Response {
    response
        .with_header("cache-control", "no-store")
        .into_response()
}

fn expired(form: &Form) -> Response {
    message_page(
        StatusCode::NOT_FOUND,
        "This link no longer works",
        &format!(
            "Answers that are not finished within {} days are erased, so this link has expired, or it was not copied whole. You are welcome to start the survey again.",
            form.partial_days
        ),
    )
}

/// The token's open partial for the survey, or the page that says why there is none.
async fn open_partial(
    state: &Arc<AppState>,
    form: &Form,
    token: &str,
) -> Result<crate::store::PartialResponse, Box<Response>> {
    match survey_partial::open(state, &form.id, token).await {
        Ok(Some(PartialState::Open(partial))) => Ok(partial),
        Ok(Some(PartialState::Completed { .. })) => Err(Box::new(already_sent())),
        Ok(None) => Err(Box::new(expired(form))),
        Err(e) => Err(Box::new(internal_error_page(
            "reading a partial response",
            &e,
        ))),
    }
}

#[handler]
pub async fn show(
    state: Data<&Arc<AppState>>,
    Path((id, token)): Path<(String, String)>,
) -> Response {
    let form = match survey_or_page(&state, &id) {
        Ok(form) => form,
        Err(page) => return *page,
    };
    let partial = match open_partial(&state, &form, &token).await {
        Ok(partial) => partial,
        Err(page) => return *page,
    };
    let saved_page = partial.page;
    let survey = restore(partial);
    let pages = pages(&form);
    let active = active_pages(&form, &pages, &survey.answers);
    // The page kept, unless the form changed since and no longer shows it: then the last
    // page before it that shows, so nothing is skipped.
    let page = match active.contains(&saved_page) {
        true => saved_page,
        false => active
            .iter()
            .rev()
            .find(|&&p| p < saved_page)
            .or(active.first())
            .copied()
            .unwrap_or(0),
    };
    let none = FieldErrors::new();
    private(page_response(
        &form,
        &pages,
        page,
        &survey,
        &none,
        None,
        Some(&token),
    ))
}

#[handler]
pub async fn email(
    state: Data<&Arc<AppState>>,
    Path((id, token)): Path<(String, String)>,
    body: Body,
) -> Response {
    let form = match survey_or_page(&state, &id) {
        Ok(form) => form,
        Err(page) => return *page,
    };
    if let Err(page) = open_partial(&state, &form, &token).await {
        return *page;
    }
    let bytes = body.into_bytes().await.unwrap_or_default();
    let typed = form_urlencoded::parse(&bytes)
        .find(|(k, _)| k == "email")
        .map(|(_, v)| v.trim().to_string())
        .unwrap_or_default();
    let refuse = |error| Mailing {
        email: &typed,
        error: Some(error),
        sent: false,
        notice: None,
    };
    if typed.is_empty() {
        let mailing = refuse("enter the email address to send the link to");
        return saved_page(&state, &form, &token, Some(mailing));
    }
    if typed.chars().count() > 254 || !email_address::EmailAddress::is_valid(&typed) {
        let mailing = refuse("enter an email address like name@example.com");
        return saved_page(&state, &form, &token, Some(mailing));
    }
    let path = path_of(&form, &token);
    let sent = state
        .mail
        .send_resume_link(&typed, &form.title, &path, form.partial_days)
        .await;
    let mailing = match sent {
        Ok(_) => Mailing {
            email: &typed,
            error: None,
            sent: true,
            notice: None,
        },
        Err(e) => {
            // The address is the respondent's: the error is logged without it.
            tracing::error!(form = %form.id, "mailing a resume link failed: {e}");
            Mailing {
                email: &typed,
                error: None,
                sent: false,
                notice: Some(
                    "We could not send the email just now. The link above works all the same: please copy it, or try again in a moment.",
                ),
            }
        }
    };
    saved_page(&state, &form, &token, Some(mailing))
}
