//! The webhook delivery log: each endpoint's queue, last deliveries and failures.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use poem_openapi::payload::Json;
use poem_openapi::{Object, OpenApi};

use super::ApiTags;
use super::auth::Researcher;
use super::error::ApiError;
use crate::app::AppState;
use crate::mail::timestamp;
use crate::store::{AttemptOutcome, FinishedWebhook, QueuedWebhook};
use crate::webhooks::EndpointReport;

#[derive(Debug, Object)]
pub struct WebhookList {
    /// Every `[[webhooks]]` endpoint of the forms, in form order.
    pub endpoints: Vec<EndpointJson>,
}

#[derive(Debug, Object)]
pub struct EndpointJson {
    /// Derived from the form and the URL; stays the same across restarts.
    pub id: String,
    pub form: String,
    pub url: String,
    pub events: Vec<String>,
    /// Messages waiting, the one being delivered included.
    pub queued: u64,
    /// The head of the queue, being delivered or waiting for its next try (absent when the
    /// queue is empty); it holds the rest back until it is delivered or given up on.
    #[oai(skip_serializing_if_is_none)]
    pub pending: Option<PendingJson>,
    /// The last finished messages (delivered or given up on), newest first.
    pub deliveries: Vec<DeliveryJson>,
    /// The last messages given up on, newest first.
    pub failures: Vec<DeliveryJson>,
}

#[derive(Debug, Object)]
pub struct PendingJson {
    /// The `webhook-id` header.
    pub id: String,
    pub event: String,
    pub attempts: u32,
    /// The status of the last attempt, when the receiver answered.
    #[oai(skip_serializing_if_is_none)]
    pub status: Option<u16>,
    /// Why the last attempt got no answer, when it did not.
    #[oai(skip_serializing_if_is_none)]
    pub error: Option<String>,
    pub created_at: String,
    #[oai(skip_serializing_if_is_none)]
    pub first_attempt_at: Option<String>,
    #[oai(skip_serializing_if_is_none)]
    pub last_attempt_at: Option<String>,
    /// When it is tried next; absent: now.
    #[oai(skip_serializing_if_is_none)]
    pub next_attempt_at: Option<String>,
}

#[derive(Debug, Object)]
pub struct DeliveryJson {
    /// The `webhook-id` header.
    pub id: String,
    pub event: String,
    /// True when a 2xx answered it; false when it was given up on.
    pub delivered: bool,
    /// The status of the last attempt, when the receiver answered.
    #[oai(skip_serializing_if_is_none)]
    pub status: Option<u16>,
    /// Why the last attempt got no answer, when it did not.
    #[oai(skip_serializing_if_is_none)]
    pub error: Option<String>,
    pub attempts: u32,
    pub created_at: String,
    #[oai(skip_serializing_if_is_none)]
    pub first_attempt_at: Option<String>,
    #[oai(skip_serializing_if_is_none)]
    pub last_attempt_at: Option<String>,
}

fn time(t: Option<DateTime<Utc>>) -> Option<String> {
    t.map(timestamp)
}

fn split(outcome: &Option<AttemptOutcome>) -> (Option<u16>, Option<String>) {
    match outcome {
        Some(AttemptOutcome::Status(code)) => (Some(*code), None),
        Some(AttemptOutcome::Error(text)) => (None, Some(text.clone())),
        None => (None, None),
    }
}

fn pending(q: QueuedWebhook) -> PendingJson {
    let (status, error) = split(&q.last_outcome);
    PendingJson {
        id: q.message.id,
        event: q.message.event,
        attempts: q.attempts,
        status,
        error,
        created_at: timestamp(q.message.created_at),
        first_attempt_at: time(q.first_attempt_at),
        last_attempt_at: time(q.last_attempt_at),
        next_attempt_at: time(q.next_attempt_at),
    }
}

fn delivery(f: FinishedWebhook) -> DeliveryJson {
    let (status, error) = split(&f.outcome);
    DeliveryJson {
        id: f.id,
        event: f.event,
        delivered: f.delivered,
        status,
        error,
        attempts: f.attempts,
        created_at: timestamp(f.created_at),
        first_attempt_at: time(f.first_attempt_at),
        last_attempt_at: time(f.last_attempt_at),
    }
}

fn endpoint(report: EndpointReport) -> EndpointJson {
    let e = &report.endpoint;
    EndpointJson {
        id: e.id.clone(),
        form: e.form.clone(),
        url: e.url.clone(),
        events: e.events.iter().map(|ev| ev.as_str().to_string()).collect(),
        queued: report.queued,
        pending: report.pending.map(pending),
        deliveries: report.deliveries.into_iter().map(delivery).collect(),
        failures: report.failures.into_iter().map(delivery).collect(),
    }
}

pub struct WebhooksApi {
    pub state: Arc<AppState>,
}

#[OpenApi(tag = "ApiTags::Webhooks")]
impl WebhooksApi {
    /// Every webhook endpoint of the forms (never its secret) with its queue length, the
    /// message being delivered, its last deliveries and its failures.
    #[oai(path = "/webhooks", method = "get")]
    async fn list_webhooks(&self, _staff: Researcher) -> Result<Json<WebhookList>, ApiError> {
        let reports = self.state.webhooks.report().await?;
        Ok(Json(WebhookList {
            endpoints: reports.into_iter().map(endpoint).collect(),
        }))
    }
}
