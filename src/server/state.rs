//! `AppState`: the services every operation works with, built once at startup and
//! handed to each request by the edge (`super::edge`, `super::http`).

use super::client_ip::Network;
use super::config::Config;
use super::cookies::CookiePolicy;
use super::data_dir;
use super::database::Database;
use super::device::DeviceCookies;
use super::email_tokens::EmailTokens;
use super::factor_cipher::FactorCipher;
use super::factor_store::FactorStore;
use super::login_throttle::LoginThrottle;
use super::mail::Mailer;
use super::metrics::Metrics;
use super::mfa_challenges::MfaChallenges;
use super::passkey_store::{Ceremonies, PasskeyStore};
use super::passkeys;
use super::password::PasswordHasher;
use super::server_keys;
use super::sessions::SessionStore;
use super::shared_limiter::SharedBuckets;
use super::throttle::Throttle;
use super::token::TokenIssuer;
use super::users::UserStore;
use std::net::IpAddr;
use std::sync::Arc;
use std::time::Duration;

#[derive(Clone)]
pub struct AppState {
    pub database: Database,
    pub users: UserStore,
    pub sessions: SessionStore,
    pub cookies: CookiePolicy,
    pub hasher: PasswordHasher,
    pub tokens: TokenIssuer,
    /// Wrong passwords per account and source (network, device, session).
    pub login_throttle: Arc<LoginThrottle>,
    /// Signup and login requests per client network.
    pub auth_requests: Arc<Throttle<Network>>,
    /// Refreshes per session (its id, as the cookie names it) and per client network.
    pub refreshes_per_session: Arc<Throttle<String>>,
    pub refreshes_per_network: Arc<Throttle<Network>>,
    /// Mails with a link asked for per address (password resets, new addresses).
    pub reset_requests_per_address: Arc<Throttle<String>>,
    /// Mails a logged-in account asks for (verification resent, email changes).
    pub account_mails: Arc<Throttle<i64>>,
    /// `REQUIRE_EMAIL_VERIFICATION`: an unverified address cannot log in.
    pub require_verified_email: bool,
    pub email_tokens: EmailTokens,
    /// The outbox and the bell of the delivery worker (`App::build` starts it).
    pub mail: Mailer,
    /// The throttles' buckets in the database, when instances share it (PostgreSQL).
    pub shared_buckets: Option<SharedBuckets>,
    pub devices: DeviceCookies,
    pub trusted_proxies: Arc<[IpAddr]>,
    /// What `/metrics` reports (`server::metrics`).
    pub metrics: Metrics,
    /// Second factors (`second_factor`): the accounts' authenticator apps and recovery
    /// codes, the logins waiting for one, and the cipher their seeds are stored under.
    pub factors: FactorStore,
    pub mfa_challenges: MfaChallenges,
    pub factor_cipher: FactorCipher,
    /// Passkeys: the relying party (`PUBLIC_URL`; `None` when it is an IP address), the
    /// registered credentials, and the ceremonies between their start and finish.
    pub webauthn: Option<webauthn_rs::Webauthn>,
    pub passkeys: PasskeyStore,
    pub ceremonies: Ceremonies,
}

impl AppState {
    /// Prepares the data folder, opens (creating if needed) and migrates the database,
    /// and builds the services. With a database that several instances share, the
    /// throttles count in it, and a development signing key is kept in it.
    pub async fn new(config: &Config) -> anyhow::Result<Self> {
        data_dir::prepare(config)?;
        let database = Database::open(&config.database).await?;
        let shared = database.backend().is_shared();
        let signing_key = match &config.jwt_secret {
            Some(secret) => secret.clone(),
            None if shared => server_keys::shared_signing_key(&database).await?,
            None => data_dir::load_or_create_secret(&config.data_dir)?,
        };
        let shared_buckets = shared.then(|| SharedBuckets::new(database.pool().clone()));
        let limits = &config.limits;
        let minute = Duration::from_secs(60);
        let max_keys = limits.max_tracked_keys;
        let metrics = Metrics::new();
        Ok(Self {
            users: UserStore::new(&database),
            sessions: SessionStore::new(
                &database,
                config.session_ttl,
                &signing_key,
                config.jwt_previous_secret.as_ref(),
            ),
            cookies: CookiePolicy {
                secure: config.cookie_secure,
                max_age: config.session_ttl,
            },
            hasher: PasswordHasher::new(&config.hashing, metrics.clone()).await?,
            tokens: TokenIssuer::new(&signing_key, config.jwt_previous_secret.as_ref()),
            login_throttle: Arc::new(LoginThrottle::new(limits, shared_buckets.clone())),
            devices: DeviceCookies::new(&signing_key),
            auth_requests: Arc::new(Throttle::new(
                "auth_requests",
                limits.auth_requests_per_ip_per_minute,
                minute,
                max_keys,
                shared_buckets.clone(),
            )),
            refreshes_per_session: Arc::new(Throttle::new(
                "refresh_session",
                limits.refreshes_per_session_per_minute,
                minute,
                max_keys,
                shared_buckets.clone(),
            )),
            refreshes_per_network: Arc::new(Throttle::new(
                "refresh_network",
                limits.refreshes_per_ip_per_minute,
                minute,
                max_keys,
                shared_buckets.clone(),
            )),
            reset_requests_per_address: Arc::new(Throttle::new(
                "reset_address",
                limits.resets_per_address_per_hour,
                Duration::from_secs(3600),
                max_keys,
                shared_buckets.clone(),
            )),
            account_mails: Arc::new(Throttle::new(
                "account_mails",
                limits.account_mails_per_hour,
                Duration::from_secs(3600),
                max_keys,
                shared_buckets.clone(),
            )),
            require_verified_email: config.mail.require_verified_email,
            email_tokens: EmailTokens::new(database.pool().clone()),
            mail: Mailer::new(&database, &config.mail),
            shared_buckets,
            trusted_proxies: config.trusted_proxies.clone().into(),
            metrics,
            factors: FactorStore::new(database.pool().clone()),
            mfa_challenges: MfaChallenges::new(database.pool().clone()),
            factor_cipher: FactorCipher::new(&signing_key, config.jwt_previous_secret.as_ref()),
            webauthn: passkeys::relying_party(&config.mail.link_base),
            passkeys: PasskeyStore::new(database.pool().clone()),
            ceremonies: Ceremonies::new(database.pool().clone()),
            database,
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
