//! The one error type every server function returns, encoded as `{"detail": "..."}`.
//!
//! Which HTTP status goes with an error is decided on the server, in
//! `crate::server::error::AuthError`; this type is only what travels on the wire.

use leptos::server_fn::codec::JsonEncoding;
use leptos::server_fn::error::{FromServerFnError, ServerFnErrorErr};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[error("{detail}")]
pub struct ApiError {
    pub detail: String,
    /// Only on 5xx: quote it to the operator, who finds the cause in the log under it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error_id: Option<String>,
}

impl ApiError {
    pub fn new(detail: impl Into<String>) -> Self {
        Self {
            detail: detail.into(),
            error_id: None,
        }
    }
}

impl FromServerFnError for ApiError {
    type Encoder = JsonEncoding;

    /// Failures raised by the server-function machinery rather than by our code: on the
    /// server, a request body that could not be decoded (before our function runs); in
    /// the browser, a network failure or an unreadable response.
    fn from_server_fn_error(error: ServerFnErrorErr) -> Self {
        #[cfg(feature = "ssr")]
        {
            crate::server::edge::api_error_from(crate::server::AuthError::from(error))
        }
        #[cfg(not(feature = "ssr"))]
        {
            match error {
                ServerFnErrorErr::Request(_) => {
                    Self::new("Could not reach the server. Check your connection and try again.")
                }
                _ => Self::new("The server sent an unexpected response. Please try again."),
            }
        }
    }
}
