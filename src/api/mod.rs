//! The public API. Each server function here is both what the UI calls and an HTTP
//! endpoint that scripts call directly — one code path, wire-compatible with the FastAPI
//! service this project replaces. Every error body is `{"detail": "..."}`.
//!
//! The bodies only unpack the request and delegate to `crate::server::auth`, so the HTTP
//! contract can be read here in one place.

mod client;
mod codec;
mod error;
mod types;

pub use client::{BearerClient, on_token_refused, set_bearer_token};
pub use codec::{ApiJson, ApiPatchJson, BodyError, StrictJsonEncoding};
pub use error::ApiError;
pub use types::{Account, Deleted, LoggedOut, Password, Role, TokenResponse, User, UserPage};

use leptos::prelude::*;
use leptos::server_fn::codec::{GetUrl, Json};

/// Access tokens live this long; the UI renews its token a few minutes before.
pub const ACCESS_TOKEN_TTL_SECS: u64 = 30 * 60;

/// `POST /auth/signup` `{"email","password","username"}` → 200 `{"id","email","username"}`,
/// and a refresh-token cookie (the person is logged in).
///
/// 400 `Email already registered` (case-insensitive); 422 naming the field for invalid
/// input or a missing, null or wrongly typed field.
#[server(prefix = "/auth", endpoint = "signup", input = ApiJson, output = Json, client = BearerClient)]
pub async fn signup(email: String, password: Password, username: String) -> Result<User, ApiError> {
    crate::server::reply(crate::server::auth::signup(email, password, username).await)
}

/// `POST /auth/login` `{"email","password"}` → 200 `{"access_token","token_type":"bearer"}`,
/// and a refresh-token cookie.
///
/// 401 `Incorrect email or password` for a wrong password and an unknown email alike.
#[server(prefix = "/auth", endpoint = "login", input = ApiJson, output = Json, client = BearerClient)]
pub async fn login(email: String, password: Password) -> Result<TokenResponse, ApiError> {
    crate::server::reply(crate::server::auth::login(email, password).await)
}

/// `GET /auth/me` with `Authorization: Bearer <token>` → 200 `{"id","email","username"}`.
///
/// 401 with `WWW-Authenticate: Bearer` when the token is missing, malformed, expired,
/// forged, or its user no longer exists.
#[server(prefix = "/auth", endpoint = "me", input = GetUrl, output = Json, client = BearerClient)]
pub async fn me() -> Result<User, ApiError> {
    crate::server::reply(crate::server::auth::current_user().await)
}

/// `POST /auth/refresh` (refresh-token cookie, no body) → 200 `{"access_token","token_type"}`
/// and a new cookie. A refresh token that was already used revokes its whole session.
#[server(prefix = "/auth", endpoint = "refresh", input = ApiJson, output = Json, client = BearerClient)]
pub async fn refresh() -> Result<TokenResponse, ApiError> {
    crate::server::reply(crate::server::auth::refresh().await)
}

/// `POST /auth/logout` (Bearer) → 200 `{"sessions_revoked":1}`: ends this session at once
/// (its access tokens stop working) and clears the cookie.
#[server(prefix = "/auth", endpoint = "logout", input = ApiJson, output = Json, client = BearerClient)]
pub async fn logout() -> Result<LoggedOut, ApiError> {
    crate::server::reply(crate::server::auth::logout().await)
}

/// `POST /auth/logout-all` (Bearer) → 200 `{"sessions_revoked":n}`: ends every session of
/// the user, on every device.
#[server(prefix = "/auth", endpoint = "logout-all", input = ApiJson, output = Json, client = BearerClient)]
pub async fn logout_all() -> Result<LoggedOut, ApiError> {
    crate::server::reply(crate::server::auth::logout_all().await)
}

/// `GET /auth/account` (Bearer) → 200 `{"id","email","username","role"}`.
#[server(prefix = "/auth", endpoint = "account", input = GetUrl, output = Json, client = BearerClient)]
pub async fn get_account() -> Result<Account, ApiError> {
    crate::server::reply(crate::server::account::account().await)
}

/// `PATCH /auth/me` `{"username"}` (Bearer) → 200 the updated user.
#[server(prefix = "/auth", endpoint = "me", input = ApiPatchJson, output = Json, client = BearerClient)]
pub async fn update_me(username: String) -> Result<User, ApiError> {
    crate::server::reply(crate::server::account::update_username(username).await)
}

/// `POST /auth/password` `{"current_password","new_password"}` (Bearer) → 200 fresh
/// tokens (and cookie); every other session is revoked. Wrong current password → 401.
#[server(prefix = "/auth", endpoint = "password", input = ApiJson, output = Json, client = BearerClient)]
pub async fn change_password(current_password: Password, new_password: Password) -> Result<TokenResponse, ApiError> {
    crate::server::reply(crate::server::account::change_password(current_password, new_password).await)
}

/// `DELETE /auth/me` `{"password"}` (Bearer) → 200 `{"deleted":true}`: removes the user
/// and their sessions. Also reachable as `POST /auth/delete-account`, which is what the
/// server-function client calls (server functions cannot send a body with DELETE).
#[server(prefix = "/auth", endpoint = "delete-account", input = ApiJson, output = Json, client = BearerClient)]
pub async fn delete_account(password: Password) -> Result<Deleted, ApiError> {
    crate::server::reply(crate::server::account::delete_account(password).await)
}

/// `GET /admin/users?limit=&offset=` (admin) → 200 `{"users":[...],"total","limit","offset"}`.
/// `limit` 1–100 (default 50), `offset` ≥ 0. A non-admin gets 403.
#[server(prefix = "/admin", endpoint = "users", input = GetUrl, output = Json, client = BearerClient)]
pub async fn list_users(limit: Option<i64>, offset: Option<i64>) -> Result<UserPage, ApiError> {
    crate::server::reply(crate::server::admin::list_users(limit, offset).await)
}

/// `PATCH /admin/users/{id}` `{"role"}` (admin) → 200 the account with its new role; it
/// applies to that user's next request. Also reachable as `PATCH /admin/users/role`
/// `{"id","role"}`, which is what the server-function client calls.
#[server(prefix = "/admin", endpoint = "users/role", input = ApiPatchJson, output = Json, client = BearerClient)]
pub async fn set_user_role(id: i64, role: Role) -> Result<Account, ApiError> {
    crate::server::reply(crate::server::admin::set_role(id, role).await)
}
