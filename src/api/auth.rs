//! The API's side of who is calling (`crate::auth::request` reads the credentials): the
//! `Staff` and `MaybeStaff` extractors and the security schemes the OpenAPI document lists.

use poem::{IntoResponse, Request, RequestBody};
use poem_openapi::registry::{MetaSecurityScheme, Registry};
use poem_openapi::{ApiExtractor, ApiExtractorType, ExtractParamOptions};

use super::error::ApiError;
use crate::app::AppState;
use crate::auth::{AuthError, Role, SESSION_COOKIE, authorize, caller_role};

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
        authorize(&state.tokens, state.store.as_ref(), request, needed(NEEDED))
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
        caller_role(&state.tokens, state.store.as_ref(), request)
            .map(MaybeStaff)
            .map_err(refused)
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
