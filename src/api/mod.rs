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

pub use client::{BearerClient, set_bearer_token};
pub use codec::{ApiJson, BodyError, StrictJsonEncoding};
pub use error::ApiError;
pub use types::{Password, TokenResponse, User};

use leptos::prelude::*;
use leptos::server_fn::codec::{GetUrl, Json};

/// `POST /auth/signup` `{"email","password","username"}` → 200 `{"id","email","username"}`.
///
/// 400 `Email already registered` (case-insensitive); 422 naming the field for invalid
/// input or a missing, null or wrongly typed field.
#[server(prefix = "/auth", endpoint = "signup", input = ApiJson, output = Json, client = BearerClient)]
pub async fn signup(email: String, password: Password, username: String) -> Result<User, ApiError> {
    crate::server::reply(crate::server::auth::signup(email, password, username).await)
}

/// `POST /auth/login` `{"email","password"}` → 200 `{"access_token","token_type":"bearer"}`.
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
