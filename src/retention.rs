//! `retain_days`: a survey's responses older than it are erased exactly as their respondent
//! would erase them (`responses::erase`, the path of `DELETE /api/responses/{id}`), so they
//! leave the aggregates, themes, quotes, evidence index and cards with them, and a
//! `response.erased` webhook goes out. `partial_days`: unfinished responses (partials)
//! untouched that long are erased, and so are the marks of finished ones. A task started by
//! `serve` looks at start and then every hour, and stops with the server.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use chrono::{DateTime, TimeDelta, Utc};
use tokio::sync::watch;
use tokio::task::JoinHandle;
use uuid::Uuid;

use crate::app::AppState;
use crate::form::Catalog;
use crate::form::DEFAULT_PARTIAL_DAYS;
use crate::report::Reports;
use crate::responses::{self, EraseError};
use crate::store::{PartialStore, Store, StoreError};

/// How often the task looks: the contract is "at least hourly".
pub const EVERY: Duration = Duration::from_secs(60 * 60);

pub struct Retention {
    stop: watch::Sender<bool>,
    /// Seen between two erasures, so that a long pass ends soon after a stop is asked.
    stopping: Arc<AtomicBool>,
    task: JoinHandle<()>,
}

/// Starts the task.
pub fn start(state: Arc<AppState>) -> Retention {
    start_every(state, EVERY)
}

/// The same, looking every `every` (the tests look more often than hourly).
pub fn start_every(state: Arc<AppState>, every: Duration) -> Retention {
    let (stop, stopped) = watch::channel(false);
    let stopping = Arc::new(AtomicBool::new(false));
    let task = tokio::spawn(run(state, every, stopped, stopping.clone()));
    Retention {
        stop,
        stopping,
        task,
    }
}

impl Retention {
    /// Asks the task to stop and waits for it: at most the erasure under way finishes.
    pub async fn stop(self) {
        self.stopping.store(true, Ordering::SeqCst);
        let _ = self.stop.send(true);
        let _ = self.task.await;
    }
}

async fn run(
    state: Arc<AppState>,
    every: Duration,
    mut stopped: watch::Receiver<bool>,
    stopping: Arc<AtomicBool>,
) {
    let kept: Vec<String> = state
        .catalog
        .iter()
        .filter_map(|f| Some(format!("{} {} days", f.id, f.retain_days?)))
        .collect();
    if !kept.is_empty() {
        tracing::info!(
            "responses are erased once older than retain_days: {}",
            kept.join(", ")
        );
    }
    loop {
        let (pass_state, pass_stopping) = (state.clone(), stopping.clone());
        let pass = tokio::task::spawn_blocking(move || {
            erase_expired(
                pass_state.store.as_ref(),
                &pass_state.catalog,
                &pass_state.reports,
                Utc::now(),
                &pass_stopping,
            )
        })
        .await;
        match pass {
            Ok(Ok(erased)) => log(&erased),
            Ok(Err(e)) => tracing::error!("erasing responses past retain_days failed: {e}"),
            Err(e) => tracing::error!("erasing responses past retain_days stopped: {e}"),
        }
        let pass_state = state.clone();
        let pass = tokio::task::spawn_blocking(move || {
            erase_stale_partials(
                pass_state.partials.as_ref(),
                &pass_state.catalog,
                Utc::now(),
            )
        })
        .await;
        match pass {
            Ok(Ok(erased)) => {
                for (form, count) in erased {
                    tracing::info!(form = %form, "partial_days: erased {count} unfinished response(s)");
                }
            }
            Ok(Err(e)) => {
                tracing::error!("erasing partial responses past partial_days failed: {e}")
            }
            Err(e) => tracing::error!("erasing partial responses past partial_days stopped: {e}"),
        }
        tokio::select! {
            _ = tokio::time::sleep(every) => {}
            _ = stopped.changed() => return,
        }
    }
}

fn log(erased: &BTreeMap<String, u64>) {
    let total: u64 = erased.values().sum();
    if total == 0 {
        tracing::debug!("retain_days: no response to erase");
    }
    for (form, count) in erased.iter().filter(|(_, n)| **n > 0) {
        tracing::info!(form = %form, "retain_days: erased {count} response(s) older than the form keeps");
    }
}

/// When a stored response was submitted; `None` for a time that does not parse, which is then
/// never erased for its age.
fn submitted(at: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(at)
        .ok()
        .map(|t| t.with_timezone(&Utc))
}

/// Erases every response submitted more than its survey's `retain_days` before `now`;
/// returns how many, by form. Stops between two erasures once `stopping` is set.
pub fn erase_expired(
    store: &dyn Store,
    catalog: &Catalog,
    reports: &Reports,
    now: DateTime<Utc>,
    stopping: &AtomicBool,
) -> Result<BTreeMap<String, u64>, StoreError> {
    let mut erased = BTreeMap::new();
    for form in catalog.iter().filter(|f| f.is_survey()) {
        let Some(days) = form.retain_days else {
            continue;
        };
        if stopping.load(Ordering::SeqCst) {
            break;
        }
        let cutoff = now - TimeDelta::days(i64::from(days));
        // Every response is read, not just the oldest ones: what decides is `submitted_at`, and
        // the ids' time order is not relied on for an erasure the law may ask for.
        let mut expired: Vec<Uuid> = Vec::new();
        for response in store.responses(&form.id) {
            let response = response?;
            if submitted(&response.submitted_at).is_some_and(|at| at < cutoff) {
                expired.push(response.id);
            }
        }
        let mut count = 0;
        for id in expired {
            if stopping.load(Ordering::SeqCst) {
                break;
            }
            match responses::erase(store, catalog, reports, &id.to_string(), None) {
                Ok(()) => count += 1,
                // Erased meanwhile, by its respondent or a researcher.
                Err(EraseError::NotFound) => {}
                Err(EraseError::Store(e)) => return Err(e),
                Err(e @ EraseError::WrongReceipt) => {
                    return Err(StoreError::Backend(e.to_string()));
                }
            }
        }
        erased.insert(form.id.clone(), count);
    }
    Ok(erased)
}

/// Erases every partial response (and mark of a finished one) last kept more than its
/// survey's `partial_days` before `now`; returns how many, by form. A form no longer in the
/// catalog keeps its partials the default time.
pub fn erase_stale_partials(
    partials: &dyn PartialStore,
    catalog: &Catalog,
    now: DateTime<Utc>,
) -> Result<BTreeMap<String, u64>, StoreError> {
    let days: BTreeMap<String, u32> = catalog
        .iter()
        .filter(|f| f.is_survey())
        .map(|f| (f.id.clone(), f.partial_days))
        .collect();
    partials.erase_stale_partials(&|form, saved_at| {
        let days = days.get(form).copied().unwrap_or(DEFAULT_PARTIAL_DAYS);
        submitted(saved_at).is_some_and(|at| at < now - TimeDelta::days(i64::from(days)))
    })
}

#[cfg(test)]
#[path = "retention_tests.rs"]
mod tests;
