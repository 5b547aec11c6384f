//! Managing one's own account. Every operation acts on the authenticated [`Principal`]
//! only: there is no user id to choose, so nobody can reach another user's data here.

pub mod api;
pub mod hash_memory;
pub mod hash_shares;
pub mod password;
pub mod password_policy;
pub mod users;

use self::users::{Guarded, UserStore};
use super::error::AuthError;
use super::mail::links::MailLinks;
use super::mail::outbox::Outbox;
use super::mail::templates;
use super::sessions::store::SessionStore;
use super::sessions::{Principal, SessionIssued, confirm_password, hash_new_password, start_session};
use super::state::AppState;
use crate::api::{Account, Deleted, Password, TokenResponse, User};
use crate::validation::{Field, NewPassword, Username};

pub async fn account(state: &AppState, principal: &Principal) -> Result<Account, AuthError> {
    let second_factor = state.second_factor.factors.is_enabled(principal.user.id).await?;
    Ok(principal.user.account(second_factor))
}

#[tracing::instrument(name = "update_username", skip_all, fields(user_id = principal.user.id))]
pub async fn update_username(state: &AppState, principal: &Principal, username: String) -> Result<User, AuthError> {
    let username = Username::parse(&username)?;
    let updated = state
        .accounts
        .users
        .update_username(principal.user.id, &username)
        .await?
        .ok_or(AuthError::InvalidToken("user no longer exists"))?;
    Ok(updated.into())
}

/// Changes the password. Every session of the user ends (a thief who had one is out),
/// and this browser gets a fresh one.
#[tracing::instrument(name = "change_password", skip_all, fields(user_id = principal.user.id))]
pub async fn change_password(
    state: &AppState,
    principal: &Principal,
    current: Password,
    new: Password,
) -> Result<SessionIssued<TokenResponse>, AuthError> {
    let user = &principal.user;
    // The new password's cheap rules first; then the current password, behind the
    // throttle; only then the dictionary check, whose cost depends on what was sent.
    let new = NewPassword::parse_field(Field::NewPassword, new, &user.email, &user.username)?;
    confirm_password(state, principal, current).await?;
    let hash = hash_new_password(&state.accounts.hasher, &user.email, &new).await?;
    let mut tx = state.database.pool().begin().await?;
    UserStore::set_password_hash(&mut *tx, user.id, &hash).await?;
    // Links mailed before the change (a reset, an address change) must not undo it.
    MailLinks::revoke_all(&mut tx, user.id).await?;
    // If it was not the owner, the owner learns of it from their mailbox.
    Outbox::enqueue(&mut tx, &templates::password_changed(&user.email)).await?;
    // In the same transaction: a new password never stands beside the sessions it ends.
    let revoked = SessionStore::revoke_all_of(&mut *tx, user.id).await?;
    tx.commit().await?;
    state.mail.mailer.wake_worker();
    tracing::info!(sessions_revoked = revoked, "password changed");
    start_session(state, user.id, &hash).await
}

/// Deletes the account (and with it every session), confirmed by the password. The last
/// admin cannot: someone must be left to administer.
#[tracing::instrument(name = "delete_account", skip_all, fields(user_id = principal.user.id))]
pub async fn delete_account(state: &AppState, principal: &Principal, password: Password) -> Result<Deleted, AuthError> {
    confirm_password(state, principal, password).await?;
    let deleted = match state.accounts.users.delete(principal.user.id).await? {
        Guarded::Done(()) => true,
        Guarded::NoSuchUser => false,
        Guarded::LastAdmin => return Err(AuthError::LastAdmin),
    };
    tracing::info!("account deleted");
    Ok(Deleted { deleted })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::Role;
    use crate::server::sessions::{authenticate, login};
    use crate::server::test_support::{PASSWORD, create_user, meta, principal_of, test_state, with_bearer};

    const NEW_PASSWORD: &str = "a completely different passphrase";

    #[tokio::test]
    async fn changing_the_password_ends_every_other_session() {
        let t = test_state().await;
        create_user(&t.state, "pw@example.com", Role::User).await;
        let meta = meta();
        let log_in = |password: &'static str| login(&t.state, &meta, "pw@example.com".into(), Password::new(password));
        let here = log_in(PASSWORD).await.unwrap().into_session().unwrap();
        let elsewhere = log_in(PASSWORD).await.unwrap().into_session().unwrap();
        let principal = principal_of(&t.state, &here).await;

        let wrong = change_password(
            &t.state,
            &principal,
            Password::new("not it at all"),
            Password::new(NEW_PASSWORD),
        );
        assert!(matches!(wrong.await, Err(AuthError::WrongPassword)));
        let weak = change_password(
            &t.state,
            &principal,
            Password::new(PASSWORD),
            Password::new("password123"),
        );
        assert!(matches!(weak.await, Err(AuthError::InvalidField(_))));

        let fresh = change_password(
            &t.state,
            &principal,
            Password::new(PASSWORD),
            Password::new(NEW_PASSWORD),
        )
        .await
        .expect("changed");
        principal_of(&t.state, &fresh).await;
        for old in [&here, &elsewhere] {
            let token = with_bearer(&old.body.access_token);
            assert!(authenticate(&t.state, &token).await.is_err());
        }
        assert!(matches!(log_in(PASSWORD).await, Err(AuthError::InvalidCredentials)));
        assert!(log_in(NEW_PASSWORD).await.is_ok());
    }
}
