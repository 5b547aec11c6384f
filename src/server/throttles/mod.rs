//! `Throttle`: one throttle as the services use it — an in-process leaky bucket per key
//! ([`LocalBuckets`]) and, when several instances share the database, the shared bucket
//! ([`SharedBuckets`]) that decides.
//!
//! The in-process bucket is a front cache: it sees a subset of the events the shared one
//! sees (every event admitted here is also recorded there, every refusal there is given
//! back here), so it never refuses what the shared state would admit, and when it refuses
//! a flood, the flood never reaches the database. It never admits on its own: with a
//! shared store, the shared bucket has the last word.

pub mod local;
pub mod login;
pub mod shared;

use self::local::LocalBuckets;
use self::shared::{BucketSpec, SharedBuckets};
use std::hash::Hash;
use std::time::{Duration, Instant};

/// How a key is named in the shared table (hashed there).
pub trait BucketKey {
    fn bucket_key(&self) -> String;
}

impl BucketKey for String {
    fn bucket_key(&self) -> String {
        self.clone()
    }
}

/// An account, by its id.
impl BucketKey for i64 {
    fn bucket_key(&self) -> String {
        self.to_string()
    }
}

pub struct Throttle<K> {
    local: LocalBuckets<K>,
    shared: Option<(SharedBuckets, BucketSpec)>,
}

/// Was the event admitted (`Ok(Ok)`), refused with a wait (`Ok(Err)`), or could the shared
/// state not be reached (`Err`)?
pub type Verdict = Result<Result<(), Duration>, sqlx::Error>;

impl<K: BucketKey + Hash + Eq + Send + Sync + Clone + 'static> Throttle<K> {
    /// `limit` events per `window` per key; `shared` when instances share the database.
    pub fn new(
        scope: &'static str,
        limit: u32,
        window: Duration,
        max_keys: u64,
        shared: Option<SharedBuckets>,
    ) -> Self {
        Self {
            local: LocalBuckets::new(limit, window, max_keys),
            shared: shared.map(|buckets| (buckets, BucketSpec::new(scope, limit, window))),
        }
    }

    /// Records the event if it fits, in one atomic step per store.
    pub async fn acquire(&self, key: &K) -> Verdict {
        if let Err(wait) = self.local.acquire(key.clone(), Instant::now()) {
            return Ok(Err(wait));
        }
        let Some((buckets, spec)) = &self.shared else {
            return Ok(Ok(()));
        };
        let verdict = buckets.acquire(spec, &key.bucket_key()).await;
        if !matches!(verdict, Ok(Ok(()))) {
            self.local.release(key.clone(), Instant::now());
        }
        verdict
    }

    /// Gives back one event that turned out not to count.
    pub async fn release(&self, key: &K) -> Result<(), sqlx::Error> {
        self.local.release(key.clone(), Instant::now());
        match &self.shared {
            Some((buckets, spec)) => buckets.release(spec, &key.bucket_key()).await,
            None => Ok(()),
        }
    }

    /// Empties the key's bucket.
    pub async fn forget(&self, key: &K) -> Result<(), sqlx::Error> {
        self.local.forget(key);
        match &self.shared {
            Some((buckets, spec)) => buckets.forget(spec, &key.bucket_key()).await,
            None => Ok(()),
        }
    }
}
