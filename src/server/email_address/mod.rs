//! The address behind an account: proving that it receives mail, and moving the account
//! to another one.
//!
//! - **Verification.** Signup mails a link (`/verify-email#token=…`); opening it marks the
//!   address verified, if it is still the account's address. A logged-in person can ask
//!   for the link again. With `REQUIRE_EMAIL_VERIFICATION`, login refuses an unverified
//!   address (`super::sessions::login`), after the password matched.
//! - **Change.** Asked for with the password; the link goes to the new address, a notice
//!   to the old one, and nothing changes until the link is opened. The unique index on
//!   the address decides, at that moment, whether the new address is still free.
//!
//! Every mail a logged-in account asks for here counts against its hourly allowance
//! (`ACCOUNT_MAILS_PER_HOUR`), and a new address also against the per-address one that
//! reset requests use, so neither an account nor many accounts can flood a mailbox.

pub mod api;
pub mod proof;

use super::account::users::{Proven, UserStore};
use super::error::AuthError;
use super::mail::links::{MailLinks, Purpose};
use super::mail::templates;
use super::sessions::{Principal, confirm_password};
use super::state::AppState;
use crate::api::{Accepted, EmailChanged, EmailVerified, Password};
use crate::validation::{Email, Field, FieldError};

pub const VERIFICATION_SENT: &str = "A verification link is on its way";
pub const CHANGE_SENT: &str = "A confirmation link is on its way to the new address";

/// Mails the account a link that verifies its current address.
pub async fn send_verification(state: &AppState, user_id: i64, email: &str) -> Result<(), sqlx::Error> {
    state
        .mail
        .mailer
        .send_link(user_id, Purpose::VerifyEmail, email, &[])
        .await
}

#[tracing::instrument(name = "resend_verification", skip_all, fields(user_id = principal.user.id))]
pub async fn resend_verification(state: &AppState, principal: &Principal) -> Result<Accepted, AuthError> {
    let user = &principal.user;
    if user.email_verified() {
        return Err(AuthError::AlreadyVerified);
    }
    throttle_account(state, user.id).await?;
    send_verification(state, user.id, &user.email).await?;
    Ok(Accepted {
        detail: VERIFICATION_SENT.to_owned(),
    })
}

/// Opens a verification link. Needs no login: the link may be opened on another device.
#[tracing::instrument(name = "verify_email", skip_all, fields(user_id))]
pub async fn verify_email(state: &AppState, token: &str) -> Result<EmailVerified, AuthError> {
    let mut tx = state.database.pool().begin().await?;
    let redeemed = MailLinks::consume(&mut tx, token, Purpose::VerifyEmail)
        .await?
        .ok_or(AuthError::InvalidLink)?;
    tracing::Span::current().record("user_id", redeemed.user_id);
    // A link to an address the account has left since proves nothing about the new one.
    if proof::proven(&mut tx, redeemed.user_id, &redeemed.address).await? == Proven::NotItsAddress {
        return Err(AuthError::InvalidLink);
    }
    tx.commit().await?;
    state.mail.mailer.wake_worker();
    tracing::info!("email verified");
    Ok(EmailVerified { email_verified: true })
}

/// Asks to move the account to `new_email`, confirmed by the password.
#[tracing::instrument(name = "request_email_change", skip_all, fields(user_id = principal.user.id))]
pub async fn request_change(
    state: &AppState,
    principal: &Principal,
    new_email: String,
    password: Password,
    code: Option<String>,
) -> Result<Accepted, AuthError> {
    let user = &principal.user;
    let parsed = Email::parse(&new_email).map_err(|e| e.about(Field::NewEmail))?;
    if parsed.as_str() == user.email {
        let same = FieldError::new(Field::NewEmail, "This is already your email address").with_input(&new_email);
        return Err(same.into());
    }
    let new_email = parsed;
    confirm_password(state, principal, password).await?;
    super::second_factor::step_up(state, principal, code).await?;
    // Spent before the answer, so that a taken address costs the same as a free one: an
    // account cannot test more addresses than it may send mails (issue 21).
    throttle_account(state, user.id).await?;
    // Told now, as signup would tell it; checked again when the link is opened, since
    // someone may sign up with the address in between.
    if state.accounts.users.find_by_email(&new_email).await?.is_some() {
        return Err(AuthError::EmailTaken);
    }
    state
        .throttles
        .mails_per_address
        .acquire(&new_email.as_str().to_owned())
        .await?
        .map_err(AuthError::TooManyRequests)?;
    let notice = templates::email_change_notice(&user.email, new_email.as_str());
    state
        .mail
        .mailer
        .send_link(user.id, Purpose::ChangeEmail, new_email.as_str(), &[notice])
        .await?;
    tracing::info!("email change asked for");
    Ok(Accepted {
        detail: CHANGE_SENT.to_owned(),
    })
}

/// Opens the link of an email change: the account moves to the new address, which
/// counts as verified; every other link of the account dies (they were mailed to, or
/// about, the old address).
#[tracing::instrument(name = "confirm_email_change", skip_all, fields(user_id))]
pub async fn confirm_change(state: &AppState, token: &str) -> Result<EmailChanged, AuthError> {
    let mut tx = state.database.pool().begin().await?;
    let redeemed = MailLinks::consume(&mut tx, token, Purpose::ChangeEmail)
        .await?
        .ok_or(AuthError::InvalidLink)?;
    tracing::Span::current().record("user_id", redeemed.user_id);
    // A taken address fails here (the unique index) and rolls back, token included.
    UserStore::set_verified_email(&mut tx, redeemed.user_id, &redeemed.address)
        .await?
        .ok_or(AuthError::InvalidLink)?;
    MailLinks::revoke_all(&mut tx, redeemed.user_id).await?;
    tx.commit().await?;
    tracing::info!("email changed");
    Ok(EmailChanged {
        email: redeemed.address,
        email_verified: true,
    })
}

async fn throttle_account(state: &AppState, user_id: i64) -> Result<(), AuthError> {
    state
        .throttles
        .mails_per_account
        .acquire(&user_id)
        .await?
        .map_err(AuthError::TooManyRequests)
}
