//! When to try a failed message again: after the base wait (1 s), doubling after each further
//! failure up to 10 minutes between tries, until the give-up time (24 h) after the first
//! attempt. The last try lands on the give-up time itself, so a receiver that is back just
//! before it still gets the message.

use std::time::Duration;

use chrono::{DateTime, TimeDelta, Utc};

/// The longest wait between two tries, whatever the base.
pub const MAX_WAIT: Duration = Duration::from_secs(10 * 60);

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RetryPolicy {
    pub base: Duration,
    pub max_wait: Duration,
    pub give_up_after: Duration,
}

/// What follows a failed attempt.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum AfterFailure {
    RetryAt(DateTime<Utc>),
    GiveUp,
}

fn delta(d: Duration) -> TimeDelta {
    TimeDelta::from_std(d).unwrap_or(TimeDelta::MAX)
}

impl RetryPolicy {
    /// The wait after the `failures`-th failed attempt (1 for the first).
    pub fn wait(&self, failures: u32) -> Duration {
        let doublings = failures.saturating_sub(1).min(31);
        self.base
            .checked_mul(1 << doublings)
            .unwrap_or(self.max_wait)
            .min(self.max_wait)
    }

    /// After the `failures`-th failed attempt, which ended at `now`, of a message first tried
    /// at `first_attempt`.
    pub fn after_failure(
        &self,
        first_attempt: DateTime<Utc>,
        now: DateTime<Utc>,
        failures: u32,
    ) -> AfterFailure {
        let give_up_at = first_attempt
            .checked_add_signed(delta(self.give_up_after))
            .unwrap_or(DateTime::<Utc>::MAX_UTC);
        if now >= give_up_at {
            return AfterFailure::GiveUp;
        }
        let next = now
            .checked_add_signed(delta(self.wait(failures)))
            .unwrap_or(give_up_at);
        AfterFailure::RetryAt(next.min(give_up_at))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy() -> RetryPolicy {
        RetryPolicy {
            base: Duration::from_secs(1),
            max_wait: MAX_WAIT,
            give_up_after: Duration::from_secs(24 * 3600),
        }
    }

    #[test]
    fn waits_double_from_one_second_up_to_ten_minutes() {
        let waits: Vec<u64> = (1..=12).map(|n| policy().wait(n).as_secs()).collect();
        assert_eq!(waits, [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 600, 600]);
        assert_eq!(policy().wait(1000).as_secs(), 600);
    }

    #[test]
    fn gives_up_a_day_after_the_first_attempt_with_a_last_try_at_the_deadline() {
        let first = DateTime::from_timestamp(1_700_000_000, 0).unwrap();
        let day = TimeDelta::hours(24);
        let shortly = first + TimeDelta::seconds(3);
        assert_eq!(
            policy().after_failure(first, shortly, 2),
            AfterFailure::RetryAt(shortly + TimeDelta::seconds(2))
        );
        let near_end = first + day - TimeDelta::seconds(30);
        assert_eq!(
            policy().after_failure(first, near_end, 40),
            AfterFailure::RetryAt(first + day)
        );
        assert_eq!(
            policy().after_failure(first, first + day, 41),
            AfterFailure::GiveUp
        );
    }
}
