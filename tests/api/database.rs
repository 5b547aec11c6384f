//! Which database the tests run on. By default each test gets a fresh SQLite file in its
//! temporary folder. With `TEST_DATABASE_URL` naming a PostgreSQL server (`make unit`
//! starts a throwaway one with `scripts/pg.sh`), each test gets a fresh database of its
//! own on that server instead, so the whole suite runs on PostgreSQL too.

use sha2::{Digest, Sha256};
use sqlx::{Connection, Executor};
use std::path::Path;

/// The PostgreSQL server the suite runs on, if any.
pub fn postgres_server() -> Option<String> {
    std::env::var("TEST_DATABASE_URL")
        .ok()
        .filter(|url| !url.trim().is_empty())
}

/// The test's database for the data folder `dir`. The same folder always names the same
/// database, so a server restarted on it (the crash tests) finds its data again.
pub async fn database_url_for(dir: &Path) -> String {
    let Some(server) = postgres_server() else {
        return format!("sqlite://{}", dir.join("test.db").display());
    };
    let name = format!("t_{}", &hex::encode(Sha256::digest(dir.display().to_string()))[..24]);
    create_database(&server, &name).await;
    with_database(&server, &name)
}

/// A new, empty database on the test server, under a name no other test uses.
pub async fn fresh_postgres_database(server: &str, label: &str) -> String {
    let name = format!("t_{label}_{}", hex::encode(rand_bytes()));
    create_database(server, &name).await;
    with_database(server, &name)
}

fn rand_bytes() -> [u8; 8] {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    let digest = Sha256::digest(format!("{nanos}-{}", std::process::id()));
    let mut out = [0u8; 8];
    out.copy_from_slice(&digest[..8]);
    out
}

async fn create_database(server: &str, name: &str) {
    let mut admin = sqlx::PgConnection::connect(server)
        .await
        .expect("TEST_DATABASE_URL: cannot connect");
    let created = admin
        .execute(sqlx::AssertSqlSafe(format!("CREATE DATABASE \"{name}\"")))
        .await;
    match created {
        Ok(_) => {}
        // Already there: the same data folder, started again.
        Err(e) if e.as_database_error().and_then(|d| d.code()).as_deref() == Some("42P04") => {}
        Err(e) => panic!("creating test database {name}: {e}"),
    }
    let _ = admin.close().await;
}

/// The server URL with its database name replaced.
pub fn with_database(server: &str, name: &str) -> String {
    let (base, query) = server.split_once('?').map_or((server, None), |(b, q)| (b, Some(q)));
    let authority_end = base.find("://").map_or(0, |i| i + 3);
    let path_start = base[authority_end..]
        .find('/')
        .map_or(base.len(), |i| authority_end + i);
    let mut url = format!("{}/{name}", &base[..path_start]);
    if let Some(query) = query {
        url.push('?');
        url.push_str(query);
    }
    url
}
