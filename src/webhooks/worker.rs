//! The delivery task started by `serve`: one loop per endpoint, so that a receiver that is
//! down delays only its own queue. Each loop takes the head of its queue, posts it, and
//! records the outcome on disk before it looks at the next message; the head blocks the
//! rest until it is delivered or given up on, which keeps every endpoint's order.
//!
//! At least once: a message leaves its queue only once its delivery is recorded, so a
//! process that dies mid-attempt posts it again when it is back. Stopping abandons an
//! attempt in flight for the same reason, rather than holding up the shutdown.

use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use tokio::sync::watch;
use tokio::task::JoinSet;

use super::deliver::accepted;
use super::retry::AfterFailure;
use super::{Endpoint, LOG_KEEP, Webhooks};
use crate::store::{FinishedWebhook, QueuedWebhook, StoreError, blocking};

/// How often an empty queue is looked at again. The queue lives in the store, not in
/// memory, so a poll is what notices new messages; it costs one key lookup.
const IDLE_POLL: Duration = Duration::from_millis(200);
/// The longest sleep before a retry is looked at again, so that a clock change is noticed.
const MAX_SLEEP: Duration = Duration::from_secs(60);
/// How long to wait after the store failed before trying it again.
const STORE_ERROR_WAIT: Duration = Duration::from_secs(5);

pub struct Deliveries {
    stop: watch::Sender<bool>,
    tasks: JoinSet<()>,
}

/// Starts one delivery loop per endpoint.
pub fn start(webhooks: Arc<Webhooks>) -> Deliveries {
    let (stop, stopped) = watch::channel(false);
    let mut tasks = JoinSet::new();
    for endpoint in webhooks.endpoints().iter().cloned() {
        tasks.spawn(run(webhooks.clone(), endpoint, stopped.clone()));
    }
    Deliveries { stop, tasks }
}

impl Deliveries {
    /// Stops every loop; an attempt in flight is dropped and made again after the restart.
    pub async fn stop(mut self) {
        let _ = self.stop.send(true);
        while self.tasks.join_next().await.is_some() {}
    }
}

/// What a loop does next.
enum Next {
    Sleep(Duration),
    Stop,
}

async fn run(webhooks: Arc<Webhooks>, endpoint: Arc<Endpoint>, mut stopped: watch::Receiver<bool>) {
    loop {
        if *stopped.borrow() {
            return;
        }
        let wait = match step(&webhooks, &endpoint, &mut stopped).await {
            Next::Sleep(wait) => wait,
            Next::Stop => return,
        };
        if wait.is_zero() {
            continue;
        }
        tokio::select! {
            _ = tokio::time::sleep(wait) => {}
            // A dropped sender means the server is gone: stop as well.
            _ = stopped.changed() => return,
        }
    }
}

/// Delivers the head of the endpoint's queue once, or says how long to wait for it.
async fn step(
    webhooks: &Arc<Webhooks>,
    endpoint: &Arc<Endpoint>,
    stopped: &mut watch::Receiver<bool>,
) -> Next {
    let store = webhooks.store.clone();
    let id = endpoint.id.clone();
    // Of several servers on one database, the one holding the queue delivers it.
    let head = blocking(move || match store.hold_endpoint(&id)? {
        true => store.webhook_head(&id),
        false => Ok(None),
    });
    let head = match head.await {
        Ok(Some(head)) => head,
        Ok(None) => return Next::Sleep(IDLE_POLL),
        Err(e) => {
            tracing::error!(webhook = %endpoint.url, "cannot read the webhook queue: {e}");
            return Next::Sleep(STORE_ERROR_WAIT);
        }
    };
    let started = Utc::now();
    if let Some(at) = head.next_attempt_at
        && at > started
    {
        let wait = (at - started).to_std().unwrap_or(Duration::ZERO);
        return Next::Sleep(wait.min(MAX_SLEEP));
    }
    let outcome = tokio::select! {
        outcome = webhooks.poster.post(endpoint, &head.message) => outcome,
        _ = stopped.changed() => return Next::Stop,
    };
    let ended = Utc::now();
    let mut queued = head;
    queued.attempts += 1;
    let first_attempt = *queued.first_attempt_at.get_or_insert(started);
    queued.last_attempt_at = Some(started);
    queued.last_outcome = Some(outcome.clone());
    let message = &queued.message;
    let recorded = if accepted(&outcome) {
        tracing::info!(
            webhook = %endpoint.url, id = %message.id, event = %message.event,
            attempts = queued.attempts, "webhook delivered"
        );
        finish(webhooks, endpoint, &queued, true).await
    } else {
        match webhooks
            .policy
            .after_failure(first_attempt, ended, queued.attempts)
        {
            AfterFailure::GiveUp => {
                tracing::warn!(
                    webhook = %endpoint.url, id = %message.id, event = %message.event,
                    attempts = queued.attempts, outcome = ?outcome,
                    "webhook given up on; the queue moves on"
                );
                finish(webhooks, endpoint, &queued, false).await
            }
            AfterFailure::RetryAt(at) => {
                tracing::warn!(
                    webhook = %endpoint.url, id = %message.id, event = %message.event,
                    attempts = queued.attempts, outcome = ?outcome,
                    retry_at = %at.to_rfc3339(), "webhook not delivered; retrying"
                );
                queued.next_attempt_at = Some(at);
                let store = webhooks.store.clone();
                blocking(move || store.update_webhook(&queued)).await
            }
        }
    };
    match recorded {
        Ok(()) => Next::Sleep(Duration::ZERO),
        Err(e) => {
            // Not recorded: the head stays as it was and is posted again (at least once).
            tracing::error!(webhook = %endpoint.url, "cannot record a webhook attempt: {e}");
            Next::Sleep(STORE_ERROR_WAIT)
        }
    }
}

async fn finish(
    webhooks: &Webhooks,
    endpoint: &Endpoint,
    queued: &QueuedWebhook,
    delivered: bool,
) -> Result<(), StoreError> {
    let finished = FinishedWebhook {
        seq: queued.seq,
        id: queued.message.id.clone(),
        event: queued.message.event.clone(),
        created_at: queued.message.created_at,
        attempts: queued.attempts,
        first_attempt_at: queued.first_attempt_at,
        last_attempt_at: queued.last_attempt_at,
        outcome: queued.last_outcome.clone(),
        delivered,
    };
    let store = webhooks.store.clone();
    let id = endpoint.id.clone();
    blocking(move || store.finish_webhook(&id, &finished, LOG_KEEP)).await
}
