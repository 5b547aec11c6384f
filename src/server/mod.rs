//! Everything that only exists on the server.
//!
//! - Startup: [`config`] (pure parsing), [`data_dir`] (its side effects), [`database`]
//!   (SQLite or PostgreSQL: the backend split), [`state`], [`app`] (build and serve),
//!   [`telemetry`], [`memory`].
//! - The edge, where requests become service calls and results become responses:
//!   [`edge`] (server functions), [`http`] (router, request guard, security headers,
//!   REST handlers), [`request_meta`], [`client_ip`], [`cookies`], [`error`].
//! - The services, plain async functions over `&AppState` and explicit inputs:
//!   [`auth`], [`account`], [`admin`], [`password_reset`] (forgotten passwords),
//!   [`email_address`] (verifying and changing it), [`second_factor`] (authenticator
//!   apps and recovery codes) — also used by the [`cli`]; [`mail`]
//!   sends what they write to the outbox, [`email_tokens`] keeps the links' secrets.
//! - Below them: [`users`], [`sessions`], [`password`], [`password_policy`], [`token`],
//!   the throttles ([`throttle`] over [`limiter`] in memory and [`shared_limiter`] in the
//!   database), [`server_keys`]; for the second factor [`totp`] (the codes' arithmetic),
//!   [`factor_store`], [`mfa_challenges`] and [`factor_cipher`] (seeds encrypted at rest).

pub mod account;
pub mod admin;
pub mod app;
pub mod auth;
pub mod cli;
pub mod client_ip;
pub mod config;
pub mod cookies;
pub mod copy_data;
pub mod data_dir;
pub mod database;
pub mod device;
pub mod edge;
pub mod email_address;
pub mod email_tokens;
pub mod error;
pub mod factor_cipher;
pub mod factor_store;
pub mod hash_memory;
pub mod http;
pub mod issues;
pub mod limiter;
pub mod login_throttle;
pub mod mail;
pub mod memory;
pub mod metrics;
pub mod mfa_challenges;
pub mod openapi;
pub mod passkey_store;
pub mod passkeys;
pub mod password;
pub mod password_policy;
pub mod password_reset;
pub mod request_meta;
pub mod second_factor;
pub mod server_keys;
pub mod sessions;
pub mod shared_limiter;
pub mod state;
pub mod telemetry;
pub mod throttle;
pub mod token;
pub mod totp;
pub mod users;

#[cfg(test)]
mod test_support;

pub use app::{App, run};
pub use config::Config;
pub use edge::Edge;
pub use error::AuthError;
pub use state::AppState;
pub use telemetry::init_tracing;
