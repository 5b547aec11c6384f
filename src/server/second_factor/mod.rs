//! The second factor: an authenticator app (TOTP) and its recovery codes.
//!
//! - From the profile, always the `Principal`'s own account: `setup` (password → a new
//!   seed waiting for its first code), `enable` (the first right code turns it on and hands
//!   out 10 recovery codes, shown once), `disable` (password and a code), and
//!   `new_recovery_codes` (password and a code). Each change mails a notice.
//! - At login: `challenge` (the right password of an account with a second factor: no
//!   session, a 401 carrying an `mfa_token`) and `finish_login` (the token and a code or a
//!   recovery code → the session the login would have started).
//! - For admins: `remove` (a user who lost their device and their codes), with a notice.
//!
//! Wrong codes count like wrong passwords: at login against the account's throttle, from the
//! profile against the session's (`LoginThrottle`).

pub mod api;
pub mod challenges;
pub mod cipher;
pub mod failures;
pub mod store;
pub mod totp;

use self::failures::CodeFrom;
use self::store::{FactorStore, TotpRow};
use super::account::users::StoredUser;
use super::error::AuthError;
use super::http::request_meta::RequestMeta;
use super::mail::outbox::Outbox;
use super::mail::{templates, templates::FactorChange};
use super::sessions::login::{self, LoginStep};
use super::sessions::store::{SessionStore, now_secs};
use super::sessions::{Principal, confirm_password, throttle_client};
use super::state::AppState;
use super::throttles::login::Source;
use crate::api::{FactorRemoved, MfaChallenge, Password, RecoveryCodes, TotpEnrolment};

/// The right password of an account with a second factor: a pending login instead of a
/// session. `password_hash` is the credential just verified; the session is tied to it.
/// `methods` names what can finish it: the app's code and a recovery code always, a
/// passkey when the account has one.
pub async fn challenge(state: &AppState, user_id: i64, password_hash: &str) -> Result<MfaChallenge, AuthError> {
    let mut methods = vec!["totp".to_owned(), "recovery_code".to_owned()];
    if state.passkeys.relying_party.is_some() && state.passkeys.store.count(user_id).await? > 0 {
        methods.push("passkey".to_owned());
    }
    let mfa_token = state.second_factor.challenges.issue(user_id, password_hash).await?;
    Ok(MfaChallenge { mfa_token, methods })
}

/// How the second step of a login proves the factor.
pub enum Proof {
    Code(String),
    RecoveryCode(String),
    /// The browser's answer to `POST /auth/login/mfa/passkey`'s options.
    Passkey(serde_json::Value),
}

impl Proof {
    /// Exactly one of the three fields, or a 422 naming them.
    pub fn from_fields(
        code: Option<String>,
        recovery_code: Option<String>,
        passkey: Option<serde_json::Value>,
    ) -> Result<Self, AuthError> {
        match (code, recovery_code, passkey) {
            (Some(code), None, None) => Ok(Proof::Code(code)),
            (None, Some(recovery_code), None) => Ok(Proof::RecoveryCode(recovery_code)),
            (None, None, Some(passkey)) => Ok(Proof::Passkey(passkey)),
            _ => Err(AuthError::Invalid(vec![super::http::validation_issues::body(
                "code",
                "value_error",
                "Send exactly one of code, recovery_code and passkey",
                None,
            )])),
        }
    }

    /// A field that takes either: six digits are an app's code, anything else a
    /// recovery code.
    fn either(code: String) -> Self {
        match totp::code_shape(&code) {
            Some(_) => Proof::Code(code),
            None => Proof::RecoveryCode(code),
        }
    }
}

/// The second step of a login: `mfa_token` and a code → the session. Its outcome is
/// counted with the logins' (`authkit_logins_total`).
pub async fn finish_login(
    state: &AppState,
    meta: &RequestMeta,
    mfa_token: String,
    proof: Proof,
) -> Result<LoginStep, AuthError> {
    login::counted(state, check_code(state, meta, mfa_token, proof)).await
}

#[tracing::instrument(name = "login_mfa", skip_all, fields(user_id))]
async fn check_code(
    state: &AppState,
    meta: &RequestMeta,
    mfa_token: String,
    proof: Proof,
) -> Result<LoginStep, AuthError> {
    throttle_client(&state.throttles, meta).await?;
    let pending = state
        .second_factor
        .challenges
        .attempt(&mfa_token)
        .await?
        .ok_or(AuthError::LoginExpired)?;
    tracing::Span::current().record("user_id", pending.user_id);
    let user = state
        .accounts
        .users
        .find_by_id(pending.user_id)
        .await?
        .ok_or(AuthError::LoginExpired)?;
    let source = login::source(&state.sessions.devices, meta, Some(&user));
    let from = match source {
        Source::Device(_) => CodeFrom::Known,
        Source::Network(_) | Source::Session(_) => CodeFrom::Stranger,
    };
    let attempt = state
        .throttles
        .login
        .begin(&user.email, source)
        .await?
        .map_err(AuthError::TooManyRequests)?;
    attempt
        .settle(check_proof(state, &user, proof, Some(&mfa_token), from).await)
        .await?
        .ok_or(AuthError::InvalidCode)?;
    // Two right codes sent at once: only the request that ends the login gets a session.
    if !state.second_factor.challenges.consume(&mfa_token).await? {
        return Err(AuthError::LoginExpired);
    }
    tracing::debug!("user logged in with a second factor");
    LoginStep::session(state, &user, &pending.password_hash).await
}

/// Does `proof` hold for the account's second factor? A right code is used up here. A
/// passkey is only a proof within the login `mfa_token` started its ceremony for. Codes
/// and recovery codes are counted in the account's run of wrong ones (`failures`).
async fn check_proof(
    state: &AppState,
    user: &StoredUser,
    proof: Proof,
    mfa_token: Option<&str>,
    from: CodeFrom,
) -> Result<Option<()>, AuthError> {
    let user_id = user.id;
    // A passkey's answer cannot be guessed: only codes count in the run of wrong ones, and
    // only a stranger's app code is held to its cap (a recovery code cannot be guessed
    // either, but a wrong one is a sign of guessing all the same).
    let counted = match &proof {
        Proof::Passkey(_) => None,
        Proof::Code(_) => failures::begin(state, user_id, from == CodeFrom::Stranger).await?,
        Proof::RecoveryCode(_) => failures::begin(state, user_id, false).await?,
    };
    let accepted = match proof {
        Proof::Passkey(sent) => match mfa_token {
            Some(mfa_token) => super::passkeys::second_factor_holds(state, user_id, mfa_token, sent).await?,
            None => false,
        },
        Proof::Code(code) => match state
            .second_factor
            .factors
            .totp(user_id)
            .await?
            .filter(TotpRow::enabled)
        {
            Some(row) => {
                let seed = open_seed(state, user_id, &row).await?;
                match totp::accepted_step(&seed, &code, now_secs(), row.last_step) {
                    // Recorded only if no other request used this step or a later one first.
                    Some(step) => state.second_factor.factors.use_step(user_id, step).await?,
                    None => false,
                }
            }
            None => false,
        },
        Proof::RecoveryCode(code) => match totp::recovery_code_hash(&code) {
            Some(hash) => {
                let used = state.second_factor.factors.use_recovery_code(user_id, &hash).await?;
                if used {
                    let left = state.second_factor.factors.recovery_codes_left(user_id).await?;
                    tracing::info!(left, "recovery code used");
                }
                used
            }
            None => false,
        },
    };
    match counted {
        Some(count) => failures::settle(state, user, count, accepted).await?,
        // A passkey that opens ends a run of wrong codes too.
        None if accepted => state.second_factor.factors.clear_failed_codes(user_id).await?,
        None => {}
    }
    Ok(accepted.then_some(()))
}

/// The account's seed in plain. One sealed under the previous key is sealed again under
/// the current one.
async fn open_seed(state: &AppState, user_id: i64, row: &TotpRow) -> Result<Vec<u8>, AuthError> {
    let opened = state
        .second_factor
        .cipher
        .open(user_id, &row.secret)
        .map_err(AuthError::internal)?;
    if opened.previous_key {
        let resealed = state.second_factor.cipher.seal(user_id, &opened.plain);
        state
            .second_factor
            .factors
            .reseal(user_id, &row.secret, &resealed)
            .await?;
    }
    Ok(opened.plain)
}

/// A code typed on the profile, counted against the session's throttle like a password.
/// The session's sign-in was a proof already, so the cap on wrong codes does not lock it
/// out (its wrong codes still count).
async fn confirm_code(state: &AppState, principal: &Principal, proof: Proof) -> Result<(), AuthError> {
    let attempt = state
        .throttles
        .login
        .begin(&principal.user.email, Source::Session(principal.session_id.clone()))
        .await?
        .map_err(AuthError::TooManyRequests)?;
    attempt
        .settle(check_proof(state, &principal.user, proof, None, CodeFrom::Known).await)
        .await?
        .ok_or(AuthError::InvalidCode)
}

/// Step-up: with a second factor on, a change that adds a way in or moves the account (a
/// passkey, a new address) needs a current code or a recovery code beside the password, so
/// that the password and a session alone add nothing. Called once the password matched.
/// Without a second factor there is nothing to step up to, and `code` is ignored.
pub async fn step_up(state: &AppState, principal: &Principal, code: Option<String>) -> Result<(), AuthError> {
    if !state.second_factor.factors.is_enabled(principal.user.id).await? {
        return Ok(());
    }
    let code = code
        .filter(|code| !code.trim().is_empty())
        .ok_or(AuthError::CodeRequired)?;
    confirm_code(state, principal, Proof::either(code)).await
}

/// Step one of turning it on: a new seed, to be shown to the person.
#[tracing::instrument(name = "totp_setup", skip_all, fields(user_id = principal.user.id))]
pub async fn setup(state: &AppState, principal: &Principal, password: Password) -> Result<TotpEnrolment, AuthError> {
    // Whoever signed up with an address they do not own must not add a way in that
    // outlives the owner's recovery of it (`email_address::proof`).
    if !principal.user.email_verified() {
        return Err(AuthError::EmailNotVerified);
    }
    confirm_password(state, principal, password).await?;
    let user = &principal.user;
    let seed = totp::new_seed();
    if !state
        .second_factor
        .factors
        .begin_totp(user.id, &state.second_factor.cipher.seal(user.id, &seed))
        .await?
    {
        return Err(AuthError::SecondFactorAlreadyOn);
    }
    let enrolment = totp::enrolment(&seed, &user.email);
    Ok(TotpEnrolment {
        secret: enrolment.secret,
        otpauth_uri: enrolment.uri,
        qr_svg: enrolment.qr_svg,
    })
}

/// Step two: the first right code from the app turns the second factor on.
#[tracing::instrument(name = "totp_enable", skip_all, fields(user_id = principal.user.id))]
pub async fn enable(state: &AppState, principal: &Principal, code: String) -> Result<RecoveryCodes, AuthError> {
    let user = &principal.user;
    let row = match state.second_factor.factors.totp(user.id).await? {
        Some(row) if row.enabled() => return Err(AuthError::SecondFactorAlreadyOn),
        Some(row) => row,
        None => return Err(AuthError::NoSetupPending),
    };
    // Not resealed here: turning on matches the stored sealed seed, which must not move.
    let seed = state
        .second_factor
        .cipher
        .open(user.id, &row.secret)
        .map_err(AuthError::internal)?
        .plain;
    let attempt = state
        .throttles
        .login
        .begin(&user.email, Source::Session(principal.session_id.clone()))
        .await?
        .map_err(AuthError::TooManyRequests)?;
    let step = attempt
        .settle(Ok::<_, AuthError>(totp::accepted_step(&seed, &code, now_secs(), 0)))
        .await?
        .ok_or(AuthError::InvalidCode)?;
    let codes = totp::new_recovery_codes();
    let mut tx = state.database.pool().begin().await?;
    if !FactorStore::enable_totp(&mut tx, user.id, &row.secret, step).await? {
        return Err(AuthError::SecondFactorAlreadyOn);
    }
    FactorStore::replace_recovery_codes(&mut tx, user.id, &hashes(&codes)).await?;
    // Whoever else holds a session (a browser left signed in, a stolen token) must sign in
    // again, now with the code.
    let revoked = SessionStore::revoke_others_of(&mut tx, user.id, &principal.session_id).await?;
    Outbox::enqueue(&mut tx, &templates::factor_change(&user.email, FactorChange::Enabled)).await?;
    tx.commit().await?;
    state.mail.mailer.wake_worker();
    tracing::info!(sessions_revoked = revoked, "second factor turned on");
    Ok(RecoveryCodes { recovery_codes: codes })
}

/// Turns it off: the password and a code (or a recovery code).
#[tracing::instrument(name = "totp_disable", skip_all, fields(user_id = principal.user.id))]
pub async fn disable(
    state: &AppState,
    principal: &Principal,
    password: Password,
    code: String,
) -> Result<FactorRemoved, AuthError> {
    confirm_password(state, principal, password).await?;
    let user = &principal.user;
    if !state.second_factor.factors.is_enabled(user.id).await? {
        return Err(AuthError::SecondFactorNotOn);
    }
    confirm_code(state, principal, Proof::either(code)).await?;
    remove_with_notice(state, user, FactorChange::Disabled).await?;
    Ok(FactorRemoved::new())
}

/// A fresh set of recovery codes (the old ones stop working): the password and a code.
#[tracing::instrument(name = "new_recovery_codes", skip_all, fields(user_id = principal.user.id))]
pub async fn new_recovery_codes(
    state: &AppState,
    principal: &Principal,
    password: Password,
    code: String,
) -> Result<RecoveryCodes, AuthError> {
    confirm_password(state, principal, password).await?;
    let user = &principal.user;
    if !state.second_factor.factors.is_enabled(user.id).await? {
        return Err(AuthError::SecondFactorNotOn);
    }
    confirm_code(state, principal, Proof::either(code)).await?;
    let codes = totp::new_recovery_codes();
    let mut tx = state.database.pool().begin().await?;
    FactorStore::replace_recovery_codes(&mut tx, user.id, &hashes(&codes)).await?;
    Outbox::enqueue(
        &mut tx,
        &templates::factor_change(&user.email, FactorChange::NewRecoveryCodes),
    )
    .await?;
    tx.commit().await?;
    state.mail.mailer.wake_worker();
    tracing::info!("recovery codes replaced");
    Ok(RecoveryCodes { recovery_codes: codes })
}

/// An admin removes a user's second factor (they lost their device and their codes). The
/// user is told by mail. Removing from an account without one changes nothing.
#[tracing::instrument(name = "remove_second_factor", skip_all, fields(admin_id = admin.user.id, user_id))]
pub async fn remove(state: &AppState, admin: &Principal, user_id: i64) -> Result<FactorRemoved, AuthError> {
    super::admin::require_admin(admin)?;
    tracing::Span::current().record("user_id", user_id);
    let user = state
        .accounts
        .users
        .find_by_id(user_id)
        .await?
        .ok_or(AuthError::UnknownUser)?;
    remove_with_notice(state, &user, FactorChange::RemovedByAdmin).await?;
    Ok(FactorRemoved::new())
}

async fn remove_with_notice(state: &AppState, user: &StoredUser, change: FactorChange) -> Result<(), AuthError> {
    let mut tx = state.database.pool().begin().await?;
    let removed = FactorStore::remove(&mut tx, user.id).await?;
    if removed {
        Outbox::enqueue(&mut tx, &templates::factor_change(&user.email, change)).await?;
    }
    tx.commit().await?;
    if removed {
        state.mail.mailer.wake_worker();
        tracing::info!("second factor removed");
    }
    Ok(())
}

fn hashes(codes: &[String]) -> Vec<String> {
    codes.iter().filter_map(|code| totp::recovery_code_hash(code)).collect()
}
