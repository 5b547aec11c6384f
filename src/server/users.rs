//! `UserStore`: the `users` table. Plain SQL that SQLite and PostgreSQL both accept
//! (`$n` placeholders, `RETURNING`).

use crate::api::User;
use crate::validation::{Email, Username};
use sqlx::SqlitePool;

/// A user row including the password hash; never leaves the server.
#[derive(Debug, sqlx::FromRow)]
pub struct StoredUser {
    pub id: i64,
    pub email: String,
    pub username: String,
    pub password_hash: String,
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

/// What can go wrong when creating a user.
#[derive(Debug, thiserror::Error)]
pub enum CreateUserError {
    #[error("email already registered")]
    EmailTaken,
    #[error(transparent)]
    Database(#[from] sqlx::Error),
}

#[derive(Clone)]
pub struct UserStore {
    pool: SqlitePool,
}

impl UserStore {
    pub fn new(pool: SqlitePool) -> Self {
        Self { pool }
    }

    /// Inserts a user. A duplicate email is detected by the unique index, not by a
    /// lookup first: two concurrent signups cannot both pass a check that is not atomic
    /// with the insert.
    pub async fn create(
        &self,
        email: &Email,
        username: &Username,
        password_hash: &str,
    ) -> Result<User, CreateUserError> {
        sqlx::query_as::<_, (i64,)>(
            "INSERT INTO users (email, username, password_hash) VALUES ($1, $2, $3) RETURNING id",
        )
        .bind(email.as_str())
        .bind(username.as_str())
        .bind(password_hash)
        .fetch_one(&self.pool)
        .await
        .map(|(id,)| User {
            id,
            email: email.as_str().to_owned(),
            username: username.as_str().to_owned(),
        })
        .map_err(|e| match e.as_database_error() {
            Some(db) if db.is_unique_violation() => CreateUserError::EmailTaken,
            _ => CreateUserError::Database(e),
        })
    }

    pub async fn find_by_email(&self, email: &Email) -> Result<Option<StoredUser>, sqlx::Error> {
        sqlx::query_as("SELECT id, email, username, password_hash FROM users WHERE email = $1")
            .bind(email.as_str())
            .fetch_optional(&self.pool)
            .await
    }

    pub async fn find_by_id(&self, id: i64) -> Result<Option<User>, sqlx::Error> {
        let row: Option<StoredUser> =
            sqlx::query_as("SELECT id, email, username, password_hash FROM users WHERE id = $1")
                .bind(id)
                .fetch_optional(&self.pool)
                .await?;
        Ok(row.map(User::from))
    }

    /// Replaces a password hash (after a login found it made with older parameters).
    pub async fn update_password_hash(&self, id: i64, password_hash: &str) -> Result<(), sqlx::Error> {
        sqlx::query("UPDATE users SET password_hash = $1 WHERE id = $2")
            .bind(password_hash)
            .bind(id)
            .execute(&self.pool)
            .await?;
        Ok(())
    }
}
