//! The public API. Each server function here is both what the UI calls and an HTTP
//! endpoint that scripts call directly — one code path, wire-compatible with the FastAPI
//! service this project replaces. Every error body is `{"detail": "..."}`.
//!
//! Each body is the same three steps, so the HTTP contract can be read here in one place:
//! `Edge::begin` reads the request (state, client, credentials), a service in
//! `crate::server` does the work, and an `answer*` method turns its result into the
//! response (status and headers of an error, the refresh cookie).

mod client;
mod codec;
mod error;
mod types;

pub use client::{BearerClient, on_token_refused, set_bearer_token};
pub use codec::{ApiJson, ApiPatchJson, BodyError, JsonOrNoContent, OptionalJsonEncoding, StrictJsonEncoding};
pub use error::{ApiError, ErrorCode, Loc, MfaChallenge, ValidationIssue};
pub use types::{
    Accepted, Account, Deleted, EmailChanged, EmailVerified, FactorRemoved, LoggedOut, PasskeyInfo, PasskeyList,
    PasskeyOptions, PasskeyRequest, PasskeysRemoved, Password, PasswordResetDone, RecoveryCodes, Role, TokenResponse,
    TotpEnrolment, User, UserPage,
};

#[cfg(feature = "ssr")]
use crate::server::{Edge, account, admin, email_address, passkeys, password_reset, second_factor, sessions};
use leptos::prelude::*;
use leptos::server_fn::codec::{GetUrl, Json};

/// Access tokens live this long (the server signs them so, `server::token`); the UI
/// renews its token a few minutes before.
pub const ACCESS_TOKEN_TTL_SECS: u64 = 30 * 60;

/// `POST /auth/signup` `{"email","password","username"}` → 200 `{"id","email","username"}`,
/// and a refresh-token cookie (the person is logged in) — no cookie while
/// `REQUIRE_EMAIL_VERIFICATION` waits for the address. A verification link is mailed.
///
/// 400 `Email already registered` (case-insensitive); 422 naming the field for invalid
/// input or a missing, null or wrongly typed field.
#[server(prefix = "/auth", endpoint = "signup", input = ApiJson, output = Json, client = BearerClient)]
pub async fn signup(email: String, password: Password, username: String) -> Result<User, ApiError> {
    let edge = Edge::begin().await?;
    edge.answer_signup(sessions::signup(edge.state(), edge.meta(), email, password, username).await)
}

/// `POST /auth/login` `{"email","password"}` → 200 `{"access_token","token_type":"bearer"}`,
/// and a refresh-token cookie.
///
/// 401 `Incorrect email or password` for a wrong password and an unknown email alike;
/// with `REQUIRE_EMAIL_VERIFICATION`, 403 `Email not verified` after the right password
/// of an unverified address (and a fresh link is mailed).
#[server(prefix = "/auth", endpoint = "login", input = ApiJson, output = Json, client = BearerClient)]
pub async fn login(email: String, password: Password) -> Result<TokenResponse, ApiError> {
    let edge = Edge::begin().await?;
    edge.answer_login(sessions::login(edge.state(), edge.meta(), email, password).await)
}

/// `GET /auth/me` with `Authorization: Bearer <token>` → 200 `{"id","email","username"}`.
///
/// 401 with `WWW-Authenticate: Bearer` when the token is missing, malformed, expired,
/// forged, or its user no longer exists.
#[server(prefix = "/auth", endpoint = "me", input = GetUrl, output = Json, client = BearerClient)]
pub async fn me() -> Result<User, ApiError> {
    let edge = Edge::begin().await?;
    edge.answer(edge.principal().await.map(|principal| principal.user.into()))
}

/// `POST /auth/refresh` (refresh-token cookie, no body) → 200 `{"access_token","token_type"}`
/// and a new cookie. A refresh token that was already used revokes its whole session.
/// Without any refresh cookie → 204 No Content (`None`): a logged-out visitor's page
/// asks on every load, and that is not an error; a cookie that is refused is a 401.
#[server(prefix = "/auth", endpoint = "refresh", input = ApiJson, output = JsonOrNoContent, client = BearerClient)]
pub async fn refresh() -> Result<Option<TokenResponse>, ApiError> {
    let edge = Edge::begin().await?;
    edge.answer_maybe_session(sessions::refresh(edge.state(), edge.meta()).await)
}

/// `POST /auth/logout` (Bearer) → 200 `{"sessions_revoked":1}`: ends this session at once
/// (its access tokens stop working) and clears the cookie.
#[server(prefix = "/auth", endpoint = "logout", input = ApiJson, output = Json, client = BearerClient)]
pub async fn logout() -> Result<LoggedOut, ApiError> {
    let edge = Edge::begin().await?;
    let result = async { sessions::logout(edge.state(), &edge.principal().await?).await };
    edge.answer_ending_session(result.await)
}

/// `POST /auth/logout-all` (Bearer) → 200 `{"sessions_revoked":n}`: ends every session of
/// the user, on every device.
#[server(prefix = "/auth", endpoint = "logout-all", input = ApiJson, output = Json, client = BearerClient)]
pub async fn logout_all() -> Result<LoggedOut, ApiError> {
    let edge = Edge::begin().await?;
    let result = async { sessions::logout_all(edge.state(), &edge.principal().await?).await };
    edge.answer_ending_session(result.await)
}

/// `GET /auth/account` (Bearer) → 200 `{"id","email","username","role","email_verified","second_factor"}`.
#[server(prefix = "/auth", endpoint = "account", input = GetUrl, output = Json, client = BearerClient)]
pub async fn get_account() -> Result<Account, ApiError> {
    let edge = Edge::begin().await?;
    let result = async { account::account(edge.state(), &edge.principal().await?).await };
    edge.answer(result.await)
}

/// `PATCH /auth/me` `{"username"}` (Bearer) → 200 the updated user.
#[server(prefix = "/auth", endpoint = "me", input = ApiPatchJson, output = Json, client = BearerClient)]
pub async fn update_me(username: String) -> Result<User, ApiError> {
    let edge = Edge::begin().await?;
    let result = async { account::update_username(edge.state(), &edge.principal().await?, username).await };
    edge.answer(result.await)
}

/// `POST /auth/password` `{"current_password","new_password"}` (Bearer) → 200 fresh
/// tokens (and cookie); every other session is revoked. Wrong current password → 401.
#[server(prefix = "/auth", endpoint = "password", input = ApiJson, output = Json, client = BearerClient)]
pub async fn change_password(current_password: Password, new_password: Password) -> Result<TokenResponse, ApiError> {
    let edge = Edge::begin().await?;
    let result = async {
        let principal = edge.principal().await?;
        account::change_password(edge.state(), &principal, current_password, new_password).await
    };
    edge.answer_with_session(result.await)
}

/// `DELETE /auth/me` `{"password"}` (Bearer) → 200 `{"deleted":true}`: removes the user
/// and their sessions. Also reachable as `POST /auth/delete-account`, which is what the
/// server-function client calls (server functions cannot send a body with DELETE).
#[server(prefix = "/auth", endpoint = "delete-account", input = ApiJson, output = Json, client = BearerClient)]
pub async fn delete_account(password: Password) -> Result<Deleted, ApiError> {
    let edge = Edge::begin().await?;
    let result = async { account::delete_account(edge.state(), &edge.principal().await?, password).await };
    edge.answer_ending_session(result.await)
}

/// `POST /auth/login/mfa` `{"mfa_token","code"}`, `{"mfa_token","recovery_code"}` or
/// `{"mfa_token","passkey"}` (the answer to `POST /auth/login/mfa/passkey`'s options) → 200
/// `{"access_token","token_type":"bearer"}` and the refresh cookie, as `login` answers: the
/// second step of a login that answered 401 `Second factor required` with an `mfa_token`.
/// 401 `Invalid code` (a wrong or used code); 401 `This login has expired. Log in again.`
/// (the token is unknown, older than 5 minutes, used, or has had its 5 attempts).
#[server(prefix = "/auth", endpoint = "login/mfa", input = ApiJson, output = Json, client = BearerClient)]
pub async fn login_mfa(
    mfa_token: String,
    code: Option<String>,
    recovery_code: Option<String>,
    passkey: Option<serde_json::Value>,
) -> Result<TokenResponse, ApiError> {
    let edge = Edge::begin().await?;
    let result = async {
        let proof = second_factor::Proof::from_fields(code, recovery_code, passkey)?;
        second_factor::finish_login(edge.state(), edge.meta(), mfa_token, proof).await
    };
    edge.answer_login(result.await)
}

/// `POST /auth/login/mfa/passkey` `{"mfa_token"}` → 200 `{"options"}`: the options for
/// `navigator.credentials.get` to use one of the account's passkeys as the second factor;
/// the browser's answer finishes the login at `POST /auth/login/mfa` as `passkey`.
/// 400 when the account has no passkey; 401 for an expired login.
#[server(prefix = "/auth", endpoint = "login/mfa/passkey", input = ApiJson, output = Json, client = BearerClient)]
pub async fn login_mfa_passkey(mfa_token: String) -> Result<PasskeyRequest, ApiError> {
    let edge = Edge::begin().await?;
    let result = passkeys::second_factor_start(edge.state(), edge.meta(), mfa_token).await;
    edge.answer(result.map(|options| PasskeyRequest { options }))
}

/// `POST /auth/passkeys/sign-in/start` → 200 `{"ceremony_id","options"}`: the options for
/// `navigator.credentials.get` that let the browser offer any passkey it has for this site.
#[server(prefix = "/auth", endpoint = "passkeys/sign-in/start", input = ApiJson, output = Json, client = BearerClient)]
pub async fn passkey_sign_in_start() -> Result<PasskeyOptions, ApiError> {
    let edge = Edge::begin().await?;
    edge.answer(passkeys::sign_in_start(edge.state(), edge.meta()).await)
}

/// `POST /auth/passkeys/sign-in/finish` `{"ceremony_id","credential"}` → 200 tokens and
/// the refresh cookie, as `login` answers. 401 `Passkey not recognised`; 400 for an
/// expired ceremony.
#[server(prefix = "/auth", endpoint = "passkeys/sign-in/finish", input = ApiJson, output = Json, client = BearerClient)]
pub async fn passkey_sign_in_finish(
    ceremony_id: String,
    credential: serde_json::Value,
) -> Result<TokenResponse, ApiError> {
    let edge = Edge::begin().await?;
    edge.answer_login(passkeys::sign_in_finish(edge.state(), edge.meta(), ceremony_id, credential).await)
}

/// `POST /auth/passkeys/register/start` `{"password","code"?}` (Bearer) → 200
/// `{"ceremony_id","options"}` for `navigator.credentials.create`. With two-step
/// verification on, `code` (the app's code or a recovery code) is needed too: 403
/// `code_required` without it.
#[server(prefix = "/auth", endpoint = "passkeys/register/start", input = ApiJson, output = Json, client = BearerClient)]
pub async fn passkey_register_start(password: Password, code: Option<String>) -> Result<PasskeyOptions, ApiError> {
    let edge = Edge::begin().await?;
    let result = async { passkeys::register_start(edge.state(), &edge.principal().await?, password, code).await };
    edge.answer(result.await)
}

/// `POST /auth/passkeys/register/finish` `{"ceremony_id","name","credential"}` (Bearer) → 200
/// the passkey `{"id","name","created_at","last_used_at"}`; a notice is mailed. 409 when
/// that passkey is registered already.
#[server(prefix = "/auth", endpoint = "passkeys/register/finish", input = ApiJson, output = Json, client = BearerClient)]
pub async fn passkey_register_finish(
    ceremony_id: String,
    name: String,
    credential: serde_json::Value,
) -> Result<PasskeyInfo, ApiError> {
    let edge = Edge::begin().await?;
    let result = async {
        let principal = edge.principal().await?;
        passkeys::register_finish(edge.state(), &principal, ceremony_id, name, credential).await
    };
    edge.answer(result.await)
}

/// `GET /auth/passkeys` (Bearer) → 200 `{"passkeys":[{"id","name","created_at","last_used_at"}]}`.
#[server(prefix = "/auth", endpoint = "passkeys", input = GetUrl, output = Json, client = BearerClient)]
pub async fn list_passkeys() -> Result<PasskeyList, ApiError> {
    let edge = Edge::begin().await?;
    let result = async { passkeys::list(edge.state(), &edge.principal().await?).await };
    edge.answer(result.await)
}

/// `POST /auth/passkeys/delete` `{"id"}` (Bearer) → 200 `{"deleted":true}`; a notice is
/// mailed. 404 for a passkey the account does not have.
#[server(prefix = "/auth", endpoint = "passkeys/delete", input = ApiJson, output = Json, client = BearerClient)]
pub async fn delete_passkey(id: String) -> Result<Deleted, ApiError> {
    let edge = Edge::begin().await?;
    let result = async { passkeys::delete(edge.state(), &edge.principal().await?, id).await };
    edge.answer(result.await)
}

/// `POST /auth/totp/setup` `{"password"}` (Bearer) → 200 `{"secret","otpauth_uri","qr_svg"}`:
/// a new authenticator-app seed, waiting for its first code. 409 when it is already on.
#[server(prefix = "/auth", endpoint = "totp/setup", input = ApiJson, output = Json, client = BearerClient)]
pub async fn totp_setup(password: Password) -> Result<TotpEnrolment, ApiError> {
    let edge = Edge::begin().await?;
    let result = async { second_factor::setup(edge.state(), &edge.principal().await?, password).await };
    edge.answer(result.await)
}

/// `POST /auth/totp/enable` `{"code"}` (Bearer) → 200 `{"recovery_codes":[10 codes]}`: the
/// first right code turns the second factor on; the codes are shown this once.
/// 400 without a setup; 401 `Invalid code`; 409 when it is already on.
#[server(prefix = "/auth", endpoint = "totp/enable", input = ApiJson, output = Json, client = BearerClient)]
pub async fn totp_enable(code: String) -> Result<RecoveryCodes, ApiError> {
    let edge = Edge::begin().await?;
    let result = async { second_factor::enable(edge.state(), &edge.principal().await?, code).await };
    edge.answer(result.await)
}

/// `POST /auth/totp/disable` `{"password","code"}` (Bearer) → 200 `{"second_factor":false}`.
/// `code` is an app code or a recovery code. 400 when it is not on; 401 wrong password
/// or `Invalid code`.
#[server(prefix = "/auth", endpoint = "totp/disable", input = ApiJson, output = Json, client = BearerClient)]
pub async fn totp_disable(password: Password, code: String) -> Result<FactorRemoved, ApiError> {
    let edge = Edge::begin().await?;
    let result = async { second_factor::disable(edge.state(), &edge.principal().await?, password, code).await };
    edge.answer(result.await)
}

/// `POST /auth/recovery-codes` `{"password","code"}` (Bearer) → 200 `{"recovery_codes":[…]}`:
/// a fresh set; the old codes stop working. 400 when no second factor is on.
#[server(prefix = "/auth", endpoint = "recovery-codes", input = ApiJson, output = Json, client = BearerClient)]
pub async fn new_recovery_codes(password: Password, code: String) -> Result<RecoveryCodes, ApiError> {
    let edge = Edge::begin().await?;
    let result = async {
        let principal = edge.principal().await?;
        second_factor::new_recovery_codes(edge.state(), &principal, password, code).await
    };
    edge.answer(result.await)
}

/// `POST /auth/password-reset/request` `{"email"}` → 202 `{"detail":"If that address has an
/// account, a reset link is on its way"}`, for every well-formed address alike (a mail goes
/// out only when it has an account). 422 for a malformed address; 429 when throttled.
#[server(prefix = "/auth", endpoint = "password-reset/request", input = ApiJson, output = Json, client = BearerClient)]
pub async fn request_password_reset(email: String) -> Result<Accepted, ApiError> {
    let edge = Edge::begin().await?;
    edge.answer_accepted(password_reset::request_reset(edge.state(), edge.meta(), email).await)
}

/// `POST /auth/password-reset` `{"token","new_password"}` → 200 `{"password_reset":true}`:
/// every session of the account ends. 400 `Invalid or expired link` for a used, expired or
/// wrong token; 422 when the new password breaks the policy (the link still works then).
#[server(prefix = "/auth", endpoint = "password-reset", input = ApiJson, output = Json, client = BearerClient)]
pub async fn reset_password(token: String, new_password: Password) -> Result<PasswordResetDone, ApiError> {
    let edge = Edge::begin().await?;
    edge.answer(password_reset::reset_password(edge.state(), &token, new_password).await)
}

/// `POST /auth/verify-email` `{"token"}` → 200 `{"email_verified":true}`: the link mailed
/// at signup (or resent). No login needed. 400 `Invalid or expired link`.
#[server(prefix = "/auth", endpoint = "verify-email", input = ApiJson, output = Json, client = BearerClient)]
pub async fn verify_email(token: String) -> Result<EmailVerified, ApiError> {
    let edge = Edge::begin().await?;
    edge.answer(email_address::verify_email(edge.state(), &token).await)
}

/// `POST /auth/verify-email/resend` (Bearer) → 202 `{"detail"}`: a new verification link.
/// 400 `Email already verified`; 429 beyond `ACCOUNT_MAILS_PER_HOUR`.
#[server(prefix = "/auth", endpoint = "verify-email/resend", input = ApiJson, output = Json, client = BearerClient)]
pub async fn resend_verification() -> Result<Accepted, ApiError> {
    let edge = Edge::begin().await?;
    let result = async { email_address::resend_verification(edge.state(), &edge.principal().await?).await };
    edge.answer_accepted(result.await)
}

/// `POST /auth/email` `{"new_email","password","code"?}` (Bearer) → 202 `{"detail"}`: a
/// confirmation link goes to the new address and a notice to the old one; the address
/// changes only when the link is opened. 401 wrong password; 403 `code_required` with two-step
/// verification on and no `code`; 400 `Email already registered`; 422 invalid address; 429
/// beyond `ACCOUNT_MAILS_PER_HOUR` (a taken address counts too).
#[server(prefix = "/auth", endpoint = "email", input = ApiJson, output = Json, client = BearerClient)]
pub async fn change_email(new_email: String, password: Password, code: Option<String>) -> Result<Accepted, ApiError> {
    let edge = Edge::begin().await?;
    let result = async {
        let principal = edge.principal().await?;
        email_address::request_change(edge.state(), &principal, new_email, password, code).await
    };
    edge.answer_accepted(result.await)
}

/// `POST /auth/email/confirm` `{"token"}` → 200 `{"email","email_verified":true}`: the
/// account now has the new address, verified. No login needed. 400 `Invalid or expired
/// link`, or `Email already registered` if the address was taken meanwhile.
#[server(prefix = "/auth", endpoint = "email/confirm", input = ApiJson, output = Json, client = BearerClient)]
pub async fn confirm_email_change(token: String) -> Result<EmailChanged, ApiError> {
    let edge = Edge::begin().await?;
    edge.answer(email_address::confirm_change(edge.state(), &token).await)
}

/// `GET /admin/users?limit=&offset=` (admin) → 200 `{"users":[...],"total","limit","offset"}`.
/// `limit` 1–100 (default 50), `offset` ≥ 0. A non-admin gets 403.
#[server(prefix = "/admin", endpoint = "users", input = GetUrl, output = Json, client = BearerClient)]
pub async fn list_users(limit: Option<i64>, offset: Option<i64>) -> Result<UserPage, ApiError> {
    let edge = Edge::begin().await?;
    let result = async { admin::list_users(edge.state(), &edge.principal().await?, limit, offset).await };
    edge.answer(result.await)
}

/// `PATCH /admin/users/{id}` `{"role"}` (admin) → 200 the account with its new role; it
/// applies to that user's next request. Also reachable as `PATCH /admin/users/role`
/// `{"id","role"}`, which is what the server-function client calls.
#[server(prefix = "/admin", endpoint = "users/role", input = ApiPatchJson, output = Json, client = BearerClient)]
pub async fn set_user_role(id: i64, role: Role) -> Result<Account, ApiError> {
    let edge = Edge::begin().await?;
    let result = async { admin::set_role(edge.state(), &edge.principal().await?, id, role).await };
    edge.answer(result.await)
}

/// `POST /admin/users/second-factor/remove` `{"id"}` (admin) → 200 `{"second_factor":false}`:
/// removes a user's second factor and recovery codes (they lost their device and their
/// codes); the user is told by mail. 404 for an unknown user.
#[server(prefix = "/admin", endpoint = "users/second-factor/remove", input = ApiJson, output = Json, client = BearerClient)]
pub async fn remove_second_factor(id: i64) -> Result<FactorRemoved, ApiError> {
    let edge = Edge::begin().await?;
    let result = async { second_factor::remove(edge.state(), &edge.principal().await?, id).await };
    edge.answer(result.await)
}

/// `POST /admin/users/passkeys/remove` `{"id"}` (admin) → 200 `{"passkeys_removed":n}`:
/// removes every passkey of a user (a lost or stolen device; "Remove second factor" leaves
/// passkeys alone); the user is told by mail when there were any. 404 for an unknown user.
#[server(prefix = "/admin", endpoint = "users/passkeys/remove", input = ApiJson, output = Json, client = BearerClient)]
pub async fn remove_passkeys(id: i64) -> Result<PasskeysRemoved, ApiError> {
    let edge = Edge::begin().await?;
    let result = async { passkeys::remove_by_admin(edge.state(), &edge.principal().await?, id).await };
    edge.answer(result.await)
}
