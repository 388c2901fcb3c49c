//! The webhook outbox: messages queued per endpoint in the same write as the change they
//! report, how the delivery of each queue's head stands, and the record of finished ones.
//!
//! The store decides nothing about delivery: the domain builds each message (its body
//! included) and, after each attempt, the new state of the head; the store keeps them.
//! Each endpoint's queue is kept in the order its messages were queued.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::StoreError;

/// One message to post, as the domain built it. It holds no secret: the signature is made
/// at each attempt from the endpoint's secret, which only the running server knows.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WebhookMessage {
    /// The endpoint's id: which queue the message joins.
    pub endpoint: String,
    /// The `webhook-id` header, the same on every attempt.
    pub id: String,
    /// `response.created`, `note.edited`, ...
    pub event: String,
    /// The exact body posted and signed.
    pub body: String,
    pub created_at: DateTime<Utc>,
}

/// What one attempt came to.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AttemptOutcome {
    /// The receiver answered with this status.
    Status(u16),
    /// No answer: the connection failed or timed out.
    Error(String),
}

/// A queued message and how its delivery stands.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct QueuedWebhook {
    /// Its place in the endpoint's queue.
    pub seq: u64,
    pub message: WebhookMessage,
    #[serde(default)]
    pub attempts: u32,
    pub first_attempt_at: Option<DateTime<Utc>>,
    pub last_attempt_at: Option<DateTime<Utc>>,
    pub last_outcome: Option<AttemptOutcome>,
    /// Not before this time; `None`: as soon as possible.
    pub next_attempt_at: Option<DateTime<Utc>>,
}

/// A message off its queue: delivered, or given up on.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FinishedWebhook {
    pub seq: u64,
    pub id: String,
    pub event: String,
    pub created_at: DateTime<Utc>,
    pub attempts: u32,
    pub first_attempt_at: Option<DateTime<Utc>>,
    pub last_attempt_at: Option<DateTime<Utc>>,
    pub outcome: Option<AttemptOutcome>,
    pub delivered: bool,
}

pub trait WebhookStore: Send + Sync + 'static {
    /// Whether this process may deliver the endpoint's queue: with many processes on one
    /// store, one at a time holds it (until it stops), so no message goes out twice. A store
    /// one process opens always answers yes.
    fn hold_endpoint(&self, endpoint: &str) -> Result<bool, StoreError> {
        let _ = endpoint;
        Ok(true)
    }

    /// The oldest message of an endpoint's queue: the one to deliver next.
    fn webhook_head(&self, endpoint: &str) -> Result<Option<QueuedWebhook>, StoreError>;

    /// How many messages wait in an endpoint's queue, the head included.
    fn webhook_queue_len(&self, endpoint: &str) -> Result<u64, StoreError>;

    /// Replaces a queued message's delivery state (after a failed attempt); returns once it
    /// is on disk. A message no longer queued is left alone.
    fn update_webhook(&self, queued: &QueuedWebhook) -> Result<(), StoreError>;

    /// Takes a message off its queue and records how it finished, among the endpoint's last
    /// `keep` finished messages, and among its last `keep` failures when it was given up on;
    /// returns once it is on disk.
    fn finish_webhook(
        &self,
        endpoint: &str,
        finished: &FinishedWebhook,
        keep: usize,
    ) -> Result<(), StoreError>;

    /// An endpoint's finished messages, newest first, at most `limit`.
    fn finished_webhooks(
        &self,
        endpoint: &str,
        limit: usize,
    ) -> Result<Vec<FinishedWebhook>, StoreError>;

    /// An endpoint's given-up messages, newest first, at most `limit`.
    fn failed_webhooks(
        &self,
        endpoint: &str,
        limit: usize,
    ) -> Result<Vec<FinishedWebhook>, StoreError>;
}
