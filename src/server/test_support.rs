//! For the services' unit tests: a real `AppState` on a fresh SQLite file, no HTTP.

use super::http::request_meta::{Bearer, RequestMeta};
use super::platform::config::Config;
use super::sessions::{Principal, SessionIssued, authenticate, login, register};
use super::state::AppState;
use crate::api::{Password, Role, TokenResponse, User};
use crate::validation::NewAccount;
use std::net::{IpAddr, Ipv4Addr};
use tempfile::TempDir;

pub const PASSWORD: &str = "correct horse battery staple";

pub struct TestState {
    pub state: AppState,
    dir: TempDir,
}

impl TestState {
    /// The data folder (`DATA_DIR`).
    pub fn dir(&self) -> &std::path::Path {
        self.dir.path()
    }
}

pub async fn test_state() -> TestState {
    let dir = tempfile::tempdir().expect("temp dir");
    let data_dir = dir.path().display().to_string();
    let config = Config::from_lookup(|name| match name {
        "DATA_DIR" => Some(data_dir.clone()),
        "JWT_SECRET" => Some("unit-test-secret-unit-test-secret-0123".to_owned()),
        // Generous throttles: the tests that are about them build their own.
        "REFRESH_RATE_PER_SESSION_PER_MINUTE" | "REFRESH_RATE_PER_IP_PER_MINUTE" => Some("100000".to_owned()),
        _ => None,
    })
    .expect("config");
    let state = AppState::new(&config).await.expect("state");
    TestState { state, dir }
}

pub fn meta() -> RequestMeta {
    RequestMeta::local(IpAddr::V4(Ipv4Addr::LOCALHOST))
}

/// A local request carrying this access token.
pub fn with_bearer(token: &str) -> RequestMeta {
    RequestMeta {
        bearer: Bearer::Token(token.to_owned()),
        ..meta()
    }
}

pub async fn create_user(state: &AppState, email: &str, role: Role) -> User {
    let account = NewAccount::parse(email, "someone", Password::new(PASSWORD)).expect("valid account");
    register(state, account, role).await.expect("registered").user
}

/// Logs in with the right password, as a fresh client would.
pub async fn log_in(state: &AppState, email: &str) -> SessionIssued<TokenResponse> {
    login(state, &meta(), email.to_owned(), Password::new(PASSWORD))
        .await
        .expect("logged in")
        .into_session()
        .expect("no second factor")
}

/// The principal behind an access token, as the edge would find it.
pub async fn principal_of(state: &AppState, issued: &SessionIssued<TokenResponse>) -> Principal {
    authenticate(state, &with_bearer(&issued.body.access_token))
        .await
        .expect("token accepted")
}
