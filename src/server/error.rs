//! `AuthError` decides the HTTP status of every failure; [`reply`] puts that status (and
//! `WWW-Authenticate` / `Retry-After`) on the response and turns the error into the
//! `{"detail": ...}` body.

use super::password::HashError;
use crate::api::ApiError;
use crate::validation::FieldError;
use axum::http::{HeaderValue, StatusCode, header};
use leptos::prelude::use_context;
use leptos::server_fn::error::ServerFnErrorErr;
use leptos_axum::ResponseOptions;
use std::time::Duration;

#[derive(Debug, thiserror::Error)]
pub enum AuthError {
    /// The request body could not be decoded into the endpoint's arguments.
    #[error("{0}")]
    InvalidBody(String),
    #[error(transparent)]
    InvalidField(#[from] FieldError),
    #[error("Email already registered")]
    EmailTaken,
    #[error("Incorrect email or password")]
    InvalidCredentials,
    /// A logged-in person confirmed an action with the wrong password.
    #[error("Incorrect password")]
    WrongPassword,
    /// Authenticated, but the role does not allow this.
    #[error("Not allowed")]
    Forbidden,
    #[error("No such user")]
    UnknownUser,
    #[error("Not authenticated")]
    MissingToken,
    /// The token is malformed, expired, forged, or its user is gone. Which one is only
    /// logged, never told to the client.
    #[error("Could not validate credentials")]
    InvalidToken(&'static str),
    /// A throttle refused the request; it may be retried after the given wait.
    #[error("Too many attempts. Try again in {} seconds.", retry_after_secs(.0))]
    TooManyRequests(Duration),
    /// Password hashing is saturated; the client should retry shortly.
    #[error("The server is busy. Please try again in a moment.")]
    Overloaded,
    /// Anything that is our fault. The cause is logged; the client learns nothing of it.
    #[error("Internal server error")]
    Internal(#[from] anyhow::Error),
}

fn retry_after_secs(wait: &Duration) -> u64 {
    wait.as_secs() + u64::from(wait.subsec_nanos() > 0)
}

impl AuthError {
    pub fn status(&self) -> StatusCode {
        match self {
            AuthError::InvalidBody(_) | AuthError::InvalidField(_) => StatusCode::UNPROCESSABLE_ENTITY,
            AuthError::EmailTaken => StatusCode::BAD_REQUEST,
            AuthError::InvalidCredentials
            | AuthError::WrongPassword
            | AuthError::MissingToken
            | AuthError::InvalidToken(_) => StatusCode::UNAUTHORIZED,
            AuthError::Forbidden => StatusCode::FORBIDDEN,
            AuthError::UnknownUser => StatusCode::NOT_FOUND,
            AuthError::TooManyRequests(_) => StatusCode::TOO_MANY_REQUESTS,
            AuthError::Overloaded => StatusCode::SERVICE_UNAVAILABLE,
            AuthError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// RFC 6750 §3: a 401 names the scheme, and says `invalid_token` when a token was
    /// presented and refused.
    fn www_authenticate(&self) -> Option<&'static str> {
        match self {
            AuthError::InvalidToken(_) => Some(r#"Bearer error="invalid_token""#),
            AuthError::InvalidCredentials | AuthError::WrongPassword | AuthError::MissingToken => Some("Bearer"),
            _ => None,
        }
    }

    fn retry_after(&self) -> Option<u64> {
        match self {
            AuthError::TooManyRequests(wait) => Some(retry_after_secs(wait).max(1)),
            AuthError::Overloaded => Some(1),
            _ => None,
        }
    }

    pub fn internal(error: impl Into<anyhow::Error>) -> Self {
        AuthError::Internal(error.into())
    }
}

impl From<sqlx::Error> for AuthError {
    fn from(error: sqlx::Error) -> Self {
        AuthError::internal(error)
    }
}

impl From<HashError> for AuthError {
    fn from(error: HashError) -> Self {
        match error {
            HashError::Busy => AuthError::Overloaded,
            HashError::Failed(cause) => AuthError::Internal(cause),
        }
    }
}

/// A short random id tying a 5xx answer to its log line.
pub fn new_error_id() -> String {
    format!("{:016x}", rand::random::<u64>())
}

/// Turns a handler's result into a server-function result: on error, sets the status and
/// headers of the response being built and returns the wire error.
pub fn reply<T>(result: Result<T, AuthError>) -> Result<T, ApiError> {
    result.map_err(respond)
}

fn respond(error: AuthError) -> ApiError {
    let status = error.status();
    let mut body = ApiError::new(error.to_string());
    match &error {
        AuthError::Internal(cause) => {
            let error_id = new_error_id();
            tracing::error!(%error_id, error = format!("{cause:#}"), "request failed");
            body.error_id = Some(error_id);
        }
        AuthError::InvalidToken(reason) => tracing::debug!(reason, "token rejected"),
        other => tracing::debug!(%status, detail = %other, "request refused"),
    }
    if let Some(response) = use_context::<ResponseOptions>() {
        response.set_status(status);
        if let Some(challenge) = error.www_authenticate() {
            response.insert_header(header::WWW_AUTHENTICATE, HeaderValue::from_static(challenge));
        }
        if let Some(seconds) = error.retry_after() {
            response.insert_header(header::RETRY_AFTER, HeaderValue::from(seconds));
        }
    }
    body
}

/// Failures of the server-function machinery itself. On the server these happen while
/// decoding the request, before our function runs: the client sent a body we cannot
/// take, which is a 422 like any other invalid input, never a 500.
pub fn framework_error(error: ServerFnErrorErr) -> ApiError {
    match error {
        ServerFnErrorErr::Args(detail)
        | ServerFnErrorErr::Deserialization(detail)
        | ServerFnErrorErr::MissingArg(detail) => respond(AuthError::InvalidBody(detail)),
        other => respond(AuthError::internal(anyhow::anyhow!(other))),
    }
}
