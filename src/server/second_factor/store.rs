//! `FactorStore`: SQL on `totp_factors` and `recovery_codes`, the second factors of the
//! accounts. Every decision that two requests could race for is one conditional statement:
//! a time step is accepted by an `UPDATE … WHERE last_step < step`, a recovery code used by
//! a `DELETE`, so of two requests with the same code exactly one wins.

use crate::server::sessions::store::now_secs;
use sqlx::{AnyConnection, AnyPool};

/// An account's authenticator app as stored: the sealed seed (`super::cipher`),
/// whether the first right code has turned it on, and the last step accepted.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct TotpRow {
    pub secret: String,
    pub enabled_at: Option<i64>,
    pub last_step: i64,
    /// Wrong codes in a row, over every network (`super::failures`).
    pub failed_codes: i64,
}

impl TotpRow {
    pub fn enabled(&self) -> bool {
        self.enabled_at.is_some()
    }
}

#[derive(Clone)]
pub struct FactorStore {
    pool: AnyPool,
}

impl FactorStore {
    pub fn new(pool: AnyPool) -> Self {
        Self { pool }
    }

    pub async fn totp(&self, user_id: i64) -> Result<Option<TotpRow>, sqlx::Error> {
        sqlx::query_as("SELECT secret, enabled_at, last_step, failed_codes FROM totp_factors WHERE user_id = $1")
            .bind(user_id)
            .fetch_optional(&self.pool)
            .await
    }

    /// Does the account have a second factor turned on?
    pub async fn is_enabled(&self, user_id: i64) -> Result<bool, sqlx::Error> {
        let found: Option<i64> =
            sqlx::query_scalar("SELECT user_id FROM totp_factors WHERE user_id = $1 AND enabled_at IS NOT NULL")
                .bind(user_id)
                .fetch_optional(&self.pool)
                .await?;
        Ok(found.is_some())
    }

    /// Stores a new seed waiting for its first code, replacing one that never got it.
    /// `false`: a second factor is already on (it is never replaced this way).
    pub async fn begin_totp(&self, user_id: i64, sealed: &str) -> Result<bool, sqlx::Error> {
        let done = sqlx::query(
            "INSERT INTO totp_factors (user_id, secret, enabled_at, last_step, created_at) \
             VALUES ($1, $2, NULL, 0, $3) \
             ON CONFLICT (user_id) DO UPDATE SET secret = excluded.secret, last_step = 0, \
             created_at = excluded.created_at WHERE totp_factors.enabled_at IS NULL",
        )
        .bind(user_id)
        .bind(sealed)
        .bind(now_secs())
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Turns the waiting seed `sealed` on with its first accepted `step` (inside the
    /// caller's transaction). `false` if it was turned on meanwhile or replaced by a newer
    /// setup: the code was for a seed that is no longer the one waiting.
    pub async fn enable_totp(
        connection: &mut AnyConnection,
        user_id: i64,
        sealed: &str,
        step: i64,
    ) -> Result<bool, sqlx::Error> {
        let done = sqlx::query(
            "UPDATE totp_factors SET enabled_at = $1, last_step = $2 \
             WHERE user_id = $3 AND secret = $4 AND enabled_at IS NULL",
        )
        .bind(now_secs())
        .bind(step)
        .bind(user_id)
        .bind(sealed)
        .execute(connection)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Records `step` as used, if it is later than every step used before: `false` means
    /// the code was used already (here, or by a request that won the race).
    pub async fn use_step(&self, user_id: i64, step: i64) -> Result<bool, sqlx::Error> {
        let done = sqlx::query(
            "UPDATE totp_factors SET last_step = $1 \
             WHERE user_id = $2 AND enabled_at IS NOT NULL AND last_step < $1",
        )
        .bind(step)
        .bind(user_id)
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Takes an attempt's place in the account's run of wrong codes before the code is
    /// checked: one statement, so parallel guesses each get a count of their own and, under
    /// `cap`, none passes it. The count with this attempt; `None` when the cap is reached
    /// (or the account has no second factor on).
    pub async fn count_attempt(&self, user_id: i64, cap: Option<i64>) -> Result<Option<i64>, sqlx::Error> {
        sqlx::query_scalar(
            "UPDATE totp_factors SET failed_codes = failed_codes + 1 \
             WHERE user_id = $1 AND enabled_at IS NOT NULL AND ($2 IS NULL OR failed_codes < $2) \
             RETURNING failed_codes",
        )
        .bind(user_id)
        .bind(cap)
        .fetch_optional(&self.pool)
        .await
    }

    /// A right proof ends a run of wrong codes.
    pub async fn clear_failed_codes(&self, user_id: i64) -> Result<(), sqlx::Error> {
        sqlx::query("UPDATE totp_factors SET failed_codes = 0 WHERE user_id = $1 AND failed_codes <> 0")
            .bind(user_id)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Replaces a seed sealed under the previous key with the same seed sealed under the
    /// current one, unless it changed meanwhile.
    pub async fn reseal(&self, user_id: i64, old: &str, new: &str) -> Result<(), sqlx::Error> {
        sqlx::query("UPDATE totp_factors SET secret = $1 WHERE user_id = $2 AND secret = $3")
            .bind(new)
            .bind(user_id)
            .bind(old)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Uses up one recovery code (given as its hash): `false` if the account has no such
    /// unused code.
    pub async fn use_recovery_code(&self, user_id: i64, code_hash: &str) -> Result<bool, sqlx::Error> {
        let done = sqlx::query("DELETE FROM recovery_codes WHERE user_id = $1 AND code_hash = $2")
            .bind(user_id)
            .bind(code_hash)
            .execute(&self.pool)
            .await?;
        Ok(done.rows_affected() == 1)
    }

    pub async fn recovery_codes_left(&self, user_id: i64) -> Result<i64, sqlx::Error> {
        sqlx::query_scalar("SELECT COUNT(*) FROM recovery_codes WHERE user_id = $1")
            .bind(user_id)
            .fetch_one(&self.pool)
            .await
    }

    /// Replaces the account's recovery codes with these (their hashes), inside the
    /// caller's transaction.
    pub async fn replace_recovery_codes(
        connection: &mut AnyConnection,
        user_id: i64,
        code_hashes: &[String],
    ) -> Result<(), sqlx::Error> {
        sqlx::query("DELETE FROM recovery_codes WHERE user_id = $1")
            .bind(user_id)
            .execute(&mut *connection)
            .await?;
        for hash in code_hashes {
            sqlx::query("INSERT INTO recovery_codes (user_id, code_hash) VALUES ($1, $2)")
                .bind(user_id)
                .bind(hash)
                .execute(&mut *connection)
                .await?;
        }
        Ok(())
    }

    /// Removes the account's second factor and its recovery codes (inside the caller's
    /// transaction): `true` if one was on.
    pub async fn remove(connection: &mut AnyConnection, user_id: i64) -> Result<bool, sqlx::Error> {
        let removed = sqlx::query("DELETE FROM totp_factors WHERE user_id = $1 AND enabled_at IS NOT NULL")
            .bind(user_id)
            .execute(&mut *connection)
            .await?
            .rows_affected();
        sqlx::query("DELETE FROM totp_factors WHERE user_id = $1")
            .bind(user_id)
            .execute(&mut *connection)
            .await?;
        sqlx::query("DELETE FROM recovery_codes WHERE user_id = $1")
            .bind(user_id)
            .execute(&mut *connection)
            .await?;
        sqlx::query("DELETE FROM mfa_challenges WHERE user_id = $1")
            .bind(user_id)
            .execute(&mut *connection)
            .await?;
        Ok(removed == 1)
    }
}
