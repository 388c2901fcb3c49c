//! Partial responses: what a respondent has answered so far, kept durably page by page so
//! that they can leave and come back (or lose their connection, or the server its process)
//! without losing a submitted page. Each is found by the SHA-256 of its resume token, which
//! itself is never stored.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;
use uuid::Uuid;

use super::{StoreError, StoredResponse, WebhookMessage};
use crate::form::Form;
use crate::tally::Contribution;

/// A respondent's answers so far.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PartialResponse {
    /// A UUID v7 taken when the first page was kept: the order partials are listed in.
    pub id: Uuid,
    pub form: String,
    /// The revision the last page answered.
    pub form_revision: String,
    /// RFC 3339, UTC: when the last page was kept; `partial_days` counts from it.
    pub saved_at: String,
    /// The page to show on resuming (an index into the revision's pages).
    pub page: usize,
    #[serde(default)]
    pub hidden: BTreeMap<String, String>,
    #[serde(default)]
    pub answers: BTreeMap<String, Value>,
    /// When the respondent ticked the consent box (RFC 3339), for a form with consent text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub consent_at: Option<String>,
    /// The language of the last page kept, for a form with languages: a resume goes on in it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub language: Option<String>,
    /// The respondent's shuffle seed, so a resume shows their options in the same order.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub seed: u64,
}

fn is_zero(seed: &u64) -> bool {
    *seed == 0
}

/// What a token's record says.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "state")]
pub enum PartialState {
    Open(PartialResponse),
    /// The answers were submitted as this response. Kept (without the answers) so that the
    /// same final page sent twice, say after a restart ate the first answer, is recognised
    /// rather than stored twice; erased after `partial_days` like an open partial.
    Completed {
        form: String,
        response: Uuid,
        saved_at: String,
    },
}

impl PartialState {
    pub fn form(&self) -> &str {
        match self {
            PartialState::Open(p) => &p.form,
            PartialState::Completed { form, .. } => form,
        }
    }

    pub fn saved_at(&self) -> &str {
        match self {
            PartialState::Open(p) => &p.saved_at,
            PartialState::Completed { saved_at, .. } => saved_at,
        }
    }
}

/// How a final submission with a token went.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Completion {
    /// The response is stored and the partial is gone, in one write.
    Stored,
    /// The token's answers had already been submitted as this response: nothing was written.
    AlreadyStored(Uuid),
}

pub type PartialIter = Box<dyn Iterator<Item = Result<PartialResponse, StoreError>> + Send>;

pub trait PartialStore: Send + Sync + 'static {
    /// Keeps `partial` under the token's hash, replacing what the token held; durable when it
    /// returns. Returns false, and writes nothing, when the token's answers were already
    /// submitted.
    fn save_partial(
        &self,
        token_sha256: &str,
        partial: &PartialResponse,
    ) -> Result<bool, StoreError>;

    fn partial(&self, token_sha256: &str) -> Result<Option<PartialState>, StoreError>;

    /// Forgets an open partial (its respondent withdrew consent); durable when it returns.
    fn delete_partial(&self, token_sha256: &str) -> Result<(), StoreError>;

    /// A form's open partials, oldest first, read lazily.
    fn partials(&self, form_id: &str) -> PartialIter;

    /// Stores the response exactly as `Store::insert_response` does and, in the same write,
    /// replaces the token's partial by the mark that it was completed. When the mark is
    /// already there nothing is written.
    fn complete_partial(
        &self,
        token_sha256: &str,
        response: &StoredResponse,
        form: &Form,
        contributions: &[Contribution],
        webhooks: &[WebhookMessage],
    ) -> Result<Completion, StoreError>;

    /// Erases every record (open partial or completion mark) for which `stale(form,
    /// saved_at)` holds; returns how many, by form.
    fn erase_stale_partials(
        &self,
        stale: &dyn Fn(&str, &str) -> bool,
    ) -> Result<BTreeMap<String, u64>, StoreError>;
}
