//! Who is calling: a bearer token (API clients), or the login cookie of a staff browser,
//! which holds a session id, never the token itself.

use poem::{IntoResponse, Request, RequestBody};
use poem_openapi::registry::{MetaSecurityScheme, Registry};
use poem_openapi::{ApiExtractor, ApiExtractorType, ExtractParamOptions};

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

/// The names the OpenAPI document gives the two ways staff prove who they are.
const BEARER_SCHEME: &str = "bearerToken";
const COOKIE_SCHEME: &str = "loginCookie";

fn register_schemes(registry: &mut Registry) {
    registry.create_security_scheme(
        BEARER_SCHEME,
        MetaSecurityScheme {
            ty: "http",
            description: Some("The researcher or interviewer token."),
            name: None,
            key_in: None,
            scheme: Some("bearer"),
            bearer_format: None,
            flows: None,
            openid_connect_url: None,
        },
    );
    registry.create_security_scheme(
        COOKIE_SCHEME,
        MetaSecurityScheme {
            ty: "apiKey",
            description: Some("The session cookie a staff browser gets from /login."),
            name: Some(SESSION_COOKIE),
            key_in: Some("cookie"),
            scheme: None,
            bearer_format: None,
            flows: None,
            openid_connect_url: None,
        },
    );
}

fn app_state(request: &Request) -> poem::Result<&AppState> {
    request
        .data::<std::sync::Arc<AppState>>()
        .map(|state| state.as_ref())
        .ok_or_else(|| {
            poem::Error::from_response(
                ApiError::internal("the application state is not attached to the request")
                    .into_response(),
            )
        })
}

fn refused(error: AuthError) -> poem::Error {
    poem::Error::from_response(ApiError::from(error).into_response())
}

/// A caller with at least the role `NEEDED` (0 interviewer, 1 researcher). As an operation's
/// first argument it is checked before any parameter or body is read, so a stranger learns
/// nothing from the validation of what they sent, and the OpenAPI document lists the
/// operation's security requirements.
pub struct Staff<const NEEDED: u8>;

/// An interviewer or a researcher.
pub type Interviewer = Staff<0>;
/// A researcher.
pub type Researcher = Staff<1>;

const fn needed(code: u8) -> Role {
    if code == 0 {
        Role::Interviewer
    } else {
        Role::Researcher
    }
}

/// What both extractors tell the OpenAPI document: they are security schemes, the bearer
/// token or the login cookie.
macro_rules! scheme_items {
    () => {
        const TYPES: &'static [ApiExtractorType] = &[ApiExtractorType::SecurityScheme];
        type ParamType = ();
        type ParamRawType = ();

        fn register(registry: &mut Registry) {
            register_schemes(registry);
        }

        fn security_schemes() -> Vec<&'static str> {
            vec![BEARER_SCHEME, COOKIE_SCHEME]
        }
    };
}

impl<'a, const NEEDED: u8> ApiExtractor<'a> for Staff<NEEDED> {
    scheme_items!();

    async fn from_request(
        request: &'a Request,
        _body: &mut RequestBody,
        _param_opts: ExtractParamOptions<Self::ParamType>,
    ) -> poem::Result<Self> {
        let state = app_state(request)?;
        authorize(state, request, needed(NEEDED))
            .map(|_| Staff)
            .map_err(refused)
    }
}

/// The caller's role when staff, `None` for anyone else; a wrong bearer token is still 401.
pub struct MaybeStaff(pub Option<Role>);

impl<'a> ApiExtractor<'a> for MaybeStaff {
    scheme_items!();

    fn has_security_fallback() -> bool {
        true
    }

    async fn from_request(
        request: &'a Request,
        _body: &mut RequestBody,
        _param_opts: ExtractParamOptions<Self::ParamType>,
    ) -> poem::Result<Self> {
        let state = app_state(request)?;
        caller_role(state, request).map(MaybeStaff).map_err(refused)
    }
}

impl MaybeStaff {
    /// The role when it is at least `needed`: 401 for anyone else, 403 below it.
    pub fn at_least(&self, needed: Role) -> Result<Role, ApiError> {
        match self.0 {
            Some(role) if role >= needed => Ok(role),
            Some(_) => Err(AuthError::Forbidden.into()),
            None => Err(AuthError::Unauthenticated.into()),
        }
    }
}
