//! Access tokens: HS256 JWTs valid for 30 minutes whose subject is the user's id.

use anyhow::Context;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use secrecy::{ExposeSecret, SecretSlice};
use serde::{Deserialize, Serialize};
use std::time::Duration;

pub const ACCESS_TOKEN_TTL: Duration = Duration::from_secs(crate::api::ACCESS_TOKEN_TTL_SECS);
pub const ISSUER: &str = "authkit";
pub const AUDIENCE: &str = "authkit";

/// The claims we issue. `sub` is the user's stable numeric id as a string (RFC 7519
/// makes `sub` a string); never the email, which a person may one day change.
#[derive(Debug, Serialize, Deserialize)]
pub struct Claims {
    pub sub: String,
    pub iat: u64,
    pub exp: u64,
    pub iss: String,
    pub aud: String,
    /// A random 128-bit id, so that two tokens are never equal.
    pub jti: String,
    /// The session this token belongs to; revoking the session ends the token.
    pub sid: String,
}

/// Who a verified token speaks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccessClaims {
    pub user_id: i64,
    pub session_id: String,
}

/// Why a token was refused; only ever logged.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TokenRejected(pub &'static str);

#[derive(Clone)]
pub struct TokenIssuer {
    encoding: EncodingKey,
    /// The current key first, then the previous one during a rotation.
    decoding: Vec<DecodingKey>,
    validation: Validation,
    ttl: Duration,
}

impl TokenIssuer {
    /// Signs with `secret`; verifies with `secret` and, during a key rotation, with
    /// `previous` (which is never used to sign).
    pub fn new(secret: &SecretSlice<u8>, previous: Option<&SecretSlice<u8>>) -> Self {
        let key = secret.expose_secret();
        // Pin the algorithm: the token's own header is never trusted to choose it,
        // which rules out `alg: none` and algorithm-confusion attacks.
        let mut validation = Validation::new(Algorithm::HS256);
        validation.set_required_spec_claims(&["exp", "sub", "iss", "aud"]);
        validation.set_issuer(&[ISSUER]);
        validation.set_audience(&[AUDIENCE]);
        validation.validate_exp = true;
        validation.validate_nbf = true;
        validation.leeway = 5;
        let mut decoding = vec![DecodingKey::from_secret(key)];
        decoding.extend(previous.map(|p| DecodingKey::from_secret(p.expose_secret())));
        Self {
            encoding: EncodingKey::from_secret(key),
            decoding,
            validation,
            ttl: ACCESS_TOKEN_TTL,
        }
    }

    /// Signs a token for `user_id` in session `session_id`, valid from now for the
    /// configured lifetime.
    pub fn issue(&self, user_id: i64, session_id: &str) -> anyhow::Result<String> {
        let now = jsonwebtoken::get_current_timestamp();
        let claims = Claims {
            sub: user_id.to_string(),
            iat: now,
            exp: now + self.ttl.as_secs(),
            iss: ISSUER.to_owned(),
            aud: AUDIENCE.to_owned(),
            jti: format!("{:032x}", rand::random::<u128>()),
            sid: session_id.to_owned(),
        };
        jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &self.encoding).context("signing access token")
    }

    /// Checks signature, algorithm, expiry, not-before, issuer and audience; returns the
    /// user id. Key material in the token's header (`jwk`, `jku`, `kid`) is ignored: the
    /// keys are ours, fixed at startup.
    pub fn verify(&self, token: &str) -> Result<AccessClaims, TokenRejected> {
        use jsonwebtoken::errors::ErrorKind;
        let mut rejection = TokenRejected("malformed");
        for key in &self.decoding {
            match jsonwebtoken::decode::<Claims>(token, key, &self.validation) {
                Ok(data) => {
                    let user_id = data
                        .claims
                        .sub
                        .parse::<i64>()
                        .map_err(|_| TokenRejected("subject is not a user id"))?;
                    return Ok(AccessClaims {
                        user_id,
                        session_id: data.claims.sid,
                    });
                }
                // Try the previous key only when this one's signature did not match.
                Err(e) if *e.kind() == ErrorKind::InvalidSignature => rejection = TokenRejected("bad signature"),
                Err(e) => {
                    return Err(TokenRejected(match e.kind() {
                        ErrorKind::ExpiredSignature => "expired",
                        ErrorKind::InvalidAlgorithm => "wrong algorithm",
                        ErrorKind::ImmatureSignature => "not yet valid",
                        ErrorKind::MissingRequiredClaim(_) => "missing claim",
                        ErrorKind::InvalidIssuer | ErrorKind::InvalidAudience => "wrong issuer or audience",
                        _ => "malformed",
                    }));
                }
            }
        }
        Err(rejection)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn issuer(secret: &[u8]) -> TokenIssuer {
        TokenIssuer::new(&SecretSlice::from(secret.to_vec()), None)
    }

    const KEY: &[u8] = b"0123456789abcdef0123456789abcdef";

    #[test]
    fn issued_token_verifies_to_the_user_id() {
        let tokens = issuer(KEY);
        let token = tokens.issue(42, "s1").unwrap();
        assert_eq!(
            tokens.verify(&token),
            Ok(AccessClaims {
                user_id: 42,
                session_id: "s1".into()
            })
        );
    }

    #[test]
    fn token_is_hs256_and_lives_30_minutes() {
        let token = issuer(KEY).issue(7, "s").unwrap();
        let header = jsonwebtoken::decode_header(&token).unwrap();
        assert_eq!(header.alg, Algorithm::HS256);
        let mut validation = Validation::new(Algorithm::HS256);
        validation.set_audience(&[AUDIENCE]);
        let claims = jsonwebtoken::decode::<Claims>(&token, &DecodingKey::from_secret(KEY), &validation)
            .unwrap()
            .claims;
        assert_eq!(claims.exp - claims.iat, 30 * 60);
        assert_eq!(claims.sub, "7");
        assert_eq!(claims.jti.len(), 32);
    }

    #[test]
    fn token_from_another_key_is_rejected() {
        let token = issuer(b"another key that is 32 bytes long!").issue(1, "s").unwrap();
        assert_eq!(issuer(KEY).verify(&token), Err(TokenRejected("bad signature")));
    }

    #[test]
    fn expired_token_is_rejected() {
        let now = jsonwebtoken::get_current_timestamp();
        let claims = Claims {
            sub: "1".into(),
            iat: now - 3600,
            exp: now - 60,
            iss: ISSUER.into(),
            aud: AUDIENCE.into(),
            jti: "x".into(),
            sid: "s".into(),
        };
        let token =
            jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &EncodingKey::from_secret(KEY)).unwrap();
        assert_eq!(issuer(KEY).verify(&token), Err(TokenRejected("expired")));
    }

    #[test]
    fn previous_key_verifies_but_never_signs() {
        let old = b"the-previous-key-the-previous-key-0000";
        let rotated = TokenIssuer::new(&SecretSlice::from(KEY.to_vec()), Some(&SecretSlice::from(old.to_vec())));
        let old_token = issuer(old).issue(5, "s").unwrap();
        assert_eq!(rotated.verify(&old_token).map(|c| c.user_id), Ok(5));
        let new_token = rotated.issue(6, "s").unwrap();
        assert_eq!(issuer(KEY).verify(&new_token).map(|c| c.user_id), Ok(6));
        assert!(issuer(old).verify(&new_token).is_err());
    }

    #[test]
    fn garbage_is_rejected() {
        assert!(issuer(KEY).verify("not.a.jwt").is_err());
        assert!(issuer(KEY).verify("").is_err());
    }
}
