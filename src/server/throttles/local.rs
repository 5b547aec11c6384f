//! `LocalBuckets`: a leaky bucket per key (an account's email, a client's IP address).
//!
//! Each event adds 1 to the key's bucket; the bucket drains continuously at
//! `limit / window`. When one more event would overflow it, the caller is told how long
//! to wait. Because it drains, a limit always lifts by itself: an attacker can slow an
//! account's logins down, never lock its owner out for good.
//!
//! Buckets live in a `moka` cache with a fixed capacity, so a flood of random emails
//! or addresses cannot grow memory without bound. A bucket is dropped when it has
//! drained completely, not merely after some idle time: a bucket filled beyond its
//! limit (by `record`) takes longer than one window to empty, and forgetting it early
//! would let a burst, a pause and another burst beat the limit.

use moka::Expiry;
use moka::sync::Cache;
use std::hash::Hash;
use std::time::{Duration, Instant};

#[derive(Debug, Clone, Copy)]
struct Bucket {
    level: f64,
    at: Instant,
}

/// Keeps a bucket exactly until it has drained.
struct UntilDrained {
    drain_per_sec: f64,
}

impl UntilDrained {
    fn time_to_empty(&self, bucket: &Bucket) -> Duration {
        // A little extra, so that float rounding never drops a bucket a moment early.
        Duration::from_secs_f64(bucket.level / self.drain_per_sec) + Duration::from_millis(10)
    }
}

impl<K> Expiry<K, Bucket> for UntilDrained {
    fn expire_after_create(&self, _key: &K, bucket: &Bucket, _created_at: Instant) -> Option<Duration> {
        Some(self.time_to_empty(bucket))
    }

    fn expire_after_update(
        &self,
        _key: &K,
        bucket: &Bucket,
        _updated_at: Instant,
        _until_now: Option<Duration>,
    ) -> Option<Duration> {
        Some(self.time_to_empty(bucket))
    }
}

pub struct LocalBuckets<K> {
    buckets: Cache<K, Bucket>,
    limit: f64,
    drain_per_sec: f64,
}

impl<K: Hash + Eq + Send + Sync + Clone + 'static> LocalBuckets<K> {
    /// Allows `limit` events per `window`, tracking at most `max_keys` keys.
    pub fn new(limit: u32, window: Duration, max_keys: u64) -> Self {
        let limit = f64::from(limit.max(1));
        let drain_per_sec = limit / window.as_secs_f64().max(f64::EPSILON);
        Self {
            buckets: Cache::builder()
                .max_capacity(max_keys)
                .expire_after(UntilDrained { drain_per_sec })
                .build(),
            limit,
            drain_per_sec,
        }
    }

    fn level(&self, bucket: Option<Bucket>, now: Instant) -> f64 {
        bucket.map_or(0.0, |b| {
            let drained = now.saturating_duration_since(b.at).as_secs_f64() * self.drain_per_sec;
            (b.level - drained).max(0.0)
        })
    }

    /// How long until one more event fits, or `None` if it fits now.
    fn wait_for_room(&self, level: f64) -> Option<Duration> {
        let excess = level + 1.0 - self.limit;
        (excess > 1e-9).then(|| Duration::from_secs_f64(excess / self.drain_per_sec))
    }

    /// Would one more event be allowed? Records nothing.
    pub fn check(&self, key: &K, now: Instant) -> Result<(), Duration> {
        let level = self.level(self.buckets.get(key), now);
        self.wait_for_room(level).map_or(Ok(()), Err)
    }

    /// Records an event (e.g. a failed login), whether or not it fits.
    pub fn record(&self, key: K, now: Instant) {
        self.buckets.entry(key).and_upsert_with(|entry| Bucket {
            level: self.level(entry.map(|e| e.into_value()), now) + 1.0,
            at: now,
        });
    }

    /// Records an event if it fits (check and record in one atomic step).
    pub fn acquire(&self, key: K, now: Instant) -> Result<(), Duration> {
        let mut verdict = Ok(());
        self.buckets.entry(key).and_upsert_with(|entry| {
            let level = self.level(entry.map(|e| e.into_value()), now);
            match self.wait_for_room(level) {
                Some(wait) => {
                    verdict = Err(wait);
                    Bucket { level, at: now }
                }
                None => Bucket {
                    level: level + 1.0,
                    at: now,
                },
            }
        });
        verdict
    }

    /// Gives back one event taken by [`LocalBuckets::acquire`] that turned out not to
    /// count (the attempt could not be judged, e.g. hashing was saturated).
    pub fn release(&self, key: K, now: Instant) {
        self.buckets.entry(key).and_upsert_with(|entry| Bucket {
            level: (self.level(entry.map(|e| e.into_value()), now) - 1.0).max(0.0),
            at: now,
        });
    }

    /// Forgets a key (e.g. after a successful login).
    pub fn forget(&self, key: &K) {
        self.buckets.invalidate(key);
    }

    /// Number of keys currently tracked (after pending evictions are applied).
    pub fn tracked_keys(&self) -> u64 {
        self.buckets.run_pending_tasks();
        self.buckets.entry_count()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MIN: Duration = Duration::from_secs(60);

    #[test]
    fn allows_the_limit_then_refuses_with_a_wait() {
        let limiter = LocalBuckets::new(3, MIN, 100);
        let now = Instant::now();
        for _ in 0..3 {
            assert_eq!(limiter.acquire("ip", now), Ok(()));
        }
        let wait = limiter.acquire("ip", now).unwrap_err();
        // 3 per minute drains one event every 20 s.
        assert!((19.9..=20.1).contains(&wait.as_secs_f64()), "{wait:?}");
        // Other keys are unaffected.
        assert_eq!(limiter.acquire("other", now), Ok(()));
    }

    #[test]
    fn the_limit_decays_by_itself() {
        let limiter = LocalBuckets::new(3, MIN, 100);
        let start = Instant::now();
        for _ in 0..10 {
            limiter.record("account", start);
        }
        assert!(limiter.check(&"account", start).is_err());
        // Ten failures recorded at once: the bucket caps nothing, but it drains at
        // 3/min, so after (10 - 2) * 20 s there is room for one more again.
        assert!(limiter.check(&"account", start + Duration::from_secs(159)).is_err());
        assert_eq!(limiter.check(&"account", start + Duration::from_secs(161)), Ok(()));
    }

    #[test]
    fn refused_attempts_do_not_extend_the_wait() {
        let limiter = LocalBuckets::new(2, MIN, 100);
        let start = Instant::now();
        limiter.acquire("k", start).unwrap();
        limiter.acquire("k", start).unwrap();
        for s in 1..30 {
            assert!(limiter.acquire("k", start + Duration::from_secs(s)).is_err());
        }
        assert_eq!(limiter.acquire("k", start + Duration::from_secs(31)), Ok(()));
    }

    #[test]
    fn check_records_nothing_and_forget_resets() {
        let limiter = LocalBuckets::new(1, MIN, 100);
        let now = Instant::now();
        for _ in 0..5 {
            assert_eq!(limiter.check(&"k", now), Ok(()));
        }
        limiter.record("k", now);
        assert!(limiter.check(&"k", now).is_err());
        limiter.forget(&"k");
        assert_eq!(limiter.check(&"k", now), Ok(()));
    }

    #[test]
    fn release_gives_one_event_back() {
        let limiter = LocalBuckets::new(2, MIN, 100);
        let now = Instant::now();
        limiter.acquire("k", now).unwrap();
        limiter.acquire("k", now).unwrap();
        assert!(limiter.acquire("k", now).is_err());
        limiter.release("k", now);
        assert_eq!(limiter.acquire("k", now), Ok(()));
        assert!(limiter.acquire("k", now).is_err());
    }

    /// A bucket filled far beyond its limit stays until it has drained, however long it
    /// sits idle: a pause of more than a window must not reset it. (Real time: the
    /// cache's expiry runs on the clock, not on the instants passed in.)
    #[test]
    fn an_overfull_bucket_is_not_forgotten_after_one_idle_window() {
        let window = Duration::from_millis(500);
        let limiter = LocalBuckets::new(2, window, 100);
        for _ in 0..10 {
            limiter.record("burst", Instant::now());
        }
        // Ten events at two per half second: room again only after about two seconds.
        std::thread::sleep(window * 2);
        assert!(limiter.check(&"burst", Instant::now()).is_err());
        assert_eq!(limiter.tracked_keys(), 1);
    }

    #[test]
    fn memory_is_bounded_under_a_flood_of_keys() {
        let limiter = LocalBuckets::new(10, MIN, 1_000);
        let now = Instant::now();
        for i in 0..50_000u32 {
            limiter.record(format!("random-{i}@example.com"), now);
        }
        assert!(limiter.tracked_keys() <= 1_000, "{}", limiter.tracked_keys());
    }
}
