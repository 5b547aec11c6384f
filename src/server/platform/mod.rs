//! What every feature stands on: the settings ([`config`], pure parsing, and [`data_dir`],
//! their side effects), the database ([`database`]: SQLite or PostgreSQL, the backend
//! split), starting and serving the app ([`app`]), the command line ([`cli`],
//! [`copy_data`]), logs and metrics ([`telemetry`], [`metrics`]), the allocator setting
//! that keeps hashing memory bounded ([`memory`]), the signing key several instances
//! share ([`server_keys`]), and the secrets handed out once and kept as hashes
//! ([`one_time_secret`]).

pub mod app;
pub mod cli;
pub mod config;
pub mod copy_data;
pub mod data_dir;
pub mod database;
pub mod memory;
pub mod metrics;
pub mod one_time_secret;
pub mod server_keys;
pub mod telemetry;
