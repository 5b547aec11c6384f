//! `FactorCipher`: the secrets the server must read back — an authenticator app's TOTP
//! seed — are stored encrypted, so a copy of the database alone does not let anyone
//! compute an account's codes.
//!
//! XChaCha20-Poly1305 (an AEAD: a changed byte makes opening fail), a fresh random 192-bit
//! nonce per sealing, under a key derived from the signing key with HKDF-SHA256 for this one
//! purpose (the JWT key itself never encrypts anything). The account id is the associated
//! data: a sealed secret copied onto another account's row does not open.
//!
//! The same sealing, under a key derived for a purpose of its own and bound to a context
//! of the caller's, keeps the OpenID Connect signing keys (`crate::server::oidc::keys`).
//!
//! Rotation follows the signing key's: with `JWT_SECRET_PREVIOUS` set to the old key, a
//! secret sealed under it still opens ([`Opened::previous_key`]), and the caller seals it
//! again under the current key at its next use. Secrets not used before the previous key
//! is removed stop opening; their owners log in with a recovery code and enrol again.

use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{Key, XChaCha20Poly1305, XNonce};
use hkdf::Hkdf;
use secrecy::{ExposeSecret, SecretSlice};
use sha2::Sha256;

/// What a sealed value starts with: the format, should it ever change.
const VERSION: &str = "v1";
/// HKDF's `info`: keys for other purposes derived from the same secret differ.
const PURPOSE: &[u8] = b"authkit second-factor secrets v1";

#[derive(Clone)]
pub struct FactorCipher {
    current: XChaCha20Poly1305,
    previous: Option<XChaCha20Poly1305>,
}

/// A secret opened, and whether it was sealed under the previous key (seal it again).
pub struct Opened {
    pub plain: Vec<u8>,
    pub previous_key: bool,
}

#[derive(Debug, thiserror::Error)]
#[error("a stored second-factor secret could not be decrypted (changed, or sealed under a key no longer configured)")]
pub struct CannotOpen;

fn cipher_from(purpose: &[u8], secret: &SecretSlice<u8>) -> XChaCha20Poly1305 {
    let mut key = [0u8; 32];
    // 32 bytes is far below HKDF-SHA256's limit of 255 × 32, so `expand` cannot fail.
    let _ = Hkdf::<Sha256>::new(None, secret.expose_secret()).expand(purpose, &mut key);
    XChaCha20Poly1305::new(&Key::from(key))
}

impl FactorCipher {
    pub fn new(signing_key: &SecretSlice<u8>, previous: Option<&SecretSlice<u8>>) -> Self {
        Self::with_purpose(PURPOSE, signing_key, previous)
    }

    /// A cipher for another purpose (HKDF's `info`): what it seals, this one cannot open.
    pub fn with_purpose(purpose: &[u8], signing_key: &SecretSlice<u8>, previous: Option<&SecretSlice<u8>>) -> Self {
        Self {
            current: cipher_from(purpose, signing_key),
            previous: previous.map(|key| cipher_from(purpose, key)),
        }
    }

    /// `v1:<nonce, hex>:<ciphertext and tag, hex>`, bound to the account.
    pub fn seal(&self, user_id: i64, plain: &[u8]) -> String {
        self.seal_for(&user_id.to_be_bytes(), plain)
    }

    pub fn open(&self, user_id: i64, stored: &str) -> Result<Opened, CannotOpen> {
        self.open_for(&user_id.to_be_bytes(), stored)
    }

    /// Seals `plain` bound to `context` (the associated data): it opens only with the same.
    pub fn seal_for(&self, context: &[u8], plain: &[u8]) -> String {
        let nonce: [u8; 24] = rand::random();
        let aad = context;
        // Encrypting a few bytes into memory fails only for messages beyond 256 GiB.
        let sealed = self
            .current
            .encrypt(&XNonce::from(nonce), Payload { msg: plain, aad })
            .unwrap_or_default();
        format!("{VERSION}:{}:{}", hex::encode(nonce), hex::encode(sealed))
    }

    pub fn open_for(&self, context: &[u8], stored: &str) -> Result<Opened, CannotOpen> {
        let mut parts = stored.split(':');
        let (Some(VERSION), Some(nonce), Some(sealed), None) = (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(CannotOpen);
        };
        let nonce = hex::decode(nonce).map_err(|_| CannotOpen)?;
        let nonce = XNonce::from(<[u8; 24]>::try_from(nonce.as_slice()).map_err(|_| CannotOpen)?);
        let sealed = hex::decode(sealed).map_err(|_| CannotOpen)?;
        let payload = || Payload {
            msg: &sealed,
            aad: context,
        };
        if let Ok(plain) = self.current.decrypt(&nonce, payload()) {
            return Ok(Opened {
                plain,
                previous_key: false,
            });
        }
        let previous = self.previous.as_ref().ok_or(CannotOpen)?;
        let plain = previous.decrypt(&nonce, payload()).map_err(|_| CannotOpen)?;
        Ok(Opened {
            plain,
            previous_key: true,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(byte: u8) -> SecretSlice<u8> {
        SecretSlice::from(vec![byte; 32])
    }

    #[test]
    fn a_sealed_secret_opens_only_for_its_account_and_is_not_the_plain_secret() {
        let cipher = FactorCipher::new(&key(1), None);
        let plain = b"12345678901234567890";
        let sealed = cipher.seal(7, plain);
        assert!(sealed.starts_with("v1:"));
        assert!(!sealed.contains(&hex::encode(plain)), "{sealed}");
        assert_eq!(cipher.open(7, &sealed).unwrap().plain, plain);
        assert!(cipher.open(8, &sealed).is_err(), "bound to the account id");
        // Two sealings of one secret differ (fresh nonce).
        assert_ne!(cipher.seal(7, plain), sealed);
    }

    #[test]
    fn a_changed_byte_or_a_wrong_format_does_not_open() {
        let cipher = FactorCipher::new(&key(1), None);
        let sealed = cipher.seal(1, b"secret secret secret");
        let mut tampered = sealed.clone().into_bytes();
        let last = tampered.len() - 1;
        tampered[last] = if tampered[last] == b'0' { b'1' } else { b'0' };
        assert!(cipher.open(1, std::str::from_utf8(&tampered).unwrap()).is_err());
        for bad in ["", "v1", "v1:zz:zz", "v2:00:00", &format!("{sealed}:x")] {
            assert!(cipher.open(1, bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn after_a_key_rotation_the_previous_key_still_opens_and_says_so() {
        let old = FactorCipher::new(&key(1), None);
        let sealed = old.seal(3, b"seed seed seed seed!");
        let rotated = FactorCipher::new(&key(2), Some(&key(1)));
        let opened = rotated.open(3, &sealed).unwrap();
        assert!(opened.previous_key);
        assert_eq!(opened.plain, b"seed seed seed seed!");
        let resealed = rotated.seal(3, &opened.plain);
        assert!(!rotated.open(3, &resealed).unwrap().previous_key);
        // Without the previous key configured, the old secret no longer opens.
        assert!(FactorCipher::new(&key(2), None).open(3, &sealed).is_err());
    }
}
