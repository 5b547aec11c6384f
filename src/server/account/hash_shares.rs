//! `HashShares`: no one account holds more than its share of the hashing slots.
//!
//! The slots of `super::password::PasswordHasher` are few (one per core) and shared by
//! everyone. Without shares, one account's own right password sent from 16 parallel loops
//! would fill them and the queue, and other people's logins would wait past the queue
//! timeout and get 503 (issue 21). So each request that hashes for an account first takes
//! a permit of that account's share — a quarter of the slots, at least one — and its
//! other requests wait in a queue of their own, not in front of everyone else's.
//!
//! An account's semaphore exists only while one of its requests holds or waits for it:
//! the map holds the accounts in flight, never every account seen.

use super::password::HashError;
use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

#[derive(Clone)]
pub struct HashShares {
    per_account: Arc<Mutex<HashMap<String, Arc<Semaphore>>>>,
    share: usize,
    queue_timeout: Duration,
}

/// A request's place in its account's share; given back when dropped.
pub struct SharePermit {
    shares: HashShares,
    account: String,
    semaphore: Arc<Semaphore>,
    permit: Option<OwnedSemaphorePermit>,
}

impl HashShares {
    /// `slots`: the hasher's slots; an account gets a quarter of them, at least one.
    pub fn new(slots: usize, queue_timeout: Duration) -> Self {
        Self {
            per_account: Arc::default(),
            share: (slots / 4).max(1),
            queue_timeout,
        }
    }

    /// Waits for a place in `account`'s share (at most the queue timeout: then
    /// [`HashError::Busy`], a 503, as when every slot stays taken).
    pub async fn enter(&self, account: &str) -> Result<SharePermit, HashError> {
        let semaphore = {
            let mut map = self.per_account.lock().unwrap_or_else(PoisonError::into_inner);
            Arc::clone(
                map.entry(account.to_owned())
                    .or_insert_with(|| Arc::new(Semaphore::new(self.share))),
            )
        };
        // From here the permit's drop removes the entry when no one else uses it, even if
        // the wait below times out.
        let mut held = SharePermit {
            shares: self.clone(),
            account: account.to_owned(),
            semaphore: Arc::clone(&semaphore),
            permit: None,
        };
        let permit = tokio::time::timeout(self.queue_timeout, semaphore.acquire_owned())
            .await
            .map_err(|_| HashError::Busy)?
            .map_err(|_| HashError::Failed(anyhow::anyhow!("hash share semaphore closed")))?;
        held.permit = Some(permit);
        Ok(held)
    }

    #[cfg(test)]
    fn accounts_in_flight(&self) -> usize {
        self.per_account.lock().unwrap_or_else(PoisonError::into_inner).len()
    }
}

impl Drop for SharePermit {
    fn drop(&mut self) {
        drop(self.permit.take());
        let mut map = self.shares.per_account.lock().unwrap_or_else(PoisonError::into_inner);
        // Two references left — the map's and this permit's — means nobody else holds or
        // waits for this account's share.
        if Arc::strong_count(&self.semaphore) == 2 {
            map.remove(&self.account);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn an_account_holds_at_most_its_share_and_others_are_not_held_back() {
        let shares = HashShares::new(8, Duration::from_millis(50));
        let first = shares.enter("a@example.com").await.unwrap();
        let second = shares.enter("a@example.com").await.unwrap();
        // A quarter of 8 slots: the third waits, and gives up at the queue timeout.
        assert!(matches!(shares.enter("a@example.com").await, Err(HashError::Busy)));
        let other = shares.enter("b@example.com").await.unwrap();
        drop(first);
        let third = shares.enter("a@example.com").await.unwrap();
        drop((second, third, other));
        assert_eq!(shares.accounts_in_flight(), 0, "nothing is kept once all are done");
    }

    #[test]
    fn the_share_is_a_quarter_of_the_slots_and_at_least_one() {
        assert_eq!(HashShares::new(1, Duration::ZERO).share, 1);
        assert_eq!(HashShares::new(2, Duration::ZERO).share, 1);
        assert_eq!(HashShares::new(16, Duration::ZERO).share, 4);
    }
}
