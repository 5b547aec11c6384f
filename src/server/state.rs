//! `AppState`: what every server function needs, provided to them as Leptos context.

use super::config::Config;
use super::password::PasswordHasher;
use super::token::TokenIssuer;
use super::users::UserStore;
use anyhow::Context;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use std::str::FromStr;
use std::time::Duration;

#[derive(Clone)]
pub struct AppState {
    pub users: UserStore,
    pub hasher: PasswordHasher,
    pub tokens: TokenIssuer,
}

impl AppState {
    /// Opens (creating if needed) and migrates the database, and prepares the hasher.
    pub async fn new(config: &Config) -> anyhow::Result<Self> {
        let options = SqliteConnectOptions::from_str(&config.database_url)
            .with_context(|| "DATABASE_URL is not a valid SQLite URL")?
            .create_if_missing(true)
            // WAL: readers never block the writer. FULL: a signup answered 200 survives
            // a crash or power cut. busy_timeout: concurrent writers wait their turn
            // instead of failing with "database is locked".
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Full)
            .busy_timeout(Duration::from_secs(10))
            .foreign_keys(true);
        let pool = SqlitePoolOptions::new()
            .max_connections(8)
            .connect_with(options)
            .await
            .context("opening the database")?;
        sqlx::migrate!("./migrations")
            .run(&pool)
            .await
            .context("applying database migrations")?;
        Ok(Self {
            users: UserStore::new(pool),
            hasher: PasswordHasher::new().await?,
            tokens: TokenIssuer::new(&config.jwt_secret),
        })
    }
}
