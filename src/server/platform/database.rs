//! `Database`: the one connection pool every store uses, on SQLite or PostgreSQL as
//! `DATABASE_URL` says. This is where the backend split lives:
//!
//! - The stores hold an `AnyPool` (sqlx's `Any` driver) and run one SQL text on both
//!   engines: `$n` placeholders, `RETURNING`, `ON CONFLICT`, `CASE` instead of
//!   `MAX`/`GREATEST`, integers and text only. Where a query really must differ, it
//!   names both texts in one place with [`Backend::pick`].
//! - Opening a connection differs (SQLite's pragmas, PostgreSQL's pool limits), and so do
//!   the migrations: `migrations/sqlite/` and `migrations/postgres/`, chosen here.
//! - What several instances must share (throttles, the development signing key) is in
//!   the database only with PostgreSQL: `AppState::new` asks [`Backend::is_shared`].

use anyhow::{Context, bail};
use sqlx::any::{AnyPoolOptions, install_default_drivers};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode};
use sqlx::{AnyPool, ConnectOptions, Connection};
use std::str::FromStr;
use std::time::Duration;

/// Which engine a `DATABASE_URL` names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    /// The backend of a URL by its scheme; anything else is refused with one line.
    pub fn of_url(url: &str) -> anyhow::Result<Self> {
        let scheme = url.split_once(':').map_or("", |(scheme, _)| scheme);
        match scheme.to_ascii_lowercase().as_str() {
            "sqlite" => Ok(Backend::Sqlite),
            "postgres" | "postgresql" => Ok(Backend::Postgres),
            _ => bail!("DATABASE_URL must start with sqlite:// or postgres:// (got scheme {scheme:?})"),
        }
    }

    /// Several instances can share this database (and so must share their state in it).
    pub fn is_shared(self) -> bool {
        self == Backend::Postgres
    }

    /// The SQL text of one query for this engine, for the rare query whose text must
    /// differ: both variants stand side by side at the call.
    pub fn pick(self, sqlite: &'static str, postgres: &'static str) -> &'static str {
        match self {
            Backend::Sqlite => sqlite,
            Backend::Postgres => postgres,
        }
    }
}

/// How to reach the database (from `Config`).
#[derive(Debug, Clone)]
pub struct DatabaseSettings {
    pub url: String,
    pub backend: Backend,
    /// Connections per instance (`DATABASE_MAX_CONNECTIONS`).
    pub max_connections: u32,
    /// How long a request waits for a free connection before it is answered 503
    /// (`DATABASE_ACQUIRE_TIMEOUT_MS`).
    pub acquire_timeout: Duration,
}

impl DatabaseSettings {
    /// The database as an operator would recognise it, for the CLI to say what it acts on:
    /// an SQLite file by its absolute path, a PostgreSQL URL without its password.
    pub fn describe(&self) -> String {
        match self.backend {
            Backend::Sqlite => match sqlite_file(&self.url) {
                Some(path) => {
                    let absolute = std::path::absolute(&path).unwrap_or(path);
                    format!("sqlite://{}", absolute.display())
                }
                None => self.url.clone(),
            },
            Backend::Postgres => match url::Url::parse(&self.url) {
                Ok(mut url) => {
                    if url.password().is_some() {
                        let _ = url.set_password(Some("***"));
                    }
                    url.to_string()
                }
                Err(_) => "postgres://…".to_owned(),
            },
        }
    }

    /// Refuses a database the server has never set up: the CLI's account commands act on
    /// the server's database, and run from the wrong folder they would otherwise create an
    /// empty one (and a signing key beside it) where the real server never looks.
    pub async fn require_initialised(&self) -> anyhow::Result<()> {
        let described = self.describe();
        let never_started = || {
            anyhow::anyhow!(
                "{described} is not the server's database (it has no authkit tables): run this with the \
                 server's DATABASE_URL and DATA_DIR, or start the server once first"
            )
        };
        if self.backend == Backend::Sqlite
            && let Some(path) = sqlite_file(&self.url)
            && !path.exists()
        {
            return Err(never_started());
        }
        install_default_drivers();
        let mut connection = sqlx::AnyConnection::connect(&self.url)
            .await
            .with_context(|| format!("opening {described}"))?;
        let tables: i64 = sqlx::query_scalar(self.backend.pick(
            "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = 'users'",
            "SELECT COUNT(*) FROM information_schema.tables WHERE table_name = 'users' AND table_schema = current_schema()",
        ))
        .fetch_one(&mut connection)
        .await
        .with_context(|| format!("reading {described}"))?;
        connection.close().await.ok();
        if tables == 0 {
            return Err(never_started());
        }
        Ok(())
    }
}

/// The file an `sqlite://` URL names (`None` for an in-memory database).
fn sqlite_file(url: &str) -> Option<std::path::PathBuf> {
    let options = SqliteConnectOptions::from_str(url).ok()?;
    let name = options.get_filename();
    (name != std::path::Path::new(":memory:")).then(|| name.to_path_buf())
}

#[derive(Clone)]
pub struct Database {
    pool: AnyPool,
    backend: Backend,
    acquire_timeout: Duration,
}

/// SQLite: WAL is set when the file is created (it stays). Per connection: FULL, so a
/// signup answered 200 survives a crash or power cut; a busy timeout, so concurrent
/// writers wait their turn instead of failing with "database is locked"; foreign keys
/// (sqlx's default too, stated here because cascades depend on it).
const SQLITE_PRAGMAS: &str = "PRAGMA synchronous = FULL; PRAGMA busy_timeout = 10000; PRAGMA foreign_keys = ON;";

impl Database {
    /// Opens the pool (creating an SQLite file if needed) and applies the migrations.
    /// With PostgreSQL, several instances may start at once: sqlx takes an advisory lock
    /// around the migrations, so exactly one applies them and the others wait.
    pub async fn open(settings: &DatabaseSettings) -> anyhow::Result<Self> {
        install_default_drivers();
        if settings.backend == Backend::Sqlite {
            create_sqlite_file(&settings.url).await?;
        }
        let backend = settings.backend;
        let pool = AnyPoolOptions::new()
            .max_connections(settings.max_connections)
            .acquire_timeout(settings.acquire_timeout)
            .after_connect(move |conn, _| {
                Box::pin(async move {
                    if backend == Backend::Sqlite {
                        sqlx::raw_sql(SQLITE_PRAGMAS).execute(&mut *conn).await?;
                    }
                    Ok(())
                })
            })
            .connect(&settings.url)
            .await
            .context("opening the database")?;
        let database = Self {
            pool,
            backend,
            acquire_timeout: settings.acquire_timeout,
        };
        database.migrate().await?;
        Ok(database)
    }

    async fn migrate(&self) -> anyhow::Result<()> {
        let migrator = match self.backend {
            Backend::Sqlite => sqlx::migrate!("./migrations/sqlite"),
            Backend::Postgres => sqlx::migrate!("./migrations/postgres"),
        };
        migrator.run(&self.pool).await.context("applying database migrations")
    }

    pub fn pool(&self) -> &AnyPool {
        &self.pool
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// Does the database answer a trivial query, within the time a request would wait for
    /// a connection? (`/health/ready`.) A stopped server can leave a pooled connection
    /// waiting forever, hence the timeout around the query too.
    pub async fn ping(&self) -> Result<(), sqlx::Error> {
        let query = sqlx::query("SELECT 1").execute(&self.pool);
        match tokio::time::timeout(self.acquire_timeout, query).await {
            Ok(done) => done.map(drop),
            Err(_) => Err(sqlx::Error::PoolTimedOut),
        }
    }

    /// Closes every connection (the CLI, before it exits).
    pub async fn close(&self) {
        self.pool.close().await;
    }
}

/// Creates the SQLite file (private to the server's user) in WAL mode, which the file
/// keeps; the `Any` driver opens existing files only.
async fn create_sqlite_file(url: &str) -> anyhow::Result<()> {
    let options = SqliteConnectOptions::from_str(url)
        .context("DATABASE_URL is not a valid SQLite URL")?
        .create_if_missing(true)
        .journal_mode(SqliteJournalMode::Wal);
    if options.get_filename() != std::path::Path::new(":memory:") {
        super::data_dir::private_database_file(options.get_filename())?;
    }
    let connection = options.connect().await.context("creating the SQLite database")?;
    connection.close().await.context("creating the SQLite database")?;
    Ok(())
}

/// Is this error the database being unreachable or going away (a restart, a full pool),
/// rather than a fault in a query? Those are answered 503 + `Retry-After`: the request
/// may simply be tried again.
pub fn is_unavailable(error: &sqlx::Error) -> bool {
    match error {
        sqlx::Error::PoolTimedOut | sqlx::Error::PoolClosed | sqlx::Error::Io(_) | sqlx::Error::Tls(_) => true,
        sqlx::Error::Protocol(_) => true,
        // SQLSTATE class 08 (connection exception), 57P01-57P03 (admin shutdown, crash
        // shutdown, cannot connect now), 53300 (too many connections).
        sqlx::Error::Database(db) => db
            .code()
            .is_some_and(|code| code.starts_with("08") || code.starts_with("57P") || code == "53300"),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_backend_is_chosen_by_the_url_scheme() {
        assert_eq!(Backend::of_url("sqlite://data/authkit.db").unwrap(), Backend::Sqlite);
        assert_eq!(Backend::of_url("sqlite::memory:").unwrap(), Backend::Sqlite);
        assert_eq!(Backend::of_url("postgres://u@h/db").unwrap(), Backend::Postgres);
        assert_eq!(Backend::of_url("postgresql://u@h/db").unwrap(), Backend::Postgres);
        assert_eq!(Backend::of_url("POSTGRES://u@h/db").unwrap(), Backend::Postgres);
        for refused in ["mysql://u@h/db", "data/authkit.db", "", "http://x"] {
            let error = Backend::of_url(refused).unwrap_err().to_string();
            assert!(error.starts_with("DATABASE_URL must start with"), "{error}");
            assert!(!error.contains('\n'), "one line: {error}");
        }
    }

    #[test]
    fn a_database_is_described_by_its_file_or_its_url_without_the_password() {
        let settings = |url: &str| DatabaseSettings {
            url: url.to_owned(),
            backend: Backend::of_url(url).unwrap(),
            max_connections: 1,
            acquire_timeout: Duration::from_secs(1),
        };
        let postgres = settings("postgres://authkit:s3cret-pass@db.internal:5432/authkit").describe();
        assert!(!postgres.contains("s3cret-pass"), "{postgres}");
        assert!(postgres.starts_with("postgres://authkit:"), "{postgres}");
        assert!(postgres.ends_with("@db.internal:5432/authkit"), "{postgres}");
        let sqlite = settings("sqlite://data/authkit.db").describe();
        let cwd = std::env::current_dir().unwrap();
        assert_eq!(sqlite, format!("sqlite://{}", cwd.join("data/authkit.db").display()));
    }
}
