//! The API and process tests of authkit, compiled as one test binary (one link instead of
//! seven, and one place for the shared harness).
//!
//! - `database`: SQLite by default; with `TEST_DATABASE_URL`, a fresh PostgreSQL database
//!   per test, so the whole suite runs on both backends (`make unit` runs it twice).
//! - `helpers`: the harness every module uses — `TestApp` starts the real
//!   application in-process on `127.0.0.1:0` with a fresh temporary database, through the
//!   same startup code as the server binary (`App::build` then `App::serve`); plus the
//!   shared constants, header/cookie readers and token minting.
//! - `contract`: the HTTP contract of `/auth/*`.
//! - `security`: defences against attackers and bad input.
//! - `sessions`: refresh cookies, logout, account management and roles.
//! - `fuzz`: a property test that random requests never cause a 5xx.
//! - `timing`: login failure timing does not reveal whether an account exists.
//! - `logs`: logs never contain a password, a hash or a token.
//! - `cluster`: several server processes on one PostgreSQL database, PostgreSQL restarts,
//!   and `copy-data` (PostgreSQL only: `make unit` runs them in its PostgreSQL pass).
//! - `mail`: forgotten passwords through the development mail transport (`.eml` files).
//! - `email_address`: verifying an address and changing it, through the same transport.
//! - `openapi`: the published document against the routes the server really serves.
//! - `operations`: what operators and load balancers use (health, metrics, static files).
//! - `process`: the real server binary as a separate process (SIGTERM, SIGKILL, CLI).
//!
//! Isolation comes from the test runner: `cargo nextest run` runs every test in its own
//! process, which `logs` (a global tracing subscriber) needs, and `.config/nextest.toml`
//! runs the `timing` and `process` tests with nothing else alongside.
#![cfg(feature = "ssr")]

mod database;
mod helpers;

mod cluster;
mod contract;
mod email_address;
mod fuzz;
mod logs;
mod mail;
mod openapi;
mod operations;
mod passkeys;
mod process;
mod second_factor;
mod security;
mod sessions;
mod timing;
