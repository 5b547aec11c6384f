//! `AppState`: the services every operation works with, built once at startup and
//! handed to each request by the edge (`super::edge`, `super::http`).

use super::client_ip::Network;
use super::config::Config;
use super::cookies::CookiePolicy;
use super::data_dir;
use super::device::DeviceCookies;
use super::limiter::RateLimiter;
use super::login_throttle::LoginThrottle;
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
    /// Wrong passwords per account and source (network, device, session).
    pub login_throttle: Arc<LoginThrottle>,
    /// Signup and login requests per client network.
    pub auth_requests: Arc<RateLimiter<Network>>,
    /// Refreshes per session (its id, as the cookie names it) and per client network.
    pub refreshes_per_session: Arc<RateLimiter<String>>,
    pub refreshes_per_network: Arc<RateLimiter<Network>>,
    pub devices: DeviceCookies,
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
        if options.get_filename() != std::path::Path::new(":memory:") {
            data_dir::private_database_file(options.get_filename())?;
        }
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
            sessions: SessionStore::new(
                pool,
                config.session_ttl,
                &signing_key,
                config.jwt_previous_secret.as_ref(),
            ),
            cookies: CookiePolicy {
                secure: config.cookie_secure,
                max_age: config.session_ttl,
            },
            hasher: PasswordHasher::new(&config.hashing).await?,
            tokens: TokenIssuer::new(&signing_key, config.jwt_previous_secret.as_ref()),
            login_throttle: Arc::new(LoginThrottle::new(limits)),
            devices: DeviceCookies::new(&signing_key),
            auth_requests: Arc::new(RateLimiter::new(
                limits.auth_requests_per_ip_per_minute,
                Duration::from_secs(60),
                limits.max_tracked_keys,
            )),
            refreshes_per_session: Arc::new(RateLimiter::new(
                limits.refreshes_per_session_per_minute,
                Duration::from_secs(60),
                limits.max_tracked_keys,
            )),
            refreshes_per_network: Arc::new(RateLimiter::new(
                limits.refreshes_per_ip_per_minute,
                Duration::from_secs(60),
                limits.max_tracked_keys,
            )),
            trusted_proxies: config.trusted_proxies.clone().into(),
        })
    }
}

#[cfg(test)]
mod tests {
    use crate::server::test_support::test_state;
    use std::os::unix::fs::PermissionsExt;

    #[tokio::test]
    async fn the_database_files_are_private() {
        let t = test_state().await;
        sqlx::query("SELECT COUNT(*) FROM users")
            .execute(t.state.users.pool())
            .await
            .unwrap();
        for name in ["authkit.db", "authkit.db-wal", "authkit.db-shm"] {
            let mode = std::fs::metadata(t.dir().join(name)).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600, "{name}");
        }
    }
}
