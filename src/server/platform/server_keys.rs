//! The development signing key when several instances share a PostgreSQL database and
//! no `JWT_SECRET` is set: the first instance to start stores a generated key, every
//! other one (and every restart) reads that same key, so a token signed by one instance
//! is accepted by all. Production refuses to start without `JWT_SECRET` (`Config`), so
//! this never holds a production key.

use super::config::{MIN_SECRET_BYTES, parse_secret};
use super::database::Database;
use crate::server::sessions::store::now_secs;
use anyhow::Context;
use secrecy::SecretSlice;

const SIGNING_KEY: &str = "jwt_signing_key";

/// Stores a generated key unless one is there (instances starting at once: the first
/// insert wins, the others' inserts do nothing), then reads the one that is there.
pub async fn shared_signing_key(database: &Database) -> anyhow::Result<SecretSlice<u8>> {
    let candidate: [u8; MIN_SECRET_BYTES] = rand::random();
    let inserted = sqlx::query(
        "INSERT INTO server_keys (name, secret, created_at) VALUES ($1, $2, $3) ON CONFLICT (name) DO NOTHING",
    )
    .bind(SIGNING_KEY)
    .bind(hex::encode(candidate))
    .bind(now_secs())
    .execute(database.pool())
    .await
    .context("storing the shared signing key")?;
    if inserted.rows_affected() == 1 {
        tracing::warn!(
            "JWT_SECRET is not set: generated a signing key and stored it in the database for every instance (set JWT_SECRET in production)"
        );
    }
    let stored: String = sqlx::query_scalar("SELECT secret FROM server_keys WHERE name = $1")
        .bind(SIGNING_KEY)
        .fetch_one(database.pool())
        .await
        .context("reading the shared signing key")?;
    let bytes = hex::decode(stored.trim()).context("the stored signing key is not hex")?;
    parse_secret("the stored signing key", bytes, false)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::server::test_support::test_state;
    use secrecy::ExposeSecret;

    #[tokio::test]
    async fn every_instance_gets_the_key_the_first_one_stored() {
        let t = test_state().await;
        let database = &t.state.database;
        let keys = futures::future::join_all((0..4).map(|_| shared_signing_key(database))).await;
        let first = keys[0].as_ref().unwrap().expose_secret().to_vec();
        assert_eq!(first.len(), MIN_SECRET_BYTES);
        for key in &keys {
            assert_eq!(key.as_ref().unwrap().expose_secret(), first.as_slice());
        }
        let rows: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM server_keys")
            .fetch_one(database.pool())
            .await
            .unwrap();
        assert_eq!(rows, 1);
    }
}
