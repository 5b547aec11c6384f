//! A login, whichever way it proves the person: a password (`super::login`), a second
//! factor after the password (`crate::server::second_factor::finish_login`), or a passkey
//! alone (`crate::server::passkeys::sign_in_finish`). The three differ only in what they
//! check. What they share is here, once: where an attempt counts ([`source`]), how its
//! outcome is counted ([`counted`]), and how a login that succeeded becomes a session and
//! a device cookie ([`LoginStep::session`]).

use super::device::DeviceCookies;
use super::{SessionIssued, start_session};
use crate::api::{MfaChallenge, TokenResponse};
use crate::server::account::users::StoredUser;
use crate::server::error::AuthError;
use crate::server::http::request_meta::RequestMeta;
use crate::server::state::AppState;
use crate::server::throttles::login::Source;
use std::future::Future;

/// Where a login stands once its proof checked out.
pub enum LoginStep {
    /// Logged in: the access token for the body, the refresh and device tokens for the
    /// cookies.
    Session(SessionIssued<TokenResponse>),
    /// The right password of an account with a second factor: no session yet. The
    /// client finishes with the challenge's `mfa_token` at `POST /auth/login/mfa`.
    SecondFactor(MfaChallenge),
}

impl LoginStep {
    /// The end of every login that succeeded: a session tied to `credential` (the password
    /// hash that was verified, so a password changed meanwhile starts none), and the device
    /// cookie that remembers this browser for the account (`super::device`).
    pub async fn session(state: &AppState, user: &StoredUser, credential: &str) -> Result<Self, AuthError> {
        let mut issued = start_session(state, user.id, credential).await?;
        issued.device_token = Some(state.sessions.devices.issue(user)?);
        Ok(LoginStep::Session(issued))
    }

    /// The session, or the challenge the login waits at.
    pub fn into_session(self) -> Result<SessionIssued<TokenResponse>, MfaChallenge> {
        match self {
            LoginStep::Session(issued) => Ok(issued),
            LoginStep::SecondFactor(challenge) => Err(challenge),
        }
    }

    /// The label of `authkit_logins_total` for a login's result.
    fn outcome(result: &Result<LoginStep, AuthError>) -> &'static str {
        match result {
            Ok(LoginStep::Session(_)) => "success",
            Ok(LoginStep::SecondFactor(_)) => "second_factor_required",
            Err(AuthError::InvalidCredentials) => "invalid_credentials",
            Err(AuthError::TooManyRequests(_)) => "throttled",
            Err(AuthError::EmailNotVerified) => "email_not_verified",
            Err(AuthError::InvalidCode) => "invalid_code",
            Err(AuthError::LoginExpired | AuthError::CeremonyExpired) => "expired",
            Err(AuthError::PasskeyRefused) => "passkey_refused",
            Err(AuthError::PasskeysUnavailable) => "unavailable",
            Err(AuthError::Invalid(_) | AuthError::InvalidField(_)) => "invalid_input",
            Err(AuthError::Overloaded | AuthError::Unavailable) => "unavailable",
            Err(_) => "error",
        }
    }
}

/// Runs one login and counts its outcome (`authkit_logins_total`).
pub async fn counted(
    state: &AppState,
    login: impl Future<Output = Result<LoginStep, AuthError>>,
) -> Result<LoginStep, AuthError> {
    let result = login.await;
    state.metrics.record_login(LoginStep::outcome(&result));
    result
}

/// Where a login attempt on `account` counts (`LoginThrottle`): in the browser's own
/// bucket when it holds a device cookie of this account as it is now (valid for
/// [`DEVICE_COOKIE_TTL`](super::device::DEVICE_COOKIE_TTL)), so strangers cannot lock its
/// owner out; else — an unknown address too — in its network's.
pub fn source(devices: &DeviceCookies, meta: &RequestMeta, account: Option<&StoredUser>) -> Source {
    match meta
        .device_token
        .as_deref()
        .zip(account)
        .and_then(|(token, account)| devices.verify(token, account))
    {
        Some(device) => Source::Device(device),
        None => Source::Network(meta.network()),
    }
}
