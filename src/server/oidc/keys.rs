//! `SigningKeys`: the keys AuthKit signs OpenID Connect tokens with, and the JWKS that
//! publishes their public halves (issue 22).
//!
//! One current key per algorithm: RS256, which OpenID Connect Discovery requires every
//! provider to offer, and ES256 for clients that ask for it (HMAC and `none` are never
//! offered: a client would need AuthKit's secret, or nothing, to check a token). A key is
//! made the first time one is needed — not at start, since an RSA key costs a noticeable
//! moment of CPU and most starts (every test's) never sign a token — and kept in
//! `oidc_signing_keys`, so every instance on the database signs with the same one.
//! `authkit keys rotate` retires the current keys; the next use makes new ones. A retired
//! key stays in the JWKS for [`RETIRED_KEY_PUBLISHED`], longer than any token it signed
//! lives, and is then deleted.
//!
//! The private key is stored as PKCS#8 PEM sealed like the second factors' seeds, under a
//! key derived from the signing secret for this purpose alone and bound to its `kid`
//! (`FactorCipher::with_purpose`, `seal_for`): a copy of the database signs nothing.

use crate::server::second_factor::cipher::FactorCipher;
use crate::server::sessions::store::now_secs;
use anyhow::Context;
use jsonwebtoken::jwk::{Jwk, PublicKeyUse};
use jsonwebtoken::{Algorithm, EncodingKey};
use secrecy::SecretSlice;
use serde_json::Value;
use sqlx::AnyPool;
use std::sync::Arc;
use std::time::Duration;

/// HKDF's `info` for the cipher of the stored private keys.
const PURPOSE: &[u8] = b"authkit oidc signing keys v1";

/// The algorithms AuthKit signs with, each with a current key.
pub const ALGORITHMS: [Algorithm; 2] = [Algorithm::RS256, Algorithm::ES256];

/// How long a retired key stays published: a day, far beyond the lifetime of any token
/// AuthKit signs, so a token signed just before a rotation still checks out until it
/// expires.
pub const RETIRED_KEY_PUBLISHED: Duration = Duration::from_secs(24 * 3600);

/// A key that signs now.
pub struct SigningKey {
    pub kid: String,
    pub alg: Algorithm,
    pub key: EncodingKey,
}

#[derive(Clone)]
pub struct SigningKeys {
    pool: AnyPool,
    cipher: FactorCipher,
    /// Within one instance, one request at a time makes missing keys.
    making: Arc<tokio::sync::Mutex<()>>,
}

/// What a rotation did.
#[derive(Debug)]
pub struct Rotated {
    pub retired: Vec<String>,
    pub current: Vec<String>,
}

fn alg_name(alg: Algorithm) -> &'static str {
    match alg {
        Algorithm::ES256 => "ES256",
        _ => "RS256",
    }
}

impl SigningKeys {
    pub fn new(pool: AnyPool, signing_secret: &SecretSlice<u8>, previous: Option<&SecretSlice<u8>>) -> Self {
        Self {
            pool,
            cipher: FactorCipher::with_purpose(PURPOSE, signing_secret, previous),
            making: Arc::default(),
        }
    }

    /// The JWKS: every current key and every key retired less than
    /// [`RETIRED_KEY_PUBLISHED`] ago, newest first. Makes the current keys if there are none.
    pub async fn published(&self) -> anyhow::Result<Value> {
        self.make_missing().await?;
        let since = now_secs() - RETIRED_KEY_PUBLISHED.as_secs() as i64;
        let rows: Vec<(String,)> = sqlx::query_as(
            "SELECT public_jwk FROM oidc_signing_keys WHERE retired_at IS NULL OR retired_at > $1 \
             ORDER BY created_at DESC, kid",
        )
        .bind(since)
        .fetch_all(&self.pool)
        .await?;
        let keys = rows
            .iter()
            .map(|(jwk,)| serde_json::from_str::<Value>(jwk).context("a stored public JWK is not JSON"))
            .collect::<anyhow::Result<Vec<_>>>()?;
        Ok(serde_json::json!({ "keys": keys }))
    }

    /// The key that signs with `alg` now: of two made at once by two instances, the newer
    /// (then the smaller `kid`), the same on every instance.
    pub async fn current(&self, alg: Algorithm) -> anyhow::Result<SigningKey> {
        self.make_missing().await?;
        let (kid, sealed): (String, String) = sqlx::query_as(
            "SELECT kid, private_key FROM oidc_signing_keys WHERE alg = $1 AND retired_at IS NULL \
             ORDER BY created_at DESC, kid LIMIT 1",
        )
        .bind(alg_name(alg))
        .fetch_one(&self.pool)
        .await?;
        let pem = self
            .cipher
            .open_for(kid.as_bytes(), &sealed)
            .context("opening an OpenID Connect signing key")?
            .plain;
        let key = match alg {
            Algorithm::ES256 => EncodingKey::from_ec_pem(&pem),
            _ => EncodingKey::from_rsa_pem(&pem),
        }
        .context("a stored signing key is not a PKCS#8 key")?;
        Ok(SigningKey { kid, alg, key })
    }

    /// `authkit keys rotate`: retires every current key, makes new ones, and deletes keys
    /// retired long enough ago that no token they signed is alive.
    pub async fn rotate(&self) -> anyhow::Result<Rotated> {
        let now = now_secs();
        let retired: Vec<(String,)> =
            sqlx::query_as("UPDATE oidc_signing_keys SET retired_at = $1 WHERE retired_at IS NULL RETURNING kid")
                .bind(now)
                .fetch_all(&self.pool)
                .await?;
        sqlx::query("DELETE FROM oidc_signing_keys WHERE retired_at IS NOT NULL AND retired_at <= $1")
            .bind(now - RETIRED_KEY_PUBLISHED.as_secs() as i64)
            .execute(&self.pool)
            .await?;
        self.make_missing().await?;
        let mut current = Vec::new();
        for alg in ALGORITHMS {
            current.push(self.current(alg).await?.kid);
        }
        Ok(Rotated {
            retired: retired.into_iter().map(|(kid,)| kid).collect(),
            current,
        })
    }

    /// Makes a current key for each algorithm that has none.
    async fn make_missing(&self) -> anyhow::Result<()> {
        if self.missing().await?.is_empty() {
            return Ok(());
        }
        let _making = self.making.lock().await;
        for alg in self.missing().await? {
            // RSA key generation is a CPU burst: not on an async worker.
            let (kid, pem, public_jwk) = tokio::task::spawn_blocking(move || new_key(alg))
                .await
                .context("key generation task failed")??;
            sqlx::query(
                "INSERT INTO oidc_signing_keys (kid, alg, private_key, public_jwk, created_at) \
                 VALUES ($1, $2, $3, $4, $5)",
            )
            .bind(&kid)
            .bind(alg_name(alg))
            .bind(self.cipher.seal_for(kid.as_bytes(), pem.as_bytes()))
            .bind(public_jwk.to_string())
            .bind(now_secs())
            .execute(&self.pool)
            .await?;
            tracing::info!(kid, alg = alg_name(alg), "OpenID Connect signing key made");
        }
        Ok(())
    }

    async fn missing(&self) -> anyhow::Result<Vec<Algorithm>> {
        let present: Vec<(String,)> =
            sqlx::query_as("SELECT DISTINCT alg FROM oidc_signing_keys WHERE retired_at IS NULL")
                .fetch_all(&self.pool)
                .await?;
        Ok(ALGORITHMS
            .into_iter()
            .filter(|alg| !present.iter().any(|(name,)| name == alg_name(*alg)))
            .collect())
    }
}

/// A fresh key: its `kid` (128 random bits, hex), the private key as PKCS#8 PEM, and the
/// public JWK (`kid`, `alg`, `use: sig`).
fn new_key(alg: Algorithm) -> anyhow::Result<(String, String, Value)> {
    use rsa::pkcs8::{EncodePrivateKey, LineEnding};
    let mut rng = rsa::rand_core::OsRng;
    let pem = match alg {
        Algorithm::ES256 => p256::SecretKey::random(&mut rng)
            .to_pkcs8_pem(LineEnding::LF)
            .context("encoding a P-256 key")?,
        _ => rsa::RsaPrivateKey::new(&mut rng, 2048)
            .context("generating an RSA key")?
            .to_pkcs8_pem(LineEnding::LF)
            .context("encoding an RSA key")?,
    };
    let kid = hex::encode(rand::random::<[u8; 16]>());
    let key = match alg {
        Algorithm::ES256 => EncodingKey::from_ec_pem(pem.as_bytes()),
        _ => EncodingKey::from_rsa_pem(pem.as_bytes()),
    }?;
    let mut jwk = Jwk::from_encoding_key(&key, alg)?;
    jwk.common.key_id = Some(kid.clone());
    jwk.common.public_key_use = Some(PublicKeyUse::Signature);
    Ok((kid, pem.to_string(), serde_json::to_value(&jwk)?))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::server::test_support::test_state;
    use jsonwebtoken::{DecodingKey, Header, Validation, decode, encode};

    #[tokio::test]
    async fn keys_are_made_once_published_as_jwks_sealed_at_rest_and_sign_verifiable_tokens() {
        let t = test_state().await;
        let keys = &t.state.oidc.keys;
        let jwks = keys.published().await.unwrap();
        let published = jwks["keys"].as_array().unwrap();
        assert_eq!(published.len(), 2, "{jwks}");
        // Asked again: the same keys, none made twice.
        assert_eq!(keys.published().await.unwrap(), jwks);
        for alg in ALGORITHMS {
            let signing = keys.current(alg).await.unwrap();
            let jwk = published
                .iter()
                .find(|k| k["kid"] == signing.kid.as_str())
                .expect("the current key is published");
            assert_eq!(jwk["alg"], alg_name(alg));
            assert_eq!(jwk["use"], "sig");
            assert!(
                jwk.get("d").is_none() && jwk.get("p").is_none(),
                "no private part: {jwk}"
            );
            // A token it signs checks out with the published key alone.
            let mut header = Header::new(alg);
            header.kid = Some(signing.kid.clone());
            let token = encode(
                &header,
                &serde_json::json!({"sub": "1", "exp": now_secs() + 60}),
                &signing.key,
            )
            .unwrap();
            let public: Jwk = serde_json::from_value(jwk.clone()).unwrap();
            let checked = decode::<Value>(&token, &DecodingKey::from_jwk(&public).unwrap(), &Validation::new(alg));
            assert!(checked.is_ok(), "{checked:?}");
        }
        let stored: Vec<(String,)> = sqlx::query_as("SELECT private_key FROM oidc_signing_keys")
            .fetch_all(t.state.database.pool())
            .await
            .unwrap();
        for (sealed,) in stored {
            assert!(
                sealed.starts_with("v1:") && !sealed.contains("PRIVATE KEY"),
                "sealed at rest"
            );
        }
    }

    #[tokio::test]
    async fn a_rotation_makes_new_keys_and_keeps_the_old_ones_published_until_they_expire() {
        let t = test_state().await;
        let keys = &t.state.oidc.keys;
        let before = keys.current(Algorithm::RS256).await.unwrap().kid;
        let rotated = keys.rotate().await.unwrap();
        assert_eq!(rotated.retired.len(), 2);
        assert!(rotated.retired.contains(&before));
        let after = keys.current(Algorithm::RS256).await.unwrap().kid;
        assert_ne!(before, after);
        let kids: Vec<String> = keys.published().await.unwrap()["keys"]
            .as_array()
            .unwrap()
            .iter()
            .map(|k| k["kid"].as_str().unwrap().to_owned())
            .collect();
        assert_eq!(kids.len(), 4, "the retired keys stay published");
        assert!(kids.contains(&before) && kids.contains(&after));
        // A day later they are gone: from the JWKS, and at the next rotation from the table.
        sqlx::query("UPDATE oidc_signing_keys SET retired_at = retired_at - 86401 WHERE retired_at IS NOT NULL")
            .execute(t.state.database.pool())
            .await
            .unwrap();
        assert_eq!(keys.published().await.unwrap()["keys"].as_array().unwrap().len(), 2);
        keys.rotate().await.unwrap();
        let rows: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM oidc_signing_keys")
            .fetch_one(t.state.database.pool())
            .await
            .unwrap();
        assert_eq!(rows, 4, "two current, two retired just now; the day-old ones deleted");
    }

    #[tokio::test]
    async fn a_key_sealed_for_one_kid_does_not_open_for_another() {
        let t = test_state().await;
        let keys = &t.state.oidc.keys;
        keys.published().await.unwrap();
        // Swap the sealed private keys of the two rows.
        let rows: Vec<(String, String)> = sqlx::query_as("SELECT kid, private_key FROM oidc_signing_keys")
            .fetch_all(t.state.database.pool())
            .await
            .unwrap();
        for ((kid, _), (_, other)) in rows.iter().zip(rows.iter().rev()) {
            sqlx::query("UPDATE oidc_signing_keys SET private_key = $1 WHERE kid = $2")
                .bind(other)
                .bind(kid)
                .execute(t.state.database.pool())
                .await
                .unwrap();
        }
        assert!(keys.current(Algorithm::RS256).await.is_err());
    }
}
