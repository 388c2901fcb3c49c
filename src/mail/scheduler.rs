//! The cadence: a task started by `serve` that sends each report's summary when it is due.
//!
//! Every decision is read from and written to the store before it is acted on, so the
//! schedule survives restarts. A report first seen is due one period later. A send is
//! claimed durably before it starts and recorded with its outcome, so a process that dies
//! mid-send does not send that summary again when it comes back (at most once). After time
//! down over one or several due times, one summary goes out and the rhythm resumes. A failed
//! send is retried with backoff, well inside the period, with the error in the report JSON.

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use tokio::sync::watch;
use tokio::task::JoinHandle;

use super::schedule::{add_periods, first_due, next_due_after};
use super::service::{Occasion, Summaries, timestamp};
use crate::analysis::ReportOutcome;
use crate::profiles::Profiles;
use crate::report::{Cadence, ReportDef, Reports};
use crate::store::{MailState, Schedule, StoreError};

/// The longest sleep between looks, so that a clock change is noticed within a minute.
const MAX_SLEEP: Duration = Duration::from_secs(60);
/// How long to wait for a report whose aggregates are being rebuilt, or after a store error.
const NOT_READY_WAIT: Duration = Duration::from_secs(5);
/// How long `stop` lets a send in progress finish.
const STOP_GRACE: Duration = Duration::from_secs(10);

/// What a scheduled summary is drafted from; blocking calls (they read the store).
pub trait SummarySource: Send + Sync + 'static {
    fn figures(&self, report: &ReportDef) -> Result<ReportOutcome, StoreError>;
    /// The report's profile cards, or `None` while they cannot be drafted.
    fn cards(&self, report: &ReportDef) -> Option<Profiles>;
}

/// What the loop works with: the reports, the mail service and the figures' source.
struct Deps {
    mail: Arc<Summaries>,
    source: Arc<dyn SummarySource>,
}

pub struct Scheduler {
    stop: watch::Sender<bool>,
    task: JoinHandle<()>,
}

/// Starts the scheduler; without any report that has `every`, it ends at once.
pub fn start(reports: &Reports, mail: Arc<Summaries>, source: Arc<dyn SummarySource>) -> Scheduler {
    let (stop, stopped) = watch::channel(false);
    let scheduled = scheduled(reports);
    let task = tokio::spawn(run(Deps { mail, source }, scheduled, stopped));
    Scheduler { stop, task }
}

impl Scheduler {
    /// Asks the loop to stop, and lets a send in progress finish for a few seconds.
    pub async fn stop(self) {
        let _ = self.stop.send(true);
        let abort = self.task.abort_handle();
        if tokio::time::timeout(STOP_GRACE, self.task).await.is_err() {
            abort.abort();
        }
    }
}

fn scheduled(reports: &Reports) -> Vec<(Arc<ReportDef>, Cadence, String)> {
    reports
        .iter()
        .filter_map(|r| {
            let email = r.email.as_ref()?;
            Some((r.clone(), email.every?, email.every_text.clone()?))
        })
        .collect()
}

async fn run(
    state: Deps,
    reports: Vec<(Arc<ReportDef>, Cadence, String)>,
    mut stopped: watch::Receiver<bool>,
) {
    if reports.is_empty() {
        return;
    }
    tracing::info!(
        "scheduled summaries for {} report(s), sent {}",
        reports.len(),
        state.mail.describe()
    );
    loop {
        let mut wake = later(Utc::now(), MAX_SLEEP);
        for (report, cadence, every) in &reports {
            if *stopped.borrow() {
                return;
            }
            let next = serve_report(&state, report, *cadence, every).await;
            wake = wake.min(next);
        }
        let sleep = (wake - Utc::now()).to_std().unwrap_or(Duration::ZERO);
        tokio::select! {
            _ = tokio::time::sleep(sleep) => {}
            _ = stopped.changed() => return,
        }
    }
}

fn later(now: DateTime<Utc>, wait: Duration) -> DateTime<Utc> {
    now + chrono::TimeDelta::from_std(wait).unwrap_or(chrono::TimeDelta::seconds(5))
}

/// Brings one report's schedule up to date and sends when due; returns when to look again.
async fn serve_report(
    state: &Deps,
    report: &Arc<ReportDef>,
    cadence: Cadence,
    every: &str,
) -> DateTime<Utc> {
    let now = Utc::now();
    // Of several servers on one database, the one holding the schedule keeps it; the others
    // look again later, and take it over once that one stops.
    match state.mail.hold_schedule(&report.id).await {
        Ok(true) => {}
        Ok(false) => return later(now, NOT_READY_WAIT),
        Err(e) => {
            tracing::error!(report = %report.id, "cannot claim the summary schedule: {e}");
            return later(now, NOT_READY_WAIT);
        }
    }
    let record = match state.mail.state(&report.id).await {
        Ok(record) => record,
        Err(e) => {
            tracing::error!(report = %report.id, "cannot read the summary schedule: {e}");
            return later(now, NOT_READY_WAIT);
        }
    };
    let schedule = match settle(&record, cadence, every, now) {
        Settled::Ready(schedule) => schedule,
        Settled::Changed { schedule, note } => {
            let new = schedule.clone();
            let interrupted = note.clone();
            let written = state
                .mail
                .update(&report.id, move |s| {
                    s.schedule = Some(new.clone());
                    if let Some(note) = &interrupted {
                        s.last_error = Some(note.clone());
                        s.last_error_at = Some(now);
                    }
                })
                .await;
            if let Err(e) = written {
                tracing::error!(report = %report.id, "cannot keep the summary schedule: {e}");
                return later(now, NOT_READY_WAIT);
            }
            match note {
                Some(note) => tracing::warn!(report = %report.id, "{note}"),
                None => tracing::info!(
                    report = %report.id,
                    "summary every {every}, next due {}",
                    timestamp(schedule.next_attempt)
                ),
            }
            schedule
        }
    };
    if schedule.next_attempt > now {
        return schedule.next_attempt;
    }
    send_due(state, report, schedule).await
}

enum Settled {
    Ready(Schedule),
    /// The schedule to write before going on, and why when it is not routine.
    Changed {
        schedule: Schedule,
        note: Option<String>,
    },
}

/// The schedule as it should be now: started for a new report, restarted for a changed
/// cadence, moved past a send that a previous process did not live to record.
fn settle(record: &MailState, cadence: Cadence, every: &str, now: DateTime<Utc>) -> Settled {
    let fresh = |due: DateTime<Utc>| Schedule {
        every: every.to_string(),
        due,
        next_attempt: due,
        failures: 0,
        sending: false,
    };
    match &record.schedule {
        Some(s) if s.every == every && s.sending => {
            let next = next_due_after(s.due, cadence, now);
            Settled::Changed {
                schedule: fresh(next),
                note: Some(format!(
                    "the server stopped while sending the summary due {}; it may have gone out, so it is not sent again (next due {})",
                    timestamp(s.due),
                    timestamp(next)
                )),
            }
        }
        Some(s) if s.every == every => Settled::Ready(s.clone()),
        // A new cadence counts from the last summary sent, or from now; if that time has
        // already passed, one summary is due at once.
        _ => {
            let due = match record.last_sent {
                Some(sent) => add_periods(sent, cadence, 1).max(now),
                None => first_due(now, cadence),
            };
            Settled::Changed {
                schedule: fresh(due),
                note: None,
            }
        }
    }
}

async fn send_due(state: &Deps, report: &Arc<ReportDef>, schedule: Schedule) -> DateTime<Utc> {
    let now = Utc::now();
    let figures = {
        let (source, definition) = (state.source.clone(), report.clone());
        crate::store::blocking(move || source.figures(&definition)).await
    };
    let figures = match figures {
        Ok(ReportOutcome::Ready(figures)) => figures,
        Ok(ReportOutcome::Building { done, total }) => {
            tracing::info!(
                report = %report.id,
                "summary due, waiting for the report's rebuild ({done} of {total})"
            );
            return later(now, NOT_READY_WAIT);
        }
        Err(e) => {
            tracing::error!(report = %report.id, "summary due, but the report cannot be read: {e}");
            return later(now, NOT_READY_WAIT);
        }
    };
    let profiles = {
        let (source, definition) = (state.source.clone(), report.clone());
        tokio::task::spawn_blocking(move || source.cards(&definition))
            .await
            .unwrap_or_default()
    };
    let due = schedule.due;
    // The claim: on disk before the message leaves, so that a crash cannot lead to a resend.
    if let Err(e) = state
        .mail
        .update(&report.id, |s| {
            if let Some(schedule) = s.schedule.as_mut() {
                schedule.sending = true;
            }
        })
        .await
    {
        tracing::error!(report = %report.id, "cannot record the summary send: {e}; not sending");
        return later(now, NOT_READY_WAIT);
    }
    match state
        .mail
        .send(
            report,
            &figures,
            profiles.as_ref(),
            Occasion::Scheduled { due },
        )
        .await
    {
        Ok(sent) => tracing::info!(
            report = %report.id,
            "summary due {} sent to {} ({}, {})",
            timestamp(due),
            sent.to.join(", "),
            sent.transport,
            sent.message_id
        ),
        Err(e) => tracing::warn!(
            report = %report.id,
            "summary due {} failed: {e}; retrying with backoff",
            timestamp(due)
        ),
    }
    match state.mail.state(&report.id).await {
        Ok(MailState {
            schedule: Some(s), ..
        }) if !s.sending => s.next_attempt,
        // Not recorded (the store failed): the next look finds the claim and moves on
        // without sending again.
        _ => later(Utc::now(), NOT_READY_WAIT),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(text)
            .unwrap()
            .with_timezone(&Utc)
    }

    #[test]
    fn a_new_report_is_due_one_period_on() {
        let now = at("2026-03-01T10:00:00Z");
        let Settled::Changed { schedule, note } =
            settle(&MailState::default(), Cadence::Monthly, "monthly", now)
        else {
            panic!("a new report gets a schedule");
        };
        assert_eq!(schedule.due, at("2026-04-01T10:00:00Z"));
        assert!(note.is_none());
    }

    #[test]
    fn a_changed_cadence_counts_from_the_last_send() {
        let now = at("2026-03-01T10:00:00Z");
        let mut record = MailState {
            last_sent: Some(at("2026-02-27T10:00:00Z")),
            ..MailState::default()
        };
        record.schedule = Some(Schedule {
            every: "monthly".into(),
            due: at("2026-03-27T10:00:00Z"),
            next_attempt: at("2026-03-27T10:00:00Z"),
            failures: 0,
            sending: false,
        });
        let Settled::Changed { schedule, .. } = settle(&record, Cadence::Weekly, "weekly", now)
        else {
            panic!("a changed cadence starts over");
        };
        assert_eq!(schedule.due, at("2026-03-06T10:00:00Z"));
        let every_hour = Cadence::Every(Duration::from_secs(3600));
        let Settled::Changed { schedule, .. } = settle(&record, every_hour, "1h", now) else {
            panic!("a changed cadence starts over");
        };
        assert_eq!(
            schedule.due, now,
            "overdue under the new cadence: due at once"
        );
    }

    #[test]
    fn a_send_found_claimed_is_not_repeated() {
        let now = at("2026-03-01T10:00:05Z");
        let record = MailState {
            schedule: Some(Schedule {
                every: "10s".into(),
                due: at("2026-03-01T10:00:00Z"),
                next_attempt: at("2026-03-01T10:00:00Z"),
                failures: 0,
                sending: true,
            }),
            ..MailState::default()
        };
        let every = Cadence::Every(Duration::from_secs(10));
        let Settled::Changed { schedule, note } = settle(&record, every, "10s", now) else {
            panic!("a claimed send is settled");
        };
        assert_eq!(schedule.due, at("2026-03-01T10:00:10Z"));
        assert!(!schedule.sending);
        assert!(note.is_some_and(|n| n.contains("not sent again")));
    }
}
