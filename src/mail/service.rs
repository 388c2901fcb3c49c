//! Sending a report's summary and keeping its record: what the API, the command line and the
//! scheduler share.

use std::sync::Arc;

use chrono::{DateTime, SecondsFormat, Utc};
use lettre::message::Mailbox;
use serde::Serialize;

use super::message::{Previous, SummaryInput, compose, to_message};
use super::schedule::{next_due_after, retry_delay};
use super::transport::{Delivered, MailError, Transport};
use crate::analysis::figures::ReportFigures;
use crate::config::MailConfig;
use crate::report::{Cadence, EmailSettings, ReportDef};
use crate::store::{MailState, MailStore, StoreError, blocking};

#[derive(Debug, thiserror::Error)]
pub enum SendError {
    #[error(
        "report '{0}' has no [email] section; add one with `to = [\"you@example.com\"]` to its file"
    )]
    NoEmail(String),
    #[error(transparent)]
    Mail(#[from] MailError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// One summary sent.
#[derive(Debug, Clone, PartialEq)]
pub struct Sent {
    pub to: Vec<String>,
    /// `smtp` or `outbox`.
    pub transport: &'static str,
    pub message_id: String,
    pub delivered: Delivered,
}

/// Why a summary goes out.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Occasion {
    OnDemand,
    /// Scheduled for `due`; its Message-ID is made from it, so that should the same summary
    /// ever arrive twice a mail client sees one message.
    Scheduled {
        due: DateTime<Utc>,
    },
}

/// The `email` object of the report JSON.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct EmailStatus {
    pub to: Vec<String>,
    pub every: Option<String>,
    pub last_sent: Option<String>,
    /// When the next scheduled summary will be attempted (a retry's time while retrying).
    pub next_due: Option<String>,
    pub last_error: Option<String>,
}

pub fn timestamp(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Millis, true)
}

/// Summaries of reports: the transport, the sender, the link base and the bookkeeping.
pub struct Summaries {
    pub(super) transport: Transport,
    pub(super) from: Mailbox,
    pub(super) public_url: String,
    store: Arc<dyn MailStore>,
}

impl Summaries {
    /// Checks the settings (sender, SMTP URL, TLS) without connecting anywhere.
    pub fn new(
        config: &MailConfig,
        outbox: std::path::PathBuf,
        store: Arc<dyn MailStore>,
    ) -> Result<Summaries, MailError> {
        let from: Mailbox = config.from.parse().map_err(|e| {
            MailError::Settings(format!(
                "FIELDNOTES_MAIL_FROM '{}' is not a mail address ({e}); use name@example.com or \"Name <name@example.com>\"",
                config.from
            ))
        })?;
        Ok(Summaries {
            transport: Transport::new(config, outbox)?,
            from,
            public_url: config.public_url.trim_end_matches('/').to_string(),
            store,
        })
    }

    /// For logs: where summaries go.
    pub fn describe(&self) -> String {
        self.transport.describe()
    }

    pub async fn state(&self, report: &str) -> Result<MailState, StoreError> {
        let store = self.store.clone();
        let report = report.to_string();
        blocking(move || store.mail_state(&report)).await
    }

    /// Whether this process keeps the report's schedule (see `MailStore::hold_schedule`).
    pub async fn hold_schedule(&self, report: &str) -> Result<bool, StoreError> {
        let store = self.store.clone();
        let report = report.to_string();
        blocking(move || store.hold_schedule(&report)).await
    }

    pub async fn update(
        &self,
        report: &str,
        change: impl FnMut(&mut MailState) + Send + 'static,
    ) -> Result<MailState, StoreError> {
        let store = self.store.clone();
        let report = report.to_string();
        let mut change = change;
        blocking(move || store.update_mail_state(&report, &mut change)).await
    }

    /// The report's `email` object, for a report with an `[email]` section.
    pub async fn status(&self, report: &ReportDef) -> Result<Option<EmailStatus>, StoreError> {
        let Some(email) = &report.email else {
            return Ok(None);
        };
        let state = self.state(&report.id).await?;
        let schedule = state
            .schedule
            .as_ref()
            .filter(|s| Some(&s.every) == email.every_text.as_ref());
        Ok(Some(EmailStatus {
            to: email.to.clone(),
            every: email.every_text.clone(),
            last_sent: state.last_sent.map(timestamp),
            next_due: schedule.map(|s| timestamp(s.next_attempt)),
            last_error: state.last_error.clone(),
        }))
    }

    fn message_id(&self, report: &str, occasion: Occasion) -> String {
        let domain = self.from.email.domain();
        match occasion {
            Occasion::OnDemand => format!("<{report}.{}@{domain}>", uuid::Uuid::new_v4().simple()),
            Occasion::Scheduled { due } => format!(
                "<{report}.{}.summary@{domain}>",
                due.format("%Y%m%dT%H%M%S%.3fZ")
            ),
        }
    }

    /// Sends the summary of `figures` now and records the outcome (a success's time and
    /// count, or the error) durably. A scheduled send also moves its schedule on: to the
    /// next due time after a success, to a retry after a failure.
    pub async fn send(
        &self,
        report: &ReportDef,
        figures: &ReportFigures,
        profiles: Option<&crate::profiles::Profiles>,
        occasion: Occasion,
    ) -> Result<Sent, SendError> {
        let email = report
            .email
            .as_ref()
            .ok_or_else(|| SendError::NoEmail(report.id.clone()))?;
        let outcome = self
            .attempt(report, email, figures, profiles, occasion)
            .await;
        let responses = figures.responses;
        let cadence = email.every;
        let finished = Utc::now();
        let error_text = outcome.as_ref().err().map(ToString::to_string);
        let recorded = self
            .update(&report.id, move |state| {
                record(state, occasion, cadence, responses, finished, &error_text)
            })
            .await;
        let (delivered, message_id) = outcome?;
        // The message is out: a failure to record it is logged, not reported as a failed
        // send, or the caller might send it again.
        if let Err(e) = recorded {
            tracing::error!(report = %report.id, "summary sent but not recorded: {e}");
        }
        Ok(Sent {
            to: email.to.clone(),
            transport: self.transport.kind(),
            message_id,
            delivered,
        })
    }

    async fn attempt(
        &self,
        report: &ReportDef,
        email: &EmailSettings,
        figures: &ReportFigures,
        profiles: Option<&crate::profiles::Profiles>,
        occasion: Occasion,
    ) -> Result<(Delivered, String), SendError> {
        let recipients = email
            .to
            .iter()
            .map(|to| {
                to.parse::<Mailbox>().map_err(|e| {
                    MailError::Settings(format!("[email] recipient '{to}' is not usable: {e}"))
                })
            })
            .collect::<Result<Vec<_>, _>>()?;
        let state = self.state(&report.id).await?;
        let previous = match (state.last_sent, state.responses_at_last_send) {
            (Some(sent), Some(responses)) => Some(Previous { sent, responses }),
            _ => None,
        };
        let now = Utc::now();
        let summary = compose(&SummaryInput {
            figures,
            profiles,
            previous,
            recipients: &email.to,
            every: email.every_text.as_deref(),
            link: format!("{}/r/{}", self.public_url, report.id),
            now,
        })?;
        let message_id = self.message_id(&report.id, occasion);
        let message = to_message(summary, &self.from, &recipients, message_id.clone(), now)?;
        let stem = format!(
            "{}-{}-{}",
            now.format("%Y%m%dT%H%M%S%.3fZ"),
            report.id,
            &uuid::Uuid::new_v4().simple().to_string()[..8]
        );
        let delivered = self.transport.send(message, &stem).await?;
        Ok((delivered, message_id))
    }
}

/// The outcome of one attempt, written into the report's record.
fn record(
    state: &mut MailState,
    occasion: Occasion,
    cadence: Option<Cadence>,
    responses: u64,
    finished: DateTime<Utc>,
    error: &Option<String>,
) {
    match error {
        None => {
            state.last_sent = Some(finished);
            state.responses_at_last_send = Some(responses);
            state.last_error = None;
            state.last_error_at = None;
        }
        Some(error) => {
            state.last_error = Some(error.clone());
            state.last_error_at = Some(finished);
        }
    }
    let (Occasion::Scheduled { due }, Some(schedule), Some(cadence)) =
        (occasion, state.schedule.as_mut(), cadence)
    else {
        return;
    };
    schedule.sending = false;
    if error.is_none() {
        schedule.due = next_due_after(due, cadence, finished);
        schedule.next_attempt = schedule.due;
        schedule.failures = 0;
    } else {
        schedule.failures += 1;
        let wait = retry_delay(schedule.failures, cadence);
        let wait = chrono::TimeDelta::from_std(wait).unwrap_or(chrono::TimeDelta::hours(1));
        schedule.next_attempt = finished.checked_add_signed(wait).unwrap_or(finished);
    }
}
