//! Device cookies (OWASP "Slow down online guessing attacks with device cookies"): every
//! successful login leaves a signed, long-lived cookie in the browser that names the
//! account (by a hash of its id and its device epoch, which a password reset and an
//! address change replace: not by its address, which a squatter may have held before the
//! owner took it back). A later login that presents
//! a valid one for the same account is counted in a throttle bucket of its own, so
//! strangers guessing the password — from one network or from thousands — cannot lock
//! the owner out of a browser they have used before.
//!
//! The cookie is a JWT signed with the access-token key but for another audience, so
//! neither kind of token is accepted as the other. After a key rotation old device
//! cookies stop counting; their browsers are then treated like any unknown network
//! until their next successful login.

use crate::server::account::users::StoredUser;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use secrecy::{ExposeSecret, SecretSlice};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::time::Duration;

/// How long a browser is remembered after its last successful login.
pub const DEVICE_COOKIE_TTL: Duration = Duration::from_secs(365 * 24 * 3600);
const AUDIENCE: &str = "authkit-device";

#[derive(Serialize, Deserialize)]
struct DeviceClaims {
    /// SHA-256 of the account's id and device epoch (`account_key`).
    acct: String,
    /// This device's random id: its own throttle bucket.
    dev: String,
    iat: u64,
    exp: u64,
    aud: String,
}

#[derive(Clone)]
pub struct DeviceCookies {
    encoding: EncodingKey,
    decoding: DecodingKey,
    validation: Validation,
}

/// The account as a device cookie names it: its id and its device epoch, hashed. A reset or
/// an address change replaces the epoch, and a deleted account's id never comes back with
/// the same epoch, so cookies gathered before (by a squatter of the address, say) stop
/// counting.
fn account_key(user: &StoredUser) -> String {
    hex::encode(Sha256::digest(format!("{}:{}", user.id, user.device_epoch).as_bytes()))
}

impl DeviceCookies {
    pub fn new(secret: &SecretSlice<u8>) -> Self {
        let mut validation = Validation::new(Algorithm::HS256);
        validation.set_required_spec_claims(&["exp", "aud"]);
        validation.set_audience(&[AUDIENCE]);
        Self {
            encoding: EncodingKey::from_secret(secret.expose_secret()),
            decoding: DecodingKey::from_secret(secret.expose_secret()),
            validation,
        }
    }

    /// A new device token for `user`.
    pub fn issue(&self, user: &StoredUser) -> anyhow::Result<String> {
        let now = jsonwebtoken::get_current_timestamp();
        let claims = DeviceClaims {
            acct: account_key(user),
            dev: format!("{:032x}", rand::random::<u128>()),
            iat: now,
            exp: now + DEVICE_COOKIE_TTL.as_secs(),
            aud: AUDIENCE.to_owned(),
        };
        Ok(jsonwebtoken::encode(
            &Header::new(Algorithm::HS256),
            &claims,
            &self.encoding,
        )?)
    }

    /// The device id of `token` if it is ours, unexpired, and names `user` as it is now.
    pub fn verify(&self, token: &str, user: &StoredUser) -> Option<String> {
        let claims = jsonwebtoken::decode::<DeviceClaims>(token, &self.decoding, &self.validation)
            .ok()?
            .claims;
        (claims.acct == account_key(user)).then_some(claims.dev)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cookies(key: &str) -> DeviceCookies {
        DeviceCookies::new(&SecretSlice::from(key.as_bytes().to_vec()))
    }

    fn user(id: i64, epoch: &str) -> StoredUser {
        StoredUser {
            id,
            email: "ann@example.com".into(),
            username: "ann".into(),
            password_hash: String::new(),
            role: "user".into(),
            email_verified_at: None,
            device_epoch: epoch.into(),
        }
    }

    #[test]
    fn a_device_token_counts_only_for_its_account_as_it_is_and_its_key() {
        let ours = cookies("device-test-key-device-test-key-0123");
        let ann = user(1, "e1");
        let token = ours.issue(&ann).unwrap();
        let device = ours.verify(&token, &ann).expect("valid for ann");
        assert_eq!(device.len(), 32);
        assert_eq!(ours.verify(&token, &user(2, "e1")), None, "another account");
        assert_eq!(ours.verify(&token, &user(1, "e2")), None, "the epoch moved on");
        assert_eq!(
            cookies("another-key-another-key-another-key!").verify(&token, &ann),
            None
        );
        assert_eq!(ours.verify("not.a.token", &ann), None);
        // Two logins, two devices: each has its own bucket.
        let second = ours.issue(&ann).unwrap();
        assert_ne!(ours.verify(&second, &ann), Some(device));
    }
}
