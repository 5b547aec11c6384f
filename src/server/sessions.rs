//! `SessionStore`: sessions (one per login) and their rotating refresh tokens.
//!
//! The refresh token itself is 256 random bits that only the browser's cookie holds;
//! the table keeps its SHA-256. Each refresh marks the presented token used and issues
//! a new one in the same session. A used token presented again means two parties hold
//! the session (one of them a thief): the whole session is revoked, so both must log in.

use sha2::{Digest, Sha256};
use sqlx::SqlitePool;
use std::time::Duration;

/// Unix seconds now.
pub fn now_secs() -> i64 {
    i64::try_from(jsonwebtoken::get_current_timestamp()).unwrap_or(i64::MAX)
}

/// A refresh token in plain text: exists only in the cookie and on the wire.
pub struct RefreshToken(pub String);

impl RefreshToken {
    fn generate() -> Self {
        let bytes: [u8; 32] = rand::random();
        Self(hex::encode(bytes))
    }

    fn hash(value: &str) -> String {
        hex::encode(Sha256::digest(value.as_bytes()))
    }
}

/// A session that was just created or refreshed.
pub struct IssuedSession {
    pub session_id: String,
    pub user_id: i64,
    pub refresh_token: RefreshToken,
}

#[derive(Debug, PartialEq, Eq)]
pub enum RefreshRefused {
    /// Unknown token, or its session is revoked or expired.
    Invalid,
    /// An already-rotated token: the session has now been revoked.
    Reused,
}

/// A refresh token's row joined with its session.
#[derive(sqlx::FromRow)]
struct PresentedToken {
    session_id: String,
    user_id: i64,
    revoked_at: Option<i64>,
    expires_at: i64,
    used_at: Option<i64>,
}

/// Issues a new refresh token for the session, inside the caller's transaction.
async fn add_refresh_token(
    tx: &mut sqlx::SqliteConnection,
    session_id: &str,
    now: i64,
) -> Result<RefreshToken, sqlx::Error> {
    let token = RefreshToken::generate();
    sqlx::query("INSERT INTO refresh_tokens (token_hash, session_id, created_at) VALUES ($1, $2, $3)")
        .bind(RefreshToken::hash(&token.0))
        .bind(session_id)
        .bind(now)
        .execute(tx)
        .await?;
    Ok(token)
}

#[derive(Clone)]
pub struct SessionStore {
    pool: SqlitePool,
    ttl: Duration,
}

impl SessionStore {
    pub fn new(pool: SqlitePool, ttl: Duration) -> Self {
        Self { pool, ttl }
    }

    pub fn ttl(&self) -> Duration {
        self.ttl
    }

    /// Starts a session for `user_id` with its first refresh token.
    pub async fn create(&self, user_id: i64) -> Result<IssuedSession, sqlx::Error> {
        let session_id = hex::encode(rand::random::<[u8; 16]>());
        let now = now_secs();
        let expires_at = now.saturating_add(i64::try_from(self.ttl.as_secs()).unwrap_or(i64::MAX));
        let mut tx = self.pool.begin().await?;
        sqlx::query("INSERT INTO sessions (id, user_id, created_at, expires_at) VALUES ($1, $2, $3, $4)")
            .bind(&session_id)
            .bind(user_id)
            .bind(now)
            .bind(expires_at)
            .execute(&mut *tx)
            .await?;
        let refresh_token = add_refresh_token(&mut tx, &session_id, now).await?;
        tx.commit().await?;
        Ok(IssuedSession {
            session_id,
            user_id,
            refresh_token,
        })
    }

    /// Exchanges a refresh token for its successor.
    pub async fn rotate(&self, presented: &str) -> Result<Result<IssuedSession, RefreshRefused>, sqlx::Error> {
        let hash = RefreshToken::hash(presented);
        let now = now_secs();
        let row: Option<PresentedToken> = sqlx::query_as(
            "SELECT s.id AS session_id, s.user_id, s.revoked_at, s.expires_at, t.used_at \
             FROM refresh_tokens t JOIN sessions s ON s.id = t.session_id WHERE t.token_hash = $1",
        )
        .bind(&hash)
        .fetch_optional(&self.pool)
        .await?;
        let Some(PresentedToken {
            session_id,
            user_id,
            revoked_at,
            expires_at,
            used_at,
        }) = row
        else {
            return Ok(Err(RefreshRefused::Invalid));
        };
        if revoked_at.is_some() || expires_at <= now {
            return Ok(Err(RefreshRefused::Invalid));
        }
        if used_at.is_some() {
            self.revoke(&session_id).await?;
            return Ok(Err(RefreshRefused::Reused));
        }
        let mut tx = self.pool.begin().await?;
        // Only one of two concurrent refreshes with the same token can mark it used.
        let marked = sqlx::query("UPDATE refresh_tokens SET used_at = $1 WHERE token_hash = $2 AND used_at IS NULL")
            .bind(now)
            .bind(&hash)
            .execute(&mut *tx)
            .await?;
        if marked.rows_affected() != 1 {
            tx.rollback().await?;
            self.revoke(&session_id).await?;
            return Ok(Err(RefreshRefused::Reused));
        }
        let refresh_token = add_refresh_token(&mut tx, &session_id, now).await?;
        tx.commit().await?;
        Ok(Ok(IssuedSession {
            session_id,
            user_id,
            refresh_token,
        }))
    }

    /// Is this session of this user neither revoked nor expired?
    pub async fn is_active(&self, session_id: &str, user_id: i64) -> Result<bool, sqlx::Error> {
        let active: Option<i64> = sqlx::query_scalar(
            "SELECT 1 FROM sessions WHERE id = $1 AND user_id = $2 AND revoked_at IS NULL AND expires_at > $3",
        )
        .bind(session_id)
        .bind(user_id)
        .bind(now_secs())
        .fetch_optional(&self.pool)
        .await?;
        Ok(active.is_some())
    }

    pub async fn revoke(&self, session_id: &str) -> Result<(), sqlx::Error> {
        sqlx::query("UPDATE sessions SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL")
            .bind(now_secs())
            .bind(session_id)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Revokes every session of the user; returns how many were active.
    pub async fn revoke_all(&self, user_id: i64) -> Result<u64, sqlx::Error> {
        let done = sqlx::query("UPDATE sessions SET revoked_at = $1 WHERE user_id = $2 AND revoked_at IS NULL")
            .bind(now_secs())
            .bind(user_id)
            .execute(&self.pool)
            .await?;
        Ok(done.rows_affected())
    }
}
