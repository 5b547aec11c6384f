//! `authkit copy-data --from sqlite://… --to postgres://…`: moves a single-box deployment
//! to PostgreSQL. Users (with their ids, roles and password hashes) and live sessions are
//! copied into an empty database in one transaction, so a failure leaves it empty again.
//! Users keep logging in with their passwords, and their refresh cookies keep working as
//! long as the new deployment runs with the same signing key (`JWT_SECRET`).

use super::database::{Backend, Database, DatabaseSettings};
use crate::server::sessions::store::now_secs;
use anyhow::{Context, bail};
use std::time::Duration;

/// How many rows of each kind were copied.
#[derive(Debug, PartialEq, Eq)]
pub struct Copied {
    pub users: u64,
    pub admins: u64,
    pub sessions: u64,
}

impl std::fmt::Display for Copied {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "copied {} users ({} admins) and {} live sessions",
            self.users, self.admins, self.sessions
        )
    }
}

#[derive(sqlx::FromRow)]
struct UserRow {
    id: i64,
    email: String,
    username: String,
    password_hash: String,
    role: String,
    created_at: String,
    email_verified_at: Option<i64>,
}

#[derive(sqlx::FromRow)]
struct SessionRow {
    id: String,
    user_id: i64,
    created_at: i64,
    expires_at: i64,
    generation: i64,
    refresh_seed: String,
}

pub(super) fn settings(url: &str, backend: Backend) -> DatabaseSettings {
    DatabaseSettings {
        url: url.to_owned(),
        backend,
        max_connections: 2,
        acquire_timeout: Duration::from_secs(30),
    }
}

/// A passkey row as copied: credential id, account, name, credential JSON, created, last
/// used, signature counter.
type CopiedPasskey = (String, i64, String, String, i64, Option<i64>, i64);

pub async fn copy_data(from: &str, to: &str) -> anyhow::Result<Copied> {
    if Backend::of_url(from)? != Backend::Sqlite {
        bail!("--from must be an SQLite URL (sqlite://…)");
    }
    if Backend::of_url(to)? != Backend::Postgres {
        bail!("--to must be a PostgreSQL URL (postgres://…)");
    }
    let source_file = from.trim_start_matches("sqlite://").trim_start_matches("sqlite:");
    let source_file = source_file.split('?').next().unwrap_or_default();
    if !std::path::Path::new(source_file).is_file() {
        bail!("{source_file} does not exist: nothing to copy");
    }
    // Opening applies the migrations: the source is brought to the current schema first.
    let source = Database::open(&settings(from, Backend::Sqlite))
        .await
        .context("opening --from")?;
    let target = Database::open(&settings(to, Backend::Postgres))
        .await
        .context("opening --to")?;
    let copied = copy(&source, &target).await;
    source.close().await;
    target.close().await;
    copied
}

async fn copy(source: &Database, target: &Database) -> anyhow::Result<Copied> {
    let (users_there, sessions_there): (i64, i64) =
        sqlx::query_as("SELECT (SELECT COUNT(*) FROM users), (SELECT COUNT(*) FROM sessions)")
            .fetch_one(target.pool())
            .await?;
    if users_there > 0 || sessions_there > 0 {
        bail!(
            "the target database is not empty ({users_there} users, {sessions_there} sessions): copy-data only fills an empty one"
        );
    }
    let users: Vec<UserRow> = sqlx::query_as(
        "SELECT id, email, username, password_hash, role, CAST(created_at AS TEXT) AS created_at, \
             email_verified_at FROM users ORDER BY id",
    )
    .fetch_all(source.pool())
    .await?;
    let sessions: Vec<SessionRow> = sqlx::query_as(
        "SELECT id, user_id, created_at, expires_at, generation, refresh_seed FROM sessions \
         WHERE revoked_at IS NULL AND expires_at > $1 ORDER BY created_at",
    )
    .bind(now_secs())
    .fetch_all(source.pool())
    .await?;
    // Second factors and passkeys travel with their accounts (a copy must not quietly
    // weaken a login, nor lose a way in):
    // the sealed seeds as they are (bound to the same ids; they open where the same
    // `JWT_SECRET` is configured), the last step used, and the recovery codes' hashes.
    let factors: Vec<(i64, String, i64, i64, i64, i64)> = sqlx::query_as(
        "SELECT user_id, secret, enabled_at, last_step, created_at, failed_codes FROM totp_factors \
         WHERE enabled_at IS NOT NULL",
    )
    .fetch_all(source.pool())
    .await?;
    let recovery_codes: Vec<(i64, String)> = sqlx::query_as("SELECT user_id, code_hash FROM recovery_codes")
        .fetch_all(source.pool())
        .await?;
    let passkeys: Vec<CopiedPasskey> = sqlx::query_as(
        "SELECT credential_id, user_id, name, credential, created_at, last_used_at, sign_count FROM passkeys",
    )
    .fetch_all(source.pool())
    .await?;
    // SQLite never hands out an id twice (AUTOINCREMENT remembers the highest ever used,
    // also of deleted users); PostgreSQL's identity continues after it.
    let highest_ever: Option<i64> = sqlx::query_scalar("SELECT seq FROM sqlite_sequence WHERE name = 'users'")
        .fetch_optional(source.pool())
        .await?;

    let mut tx = target.pool().begin().await?;
    for user in &users {
        sqlx::query(
            "INSERT INTO users (id, email, username, password_hash, role, created_at, email_verified_at) \
             VALUES ($1, $2, $3, $4, $5, CAST($6 AS TIMESTAMP) AT TIME ZONE 'UTC', $7)",
        )
        .bind(user.id)
        .bind(&user.email)
        .bind(&user.username)
        .bind(&user.password_hash)
        .bind(&user.role)
        .bind(&user.created_at)
        .bind(user.email_verified_at)
        .execute(&mut *tx)
        .await
        .with_context(|| format!("copying user {}", user.id))?;
    }
    for session in &sessions {
        sqlx::query(
            "INSERT INTO sessions (id, user_id, created_at, expires_at, generation, refresh_seed) \
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(&session.id)
        .bind(session.user_id)
        .bind(session.created_at)
        .bind(session.expires_at)
        .bind(session.generation)
        .bind(&session.refresh_seed)
        .execute(&mut *tx)
        .await
        .context("copying a session")?;
    }
    for (user_id, secret, enabled_at, last_step, created_at, failed_codes) in &factors {
        sqlx::query(
            "INSERT INTO totp_factors (user_id, secret, enabled_at, last_step, created_at, failed_codes) \
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(user_id)
        .bind(secret)
        .bind(enabled_at)
        .bind(last_step)
        .bind(created_at)
        .bind(failed_codes)
        .execute(&mut *tx)
        .await
        .context("copying a second factor")?;
    }
    for (user_id, code_hash) in &recovery_codes {
        sqlx::query("INSERT INTO recovery_codes (user_id, code_hash) VALUES ($1, $2)")
            .bind(user_id)
            .bind(code_hash)
            .execute(&mut *tx)
            .await
            .context("copying a recovery code")?;
    }
    for (credential_id, user_id, name, credential, created_at, last_used_at, sign_count) in &passkeys {
        sqlx::query(
            "INSERT INTO passkeys (credential_id, user_id, name, credential, created_at, last_used_at, sign_count) \
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(credential_id)
        .bind(user_id)
        .bind(name)
        .bind(credential)
        .bind(created_at)
        .bind(last_used_at)
        .bind(sign_count)
        .execute(&mut *tx)
        .await
        .context("copying a passkey")?;
    }
    let max_id = users.iter().map(|u| u.id).max().unwrap_or(0);
    let next_id = highest_ever.unwrap_or(0).max(max_id) + 1;
    sqlx::query("SELECT CAST(setval(pg_get_serial_sequence('users', 'id'), $1, false) AS BIGINT)")
        .bind(next_id)
        .fetch_one(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(Copied {
        users: users.len() as u64,
        admins: users.iter().filter(|u| u.role == "admin").count() as u64,
        sessions: sessions.len() as u64,
    })
}
