//! Webhooks: form files declare endpoints (`[[webhooks]]`); each event is queued in the store
//! in the same write as the change it reports (`event`), and a task started by `serve`
//! (`worker`) posts them signed the Standard Webhooks way (`sign`, `deliver`), at least once
//! and in order per endpoint, retrying with backoff (`retry`) and recording every outcome.
//! Nothing here knows about HTTP servers; the API reads `Webhooks::report`.

mod deliver;
mod endpoint;
mod event;
mod retry;
mod settings;
mod sign;
mod worker;

use std::sync::Arc;

pub use endpoint::{Endpoint, SetupError, endpoint_id};
pub use event::{interview_change, response_created, response_erased};
pub use retry::{AfterFailure, RetryPolicy};
pub use settings::{SecretSource, WebhookConfig};
pub use worker::{Deliveries, start};

use crate::form::Catalog;
use crate::store::{FinishedWebhook, QueuedWebhook, StoreError, WebhookStore};

/// How many finished messages each endpoint's log keeps, and apart how many failed ones.
pub const LOG_KEEP: usize = 50;

/// The endpoints, their outbox and how to deliver: what the worker and the API share.
pub struct Webhooks {
    endpoints: Vec<Arc<Endpoint>>,
    store: Arc<dyn WebhookStore>,
    policy: RetryPolicy,
    poster: deliver::Poster,
}

/// How one endpoint stands, for `GET /api/webhooks`.
pub struct EndpointReport {
    pub endpoint: Arc<Endpoint>,
    /// Messages waiting, the one being delivered included.
    pub queued: u64,
    /// The head of the queue: the message being delivered or waiting for its next try.
    pub pending: Option<QueuedWebhook>,
    /// Finished messages, newest first.
    pub deliveries: Vec<FinishedWebhook>,
    /// Given-up messages, newest first.
    pub failures: Vec<FinishedWebhook>,
}

impl Webhooks {
    /// Looks up every endpoint's secret; fails, naming each variable and form, when one is
    /// unset or unusable.
    pub fn new(
        catalog: &Catalog,
        config: &WebhookConfig,
        store: Arc<dyn WebhookStore>,
    ) -> Result<Webhooks, SetupError> {
        let endpoints = endpoint::resolve(catalog, &config.secrets)?;
        let poster = deliver::Poster::new().map_err(|e| SetupError { problems: vec![e] })?;
        Ok(Webhooks {
            endpoints,
            store,
            policy: RetryPolicy {
                base: config.retry_base,
                max_wait: retry::MAX_WAIT,
                give_up_after: config.give_up_after,
            },
            poster,
        })
    }

    pub fn endpoints(&self) -> &[Arc<Endpoint>] {
        &self.endpoints
    }

    /// For the start-up log: where events go (never a secret).
    pub fn describe(&self) -> String {
        if self.endpoints.is_empty() {
            return "no webhooks declared".into();
        }
        let list: Vec<String> = self
            .endpoints
            .iter()
            .map(|e| format!("{} ({}) for form '{}'", e.url, e.id, e.form))
            .collect();
        format!("webhooks post to {}", list.join(", "))
    }

    /// Every endpoint's queue and log.
    pub async fn report(&self) -> Result<Vec<EndpointReport>, StoreError> {
        let store = self.store.clone();
        let endpoints = self.endpoints.clone();
        tokio::task::spawn_blocking(move || {
            endpoints
                .into_iter()
                .map(|endpoint| {
                    Ok(EndpointReport {
                        queued: store.webhook_queue_len(&endpoint.id)?,
                        pending: store.webhook_head(&endpoint.id)?,
                        deliveries: store.finished_webhooks(&endpoint.id, LOG_KEEP)?,
                        failures: store.failed_webhooks(&endpoint.id, LOG_KEEP)?,
                        endpoint,
                    })
                })
                .collect()
        })
        .await
        .map_err(|e| StoreError::Backend(format!("a store task failed: {e}")))?
    }
}
