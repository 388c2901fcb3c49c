//! Where a respondent's shuffle seed comes from before any page has been posted.
//!
//! Once a page is posted the seed travels in the page state. The first page is a plain GET,
//! which a browser may fetch again (a reload, Back to it): a cookie scoped to the survey keeps
//! its seed, so the first page keeps its order too. It holds a random number and nothing else.

use poem::http::HeaderMap;
use poem::http::header::{COOKIE, SET_COOKIE};
use poem::{IntoResponse, Response};

use crate::form::shuffle;

const NAME: &str = "fieldnotes_order";
/// As long as a respondent may take to come back to a survey's first page.
const MAX_AGE_SECONDS: u64 = 30 * 24 * 3600;

/// The seed this browser was given for the survey, if it sent one.
pub fn from_cookie(headers: &HeaderMap) -> Option<u64> {
    headers
        .get_all(COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == NAME)
        .and_then(|(_, value)| value.parse::<u64>().ok())
        .filter(|seed| *seed != 0)
}

/// The browser's seed, or a new one and the cookie that keeps it.
pub fn seed(headers: &HeaderMap) -> (u64, bool) {
    match from_cookie(headers) {
        Some(seed) => (seed, false),
        None => (shuffle::new_seed().max(1), true),
    }
}

/// The response, with the cookie that keeps a new seed for this survey's pages.
pub fn keep(response: Response, form_id: &str, seed: u64) -> Response {
    let cookie = format!(
        "{NAME}={seed}; Path=/s/{form_id}; Max-Age={MAX_AGE_SECONDS}; HttpOnly; SameSite=Lax"
    );
    response.with_header(SET_COOKIE, cookie).into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_seed_is_read_from_its_own_cookie_only() {
        let mut headers = HeaderMap::new();
        headers.insert(COOKIE, "a=1; fieldnotes_order=42; b=2".parse().unwrap());
        assert_eq!(seed(&headers), (42, false));
        let mut other = HeaderMap::new();
        other.insert(COOKIE, "fieldnotes_order=x".parse().unwrap());
        assert!(seed(&other).1, "a bad cookie gets a new seed");
    }
}
