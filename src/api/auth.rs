//! Reading the staff token a request presents: a bearer header, or the login cookie.

use poem::Request;

use super::error::ApiError;
use crate::app::AppState;
use crate::auth::Role;

/// The HttpOnly, SameSite=Strict cookie the login page sets.
pub const SESSION_COOKIE: &str = "fieldnotes_session";

pub fn presented_token(req: &Request) -> Option<String> {
    let bearer = req
        .headers()
        .get(poem::http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| {
            let (scheme, token) = v.split_once(' ')?;
            scheme
                .eq_ignore_ascii_case("bearer")
                .then(|| token.trim().to_string())
        });
    bearer.or_else(|| {
        req.cookie()
            .get(SESSION_COOKIE)
            .map(|c| c.value_str().to_string())
    })
}

pub fn require(state: &AppState, req: &Request, role: Role) -> Result<Role, ApiError> {
    let token = presented_token(req);
    Ok(state.tokens.authorize(token.as_deref(), role)?)
}

/// The caller's role when a valid token is presented; anonymous callers get `None`.
pub fn optional_role(state: &AppState, req: &Request) -> Result<Option<Role>, ApiError> {
    match presented_token(req) {
        None => Ok(None),
        Some(token) => match state.tokens.role_of(&token) {
            Some(role) => Ok(Some(role)),
            None => Err(crate::auth::AuthError::Unauthenticated.into()),
        },
    }
}
