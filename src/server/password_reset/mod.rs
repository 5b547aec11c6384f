//! Forgotten passwords: a reset link by mail, and the reset itself.
//!
//! Asking for a link answers 202 with one body whether or not the address has an account,
//! and at once: the lookup, the token and the mail happen after the answer, in a task of
//! their own, so neither the answer nor its timing tells whether a mail went out. Asking
//! is throttled per address and per client network.

pub mod api;

use super::account::users::UserStore;
use super::error::AuthError;
use super::http::request_meta::RequestMeta;
use super::mail::links::{MailLinks, Purpose};
use super::mail::outbox::Outbox;
use super::mail::templates;
use super::sessions::hash_new_password;
use super::sessions::store::SessionStore;
use super::state::AppState;
use crate::api::{Accepted, Password, PasswordResetDone};
use crate::validation::{Email, Field, NewPassword};

pub const RESET_REQUESTED: &str = "If that address has an account, a reset link is on its way";

#[tracing::instrument(name = "password_reset_request", skip_all)]
pub async fn request_reset(state: &AppState, meta: &RequestMeta, email: String) -> Result<Accepted, AuthError> {
    let email = Email::parse(&email)?;
    state
        .throttles
        .auth_requests
        .acquire(&meta.network())
        .await?
        .map_err(AuthError::TooManyRequests)?;
    state
        .throttles
        .mails_per_address
        .acquire(&email.as_str().to_owned())
        .await?
        .map_err(AuthError::TooManyRequests)?;
    let state = state.clone();
    tokio::spawn(async move {
        if let Err(e) = send_reset_link(&state, &email).await {
            tracing::warn!(error = %e, "could not queue a password-reset mail");
        }
    });
    Ok(Accepted {
        detail: RESET_REQUESTED.to_owned(),
    })
}

/// The token and its mail, in one transaction; nothing at all for an unknown address.
async fn send_reset_link(state: &AppState, email: &Email) -> Result<(), sqlx::Error> {
    let Some(user) = state.accounts.users.find_by_email(email).await? else {
        return Ok(());
    };
    state
        .mail
        .mailer
        .send_link(user.id, Purpose::PasswordReset, &user.email, &[])
        .await
}

/// Sets a new password with a reset token: the same policy as everywhere, every session
/// of the account ends, every other link of the account dies, and a notice goes out.
#[tracing::instrument(name = "password_reset", skip_all, fields(user_id))]
pub async fn reset_password(
    state: &AppState,
    token: &str,
    new_password: Password,
) -> Result<PasswordResetDone, AuthError> {
    let user_id = state
        .mail
        .links
        .holder(token, Purpose::PasswordReset)
        .await?
        .ok_or(AuthError::InvalidLink)?;
    let user = state
        .accounts
        .users
        .find_by_id(user_id)
        .await?
        .ok_or(AuthError::InvalidLink)?;
    tracing::Span::current().record("user_id", user.id);
    let new = NewPassword::parse_field(Field::NewPassword, new_password, &user.email, &user.username)?;
    let hash = hash_new_password(&state.accounts.hasher, &user.email, &new).await?;

    let mut tx = state.database.pool().begin().await?;
    // Of two resets with one token (or a reset racing a newer link's), one wins here.
    let redeemed = MailLinks::consume(&mut tx, token, Purpose::PasswordReset)
        .await?
        .filter(|redeemed| redeemed.user_id == user.id)
        .ok_or(AuthError::InvalidLink)?;
    UserStore::set_password_hash(&mut *tx, user.id, &hash).await?;
    // The link was opened from the account's mailbox: the address receives mail (unless
    // the account has moved to another address since the link was sent).
    crate::server::email_address::proof::proven(&mut tx, user.id, &redeemed.address).await?;
    // Device cookies gathered before the reset (by whoever held the address) stop counting.
    UserStore::renew_device_epoch(&mut tx, user.id).await?;
    MailLinks::revoke_all(&mut tx, user.id).await?;
    Outbox::enqueue(&mut tx, &templates::password_changed(&user.email)).await?;
    // In the same transaction: a new password never stands beside the sessions it ends.
    let revoked = SessionStore::revoke_all_of(&mut *tx, user.id).await?;
    tx.commit().await?;
    state.mail.mailer.wake_worker();
    tracing::info!(sessions_revoked = revoked, "password reset");
    Ok(PasswordResetDone { password_reset: true })
}
