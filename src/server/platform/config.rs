//! Configuration from environment variables (and a `.env` file, if present). Every
//! variable is documented in the README's table.
//!
//! `LEPTOS_SITE_ADDR` and the other `LEPTOS_*` variables are read by Leptos itself.
//!
//! Parsing is pure: it touches no file. What starting up does to the disk (the data
//! folder, a generated signing key) is `super::data_dir`.

use super::database::{Backend, DatabaseSettings};
use anyhow::{Context, bail};
use secrecy::{ExposeSecret, SecretSlice, SecretString};
use std::net::IpAddr;
use std::path::PathBuf;
use std::time::Duration;

pub const MIN_SECRET_BYTES: usize = 32;

/// Secrets that are public knowledge: example values from tutorials and templates,
/// including the FastAPI tutorial's own key. Refused in production.
const KNOWN_PLACEHOLDERS: &[&str] = &[
    "09d25e094faa6ca2556c818166b7a9563b93f7099f6f0f4caa6cf63b88e8d3e7",
    "changeme-changeme-changeme-changeme",
    "your-secret-key-here-change-in-production",
    "secretsecretsecretsecretsecretsecret",
    "super-secret-jwt-key-change-me-please",
];

pub struct Config {
    /// `APP_ENV=production`: refuse weak or missing secrets, cookies and HSTS on.
    pub production: bool,
    pub data_dir: PathBuf,
    pub database: DatabaseSettings,
    /// `None` only in development without `JWT_SECRET`: the key is then generated once
    /// and kept in the data folder (`super::data_dir::signing_key`).
    pub jwt_secret: Option<SecretSlice<u8>>,
    /// The key before the last rotation: still accepted, never used to sign.
    pub jwt_previous_secret: Option<SecretSlice<u8>>,
    pub limits: Limits,
    pub hashing: Hashing,
    /// Peers whose `X-Forwarded-For` is believed (your reverse proxies).
    pub trusted_proxies: Vec<IpAddr>,
    pub request_timeout: Duration,
    /// Limits on connections, against clients that connect and then trickle or idle.
    pub connections: ConnectionLimits,
    /// Where people reach the app (e.g. `https://auth.example.com`); HTTPS turns on HSTS.
    pub public_url: Option<String>,
    /// How long a session (and its refresh cookie) lasts without a new login.
    pub session_ttl: Duration,
    /// `Secure` on the refresh cookie; only plain-http development turns it off.
    pub cookie_secure: bool,
    pub mail: MailSettings,
    /// `OPENAPI_DOCS`: serve `/openapi.json` and `/docs`.
    pub openapi_docs: bool,
    /// `METRICS_ADDR`: a listener of its own that serves only `GET /metrics`.
    pub metrics_addr: Option<std::net::SocketAddr>,
    /// `METRICS_ON_MAIN_PORT`: also serve `/metrics` on the app's own port.
    pub metrics_on_main_port: bool,
}

/// Outgoing mail (`crate::server::mail`).
#[derive(Debug, Clone)]
pub struct MailSettings {
    /// `SMTP_URL`; without it (development) messages are written to `$DATA_DIR/outbox/`.
    pub smtp_url: Option<SecretString>,
    /// `MAIL_FROM`, e.g. `AuthKit <no-reply@example.com>`; refused at start unless it is
    /// an address, so a typo never waits for the first mail to show.
    pub from: lettre::message::Mailbox,
    /// Where links in messages point: `PUBLIC_URL`, or the local address in development.
    pub link_base: String,
    /// How long a password-reset link works (`PASSWORD_RESET_TTL_MINUTES`).
    pub reset_ttl: Duration,
    /// How long an address-verification link works (`EMAIL_VERIFICATION_TTL_HOURS`).
    pub verification_ttl: Duration,
    /// How long the confirmation link of an email change works (`EMAIL_CHANGE_TTL_MINUTES`).
    pub change_ttl: Duration,
    /// Whether an unverified address may log in (`REQUIRE_EMAIL_VERIFICATION`).
    pub require_verified_email: bool,
    /// The longest wait between two delivery attempts of one message (`MAIL_RETRY_MAX_SECS`).
    pub retry_max: Duration,
}

/// Brute-force throttles.
#[derive(Debug, Clone)]
pub struct Limits {
    /// Failed logins allowed per account from one client network (or one device that
    /// has logged in before) per `login_failure_window`.
    pub login_failures: u32,
    /// Failed logins allowed per account over all unknown networks together per window:
    /// the ceiling against distributed guessing. Devices that have logged in before are
    /// not held back by it.
    pub account_failures: u32,
    pub login_failure_window: Duration,
    /// Signup and login requests allowed per client network per minute.
    pub auth_requests_per_ip_per_minute: u32,
    /// Refreshes allowed per session per minute.
    pub refreshes_per_session_per_minute: u32,
    /// Refreshes allowed per client network per minute.
    pub refreshes_per_ip_per_minute: u32,
    /// "Sign in with a passkey" ceremonies started per client network per minute (the
    /// login page starts one on every view, for the browser's autofill).
    pub passkey_starts_per_ip_per_minute: u32,
    /// Password-reset mails asked for per address per hour.
    pub resets_per_address_per_hour: u32,
    /// Mails a logged-in account may ask for per hour (verification links resent, email
    /// changes).
    pub account_mails_per_hour: u32,
    /// Consecutive wrong second-factor codes an account takes, over every network and
    /// never draining, before an app's code is refused from browsers that have not signed
    /// in to it before (NIST SP 800-63B §5.2.2 allows at most 100). The owner is mailed
    /// at a tenth of it.
    pub second_factor_failures: u32,
    /// Passwords a signed-in account may confirm per minute (address change, new factor,
    /// password change, deletion), right or wrong: each costs a hash.
    pub password_checks_per_account_per_minute: u32,
    /// At most this many accounts and addresses are tracked at once (bounded memory).
    pub max_tracked_keys: u64,
}

/// What one connection may cost the server.
#[derive(Debug, Clone)]
pub struct ConnectionLimits {
    /// A request's headers (or, on an idle connection, the next request) must arrive
    /// within this time, or the connection is closed.
    pub header_read_timeout: Duration,
    /// An API request's body must arrive within this time, or it is answered 408.
    pub body_read_timeout: Duration,
    /// Connections served at once; more wait in the kernel's accept queue.
    pub max_connections: usize,
    /// On SIGTERM, requests in flight get this long to finish; then the server exits.
    pub shutdown_grace: Duration,
}

/// How much password hashing may run at once, and how long a request may wait for it.
#[derive(Debug, Clone)]
pub struct Hashing {
    pub max_concurrent: usize,
    pub queue_timeout: Duration,
}

impl Config {
    /// Reads the process environment (after loading `.env`).
    pub fn from_env() -> anyhow::Result<Self> {
        // `.env` in the working directory only (dotenvy's `dotenv()` would also search
        // every parent folder). A missing file is normal; a malformed one is an error.
        match dotenvy::from_path(".env") {
            Ok(_) => {}
            Err(e) if e.not_found() => {}
            Err(e) => return Err(e).context("reading .env"),
        }
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    /// Builds the configuration from any variable source (tests pass a map).
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> anyhow::Result<Self> {
        let var = |name: &str| lookup(name).map(|v| v.trim().to_owned()).filter(|v| !v.is_empty());
        let number = |name: &str, default: u64| -> anyhow::Result<u64> {
            match var(name) {
                Some(v) => v
                    .parse()
                    .with_context(|| format!("{name} must be a whole number, got {v:?}")),
                None => Ok(default),
            }
        };
        // A setting outside its range is refused rather than quietly capped: the operator
        // who asked for a 2-year session should learn at start that it is not one.
        let ranged = |name: &str, default: u64, min: u64, max: u64| -> anyhow::Result<u64> {
            let value = number(name, default)?;
            if !(min..=max).contains(&value) {
                bail!("{name} must be between {min} and {max}, got {value}");
            }
            Ok(value)
        };
        let switch = |name: &str, default: bool| -> anyhow::Result<bool> {
            match var(name).as_deref() {
                None => Ok(default),
                Some("true") | Some("1") => Ok(true),
                Some("false") | Some("0") => Ok(false),
                Some(other) => bail!("{name} must be true or false, got {other:?}"),
            }
        };
        let production = match var("APP_ENV").as_deref() {
            None | Some("development") | Some("dev") | Some("test") => false,
            Some("production") | Some("prod") => true,
            Some(other) => bail!("APP_ENV must be 'production' or 'development', got {other:?}"),
        };
        let data_dir = PathBuf::from(var("DATA_DIR").unwrap_or_else(|| "data".to_owned()));
        let database_url =
            var("DATABASE_URL").unwrap_or_else(|| format!("sqlite://{}", data_dir.join("authkit.db").display()));
        let database = DatabaseSettings {
            backend: Backend::of_url(&database_url)?,
            url: database_url,
            max_connections: u32::try_from(number("DATABASE_MAX_CONNECTIONS", 10)?)?.max(1),
            acquire_timeout: Duration::from_millis(number("DATABASE_ACQUIRE_TIMEOUT_MS", 3_000)?.max(1)),
        };

        let jwt_secret = match var("JWT_SECRET") {
            Some(secret) => Some(parse_secret("JWT_SECRET", secret.into_bytes(), production)?),
            None if production => bail!("APP_ENV=production requires JWT_SECRET (at least {MIN_SECRET_BYTES} bytes)"),
            None => None,
        };
        let jwt_previous_secret = var("JWT_SECRET_PREVIOUS")
            .map(|s| parse_secret("JWT_SECRET_PREVIOUS", s.into_bytes(), production))
            .transpose()?;

        let cores = std::thread::available_parallelism().map_or(1, usize::from);
        let limits = Limits {
            login_failures: u32::try_from(number("LOGIN_MAX_FAILURES", 10)?)?.max(1),
            account_failures: u32::try_from(number("LOGIN_ACCOUNT_MAX_FAILURES", 100)?)?.max(1),
            login_failure_window: Duration::from_secs(number("LOGIN_FAILURE_WINDOW_SECS", 15 * 60)?.max(1)),
            auth_requests_per_ip_per_minute: u32::try_from(number("AUTH_RATE_PER_IP_PER_MINUTE", 30)?)?.max(1),
            refreshes_per_session_per_minute: u32::try_from(number("REFRESH_RATE_PER_SESSION_PER_MINUTE", 10)?)?.max(1),
            refreshes_per_ip_per_minute: u32::try_from(number("REFRESH_RATE_PER_IP_PER_MINUTE", 120)?)?.max(1),
            passkey_starts_per_ip_per_minute: u32::try_from(number("PASSKEY_STARTS_PER_IP_PER_MINUTE", 120)?)?.max(1),
            resets_per_address_per_hour: u32::try_from(number("PASSWORD_RESET_PER_ADDRESS_PER_HOUR", 5)?)?.max(1),
            account_mails_per_hour: u32::try_from(number("ACCOUNT_MAILS_PER_HOUR", 5)?)?.max(1),
            second_factor_failures: u32::try_from(ranged("SECOND_FACTOR_MAX_FAILURES", 100, 1, 100)?)?,
            password_checks_per_account_per_minute: u32::try_from(number(
                "PASSWORD_CHECKS_PER_ACCOUNT_PER_MINUTE",
                10,
            )?)?
            .max(1),
            max_tracked_keys: number("RATE_LIMIT_MAX_KEYS", 100_000)?.max(1),
        };
        let hashing = Hashing {
            max_concurrent: usize::try_from(number("HASH_MAX_CONCURRENT", cores as u64)?)?.max(1),
            queue_timeout: Duration::from_millis(number("HASH_QUEUE_TIMEOUT_MS", 5_000)?),
        };
        let trusted_proxies = var("TRUSTED_PROXIES")
            .map(|list| {
                list.split(',')
                    .map(str::trim)
                    .filter(|s| !s.is_empty())
                    .map(|ip| {
                        ip.parse()
                            .with_context(|| format!("TRUSTED_PROXIES: {ip:?} is not an IP address"))
                    })
                    .collect::<anyhow::Result<Vec<IpAddr>>>()
            })
            .transpose()?
            .unwrap_or_default();
        let request_timeout = Duration::from_millis(number("REQUEST_TIMEOUT_MS", 30_000)?.max(1));
        let connections = ConnectionLimits {
            header_read_timeout: Duration::from_millis(number("HEADER_READ_TIMEOUT_MS", 10_000)?.max(1)),
            body_read_timeout: Duration::from_millis(number("BODY_READ_TIMEOUT_MS", 10_000)?.max(1)),
            max_connections: usize::try_from(number("MAX_CONNECTIONS", 1024)?)?.max(1),
            shutdown_grace: Duration::from_secs(number("SHUTDOWN_GRACE_SECS", 10)?),
        };
        let public_url = var("PUBLIC_URL").map(|url| parse_public_url(&url)).transpose()?;
        let session_ttl = Duration::from_secs(ranged("SESSION_TTL_DAYS", 14, 1, 365)? * 24 * 3600);
        let cookie_secure = switch("COOKIE_SECURE", true)?;
        if production && !cookie_secure {
            bail!("COOKIE_SECURE=false is not allowed with APP_ENV=production");
        }

        let mail = MailSettings {
            smtp_url: var("SMTP_URL").map(SecretString::from),
            from: parse_mail_from(&var("MAIL_FROM").unwrap_or_else(|| "AuthKit <no-reply@localhost>".to_owned()))?,
            link_base: public_url
                .clone()
                .unwrap_or_else(|| "http://127.0.0.1:3000".to_owned())
                .trim_end_matches('/')
                .to_owned(),
            reset_ttl: Duration::from_secs(ranged("PASSWORD_RESET_TTL_MINUTES", 30, 1, 24 * 60)? * 60),
            verification_ttl: Duration::from_secs(ranged("EMAIL_VERIFICATION_TTL_HOURS", 24, 1, 30 * 24)? * 3600),
            change_ttl: Duration::from_secs(ranged("EMAIL_CHANGE_TTL_MINUTES", 60, 1, 24 * 60)? * 60),
            require_verified_email: switch("REQUIRE_EMAIL_VERIFICATION", false)?,
            retry_max: Duration::from_secs(number("MAIL_RETRY_MAX_SECS", 300)?.max(1)),
        };
        if production {
            if mail.smtp_url.is_none() {
                bail!("APP_ENV=production requires SMTP_URL (password-reset mail must reach people)");
            }
            if !public_url.as_deref().is_some_and(|url| url.starts_with("https://")) {
                bail!("APP_ENV=production requires PUBLIC_URL=https://… (links in mail are built from it)");
            }
        }

        let metrics_addr = match lookup("METRICS_ADDR").filter(|v| !v.trim().is_empty()) {
            Some(addr) => Some(addr.trim().parse().with_context(|| {
                format!("METRICS_ADDR must be an address and port like 127.0.0.1:9100, not {addr:?}")
            })?),
            None => None,
        };

        Ok(Self {
            openapi_docs: switch("OPENAPI_DOCS", true)?,
            metrics_addr,
            metrics_on_main_port: switch("METRICS_ON_MAIN_PORT", false)?,
            mail,
            production,
            data_dir,
            database,
            jwt_secret,
            jwt_previous_secret,
            limits,
            hashing,
            trusted_proxies,
            request_timeout,
            connections,
            public_url,
            session_ttl,
            cookie_secure,
        })
    }

    /// HSTS only makes sense (and is only honoured) when people reach us over HTTPS.
    pub fn serves_https(&self) -> bool {
        self.public_url
            .as_deref()
            .is_some_and(|url| url.starts_with("https://"))
    }
}

/// `PUBLIC_URL` is where links in mail point and the passkeys' relying party: without a
/// scheme and a host (`auth.example.com`, `localhost:3000`) every link would be broken.
/// Kept as written, minus a trailing `/`.
fn parse_public_url(value: &str) -> anyhow::Result<String> {
    let usable = url::Url::parse(value)
        .ok()
        .filter(|url| matches!(url.scheme(), "http" | "https") && url.host_str().is_some_and(|h| !h.is_empty()));
    if usable.is_none() {
        bail!(
            "PUBLIC_URL must be an address like https://auth.example.com (http:// or https:// and a host), got {value:?}"
        );
    }
    Ok(value.trim_end_matches('/').to_owned())
}

fn parse_mail_from(value: &str) -> anyhow::Result<lettre::message::Mailbox> {
    value.parse().map_err(|_| {
        anyhow::anyhow!(
            "MAIL_FROM must be an address, either no-reply@example.com or AuthKit <no-reply@example.com>, got {value:?}"
        )
    })
}

pub(super) fn parse_secret(name: &str, bytes: Vec<u8>, production: bool) -> anyhow::Result<SecretSlice<u8>> {
    if bytes.len() < MIN_SECRET_BYTES {
        bail!(
            "{name} must be at least {MIN_SECRET_BYTES} bytes long (it has {})",
            bytes.len()
        );
    }
    let secret = SecretSlice::from(bytes);
    if production && is_placeholder(secret.expose_secret()) {
        bail!("{name} is a published example value; generate your own (e.g. `openssl rand -hex 32`)");
    }
    Ok(secret)
}

fn is_placeholder(secret: &[u8]) -> bool {
    let text = String::from_utf8_lossy(secret).to_lowercase();
    let single_repeated_char = secret.windows(2).all(|w| w[0] == w[1]);
    single_repeated_char || KNOWN_PLACEHOLDERS.contains(&text.as_str())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;
    use std::path::Path;

    const GOOD: &str = "a-perfectly-random-looking-secret-8c1f0e";

    fn config(vars: &[(&str, &str)], dir: &Path) -> anyhow::Result<Config> {
        let mut map: HashMap<String, String> = vars.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        map.insert("DATA_DIR".into(), dir.display().to_string());
        Config::from_lookup(|name| map.get(name).cloned())
    }

    #[test]
    fn the_database_is_chosen_by_its_url_and_an_unknown_scheme_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let default = config(&[], dir.path()).unwrap();
        assert_eq!(default.database.backend, Backend::Sqlite);
        assert!(default.database.url.ends_with("authkit.db"));
        let pg = config(
            &[
                ("DATABASE_URL", "postgresql://authkit@db.internal/authkit"),
                ("DATABASE_MAX_CONNECTIONS", "25"),
                ("DATABASE_ACQUIRE_TIMEOUT_MS", "750"),
            ],
            dir.path(),
        )
        .unwrap();
        assert_eq!(pg.database.backend, Backend::Postgres);
        assert_eq!(pg.database.max_connections, 25);
        assert_eq!(pg.database.acquire_timeout, Duration::from_millis(750));
        let error = config(&[("DATABASE_URL", "mysql://authkit@db/authkit")], dir.path())
            .err()
            .unwrap()
            .to_string();
        assert!(error.contains("DATABASE_URL must start with"), "{error}");
    }

    #[test]
    fn short_secret_is_refused_everywhere() {
        let dir = tempfile::tempdir().unwrap();
        assert!(config(&[("JWT_SECRET", "too short")], dir.path()).is_err());
        assert!(config(&[("JWT_SECRET", "too short"), ("APP_ENV", "production")], dir.path()).is_err());
        assert!(config(&[("JWT_SECRET", GOOD)], dir.path()).is_ok());
    }

    #[test]
    fn production_refuses_missing_and_placeholder_secrets() {
        let dir = tempfile::tempdir().unwrap();
        let prod = ("APP_ENV", "production");
        let missing = config(&[prod], dir.path()).err().unwrap().to_string();
        assert!(missing.contains("requires JWT_SECRET"), "{missing}");
        for placeholder in [KNOWN_PLACEHOLDERS[0], KNOWN_PLACEHOLDERS[1], &"x".repeat(40)] {
            let err = config(&[prod, ("JWT_SECRET", placeholder)], dir.path())
                .err()
                .unwrap()
                .to_string();
            assert!(err.contains("published example"), "{err}");
        }
        let previous = config(
            &[prod, ("JWT_SECRET", GOOD), ("JWT_SECRET_PREVIOUS", "short")],
            dir.path(),
        );
        assert!(previous.is_err());
        let mail = [
            ("SMTP_URL", "smtp://relay.example.com"),
            ("PUBLIC_URL", "https://auth.example.com"),
        ];
        let ok = config(&[prod, ("JWT_SECRET", GOOD), mail[0], mail[1]], dir.path()).unwrap();
        assert!(ok.production);
        assert_eq!(ok.mail.link_base, "https://auth.example.com");
        // Development may use a placeholder (it is only a warning-free convenience there).
        assert!(config(&[("JWT_SECRET", KNOWN_PLACEHOLDERS[0])], dir.path()).is_ok());
    }

    #[test]
    fn parsing_touches_no_file() {
        let dir = tempfile::tempdir().unwrap();
        let data_dir = dir.path().join("not-yet");
        let mut map = HashMap::new();
        map.insert("DATA_DIR".to_owned(), data_dir.display().to_string());
        let config = Config::from_lookup(|name| map.get(name).cloned()).unwrap();
        assert!(
            config.jwt_secret.is_none(),
            "development without JWT_SECRET generates one later"
        );
        assert!(!data_dir.exists());
    }

    #[test]
    fn settings_are_parsed_and_validated() {
        let dir = tempfile::tempdir().unwrap();
        let c = config(
            &[
                ("JWT_SECRET", GOOD),
                ("LOGIN_MAX_FAILURES", "3"),
                ("HASH_MAX_CONCURRENT", "4"),
                ("TRUSTED_PROXIES", "10.0.0.1, ::1"),
                ("PUBLIC_URL", "https://auth.example.com"),
            ],
            dir.path(),
        )
        .unwrap();
        assert_eq!(c.limits.login_failures, 3);
        assert_eq!(c.hashing.max_concurrent, 4);
        assert_eq!(c.trusted_proxies.len(), 2);
        assert!(c.serves_https());
        assert!(config(&[("JWT_SECRET", GOOD), ("TRUSTED_PROXIES", "not-an-ip")], dir.path()).is_err());
        assert!(config(&[("JWT_SECRET", GOOD), ("LOGIN_MAX_FAILURES", "ten")], dir.path()).is_err());
        assert!(config(&[("JWT_SECRET", GOOD), ("APP_ENV", "staging")], dir.path()).is_err());
        assert!(c.cookie_secure, "Secure is the default");
        assert_eq!(c.session_ttl, Duration::from_secs(14 * 24 * 3600));
        let dev = config(&[("JWT_SECRET", GOOD), ("COOKIE_SECURE", "false")], dir.path()).unwrap();
        assert!(!dev.cookie_secure);
        let prod = [
            ("APP_ENV", "production"),
            ("JWT_SECRET", GOOD),
            ("SMTP_URL", "smtp://relay.example.com"),
            ("PUBLIC_URL", "https://auth.example.com"),
            ("COOKIE_SECURE", "false"),
        ];
        let error = config(&prod, dir.path()).err().unwrap().to_string();
        assert!(
            error.contains("COOKIE_SECURE"),
            "production cannot turn Secure off: {error}"
        );
    }

    #[test]
    fn production_needs_a_mail_relay_and_an_https_public_url() {
        let dir = tempfile::tempdir().unwrap();
        let base = [("APP_ENV", "production"), ("JWT_SECRET", GOOD)];
        let no_smtp = config(&[base[0], base[1], ("PUBLIC_URL", "https://a.example.com")], dir.path());
        assert!(no_smtp.err().unwrap().to_string().contains("SMTP_URL"));
        let http = config(
            &[
                base[0],
                base[1],
                ("SMTP_URL", "smtp://relay"),
                ("PUBLIC_URL", "http://a.example.com"),
            ],
            dir.path(),
        );
        assert!(http.err().unwrap().to_string().contains("PUBLIC_URL"));
        // Development: no relay (mail goes to files), links to the local server.
        let dev = config(&[("JWT_SECRET", GOOD)], dir.path()).unwrap();
        assert!(dev.mail.smtp_url.is_none());
        assert_eq!(dev.mail.link_base, "http://127.0.0.1:3000");
        assert_eq!(dev.mail.reset_ttl, Duration::from_secs(30 * 60));
        assert_eq!(dev.mail.verification_ttl, Duration::from_secs(24 * 3600));
        assert_eq!(dev.mail.change_ttl, Duration::from_secs(3600));
        assert!(!dev.mail.require_verified_email);
        let tuned = [
            ("JWT_SECRET", GOOD),
            ("REQUIRE_EMAIL_VERIFICATION", "true"),
            ("EMAIL_VERIFICATION_TTL_HOURS", "48"),
            ("EMAIL_CHANGE_TTL_MINUTES", "15"),
        ];
        let tuned = config(&tuned, dir.path()).unwrap();
        assert!(tuned.mail.require_verified_email);
        assert_eq!(tuned.mail.verification_ttl, Duration::from_secs(48 * 3600));
        assert_eq!(tuned.mail.change_ttl, Duration::from_secs(15 * 60));
        let typo = config(
            &[("JWT_SECRET", GOOD), ("REQUIRE_EMAIL_VERIFICATION", "yes")],
            dir.path(),
        );
        assert!(typo.err().unwrap().to_string().contains("REQUIRE_EMAIL_VERIFICATION"));
    }

    #[test]
    fn a_public_url_without_scheme_and_host_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        for bad in [
            "auth.example.com",
            "localhost:3000",
            "ftp://auth.example.com",
            "https://",
            "/login",
        ] {
            let error = config(&[("JWT_SECRET", GOOD), ("PUBLIC_URL", bad)], dir.path())
                .err()
                .unwrap_or_else(|| panic!("{bad:?} was accepted"))
                .to_string();
            assert!(error.contains("PUBLIC_URL must be an address like https://"), "{error}");
            assert!(
                error.contains(&format!("{bad:?}")),
                "the error names what was given: {error}"
            );
        }
        let ok = config(
            &[("JWT_SECRET", GOOD), ("PUBLIC_URL", "http://localhost:3000/")],
            dir.path(),
        )
        .unwrap();
        assert_eq!(ok.public_url.as_deref(), Some("http://localhost:3000"));
        assert_eq!(ok.mail.link_base, "http://localhost:3000");
    }

    #[test]
    fn a_lifetime_out_of_range_is_refused_not_capped() {
        let dir = tempfile::tempdir().unwrap();
        for (name, bad) in [
            ("SESSION_TTL_DAYS", "400"),
            ("SESSION_TTL_DAYS", "0"),
            ("PASSWORD_RESET_TTL_MINUTES", "1441"),
            ("EMAIL_VERIFICATION_TTL_HOURS", "721"),
            ("EMAIL_CHANGE_TTL_MINUTES", "0"),
        ] {
            let error = config(&[("JWT_SECRET", GOOD), (name, bad)], dir.path())
                .err()
                .unwrap_or_else(|| panic!("{name}={bad} was accepted"))
                .to_string();
            assert!(error.starts_with(&format!("{name} must be between ")), "{error}");
            assert!(error.ends_with(&format!("got {bad}")), "{error}");
        }
        let longest = config(&[("JWT_SECRET", GOOD), ("SESSION_TTL_DAYS", "365")], dir.path()).unwrap();
        assert_eq!(longest.session_ttl, Duration::from_secs(365 * 24 * 3600));
    }

    #[test]
    fn a_mail_from_that_is_no_address_shows_the_expected_form() {
        let dir = tempfile::tempdir().unwrap();
        let error = config(&[("JWT_SECRET", GOOD), ("MAIL_FROM", "AuthKit")], dir.path())
            .err()
            .unwrap()
            .to_string();
        assert_eq!(
            error,
            "MAIL_FROM must be an address, either no-reply@example.com or AuthKit <no-reply@example.com>, got \"AuthKit\""
        );
        let named = config(
            &[("JWT_SECRET", GOOD), ("MAIL_FROM", "Team <team@example.com>")],
            dir.path(),
        )
        .unwrap();
        assert_eq!(named.mail.from.email.to_string(), "team@example.com");
    }
}
