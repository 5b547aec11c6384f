//! Signing up, logging in, staying logged in and logging out: plain async functions over
//! the state, the request's [`RequestMeta`] and the decoded input. They know nothing of
//! HTTP; the edge (`super::http::edge` for server functions, `super::http::rest` for the REST
//! forms) turns what they return into status, cookies and body.

pub mod access_token;
pub mod api;
pub mod device;
pub mod login;
pub mod store;

use self::login::LoginStep;
use self::store::{IssuedSession, RefreshRefused, RefreshToken};
use super::account::password::PasswordHasher;
use super::account::password_policy::check_not_guessable;
use super::account::users::StoredUser;
use super::email_address::send_verification;
use super::error::AuthError;
use super::http::client_ip::Network;
use super::http::request_meta::{Bearer, RequestMeta};
use super::state::{AppState, Throttles};
use super::throttles::login::Source;
use crate::api::{LoggedOut, Password, Role, TokenResponse, User};
use crate::validation::{Email, NewAccount, NewPassword, check_login_password};

/// The person behind a request: a valid access token whose session is still active and
/// whose user still exists. The user row is read on every request, so a role change or
/// a revoked session takes effect at once.
pub struct Principal {
    pub user: StoredUser,
    pub session_id: String,
    /// The client network the request came from (its per-network allowances).
    pub network: Network,
}

/// The answer of an operation that started or renewed a session: the body, the refresh
/// token that the edge puts in the cookie and, after a login, the device token that
/// remembers this browser for the account (`self::device`).
pub struct SessionIssued<T> {
    pub body: T,
    pub refresh_token: RefreshToken,
    pub device_token: Option<String>,
}

#[tracing::instrument(name = "authenticate", skip_all, fields(user_id))]
pub async fn authenticate(state: &AppState, meta: &RequestMeta) -> Result<Principal, AuthError> {
    let token = match &meta.bearer {
        Bearer::Missing => return Err(AuthError::MissingToken),
        Bearer::Unusable(reason) => return Err(AuthError::InvalidToken(reason)),
        Bearer::Token(token) => token,
    };
    let claims = state
        .sessions
        .access_tokens
        .verify(token)
        .map_err(|rejected| AuthError::InvalidToken(rejected.0))?;
    tracing::Span::current().record("user_id", claims.user_id);
    // The session must belong to the token's subject (a token cannot borrow another
    // user's session), be neither revoked nor expired, and the user must still exist:
    // one query.
    let user = state
        .accounts
        .users
        .find_in_active_session(claims.user_id, &claims.session_id)
        .await?
        .ok_or(AuthError::InvalidToken("session revoked or expired, or user gone"))?;
    Ok(Principal {
        user,
        session_id: claims.session_id,
        network: meta.network(),
    })
}

/// Starts a session for the user whose password hash `password_hash` was just verified
/// (or set): an access token and the session's first refresh token. If the password
/// changed or the account was deleted in the meantime, no session starts (401).
pub async fn start_session(
    state: &AppState,
    user_id: i64,
    password_hash: &str,
) -> Result<SessionIssued<TokenResponse>, AuthError> {
    let session = state
        .sessions
        .store
        .create(user_id, password_hash)
        .await?
        .ok_or(AuthError::InvalidToken(
            "password changed or account deleted during login",
        ))?;
    issue_for(state, session)
}

fn issue_for(state: &AppState, session: IssuedSession) -> Result<SessionIssued<TokenResponse>, AuthError> {
    let access_token = state
        .sessions
        .access_tokens
        .issue(session.user_id, &session.session_id)?;
    Ok(SessionIssued {
        body: TokenResponse::bearer(access_token),
        refresh_token: session.refresh_token,
        device_token: None,
    })
}

/// Checks a logged-in person's password (to confirm a sensitive action). Wrong
/// passwords are counted per session, so nobody else's guesses can stop the owner from
/// changing their password.
pub async fn confirm_password(state: &AppState, principal: &Principal, password: Password) -> Result<(), AuthError> {
    let user = &principal.user;
    spend_password_check(&state.throttles, principal).await?;
    let attempt = state
        .throttles
        .login
        .begin(&user.email, Source::Session(principal.session_id.clone()))
        .await?
        .map_err(AuthError::TooManyRequests)?;
    let verified = verify_password(
        &state.accounts.hasher,
        &user.email,
        &password,
        Some(user.password_hash.clone()),
    )
    .await;
    attempt
        .settle(verified.map(|matched| (matched != Matched::No).then_some(())))
        .await?
        .ok_or(AuthError::WrongPassword)
}

/// Every password a signed-in person confirms, right or wrong, costs a hash: it is counted
/// before the hash against the account's allowance (`PASSWORD_CHECKS_PER_ACCOUNT_PER_MINUTE`)
/// and the client network's login allowance, so that one account cannot hash at will (to
/// test addresses through an address change, or to fill the hashing slots) from one
/// network or from many (issue 21).
async fn spend_password_check(throttles: &Throttles, principal: &Principal) -> Result<(), AuthError> {
    throttles
        .auth_requests
        .acquire(&principal.network)
        .await?
        .map_err(AuthError::TooManyRequests)?;
    throttles
        .password_checks
        .acquire(&principal.user.id)
        .await?
        .map_err(AuthError::TooManyRequests)
}

/// How a password matched a stored hash.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Matched {
    No,
    /// In NFKC, the form hashes are made in.
    Normalised,
    /// Only as typed: a hash made before passwords were normalised. It is replaced at
    /// the next login.
    AsTyped,
}

/// Verifies `password` against `stored` (or, with no account, against the dummy hash):
/// in NFKC and, when the typed form differs, as typed. The work depends only on what was
/// typed, never on whether the account exists.
async fn verify_password(
    hasher: &PasswordHasher,
    account: &str,
    password: &Password,
    stored: Option<String>,
) -> Result<Matched, AuthError> {
    let normalised = password.normalised();
    if hasher
        .verify(account, normalised.clone().into_secret(), stored.clone())
        .await?
    {
        return Ok(Matched::Normalised);
    }
    if normalised.expose() != password.expose()
        && hasher.verify(account, password.clone().into_secret(), stored).await?
    {
        return Ok(Matched::AsTyped);
    }
    Ok(Matched::No)
}

/// The account with this email if `password` is its password, and how it matched.
/// Unknown email and wrong password take the same path and the same time: the hasher
/// verifies against a dummy hash when there is no user.
async fn verify_credentials(
    state: &AppState,
    account: &str,
    user: Option<StoredUser>,
    password: &Password,
) -> Result<Option<(StoredUser, Matched)>, AuthError> {
    let stored_hash = user.as_ref().map(|user| user.password_hash.clone());
    let matched = verify_password(&state.accounts.hasher, account, password, stored_hash).await?;
    Ok(user.filter(|_| matched != Matched::No).map(|user| (user, matched)))
}

/// Counts this request against its client's signup/login allowance.
pub(super) async fn throttle_client(throttles: &Throttles, meta: &RequestMeta) -> Result<(), AuthError> {
    throttles
        .auth_requests
        .acquire(&meta.network())
        .await?
        .map_err(AuthError::TooManyRequests)
}

/// A new password of `account` as it is stored: the dictionary check (zxcvbn), then the
/// hash. The check's cost grows with what the client typed, so it runs where hashing runs
/// (`PasswordHasher::offload`), never on an async worker; both count in `account`'s share.
pub async fn hash_new_password(
    hasher: &PasswordHasher,
    account: &str,
    password: &NewPassword,
) -> Result<String, AuthError> {
    let checked = password.clone();
    hasher.offload(account, move || check_not_guessable(&checked)).await??;
    Ok(hasher
        .hash(account, password.clone().into_password().into_secret())
        .await?)
}

/// A new account and its password hash (the credential a first session is tied to).
pub struct Registered {
    pub user: User,
    pub password_hash: String,
}

/// Creates an account with `role`, enforcing every password rule (the dictionary check
/// included). Signup and `authkit create-admin` both come through here.
pub async fn register(state: &AppState, account: NewAccount, role: Role) -> Result<Registered, AuthError> {
    let email = account.email().as_str();
    let password_hash = hash_new_password(&state.accounts.hasher, email, account.password()).await?;
    let user = state
        .accounts
        .users
        .create(account.email(), account.username(), &password_hash, role)
        .await?;
    Ok(Registered { user, password_hash })
}

/// What a signup ends with: logged in at once, or (with `REQUIRE_EMAIL_VERIFICATION`)
/// only the account, until its address is verified.
pub enum SignedUp {
    LoggedIn(SessionIssued<User>),
    VerifyFirst(User),
}

#[tracing::instrument(name = "signup", skip_all, fields(user_id))]
pub async fn signup(
    state: &AppState,
    meta: &RequestMeta,
    email: String,
    password: Password,
    username: String,
) -> Result<SignedUp, AuthError> {
    throttle_client(&state.throttles, meta).await?;
    let account = NewAccount::parse(&email, &username, password)?;
    let email = account.email().as_str().to_owned();
    let Registered { user, password_hash } = register(state, account, Role::User).await?;
    tracing::Span::current().record("user_id", user.id);
    // The account exists whatever happens to its mail: a failure here is logged, and the
    // link can be asked for again (from the profile, or by logging in).
    if let Err(e) = send_verification(state, user.id, &email).await {
        tracing::warn!(error = %e, "could not queue the verification mail");
    }
    if state.accounts.require_verified_email {
        tracing::debug!("user signed up; no session until the address is verified");
        return Ok(SignedUp::VerifyFirst(user));
    }
    // Signing up logs in: the refresh cookie lets the UI get an access token without
    // sending the password again. The response body keeps the original contract.
    let session = state
        .sessions
        .store
        .create(user.id, &password_hash)
        .await?
        .ok_or(AuthError::InvalidToken("account deleted during signup"))?;
    tracing::debug!("user signed up");
    // Signing up counts as this browser's first login to the account (its cookie names
    // the account as stored: its id and device epoch).
    let stored = state
        .accounts
        .users
        .find_by_id(user.id)
        .await?
        .ok_or(AuthError::InvalidToken("account deleted during signup"))?;
    Ok(SignedUp::LoggedIn(SessionIssued {
        body: user,
        refresh_token: session.refresh_token,
        device_token: Some(state.sessions.devices.issue(&stored)?),
    }))
}

/// Logs in with a password, and counts the outcome (`authkit_logins_total`).
pub async fn login(
    state: &AppState,
    meta: &RequestMeta,
    email: String,
    password: Password,
) -> Result<LoginStep, AuthError> {
    login::counted(state, check_password(state, meta, email, password)).await
}

#[tracing::instrument(name = "login", skip_all, fields(user_id))]
async fn check_password(
    state: &AppState,
    meta: &RequestMeta,
    email: String,
    password: Password,
) -> Result<LoginStep, AuthError> {
    throttle_client(&state.throttles, meta).await?;
    // Both fields are checked, and both refusals told at once.
    let (email, password_check) = (Email::parse(&email), check_login_password(password.expose()));
    let email = match (email, password_check) {
        (Ok(email), Ok(())) => email,
        (email, password_check) => {
            return Err([email.err(), password_check.err()]
                .into_iter()
                .flatten()
                .collect::<Vec<_>>()
                .into());
        }
    };
    // Per-account throttle, applied to unknown emails too so that a 429 says nothing
    // about whether an account exists. A browser that has logged in to this account
    // before is counted on its own, so strangers cannot lock its owner out.
    let account = email.as_str().to_owned();
    // The account first (or none, for an unknown address): a device cookie counts only for
    // the account as it is now.
    let user = state.accounts.users.find_by_email(&email).await?;
    let attempt = state
        .throttles
        .login
        .begin(&account, login::source(&state.sessions.devices, meta, user.as_ref()))
        .await?
        .map_err(AuthError::TooManyRequests)?;
    let checked = verify_credentials(state, &account, user, &password).await;
    // The right password of an account with a second factor is not yet a login: the
    // attempt neither fails nor succeeds (a success would wipe this source's earlier
    // failures, and wrong codes would never add up). The code decides (`second_factor`).
    let second_factor = match &checked {
        Ok(Some((user, _))) => match state.second_factor.factors.is_enabled(user.id).await {
            Ok(enabled) => enabled,
            Err(e) => {
                attempt.not_judged().await;
                return Err(e.into());
            }
        },
        _ => false,
    };
    let (user, matched) = if second_factor {
        attempt.not_judged().await;
        checked?.ok_or(AuthError::InvalidCredentials)?
    } else {
        attempt.settle(checked).await?.ok_or(AuthError::InvalidCredentials)?
    };
    tracing::Span::current().record("user_id", user.id);
    if state.accounts.require_verified_email && !user.email_verified() {
        refuse_unverified(state, &user).await;
        return Err(AuthError::EmailNotVerified);
    }
    let user_id = user.id;
    let mut credential = user.password_hash.clone();
    if matched == Matched::AsTyped || PasswordHasher::needs_rehash(&credential) {
        // The hash was made from the password as typed (before normalisation), or with
        // parameters since raised; the plain password is only available now, at login.
        // A failure here must not fail the login, and a password changed meanwhile is
        // never overwritten.
        match state
            .accounts
            .hasher
            .hash(&account, password.normalised().into_secret())
            .await
        {
            Ok(new_hash) => match state
                .accounts
                .users
                .rehash_password(user_id, &credential, &new_hash)
                .await
            {
                Ok(true) => {
                    tracing::info!("password hash upgraded to current parameters");
                    credential = new_hash;
                }
                Ok(false) => tracing::info!("password changed during login: hash not upgraded"),
                Err(e) => tracing::warn!(error = %e, "could not store upgraded password hash"),
            },
            Err(e) => tracing::warn!(error = %e, "could not upgrade password hash"),
        }
    }
    // With a second factor on, the right password starts no session: the login waits,
    // as a 401 carrying an `mfa_token`, for `POST /auth/login/mfa`.
    if second_factor {
        let challenge = super::second_factor::challenge(state, user_id, &credential).await?;
        return Ok(LoginStep::SecondFactor(challenge));
    }
    tracing::debug!("user logged in");
    LoginStep::session(state, &user, &credential).await
}

/// The right password for an unverified address, while verification is required: the
/// person is sent a fresh link (within the account's mail allowance), since without a
/// session they cannot ask for one from the profile.
pub(super) async fn refuse_unverified(state: &AppState, user: &StoredUser) {
    let allowed = state.throttles.mails_per_account.acquire(&user.id).await;
    if matches!(allowed, Ok(Ok(())))
        && let Err(e) = send_verification(state, user.id, &user.email).await
    {
        tracing::warn!(error = %e, "could not queue the verification mail");
    }
    tracing::info!("login refused: email not verified");
}

/// Exchanges the refresh token for a new access token and the token's successor. A
/// refused token answers [`AuthError::RefreshRefused`], which also makes the edge clear
/// the cookie. Throttled per client network and per session (a browser refreshes once
/// per page load and every 25 minutes).
///
/// No cookie at all is `Ok(None)`, not an error: every page load of a visitor who is not
/// logged in asks, and a 401 there would be a failed request in their browser's console.
#[tracing::instrument(name = "refresh", skip_all, fields(user_id))]
pub async fn refresh(state: &AppState, meta: &RequestMeta) -> Result<Option<SessionIssued<TokenResponse>>, AuthError> {
    state
        .throttles
        .refreshes_per_network
        .acquire(&meta.network())
        .await?
        .map_err(AuthError::TooManyRequests)?;
    let Some(presented) = meta.refresh_token.as_deref() else {
        return Ok(None);
    };
    if state.sessions.store.revoke_if_reused(presented).await? {
        tracing::warn!("refresh token reused: session revoked");
        return Err(AuthError::RefreshRefused("refresh token reused"));
    }
    let session_id = presented.split('.').next().unwrap_or_default().to_owned();
    state
        .throttles
        .refreshes_per_session
        .acquire(&session_id)
        .await?
        .map_err(AuthError::TooManyRequests)?;
    match state.sessions.store.rotate(presented).await? {
        Ok(session) => {
            tracing::Span::current().record("user_id", session.user_id);
            issue_for(state, session).map(Some)
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
    state.sessions.store.revoke(&principal.session_id).await?;
    Ok(LoggedOut { sessions_revoked: 1 })
}

/// Ends every session of the user, on every device.
#[tracing::instrument(name = "logout_all", skip_all, fields(user_id = principal.user.id))]
pub async fn logout_all(state: &AppState, principal: &Principal) -> Result<LoggedOut, AuthError> {
    let sessions_revoked = state.sessions.store.revoke_all(principal.user.id).await?;
    Ok(LoggedOut { sessions_revoked })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::server::test_support::{PASSWORD, create_user, log_in, meta, principal_of, test_state, with_bearer};

    /// A request carrying the refresh cookie of `issued`.
    fn refreshing<T>(issued: &SessionIssued<T>) -> RequestMeta {
        RequestMeta {
            refresh_token: Some(issued.refresh_token.0.clone()),
            ..meta()
        }
    }

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
            .expect("logged in")
            .into_session()
            .expect("no second factor");
        assert_eq!(issued.body.token_type, "bearer");
        let principal = principal_of(&t.state, &issued).await;
        assert_eq!(principal.user.id, user.id);
        // The refresh token names the same session as the access token.
        let renewed = refresh(&t.state, &refreshing(&issued))
            .await
            .expect("refreshed")
            .expect("a cookie was sent");
        assert_eq!(principal_of(&t.state, &renewed).await.session_id, principal.session_id);
    }

    #[tokio::test]
    async fn refresh_rotates_and_a_replayed_token_revokes_the_session() {
        let t = test_state().await;
        create_user(&t.state, "rot@example.com", Role::User).await;
        let first = log_in(&t.state, "rot@example.com").await;
        let second = refresh(&t.state, &refreshing(&first))
            .await
            .unwrap()
            .expect("a cookie was sent");
        assert_ne!(first.refresh_token.0, second.refresh_token.0);
        let third = refresh(&t.state, &refreshing(&second))
            .await
            .unwrap()
            .expect("a cookie was sent");

        // The first token again: theft. The whole session ends, its newest tokens too.
        let replay = refresh(&t.state, &refreshing(&first)).await;
        assert!(matches!(replay, Err(AuthError::RefreshRefused("refresh token reused"))));
        assert!(replay.err().is_some_and(|e| e.clears_refresh_cookie()));
        assert!(refresh(&t.state, &refreshing(&third)).await.is_err());
        let access = with_bearer(&third.body.access_token);
        assert!(matches!(
            authenticate(&t.state, &access).await,
            Err(AuthError::InvalidToken(_))
        ));
        // No cookie at all: nobody to refresh, which is not an error.
        assert!(matches!(refresh(&t.state, &meta()).await, Ok(None)));
    }

    #[tokio::test]
    async fn a_session_takes_constant_space_and_any_earlier_token_is_reuse() {
        let t = test_state().await;
        create_user(&t.state, "many@example.com", Role::User).await;
        let mut issued = log_in(&t.state, "many@example.com").await;
        let mut third = None;
        for n in 1..=200 {
            issued = refresh(&t.state, &refreshing(&issued))
                .await
                .expect("refreshed")
                .expect("a cookie was sent");
            if n == 3 {
                third = Some(issued.refresh_token.0.clone());
            }
        }
        let rows: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM sessions")
            .fetch_one(t.state.accounts.users.pool())
            .await
            .unwrap();
        assert_eq!(rows, 1);
        // A forged token of an earlier generation is a guess: it revokes nothing.
        let current = issued.refresh_token.0.clone();
        let session_id = current.split('.').next().unwrap();
        let forged = RequestMeta {
            refresh_token: Some(format!("{session_id}.2.{}", "ab".repeat(32))),
            ..meta()
        };
        assert!(matches!(
            refresh(&t.state, &forged).await,
            Err(AuthError::RefreshRefused(_))
        ));
        // The genuine cookie of refresh #3, presented after #200: reuse, the session ends.
        let old = RequestMeta {
            refresh_token: third,
            ..meta()
        };
        assert!(matches!(
            refresh(&t.state, &old).await,
            Err(AuthError::RefreshRefused("refresh token reused"))
        ));
        assert!(refresh(&t.state, &refreshing(&issued)).await.is_err());
        // Revoked (and expired) sessions are purged.
        let purged = t
            .state
            .sessions
            .store
            .purge(
                crate::server::sessions::store::now_secs() + 1,
                std::time::Duration::ZERO,
            )
            .await
            .unwrap();
        assert_eq!(purged, 1);
    }

    /// A login verifies the password, then starts a session. What happens in between —
    /// a password change, a deletion — must win: the session is tied to the verified
    /// hash, and a rehash never overwrites a newer password.
    #[tokio::test]
    async fn a_session_is_tied_to_the_password_that_was_verified() {
        let t = test_state().await;
        let user = create_user(&t.state, "race@example.com", Role::User).await;
        let users = &t.state.accounts.users;
        let stored = |id| async move { users.find_by_id(id).await.unwrap().unwrap().password_hash };
        let verified = stored(user.id).await;
        start_session(&t.state, user.id, &verified)
            .await
            .expect("unchanged: a session");
        // The password is changed between the login's verify and its insert.
        t.state
            .accounts
            .users
            .update_password_hash(user.id, "$argon2id$newer")
            .await
            .unwrap();
        assert!(matches!(
            start_session(&t.state, user.id, &verified).await,
            Err(AuthError::InvalidToken(_))
        ));
        assert!(
            !t.state
                .accounts
                .users
                .rehash_password(user.id, &verified, "$argon2id$rehash")
                .await
                .unwrap()
        );
        assert_eq!(stored(user.id).await, "$argon2id$newer");

        // The account is deleted between verify and insert: 401, not a database error.
        let gone = create_user(&t.state, "gone@example.com", Role::User).await;
        let verified = stored(gone.id).await;
        t.state.accounts.users.delete(gone.id).await.unwrap();
        assert!(matches!(
            start_session(&t.state, gone.id, &verified).await,
            Err(AuthError::InvalidToken(_))
        ));
    }

    #[tokio::test]
    async fn logout_ends_only_this_session() {
        let t = test_state().await;
        create_user(&t.state, "out@example.com", Role::User).await;
        let here = log_in(&t.state, "out@example.com").await;
        let there = log_in(&t.state, "out@example.com").await;
        let principal = principal_of(&t.state, &here).await;
        assert_eq!(logout(&t.state, &principal).await.unwrap().sessions_revoked, 1);
        let here_token = with_bearer(&here.body.access_token);
        assert!(authenticate(&t.state, &here_token).await.is_err());
        principal_of(&t.state, &there).await;
    }
}
