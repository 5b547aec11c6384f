//! SQL for passkeys: `PasskeyStore` (table `passkeys`, the registered credentials) and
//! `Ceremonies` (table `webauthn_ceremonies`, a registration or an authentication between
//! its start and its finish). A ceremony is finished by deleting its row, so it completes
//! once, on whichever instance the finish reaches.

use crate::server::platform::one_time_secret::{OneTimeSecret, SecretTable, hash_of, purge_expired};
use crate::server::sessions::store::now_secs;
use sqlx::{AnyConnection, AnyPool};

/// How long a browser may take between a ceremony's start and its finish.
pub const CEREMONY_TTL_SECS: i64 = 5 * 60;

/// A passkey as its owner's list shows it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct PasskeyRow {
    pub credential_id: String,
    pub name: String,
    pub created_at: i64,
    pub last_used_at: Option<i64>,
}

#[derive(Clone)]
pub struct PasskeyStore {
    pool: AnyPool,
}

impl PasskeyStore {
    pub fn new(pool: AnyPool) -> Self {
        Self { pool }
    }

    /// Stores a new passkey (inside the caller's transaction, beside its notice): `false`
    /// if that credential is registered already (to anyone).
    pub async fn insert(
        connection: &mut AnyConnection,
        user_id: i64,
        credential_id: &str,
        name: &str,
        credential: &str,
    ) -> Result<bool, sqlx::Error> {
        let done = sqlx::query(
            "INSERT INTO passkeys (credential_id, user_id, name, credential, created_at) VALUES ($1, $2, $3, $4, $5) \
             ON CONFLICT (credential_id) DO NOTHING",
        )
        .bind(credential_id)
        .bind(user_id)
        .bind(name)
        .bind(credential)
        .bind(now_secs())
        .execute(connection)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    pub async fn list(&self, user_id: i64) -> Result<Vec<PasskeyRow>, sqlx::Error> {
        sqlx::query_as(
            "SELECT credential_id, name, created_at, last_used_at FROM passkeys WHERE user_id = $1 \
             ORDER BY created_at, credential_id",
        )
        .bind(user_id)
        .fetch_all(&self.pool)
        .await
    }

    /// The account's passkeys as stored (webauthn-rs JSON).
    pub async fn credentials_of(&self, user_id: i64) -> Result<Vec<String>, sqlx::Error> {
        sqlx::query_scalar("SELECT credential FROM passkeys WHERE user_id = $1")
            .bind(user_id)
            .fetch_all(&self.pool)
            .await
    }

    /// Whose passkey this is, and the passkey as stored.
    pub async fn find(&self, credential_id: &str) -> Result<Option<(i64, String)>, sqlx::Error> {
        sqlx::query_as("SELECT user_id, credential FROM passkeys WHERE credential_id = $1")
            .bind(credential_id)
            .fetch_optional(&self.pool)
            .await
    }

    /// Records a use of the passkey: when, and — when its signature counter moved on to
    /// `counter` — the passkey with that counter, unless a use with a counter at least as
    /// high was stored meanwhile (two uses at once must not leave the lower one behind).
    pub async fn used(&self, credential_id: &str, moved: Option<(&str, i64)>) -> Result<(), sqlx::Error> {
        let (credential, counter) = moved.map_or((None, -1), |(credential, counter)| (Some(credential), counter));
        sqlx::query(
            "UPDATE passkeys SET last_used_at = $1, \
             credential = CASE WHEN $2 > sign_count THEN COALESCE($3, credential) ELSE credential END, \
             sign_count = CASE WHEN $2 > sign_count THEN $2 ELSE sign_count END \
             WHERE credential_id = $4",
        )
        .bind(now_secs())
        .bind(counter)
        .bind(credential)
        .bind(credential_id)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Deletes one of the account's passkeys (inside the caller's transaction): `false` if
    /// it has none with that id.
    pub async fn delete(
        connection: &mut AnyConnection,
        user_id: i64,
        credential_id: &str,
    ) -> Result<bool, sqlx::Error> {
        let done = sqlx::query("DELETE FROM passkeys WHERE user_id = $1 AND credential_id = $2")
            .bind(user_id)
            .bind(credential_id)
            .execute(connection)
            .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Removes every passkey of the account (inside the caller's transaction), and the
    /// ceremonies it had started: how many passkeys went.
    pub async fn remove_all(connection: &mut AnyConnection, user_id: i64) -> Result<u64, sqlx::Error> {
        let removed = sqlx::query("DELETE FROM passkeys WHERE user_id = $1")
            .bind(user_id)
            .execute(&mut *connection)
            .await?
            .rows_affected();
        sqlx::query("DELETE FROM webauthn_ceremonies WHERE user_id = $1")
            .bind(user_id)
            .execute(&mut *connection)
            .await?;
        Ok(removed)
    }

    pub async fn count(&self, user_id: i64) -> Result<i64, sqlx::Error> {
        sqlx::query_scalar("SELECT COUNT(*) FROM passkeys WHERE user_id = $1")
            .bind(user_id)
            .fetch_one(&self.pool)
            .await
    }
}

/// What a ceremony is for; a ceremony is only finished by the operation that started it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Purpose {
    Register,
    SignIn,
    SecondFactor,
}

impl Purpose {
    fn as_str(self) -> &'static str {
        match self {
            Purpose::Register => "register",
            Purpose::SignIn => "sign_in",
            Purpose::SecondFactor => "second_factor",
        }
    }
}

/// A ceremony taken for its finish: the account it was started for, and the state.
#[derive(Debug, sqlx::FromRow)]
pub struct Started {
    pub user_id: Option<i64>,
    pub state: String,
}

#[derive(Clone)]
pub struct Ceremonies {
    pool: AnyPool,
}

impl Ceremonies {
    pub fn new(pool: AnyPool) -> Self {
        Self { pool }
    }

    /// Keeps a ceremony's state under `id` (random, or derived from an `mfa_token`),
    /// replacing one started earlier under the same id.
    pub async fn keep(&self, id: &str, purpose: Purpose, user_id: Option<i64>, state: &str) -> Result<(), sqlx::Error> {
        sqlx::query(
            "INSERT INTO webauthn_ceremonies (id_hash, purpose, user_id, state, expires_at) VALUES ($1, $2, $3, $4, $5) \
             ON CONFLICT (id_hash) DO UPDATE SET purpose = excluded.purpose, user_id = excluded.user_id, \
             state = excluded.state, expires_at = excluded.expires_at",
        )
        .bind(hash_of(id))
        .bind(purpose.as_str())
        .bind(user_id)
        .bind(state)
        .bind(now_secs() + CEREMONY_TTL_SECS)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// A fresh ceremony id (256 random bits, 64 hex digits) with its state kept.
    pub async fn start(&self, purpose: Purpose, user_id: Option<i64>, state: &str) -> Result<String, sqlx::Error> {
        let id = OneTimeSecret::generate().into_plain();
        self.keep(&id, purpose, user_id, state).await?;
        Ok(id)
    }

    /// Takes the live ceremony `id` for `purpose`, so that it cannot finish twice.
    pub async fn take(&self, id: &str, purpose: Purpose) -> Result<Option<Started>, sqlx::Error> {
        sqlx::query_as(
            "DELETE FROM webauthn_ceremonies WHERE id_hash = $1 AND purpose = $2 AND expires_at > $3 \
             RETURNING user_id, state",
        )
        .bind(hash_of(id))
        .bind(purpose.as_str())
        .bind(now_secs())
        .fetch_optional(&self.pool)
        .await
    }

    /// Deletes the ceremonies that expired before `now` (the hourly purge).
    pub async fn purge(&self, now: i64) -> Result<u64, sqlx::Error> {
        purge_expired(&self.pool, SecretTable::Ceremonies, now).await
    }
}

#[cfg(test)]
mod tests {
    use crate::api::Role;
    use crate::server::test_support::{create_user, test_state};

    /// Issue 21 (8): two uses of one passkey finishing at once may store their counters in
    /// either order; the lower must never overwrite the higher, or a cloned authenticator
    /// could sign with a counter the real one has passed.
    #[tokio::test]
    async fn a_lower_signature_counter_never_overwrites_a_higher_one() {
        let t = test_state().await;
        let user = create_user(&t.state, "keys@example.com", Role::User).await;
        let pool = t.state.accounts.users.pool();
        sqlx::query(
            "INSERT INTO passkeys (credential_id, user_id, name, credential, created_at) \
             VALUES ('cred', $1, 'Laptop', 'counter 0', 0)",
        )
        .bind(user.id)
        .execute(pool)
        .await
        .unwrap();
        let store = &t.state.passkeys.store;
        store.used("cred", Some(("counter 6", 6))).await.unwrap();
        store.used("cred", Some(("counter 5", 5))).await.unwrap();
        store.used("cred", None).await.unwrap();
        let (credential, counter): (String, i64) =
            sqlx::query_as("SELECT credential, sign_count FROM passkeys WHERE credential_id = 'cred'")
                .fetch_one(pool)
                .await
                .unwrap();
        assert_eq!((credential.as_str(), counter), ("counter 6", 6));
    }
}
