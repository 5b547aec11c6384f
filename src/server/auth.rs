//! Signing up, logging in, staying logged in and logging out: plain async functions over
//! the state, the request's [`RequestMeta`] and the decoded input. They know nothing of
//! HTTP; the edge (`super::edge` for server functions, `super::http::rest` for the REST
//! forms) turns what they return into status, cookies and body.

use super::error::AuthError;
use super::password::PasswordHasher;
use super::password_policy::check_not_guessable;
use super::request_meta::{Bearer, RequestMeta};
use super::sessions::{IssuedSession, RefreshRefused, RefreshToken};
use super::state::AppState;
use super::users::{CreateUserError, StoredUser};
use crate::api::{LoggedOut, Password, Role, TokenResponse, User};
use crate::validation::{Email, NewAccount, check_login_password};
use secrecy::SecretString;
use std::time::Instant;

/// The person behind a request: a valid access token whose session is still active and
/// whose user still exists. The user row is read on every request, so a role change or
/// a revoked session takes effect at once.
pub struct Principal {
    pub user: StoredUser,
    pub session_id: String,
}

/// The answer of an operation that started or renewed a session: the body, and the
/// refresh token that the edge puts in the cookie.
pub struct SessionIssued<T> {
    pub body: T,
    pub refresh_token: RefreshToken,
}

#[tracing::instrument(name = "authenticate", skip_all, fields(user_id))]
pub async fn authenticate(state: &AppState, bearer: &Bearer) -> Result<Principal, AuthError> {
    let token = match bearer {
        Bearer::Missing => return Err(AuthError::MissingToken),
        Bearer::Unusable(reason) => return Err(AuthError::InvalidToken(reason)),
        Bearer::Token(token) => token,
    };
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

/// Starts a session for the user: an access token and the session's first refresh token.
pub async fn start_session(state: &AppState, user_id: i64) -> Result<SessionIssued<TokenResponse>, AuthError> {
    let session = state.sessions.create(user_id).await?;
    issue_for(state, session)
}

fn issue_for(state: &AppState, session: IssuedSession) -> Result<SessionIssued<TokenResponse>, AuthError> {
    let access_token = state.tokens.issue(session.user_id, &session.session_id)?;
    Ok(SessionIssued {
        body: TokenResponse::bearer(access_token),
        refresh_token: session.refresh_token,
    })
}

/// Checks a logged-in person's password (to confirm a sensitive action), counted in the
/// same per-account failure throttle as logins: the slot is taken before hashing and
/// given back when the password was right.
pub async fn confirm_password(state: &AppState, user: &StoredUser, password: Password) -> Result<(), AuthError> {
    let account = user.email.clone();
    take_attempt(state, &account)?;
    let verified = state
        .hasher
        .verify(password.into_secret(), Some(user.password_hash.clone()))
        .await;
    match verified {
        Ok(true) => {
            state.login_failures.release(account, Instant::now());
            Ok(())
        }
        Ok(false) => Err(AuthError::WrongPassword),
        Err(e) => {
            state.login_failures.release(account, Instant::now());
            Err(e.into())
        }
    }
}

/// Takes one password attempt from the account's allowance, before any hashing and in
/// one atomic step: a burst of parallel guesses cannot all pass a check that records
/// nothing. A failure keeps the slot; the callers give it back otherwise.
fn take_attempt(state: &AppState, account: &str) -> Result<(), AuthError> {
    state
        .login_failures
        .acquire(account.to_owned(), Instant::now())
        .map_err(AuthError::TooManyRequests)
}

/// The account with this email if `password` is its password. Unknown email and wrong
/// password take the same path and the same time: the hasher verifies against a dummy
/// hash when there is no user.
async fn verify_credentials(
    state: &AppState,
    email: &Email,
    password: SecretString,
) -> Result<Option<StoredUser>, AuthError> {
    let user = state.users.find_by_email(email).await?;
    let stored_hash = user.as_ref().map(|user| user.password_hash.clone());
    let verified = state.hasher.verify(password, stored_hash).await?;
    Ok(user.filter(|_| verified))
}

/// Counts this request against its client's signup/login allowance.
fn throttle_client(state: &AppState, meta: &RequestMeta) -> Result<(), AuthError> {
    state
        .auth_requests
        .acquire(meta.client_ip, Instant::now())
        .map_err(AuthError::TooManyRequests)
}

/// Creates an account with `role`, enforcing every password rule (the dictionary check
/// included). Signup and `authkit create-admin` both come through here.
pub async fn register(state: &AppState, account: NewAccount, role: Role) -> Result<User, AuthError> {
    check_not_guessable(account.password())?;
    let hash = state
        .hasher
        .hash(account.password().clone().into_password().into_secret())
        .await?;
    state
        .users
        .create(account.email(), account.username(), &hash, role)
        .await
        .map_err(|e| match e {
            CreateUserError::EmailTaken => AuthError::EmailTaken,
            CreateUserError::Database(e) => AuthError::from(e),
        })
}

#[tracing::instrument(name = "signup", skip_all, fields(user_id))]
pub async fn signup(
    state: &AppState,
    meta: &RequestMeta,
    email: String,
    password: Password,
    username: String,
) -> Result<SessionIssued<User>, AuthError> {
    throttle_client(state, meta)?;
    let account = NewAccount::parse(&email, &username, password)?;
    let user = register(state, account, Role::User).await?;
    tracing::Span::current().record("user_id", user.id);
    // Signing up logs in: the refresh cookie lets the UI get an access token without
    // sending the password again. The response body keeps the original contract.
    let session = state.sessions.create(user.id).await?;
    tracing::debug!("user signed up");
    Ok(SessionIssued {
        body: user,
        refresh_token: session.refresh_token,
    })
}

#[tracing::instrument(name = "login", skip_all, fields(user_id))]
pub async fn login(
    state: &AppState,
    meta: &RequestMeta,
    email: String,
    password: Password,
) -> Result<SessionIssued<TokenResponse>, AuthError> {
    throttle_client(state, meta)?;
    let email = Email::parse(&email)?;
    check_login_password(password.expose())?;
    // Per-account throttle, applied to unknown emails too so that a 429 says nothing
    // about whether an account exists.
    let account = email.as_str().to_owned();
    take_attempt(state, &account)?;
    let secret = password.into_secret();
    let user = match verify_credentials(state, &email, secret.clone()).await {
        Ok(Some(user)) => user,
        // A failure: the attempt keeps its slot.
        Ok(None) => return Err(AuthError::InvalidCredentials),
        // Not judged (hashing saturated, database down): it does not count.
        Err(e) => {
            state.login_failures.release(account, Instant::now());
            return Err(e);
        }
    };
    state.login_failures.forget(&account);
    let (user_id, stored_hash) = (user.id, user.password_hash);
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
    let issued = start_session(state, user_id).await?;
    tracing::debug!("user logged in");
    Ok(issued)
}

/// Exchanges the refresh token for a new access token and the token's successor. A
/// refused token answers [`AuthError::RefreshRefused`], which also makes the edge clear
/// the cookie.
#[tracing::instrument(name = "refresh", skip_all, fields(user_id))]
pub async fn refresh(state: &AppState, presented: Option<&str>) -> Result<SessionIssued<TokenResponse>, AuthError> {
    let presented = presented.ok_or(AuthError::InvalidToken("no refresh cookie"))?;
    match state.sessions.rotate(presented).await? {
        Ok(session) => {
            tracing::Span::current().record("user_id", session.user_id);
            issue_for(state, session)
        }
        Err(RefreshRefused::Reused) => {
            tracing::warn!("refresh token reused: session revoked");
            Err(AuthError::RefreshRefused("refresh token reused"))
        }
        Err(RefreshRefused::Invalid) => Err(AuthError::RefreshRefused("refresh token unknown, revoked or expired")),
    }
}

/// Ends the session the request's token belongs to.
#[tracing::instrument(name = "logout", skip_all, fields(user_id = principal.user.id))]
pub async fn logout(state: &AppState, principal: &Principal) -> Result<LoggedOut, AuthError> {
    state.sessions.revoke(&principal.session_id).await?;
    Ok(LoggedOut { sessions_revoked: 1 })
}

/// Ends every session of the user, on every device.
#[tracing::instrument(name = "logout_all", skip_all, fields(user_id = principal.user.id))]
pub async fn logout_all(state: &AppState, principal: &Principal) -> Result<LoggedOut, AuthError> {
    let sessions_revoked = state.sessions.revoke_all(principal.user.id).await?;
    Ok(LoggedOut { sessions_revoked })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::server::test_support::{PASSWORD, create_user, meta, principal_of, test_state};

    #[tokio::test]
    async fn login_checks_the_password_and_starts_a_session() {
        let t = test_state().await;
        let user = create_user(&t.state, "Ann@Example.com", Role::User).await;
        let wrong = login(
            &t.state,
            &meta(),
            "ann@example.com".into(),
            Password::new("wrong password"),
        )
        .await;
        assert!(matches!(wrong, Err(AuthError::InvalidCredentials)));
        let unknown = login(&t.state, &meta(), "nobody@example.com".into(), Password::new(PASSWORD)).await;
        assert!(matches!(unknown, Err(AuthError::InvalidCredentials)));

        let issued = login(&t.state, &meta(), " ANN@example.com ".into(), Password::new(PASSWORD))
            .await
            .expect("logged in");
        assert_eq!(issued.body.token_type, "bearer");
        let principal = principal_of(&t.state, &issued).await;
        assert_eq!(principal.user.id, user.id);
        // The refresh token names the same session as the access token.
        let renewed = refresh(&t.state, Some(&issued.refresh_token.0))
            .await
            .expect("refreshed");
        assert_eq!(principal_of(&t.state, &renewed).await.session_id, principal.session_id);
    }

    #[tokio::test]
    async fn refresh_rotates_and_a_replayed_token_revokes_the_session() {
        let t = test_state().await;
        create_user(&t.state, "rot@example.com", Role::User).await;
        let first = login(&t.state, &meta(), "rot@example.com".into(), Password::new(PASSWORD))
            .await
            .unwrap();
        let second = refresh(&t.state, Some(&first.refresh_token.0)).await.unwrap();
        assert_ne!(first.refresh_token.0, second.refresh_token.0);
        let third = refresh(&t.state, Some(&second.refresh_token.0)).await.unwrap();

        // The first token again: theft. The whole session ends, its newest tokens too.
        let replay = refresh(&t.state, Some(&first.refresh_token.0)).await;
        assert!(matches!(replay, Err(AuthError::RefreshRefused("refresh token reused"))));
        assert!(replay.err().is_some_and(|e| e.clears_refresh_cookie()));
        assert!(refresh(&t.state, Some(&third.refresh_token.0)).await.is_err());
        let access = Bearer::Token(third.body.access_token.clone());
        assert!(matches!(
            authenticate(&t.state, &access).await,
            Err(AuthError::InvalidToken(_))
        ));
        assert!(matches!(
            refresh(&t.state, None).await,
            Err(AuthError::InvalidToken("no refresh cookie"))
        ));
    }

    #[tokio::test]
    async fn logout_ends_only_this_session() {
        let t = test_state().await;
        create_user(&t.state, "out@example.com", Role::User).await;
        let here = login(&t.state, &meta(), "out@example.com".into(), Password::new(PASSWORD))
            .await
            .unwrap();
        let there = login(&t.state, &meta(), "out@example.com".into(), Password::new(PASSWORD))
            .await
            .unwrap();
        let principal = principal_of(&t.state, &here).await;
        assert_eq!(logout(&t.state, &principal).await.unwrap().sessions_revoked, 1);
        let here_token = Bearer::Token(here.body.access_token.clone());
        assert!(authenticate(&t.state, &here_token).await.is_err());
        principal_of(&t.state, &there).await;
    }
}
