//! Survey responses: the records, their quota places and the form revisions they answered.
//!
//! A response is written with everything it changes (its contributions to report
//! aggregates, its quota places, its webhook messages, the partial it finishes) in one atomic
//! write, and erased the same way, so no crash leaves a response counted but not stored or
//! the reverse.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;
use uuid::Uuid;

use super::{StoreError, WebhookMessage};
use crate::form::Form;
use crate::tally::Contribution;

/// One submitted survey response, as stored.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StoredResponse {
    pub id: Uuid,
    pub form: String,
    pub form_revision: String,
    /// RFC 3339, UTC.
    pub submitted_at: String,
    #[serde(default)]
    pub hidden: BTreeMap<String, String>,
    pub answers: BTreeMap<String, Value>,
    /// SHA-256 of the respondent's erasure receipt; the receipt itself is never stored.
    pub receipt_sha256: String,
    /// The consent the respondent gave, for a form with consent text. Absent from records
    /// stored before forms had consent, which therefore still read.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub consent: Option<ConsentGiven>,
    /// The quota places the response takes. The store counts them in the same write that
    /// stores it, refusing it (`StoreError::QuotaFull`) when a place is gone, and frees them
    /// in the write that erases it.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub quotas: Vec<QuotaPlace>,
    /// The order in which shuffled questions showed their options (or matrix rows), by
    /// question id.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub order: BTreeMap<String, Vec<String>>,
    /// The page's language at submission, for a form with `languages`; absent from records of
    /// forms without them and from those stored before, which therefore still read.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub language: Option<String>,
    /// The contact the response came from, when its invitation (or the form's `contact_key`
    /// hidden field) named one; absent otherwise, and then the `customer_id` hidden field, if
    /// any, links it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub contact: Option<String>,
}

/// A place in one of a form's quotas: its name and how many places it had when taken.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct QuotaPlace {
    pub name: String,
    pub limit: u64,
}

/// What a respondent agreed to and when.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ConsentGiven {
    /// SHA-256 (hex) of the form's consent text as shown: which wording was agreed to, even
    /// after the form file changes.
    pub text_sha256: String,
    /// RFC 3339, UTC.
    pub at: String,
}

/// Computes a response's contributions; run inside the store's write so it sees the record
/// exactly as it is erased.
pub type ContributionsOf<'a> = &'a (dyn Fn(&StoredResponse) -> Vec<Contribution> + Sync);

pub type ResponseIter = Box<dyn Iterator<Item = Result<StoredResponse, StoreError>> + Send>;

pub trait ResponseStore: Send + Sync + 'static {
    /// Stores the response, its contributions to report aggregates and the webhook messages
    /// that report it (in the same write) and, the first time a revision is answered, the
    /// form as it was. Returns once it is on disk.
    fn insert_response(
        &self,
        response: &StoredResponse,
        form: &Form,
        contributions: &[Contribution],
        webhooks: &[WebhookMessage],
    ) -> Result<(), StoreError>;

    fn response(&self, id: Uuid) -> Result<Option<StoredResponse>, StoreError>;

    /// How many places each of a form's quotas has taken, by quota name.
    fn quota_counts(&self, form_id: &str) -> Result<BTreeMap<String, u64>, StoreError>;

    /// Erases a response for good, taking its contributions out of the aggregates and
    /// queuing the webhook messages that report the erasure in the same write; returns it,
    /// or `None` when there was none (and then queues nothing).
    fn delete_response(
        &self,
        id: Uuid,
        contributions: ContributionsOf,
        webhooks: &[WebhookMessage],
    ) -> Result<Option<StoredResponse>, StoreError>;

    /// A form's responses, oldest first, read lazily so that exports stay flat in memory.
    fn responses(&self, form_id: &str) -> ResponseIter;

    /// How many responses a form has, without reading them (the XLSX export checks that
    /// they fit in one sheet before it writes anything).
    fn count_responses(&self, form_id: &str) -> Result<u64, StoreError>;

    /// Every revision of a form that has responses, oldest first.
    fn revisions(&self, form_id: &str) -> Result<Vec<Form>, StoreError>;
}
