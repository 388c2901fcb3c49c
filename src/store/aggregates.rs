//! Report aggregates: per-segment tallies, theme texts, uncoded terms and the evidence index
//! of profile cards, kept up to date by every response and note write and rebuilt from the
//! stored records when a report's definition changes.
//!
//! The rebuild protocol every backend keeps (the domain's side is `analysis::rebuild`):
//! - `begin_rebuild` clears a report's aggregates and records a `RebuildProgress` whose
//!   cursor is before the first response.
//! - Each `rebuild_step` folds the next batch of responses after the cursor and advances it,
//!   atomically with respect to response and note writers. A writer counts its change in a
//!   report's aggregates now only when `RebuildProgress::counts` says so: a response at or
//!   before the cursor, or anything once ready. The rest is left for the rebuild, so every
//!   record counts exactly once.
//! - The step that finds fewer responses than its batch folds in the notes (which the domain
//!   supplies, read while writers are held off) and marks the aggregates ready in the same
//!   atomic write.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::{ContributionsOf, StoreError, StoredResponse};
use crate::tally::{
    Contribution, DayTally, JobStatement, SegmentStats, ThemeTextRecord, merge_by_segment,
};

/// Where a report's aggregates stand.
#[derive(Debug, Clone, PartialEq)]
pub enum AggregateState {
    /// Never built for this definition: a rebuild must start.
    Missing,
    Building {
        done: u64,
        total: u64,
    },
    Ready(BTreeMap<String, SegmentStats>),
}

/// What a segment's evidence index holds for its profile card.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SegmentEvidence {
    /// RFC 3339 times of the segment's oldest and newest response.
    pub first_at: Option<String>,
    pub last_at: Option<String>,
    /// Loyalty counts by UTC day (`YYYY-MM-DD`), oldest first.
    pub days: BTreeMap<String, DayTally>,
    /// Job statements from survey answers, newest first.
    pub jobs: Vec<JobStatement>,
}

/// A survey text that mentions a theme, with when it was given.
#[derive(Debug, Clone, PartialEq)]
pub struct DatedText {
    pub at: chrono::DateTime<chrono::Utc>,
    pub record: ThemeTextRecord,
}

pub type ThemeTextIter = Box<dyn Iterator<Item = Result<ThemeTextRecord, StoreError>> + Send>;

/// Every note contribution that counts in the report being rebuilt; called by the backend
/// while writers are held off, so that no note is missed or counted twice.
pub type NotesOf<'a> = &'a (dyn Fn() -> Result<Vec<Contribution>, StoreError> + Sync);

/// Where a report's rebuild stands, as the backend keeps it beside the aggregates.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RebuildProgress {
    /// The report's definition the aggregates are for.
    pub key: String,
    pub ready: bool,
    /// The last response folded in by the rebuild, in the form's time order.
    pub cursor: Option<Uuid>,
    pub done: u64,
    pub total: u64,
}

impl RebuildProgress {
    /// A rebuild about to start, for a form with `total` responses.
    pub fn start(key: &str, total: u64) -> RebuildProgress {
        RebuildProgress {
            key: key.to_string(),
            ready: false,
            cursor: None,
            done: 0,
            total,
        }
    }

    /// Whether a write counts in these aggregates now: a response (by id) once the rebuild
    /// has passed it, a note (`None`) only once they are ready. Anything else the rebuild
    /// still folds in itself.
    pub fn counts(&self, response: Option<Uuid>) -> bool {
        self.ready || response.is_some_and(|id| self.cursor.is_some_and(|cursor| id <= cursor))
    }

    /// Records a folded batch of `seen` responses ending at `last`; a short batch means the
    /// rebuild has reached the end of the form's responses.
    pub fn advance(&mut self, seen: usize, last: Option<Uuid>, batch: usize) {
        if last.is_some() {
            self.cursor = last;
        }
        self.done += seen as u64;
        self.total = self.total.max(self.done);
        self.ready = seen < batch;
    }

    /// What one rebuild step folds in, merged by segment: the contributions to `report` of
    /// the batch's responses (by id; `None` for one erased since it was listed) and, when the
    /// batch is short and so the last, of the notes. Advances the progress past the batch.
    pub fn fold(
        &mut self,
        report: &str,
        batch: usize,
        responses: Vec<(Uuid, Option<StoredResponse>)>,
        contributions_of: ContributionsOf,
        notes: NotesOf,
    ) -> Result<Vec<Contribution>, StoreError> {
        let seen = responses.len();
        let last = responses.last().map(|(id, _)| *id);
        let mut contributions = Vec::new();
        for response in responses.into_iter().filter_map(|(_, r)| r) {
            contributions.extend(contributions_of(&response));
        }
        self.advance(seen, last, batch);
        if self.ready {
            contributions.extend(notes()?);
        }
        contributions.retain(|c| c.report == report);
        Ok(merge_by_segment(contributions))
    }

    pub fn state(&self) -> AggregateState {
        AggregateState::Building {
            done: self.done,
            total: self.total,
        }
    }
}

pub trait AggregateStore: Send + Sync + 'static {
    /// A report's aggregates for its current definition (`key`), or how far their rebuild is.
    fn aggregates(&self, report: &str, key: &str) -> Result<AggregateState, StoreError>;

    /// Starts over a report's aggregates for a new definition: clears them and marks them
    /// as building. Returns false when they are already built for `key`, true when a
    /// rebuild must run (a new one, or one a restart interrupted).
    fn begin_rebuild(&self, report: &str, key: &str, form_id: &str) -> Result<bool, StoreError>;

    /// Folds the next `batch` stored responses into a building report's aggregates (each
    /// one's contributions from `contributions`) and, after the last batch, what `notes`
    /// returns; returns true once they are ready. See the protocol above.
    fn rebuild_step(
        &self,
        report: &str,
        form_id: &str,
        batch: usize,
        contributions: ContributionsOf,
        notes: NotesOf,
    ) -> Result<bool, StoreError>;

    /// The texts that mention a theme, interview quotes first, read lazily.
    fn theme_texts(&self, report: &str, theme: &str) -> ThemeTextIter;

    /// A report's uncoded term counts, summed over the segments `include` accepts.
    fn terms(
        &self,
        report: &str,
        include: &dyn Fn(&str) -> bool,
    ) -> Result<BTreeMap<String, u64>, StoreError>;

    /// A segment's period, loyalty counts by day and up to `jobs` newest job statements.
    fn segment_evidence(
        &self,
        report: &str,
        segment: &str,
        jobs: usize,
    ) -> Result<SegmentEvidence, StoreError>;

    /// Up to `limit` of a segment's survey texts that mention a theme, newest first.
    fn segment_theme_texts(
        &self,
        report: &str,
        segment: &str,
        theme: &str,
        limit: usize,
    ) -> Result<Vec<DatedText>, StoreError>;
}
