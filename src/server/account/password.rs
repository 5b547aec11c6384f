//! `PasswordHasher`: argon2id with the crate's defaults (m=19456 KiB, t=2, p=1), the
//! OWASP-recommended minimum, producing self-describing PHC strings.
//!
//! Each hash needs 19 MiB of memory and tens of milliseconds of one core. At most
//! `max_concurrent` run at once (a semaphore in front of the blocking pool), so a
//! flood of logins queues instead of exhausting memory; a request that waits longer
//! than `queue_timeout` is turned away with [`HashError::Busy`] (503) rather than hang.
//! Each slot reuses one 19 MiB working area (`super::hash_memory`) instead of mapping a
//! fresh one per hash. Every call names the account it hashes for (the typed address at a
//! login or signup): no one account holds more than its share of the slots
//! (`super::hash_shares`).

use super::hash_memory::{WorkArea, WorkAreas};
use super::hash_shares::HashShares;
use crate::server::platform::config::Hashing;
use crate::server::platform::metrics::Metrics;
use anyhow::Context;
use argon2::password_hash::phc::PasswordHash;
use argon2::{Algorithm, Params, Version};
use secrecy::{ExposeSecret, SecretString};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::Semaphore;

#[derive(Debug, thiserror::Error)]
pub enum HashError {
    /// Every hashing slot stayed taken for the whole queue timeout.
    #[error("password hashing is saturated")]
    Busy,
    #[error(transparent)]
    Failed(#[from] anyhow::Error),
}

#[derive(Clone)]
pub struct PasswordHasher {
    /// A real hash of a random password, made once at startup with the current
    /// parameters. A login for an unknown email is verified against it, so it costs the
    /// same time as a login for a real account and the response time does not reveal
    /// which emails are registered.
    dummy_hash: Arc<str>,
    permits: Arc<Semaphore>,
    /// argon2's working memory, one area per slot, reused.
    areas: Arc<WorkAreas>,
    queue_timeout: Duration,
    /// Each account's part of the slots.
    shares: HashShares,
    /// The queue in front of the slots: its depth and each request's wait.
    metrics: Metrics,
}

impl PasswordHasher {
    pub async fn new(config: &Hashing, metrics: Metrics) -> anyhow::Result<Self> {
        let mut hasher = Self {
            dummy_hash: Arc::from(""),
            permits: Arc::new(Semaphore::new(config.max_concurrent.max(1))),
            areas: WorkAreas::new(Params::default()),
            queue_timeout: config.queue_timeout,
            shares: HashShares::new(config.max_concurrent.max(1), config.queue_timeout),
            metrics,
        };
        let random = SecretString::from(format!("{:032x}", rand::random::<u128>()));
        hasher.dummy_hash = hasher.hash("", random).await.map_err(anyhow::Error::from)?.into();
        Ok(hasher)
    }

    /// Hashes a new password of `account` with a fresh random salt.
    pub async fn hash(&self, account: &str, password: SecretString) -> Result<String, HashError> {
        self.run_in_area(account, move |area| area.hash(password.expose_secret().as_bytes()))
            .await
    }

    /// Verifies `password` against a stored PHC string, in constant time (the crate's
    /// comparison). `None` means "no such user": the work is done all the same, against
    /// the dummy hash, and the answer is always `false`.
    pub async fn verify(
        &self,
        account: &str,
        password: SecretString,
        stored: Option<String>,
    ) -> Result<bool, HashError> {
        let (phc, is_real) = match stored {
            Some(phc) => (phc, true),
            None => (self.dummy_hash.to_string(), false),
        };
        let matches = self
            .run_in_area(account, move |area| {
                let parsed = PasswordHash::new(&phc).context("stored password hash is not a valid PHC string")?;
                area.verify(password.expose_secret().as_bytes(), &parsed)
            })
            .await?;
        Ok(is_real && matches)
    }

    /// Runs other CPU-heavy work on a password — the dictionary check — where hashing
    /// runs: on the blocking pool, behind the same semaphore, never on an async worker.
    pub async fn offload<T: Send + 'static>(
        &self,
        account: &str,
        work: impl FnOnce() -> T + Send + 'static,
    ) -> Result<T, HashError> {
        self.run(account, move || Ok(work())).await
    }

    /// Was `stored` made with other parameters than we use now (older, weaker, or
    /// another algorithm)? Then it should be replaced at the next successful login.
    pub fn needs_rehash(stored: &str) -> bool {
        let Ok(parsed) = PasswordHash::new(stored) else {
            return true;
        };
        let current = Params::default();
        let same_params = Params::try_from(&parsed).is_ok_and(|p| {
            p.m_cost() == current.m_cost() && p.t_cost() == current.t_cost() && p.p_cost() == current.p_cost()
        });
        let same_algorithm = parsed.algorithm == Algorithm::Argon2id.ident();
        let same_version = parsed.version == Some(Version::V0x13.into());
        !(same_params && same_algorithm && same_version)
    }

    /// Runs an argon2 computation in one of the slots' working areas.
    async fn run_in_area<T: Send + 'static>(
        &self,
        account: &str,
        work: impl FnOnce(&mut WorkArea) -> anyhow::Result<T> + Send + 'static,
    ) -> Result<T, HashError> {
        let areas = Arc::clone(&self.areas);
        self.run(account, move || work(&mut areas.take())).await
    }

    /// Runs argon2 on tokio's blocking pool, at most `max_concurrent` at a time.
    ///
    /// argon2 is deliberately slow (tens of milliseconds of pure CPU). On the async
    /// runtime it would stall every other request sharing that worker thread.
    async fn run<T: Send + 'static>(
        &self,
        account: &str,
        work: impl FnOnce() -> anyhow::Result<T> + Send + 'static,
    ) -> Result<T, HashError> {
        let queued = self.metrics.hash_queued();
        // The account's share first: its surplus waits here, not in everyone's queue.
        let share = self.shares.enter(account).await?;
        let permit = tokio::time::timeout(self.queue_timeout, self.permits.clone().acquire_owned())
            .await
            .map_err(|_| HashError::Busy)?
            .context("hashing semaphore closed")?;
        drop(queued);
        let result = tokio::task::spawn_blocking(move || {
            let result = work();
            drop(permit);
            result
        })
        .await
        .context("password hashing task failed")?;
        drop(share);
        Ok(result?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn secret(s: &str) -> SecretString {
        SecretString::from(s.to_owned())
    }

    async fn hasher() -> PasswordHasher {
        PasswordHasher::new(
            &Hashing {
                max_concurrent: 2,
                queue_timeout: Duration::from_secs(10),
            },
            Metrics::new(),
        )
        .await
        .unwrap()
    }

    #[tokio::test]
    async fn hash_is_argon2id_with_default_parameters_and_verifies() {
        let hasher = hasher().await;
        let hash = hasher.hash("a", secret("correct horse battery staple")).await.unwrap();
        assert!(hash.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{hash}");
        assert!(!PasswordHasher::needs_rehash(&hash));
        assert!(
            hasher
                .verify("a", secret("correct horse battery staple"), Some(hash.clone()))
                .await
                .unwrap()
        );
        assert!(
            !hasher
                .verify("a", secret("correct horse battery stapl"), Some(hash.clone()))
                .await
                .unwrap()
        );
        assert!(
            !hasher
                .verify("a", secret("Correct horse battery staple"), Some(hash.clone()))
                .await
                .unwrap()
        );
        assert!(
            !hasher
                .verify("a", secret(" correct horse battery staple"), Some(hash))
                .await
                .unwrap()
        );
    }

    #[tokio::test]
    async fn long_passwords_are_not_truncated() {
        // bcrypt would only look at the first 72 bytes; argon2 sees all of them.
        let hasher = hasher().await;
        let long = "x".repeat(100);
        let hash = hasher.hash("a", secret(&long)).await.unwrap();
        assert!(
            !hasher
                .verify("a", secret(&long[..72]), Some(hash.clone()))
                .await
                .unwrap()
        );
        assert!(hasher.verify("a", secret(&long), Some(hash)).await.unwrap());
    }

    #[tokio::test]
    async fn same_password_gets_a_different_salt_each_time() {
        let hasher = hasher().await;
        let a = hasher.hash("a", secret("same password")).await.unwrap();
        let b = hasher.hash("a", secret("same password")).await.unwrap();
        assert_ne!(a, b);
    }

    #[tokio::test]
    async fn unknown_user_never_verifies() {
        let hasher = hasher().await;
        assert!(!hasher.verify("a", secret("anything"), None).await.unwrap());
    }

    #[tokio::test]
    async fn corrupt_stored_hash_is_an_error_not_a_match() {
        let hasher = hasher().await;
        assert!(hasher.verify("a", secret("x"), Some("not-a-phc".into())).await.is_err());
    }

    #[test]
    fn weaker_or_foreign_hashes_need_a_rehash() {
        assert!(PasswordHasher::needs_rehash(
            "$argon2id$v=19$m=4096,t=1,p=1$c29tZXNhbHQ$ZXhhbXBsZWhhc2g"
        ));
        assert!(PasswordHasher::needs_rehash(
            "$argon2i$v=19$m=19456,t=2,p=1$c29tZXNhbHQ$ZXhhbXBsZWhhc2g"
        ));
        assert!(PasswordHasher::needs_rehash("$2b$12$abcdefghijklmnopqrstuv"));
    }

    #[tokio::test]
    async fn a_saturated_hasher_turns_requests_away() {
        let hasher = PasswordHasher::new(
            &Hashing {
                max_concurrent: 1,
                queue_timeout: Duration::from_millis(1),
            },
            Metrics::new(),
        )
        .await
        .unwrap();
        let held = hasher.permits.clone().acquire_owned().await.unwrap();
        assert!(matches!(
            hasher.hash("a", secret("whatever password")).await,
            Err(HashError::Busy)
        ));
        drop(held);
        assert!(hasher.hash("a", secret("whatever password")).await.is_ok());
    }
}
