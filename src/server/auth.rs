//! The operations behind the API: what happens between the decoded request and the
//! database. Server functions in `crate::api` call these and nothing else.

use super::client_ip::client_ip;
use super::cookies::refresh_token_from;
use super::error::AuthError;
use super::password::PasswordHasher;
use super::password_policy::check_not_guessable;
use super::sessions::{IssuedSession, RefreshRefused};
use super::state::AppState;
use super::users::{CreateUserError, StoredUser};
use crate::api::{LoggedOut, Password, Role, TokenResponse, User};
use crate::validation::{Email, Username, check_login_password, check_new_password};
use axum::extract::ConnectInfo;
use axum::http::{HeaderMap, HeaderValue, header};
use leptos::prelude::use_context;
use leptos_axum::ResponseOptions;
use std::net::SocketAddr;
use std::time::Instant;

pub(super) fn state() -> Result<AppState, AuthError> {
    use_context::<AppState>().ok_or_else(|| AuthError::internal(anyhow::anyhow!("AppState missing from context")))
}

/// The person behind a request: a valid access token whose session is still active and
/// whose user still exists. The user row is read on every request, so a role change or
/// a revoked session takes effect at once.
pub(super) struct Principal {
    pub user: StoredUser,
    pub session_id: String,
}

pub(super) async fn authenticate(state: &AppState) -> Result<Principal, AuthError> {
    let headers: HeaderMap = leptos_axum::extract().await.map_err(AuthError::internal)?;
    let token = bearer_token(&headers)?;
    let claims = state
        .tokens
        .verify(token)
        .map_err(|rejected| AuthError::InvalidToken(rejected.0))?;
    tracing::Span::current().record("user_id", claims.user_id);
    // The session must belong to the token's subject: a token cannot borrow another
    // user's session.
    if !state.sessions.is_active(&claims.session_id, claims.user_id).await? {
        return Err(AuthError::InvalidToken("session revoked or expired"));
    }
    let user = state
        .users
        .find_by_id(claims.user_id)
        .await?
        .ok_or(AuthError::InvalidToken("user no longer exists"))?;
    Ok(Principal {
        user,
        session_id: claims.session_id,
    })
}

/// Adds a `Set-Cookie` header to the response being built.
pub(super) fn send_cookie(cookie: Option<HeaderValue>) {
    if let (Some(cookie), Some(response)) = (cookie, use_context::<ResponseOptions>()) {
        response.append_header(header::SET_COOKIE, cookie);
    }
}

/// Starts a session for the user: sets the refresh cookie and returns an access token.
pub(super) async fn start_session(state: &AppState, user_id: i64) -> Result<String, AuthError> {
    let session = state.sessions.create(user_id).await?;
    issue_for(state, &session)
}

fn issue_for(state: &AppState, session: &IssuedSession) -> Result<String, AuthError> {
    send_cookie(state.cookies.set(&session.refresh_token.0));
    Ok(state.tokens.issue(session.user_id, &session.session_id)?)
}

/// Checks a logged-in person's password (to confirm a sensitive action), with the same
/// per-account failure throttle as logins.
pub(super) async fn confirm_password(state: &AppState, user: &StoredUser, password: Password) -> Result<(), AuthError> {
    let account = user.email.clone();
    state
        .login_failures
        .check(&account, Instant::now())
        .map_err(AuthError::TooManyRequests)?;
    if state
        .hasher
        .verify(password.into_secret(), Some(user.password_hash.clone()))
        .await?
    {
        Ok(())
    } else {
        state.login_failures.record(account, Instant::now());
        Err(AuthError::WrongPassword)
    }
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
        .create(&email, &username, &hash, Role::User)
        .await
        .map_err(|e| match e {
            CreateUserError::EmailTaken => AuthError::EmailTaken,
            CreateUserError::Database(e) => AuthError::from(e),
        })?;
    tracing::Span::current().record("user_id", user.id);
    // Signing up logs in: the refresh cookie lets the UI get an access token without
    // sending the password again. The response body keeps the original contract.
    let session = state.sessions.create(user.id).await?;
    send_cookie(state.cookies.set(&session.refresh_token.0));
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
    let token = start_session(&state, user_id).await?;
    tracing::debug!("user logged in");
    Ok(TokenResponse::bearer(token))
}

#[tracing::instrument(name = "refresh", skip_all, fields(user_id))]
pub async fn refresh() -> Result<TokenResponse, AuthError> {
    let state = state()?;
    let headers: HeaderMap = leptos_axum::extract().await.map_err(AuthError::internal)?;
    let presented = refresh_token_from(&headers).ok_or(AuthError::InvalidToken("no refresh cookie"))?;
    match state.sessions.rotate(&presented).await? {
        Ok(session) => {
            tracing::Span::current().record("user_id", session.user_id);
            Ok(TokenResponse::bearer(issue_for(&state, &session)?))
        }
        Err(refused) => {
            send_cookie(state.cookies.clear());
            if refused == RefreshRefused::Reused {
                tracing::warn!("refresh token reused: session revoked");
            }
            Err(AuthError::InvalidToken(match refused {
                RefreshRefused::Reused => "refresh token reused",
                RefreshRefused::Invalid => "refresh token unknown, revoked or expired",
            }))
        }
    }
}

#[tracing::instrument(name = "logout", skip_all, fields(user_id))]
pub async fn logout() -> Result<LoggedOut, AuthError> {
    let state = state()?;
    let principal = authenticate(&state).await?;
    state.sessions.revoke(&principal.session_id).await?;
    send_cookie(state.cookies.clear());
    Ok(LoggedOut { sessions_revoked: 1 })
}

#[tracing::instrument(name = "logout_all", skip_all, fields(user_id))]
pub async fn logout_all() -> Result<LoggedOut, AuthError> {
    let state = state()?;
    let principal = authenticate(&state).await?;
    let sessions_revoked = state.sessions.revoke_all(principal.user.id).await?;
    send_cookie(state.cookies.clear());
    Ok(LoggedOut { sessions_revoked })
}

#[tracing::instrument(name = "current_user", skip_all, fields(user_id))]
pub async fn current_user() -> Result<User, AuthError> {
    let state = state()?;
    Ok(authenticate(&state).await?.user.into())
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
