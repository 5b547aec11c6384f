//! `LoginThrottle`: how many wrong passwords an account takes, and from whom.
//!
//! Failures are counted per account *and source*, so that a stranger's guesses never
//! refuse the owner's right password (OWASP: per-source counting, device cookies):
//! - a client network (an IPv4 address or an IPv6 /64) that has no device cookie for the
//!   account; these also count together towards a per-account ceiling against
//!   guessing spread over many networks;
//! - a device — a browser holding the device cookie of an earlier successful login to
//!   this account (`super::device`) — in a bucket of its own, outside the ceiling;
//! - a session, for a logged-in person confirming an action with their password.
//!
//! Each attempt takes its slots *before* the password is verified, in one atomic step
//! per bucket: a burst of parallel guesses cannot all pass a check that records nothing.

use super::client_ip::Network;
use super::config::Limits;
use super::limiter::RateLimiter;
use std::time::{Duration, Instant};

/// Who is trying a password.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Source {
    Network(Network),
    /// The device id from a valid device cookie for this account.
    Device(String),
    /// The session of a logged-in person.
    Session(String),
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct Key {
    account: String,
    source: Source,
}

pub struct LoginThrottle {
    per_source: RateLimiter<Key>,
    /// Failures from unknown networks, all together, per account.
    per_account: RateLimiter<String>,
}

impl LoginThrottle {
    pub fn new(limits: &Limits) -> Self {
        let window = limits.login_failure_window;
        Self {
            per_source: RateLimiter::new(limits.login_failures, window, limits.max_tracked_keys),
            per_account: RateLimiter::new(limits.account_failures, window, limits.max_tracked_keys),
        }
    }

    /// Takes this attempt's slots, or says how long to wait. `account` is the normalised
    /// email (unknown emails are throttled alike, so a 429 reveals nothing).
    pub fn begin(&self, account: &str, source: Source) -> Result<Attempt<'_>, Duration> {
        let now = Instant::now();
        let key = Key {
            account: account.to_owned(),
            source,
        };
        self.per_source.acquire(key.clone(), now)?;
        let ceiling = matches!(key.source, Source::Network(_)).then(|| account.to_owned());
        if let Some(account) = &ceiling
            && let Err(wait) = self.per_account.acquire(account.clone(), now)
        {
            self.per_source.release(key, now);
            return Err(wait);
        }
        Ok(Attempt {
            throttle: self,
            key,
            ceiling,
        })
    }
}

/// A password attempt holding its slots until it is judged.
#[must_use = "say how the attempt ended: failed, succeeded or not_judged"]
pub struct Attempt<'a> {
    throttle: &'a LoginThrottle,
    key: Key,
    ceiling: Option<String>,
}

impl Attempt<'_> {
    /// Ends the attempt as the password check came out: `Some` (right password) gives the
    /// slots back, `None` (wrong) keeps them, an error (not judged) does not count.
    pub fn settle<T, E>(self, checked: Result<Option<T>, E>) -> Result<Option<T>, E> {
        match &checked {
            Ok(Some(_)) => self.succeeded(),
            Ok(None) => self.failed(),
            Err(_) => self.not_judged(),
        }
        checked
    }

    /// A wrong password: the slots stay taken.
    pub fn failed(self) {}

    /// The right password: this source starts afresh; its slot under the account's
    /// ceiling is given back (the ceiling keeps counting everyone else's failures).
    pub fn succeeded(self) {
        self.throttle.per_source.forget(&self.key);
        self.release_ceiling();
    }

    /// The password could not be checked (hashing saturated, database down): the
    /// attempt does not count.
    pub fn not_judged(self) {
        self.throttle.per_source.release(self.key.clone(), Instant::now());
        self.release_ceiling();
    }

    fn release_ceiling(&self) {
        if let Some(account) = &self.ceiling {
            self.throttle.per_account.release(account.clone(), Instant::now());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::IpAddr;

    fn throttle(per_source: u32, per_account: u32) -> LoginThrottle {
        LoginThrottle::new(&Limits {
            login_failures: per_source,
            account_failures: per_account,
            login_failure_window: Duration::from_secs(900),
            auth_requests_per_ip_per_minute: 30,
            refreshes_per_session_per_minute: 10,
            refreshes_per_ip_per_minute: 120,
            max_tracked_keys: 1_000,
        })
    }

    fn network(ip: &str) -> Source {
        Source::Network(Network::of(ip.parse::<IpAddr>().unwrap()))
    }

    #[test]
    fn failures_from_one_network_do_not_hold_back_another() {
        let throttle = throttle(3, 100);
        for _ in 0..3 {
            throttle.begin("ann", network("198.51.100.1")).unwrap().failed();
        }
        assert!(throttle.begin("ann", network("198.51.100.1")).is_err());
        throttle.begin("ann", network("198.51.100.2")).unwrap().succeeded();
        // Nor does a session's failures hold back anyone else.
        for _ in 0..3 {
            throttle.begin("ann", Source::Session("s".into())).unwrap().failed();
        }
        throttle.begin("ann", network("198.51.100.3")).unwrap().succeeded();
    }

    #[test]
    fn the_account_ceiling_stops_unknown_networks_but_not_known_devices() {
        let throttle = throttle(3, 5);
        for i in 0..5 {
            throttle
                .begin("ann", network(&format!("203.0.113.{i}")))
                .unwrap()
                .failed();
        }
        assert!(throttle.begin("ann", network("198.51.100.9")).is_err());
        throttle.begin("ann", Source::Device("d1".into())).unwrap().succeeded();
        // A refused attempt took nothing from its own network's bucket.
        for _ in 0..3 {
            assert!(throttle.begin("ann", network("198.51.100.9")).is_err());
        }
        // Other accounts have their own ceiling.
        throttle.begin("bob", network("198.51.100.9")).unwrap().succeeded();
    }

    #[test]
    fn an_attempt_not_judged_gives_its_slots_back() {
        let throttle = throttle(1, 1);
        throttle.begin("ann", network("198.51.100.1")).unwrap().not_judged();
        throttle.begin("ann", network("198.51.100.1")).unwrap().failed();
        assert!(throttle.begin("ann", network("198.51.100.1")).is_err());
        assert!(
            throttle.begin("ann", network("198.51.100.2")).is_err(),
            "ceiling of 1 reached"
        );
    }
}
