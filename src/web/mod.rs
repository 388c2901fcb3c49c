//! Server-rendered HTML pages: the hosted survey, the staff login, the front page and the
//! interview pages.
//! Templates (askama, in `templates/`) escape everything they print.

mod blocking;
mod honeypot;
mod interviews;
mod login;
mod paging;
mod profiles_page;
mod report_page;
mod resume;
mod survey;
mod survey_consent;
mod survey_invited;
mod survey_lang;
mod survey_matrix;
mod survey_partial;
mod survey_quota;
mod survey_render;
mod survey_seed;
mod survey_steps;
mod survey_view;
mod theme_page;
mod unsubscribe;

use std::sync::Arc;

use askama::Template;
use poem::http::StatusCode;
use poem::web::{Data, Redirect};
use poem::{IntoResponse, Request, Response, Route, get, handler};

use crate::app::AppState;
use crate::auth::{AuthError, Role};
use crate::form::Form;
use crate::i18n::Locale;
use crate::responses::Receipt;
use blocking::{PageError, blocking};

/// Every page path and the methods it takes, for the `Allow` of a 405. It must say what
/// `routes` says; `tests/access.rs` tries each method of each path against the server.
pub const PAGE_METHODS: &[(&str, &[&str])] = &[
    ("/", &["GET"]),
    ("/s/:id", &["GET", "POST"]),
    ("/s/:id/resume/:token", &["GET", "POST"]),
    ("/r/:id", &["GET"]),
    ("/r/:id/themes/:theme", &["GET"]),
    ("/r/:id/profiles", &["GET"]),
    ("/login", &["GET", "POST"]),
    ("/logout", &["POST"]),
    ("/i", &["GET"]),
    ("/i/new/:guide", &["GET", "POST"]),
    ("/i/:id", &["GET"]),
    ("/static/console.js", &["GET"]),
    ("/u/:token", &["GET", "POST"]),
];

pub fn routes() -> Route {
    Route::new()
        .at("/", get(index))
        .at("/s/:id", get(survey::show).post(survey::answer))
        .at(
            "/s/:id/resume/:token",
            get(resume::show).post(resume::email),
        )
        .at("/r/:id", get(report_page::show))
        .at("/r/:id/themes/:theme", get(theme_page::show))
        .at("/r/:id/profiles", get(profiles_page::show))
        .at("/login", get(login::show).post(login::submit))
        .at("/logout", poem::post(login::logout))
        .at("/i", get(interviews::index))
        .at(
            "/i/new/:guide",
            get(interviews::new_form).post(interviews::start),
        )
        .at("/i/:id", get(interviews::console))
        .at("/static/console.js", get(interviews::script))
        .at(
            "/u/:token",
            get(unsubscribe::show).post(unsubscribe::confirm),
        )
}

/// Our pages run no scripts and load nothing from elsewhere; the policy makes any injected
/// markup inert even if escaping were ever missed, and refuses framing (clickjacking).
const CONTENT_SECURITY_POLICY: &str = "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

/// The interview console runs our one script and talks to our API; nothing else.
pub const CONSOLE_POLICY: &str = "default-src 'none'; script-src 'self'; connect-src 'self'; style-src 'unsafe-inline'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

/// Renders a page; a template that fails to render is logged and answered with a plain 500.
pub fn render(status: StatusCode, page: &impl Template) -> Response {
    render_with_policy(status, page, CONTENT_SECURITY_POLICY)
}

/// `render` with another content security policy, for the one page that runs a script.
pub fn render_with_policy(
    status: StatusCode,
    page: &impl Template,
    policy: &'static str,
) -> Response {
    match page.render() {
        Ok(html) => poem::web::Html(html)
            .with_status(status)
            .with_header("content-security-policy", policy)
            .with_header("x-content-type-options", "nosniff")
            .with_header("referrer-policy", "same-origin")
            .into_response(),
        Err(e) => {
            tracing::error!("page failed to render: {e}");
            StatusCode::INTERNAL_SERVER_ERROR.into_response()
        }
    }
}

/// Staff pages: a browser without a valid login is sent to the login page (and back after),
/// a login whose role is too low gets a 403 page. `None` lets the request through.
pub fn deny_unless_staff(state: &AppState, req: &Request, role: Role) -> Option<Response> {
    match crate::auth::authorize(&state.tokens, state.store.as_ref(), req, role) {
        Ok(_) => None,
        Err(AuthError::Unauthenticated) => {
            let next: String =
                form_urlencoded::byte_serialize(req.uri().path().as_bytes()).collect();
            Some(Redirect::see_other(format!("/login?next={next}")).into_response())
        }
        Err(AuthError::Forbidden) => Some(message_page(
            StatusCode::FORBIDDEN,
            "Not for this login",
            "This page needs a different role. Log in with a researcher token to see it.",
        )),
    }
}

#[derive(Template)]
#[template(path = "message.html")]
struct MessagePage<'a> {
    lang: &'a str,
    dir: &'a str,
    title: &'a str,
    text: &'a str,
}

/// A failure of ours, logged with what failed; the person sees a page that says so.
pub fn internal_error_page(what: &str, e: &dyn std::fmt::Display) -> Response {
    tracing::error!("{what} failed: {e}");
    message_page(
        StatusCode::INTERNAL_SERVER_ERROR,
        "Something went wrong",
        "This page could not be drawn; the error has been logged.",
    )
}

/// A page of one message, in English (staff pages, limits).
pub fn message_page(status: StatusCode, title: &str, text: &str) -> Response {
    message_page_in(&Locale::english(), status, title, text)
}

/// A page of one message for a respondent, `title` and `text` already in `locale`'s language.
pub fn message_page_in(locale: &Locale, status: StatusCode, title: &str, text: &str) -> Response {
    let page = MessagePage {
        lang: locale.tag(),
        dir: locale.dir(),
        title,
        text,
    };
    render(status, &page)
}

#[derive(Template)]
#[template(path = "thanks.html")]
struct ThanksPage<'a> {
    locale: &'a Locale,
    page_title: String,
    message: String,
    receipt_line: String,
}

pub fn thanks_page(form: &Form, locale: &Locale, receipt: &Receipt) -> Response {
    let texts = form.texts(locale.tag());
    let page = ThanksPage {
        locale,
        page_title: locale.t_args("thanks-page-title", &[("title", texts.title().into())]),
        message: texts
            .thanks()
            .map_or_else(|| locale.t("thanks-default"), str::to_string),
        receipt_line: locale.t_args(
            "thanks-receipt",
            &[
                ("id", receipt.id.to_string().into()),
                ("receipt", receipt.receipt.as_str().into()),
            ],
        ),
    };
    render(StatusCode::OK, &page)
}

#[derive(Template)]
#[template(path = "index.html")]
struct IndexPage {
    /// (id, title) of each open survey.
    surveys: Vec<(String, String)>,
    /// Every survey, open or closed, for staff downloads.
    all_surveys: Vec<(String, String)>,
    reports: Vec<(String, String)>,
    researcher: bool,
    role: Option<&'static str>,
}

#[handler]
fn index(state: Data<&Arc<AppState>>, req: &Request) -> Response {
    let pairs = |open_only: bool| {
        state
            .catalog
            .iter()
            .filter(|f| f.is_survey() && (f.is_open() || !open_only))
            .map(|f| (f.id.clone(), f.title.clone()))
            .collect()
    };
    let role = crate::auth::caller_role(&state.tokens, state.store.as_ref(), req)
        .ok()
        .flatten();
    let page = IndexPage {
        surveys: pairs(true),
        all_surveys: pairs(false),
        reports: state
            .reports
            .iter()
            .map(|r| (r.id.clone(), r.title.clone()))
            .collect(),
        researcher: role == Some(Role::Researcher),
        role: role.map(|r| match r {
            Role::Researcher => "researcher",
            Role::Interviewer => "interviewer",
        }),
    };
    render(StatusCode::OK, &page)
}
