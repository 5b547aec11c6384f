//! Managing one's own account. Every operation acts on the authenticated person only:
//! there is no user id to choose, so nobody can reach another user's data here.

use super::auth::{Principal, authenticate, confirm_password, send_cookie, start_session, state};
use super::error::AuthError;
use super::password_policy::check_not_guessable;
use crate::api::{Account, Deleted, Password, TokenResponse, User};
use crate::validation::{Username, check_new_password};

#[tracing::instrument(name = "account", skip_all, fields(user_id))]
pub async fn account() -> Result<Account, AuthError> {
    let state = state()?;
    Ok(authenticate(&state).await?.user.account())
}

#[tracing::instrument(name = "update_username", skip_all, fields(user_id))]
pub async fn update_username(username: String) -> Result<User, AuthError> {
    let state = state()?;
    let Principal { user, .. } = authenticate(&state).await?;
    let username = Username::parse(&username)?;
    let updated = state
        .users
        .update_username(user.id, &username)
        .await?
        .ok_or(AuthError::InvalidToken("user no longer exists"))?;
    Ok(updated.into())
}

/// Changes the password. Every session of the user ends (a thief who had one is out),
/// and this browser gets a fresh one.
#[tracing::instrument(name = "change_password", skip_all, fields(user_id))]
pub async fn change_password(current: Password, new: Password) -> Result<TokenResponse, AuthError> {
    let state = state()?;
    let Principal { user, .. } = authenticate(&state).await?;
    // The new password's rules first: they cost nothing, the hash below does.
    check_new_password(new.expose(), &user.email, &user.username)?;
    check_not_guessable(new.expose(), &[user.email.as_str(), user.username.as_str()])?;
    confirm_password(&state, &user, current).await?;
    let hash = state.hasher.hash(new.into_secret()).await?;
    state.users.update_password_hash(user.id, &hash).await?;
    let revoked = state.sessions.revoke_all(user.id).await?;
    tracing::info!(sessions_revoked = revoked, "password changed");
    let token = start_session(&state, user.id).await?;
    Ok(TokenResponse::bearer(token))
}

#[tracing::instrument(name = "delete_account", skip_all, fields(user_id))]
pub async fn delete_account(password: Password) -> Result<Deleted, AuthError> {
    let state = state()?;
    let Principal { user, .. } = authenticate(&state).await?;
    confirm_password(&state, &user, password).await?;
    let deleted = state.users.delete(user.id).await?;
    send_cookie(state.cookies.clear());
    tracing::info!("account deleted");
    Ok(Deleted { deleted })
}
