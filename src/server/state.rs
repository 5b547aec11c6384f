//! `AppState`: the services every operation works with, built once at startup and
//! handed to each request by the edge (`super::edge`, `super::http`).

use super::config::Config;
use super::cookies::CookiePolicy;
use super::data_dir;
use super::limiter::RateLimiter;
use super::password::PasswordHasher;
use super::sessions::SessionStore;
use super::token::TokenIssuer;
use super::users::UserStore;
use anyhow::Context;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use std::net::IpAddr;
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

#[derive(Clone)]
pub struct AppState {
    pub users: UserStore,
    pub sessions: SessionStore,
    pub cookies: CookiePolicy,
    pub hasher: PasswordHasher,
    pub tokens: TokenIssuer,
    /// Failed logins per account (normalised email), known or not.
    pub login_failures: Arc<RateLimiter<String>>,
    /// Signup and login requests per client IP.
    pub auth_requests: Arc<RateLimiter<IpAddr>>,
    pub trusted_proxies: Arc<[IpAddr]>,
}

impl AppState {
    /// Prepares the data folder, opens (creating if needed) and migrates the database,
    /// and builds the services.
    pub async fn new(config: &Config) -> anyhow::Result<Self> {
        let signing_key = data_dir::prepare(config)?;
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
        let limits = &config.limits;
        Ok(Self {
            users: UserStore::new(pool.clone()),
            sessions: SessionStore::new(pool, config.session_ttl),
            cookies: CookiePolicy {
                secure: config.cookie_secure,
                max_age: config.session_ttl,
            },
            hasher: PasswordHasher::new(&config.hashing).await?,
            tokens: TokenIssuer::new(&signing_key, config.jwt_previous_secret.as_ref()),
            login_failures: Arc::new(RateLimiter::new(
                limits.login_failures,
                limits.login_failure_window,
                limits.max_tracked_keys,
            )),
            auth_requests: Arc::new(RateLimiter::new(
                limits.auth_requests_per_ip_per_minute,
                Duration::from_secs(60),
                limits.max_tracked_keys,
            )),
            trusted_proxies: config.trusted_proxies.clone().into(),
        })
    }
}
