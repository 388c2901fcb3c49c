//! Quotas on the hosted page: a respondent whose answers fall in a full quota is shown its
//! message as soon as their answers decide it, rather than after answering everything.

use std::collections::HashSet;
use std::sync::Arc;

use poem::Response;
use poem::http::StatusCode;

use super::message_page;
use crate::app::AppState;
use crate::form::{Answers, Form};

const TITLE: &str = "Thank you for your interest";

/// The page a screened-out respondent sees.
pub fn screened_out_page(message: &str) -> Response {
    message_page(StatusCode::OK, TITLE, message)
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
    let counts = match tokio::task::spawn_blocking(move || store.quota_counts(&form_id)).await {
        Ok(Ok(counts)) => counts,
        // Unknown counts screen nobody out here; the submission's own check still holds.
        Ok(Err(e)) => {
            tracing::warn!("reading quota counts failed: {e}");
            return None;
        }
        Err(e) => {
            tracing::warn!("reading quota counts failed: {e}");
            return None;
        }
    };
    decided
        .into_iter()
        .find(|q| counts.get(&q.name).copied().unwrap_or(0) >= q.limit)
        .map(|q| screened_out_page(&q.message))
}
