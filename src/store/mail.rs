//! What the store keeps about each report's summaries: when one last went out, how many
//! responses it counted, the schedule of the next, and the last error.
//!
//! One small record per report, changed only through `update_mail_state`, which applies a
//! change atomically and returns once it is on disk: a summary recorded as sent stays sent
//! across a crash, so a restart never sends it again.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::StoreError;

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct MailState {
    /// When the last summary (scheduled or on demand) was accepted by the transport.
    pub last_sent: Option<DateTime<Utc>>,
    /// The report's response count in that summary, for "new since the last summary".
    pub responses_at_last_send: Option<u64>,
    /// Why the last attempt failed; `None` once an attempt succeeds.
    pub last_error: Option<String>,
    pub last_error_at: Option<DateTime<Utc>>,
    /// The cadence's bookkeeping; `None` for a report without `every`.
    pub schedule: Option<Schedule>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Schedule {
    /// The `every` text this schedule was computed for; a changed cadence starts over.
    pub every: String,
    /// The due time being served: later ones are counted from it, so the rhythm keeps its
    /// phase through retries and restarts.
    pub due: DateTime<Utc>,
    /// When to try next: `due`, or later while retrying after a failure.
    pub next_attempt: DateTime<Utc>,
    /// Failed attempts at `due` so far, for the backoff.
    pub failures: u32,
    /// Set (durably) just before a send and cleared with its outcome. Found set at start,
    /// it means the process stopped mid-send: the message may have gone, so it is not
    /// sent again.
    pub sending: bool,
}

pub trait MailStore: Send + Sync + 'static {
    /// Whether this process keeps the report's summary schedule: with many processes on one
    /// store, one at a time does (until it stops), so a summary due once goes out once. A
    /// store one process opens always answers yes.
    fn hold_schedule(&self, report: &str) -> Result<bool, StoreError> {
        let _ = report;
        Ok(true)
    }

    /// The record of a report, empty when nothing was ever sent or scheduled.
    fn mail_state(&self, report: &str) -> Result<MailState, StoreError>;

    /// Applies `change` to the record atomically and returns the new record once it is on
    /// disk. `change` must depend only on the record it is given: a backend may apply it
    /// again to a fresher record rather than lock.
    fn update_mail_state(
        &self,
        report: &str,
        change: &mut dyn FnMut(&mut MailState),
    ) -> Result<MailState, StoreError>;
}
