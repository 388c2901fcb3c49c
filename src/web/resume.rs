//! `GET /s/{id}/resume/{token}`: back to a partial response where it was left, every answer
//! restored; `POST` the same address: the link mailed to the address typed on the page that
//! shows it. The token is the page's own `t`; the link is its only other copy.

use std::sync::Arc;

use askama::Template;
use poem::http::StatusCode;
use poem::web::{Data, Path, Query};
use poem::{Body, IntoResponse, Request, Response, handler};

use super::paging::{active_pages, pages};
use super::survey::{already_sent, survey_or_page};
use super::survey_lang::locale_for;
use super::survey_partial::{self, restore};
use super::survey_render::page_response;
use super::{internal_error_page, message_page_in, render};
use crate::app::AppState;
use crate::form::{FieldErrors, Form};
use crate::i18n::Locale;
use crate::store::PartialState;

/// The page that gives the link, with the form that mails it.
#[derive(Template)]
#[template(path = "resume_saved.html")]
struct SavedPage<'a> {
    locale: &'a Locale,
    words: SavedWords,
    path: String,
    link: String,
    email: &'a str,
    error: Option<String>,
    sent: bool,
    notice: Option<String>,
}

/// The page's sentences that carry a value, in its language.
struct SavedWords {
    page_title: String,
    summary: String,
    error_link: String,
    sent: String,
    intro: String,
    private: String,
}

/// What became of an address typed on the page.
pub struct Mailing<'a> {
    pub email: &'a str,
    /// The message id of what is wrong with the address.
    pub error: Option<&'static str>,
    pub sent: bool,
    /// The message id of a notice: the mail could not be sent.
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
    locale: &Locale,
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
    let texts = form.texts(locale.tag());
    let title = [("title", texts.title().into())];
    let error = mailing.error.map(|id| locale.t(id));
    let words = SavedWords {
        page_title: match error {
            Some(_) => locale.t_args("resume-page-title-error", &title),
            None => locale.t_args("resume-page-title", &title),
        },
        summary: locale.t_args("survey-error-summary", &[("count", 1_usize.into())]),
        error_link: locale.t_args(
            "survey-error-link",
            &[
                ("question", locale.t("resume-email-label").into()),
                ("message", error.clone().unwrap_or_default().into()),
            ],
        ),
        sent: locale.t_args("resume-sent", &[("email", mailing.email.into())]),
        intro: locale.t_args("resume-intro", &title),
        private: locale.t_args("resume-private", &[("days", days(form))]),
    };
    let page = SavedPage {
        locale,
        words,
        link: format!("{}{path}", state.mail.public_url()),
        path,
        email: mailing.email,
        error,
        sent: mailing.sent,
        notice: mailing.notice.map(|id| locale.t(id)),
    };
    private(render(status, &page))
}

/// A page whose address holds the token: kept out of caches.
fn private(response: Response) -> Response {
    response
        .with_header("cache-control", "no-store")
        .into_response()
}

/// `partial_days` as a count a message's plural can follow.
fn days(form: &Form) -> crate::i18n::Arg {
    usize::try_from(form.partial_days)
        .unwrap_or(usize::MAX)
        .into()
}

fn expired(form: &Form, locale: &Locale) -> Response {
    let days = [("days", days(form))];
    message_page_in(
        locale,
        StatusCode::NOT_FOUND,
        &locale.t("resume-expired-title"),
        &locale.t_args("resume-expired-text", &days),
    )
}

/// The token's open partial for the survey, or the page that says why there is none.
async fn open_partial(
    state: &Arc<AppState>,
    form: &Form,
    token: &str,
    locale: &Locale,
) -> Result<crate::store::PartialResponse, Box<Response>> {
    match survey_partial::open(state, &form.id, token).await {
        Ok(Some(PartialState::Open(partial))) => Ok(partial),
        Ok(Some(PartialState::Completed { .. })) => Err(Box::new(already_sent(locale))),
        Ok(None) => Err(Box::new(expired(form, locale))),
        Err(e) => Err(Box::new(internal_error_page(
            "reading a partial response",
            &e,
        ))),
    }
}

#[handler]
pub async fn show(
    state: Data<&Arc<AppState>>,
    req: &Request,
    Path((id, token)): Path<(String, String)>,
    Query(query): Query<std::collections::BTreeMap<String, String>>,
) -> Response {
    let asked = query.get("lang").map(String::as_str);
    let form = match survey_or_page(&state, &id, asked, req) {
        Ok(form) => form,
        Err(page) => return *page,
    };
    // Before the partial is read, the page's words follow the browser; once it is, the
    // language it was left in (unless the link asks for another).
    let browser_locale = locale_for(Some(&form), asked, req);
    let partial = match open_partial(&state, &form, &token, &browser_locale).await {
        Ok(partial) => partial,
        Err(page) => return *page,
    };
    let locale = locale_for(Some(&form), asked.or(partial.language.as_deref()), req);
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
    let token = Some(token.as_str());
    private(page_response(
        &form, &pages, page, &survey, &none, None, token, &locale,
    ))
}

#[handler]
pub async fn email(
    state: Data<&Arc<AppState>>,
    req: &Request,
    Path((id, token)): Path<(String, String)>,
    body: Body,
) -> Response {
    let bytes = body.into_bytes().await.unwrap_or_default();
    let field = |name: &str| {
        form_urlencoded::parse(&bytes)
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.trim().to_string())
    };
    let asked = field("_lang");
    let form = match survey_or_page(&state, &id, asked.as_deref(), req) {
        Ok(form) => form,
        Err(page) => return *page,
    };
    let locale = locale_for(Some(&form), asked.as_deref(), req);
    if let Err(page) = open_partial(&state, &form, &token, &locale).await {
        return *page;
    }
    let typed = field("email").unwrap_or_default();
    let refuse = |error| Mailing {
        email: &typed,
        error: Some(error),
        sent: false,
        notice: None,
    };
    if typed.is_empty() {
        let mailing = refuse("resume-email-missing");
        return saved_page(&state, &form, &token, &locale, Some(mailing));
    }
    if typed.chars().count() > 254 || !email_address::EmailAddress::is_valid(&typed) {
        let mailing = refuse("resume-email-invalid");
        return saved_page(&state, &form, &token, &locale, Some(mailing));
    }
    let path = path_of(&form, &token);
    let sent = state
        .mail
        .send_resume_link(
            &typed,
            &locale,
            form.texts(locale.tag()).title(),
            &path,
            form.partial_days,
        )
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
                notice: Some("resume-email-failed"),
            }
        }
    };
    saved_page(&state, &form, &token, &locale, Some(mailing))
}
