//! `PasswordHasher`: argon2id with the crate's defaults (m=19456 KiB, t=2, p=1), the
//! OWASP-recommended minimum, producing self-describing PHC strings.

use anyhow::Context;
use argon2::Argon2;
use argon2::password_hash::phc::PasswordHash;
use argon2::password_hash::{PasswordHasher as _, PasswordVerifier as _};
use secrecy::{ExposeSecret, SecretString};
use std::sync::Arc;

#[derive(Clone)]
pub struct PasswordHasher {
    /// A real hash of a random password, made once at startup. A login for an unknown
    /// email is verified against it, so it costs the same time as a login for a real
    /// account and the response time does not reveal which emails are registered.
    dummy_hash: Arc<str>,
}

impl PasswordHasher {
    pub async fn new() -> anyhow::Result<Self> {
        let random = SecretString::from(format!("{:032x}", rand::random::<u128>()));
        let dummy_hash = hash_blocking(random).await?;
        Ok(Self {
            dummy_hash: dummy_hash.into(),
        })
    }

    /// Hashes a new password with a fresh random salt.
    pub async fn hash(&self, password: SecretString) -> anyhow::Result<String> {
        hash_blocking(password).await
    }

    /// Verifies `password` against a stored PHC string, in constant time (the crate's
    /// comparison). `None` means "no such user": the work is done all the same, against
    /// the dummy hash, and the answer is always `false`.
    pub async fn verify(&self, password: SecretString, stored: Option<String>) -> anyhow::Result<bool> {
        let (phc, is_real) = match stored {
            Some(phc) => (phc, true),
            None => (self.dummy_hash.to_string(), false),
        };
        let matches = run_blocking(move || {
            let parsed = PasswordHash::new(&phc).context("stored password hash is not a valid PHC string")?;
            Ok(Argon2::default()
                .verify_password(password.expose_secret().as_bytes(), &parsed)
                .is_ok())
        })
        .await?;
        Ok(is_real && matches)
    }
}

async fn hash_blocking(password: SecretString) -> anyhow::Result<String> {
    run_blocking(move || {
        let hash = Argon2::default()
            .hash_password(password.expose_secret().as_bytes())
            .map_err(|e| anyhow::anyhow!("argon2 hashing failed: {e}"))?;
        Ok(hash.to_string())
    })
    .await
}

/// argon2 is deliberately slow (tens of milliseconds of pure CPU). Run on the async
/// runtime, it would stall every other request sharing that worker thread, so it goes
/// to tokio's blocking pool instead.
async fn run_blocking<T: Send + 'static>(
    work: impl FnOnce() -> anyhow::Result<T> + Send + 'static,
) -> anyhow::Result<T> {
    tokio::task::spawn_blocking(work)
        .await
        .context("password hashing task failed")?
}

#[cfg(test)]
mod tests {
    use super::*;

    fn secret(s: &str) -> SecretString {
        SecretString::from(s.to_owned())
    }

    #[tokio::test]
    async fn hash_is_argon2id_with_default_parameters_and_verifies() {
        let hasher = PasswordHasher::new().await.unwrap();
        let hash = hasher.hash(secret("correct horse battery staple")).await.unwrap();
        assert!(hash.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{hash}");
        assert!(
            hasher
                .verify(secret("correct horse battery staple"), Some(hash.clone()))
                .await
                .unwrap()
        );
        assert!(
            !hasher
                .verify(secret("correct horse battery stapl"), Some(hash.clone()))
                .await
                .unwrap()
        );
        assert!(
            !hasher
                .verify(secret("Correct horse battery staple"), Some(hash))
                .await
                .unwrap()
        );
    }

    #[tokio::test]
    async fn same_password_gets_a_different_salt_each_time() {
        let hasher = PasswordHasher::new().await.unwrap();
        let a = hasher.hash(secret("same password")).await.unwrap();
        let b = hasher.hash(secret("same password")).await.unwrap();
        assert_ne!(a, b);
    }

    #[tokio::test]
    async fn unknown_user_never_verifies() {
        let hasher = PasswordHasher::new().await.unwrap();
        assert!(!hasher.verify(secret("anything"), None).await.unwrap());
    }

    #[tokio::test]
    async fn corrupt_stored_hash_is_an_error_not_a_match() {
        let hasher = PasswordHasher::new().await.unwrap();
        assert!(hasher.verify(secret("x"), Some("not-a-phc".into())).await.is_err());
    }
}
