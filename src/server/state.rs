//! `AppState`: the services every operation works with, built once at startup and
//! handed to each request by the edge (`super::http::edge`, `super::http`).

use super::account::password::PasswordHasher;
use super::account::users::UserStore;
use super::http::client_ip::Network;
use super::http::cookies::CookiePolicy;
use super::mail::Mailer;
use super::mail::links::MailLinks;
use super::oidc::clients::ClientStore;
use super::oidc::keys::SigningKeys;
use super::passkeys;
use super::passkeys::store::{Ceremonies, PasskeyStore};
use super::platform::config::Config;
use super::platform::data_dir;
use super::platform::database::Database;
use super::platform::metrics::Metrics;
use super::platform::server_keys;
use super::second_factor::challenges::MfaChallenges;
use super::second_factor::cipher::FactorCipher;
use super::second_factor::store::FactorStore;
use super::sessions::access_token::TokenIssuer;
use super::sessions::device::DeviceCookies;
use super::sessions::store::SessionStore;
use super::throttles::Throttle;
use super::throttles::login::LoginThrottle;
use super::throttles::shared::SharedBuckets;
use std::net::IpAddr;
use std::sync::Arc;
use std::time::Duration;

/// Everything an operation may touch, grouped as the folders of `crate::server` are, so a
/// function that takes one group (`&Throttles`, `&Accounts`) shows which part it uses.
#[derive(Clone)]
pub struct AppState {
    pub database: Database,
    /// What `/metrics` reports (`platform::metrics`).
    pub metrics: Metrics,
    /// Proxies whose `X-Forwarded-For` is believed (`http::client_ip`).
    pub trusted_proxies: Arc<[IpAddr]>,
    pub accounts: Accounts,
    pub sessions: Sessions,
    pub throttles: Throttles,
    pub mail: Mail,
    pub second_factor: SecondFactors,
    pub passkeys: Passkeys,
    pub oidc: Oidc,
}

/// AuthKit as an OpenID Connect provider: its signing keys and the apps it signs people in to.
#[derive(Clone)]
pub struct Oidc {
    pub keys: SigningKeys,
    pub clients: ClientStore,
}

/// The accounts and their passwords.
#[derive(Clone)]
pub struct Accounts {
    pub users: UserStore,
    pub hasher: PasswordHasher,
    /// `REQUIRE_EMAIL_VERIFICATION`: an unverified address cannot log in.
    pub require_verified_email: bool,
}

/// What keeps a person logged in: refresh sessions, access tokens, device cookies, and
/// the attributes of the cookies that carry them.
#[derive(Clone)]
pub struct Sessions {
    pub store: SessionStore,
    pub access_tokens: TokenIssuer,
    pub devices: DeviceCookies,
    pub cookies: CookiePolicy,
}

/// Every allowance a client or an account has (`crate::server::throttles`).
#[derive(Clone)]
pub struct Throttles {
    /// Wrong passwords and codes per account and source (network, device, session).
    pub login: Arc<LoginThrottle>,
    /// Signup, login and reset requests per client network.
    pub auth_requests: Arc<Throttle<Network>>,
    /// Refreshes per session (its id, as the cookie names it) and per client network.
    pub refreshes_per_session: Arc<Throttle<String>>,
    pub refreshes_per_network: Arc<Throttle<Network>>,
    /// Passkey sign-ins started per client network: not logins (nothing is guessed
    /// until one finishes), so they spend no login allowance.
    pub passkey_starts: Arc<Throttle<Network>>,
    /// Mails with a link asked for per address (password resets, new addresses).
    pub mails_per_address: Arc<Throttle<String>>,
    /// Mails a logged-in account asks for (verification resent, email changes).
    pub mails_per_account: Arc<Throttle<i64>>,
    /// Passwords a logged-in account confirms, right or wrong (each is a hash).
    pub password_checks: Arc<Throttle<i64>>,
    /// The buckets in the database, when instances share it (PostgreSQL).
    pub shared: Option<SharedBuckets>,
}

/// The outbox with the bell of its delivery worker (`App::build` starts it), and the
/// secrets of the links the mails carry.
#[derive(Clone)]
pub struct Mail {
    pub mailer: Mailer,
    pub links: MailLinks,
}

/// Authenticator apps and recovery codes, the logins waiting for one, and the cipher
/// their seeds are stored under.
#[derive(Clone)]
pub struct SecondFactors {
    pub factors: FactorStore,
    pub challenges: MfaChallenges,
    pub cipher: FactorCipher,
    /// `SECOND_FACTOR_MAX_FAILURES` (`super::second_factor::failures`).
    pub failure_cap: u32,
}

/// The relying party (`PUBLIC_URL`; `None` when it is an IP address), the registered
/// credentials, and the ceremonies between their start and finish.
#[derive(Clone)]
pub struct Passkeys {
    pub relying_party: Option<webauthn_rs::Webauthn>,
    pub store: PasskeyStore,
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
        let previous_key = config.jwt_previous_secret.as_ref();
        let shared_buckets = shared.then(|| SharedBuckets::new(database.pool().clone()));
        let metrics = Metrics::new();
        let pool = database.pool().clone();
        Ok(Self {
            accounts: Accounts {
                users: UserStore::new(&database),
                hasher: PasswordHasher::new(&config.hashing, metrics.clone()).await?,
                require_verified_email: config.mail.require_verified_email,
            },
            sessions: Sessions {
                store: SessionStore::new(&database, config.session_ttl, &signing_key, previous_key),
                access_tokens: TokenIssuer::new(&signing_key, previous_key),
                devices: DeviceCookies::new(&signing_key),
                cookies: CookiePolicy {
                    secure: config.cookie_secure,
                    max_age: config.session_ttl,
                },
            },
            throttles: Throttles::new(config, shared_buckets),
            mail: Mail {
                mailer: Mailer::new(&database, &config.mail),
                links: MailLinks::new(pool.clone()),
            },
            second_factor: SecondFactors {
                factors: FactorStore::new(pool.clone()),
                challenges: MfaChallenges::new(pool.clone()),
                cipher: FactorCipher::new(&signing_key, previous_key),
                failure_cap: config.limits.second_factor_failures,
            },
            passkeys: Passkeys {
                relying_party: passkeys::relying_party(&config.mail.link_base),
                store: PasskeyStore::new(pool.clone()),
                ceremonies: Ceremonies::new(pool.clone()),
            },
            oidc: Oidc {
                keys: SigningKeys::new(pool.clone(), &signing_key, previous_key),
                clients: ClientStore::new(pool),
            },
            trusted_proxies: config.trusted_proxies.clone().into(),
            metrics,
            database,
        })
    }
}

impl Throttles {
    fn new(config: &Config, shared: Option<SharedBuckets>) -> Self {
        let limits = &config.limits;
        let minute = Duration::from_secs(60);
        let hour = Duration::from_secs(3600);
        let max_keys = limits.max_tracked_keys;
        Self {
            login: Arc::new(LoginThrottle::new(limits, shared.clone())),
            auth_requests: Arc::new(Throttle::new(
                "auth_requests",
                limits.auth_requests_per_ip_per_minute,
                minute,
                max_keys,
                shared.clone(),
            )),
            refreshes_per_session: Arc::new(Throttle::new(
                "refresh_session",
                limits.refreshes_per_session_per_minute,
                minute,
                max_keys,
                shared.clone(),
            )),
            refreshes_per_network: Arc::new(Throttle::new(
                "refresh_network",
                limits.refreshes_per_ip_per_minute,
                minute,
                max_keys,
                shared.clone(),
            )),
            passkey_starts: Arc::new(Throttle::new(
                "passkey_starts",
                limits.passkey_starts_per_ip_per_minute,
                minute,
                max_keys,
                shared.clone(),
            )),
            mails_per_address: Arc::new(Throttle::new(
                "reset_address",
                limits.resets_per_address_per_hour,
                hour,
                max_keys,
                shared.clone(),
            )),
            password_checks: Arc::new(Throttle::new(
                "password_checks",
                limits.password_checks_per_account_per_minute,
                minute,
                max_keys,
                shared.clone(),
            )),
            mails_per_account: Arc::new(Throttle::new(
                "account_mails",
                limits.account_mails_per_hour,
                hour,
                max_keys,
                shared.clone(),
            )),
            shared,
        }
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
            .execute(t.state.accounts.users.pool())
            .await
            .unwrap();
        for name in ["authkit.db", "authkit.db-wal", "authkit.db-shm"] {
            let mode = std::fs::metadata(t.dir().join(name)).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600, "{name}");
        }
    }
}
