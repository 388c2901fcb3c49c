//! Health without writes on the request path (SPEC "Health"): a check answers from the
//! outcome of the store's most recent durable write; when none came in the last second it
//! asks a background probe, which writes at most once a second however many checks come.
//! So a flood of health checks costs no I/O beyond one small write a second.

use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use tokio::sync::{Notify, watch};

use crate::store::Store;

/// How fresh an outcome must be to answer from it; also the probe's minimum interval.
const FRESH: Duration = Duration::from_secs(1);
/// How long a check waits for the probe before calling the store unwell.
const PATIENCE: Duration = Duration::from_secs(5);

type Outcome = Option<(Instant, Result<(), String>)>;

/// The probe task's doorbell and its latest outcome.
struct Probe {
    wanted: Arc<Notify>,
    probed: watch::Receiver<Outcome>,
}

pub struct Health {
    store: Arc<dyn Store>,
    /// Started by the first check, on the server's runtime.
    probe: OnceLock<Probe>,
}

impl Health {
    pub fn new(store: Arc<dyn Store>) -> Health {
        Health {
            store,
            probe: OnceLock::new(),
        }
    }

    fn probe(&self) -> &Probe {
        self.probe.get_or_init(|| start_probe(self.store.clone()))
    }

    /// Ok when the latest durable write or probe succeeded; its error otherwise.
    pub async fn check(&self) -> Result<(), String> {
        let fresh = |outcome: &Option<(Instant, Result<(), String>)>| {
            outcome
                .as_ref()
                .filter(|(at, _)| at.elapsed() <= FRESH)
                .map(|(_, result)| result.clone())
        };
        if let Some(result) = fresh(&self.store.last_durable_write()) {
            return result;
        }
        let probe = self.probe();
        let mut probed = probe.probed.clone();
        if let Some(result) = fresh(&probed.borrow_and_update()) {
            return result;
        }
        probe.wanted.notify_one();
        let waited = tokio::time::timeout(PATIENCE, async {
            loop {
                if probed.changed().await.is_err() {
                    return Err("the health probe has stopped".to_string());
                }
                if let Some(result) = fresh(&probed.borrow_and_update()) {
                    return result;
                }
            }
        })
        .await;
        waited.unwrap_or_else(|_| Err("no write reached the disk within 5 s".into()))
    }
}

/// The probe: one write when asked, then at least a second before the next.
fn start_probe(store: Arc<dyn Store>) -> Probe {
    let wanted = Arc::new(Notify::new());
    let (tx, probed) = watch::channel(None);
    let doorbell = wanted.clone();
    tokio::spawn(async move {
        loop {
            doorbell.notified().await;
            let store = store.clone();
            let outcome = tokio::task::spawn_blocking(move || store.probe_write())
                .await
                .map_err(|e| e.to_string())
                .and_then(|r| r.map_err(|e| e.to_string()));
            if tx.send(Some((Instant::now(), outcome))).is_err() {
                return;
            }
            tokio::time::sleep(FRESH).await;
        }
    });
    Probe { wanted, probed }
}
