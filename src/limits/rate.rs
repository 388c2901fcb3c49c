//! The per-client budget of public submissions (`FIELDNOTES_RATE_LIMIT`).
//!
//! governor's GCRA: a client may send its whole budget at once; after that one more request
//! is taken every 1/budget of a minute, so over time it gets the budget each minute.

use std::net::IpAddr;
use std::num::NonZeroU32;
use std::time::Duration;

use governor::clock::Clock;
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};

use super::client::rate_key;

pub struct RateLimit {
    per_minute: NonZeroU32,
    limiter: DefaultKeyedRateLimiter<IpAddr>,
}

impl RateLimit {
    pub fn per_minute(per_minute: NonZeroU32) -> RateLimit {
        RateLimit {
            per_minute,
            limiter: RateLimiter::keyed(Quota::per_minute(per_minute)),
        }
    }

    pub fn budget(&self) -> NonZeroU32 {
        self.per_minute
    }

    /// Counts one request of `client`: Ok while it is within its budget, else how many whole
    /// seconds until the next would be taken (at least 1, as `Retry-After` needs).
    pub fn check(&self, client: IpAddr) -> Result<(), u64> {
        self.limiter
            .check_key(&rate_key(client))
            .map_err(|not_until| {
                let wait = not_until.wait_time_from(self.limiter.clock().now());
                whole_seconds(wait)
            })
    }

    /// Forgets clients whose budget is whole again, so the table holds only those seen in
    /// the last minute however many addresses come and go.
    pub fn forget_idle(&self) {
        self.limiter.retain_recent();
        self.limiter.shrink_to_fit();
    }

    /// How many clients are remembered.
    pub fn clients(&self) -> usize {
        self.limiter.len()
    }
}

fn whole_seconds(wait: Duration) -> u64 {
    let rounded_up = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
    rounded_up.max(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(text: &str) -> IpAddr {
        text.parse().unwrap()
    }

    #[test]
    fn the_budget_then_a_wait_of_whole_seconds() {
        let limit = RateLimit::per_minute(NonZeroU32::new(3).unwrap());
        for _ in 0..3 {
            assert_eq!(limit.check(ip("203.0.113.7")), Ok(()));
        }
        let wait = limit.check(ip("203.0.113.7")).unwrap_err();
        assert!(
            (1..=20).contains(&wait),
            "one request back every 20 s: {wait}"
        );
        assert_eq!(
            limit.check(ip("203.0.113.8")),
            Ok(()),
            "others are unaffected"
        );
        // Two addresses of one IPv6 /64 share a budget.
        for _ in 0..3 {
            assert_eq!(limit.check(ip("2001:db8::1")), Ok(()));
        }
        assert!(limit.check(ip("2001:db8::2")).is_err());
    }

    #[test]
    fn idle_clients_are_forgotten() {
        let limit = RateLimit::per_minute(NonZeroU32::new(600).unwrap());
        assert_eq!(limit.check(ip("203.0.113.7")), Ok(()));
        assert_eq!(limit.clients(), 1);
        // One request of 600 a minute is paid back in 100 ms; governor forgets a client one
        // interval after that.
        std::thread::sleep(Duration::from_millis(300));
        limit.forget_idle();
        assert_eq!(limit.clients(), 0);
    }

    #[test]
    fn waits_round_up() {
        assert_eq!(whole_seconds(Duration::from_millis(1)), 1);
        assert_eq!(whole_seconds(Duration::ZERO), 1);
        assert_eq!(whole_seconds(Duration::from_millis(2001)), 3);
        assert_eq!(whole_seconds(Duration::from_secs(2)), 2);
    }
}
