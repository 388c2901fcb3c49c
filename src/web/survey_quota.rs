//! Quotas on the hosted page: a respondent whose answers fall in a full quota is shown its
//! message as soon as their answers decide it, rather than after answering everything.

use std::collections::HashSet;
use std::sync::Arc;

use poem::Response;
use poem::http::StatusCode;

use super::message_page_in;
use crate::app::AppState;
use crate::form::quota::Quota;
use crate::form::{Answers, Form};
use crate::i18n::Locale;

/// The page a respondent screened out by `quota` sees, its message in the page's language.
fn quota_page(form: &Form, quota: &Quota, locale: &Locale) -> Response {
    let message = form.texts(locale.tag()).quota_message(quota);
    message_page_in(
        locale,
        StatusCode::OK,
        &locale.t("quota-full-title"),
        message,
    )
}

/// The page for the quota named `name` (as the store refused it).
pub fn screened_out_page(form: &Form, name: &str, locale: &Locale) -> Response {
    match form.quotas.iter().find(|q| q.name == name) {
        Some(quota) => quota_page(form, quota, locale),
        // The form changed between the answers and the refusal: its title alone.
        None => message_page_in(locale, StatusCode::OK, &locale.t("quota-full-title"), ""),
    }
}

/// The screen-out page, if the answers up to page `current` already decide that they fall
/// in a quota with no place left. Questions of later pages are still to come, so they count
/// as unknown: a rule that one of them could still tip waits for it.
pub async fn screened_out(
    state: &Arc<AppState>,
    form: &Form,
    pages: &[Vec<usize>],
    current: usize,
    answers: &Answers,
    locale: &Locale,
) -> Option<Response> {
    let open: HashSet<&str> = pages
        .iter()
        .skip(current + 1)
        .flatten()
        .map(|&i| form.questions[i].id.as_str())
        .filter(|id| !answers.contains_key(*id))
        .collect();
    let decided: Vec<_> = form
        .quotas
        .iter()
        .filter(|q| q.decided(answers, &open) == Some(true))
        .collect();
    if decided.is_empty() {
        return None;
    }
    let (store, form_id) = (state.store.clone(), form.id.clone());
    let counts = match super::blocking(move || store.quota_counts(&form_id)).await {
        Ok(counts) => counts,
        // Unknown counts screen nobody out here; the submission's own check still holds.
        Err(e) => {
            tracing::warn!("reading quota counts failed: {e}");
            return None;
        }
    };
    decided
        .into_iter()
        .find(|q| counts.get(&q.name).copied().unwrap_or(0) >= q.limit)
        .map(|q| quota_page(form, q, locale))
}
