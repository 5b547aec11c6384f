//! `UserStore`: the `users` table. Plain SQL that SQLite and PostgreSQL both accept
//! (`$n` placeholders, `RETURNING`), except the last-admin guard, whose locking differs
//! (see [`UserStore::set_role`]).

use crate::api::{Account, Role, User};
use crate::server::platform::database::{Backend, Database};
use crate::server::sessions::store::now_secs;
use crate::validation::{Email, Username};
use sqlx::{AnyConnection, AnyPool};

/// The columns of an account as the API shows it (no password hash).
macro_rules! account_columns {
    () => {
        "id, email, username, role, email_verified_at"
    };
}
/// The columns of [`StoredUser`]: the account and its password hash. (Macros, not
/// consts: sqlx takes only string literals as SQL, and `concat!` only joins literals.)
macro_rules! user_columns {
    () => {
        concat!(account_columns!(), ", password_hash, device_epoch")
    };
}

/// SQL that is true when an admin other than the row being changed exists: the guard
/// that keeps at least one admin. SQLite runs one writer at a time, so the check inside
/// the statement cannot be raced.
macro_rules! another_admin {
    () => {
        "EXISTS (SELECT 1 FROM users AS other WHERE other.role = 'admin' AND other.id <> users.id)"
    };
}

/// The same guard for PostgreSQL, where READ COMMITTED lets two statements each see the
/// other admin still in place (two admins demoting each other at once would both win).
/// The statement first locks every admin row, in id order (one order for everyone, so
/// no deadlock); a concurrent guarded change waits, then sees the committed roles.
macro_rules! locked_admins {
    () => {
        "WITH admins AS MATERIALIZED (SELECT id FROM users WHERE role = 'admin' ORDER BY id FOR UPDATE) "
    };
}
macro_rules! another_locked_admin {
    () => {
        "EXISTS (SELECT 1 FROM admins WHERE admins.id <> users.id)"
    };
}

/// The outcome of a change that must never leave the system without an admin.
#[derive(Debug)]
pub enum Guarded<T> {
    Done(T),
    NoSuchUser,
    /// Refused: the user is the last admin.
    LastAdmin,
}

/// A fresh device epoch: 128 random bits in hex.
fn new_device_epoch() -> String {
    format!("{:032x}", rand::random::<u128>())
}

/// What a mailed link proved about an account's address (`UserStore::mark_verified`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Proven {
    /// The address is proven for the first time.
    First,
    /// It was proven before.
    Again,
    /// The account has another address now (or is gone): the link proves nothing.
    NotItsAddress,
}

/// A user row including the password hash; never leaves the server.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct StoredUser {
    pub id: i64,
    pub email: String,
    pub username: String,
    pub password_hash: String,
    pub role: String,
    /// When the address was shown to receive mail (Unix seconds); `None` until then.
    pub email_verified_at: Option<i64>,
    /// What the account's device cookies are bound to besides its id: replaced by a
    /// password reset and an address change (`sessions::device`).
    pub device_epoch: String,
}

impl StoredUser {
    pub fn role(&self) -> Role {
        role_of(&self.role)
    }

    pub fn email_verified(&self) -> bool {
        self.email_verified_at.is_some()
    }

    /// The account as its owner and admins see it; whether it has a second factor is
    /// kept elsewhere (`FactorStore`), so the caller says.
    pub fn account(&self, second_factor: bool) -> Account {
        Account {
            id: self.id,
            email: self.email.clone(),
            username: self.username.clone(),
            role: self.role(),
            email_verified: self.email_verified(),
            second_factor,
        }
    }
}

/// An unknown role string (a hand-edited row) grants nothing.
fn role_of(stored: &str) -> Role {
    Role::parse(stored).unwrap_or(Role::User)
}

/// A row of the admin list: the account without its password hash.
#[derive(sqlx::FromRow)]
struct AccountRow {
    id: i64,
    email: String,
    username: String,
    role: String,
    email_verified_at: Option<i64>,
    second_factor: i64,
}

impl From<AccountRow> for Account {
    fn from(row: AccountRow) -> Self {
        Account {
            id: row.id,
            email: row.email,
            username: row.username,
            role: role_of(&row.role),
            email_verified: row.email_verified_at.is_some(),
            second_factor: row.second_factor != 0,
        }
    }
}

impl From<StoredUser> for User {
    fn from(row: StoredUser) -> Self {
        User {
            id: row.id,
            email: row.email,
            username: row.username,
        }
    }
}

/// What can go wrong when writing a user's email (creating the user, changing the address).
#[derive(Debug, thiserror::Error)]
pub enum EmailWriteError {
    #[error("email already registered")]
    EmailTaken,
    #[error(transparent)]
    Database(#[from] sqlx::Error),
}

impl EmailWriteError {
    fn from_insert(error: sqlx::Error) -> Self {
        match error.as_database_error() {
            Some(db) if db.is_unique_violation() => EmailWriteError::EmailTaken,
            _ => EmailWriteError::Database(error),
        }
    }
}

#[derive(Clone)]
pub struct UserStore {
    pool: AnyPool,
    backend: Backend,
}

impl UserStore {
    pub fn new(database: &Database) -> Self {
        Self {
            pool: database.pool().clone(),
            backend: database.backend(),
        }
    }

    #[cfg(test)]
    pub fn pool(&self) -> &AnyPool {
        &self.pool
    }

    /// Inserts a user. A duplicate email is detected by the unique index, not by a
    /// lookup first: two concurrent signups cannot both pass a check that is not atomic
    /// with the insert.
    pub async fn create(
        &self,
        email: &Email,
        username: &Username,
        password_hash: &str,
        role: Role,
    ) -> Result<User, EmailWriteError> {
        sqlx::query_as::<_, (i64,)>(
            "INSERT INTO users (email, username, password_hash, role, device_epoch) \
             VALUES ($1, $2, $3, $4, $5) RETURNING id",
        )
        .bind(email.as_str())
        .bind(username.as_str())
        .bind(password_hash)
        .bind(role.as_str())
        .bind(new_device_epoch())
        .fetch_one(&self.pool)
        .await
        .map(|(id,)| User {
            id,
            email: email.as_str().to_owned(),
            username: username.as_str().to_owned(),
        })
        .map_err(EmailWriteError::from_insert)
    }

    /// Replaces the account's device epoch (inside the caller's transaction): every device
    /// cookie issued for it before stops counting (a password reset; an address change).
    pub async fn renew_device_epoch(connection: &mut AnyConnection, id: i64) -> Result<(), sqlx::Error> {
        sqlx::query("UPDATE users SET device_epoch = $1 WHERE id = $2")
            .bind(new_device_epoch())
            .bind(id)
            .execute(connection)
            .await?;
        Ok(())
    }

    /// The account `id` proved, by a mailed link, that `email` receives its mail: marks it
    /// verified if it still has that address. `First` when it was not verified before (the
    /// first proof of the mailbox: what was added to the account before it is suspect).
    pub async fn mark_verified(connection: &mut AnyConnection, id: i64, email: &str) -> Result<Proven, sqlx::Error> {
        let first = sqlx::query(
            "UPDATE users SET email_verified_at = $3 WHERE id = $1 AND email = $2 AND email_verified_at IS NULL",
        )
        .bind(id)
        .bind(email)
        .bind(now_secs())
        .execute(&mut *connection)
        .await?;
        if first.rows_affected() == 1 {
            return Ok(Proven::First);
        }
        let still: Option<i64> = sqlx::query_scalar("SELECT id FROM users WHERE id = $1 AND email = $2")
            .bind(id)
            .bind(email)
            .fetch_optional(&mut *connection)
            .await?;
        Ok(if still.is_some() {
            Proven::Again
        } else {
            Proven::NotItsAddress
        })
    }

    /// Gives the account the address `email`, confirmed from it (so verified). Like a
    /// signup, a taken address is detected by the unique index, also when two accounts
    /// claim it at the same moment. `None` if the account no longer exists.
    pub async fn set_verified_email(
        connection: &mut AnyConnection,
        id: i64,
        email: &str,
    ) -> Result<Option<()>, EmailWriteError> {
        // A new address also renews the device epoch: cookies gathered under the old one
        // stop counting.
        let done = sqlx::query("UPDATE users SET email = $1, email_verified_at = $2, device_epoch = $4 WHERE id = $3")
            .bind(email)
            .bind(now_secs())
            .bind(id)
            .bind(new_device_epoch())
            .execute(connection)
            .await
            .map_err(EmailWriteError::from_insert)?;
        Ok((done.rows_affected() == 1).then_some(()))
    }

    pub async fn find_by_email(&self, email: &Email) -> Result<Option<StoredUser>, sqlx::Error> {
        sqlx::query_as(concat!("SELECT ", user_columns!(), " FROM users WHERE email = $1"))
            .bind(email.as_str())
            .fetch_optional(&self.pool)
            .await
    }

    pub async fn find_by_id(&self, id: i64) -> Result<Option<StoredUser>, sqlx::Error> {
        sqlx::query_as(concat!("SELECT ", user_columns!(), " FROM users WHERE id = $1"))
            .bind(id)
            .fetch_optional(&self.pool)
            .await
    }

    /// The user, if `session_id` is one of theirs and neither revoked nor expired: what
    /// every authenticated request needs to know, in one round trip.
    pub async fn find_in_active_session(&self, id: i64, session_id: &str) -> Result<Option<StoredUser>, sqlx::Error> {
        sqlx::query_as(concat!(
            "SELECT ",
            user_columns!(),
            " FROM users WHERE id = $1 AND EXISTS (SELECT 1 FROM sessions \
             WHERE id = $2 AND user_id = $1 AND revoked_at IS NULL AND expires_at > $3)"
        ))
        .bind(id)
        .bind(session_id)
        .bind(now_secs())
        .fetch_optional(&self.pool)
        .await
    }

    /// Sets a new password hash (a password change).
    pub async fn update_password_hash(&self, id: i64, password_hash: &str) -> Result<(), sqlx::Error> {
        Self::set_password_hash(&self.pool, id, password_hash).await
    }

    /// Sets a new password hash through any executor (a reset, inside its transaction).
    pub async fn set_password_hash<'e>(
        executor: impl sqlx::Executor<'e, Database = sqlx::Any>,
        id: i64,
        password_hash: &str,
    ) -> Result<(), sqlx::Error> {
        sqlx::query("UPDATE users SET password_hash = $1 WHERE id = $2")
            .bind(password_hash)
            .bind(id)
            .execute(executor)
            .await?;
        Ok(())
    }

    /// Replaces `expected` by `password_hash` (a rehash of the same password) only if it
    /// is still the stored hash: a password changed meanwhile is never overwritten.
    /// Returns whether it was replaced.
    pub async fn rehash_password(&self, id: i64, expected: &str, password_hash: &str) -> Result<bool, sqlx::Error> {
        let done = sqlx::query("UPDATE users SET password_hash = $1 WHERE id = $2 AND password_hash = $3")
            .bind(password_hash)
            .bind(id)
            .bind(expected)
            .execute(&self.pool)
            .await?;
        Ok(done.rows_affected() == 1)
    }

    pub async fn update_username(&self, id: i64, username: &Username) -> Result<Option<StoredUser>, sqlx::Error> {
        sqlx::query_as(concat!(
            "UPDATE users SET username = $1 WHERE id = $2 RETURNING ",
            user_columns!()
        ))
        .bind(username.as_str())
        .bind(id)
        .fetch_optional(&self.pool)
        .await
    }

    /// Gives the user `role`, unless that would leave no admin: the check is part of the
    /// one UPDATE, so two admins demoting each other at the same moment cannot both win.
    pub async fn set_role(&self, id: i64, role: Role) -> Result<Guarded<StoredUser>, sqlx::Error> {
        let updated = sqlx::query_as(self.backend.pick(
            concat!(
                "UPDATE users SET role = $1 WHERE id = $2 AND ($1 = 'admin' OR ",
                another_admin!(),
                ") RETURNING ",
                user_columns!()
            ),
            concat!(
                locked_admins!(),
                "UPDATE users SET role = $1 WHERE id = $2 AND ($1 = 'admin' OR ",
                another_locked_admin!(),
                ") RETURNING ",
                user_columns!()
            ),
        ))
        .bind(role.as_str())
        .bind(id)
        .fetch_optional(&self.pool)
        .await?;
        self.guarded(id, updated).await
    }

    /// Deletes the user; their sessions go with them (`ON DELETE CASCADE`).
    pub async fn delete(&self, id: i64) -> Result<Guarded<()>, sqlx::Error> {
        let done = sqlx::query(self.backend.pick(
            concat!(
                "DELETE FROM users WHERE id = $1 AND (role <> 'admin' OR ",
                another_admin!(),
                ")"
            ),
            concat!(
                locked_admins!(),
                "DELETE FROM users WHERE id = $1 AND (role <> 'admin' OR ",
                another_locked_admin!(),
                ")"
            ),
        ))
        .bind(id)
        .execute(&self.pool)
        .await?;
        self.guarded(id, (done.rows_affected() == 1).then_some(())).await
    }

    /// Tells why a guarded statement changed nothing: no such user, or the last admin.
    async fn guarded<T>(&self, id: i64, done: Option<T>) -> Result<Guarded<T>, sqlx::Error> {
        if let Some(done) = done {
            return Ok(Guarded::Done(done));
        }
        let exists: Option<i64> = sqlx::query_scalar("SELECT id FROM users WHERE id = $1")
            .bind(id)
            .fetch_optional(&self.pool)
            .await?;
        Ok(if exists.is_some() {
            Guarded::LastAdmin
        } else {
            Guarded::NoSuchUser
        })
    }

    /// A page of accounts in id order, and how many there are in all. Password hashes
    /// are not even read.
    pub async fn list(&self, limit: i64, offset: i64) -> Result<(Vec<Account>, i64), sqlx::Error> {
        let rows: Vec<AccountRow> = sqlx::query_as(concat!(
            "SELECT ",
            account_columns!(),
            ", (SELECT COUNT(*) FROM totp_factors AS f WHERE f.user_id = users.id AND f.enabled_at IS NOT NULL) \
             AS second_factor FROM users ORDER BY id LIMIT $1 OFFSET $2"
        ))
        .bind(limit)
        .bind(offset)
        .fetch_all(&self.pool)
        .await?;
        let users = rows.into_iter().map(Account::from).collect();
        let total = sqlx::query_scalar("SELECT COUNT(*) FROM users")
            .fetch_one(&self.pool)
            .await?;
        Ok((users, total))
    }
}
