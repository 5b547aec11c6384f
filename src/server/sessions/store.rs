//! `SessionStore`: sessions (one per login) and their rotating refresh tokens.
//!
//! A refresh token is `session id . generation . secret`. The secret of generation `g` is
//! HMAC-SHA256(server key, session id, the session's random seed, `g`): only the server
//! can make one, and it can check a token of *any* generation of the session while the
//! row keeps just the seed and the current generation — constant space, however often
//! the session refreshes. Each refresh moves the session to the next generation. A
//! genuine token of an earlier generation presented again means two parties hold the
//! session (one of them a thief): the whole session is revoked, so both must log in. A
//! token whose secret does not check out is only a guess, and revokes nothing.
//!
//! The database alone (a stolen backup) gives no refresh token: the key is not in it.

use crate::server::platform::database::{Backend, Database};
use hmac::{Hmac, Mac};
use secrecy::{ExposeSecret, SecretSlice};
use sha2::Sha256;
use sqlx::AnyPool;
use std::time::Duration;

/// Unix seconds now.
pub fn now_secs() -> i64 {
    i64::try_from(jsonwebtoken::get_current_timestamp()).unwrap_or(i64::MAX)
}

/// A refresh token in plain text: exists only in the cookie and on the wire.
pub struct RefreshToken(pub String);

/// A presented refresh token, taken apart.
struct Presented<'a> {
    session_id: &'a str,
    generation: i64,
    secret: Vec<u8>,
}

fn is_hex(s: &str, len: usize) -> bool {
    s.len() == len && s.bytes().all(|b| b.is_ascii_hexdigit())
}

impl<'a> Presented<'a> {
    fn parse(token: &'a str) -> Option<Self> {
        let mut parts = token.splitn(3, '.');
        let (session_id, generation, secret) = (parts.next()?, parts.next()?, parts.next()?);
        if !is_hex(session_id, 32) || !is_hex(secret, 64) {
            return None;
        }
        Some(Self {
            session_id,
            generation: generation.parse().ok().filter(|g: &i64| *g >= 0)?,
            secret: hex::decode(secret).ok()?,
        })
    }
}

/// Makes and checks refresh secrets with the server's keys: the current one signs, the
/// previous one (during a key rotation) is still accepted.
#[derive(Clone)]
struct RefreshSecrets {
    keys: Vec<SecretSlice<u8>>,
}

impl RefreshSecrets {
    /// `None` never happens (HMAC takes keys of any length); it is not unwrapped anyway.
    fn mac(key: &SecretSlice<u8>, session_id: &str, seed: &str, generation: i64) -> Option<Hmac<Sha256>> {
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(key.expose_secret()).ok()?;
        for part in ["authkit refresh", session_id, seed, &generation.to_string()] {
            mac.update(part.as_bytes());
            mac.update(b"\0");
        }
        Some(mac)
    }

    fn token(&self, session_id: &str, seed: &str, generation: i64) -> RefreshToken {
        let secret = self
            .keys
            .first()
            .and_then(|key| Self::mac(key, session_id, seed, generation))
            .map(|mac| hex::encode(mac.finalize().into_bytes()))
            .unwrap_or_default();
        RefreshToken(format!("{session_id}.{generation}.{secret}"))
    }

    /// Is this the secret of that generation? (Constant-time comparison.)
    fn check(&self, presented: &Presented<'_>, seed: &str) -> bool {
        !seed.is_empty()
            && self.keys.iter().any(|key| {
                Self::mac(key, presented.session_id, seed, presented.generation)
                    .is_some_and(|mac| mac.verify_slice(&presented.secret).is_ok())
            })
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
    /// Unknown, malformed or forged token, or its session is revoked or expired.
    Invalid,
    /// A genuine token of an earlier generation: the session has now been revoked.
    Reused,
}

/// The state of the session a token names.
#[derive(sqlx::FromRow)]
struct SessionRow {
    user_id: i64,
    generation: i64,
    refresh_seed: String,
    revoked_at: Option<i64>,
    expires_at: i64,
}

#[derive(Clone)]
pub struct SessionStore {
    pool: AnyPool,
    backend: Backend,
    ttl: Duration,
    secrets: RefreshSecrets,
}

impl SessionStore {
    /// `key` makes refresh secrets; `previous_key` (during a rotation) still checks them.
    pub fn new(
        database: &Database,
        ttl: Duration,
        key: &SecretSlice<u8>,
        previous_key: Option<&SecretSlice<u8>>,
    ) -> Self {
        let keys = std::iter::once(key).chain(previous_key).cloned().collect();
        Self {
            pool: database.pool().clone(),
            backend: database.backend(),
            ttl,
            secrets: RefreshSecrets { keys },
        }
    }

    pub fn ttl(&self) -> Duration {
        self.ttl
    }

    /// Starts a session for `user_id`, with its first refresh token — but only while the
    /// user still exists with `password_hash` as its password (checked by the INSERT
    /// itself). A login whose password was changed or reset, or whose account was
    /// deleted, while the password was being verified starts nothing (`None`).
    ///
    /// On PostgreSQL the check also share-locks the user row: a password change in
    /// progress makes the insert wait and then fail the check, and a change that comes
    /// later waits for the insert, so its "revoke every session" sees the new session.
    /// (SQLite runs one writer at a time.)
    pub async fn create(&self, user_id: i64, password_hash: &str) -> Result<Option<IssuedSession>, sqlx::Error> {
        let session_id = hex::encode(rand::random::<[u8; 16]>());
        let seed = hex::encode(rand::random::<[u8; 32]>());
        let now = now_secs();
        let expires_at = now.saturating_add(i64::try_from(self.ttl.as_secs()).unwrap_or(i64::MAX));
        let inserted = sqlx::query(self.backend.pick(
            "INSERT INTO sessions (id, user_id, created_at, expires_at, generation, refresh_seed) \
             SELECT $1, $2, $3, $4, 0, $6 WHERE EXISTS (SELECT 1 FROM users WHERE id = $2 AND password_hash = $5)",
            "INSERT INTO sessions (id, user_id, created_at, expires_at, generation, refresh_seed) \
             SELECT $1, $2, $3, $4, 0, $6 WHERE EXISTS \
             (SELECT 1 FROM users WHERE id = $2 AND password_hash = $5 FOR SHARE)",
        ))
        .bind(&session_id)
        .bind(user_id)
        .bind(now)
        .bind(expires_at)
        .bind(password_hash)
        .bind(&seed)
        .execute(&self.pool)
        .await;
        let inserted = match inserted {
            Ok(done) => done.rows_affected() == 1,
            // The user was deleted between the check and the insert (possible where the
            // database checks the foreign key after the row filter, as PostgreSQL does).
            Err(e) if e.as_database_error().is_some_and(|d| d.is_foreign_key_violation()) => false,
            Err(e) => return Err(e),
        };
        Ok(inserted.then(|| IssuedSession {
            refresh_token: self.secrets.token(&session_id, &seed, 0),
            session_id,
            user_id,
        }))
    }

    /// Exchanges a refresh token for its successor.
    pub async fn rotate(&self, presented: &str) -> Result<Result<IssuedSession, RefreshRefused>, sqlx::Error> {
        let Some(presented) = Presented::parse(presented) else {
            return Ok(Err(RefreshRefused::Invalid));
        };
        let now = now_secs();
        let Some(row) = self.live_session(presented.session_id, now).await? else {
            return Ok(Err(RefreshRefused::Invalid));
        };
        if presented.generation > row.generation || !self.secrets.check(&presented, &row.refresh_seed) {
            return Ok(Err(RefreshRefused::Invalid));
        }
        if presented.generation < row.generation {
            return self.revoke_reused(presented.session_id).await;
        }
        // Of two concurrent refreshes with the same token only one moves the generation
        // on, and none once a logout has revoked the session meanwhile.
        let next = row.generation.saturating_add(1);
        let moved = sqlx::query(
            "UPDATE sessions SET generation = $1 \
             WHERE id = $2 AND generation = $3 AND revoked_at IS NULL AND expires_at > $4",
        )
        .bind(next)
        .bind(presented.session_id)
        .bind(row.generation)
        .bind(now)
        .execute(&self.pool)
        .await?;
        if moved.rows_affected() == 1 {
            return Ok(Ok(IssuedSession {
                session_id: presented.session_id.to_owned(),
                user_id: row.user_id,
                refresh_token: self.secrets.token(presented.session_id, &row.refresh_seed, next),
            }));
        }
        match self.live_session(presented.session_id, now).await? {
            // Someone else refreshed with this very token first: it is held twice.
            Some(_) => self.revoke_reused(presented.session_id).await,
            None => Ok(Err(RefreshRefused::Invalid)),
        }
    }

    async fn live_session(&self, session_id: &str, now: i64) -> Result<Option<SessionRow>, sqlx::Error> {
        let row: Option<SessionRow> = sqlx::query_as(
            "SELECT user_id, generation, refresh_seed, revoked_at, expires_at FROM sessions WHERE id = $1",
        )
        .bind(session_id)
        .fetch_optional(&self.pool)
        .await?;
        Ok(row.filter(|row| row.revoked_at.is_none() && row.expires_at > now))
    }

    async fn revoke_reused(&self, session_id: &str) -> Result<Result<IssuedSession, RefreshRefused>, sqlx::Error> {
        self.revoke(session_id).await?;
        Ok(Err(RefreshRefused::Reused))
    }

    /// Deletes sessions that can never be used again: expired, or revoked more than
    /// `keep_revoked` ago. Returns how many went.
    pub async fn purge(&self, now: i64, keep_revoked: Duration) -> Result<u64, sqlx::Error> {
        let revoked_before = now.saturating_sub(i64::try_from(keep_revoked.as_secs()).unwrap_or(i64::MAX));
        let done = sqlx::query("DELETE FROM sessions WHERE expires_at <= $1 OR revoked_at <= $2")
            .bind(now)
            .bind(revoked_before)
            .execute(&self.pool)
            .await?;
        Ok(done.rows_affected())
    }

    /// How many sessions are neither revoked nor expired (`/metrics`).
    pub async fn count_active(&self) -> Result<i64, sqlx::Error> {
        sqlx::query_scalar("SELECT COUNT(*) FROM sessions WHERE revoked_at IS NULL AND expires_at > $1")
            .bind(now_secs())
            .fetch_one(&self.pool)
            .await
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
        Self::revoke_all_of(&self.pool, user_id).await
    }

    /// Ends every session of the account through any executor: inside the transaction of
    /// a password change or reset, so that the new password and the end of the old
    /// sessions are one change.
    pub async fn revoke_all_of<'e>(
        executor: impl sqlx::Executor<'e, Database = sqlx::Any>,
        user_id: i64,
    ) -> Result<u64, sqlx::Error> {
        let done = sqlx::query("UPDATE sessions SET revoked_at = $1 WHERE user_id = $2 AND revoked_at IS NULL")
            .bind(now_secs())
            .bind(user_id)
            .execute(executor)
            .await?;
        Ok(done.rows_affected())
    }

    /// Ends every session of the account but `keep` (the one making the change), inside
    /// the caller's transaction: turning a second factor on leaves no other session behind.
    pub async fn revoke_others_of(
        connection: &mut sqlx::AnyConnection,
        user_id: i64,
        keep: &str,
    ) -> Result<u64, sqlx::Error> {
        let done =
            sqlx::query("UPDATE sessions SET revoked_at = $1 WHERE user_id = $2 AND id <> $3 AND revoked_at IS NULL")
                .bind(now_secs())
                .bind(user_id)
                .bind(keep)
                .execute(connection)
                .await?;
        Ok(done.rows_affected())
    }

    /// Is `presented` a genuine refresh token of an earlier generation of a live session?
    /// Then its session is revoked at once and `true` returned: the token was copied. One
    /// read and an HMAC, so it is judged before the session's refresh allowance (a thief
    /// refreshing quickly must not delay the proof of theft).
    pub async fn revoke_if_reused(&self, presented: &str) -> Result<bool, sqlx::Error> {
        let Some(presented) = Presented::parse(presented) else {
            return Ok(false);
        };
        let Some(row) = self.live_session(presented.session_id, now_secs()).await? else {
            return Ok(false);
        };
        if presented.generation >= row.generation || !self.secrets.check(&presented, &row.refresh_seed) {
            return Ok(false);
        }
        self.revoke(presented.session_id).await?;
        Ok(true)
    }
}
