//! The operations behind the API: what happens between the decoded request and the
//! database. Server functions in `crate::api` call these and nothing else.

use super::client_ip::client_ip;
use super::error::AuthError;
use super::password::PasswordHasher;
use super::password_policy::check_not_guessable;
use super::state::AppState;
use super::users::CreateUserError;
use crate::api::{Password, TokenResponse, User};
use crate::validation::{Email, Username, check_login_password, check_new_password};
use axum::extract::ConnectInfo;
use axum::http::{HeaderMap, header};
use leptos::prelude::use_context;
use std::net::SocketAddr;
use std::time::Instant;

fn state() -> Result<AppState, AuthError> {
    use_context::<AppState>().ok_or_else(|| AuthError::internal(anyhow::anyhow!("AppState missing from context")))
}

/// Counts this request against its client's signup/login allowance.
async fn throttle_client(state: &AppState) -> Result<(), AuthError> {
    let ConnectInfo(peer) = leptos_axum::extract::<ConnectInfo<SocketAddr>>()
        .await
        .map_err(AuthError::internal)?;
    let headers: HeaderMap = leptos_axum::extract().await.map_err(AuthError::internal)?;
    let ip = client_ip(peer.ip(), &headers, &state.trusted_proxies);
    state
        .auth_requests
        .acquire(ip, Instant::now())
        .map_err(AuthError::TooManyRequests)
}

#[tracing::instrument(name = "signup", skip_all, fields(user_id))]
pub async fn signup(email: String, password: Password, username: String) -> Result<User, AuthError> {
    let state = state()?;
    throttle_client(&state).await?;
    let email = Email::parse(&email)?;
    let username = Username::parse(&username)?;
    check_new_password(password.expose(), email.as_str(), username.as_str())?;
    check_not_guessable(password.expose(), &[email.as_str(), username.as_str()])?;
    let hash = state.hasher.hash(password.into_secret()).await?;
    let user = state
        .users
        .create(&email, &username, &hash)
        .await
        .map_err(|e| match e {
            CreateUserError::EmailTaken => AuthError::EmailTaken,
            CreateUserError::Database(e) => AuthError::from(e),
        })?;
    tracing::Span::current().record("user_id", user.id);
    tracing::debug!("user signed up");
    Ok(user)
}

#[tracing::instrument(name = "login", skip_all, fields(user_id))]
pub async fn login(email: String, password: Password) -> Result<TokenResponse, AuthError> {
    let state = state()?;
    throttle_client(&state).await?;
    let email = Email::parse(&email)?;
    check_login_password(password.expose())?;
    // Per-account throttle, applied to unknown emails too so that a 429 says nothing
    // about whether an account exists. Checked before any hashing.
    let account = email.as_str().to_owned();
    state
        .login_failures
        .check(&account, Instant::now())
        .map_err(AuthError::TooManyRequests)?;

    let user = state.users.find_by_email(&email).await?;
    // Unknown email and wrong password take the same path and the same time: the
    // hasher verifies against a dummy hash when there is no user.
    let (user_id, stored_hash) = match user {
        Some(user) => (Some(user.id), Some(user.password_hash)),
        None => (None, None),
    };
    let secret = password.into_secret();
    let verified = state.hasher.verify(secret.clone(), stored_hash.clone()).await?;
    let (user_id, stored_hash) = match (verified, user_id, stored_hash) {
        (true, Some(id), Some(hash)) => (id, hash),
        _ => {
            state.login_failures.record(account, Instant::now());
            return Err(AuthError::InvalidCredentials);
        }
    };
    state.login_failures.forget(&account);
    tracing::Span::current().record("user_id", user_id);
    if PasswordHasher::needs_rehash(&stored_hash) {
        // Parameters have been raised since this hash was made; the plain password is
        // only available now, at login. A failure here must not fail the login.
        match state.hasher.hash(secret).await {
            Ok(new_hash) => match state.users.update_password_hash(user_id, &new_hash).await {
                Ok(()) => tracing::info!("password hash upgraded to current parameters"),
                Err(e) => tracing::warn!(error = %e, "could not store upgraded password hash"),
            },
            Err(e) => tracing::warn!(error = %e, "could not upgrade password hash"),
        }
    }
    let token = state.tokens.issue(user_id)?;
    tracing::debug!("user logged in");
    Ok(TokenResponse::bearer(token))
}

#[tracing::instrument(name = "current_user", skip_all, fields(user_id))]
pub async fn current_user() -> Result<User, AuthError> {
    let headers: HeaderMap = leptos_axum::extract().await.map_err(AuthError::internal)?;
    let token = bearer_token(&headers)?;
    let state = state()?;
    let user_id = state
        .tokens
        .verify(token)
        .map_err(|rejected| AuthError::InvalidToken(rejected.0))?;
    tracing::Span::current().record("user_id", user_id);
    state
        .users
        .find_by_id(user_id)
        .await?
        .ok_or(AuthError::InvalidToken("user no longer exists"))
}

/// The token from `Authorization: Bearer <token>` (scheme case-insensitive, RFC 7235).
/// Tokens anywhere else (query string, cookies) are ignored.
fn bearer_token(headers: &HeaderMap) -> Result<&str, AuthError> {
    let value = headers.get(header::AUTHORIZATION).ok_or(AuthError::MissingToken)?;
    let value = value
        .to_str()
        .map_err(|_| AuthError::InvalidToken("non-ASCII Authorization header"))?;
    match value.split_once(' ') {
        Some((scheme, token)) if scheme.eq_ignore_ascii_case("bearer") && !token.trim().is_empty() => Ok(token.trim()),
        _ => Err(AuthError::InvalidToken("Authorization is not a Bearer token")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn headers(value: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(header::AUTHORIZATION, HeaderValue::from_str(value).unwrap());
        headers
    }

    #[test]
    fn bearer_token_is_read_case_insensitively() {
        assert_eq!(bearer_token(&headers("Bearer abc")).unwrap(), "abc");
        assert_eq!(bearer_token(&headers("bearer abc")).unwrap(), "abc");
    }

    #[test]
    fn other_schemes_and_empty_tokens_are_refused() {
        assert!(matches!(bearer_token(&HeaderMap::new()), Err(AuthError::MissingToken)));
        assert!(matches!(
            bearer_token(&headers("Basic abc")),
            Err(AuthError::InvalidToken(_))
        ));
        assert!(matches!(
            bearer_token(&headers("Bearer ")),
            Err(AuthError::InvalidToken(_))
        ));
        assert!(matches!(
            bearer_token(&headers("Bearer")),
            Err(AuthError::InvalidToken(_))
        ));
    }
}
