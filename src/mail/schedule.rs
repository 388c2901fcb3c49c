//! Cadence arithmetic, kept free of clocks and I/O so that it can be tested exactly.
//!
//! Weeks and durations are fixed spans; months and quarters are calendar months (a summary
//! due on 15 March is next due on 15 April, and one due on 31 January on 28 or 29 February,
//! as chrono clamps to the month's last day).

use std::time::Duration;

use chrono::{DateTime, Months, TimeDelta, Utc};

use crate::report::Cadence;

/// Retry delays after the 1st, 2nd, 3rd… failed attempt, each capped by `retry_cap`.
const BACKOFF: [Duration; 6] = [
    Duration::from_secs(5),
    Duration::from_secs(30),
    Duration::from_secs(120),
    Duration::from_secs(600),
    Duration::from_secs(1800),
    Duration::from_secs(3600),
];

/// A rough length, for caps and for estimating how many periods fit in a gap.
fn approximate_period(cadence: Cadence) -> Duration {
    match cadence {
        Cadence::Weekly => Duration::from_secs(7 * 86_400),
        Cadence::Monthly => Duration::from_secs(28 * 86_400),
        Cadence::Quarterly => Duration::from_secs(89 * 86_400),
        Cadence::Every(d) => d,
    }
}

fn delta(d: Duration) -> TimeDelta {
    TimeDelta::from_std(d).unwrap_or(TimeDelta::MAX)
}

/// `start` plus `times` periods; saturates at the end of time rather than failing.
pub fn add_periods(start: DateTime<Utc>, cadence: Cadence, times: u64) -> DateTime<Utc> {
    let months = |per: u64| {
        u32::try_from(per.saturating_mul(times))
            .ok()
            .and_then(|n| start.checked_add_months(Months::new(n)))
    };
    let fixed = |d: Duration| {
        u32::try_from(times)
            .ok()
            .and_then(|t| d.checked_mul(t))
            .and_then(|span| start.checked_add_signed(delta(span)))
    };
    let next = match cadence {
        Cadence::Monthly => months(1),
        Cadence::Quarterly => months(3),
        Cadence::Weekly | Cadence::Every(_) => fixed(approximate_period(cadence)),
    };
    next.unwrap_or(DateTime::<Utc>::MAX_UTC)
}

/// The first due time of a report seen for the first time: one period from now.
pub fn first_due(now: DateTime<Utc>, cadence: Cadence) -> DateTime<Utc> {
    add_periods(now, cadence, 1)
}

/// The next due time after `due` was served: the first of `due` + k periods (k ≥ 1) that is
/// later than `now`. A server that was down over several due times sends once when it is
/// back, then keeps the rhythm, rather than sending once per missed period.
pub fn next_due_after(due: DateTime<Utc>, cadence: Cadence, now: DateTime<Utc>) -> DateTime<Utc> {
    let gap = (now - due).to_std().unwrap_or(Duration::ZERO);
    let period = approximate_period(cadence).max(Duration::from_millis(1));
    // Start just short of the estimate and step: exact for fixed spans, a step or two for months.
    let estimate = u64::try_from(gap.as_millis() / period.as_millis()).unwrap_or(u64::MAX);
    let mut k = estimate.saturating_sub(1).max(1);
    loop {
        let next = add_periods(due, cadence, k);
        if next > now || next == DateTime::<Utc>::MAX_UTC {
            return next;
        }
        k += 1;
    }
}

/// The cap of the retry delay: well under one period, so a failure is retried before the
/// next summary is due, and never more than an hour.
fn retry_cap(cadence: Cadence) -> Duration {
    (approximate_period(cadence) / 2).clamp(Duration::from_millis(500), Duration::from_secs(3600))
}

/// How long to wait after the `failures`-th failed attempt (1 for the first).
pub fn retry_delay(failures: u32, cadence: Cadence) -> Duration {
    let step = BACKOFF[(failures.max(1) as usize - 1).min(BACKOFF.len() - 1)];
    step.min(retry_cap(cadence))
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
    fn months_are_calendar_months() {
        let due = at("2026-01-15T09:00:00Z");
        assert_eq!(first_due(due, Cadence::Monthly), at("2026-02-15T09:00:00Z"));
        assert_eq!(
            first_due(due, Cadence::Quarterly),
            at("2026-04-15T09:00:00Z")
        );
        assert_eq!(
            first_due(at("2026-01-31T09:00:00Z"), Cadence::Monthly),
            at("2026-02-28T09:00:00Z")
        );
        assert_eq!(first_due(due, Cadence::Weekly), at("2026-01-22T09:00:00Z"));
    }

    #[test]
    fn after_a_send_on_time_the_next_is_one_period_on() {
        let due = at("2026-01-15T09:00:00Z");
        let sent = at("2026-01-15T09:00:01Z");
        assert_eq!(
            next_due_after(due, Cadence::Monthly, sent),
            at("2026-02-15T09:00:00Z")
        );
        let every = Cadence::Every(Duration::from_secs(10));
        assert_eq!(next_due_after(due, every, sent), at("2026-01-15T09:00:10Z"));
    }

    #[test]
    fn a_long_outage_skips_the_missed_periods_and_keeps_the_phase() {
        let due = at("2026-01-15T09:00:00Z");
        // Down from before the January summary until 3 May: one send on return, next in June.
        assert_eq!(
            next_due_after(due, Cadence::Monthly, at("2026-05-03T12:00:00Z")),
            at("2026-05-15T09:00:00Z")
        );
        assert_eq!(
            next_due_after(due, Cadence::Quarterly, at("2026-05-03T12:00:00Z")),
            at("2026-07-15T09:00:00Z")
        );
        let every = Cadence::Every(Duration::from_secs(2));
        // A year of two-second periods is arithmetic, not a loop over every period.
        let next = next_due_after(due, every, at("2027-01-15T09:00:01Z"));
        assert_eq!(next, at("2027-01-15T09:00:02Z"));
        assert_eq!(
            next_due_after(due, every, at("2026-01-15T09:00:04Z")),
            at("2026-01-15T09:00:06Z")
        );
    }

    #[test]
    fn retries_back_off_below_the_cadence() {
        let monthly = Cadence::Monthly;
        let delays: Vec<u64> = (1..=8).map(|n| retry_delay(n, monthly).as_secs()).collect();
        assert_eq!(delays, [5, 30, 120, 600, 1800, 3600, 3600, 3600]);
        let ten_minutes = Cadence::Every(Duration::from_secs(600));
        assert_eq!(retry_delay(4, ten_minutes), Duration::from_secs(300));
        let two_seconds = Cadence::Every(Duration::from_secs(2));
        assert_eq!(retry_delay(1, two_seconds), Duration::from_secs(1));
    }
}
