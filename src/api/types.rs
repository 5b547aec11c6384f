//! Request and response bodies, shared by the server and the WASM client. On the server
//! each also describes itself for the OpenAPI document (`utoipa::ToSchema`,
//! `crate::server::http::openapi`).

use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;

/// What the API shows of a user: never the password or its hash.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct User {
    pub id: i64,
    pub email: String,
    pub username: String,
}

/// What a user may do. Only an admin can change it; a client can never set its own.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "lowercase")]
pub enum Role {
    User,
    Admin,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::User => "user",
            Role::Admin => "admin",
        }
    }

    pub fn parse(value: &str) -> Option<Self> {
        match value {
            "user" => Some(Role::User),
            "admin" => Some(Role::Admin),
            _ => None,
        }
    }
}

/// A user as the account page and the admin list see it: `User` plus the role and
/// whether the address is verified.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct Account {
    pub id: i64,
    pub email: String,
    pub username: String,
    pub role: Role,
    pub email_verified: bool,
    /// Whether logging in also asks for a second factor (an authenticator app).
    pub second_factor: bool,
}

/// One page of the admin user list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct UserPage {
    pub users: Vec<Account>,
    pub total: i64,
    pub limit: i64,
    pub offset: i64,
}

/// The answer to a logout: how many sessions were ended.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct LoggedOut {
    pub sessions_revoked: u64,
}

/// A 202 answer: something was set in motion (a mail on its way). A password-reset
/// request gets the same one for every address.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct Accepted {
    pub detail: String,
}

/// The answer to a verification link.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct EmailVerified {
    pub email_verified: bool,
}

/// The answer to a confirmed email change: the account's address now.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct EmailChanged {
    pub email: String,
    pub email_verified: bool,
}

/// The answer to a password reset.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct PasswordResetDone {
    pub password_reset: bool,
}

/// The answer to an account deletion.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct Deleted {
    pub deleted: bool,
}

/// A new authenticator-app seed, waiting for its first code (`POST /auth/totp/enable`).
/// Its `Debug` shows none of it.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct TotpEnrolment {
    /// The seed in base32, for typing into an app by hand.
    pub secret: String,
    /// `otpauth://totp/AuthKit:<email>?secret=…&issuer=AuthKit`.
    pub otpauth_uri: String,
    /// The URI as a QR code, an `<svg>` element drawn by AuthKit.
    pub qr_svg: String,
}

impl fmt::Debug for TotpEnrolment {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("TotpEnrolment([redacted])")
    }
}

/// A fresh set of single-use recovery codes, shown this once (only their hashes are kept).
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct RecoveryCodes {
    pub recovery_codes: Vec<String>,
}

impl fmt::Debug for RecoveryCodes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "RecoveryCodes([{} redacted])", self.recovery_codes.len())
    }
}

/// The answer when an admin removed a user's passkeys: how many went.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct PasskeysRemoved {
    pub passkeys_removed: u64,
}

/// The answer when a second factor was turned off (by its owner or an admin).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct FactorRemoved {
    pub second_factor: bool,
}

impl FactorRemoved {
    pub fn new() -> Self {
        Self { second_factor: false }
    }
}

impl Default for FactorRemoved {
    fn default() -> Self {
        Self::new()
    }
}

/// The start of a passkey ceremony: its id (sent back with the finish) and the options
/// for `navigator.credentials.create` / `.get`, in WebAuthn's JSON form
/// (`{"publicKey": {…}}`, binary values base64url): the browser's
/// `PublicKeyCredential.parseCreationOptionsFromJSON(options.publicKey)` takes them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct PasskeyOptions {
    pub ceremony_id: String,
    #[cfg_attr(feature = "ssr", schema(value_type = Object))]
    pub options: serde_json::Value,
}

/// A registered passkey, as its owner's list shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct PasskeyInfo {
    /// The credential id (base64url).
    pub id: String,
    pub name: String,
    /// Unix seconds.
    pub created_at: i64,
    pub last_used_at: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct PasskeyList {
    pub passkeys: Vec<PasskeyInfo>,
}

/// The options for using a passkey as a login's second factor
/// (`navigator.credentials.get`); the answer goes to `POST /auth/login/mfa` as `passkey`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct PasskeyRequest {
    #[cfg_attr(feature = "ssr", schema(value_type = Object))]
    pub options: serde_json::Value,
}

/// The login response, in the OAuth2 shape the FastAPI service returned.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct TokenResponse {
    pub access_token: String,
    pub token_type: String,
}

impl TokenResponse {
    pub fn bearer(access_token: String) -> Self {
        Self {
            access_token,
            token_type: "bearer".to_owned(),
        }
    }
}

impl fmt::Debug for TokenResponse {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TokenResponse")
            .field("access_token", &"[redacted]")
            .field("token_type", &self.token_type)
            .finish()
    }
}

/// A password in transit. It is wiped from memory when dropped and prints as
/// `[REDACTED]`, so the generated server-function argument structs (which derive
/// `Debug`) can never leak it into a log line.
#[derive(Clone)]
pub struct Password(SecretString);

impl Password {
    pub fn new(plain: impl Into<String>) -> Self {
        Self(SecretString::from(plain.into()))
    }

    pub fn expose(&self) -> &str {
        self.0.expose_secret()
    }

    pub fn into_secret(self) -> SecretString {
        self.0
    }

    /// The password in NFKC, the form new passwords are hashed in (see
    /// `validation::NewPassword`).
    pub fn normalised(&self) -> Password {
        Password::new(crate::text::nfkc(self.expose()))
    }
}

impl fmt::Debug for Password {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Password([REDACTED])")
    }
}

impl Serialize for Password {
    /// The browser has to send the password to log in; this is the one place it is exposed.
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.0.expose_secret())
    }
}

impl<'de> Deserialize<'de> for Password {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        String::deserialize(deserializer).map(Self::new)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn password_never_prints() {
        let password = Password::new("hunter2hunter2");
        assert!(!format!("{password:?}").contains("hunter2"));
    }

    #[test]
    fn token_response_never_prints_the_token() {
        let token = TokenResponse::bearer("secret.jwt.value".into());
        assert!(!format!("{token:?}").contains("secret"));
        assert_eq!(
            serde_json::to_value(&token).unwrap(),
            serde_json::json!({"access_token": "secret.jwt.value", "token_type": "bearer"})
        );
    }
}
