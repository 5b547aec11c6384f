//! `SharedBuckets`: the throttles' leaky buckets kept in the database, so that several
//! instances count together (an attacker who spreads guesses over instances behind a load
//! balancer meets one limit).
//!
//! Each decision is one atomic statement: an `INSERT … ON CONFLICT … DO UPDATE …
//! RETURNING` that drains the bucket to now, admits the event if it fits, and says what it
//! decided. Two instances deciding at the same moment are ordered by the row lock, so a
//! burst spread over them cannot all pass. The same SQL runs on SQLite (where the unit
//! tests exercise it) and PostgreSQL (where it is used).
//!
//! Keys are stored as SHA-256 hashes: the table never lists which emails were tried.

use sha2::{Digest, Sha256};
use sqlx::AnyPool;
use std::time::Duration;

/// What one scope of buckets allows.
#[derive(Debug, Clone)]
pub struct BucketSpec {
    /// Names the throttle (`login_source`, `refresh_session`, …): one table holds all.
    pub scope: &'static str,
    pub limit: f64,
    drain_per_ms: f64,
}

impl BucketSpec {
    /// `limit` events per `window`, draining continuously.
    pub fn new(scope: &'static str, limit: u32, window: Duration) -> Self {
        let limit = f64::from(limit.max(1));
        let window_ms = (window.as_secs_f64() * 1000.0).max(1.0);
        Self {
            scope,
            limit,
            drain_per_ms: limit / window_ms,
        }
    }
}

/// The bucket's level drained to now (`$3`, Unix milliseconds) at `$4` per millisecond,
/// never below zero (nor raised by a clock that is behind the row's).
macro_rules! drained {
    () => {
        "(CASE WHEN throttle_buckets.level - (CASE WHEN $3 > throttle_buckets.updated_ms \
         THEN $3 - throttle_buckets.updated_ms ELSE 0 END) * $4 > 0 \
         THEN throttle_buckets.level - (CASE WHEN $3 > throttle_buckets.updated_ms \
         THEN $3 - throttle_buckets.updated_ms ELSE 0 END) * $4 ELSE 0 END)"
    };
}

/// The bucket's time after a decision: the later of the row's and the deciding instance's
/// (`$3`). An instance whose clock is behind never moves it back, or the next instance
/// would count the skew as drained time and admit what the bucket should refuse.
macro_rules! latest {
    () => {
        "(CASE WHEN $3 > throttle_buckets.updated_ms THEN $3 ELSE throttle_buckets.updated_ms END)"
    };
}

/// The level after this event: one more if it fits under `$5` (the limit), else as is.
macro_rules! after_event {
    () => {
        concat!(
            "(CASE WHEN ",
            drained!(),
            " + 1 <= $5 THEN ",
            drained!(),
            " + 1 ELSE ",
            drained!(),
            " END)"
        )
    };
}

/// The level with one event given back.
macro_rules! after_release {
    () => {
        concat!("(CASE WHEN ", drained!(), " > 1 THEN ", drained!(), " - 1 ELSE 0 END)")
    };
}

#[derive(Clone)]
pub struct SharedBuckets {
    pool: AnyPool,
}

/// Unix milliseconds now, by this instance's clock (a bucket's time never goes back:
/// `latest!`).
fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

fn hashed(key: &str) -> String {
    hex::encode(Sha256::digest(key.as_bytes()))
}

impl SharedBuckets {
    pub fn new(pool: AnyPool) -> Self {
        Self { pool }
    }

    /// Records an event if it fits (decided and recorded in one statement), or says how
    /// long until it would.
    pub async fn acquire(&self, spec: &BucketSpec, key: &str) -> Result<Result<(), Duration>, sqlx::Error> {
        self.acquire_at(spec, key, now_ms()).await
    }

    /// `acquire` by an instance whose clock says `now` (Unix milliseconds).
    async fn acquire_at(&self, spec: &BucketSpec, key: &str, now: i64) -> Result<Result<(), Duration>, sqlx::Error> {
        let (level, admitted): (f64, i64) = sqlx::query_as(concat!(
            "INSERT INTO throttle_buckets (scope, key, level, updated_ms, empty_at_ms, admitted) \
             VALUES ($1, $2, 1, $3, $3 + 1 / $4, 1) \
             ON CONFLICT (scope, key) DO UPDATE SET level = ",
            after_event!(),
            ", admitted = CASE WHEN ",
            drained!(),
            " + 1 <= $5 THEN 1 ELSE 0 END, empty_at_ms = ",
            latest!(),
            " + ",
            after_event!(),
            " / $4, updated_ms = ",
            latest!(),
            " RETURNING level, admitted"
        ))
        .bind(spec.scope)
        .bind(hashed(key))
        .bind(now)
        .bind(spec.drain_per_ms)
        // The same tolerance as the in-memory limiter, so both decide alike.
        .bind(spec.limit + 1e-9)
        .fetch_one(&self.pool)
        .await?;
        if admitted == 1 {
            return Ok(Ok(()));
        }
        let wait_ms = ((level + 1.0 - spec.limit) / spec.drain_per_ms).max(1.0);
        Ok(Err(Duration::from_secs_f64(wait_ms / 1000.0)))
    }

    /// Gives back one event that turned out not to count.
    pub async fn release(&self, spec: &BucketSpec, key: &str) -> Result<(), sqlx::Error> {
        self.release_at(spec, key, now_ms()).await
    }

    async fn release_at(&self, spec: &BucketSpec, key: &str, now: i64) -> Result<(), sqlx::Error> {
        sqlx::query(concat!(
            "UPDATE throttle_buckets SET level = ",
            after_release!(),
            ", empty_at_ms = ",
            latest!(),
            " + ",
            after_release!(),
            " / $4, updated_ms = ",
            latest!(),
            " WHERE scope = $1 AND key = $2"
        ))
        .bind(spec.scope)
        .bind(hashed(key))
        .bind(now)
        .bind(spec.drain_per_ms)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Empties a bucket (e.g. after a successful login).
    pub async fn forget(&self, spec: &BucketSpec, key: &str) -> Result<(), sqlx::Error> {
        sqlx::query("DELETE FROM throttle_buckets WHERE scope = $1 AND key = $2")
            .bind(spec.scope)
            .bind(hashed(key))
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Deletes buckets that have drained; returns how many.
    pub async fn purge(&self) -> Result<u64, sqlx::Error> {
        let done = sqlx::query("DELETE FROM throttle_buckets WHERE empty_at_ms < $1")
            .bind(now_ms() as f64)
            .execute(&self.pool)
            .await?;
        Ok(done.rows_affected())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::server::test_support::test_state;

    #[tokio::test]
    async fn admits_the_limit_then_refuses_with_a_wait_and_release_gives_one_back() {
        let t = test_state().await;
        let buckets = SharedBuckets::new(t.state.accounts.users.pool().clone());
        let spec = BucketSpec::new("test", 3, Duration::from_secs(60));
        for _ in 0..3 {
            assert_eq!(buckets.acquire(&spec, "ann").await.unwrap(), Ok(()));
        }
        let wait = buckets.acquire(&spec, "ann").await.unwrap().unwrap_err();
        // 3 per minute drains one event every 20 s.
        assert!((19.5..=20.1).contains(&wait.as_secs_f64()), "{wait:?}");
        assert_eq!(buckets.acquire(&spec, "bob").await.unwrap(), Ok(()), "keys are apart");
        buckets.release(&spec, "ann").await.unwrap();
        assert_eq!(buckets.acquire(&spec, "ann").await.unwrap(), Ok(()));
        assert!(buckets.acquire(&spec, "ann").await.unwrap().is_err());
        buckets.forget(&spec, "ann").await.unwrap();
        assert_eq!(buckets.acquire(&spec, "ann").await.unwrap(), Ok(()));
        // Nothing has drained yet, so the purge keeps every bucket; keys are hashed.
        assert_eq!(buckets.purge().await.unwrap(), 0);
        let keys: Vec<String> = sqlx::query_scalar("SELECT key FROM throttle_buckets")
            .fetch_all(t.state.accounts.users.pool())
            .await
            .unwrap();
        assert_eq!(keys.len(), 2);
        assert!(keys.iter().all(|k| k.len() == 64 && !k.contains("ann")), "{keys:?}");
    }

    /// Parallel attempts through separate connections (as from separate instances):
    /// exactly the limit is admitted.
    #[tokio::test]
    async fn a_parallel_burst_gets_exactly_the_limit() {
        let t = test_state().await;
        let buckets = SharedBuckets::new(t.state.accounts.users.pool().clone());
        let spec = BucketSpec::new("burst", 5, Duration::from_secs(3600));
        let tries = (0..40).map(|_| {
            let (buckets, spec) = (buckets.clone(), spec.clone());
            tokio::spawn(async move { buckets.acquire(&spec, "target").await.unwrap().is_ok() })
        });
        let mut admitted = 0;
        for t in tries {
            admitted += usize::from(t.await.unwrap());
        }
        assert_eq!(admitted, 5);
    }

    /// Issue 21 (6): an instance whose clock is behind must not turn the bucket's time
    /// back, or the next instance, on time, would count the skew as drained time and admit
    /// guesses the limit refuses.
    #[tokio::test]
    async fn an_instance_behind_in_time_cannot_drain_a_bucket() {
        let t = test_state().await;
        let buckets = SharedBuckets::new(t.state.accounts.users.pool().clone());
        let spec = BucketSpec::new("skew", 2, Duration::from_secs(60));
        let on_time = 1_800_000_000_000;
        let behind = on_time - 60_000;
        for _ in 0..2 {
            assert_eq!(buckets.acquire_at(&spec, "ann", on_time).await.unwrap(), Ok(()));
        }
        assert!(buckets.acquire_at(&spec, "ann", behind).await.unwrap().is_err());
        buckets.release_at(&spec, "ann", behind).await.unwrap();
        // One millisecond later on the instance that is on time: still full (the released
        // event aside), not a minute's drain.
        assert_eq!(buckets.acquire_at(&spec, "ann", on_time + 1).await.unwrap(), Ok(()));
        assert!(buckets.acquire_at(&spec, "ann", on_time + 2).await.unwrap().is_err());
    }

    #[tokio::test]
    async fn drained_buckets_are_purged() {
        let t = test_state().await;
        let buckets = SharedBuckets::new(t.state.accounts.users.pool().clone());
        // 1000 per 100 ms: one event drains in 0.1 ms.
        let spec = BucketSpec::new("fast", 1000, Duration::from_millis(100));
        buckets.acquire(&spec, "k").await.unwrap().unwrap();
        tokio::time::sleep(Duration::from_millis(20)).await;
        assert_eq!(buckets.purge().await.unwrap(), 1);
    }
}
