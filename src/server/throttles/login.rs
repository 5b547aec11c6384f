//! `LoginThrottle`: how many wrong passwords an account takes, and from whom.
//!
//! Failures are counted per account *and source*, so that a stranger's guesses never
//! refuse the owner's right password (OWASP: per-source counting, device cookies):
//! - a client network (an IPv4 address or an IPv6 /64) that has no device cookie for the
//!   account; these also count together towards a per-account ceiling against
//!   guessing spread over many networks;
//! - a device — a browser holding the device cookie of an earlier successful login to
//!   this account (`crate::server::sessions::device`) — in a bucket of its own, outside the ceiling;
//! - a session, for a logged-in person confirming an action with their password.
//!
//! Each attempt takes its slots *before* the password is verified, in one atomic step
//! per bucket: a burst of parallel guesses cannot all pass a check that records nothing.
//! With PostgreSQL the buckets are shared by every instance (`crate::server::throttles`).

use super::shared::SharedBuckets;
use super::{BucketKey, Throttle};
use crate::server::http::client_ip::Network;
use crate::server::platform::config::Limits;
use std::time::Duration;

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

impl BucketKey for Key {
    fn bucket_key(&self) -> String {
        // NUL cannot occur in a parsed email, so the parts cannot run together.
        let source = match &self.source {
            Source::Network(network) => format!("network\0{}", network.bucket_key()),
            Source::Device(id) => format!("device\0{id}"),
            Source::Session(id) => format!("session\0{id}"),
        };
        format!("{}\0{source}", self.account)
    }
}

pub struct LoginThrottle {
    per_source: Throttle<Key>,
    /// Failures from unknown networks, all together, per account.
    per_account: Throttle<String>,
}

impl LoginThrottle {
    /// `shared`: the database buckets, when several instances must count together.
    pub fn new(limits: &Limits, shared: Option<SharedBuckets>) -> Self {
        let window = limits.login_failure_window;
        let max_keys = limits.max_tracked_keys;
        Self {
            per_source: Throttle::new("login_source", limits.login_failures, window, max_keys, shared.clone()),
            per_account: Throttle::new("login_account", limits.account_failures, window, max_keys, shared),
        }
    }

    /// Takes this attempt's slots, or says how long to wait. `account` is the normalised
    /// email (unknown emails are throttled alike, so a 429 reveals nothing).
    pub async fn begin(&self, account: &str, source: Source) -> Result<Result<Attempt<'_>, Duration>, sqlx::Error> {
        let key = Key {
            account: account.to_owned(),
            source,
        };
        if let Err(wait) = self.per_source.acquire(&key).await? {
            return Ok(Err(wait));
        }
        let ceiling = matches!(key.source, Source::Network(_)).then(|| account.to_owned());
        if let Some(account) = &ceiling {
            let verdict = self.per_account.acquire(account).await;
            if !matches!(verdict, Ok(Ok(()))) {
                log_failure(self.per_source.release(&key).await);
            }
            if let Err(wait) = verdict? {
                return Ok(Err(wait));
            }
        }
        Ok(Ok(Attempt {
            throttle: self,
            key,
            ceiling,
        }))
    }
}

/// Bookkeeping after the verdict (giving slots back) must not fail a request whose
/// answer is already decided; a bucket left fuller than it should be drains by itself.
fn log_failure(done: Result<(), sqlx::Error>) {
    if let Err(e) = done {
        tracing::warn!(error = %e, "could not update a login throttle");
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
    pub async fn settle<T, E>(self, checked: Result<Option<T>, E>) -> Result<Option<T>, E> {
        match &checked {
            Ok(Some(_)) => self.succeeded().await,
            Ok(None) => self.failed(),
            Err(_) => self.not_judged().await,
        }
        checked
    }

    /// A wrong password: the slots stay taken.
    pub fn failed(self) {}

    /// The right password: this source starts afresh; its slot under the account's
    /// ceiling is given back (the ceiling keeps counting everyone else's failures).
    pub async fn succeeded(self) {
        log_failure(self.throttle.per_source.forget(&self.key).await);
        self.release_ceiling().await;
    }

    /// The password could not be checked (hashing saturated, database down): the
    /// attempt does not count.
    pub async fn not_judged(self) {
        log_failure(self.throttle.per_source.release(&self.key).await);
        self.release_ceiling().await;
    }

    async fn release_ceiling(&self) {
        if let Some(account) = &self.ceiling {
            log_failure(self.throttle.per_account.release(account).await);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::server::test_support::test_state;
    use std::net::IpAddr;

    fn limits(per_source: u32, per_account: u32) -> Limits {
        Limits {
            login_failures: per_source,
            account_failures: per_account,
            login_failure_window: Duration::from_secs(900),
            auth_requests_per_ip_per_minute: 30,
            refreshes_per_session_per_minute: 10,
            refreshes_per_ip_per_minute: 120,
            passkey_starts_per_ip_per_minute: 120,
            resets_per_address_per_hour: 5,
            account_mails_per_hour: 5,
            second_factor_failures: 100,
            password_checks_per_account_per_minute: 10,
            max_tracked_keys: 1_000,
        }
    }

    /// The same scenario runs on the in-process throttle and on one shared through the
    /// database (the SQL the PostgreSQL deployment uses, here on SQLite).
    async fn both(per_source: u32, per_account: u32, scenario: impl AsyncFn(LoginThrottle)) {
        scenario(LoginThrottle::new(&limits(per_source, per_account), None)).await;
        let t = test_state().await;
        let shared = SharedBuckets::new(t.state.accounts.users.pool().clone());
        scenario(LoginThrottle::new(&limits(per_source, per_account), Some(shared))).await;
    }

    fn network(ip: &str) -> Source {
        Source::Network(Network::of(ip.parse::<IpAddr>().unwrap()))
    }

    async fn admitted<'a>(throttle: &'a LoginThrottle, account: &str, source: Source) -> Option<Attempt<'a>> {
        throttle.begin(account, source).await.unwrap().ok()
    }

    #[tokio::test]
    async fn failures_from_one_network_do_not_hold_back_another() {
        both(3, 100, async |throttle| {
            for _ in 0..3 {
                admitted(&throttle, "ann", network("198.51.100.1"))
                    .await
                    .unwrap()
                    .failed();
            }
            assert!(admitted(&throttle, "ann", network("198.51.100.1")).await.is_none());
            admitted(&throttle, "ann", network("198.51.100.2"))
                .await
                .unwrap()
                .succeeded()
                .await;
            // Nor does a session's failures hold back anyone else.
            for _ in 0..3 {
                admitted(&throttle, "ann", Source::Session("s".into()))
                    .await
                    .unwrap()
                    .failed();
            }
            admitted(&throttle, "ann", network("198.51.100.3"))
                .await
                .unwrap()
                .succeeded()
                .await;
        })
        .await;
    }

    #[tokio::test]
    async fn the_account_ceiling_stops_unknown_networks_but_not_known_devices() {
        both(3, 5, async |throttle| {
            for i in 0..5 {
                admitted(&throttle, "ann", network(&format!("203.0.113.{i}")))
                    .await
                    .unwrap()
                    .failed();
            }
            assert!(admitted(&throttle, "ann", network("198.51.100.9")).await.is_none());
            admitted(&throttle, "ann", Source::Device("d1".into()))
                .await
                .unwrap()
                .succeeded()
                .await;
            // A refused attempt took nothing from its own network's bucket.
            for _ in 0..3 {
                assert!(admitted(&throttle, "ann", network("198.51.100.9")).await.is_none());
            }
            // Other accounts have their own ceiling.
            admitted(&throttle, "bob", network("198.51.100.9"))
                .await
                .unwrap()
                .succeeded()
                .await;
        })
        .await;
    }

    #[tokio::test]
    async fn an_attempt_not_judged_gives_its_slots_back() {
        both(1, 1, async |throttle| {
            admitted(&throttle, "ann", network("198.51.100.1"))
                .await
                .unwrap()
                .not_judged()
                .await;
            admitted(&throttle, "ann", network("198.51.100.1"))
                .await
                .unwrap()
                .failed();
            assert!(admitted(&throttle, "ann", network("198.51.100.1")).await.is_none());
            assert!(
                admitted(&throttle, "ann", network("198.51.100.2")).await.is_none(),
                "ceiling of 1 reached"
            );
        })
        .await;
    }

    /// Two instances (each with its own in-process front cache) on one shared store:
    /// failures spread over them count together.
    #[tokio::test]
    async fn instances_sharing_the_database_count_failures_together() {
        let t = test_state().await;
        let shared = SharedBuckets::new(t.state.accounts.users.pool().clone());
        let a = LoginThrottle::new(&limits(4, 100), Some(shared.clone()));
        let b = LoginThrottle::new(&limits(4, 100), Some(shared));
        for instance in [&a, &b, &a, &b] {
            admitted(instance, "ann", network("198.51.100.7"))
                .await
                .unwrap()
                .failed();
        }
        assert!(admitted(&a, "ann", network("198.51.100.7")).await.is_none());
        assert!(admitted(&b, "ann", network("198.51.100.7")).await.is_none());
    }
}
