//! `GET/POST /login` and `POST /logout`: a cookie for staff browsers, so tokens never sit in URLs.

use std::sync::Arc;

use askama::Template;
use poem::http::StatusCode;
use poem::web::cookie::{Cookie, CookieJar, SameSite};
use poem::web::{Data, Form, Query, Redirect};
use poem::{IntoResponse, Response, handler};
use serde::Deserialize;

use super::render;
use crate::api::SESSION_COOKIE;
use crate::app::AppState;

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

#[handler]
pub fn submit(
    state: Data<&Arc<AppState>>,
    jar: &CookieJar,
    Form(form): Form<LoginForm>,
) -> Response {
    let next = safe_next(form.next.as_deref());
    let token = form.token.trim();
    if state.tokens.role_of(token).is_none() {
        let page = LoginPage {
            next,
            error: Some("That token is not valid. Check it and try again.".into()),
        };
        return render(StatusCode::UNAUTHORIZED, &page);
    }
    let mut cookie = Cookie::new_with_str(SESSION_COOKIE, token);
    cookie.set_http_only(true);
    cookie.set_same_site(SameSite::Strict);
    cookie.set_path("/");
    cookie.set_max_age(std::time::Duration::from_secs(30 * 24 * 3600));
    jar.add(cookie);
    Redirect::see_other(next).into_response()
}

#[handler]
pub fn logout(jar: &CookieJar) -> Response {
    // An expired cookie with the same name and path replaces the session cookie.
    let mut expired = Cookie::new_with_str(SESSION_COOKIE, "");
    expired.set_http_only(true);
    expired.set_same_site(SameSite::Strict);
    expired.set_path("/");
    expired.set_max_age(std::time::Duration::ZERO);
    jar.add(expired);
    Redirect::see_other("/login").into_response()
}
