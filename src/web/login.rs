//! `GET/POST /login` and `POST /logout`: a cookie for staff browsers, so tokens never sit in URLs.

use std::sync::Arc;

use askama::Template;
use poem::http::StatusCode;
use poem::web::cookie::{Cookie, CookieJar, SameSite};
use poem::web::{Data, Form, Query, Redirect};
use poem::{IntoResponse, Request, Response, handler};
use serde::Deserialize;

use super::{message_page, render};
use crate::app::AppState;
use crate::auth::SESSION_COOKIE;
use crate::auth::{SESSION_DAYS, Session, new_session_id, sha256_hex};

#[derive(Template)]
#[template(path = "login.html")]
struct LoginPage {
    next: String,
    error: Option<String>,
}

#[derive(Deserialize)]
pub struct NextParam {
    next: Option<String>,
}

#[derive(Deserialize)]
pub struct LoginForm {
    #[serde(default)]
    token: String,
    next: Option<String>,
}

/// Only paths on this site: never `//host` or `https://...`, which would make the login page
/// an open redirect.
fn safe_next(next: Option<&str>) -> String {
    match next {
        Some(path) if path.starts_with('/') && !path.starts_with("//") && !path.contains('\\') => {
            path.to_string()
        }
        _ => "/".to_string(),
    }
}

#[handler]
pub fn show(Query(params): Query<NextParam>) -> Response {
    let page = LoginPage {
        next: safe_next(params.next.as_deref()),
        error: None,
    };
    render(StatusCode::OK, &page)
}

fn session_cookie(value: &str, max_age: std::time::Duration) -> Cookie {
    let mut cookie = Cookie::new_with_str(SESSION_COOKIE, value);
    cookie.set_http_only(true);
    cookie.set_same_site(SameSite::Strict);
    cookie.set_path("/");
    cookie.set_max_age(max_age);
    cookie
}

fn try_again_later() -> Response {
    message_page(
        StatusCode::SERVICE_UNAVAILABLE,
        "Could not log in",
        "The server could not save your login just now. Please try again.",
    )
}

#[handler]
pub async fn submit(
    state: Data<&Arc<AppState>>,
    jar: &CookieJar,
    Form(form): Form<LoginForm>,
) -> Response {
    let next = safe_next(form.next.as_deref());
    let token = form.token.trim().to_string();
    let Some(role) = state.tokens.role_of(&token) else {
        let page = LoginPage {
            next,
            error: Some("That token is not valid. Check it and try again.".into()),
        };
        return render(StatusCode::UNAUTHORIZED, &page);
    };
    // The cookie carries a random session id; the token itself never leaves this request.
    let id = new_session_id();
    let session = Session::open(role, &token, chrono::Utc::now().timestamp());
    let (store, key) = (state.store.clone(), sha256_hex(&id));
    if let Err(e) = super::blocking(move || store.put_session(&key, &session)).await {
        tracing::error!("saving a login session failed: {e}");
        return try_again_later();
    }
    let days = u64::try_from(SESSION_DAYS).unwrap_or(30);
    jar.add(session_cookie(
        &id,
        std::time::Duration::from_secs(days * 86_400),
    ));
    Redirect::see_other(next).into_response()
}

#[handler]
pub async fn logout(state: Data<&Arc<AppState>>, req: &Request, jar: &CookieJar) -> Response {
    // The session ends on the server too, so a copy of the cookie stops working.
    if let Some(id) = crate::auth::session_cookie(req) {
        let (store, key) = (state.store.clone(), sha256_hex(&id));
        if let Err(e) = super::blocking(move || store.delete_session(&key)).await {
            tracing::error!("ending a login session failed: {e}");
        }
    }
    jar.add(session_cookie("", std::time::Duration::ZERO));
    Redirect::see_other("/login").into_response()
}
