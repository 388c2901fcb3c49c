//! What the health check asks of the store (SPEC "Health"): the outcome of its latest
//! durable write, and a small write of its own when none came lately.

use std::time::Instant;

use super::StoreError;

pub trait HealthStore: Send + Sync + 'static {
    /// Writes and flushes a marker: the health check's probe when no write came lately.
    fn probe_write(&self) -> Result<(), StoreError>;

    /// When the most recent durable write (or probe) finished, and its error if it failed.
    fn last_durable_write(&self) -> Option<(Instant, Result<(), String>)>;
}
