//! Outside texts (support tickets, reviews, sales-call notes) behind their own interface.
//! Each text belongs to one source of one report; it is written and removed with its
//! contributions to that report's aggregates in the same atomic write, as responses are.
//! What a text contributes (its themes, its segment) is the domain's to say: the store asks
//! through `TextContributions` and keeps what it is given.

use serde::{Deserialize, Serialize};

use super::StoreError;
use crate::tally::Contribution;

/// One outside text as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredText {
    pub report: String,
    pub source: String,
    /// The upsert key: the file's `id`, or one generated at import.
    pub id: String,
    pub text: String,
    /// RFC 3339, UTC.
    pub at: String,
    /// The contact it is linked to, by key.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub customer_id: Option<String>,
    /// Sorts the text among a report's texts by time: a UUID v7 of `at`, kept so that a
    /// rebuild files the text where the import did.
    pub order: uuid::Uuid,
    /// The segment the domain placed the text in: where it counts, in incremental writes and
    /// rebuilds alike.
    pub segment: String,
}

/// A text's address: report, source and id.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct TextKey {
    pub report: String,
    pub source: String,
    pub id: String,
}

impl StoredText {
    pub fn key(&self) -> TextKey {
        TextKey {
            report: self.report.clone(),
            source: self.source.clone(),
            id: self.id.clone(),
        }
    }
}

/// What a write did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TextCounts {
    pub created: u64,
    pub updated: u64,
}

/// What a stored text contributes to its report's aggregates; run inside the store's write,
/// on the text replaced or removed (taken out) and on the text written (added).
pub type TextContributions<'a> = &'a (dyn Fn(&StoredText) -> Vec<Contribution> + Sync);

pub type TextIter = Box<dyn Iterator<Item = Result<StoredText, StoreError>> + Send>;

pub trait TextStore: Send + Sync + 'static {
    fn text(&self, key: &TextKey) -> Result<Option<StoredText>, StoreError>;

    /// Every text of a report, in key order, read lazily.
    fn report_texts(&self, report: &str) -> TextIter;

    /// The texts linked to a contact, over every report.
    fn contact_texts(&self, customer_id: &str) -> Result<Vec<StoredText>, StoreError>;

    /// Upserts texts (one key at most once) in one atomic write: for each, the contributions
    /// of the text it replaces are taken out and its own added, for the reports that count
    /// texts now (see `RebuildProgress::counts`). Returns once it is on disk.
    fn put_texts(
        &self,
        texts: &[StoredText],
        contributions: TextContributions,
    ) -> Result<TextCounts, StoreError>;

    /// Removes texts with their contributions in one atomic write; returns how many there
    /// were, once it is on disk.
    fn delete_texts(
        &self,
        keys: &[TextKey],
        contributions: TextContributions,
    ) -> Result<u64, StoreError>;
}

/// What outside texts need of a store: the texts, and the responses that place them.
pub trait TextBackend: TextStore + super::ResponseStore {}

impl<T: TextStore + super::ResponseStore> TextBackend for T {}
