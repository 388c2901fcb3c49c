//! Who is calling: a bearer token (API clients), or the login cookie of a staff browser,
//! which holds a session id, never the token itself.

use poem::Request;

use super::error::ApiError;
use crate::app::AppState;
use crate::auth::{AuthError, Role, sha256_hex};

/// The HttpOnly, SameSite=Strict cookie the login page sets.
pub const SESSION_COOKIE: &str = "fieldnotes_session";

fn bearer(req: &Request) -> Option<String> {
    req.headers()
        .get(poem::http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| {
            let (scheme, token) = v.split_once(' ')?;
            scheme
                .eq_ignore_ascii_case("bearer")
                .then(|| token.trim().to_string())
        })
}

pub fn session_cookie(req: &Request) -> Option<String> {
    req.cookie()
        .get(SESSION_COOKIE)
        .map(|c| c.value_str().to_string())
        .filter(|v| !v.is_empty())
}

/// The role of a browser login, if it is still good: not expired, not logged out, and
/// opened with the token its role has now.
fn session_role(state: &AppState, session_id: &str) -> Option<Role> {
    let session = match state.store.session(&sha256_hex(session_id)) {
        Ok(session) => session?,
        Err(e) => {
            tracing::error!("reading a login session failed: {e}");
            return None;
        }
    };
    let now = chrono::Utc::now().timestamp();
    (session.expires_at > now && state.tokens.still_valid(&session)).then_some(session.role)
}

/// The caller's role. A bearer token must be valid (a wrong one is 401); a login cookie
/// that is no longer good counts as no login, so a browser is simply asked to log in again.
pub fn caller_role(state: &AppState, req: &Request) -> Result<Option<Role>, AuthError> {
    if let Some(token) = bearer(req) {
        return state
            .tokens
            .role_of(&token)
            .map(Some)
            .ok_or(AuthError::Unauthenticated);
    }
    Ok(session_cookie(req).and_then(|id| session_role(state, &id)))
}

/// The caller's role when it is at least `needed`: 401 without a valid login, 403 below it.
pub fn authorize(state: &AppState, req: &Request, needed: Role) -> Result<Role, AuthError> {
    match caller_role(state, req)? {
        Some(role) if role >= needed => Ok(role),
        Some(_) => Err(AuthError::Forbidden),
        None => Err(AuthError::Unauthenticated),
    }
}

pub fn require(state: &AppState, req: &Request, role: Role) -> Result<Role, ApiError> {
    Ok(authorize(state, req, role)?)
}

/// The caller's role when a valid token is presented; anonymous callers get `None`.
pub fn optional_role(state: &AppState, req: &Request) -> Result<Option<Role>, ApiError> {
    Ok(caller_role(state, req)?)
}
