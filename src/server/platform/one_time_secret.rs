//! `OneTimeSecret`: a secret handed out once and kept only as its hash — the token of a
//! mailed link (`mail::links`), the `mfa_token` of a login waiting for its second factor
//! (`second_factor::challenges`), the id of a passkey ceremony (`passkeys::store`).
//!
//! A secret is 256 random bits shown as 64 hex digits. Its table keeps the SHA-256 (a
//! fast hash is enough: the secret is random, not a password), so a copy of the database
//! opens nothing. A value a client presents is looked up only if it has the shape handed
//! out, and each table's rows die at `expires_at`, purged hourly by [`purge_expired`].

use sha2::{Digest, Sha256};
use sqlx::AnyPool;

/// One secret, in plain: shown once, to the one who may use it.
#[derive(Clone, PartialEq, Eq)]
pub struct OneTimeSecret(String);

impl OneTimeSecret {
    /// 256 fresh random bits.
    pub fn generate() -> Self {
        Self(hex::encode(rand::random::<[u8; 32]>()))
    }

    /// A secret as a client presented it, if it has the shape handed out (64 hex digits):
    /// anything else cannot be one, and is not looked up at all.
    pub fn parse(presented: &str) -> Option<Self> {
        (presented.len() == 64 && presented.bytes().all(|b| b.is_ascii_hexdigit())).then(|| Self(presented.to_owned()))
    }

    /// What a table keeps instead of the secret.
    pub fn hash(&self) -> String {
        hash_of(&self.0)
    }

    /// The plain secret, for the one answer or mail that carries it.
    pub fn into_plain(self) -> String {
        self.0
    }
}

/// Never printed: a log line must not carry a usable secret.
impl std::fmt::Debug for OneTimeSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("OneTimeSecret(..)")
    }
}

/// The SHA-256 (hex) of a value kept in place of a secret, also of one derived from a
/// secret (a passkey ceremony named after its login's `mfa_token`).
pub fn hash_of(value: &str) -> String {
    hex::encode(Sha256::digest(value.as_bytes()))
}

/// The tables of one-time secrets; each has an `expires_at` in Unix seconds.
#[derive(Debug, Clone, Copy)]
pub enum SecretTable {
    MailLinks,
    MfaChallenges,
    Ceremonies,
}

impl SecretTable {
    fn purge_sql(self) -> &'static str {
        match self {
            SecretTable::MailLinks => "DELETE FROM email_tokens WHERE expires_at <= $1",
            SecretTable::MfaChallenges => "DELETE FROM mfa_challenges WHERE expires_at <= $1",
            SecretTable::Ceremonies => "DELETE FROM webauthn_ceremonies WHERE expires_at <= $1",
        }
    }
}

/// Deletes the secrets of `table` that expired by `now` (the hourly purge).
pub async fn purge_expired(pool: &AnyPool, table: SecretTable, now: i64) -> Result<u64, sqlx::Error> {
    let done = sqlx::query(table.purge_sql()).bind(now).execute(pool).await?;
    Ok(done.rows_affected())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_shape_handed_out_is_looked_up_and_the_secret_never_prints() {
        let secret = OneTimeSecret::generate();
        let plain = secret.clone().into_plain();
        assert_eq!(plain.len(), 64);
        assert_ne!(OneTimeSecret::generate(), secret);
        let presented = OneTimeSecret::parse(&plain).expect("its own shape");
        assert_eq!(presented.hash(), secret.hash());
        assert_eq!(secret.hash(), hash_of(&plain));
        assert_ne!(secret.hash(), plain);
        let made_up = [
            String::new(),
            "abc".to_owned(),
            plain[1..].to_owned(),
            format!("{plain}0"),
            format!("g{}", &plain[1..]),
        ];
        for value in made_up {
            assert!(OneTimeSecret::parse(&value).is_none(), "{value}");
        }
        assert!(!format!("{secret:?}").contains(&plain));
    }
}
