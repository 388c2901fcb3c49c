//! What the team adds to a profile card, kept beside the computed figures: a label and
//! notes, frontline reviews and activations. One record per report and segment, changed only
//! through `update_card_notes`, which applies a change atomically and returns once it is on
//! disk.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use super::StoreError;

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct CardNotes {
    pub label: Option<String>,
    #[serde(default)]
    pub notes: String,
    #[serde(default)]
    pub reviews: Vec<Review>,
    #[serde(default)]
    pub activations: Vec<Activation>,
    pub updated_at: Option<DateTime<Utc>>,
}

/// A frontline team's verdict on one field of a card.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Review {
    pub id: String,
    pub team: String,
    pub field: String,
    pub verdict: String,
    #[serde(default)]
    pub comment: String,
    pub at: DateTime<Utc>,
}

/// A change made because of the card (step 9 of the method).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Activation {
    pub id: String,
    pub kind: String,
    pub title: String,
    pub started: NaiveDate,
    pub created_at: DateTime<Utc>,
}

pub trait ProfileStore: Send + Sync + 'static {
    /// The team's record of a card; empty when nothing was ever said.
    fn card_notes(&self, report: &str, segment: &str) -> Result<CardNotes, StoreError>;

    /// Applies `change` atomically and returns the new record once it is on disk. `change`
    /// must depend only on the record it is given: a backend may apply it again to a fresher
    /// record rather than lock.
    fn update_card_notes(
        &self,
        report: &str,
        segment: &str,
        change: &mut dyn FnMut(&mut CardNotes),
    ) -> Result<CardNotes, StoreError>;
}
