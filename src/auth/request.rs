//! Who is calling: a bearer token (API clients), or the login cookie of a staff browser,
//! which holds a session id, never the token itself. The API's extractors and the staff pages
//! both ask here.

use poem::Request;

use super::{AuthError, Role, Tokens, sha256_hex};
use crate::store::SessionStore;

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
fn session_role(tokens: &Tokens, sessions: &dyn SessionStore, session_id: &str) -> Option<Role> {
    let session = match sessions.session(&sha256_hex(session_id)) {
        Ok(session) => session?,
        Err(e) => {
            tracing::error!("reading a login session failed: {e}");
            return None;
        }
    };
    let now = chrono::Utc::now().timestamp();
    (session.expires_at > now && tokens.still_valid(&session)).then_some(session.role)
}

/// The caller's role. A bearer token must be valid (a wrong one is 401); a login cookie
/// that is no longer good counts as no login, so a browser is simply asked to log in again.
pub fn caller_role(
    tokens: &Tokens,
    sessions: &dyn SessionStore,
    req: &Request,
) -> Result<Option<Role>, AuthError> {
    if let Some(token) = bearer(req) {
        return tokens
            .role_of(&token)
            .map(Some)
            .ok_or(AuthError::Unauthenticated);
    }
    Ok(session_cookie(req).and_then(|id| session_role(tokens, sessions, &id)))
}

/// The caller's role when it is at least `needed`: 401 without a valid login, 403 below it.
pub fn authorize(
    tokens: &Tokens,
    sessions: &dyn SessionStore,
    req: &Request,
    needed: Role,
) -> Result<Role, AuthError> {
    match caller_role(tokens, sessions, req)? {
        Some(role) if role >= needed => Ok(role),
        Some(_) => Err(AuthError::Forbidden),
        None => Err(AuthError::Unauthenticated),
    }
}
