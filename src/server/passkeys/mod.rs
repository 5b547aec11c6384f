//! Passkeys (WebAuthn), through webauthn-rs: registering them from the profile (named,
//! listed, deleted), signing in with one alone (a discoverable credential: the passkey says
//! whose it is), and using one as the second factor instead of an app's code.
//!
//! Every ceremony is two requests: a start, which keeps webauthn-rs's state (the challenge)
//! in `webauthn_ceremonies` and hands the browser its options, and a finish, which takes that
//! state back (once: the row is deleted) and checks the browser's answer against it. The
//! relying party is `PUBLIC_URL`: its host is the RP id and it is the only origin accepted,
//! so a passkey made here is useless on any other site (phishing-resistant). A `PUBLIC_URL`
//! that is an IP address cannot be an RP id: passkeys are then unavailable.

pub mod api;
pub mod store;

use self::store::{PasskeyStore, Purpose};
use super::error::AuthError;
use super::http::request_meta::RequestMeta;
use super::mail::outbox::Outbox;
use super::mail::{templates, templates::FactorChange};
use super::sessions::login::{self, LoginStep};
use super::sessions::{Principal, confirm_password, throttle_client};
use super::state::AppState;
use crate::api::{Deleted, PasskeyInfo, PasskeyList, PasskeyOptions, PasskeysRemoved, Password};
use crate::validation::PasskeyName;
use serde_json::Value;
use webauthn_rs::prelude::*;

/// The relying party for `public_url`, or `None` when its host is not a domain name.
pub fn relying_party(public_url: &str) -> Option<Webauthn> {
    let origin = Url::parse(public_url).ok()?;
    let rp_id = origin.domain()?.to_owned();
    WebauthnBuilder::new(&rp_id, &origin)
        .ok()?
        .rp_name("AuthKit")
        .build()
        .ok()
}

/// The user handle a passkey carries: derived from the account id (never an address or a
/// name, which the spec forbids), so the server needs no table to map it back.
fn user_handle(user_id: i64) -> Uuid {
    Uuid::from_u64_pair(0x6175_7468_6b69_7400, user_id as u64)
}

fn user_of_handle(handle: Uuid) -> Option<i64> {
    let (prefix, id) = handle.as_u64_pair();
    (prefix == 0x6175_7468_6b69_7400).then_some(id as i64)
}

fn webauthn(state: &AppState) -> Result<&Webauthn, AuthError> {
    state
        .passkeys
        .relying_party
        .as_ref()
        .ok_or(AuthError::PasskeysUnavailable)
}

fn to_json<T: serde::Serialize>(value: &T) -> Result<String, AuthError> {
    serde_json::to_string(value).map_err(AuthError::internal)
}

fn from_json<T: serde::de::DeserializeOwned>(stored: &str) -> Result<T, AuthError> {
    serde_json::from_str(stored).map_err(AuthError::internal)
}

/// The browser's answer, as webauthn-rs reads it; a 422 at `["body","credential"]` when it
/// is not one.
fn credential<T: serde::de::DeserializeOwned>(sent: Value) -> Result<T, AuthError> {
    serde_json::from_value(sent).map_err(|e| {
        AuthError::Invalid(vec![super::http::validation_issues::body(
            "credential",
            "value_error",
            format!("Not a WebAuthn credential: {e}"),
            None,
        )])
    })
}

/// A credential id as the browser's `id` names it: base64url without padding.
fn credential_id(id: &[u8]) -> String {
    use base64::Engine;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(id)
}

fn options_json<T: serde::Serialize>(options: &T) -> Result<Value, AuthError> {
    serde_json::to_value(options).map_err(AuthError::internal)
}

/// Step one of adding a passkey: the password, then the options for
/// `navigator.credentials.create`. The passkey must be discoverable (kept on the
/// authenticator with the account's handle), so that it can sign in without an address.
#[tracing::instrument(name = "passkey_register_start", skip_all, fields(user_id = principal.user.id))]
pub async fn register_start(
    state: &AppState,
    principal: &Principal,
    password: Password,
    code: Option<String>,
) -> Result<PasskeyOptions, AuthError> {
    let webauthn = webauthn(state)?;
    // As for an authenticator app: only on a proven address (`email_address::proof`).
    if !principal.user.email_verified() {
        return Err(AuthError::EmailNotVerified);
    }
    confirm_password(state, principal, password).await?;
    super::second_factor::step_up(state, principal, code).await?;
    let user = &principal.user;
    let existing: Vec<CredentialID> = registered(state, user.id)
        .await?
        .iter()
        .map(|passkey| passkey.cred_id().clone())
        .collect();
    let (options, registration) = webauthn
        .start_passkey_registration(user_handle(user.id), &user.email, &user.username, Some(existing))
        .map_err(AuthError::internal)?;
    let mut options = options_json(&options)?;
    if let Some(selection) = options.pointer_mut("/publicKey/authenticatorSelection") {
        selection["residentKey"] = "required".into();
        selection["requireResidentKey"] = true.into();
    }
    let ceremony_id = state
        .passkeys
        .ceremonies
        .start(Purpose::Register, Some(user.id), &to_json(&registration)?)
        .await?;
    Ok(PasskeyOptions { ceremony_id, options })
}

/// Step two: the authenticator's answer, checked against the ceremony; the passkey is
/// stored under its name and the owner is told by mail.
#[tracing::instrument(name = "passkey_register_finish", skip_all, fields(user_id = principal.user.id))]
pub async fn register_finish(
    state: &AppState,
    principal: &Principal,
    ceremony_id: String,
    name: String,
    sent: Value,
) -> Result<PasskeyInfo, AuthError> {
    let webauthn = webauthn(state)?;
    let name = PasskeyName::parse(&name)?;
    let answer: RegisterPublicKeyCredential = credential(sent)?;
    let user = &principal.user;
    let started = state
        .passkeys
        .ceremonies
        .take(&ceremony_id, Purpose::Register)
        .await?
        .filter(|started| started.user_id == Some(user.id))
        .ok_or(AuthError::CeremonyExpired)?;
    let registration: PasskeyRegistration = from_json(&started.state)?;
    let passkey = webauthn
        .finish_passkey_registration(&answer, &registration)
        .map_err(|e| {
            tracing::info!(error = %e, "passkey registration refused");
            AuthError::PasskeyRefused
        })?;
    let id = credential_id(passkey.cred_id());
    let mut tx = state.database.pool().begin().await?;
    // The library leaves it to us: a credential registered to any account is refused.
    if !PasskeyStore::insert(&mut tx, user.id, &id, name.as_str(), &to_json(&passkey)?).await? {
        return Err(AuthError::PasskeyTaken);
    }
    Outbox::enqueue(
        &mut tx,
        &templates::factor_change(&user.email, FactorChange::PasskeyAdded),
    )
    .await?;
    tx.commit().await?;
    state.mail.mailer.wake_worker();
    tracing::info!("passkey added");
    Ok(PasskeyInfo {
        id,
        name: name.as_str().to_owned(),
        created_at: super::sessions::store::now_secs(),
        last_used_at: None,
    })
}

pub async fn list(state: &AppState, principal: &Principal) -> Result<PasskeyList, AuthError> {
    let passkeys = state
        .passkeys
        .store
        .list(principal.user.id)
        .await?
        .into_iter()
        .map(|row| PasskeyInfo {
            id: row.credential_id,
            name: row.name,
            created_at: row.created_at,
            last_used_at: row.last_used_at,
        })
        .collect();
    Ok(PasskeyList { passkeys })
}

#[tracing::instrument(name = "passkey_delete", skip_all, fields(user_id = principal.user.id))]
pub async fn delete(state: &AppState, principal: &Principal, id: String) -> Result<Deleted, AuthError> {
    let user = &principal.user;
    let mut tx = state.database.pool().begin().await?;
    if !PasskeyStore::delete(&mut tx, user.id, &id).await? {
        return Err(AuthError::UnknownPasskey);
    }
    Outbox::enqueue(
        &mut tx,
        &templates::factor_change(&user.email, FactorChange::PasskeyRemoved),
    )
    .await?;
    tx.commit().await?;
    state.mail.mailer.wake_worker();
    tracing::info!("passkey deleted");
    Ok(Deleted { deleted: true })
}

/// An admin removes every passkey of `user_id` (a lost or stolen device), with a notice to
/// the user when there were any.
#[tracing::instrument(name = "passkeys_remove_by_admin", skip_all, fields(user_id))]
pub async fn remove_by_admin(state: &AppState, admin: &Principal, user_id: i64) -> Result<PasskeysRemoved, AuthError> {
    crate::server::admin::require_admin(admin)?;
    tracing::Span::current().record("user_id", user_id);
    let user = state
        .accounts
        .users
        .find_by_id(user_id)
        .await?
        .ok_or(AuthError::UnknownUser)?;
    let mut tx = state.database.pool().begin().await?;
    let removed = PasskeyStore::remove_all(&mut tx, user.id).await?;
    if removed > 0 {
        Outbox::enqueue(
            &mut tx,
            &templates::factor_change(&user.email, FactorChange::PasskeysRemovedByAdmin),
        )
        .await?;
    }
    tx.commit().await?;
    if removed > 0 {
        state.mail.mailer.wake_worker();
        tracing::info!(removed, "passkeys removed by an admin");
    }
    Ok(PasskeysRemoved {
        passkeys_removed: removed,
    })
}

/// Records a use of `passkey`: its time and, when the authenticator's signature counter
/// moved on, the passkey with its new counter (`PasskeyStore::used` keeps the highest).
async fn record_use(
    state: &AppState,
    id: &str,
    passkey: &mut Passkey,
    result: &AuthenticationResult,
) -> Result<(), AuthError> {
    let moved = match passkey.update_credential(result) {
        Some(true) => Some((to_json(passkey)?, i64::from(result.counter()))),
        _ => None,
    };
    let moved = moved
        .as_ref()
        .map(|(credential, counter)| (credential.as_str(), *counter));
    state.passkeys.store.used(id, moved).await?;
    Ok(())
}

/// The account's passkeys, as webauthn-rs needs them.
async fn registered(state: &AppState, user_id: i64) -> Result<Vec<Passkey>, AuthError> {
    state
        .passkeys
        .store
        .credentials_of(user_id)
        .await?
        .iter()
        .map(|stored| from_json(stored))
        .collect()
}

/// Step one of "Sign in with a passkey": options that let the browser offer every passkey
/// it holds for this site.
pub async fn sign_in_start(state: &AppState, meta: &RequestMeta) -> Result<PasskeyOptions, AuthError> {
    let webauthn = webauthn(state)?;
    // The login page starts one on every view: a reload is not a guess, so this spends
    // an allowance of its own, not the network's logins (the finish spends one of those).
    state
        .throttles
        .passkey_starts
        .acquire(&meta.network())
        .await?
        .map_err(AuthError::TooManyRequests)?;
    let (options, authentication) = webauthn
        .start_discoverable_authentication()
        .map_err(AuthError::internal)?;
    let mut options = options_json(&options)?;
    // webauthn-rs asks for the autofill flow; the button's flow is a plain request.
    if let Some(object) = options.as_object_mut() {
        object.remove("mediation");
    }
    let ceremony_id = state
        .passkeys
        .ceremonies
        .start(Purpose::SignIn, None, &to_json(&authentication)?)
        .await?;
    Ok(PasskeyOptions { ceremony_id, options })
}

/// Step two: the passkey's signature → the session a login would start. Counted with the
/// logins (`authkit_logins_total`).
pub async fn sign_in_finish(
    state: &AppState,
    meta: &RequestMeta,
    ceremony_id: String,
    sent: Value,
) -> Result<LoginStep, AuthError> {
    login::counted(state, sign_in(state, meta, ceremony_id, sent)).await
}

#[tracing::instrument(name = "passkey_sign_in", skip_all, fields(user_id))]
async fn sign_in(
    state: &AppState,
    meta: &RequestMeta,
    ceremony_id: String,
    sent: Value,
) -> Result<LoginStep, AuthError> {
    let webauthn = webauthn(state)?;
    throttle_client(&state.throttles, meta).await?;
    let answer: PublicKeyCredential = credential(sent)?;
    let started = state
        .passkeys
        .ceremonies
        .take(&ceremony_id, Purpose::SignIn)
        .await?
        .ok_or(AuthError::CeremonyExpired)?;
    let authentication: DiscoverableAuthentication = from_json(&started.state)?;
    let (handle, raw_id) = webauthn
        .identify_discoverable_authentication(&answer)
        .map_err(|_| AuthError::PasskeyRefused)?;
    let id = credential_id(raw_id);
    let (user_id, stored) = state.passkeys.store.find(&id).await?.ok_or(AuthError::PasskeyRefused)?;
    // The passkey must be the one the account registered under this handle.
    if user_of_handle(handle) != Some(user_id) {
        return Err(AuthError::PasskeyRefused);
    }
    tracing::Span::current().record("user_id", user_id);
    let mut passkey: Passkey = from_json(&stored)?;
    let result = webauthn
        .finish_discoverable_authentication_v2(&answer, authentication, &passkey)
        .map_err(|e| {
            tracing::info!(error = %e, "passkey sign-in refused");
            AuthError::PasskeyRefused
        })?;
    record_use(state, &id, &mut passkey, &result).await?;
    let user = state
        .accounts
        .users
        .find_by_id(user_id)
        .await?
        .ok_or(AuthError::PasskeyRefused)?;
    if state.accounts.require_verified_email && !user.email_verified() {
        // As a password login does: a fresh link, since there is no session to ask from.
        super::sessions::refuse_unverified(state, &user).await;
        return Err(AuthError::EmailNotVerified);
    }
    tracing::debug!("user signed in with a passkey");
    LoginStep::session(state, &user, &user.password_hash).await
}

/// The ceremony id of a login's second step by passkey: derived from its `mfa_token`, so
/// the client finishes with the token alone.
fn second_factor_ceremony(mfa_token: &str) -> String {
    format!("mfa:{mfa_token}")
}

/// Options for using a passkey as the second factor of the login `mfa_token` stands for.
pub async fn second_factor_start(state: &AppState, meta: &RequestMeta, mfa_token: String) -> Result<Value, AuthError> {
    let webauthn = webauthn(state)?;
    throttle_client(&state.throttles, meta).await?;
    let pending = state
        .second_factor
        .challenges
        .peek(&mfa_token)
        .await?
        .ok_or(AuthError::LoginExpired)?;
    let passkeys = registered(state, pending.user_id).await?;
    if passkeys.is_empty() {
        return Err(AuthError::NoPasskeys);
    }
    let (options, authentication) = webauthn
        .start_passkey_authentication(&passkeys)
        .map_err(AuthError::internal)?;
    state
        .passkeys
        .ceremonies
        .keep(
            &second_factor_ceremony(&mfa_token),
            Purpose::SecondFactor,
            Some(pending.user_id),
            &to_json(&authentication)?,
        )
        .await?;
    options_json(&options)
}

/// Is `sent` a valid signature of one of `user_id`'s passkeys for the ceremony the login
/// `mfa_token` started? The ceremony is used up either way.
pub async fn second_factor_holds(
    state: &AppState,
    user_id: i64,
    mfa_token: &str,
    sent: Value,
) -> Result<bool, AuthError> {
    let webauthn = webauthn(state)?;
    let Ok(answer) = serde_json::from_value::<PublicKeyCredential>(sent) else {
        return Ok(false);
    };
    let Some(started) = state
        .passkeys
        .ceremonies
        .take(&second_factor_ceremony(mfa_token), Purpose::SecondFactor)
        .await?
        .filter(|started| started.user_id == Some(user_id))
    else {
        return Ok(false);
    };
    let authentication: PasskeyAuthentication = from_json(&started.state)?;
    let Ok(result) = webauthn.finish_passkey_authentication(&answer, &authentication) else {
        return Ok(false);
    };
    let id = credential_id(result.cred_id());
    let Some((owner, stored)) = state.passkeys.store.find(&id).await? else {
        return Ok(false);
    };
    if owner != user_id {
        return Ok(false);
    }
    let mut passkey: Passkey = from_json(&stored)?;
    record_use(state, &id, &mut passkey, &result).await?;
    Ok(true)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_relying_party_is_public_urls_host_and_an_ip_address_cannot_be_one() {
        assert!(relying_party("https://auth.example.com").is_some());
        assert!(relying_party("http://localhost:3100").is_some());
        assert!(relying_party("http://127.0.0.1:3000").is_none());
        assert!(relying_party("not a url").is_none());
    }

    #[test]
    fn a_user_handle_names_its_account_and_nothing_else_is_one() {
        assert_eq!(user_of_handle(user_handle(42)), Some(42));
        assert_eq!(user_of_handle(Uuid::nil()), None);
    }

    #[test]
    fn credential_ids_are_unpadded_base64url() {
        assert_eq!(credential_id(b""), "");
        assert_eq!(credential_id(b"f"), "Zg");
        assert_eq!(credential_id(b"fo"), "Zm8");
        assert_eq!(credential_id(b"foo"), "Zm9v");
        assert_eq!(credential_id(&[0xfb, 0xff]), "-_8");
    }
}
