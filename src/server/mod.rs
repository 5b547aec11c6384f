//! Everything that only exists on the server, in three layers. To change a feature, open
//! its folder: it holds the feature's service (the folder's `mod.rs`), its store and the
//! other pieces only it uses. docs/ARCHITECTURE.md has the "where do I change X" table.
//!
//! - [`platform`]: settings, the database, starting the app, the command line, logs and
//!   metrics.
//! - [`http`], the edge where requests become service calls and results become
//!   responses: the router and its layers, the server functions' [`http::edge::Edge`],
//!   cookies, client addresses, the OpenAPI document; and [`error`], the one error type
//!   whose variants decide every status code.
//! - The features, plain async functions over [`AppState`] and explicit inputs, which
//!   know nothing of HTTP:
//!   - [`sessions`]: signing up, logging in, refreshing, logging out; access tokens,
//!     refresh sessions, device cookies.
//!   - [`account`]: one's own account; the users table, password hashing and policy.
//!   - [`admin`]: listing users, changing roles.
//!   - [`password_reset`]: forgotten passwords.
//!   - [`email_address`]: verifying and changing the address.
//!   - [`second_factor`]: authenticator apps (TOTP) and recovery codes.
//!   - [`passkeys`]: WebAuthn credentials, as a way in and as a second factor.
//!   - [`mail`]: the outbox, its delivery worker, the texts and the links' secrets.
//!   - [`throttles`]: leaky buckets in memory and in the database, and the login throttle.
//! - [`state`]: the [`AppState`] that joins them, built once at start; [`api`]: the one
//!   list of endpoints, joined from the features' `api.rs`.

pub mod account;
pub mod admin;
pub mod api;
pub mod email_address;
pub mod error;
pub mod http;
pub mod mail;
pub mod oidc;
pub mod passkeys;
pub mod password_reset;
pub mod platform;
pub mod second_factor;
pub mod sessions;
pub mod state;
pub mod throttles;

#[cfg(test)]
mod test_support;

pub use error::AuthError;
pub use http::edge::Edge;
pub use platform::app::{App, run};
pub use platform::config::Config;
pub use platform::telemetry::init_tracing;
pub use state::AppState;
