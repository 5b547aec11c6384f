//! `AuthError` decides the HTTP status of every failure; [`reply`] puts that status (and
//! `WWW-Authenticate`) on the response and turns the error into the `{"detail": ...}` body.

use crate::api::ApiError;
use crate::validation::FieldError;
use axum::http::{HeaderValue, StatusCode, header};
use leptos::prelude::use_context;
use leptos::server_fn::error::ServerFnErrorErr;
use leptos_axum::ResponseOptions;

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
    #[error("Not authenticated")]
    MissingToken,
    /// The token is malformed, expired, forged, or its user is gone. Which one is only
    /// logged, never told to the client.
    #[error("Could not validate credentials")]
    InvalidToken(&'static str),
    /// Anything that is our fault. The cause is logged; the client learns nothing of it.
    #[error("Internal server error")]
    Internal(#[from] anyhow::Error),
}

impl AuthError {
    pub fn status(&self) -> StatusCode {
        match self {
            AuthError::InvalidBody(_) | AuthError::InvalidField(_) => StatusCode::UNPROCESSABLE_ENTITY,
            AuthError::EmailTaken => StatusCode::BAD_REQUEST,
            AuthError::InvalidCredentials | AuthError::MissingToken | AuthError::InvalidToken(_) => {
                StatusCode::UNAUTHORIZED
            }
            AuthError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
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

/// Turns a handler's result into a server-function result: on error, sets the status and
/// headers of the response being built and returns the wire error.
pub fn reply<T>(result: Result<T, AuthError>) -> Result<T, ApiError> {
    result.map_err(respond)
}

fn respond(error: AuthError) -> ApiError {
    let status = error.status();
    match &error {
        AuthError::Internal(cause) => tracing::error!(error = format!("{cause:#}"), "request failed"),
        AuthError::InvalidToken(reason) => tracing::debug!(reason, "token rejected"),
        other => tracing::debug!(%status, detail = %other, "request refused"),
    }
    if let Some(response) = use_context::<ResponseOptions>() {
        response.set_status(status);
        if status == StatusCode::UNAUTHORIZED {
            // RFC 6750 §3: a 401 names the scheme the client should use.
            response.insert_header(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
    }
    ApiError::new(error.to_string())
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
