//! Limits that keep one client from crowding out everyone else: a budget of public
//! submissions per client address, and time limits on connections (`connections`). Request
//! bodies are bounded in `app`, answers per submission in `form::validate`.

mod client;
mod connections;
mod rate;

use std::net::IpAddr;
use std::num::NonZeroU32;
use std::sync::Arc;
use std::time::Duration;

use poem::http::{Method, StatusCode, header};
use poem::{Endpoint, IntoResponse, Request, Response};

pub use client::{TrustedProxies, rate_key};
pub use connections::{HEADER_TIMEOUT, serve};
pub use rate::RateLimit;

use crate::app::AppState;

/// `FIELDNOTES_RATE_LIMIT` when it is not set: requests per minute per client address.
pub const DEFAULT_RATE_LIMIT: NonZeroU32 = NonZeroU32::new(120).expect("120 is not zero");

/// How often clients whose budget is whole again are forgotten.
const FORGET_EVERY: Duration = Duration::from_secs(30);

pub struct Limits {
    /// `None` when `FIELDNOTES_RATE_LIMIT=off`.
    pub rate: Option<RateLimit>,
    pub proxies: TrustedProxies,
}

impl Limits {
    pub fn new(rate: Option<NonZeroU32>, proxies: TrustedProxies) -> Limits {
        Limits {
            rate: rate.map(RateLimit::per_minute),
            proxies,
        }
    }

    /// The address a request counts against; `None` when poem has no TCP peer for it.
    pub fn client_of(&self, req: &Request) -> Option<IpAddr> {
        let peer = req.remote_addr().as_socket_addr()?.ip();
        let forwarded: Vec<&str> = req
            .headers()
            .get_all("x-forwarded-for")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .collect();
        Some(self.proxies.client(peer, &forwarded))
    }
}

/// Reads `FIELDNOTES_RATE_LIMIT`: a number of requests per minute, or `off`.
pub fn parse_rate_limit(text: &str) -> Result<Option<NonZeroU32>, String> {
    let text = text.trim();
    if text.eq_ignore_ascii_case("off") {
        return Ok(None);
    }
    match text.parse::<u32>() {
        Ok(n) => NonZeroU32::new(n).map(Some).ok_or_else(|| {
            "FIELDNOTES_RATE_LIMIT=0 would refuse every submission; use `off` for no limit".into()
        }),
        Err(_) => Err(format!(
            "FIELDNOTES_RATE_LIMIT '{text}' must be a number of requests per minute, or `off`"
        )),
    }
}

/// The requests anyone may make that store something: every POST under the submission
/// route's prefix and under the hosted survey (each of its pages posts). A prefix rather
/// than the exact route, so that no other spelling of the path gets past.
fn is_public_submission(req: &Request) -> bool {
    let path = req.uri().path();
    req.method() == Method::POST && (path.starts_with("/api/forms/") || path.starts_with("/s/"))
}

/// Refuses a public submission over its client's budget with 429 and `Retry-After`, before
/// its body is read. Staff (a valid token or login) are not counted: integrations that post
/// responses for many people send a token.
pub async fn limit_submissions<E: Endpoint>(next: E, req: Request) -> poem::Result<Response> {
    if is_public_submission(&req)
        && let Some(state) = req.data::<Arc<AppState>>()
        && let Some(rate) = &state.limits.rate
        && let Some(client) = state.limits.client_of(&req)
        && !matches!(
            crate::auth::caller_role(&state.tokens, state.store.as_ref(), &req),
            Ok(Some(_))
        )
        && let Err(wait) = rate.check(client)
    {
        return Ok(too_many(req.uri().path(), wait, rate.budget()));
    }
    Ok(next.call(req).await?.into_response())
}

fn too_many(path: &str, wait: u64, budget: NonZeroU32) -> Response {
    let mut response = if path.starts_with("/api/") {
        crate::api::ApiError::rate_limited(wait, budget).into_response()
    } else {
        crate::web::message_page(
            StatusCode::TOO_MANY_REQUESTS,
            "Please wait a moment",
            &format!(
                "Many answers have come from your network in the last minute. Please wait {wait} second{} and send the page again: go back, and your answers are still there.",
                if wait == 1 { "" } else { "s" }
            ),
        )
    };
    if let Ok(value) = header::HeaderValue::from_str(&wait.to_string()) {
        response.headers_mut().insert(header::RETRY_AFTER, value);
    }
    response
}

/// Forgets idle clients every `FORGET_EVERY` while the server runs; abort it to stop.
pub fn start_forgetting(state: Arc<AppState>) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut every = tokio::time::interval(FORGET_EVERY);
        every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            every.tick().await;
            if let Some(rate) = &state.limits.rate {
                rate.forget_idle();
            }
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rate_limit_settings() {
        assert_eq!(parse_rate_limit("off"), Ok(None));
        assert_eq!(parse_rate_limit(" OFF "), Ok(None));
        assert_eq!(parse_rate_limit("30"), Ok(NonZeroU32::new(30)));
        assert!(parse_rate_limit("0").unwrap_err().contains("off"));
        assert!(parse_rate_limit("lots").is_err());
        assert!(parse_rate_limit("-5").is_err());
    }
}
