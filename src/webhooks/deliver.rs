//! One attempt: POST the message with the Standard Webhooks headers and see what came back.

use std::error::Error as _;
use std::time::Duration;

use chrono::Utc;

use super::endpoint::Endpoint;
use crate::store::{AttemptOutcome, WebhookMessage};

/// How long a receiver has to answer, connection included.
pub const RECEIVER_TIMEOUT: Duration = Duration::from_secs(10);

/// The HTTP client every delivery shares (its connections are kept and reused).
pub struct Poster {
    client: reqwest::Client,
}

impl Poster {
    pub fn new() -> Result<Poster, String> {
        let client = reqwest::Client::builder()
            .timeout(RECEIVER_TIMEOUT)
            // A redirect would re-post a signed body to an address nobody declared.
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("fieldnotes/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| format!("cannot set up the webhook HTTP client: {e}"))?;
        Ok(Poster { client })
    }

    /// Posts `message` to `endpoint`, signed for this moment.
    pub async fn post(&self, endpoint: &Endpoint, message: &WebhookMessage) -> AttemptOutcome {
        let timestamp = Utc::now().timestamp();
        let signature = endpoint
            .key
            .signature(&message.id, timestamp, &message.body);
        let sent = self
            .client
            .post(&endpoint.url)
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .header("webhook-id", &message.id)
            .header("webhook-timestamp", timestamp.to_string())
            .header("webhook-signature", signature)
            .body(message.body.clone())
            .send()
            .await;
        match sent {
            Ok(response) => AttemptOutcome::Status(response.status().as_u16()),
            Err(e) => AttemptOutcome::Error(describe(e)),
        }
    }
}

/// A short reason for a failed request. The URL is left out: it is shown beside it anyway.
fn describe(e: reqwest::Error) -> String {
    if e.is_timeout() {
        return format!("no answer within {} s", RECEIVER_TIMEOUT.as_secs());
    }
    let e = e.without_url();
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    if e.is_connect() {
        format!("cannot connect ({text})")
    } else {
        text
    }
}

/// Whether the receiver took the message.
pub fn accepted(outcome: &AttemptOutcome) -> bool {
    matches!(outcome, AttemptOutcome::Status(code) if (200..300).contains(code))
}
