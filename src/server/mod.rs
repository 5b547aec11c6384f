//! Everything that only exists on the server: configuration, storage, password hashing,
//! tokens, and the HTTP application around the Leptos routes.

pub mod account;
pub mod admin;
pub mod auth;
pub mod cli;
pub mod client_ip;
pub mod config;
pub mod cookies;
pub mod error;
pub mod http;
pub mod limiter;
pub mod memory;
pub mod password;
pub mod password_policy;
pub mod sessions;
pub mod state;
pub mod token;
pub mod users;

pub use config::Config;
pub use error::{AuthError, framework_error, reply};
pub use http::{build_router, init_tracing, run};
pub use state::AppState;
