//! `MfaChallenges`: logins whose password was right and that wait for a second factor.
//!
//! The `mfa_token` a login hands out is 256 random bits, shown once; the table keeps its
//! SHA-256, the account, the password hash that was verified (the session that ends the
//! login is tied to it, so a password changed in between starts none), the attempts made
//! and the expiry. Each attempt is counted by one conditional `UPDATE` before the code is
//! checked, so parallel guesses cannot exceed the limit; the login that succeeds deletes the
//! row, so the token works once. Being in the database, a login begun on one instance can
//! end on another.

use crate::server::platform::one_time_secret::{OneTimeSecret, SecretTable, hash_of, purge_expired};
use crate::server::sessions::store::now_secs;
use sqlx::AnyPool;

/// How long a login may wait for its second factor.
pub const TTL_SECS: i64 = 5 * 60;
/// Codes tried per `mfa_token`.
pub const MAX_ATTEMPTS: i64 = 5;

/// A login waiting for its second factor, as an attempt found it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Pending {
    pub user_id: i64,
    pub password_hash: String,
}

#[derive(Clone)]
pub struct MfaChallenges {
    pool: AnyPool,
}

impl MfaChallenges {
    pub fn new(pool: AnyPool) -> Self {
        Self { pool }
    }

    /// A new `mfa_token` for `user_id`, whose password `password_hash` was just verified.
    pub async fn issue(&self, user_id: i64, password_hash: &str) -> Result<String, sqlx::Error> {
        let token = OneTimeSecret::generate();
        sqlx::query(
            "INSERT INTO mfa_challenges (token_hash, user_id, password_hash, attempts, expires_at) \
             VALUES ($1, $2, $3, 0, $4)",
        )
        .bind(token.hash())
        .bind(user_id)
        .bind(password_hash)
        .bind(now_secs() + TTL_SECS)
        .execute(&self.pool)
        .await?;
        Ok(token.into_plain())
    }

    /// Counts one attempt on the token and returns its login, or `None` if the token is
    /// unknown, expired, used, or out of attempts.
    pub async fn attempt(&self, token: &str) -> Result<Option<Pending>, sqlx::Error> {
        let Some(token) = OneTimeSecret::parse(token) else {
            return Ok(None);
        };
        sqlx::query_as(
            "UPDATE mfa_challenges SET attempts = attempts + 1 \
             WHERE token_hash = $1 AND attempts < $2 AND expires_at > $3 \
             RETURNING user_id, password_hash",
        )
        .bind(token.hash())
        .bind(MAX_ATTEMPTS)
        .bind(now_secs())
        .fetch_optional(&self.pool)
        .await
    }

    /// The login the token stands for, if it is live and has attempts left; counts none.
    pub async fn peek(&self, token: &str) -> Result<Option<Pending>, sqlx::Error> {
        let Some(token) = OneTimeSecret::parse(token) else {
            return Ok(None);
        };
        sqlx::query_as(
            "SELECT user_id, password_hash FROM mfa_challenges \
             WHERE token_hash = $1 AND attempts < $2 AND expires_at > $3",
        )
        .bind(token.hash())
        .bind(MAX_ATTEMPTS)
        .bind(now_secs())
        .fetch_optional(&self.pool)
        .await
    }

    /// Ends the login the token stands for: `false` if another request ended it first.
    pub async fn consume(&self, token: &str) -> Result<bool, sqlx::Error> {
        let done = sqlx::query("DELETE FROM mfa_challenges WHERE token_hash = $1")
            .bind(hash_of(token))
            .execute(&self.pool)
            .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Deletes the challenges that expired before `now` (the hourly purge).
    pub async fn purge(&self, now: i64) -> Result<u64, sqlx::Error> {
        purge_expired(&self.pool, SecretTable::MfaChallenges, now).await
    }
}
