//! `UserStore`: the `users` table. Plain SQL that SQLite and PostgreSQL both accept
//! (`$n` placeholders, `RETURNING`).

use crate::api::{Account, Role, User};
use crate::validation::{Email, Username};
use sqlx::SqlitePool;

/// A user row including the password hash; never leaves the server.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct StoredUser {
    pub id: i64,
    pub email: String,
    pub username: String,
    pub password_hash: String,
    pub role: String,
}

impl StoredUser {
    /// An unknown role string (a hand-edited row) grants nothing.
    pub fn role(&self) -> Role {
        Role::parse(&self.role).unwrap_or(Role::User)
    }

    pub fn account(&self) -> Account {
        Account {
            id: self.id,
            email: self.email.clone(),
            username: self.username.clone(),
            role: self.role(),
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
        role: Role,
    ) -> Result<User, CreateUserError> {
        sqlx::query_as::<_, (i64,)>(
            "INSERT INTO users (email, username, password_hash, role) VALUES ($1, $2, $3, $4) RETURNING id",
        )
        .bind(email.as_str())
        .bind(username.as_str())
        .bind(password_hash)
        .bind(role.as_str())
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
        sqlx::query_as("SELECT id, email, username, password_hash, role FROM users WHERE email = $1")
            .bind(email.as_str())
            .fetch_optional(&self.pool)
            .await
    }

    pub async fn find_by_id(&self, id: i64) -> Result<Option<StoredUser>, sqlx::Error> {
        sqlx::query_as("SELECT id, email, username, password_hash, role FROM users WHERE id = $1")
            .bind(id)
            .fetch_optional(&self.pool)
            .await
    }

    /// Replaces a password hash.
    pub async fn update_password_hash(&self, id: i64, password_hash: &str) -> Result<(), sqlx::Error> {
        sqlx::query("UPDATE users SET password_hash = $1 WHERE id = $2")
            .bind(password_hash)
            .bind(id)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    pub async fn update_username(&self, id: i64, username: &Username) -> Result<Option<StoredUser>, sqlx::Error> {
        sqlx::query_as(
            "UPDATE users SET username = $1 WHERE id = $2 RETURNING id, email, username, password_hash, role",
        )
        .bind(username.as_str())
        .bind(id)
        .fetch_optional(&self.pool)
        .await
    }

    pub async fn set_role(&self, id: i64, role: Role) -> Result<Option<StoredUser>, sqlx::Error> {
        sqlx::query_as("UPDATE users SET role = $1 WHERE id = $2 RETURNING id, email, username, password_hash, role")
            .bind(role.as_str())
            .bind(id)
            .fetch_optional(&self.pool)
            .await
    }

    /// Deletes the user; their sessions go with them (`ON DELETE CASCADE`).
    pub async fn delete(&self, id: i64) -> Result<bool, sqlx::Error> {
        let done = sqlx::query("DELETE FROM users WHERE id = $1")
            .bind(id)
            .execute(&self.pool)
            .await?;
        Ok(done.rows_affected() == 1)
    }

    /// A page of users in id order, and how many there are in all.
    pub async fn list(&self, limit: i64, offset: i64) -> Result<(Vec<StoredUser>, i64), sqlx::Error> {
        let users =
            sqlx::query_as("SELECT id, email, username, password_hash, role FROM users ORDER BY id LIMIT $1 OFFSET $2")
                .bind(limit)
                .bind(offset)
                .fetch_all(&self.pool)
                .await?;
        let total = sqlx::query_scalar("SELECT COUNT(*) FROM users")
            .fetch_one(&self.pool)
            .await?;
        Ok((users, total))
    }
}
