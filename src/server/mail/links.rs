//! `MailLinks`: the secrets in links sent by mail. A token is a `OneTimeSecret` shown only
//! in the mail; the table keeps its hash, the account, the purpose, the address the
//! mail went to and the expiry. A token is used by deleting its row in one statement, so
//! of two concurrent uses exactly one succeeds, and it only works for its own purpose. A
//! password change or an address change deletes every token of the account.

use crate::server::platform::one_time_secret::{OneTimeSecret, SecretTable, purge_expired};
use crate::server::sessions::store::now_secs;
use sqlx::{AnyConnection, AnyPool};
use std::time::Duration;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Purpose {
    PasswordReset,
    /// Proves that the account's address receives mail.
    VerifyEmail,
    /// Proves that a new address receives mail, and moves the account to it.
    ChangeEmail,
}

impl Purpose {
    fn as_str(self) -> &'static str {
        match self {
            Purpose::PasswordReset => "password_reset",
            Purpose::VerifyEmail => "verify_email",
            Purpose::ChangeEmail => "change_email",
        }
    }
}

/// A token that was just used up: whose it was, and the address its mail went to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Redeemed {
    pub user_id: i64,
    pub address: String,
}

#[derive(Clone)]
pub struct MailLinks {
    pool: AnyPool,
}

impl MailLinks {
    pub fn new(pool: AnyPool) -> Self {
        Self { pool }
    }

    /// Makes a token for `user_id`, to be mailed to `address` (inside the caller's
    /// transaction, beside the mail that carries it), and returns it in plain text.
    pub async fn issue(
        connection: &mut AnyConnection,
        user_id: i64,
        purpose: Purpose,
        address: &str,
        ttl: Duration,
    ) -> Result<String, sqlx::Error> {
        let token = OneTimeSecret::generate();
        let now = now_secs();
        // `new_email` holds the address the mail goes to: the new one of an email change.
        sqlx::query(
            "INSERT INTO email_tokens (token_hash, user_id, purpose, new_email, created_at, expires_at) \
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(token.hash())
        .bind(user_id)
        .bind(purpose.as_str())
        .bind(address)
        .bind(now)
        .bind(now.saturating_add(i64::try_from(ttl.as_secs()).unwrap_or(i64::MAX)))
        .execute(connection)
        .await?;
        Ok(token.into_plain())
    }

    /// Whose is this live token? Uses nothing up.
    pub async fn holder(&self, token: &str, purpose: Purpose) -> Result<Option<i64>, sqlx::Error> {
        let Some(token) = OneTimeSecret::parse(token) else {
            return Ok(None);
        };
        sqlx::query_scalar(
            "SELECT user_id FROM email_tokens WHERE token_hash = $1 AND purpose = $2 AND expires_at > $3",
        )
        .bind(token.hash())
        .bind(purpose.as_str())
        .bind(now_secs())
        .fetch_optional(&self.pool)
        .await
    }

    /// Uses the token up (inside the caller's transaction), if it was live.
    pub async fn consume(
        connection: &mut AnyConnection,
        token: &str,
        purpose: Purpose,
    ) -> Result<Option<Redeemed>, sqlx::Error> {
        let Some(token) = OneTimeSecret::parse(token) else {
            return Ok(None);
        };
        let row: Option<(i64, Option<String>)> = sqlx::query_as(
            "DELETE FROM email_tokens WHERE token_hash = $1 AND purpose = $2 AND expires_at > $3 \
             RETURNING user_id, new_email",
        )
        .bind(token.hash())
        .bind(purpose.as_str())
        .bind(now_secs())
        .fetch_optional(connection)
        .await?;
        Ok(row.map(|(user_id, address)| Redeemed {
            user_id,
            address: address.unwrap_or_default(),
        }))
    }

    /// Deletes the tokens that expired before `now` (the hourly purge).
    pub async fn purge(&self, now: i64) -> Result<u64, sqlx::Error> {
        purge_expired(&self.pool, SecretTable::MailLinks, now).await
    }

    /// Deletes every token of the account (its password or its address changed).
    pub async fn revoke_all(connection: &mut AnyConnection, user_id: i64) -> Result<u64, sqlx::Error> {
        let done = sqlx::query("DELETE FROM email_tokens WHERE user_id = $1")
            .bind(user_id)
            .execute(connection)
            .await?;
        Ok(done.rows_affected())
    }
}
