//! The edge between a server function and the services: the one place that reads the
//! Leptos request context. [`Edge::begin`] takes from the request what the services
//! need — the [`AppState`], a [`RequestMeta`] and, for authenticated calls, the
//! [`Principal`] — and the `answer*` methods turn what the services return into the
//! response: status and headers for an error, the refresh cookie for a session.

use super::request_meta::RequestMeta;
use crate::api::{ApiError, TokenResponse, User};
use crate::server::error::{AuthError, ErrorReply};
use crate::server::sessions::login::LoginStep;
use crate::server::sessions::store::RefreshToken;
use crate::server::sessions::{Principal, SessionIssued, SignedUp, authenticate};
use crate::server::state::AppState;
use axum::extract::ConnectInfo;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use leptos::prelude::use_context;
use leptos_axum::ResponseOptions;
use std::net::SocketAddr;

/// One server-function call: its state, who sent it, and the response being built.
pub struct Edge {
    state: AppState,
    meta: RequestMeta,
    response: ResponseOptions,
}

impl Edge {
    /// Reads the request once. Fails only if the app was wired wrongly (a 500).
    pub async fn begin() -> Result<Self, ApiError> {
        Self::read_request().await.map_err(api_error_from)
    }

    async fn read_request() -> Result<Self, AuthError> {
        let missing = |what: &str| AuthError::internal(anyhow::anyhow!("{what} missing from the request context"));
        let state = use_context::<AppState>().ok_or_else(|| missing("AppState"))?;
        let response = use_context::<ResponseOptions>().ok_or_else(|| missing("ResponseOptions"))?;
        let headers: HeaderMap = leptos_axum::extract().await.map_err(AuthError::internal)?;
        let ConnectInfo(peer) = leptos_axum::extract::<ConnectInfo<SocketAddr>>()
            .await
            .map_err(AuthError::internal)?;
        let meta = RequestMeta::from_parts(peer.ip(), &headers, &state.trusted_proxies, &state.sessions.cookies);
        Ok(Self { state, meta, response })
    }

    pub fn state(&self) -> &AppState {
        &self.state
    }

    pub fn meta(&self) -> &RequestMeta {
        &self.meta
    }

    /// The person whose access token the request carries.
    pub async fn principal(&self) -> Result<Principal, AuthError> {
        authenticate(&self.state, &self.meta).await
    }

    /// The service's result as the server function's: an error sets the status and
    /// headers of the response and becomes the `{"detail"}` body.
    pub fn answer<T>(&self, result: Result<T, AuthError>) -> Result<T, ApiError> {
        result.map_err(|error| {
            if error.clears_refresh_cookie() {
                self.set_cookie(self.state.sessions.cookies.clear());
            }
            apply(&self.response, ErrorReply::from_error(error))
        })
    }

    /// For operations that start or renew a session: the new refresh token goes into
    /// the cookie, the body to the client.
    pub fn answer_with_session<T>(&self, result: Result<SessionIssued<T>, AuthError>) -> Result<T, ApiError> {
        self.answer(result).map(|issued| self.deliver(issued))
    }

    /// A login: a session, or the 401 `Second factor required` whose `mfa_token` the
    /// client finishes the login with.
    pub fn answer_login(&self, result: Result<LoginStep, AuthError>) -> Result<TokenResponse, ApiError> {
        let issued = result.and_then(|step| step.into_session().map_err(AuthError::SecondFactorRequired));
        self.answer_with_session(issued)
    }

    /// A refresh: a renewed session, or with `None` (nothing to renew) 204 No Content.
    pub fn answer_maybe_session<T>(
        &self,
        result: Result<Option<SessionIssued<T>>, AuthError>,
    ) -> Result<Option<T>, ApiError> {
        self.answer(result).map(|issued| match issued {
            Some(issued) => Some(self.deliver(issued)),
            None => {
                self.response.set_status(StatusCode::NO_CONTENT);
                None
            }
        })
    }

    /// A signup: with a session when the account may log in at once, without one while
    /// its address awaits verification.
    pub fn answer_signup(&self, result: Result<SignedUp, AuthError>) -> Result<User, ApiError> {
        self.answer(result).map(|signed_up| match signed_up {
            SignedUp::LoggedIn(issued) => self.deliver(issued),
            SignedUp::VerifyFirst(user) => user,
        })
    }

    fn deliver<T>(&self, issued: SessionIssued<T>) -> T {
        self.set_refresh_cookie(&issued.refresh_token);
        if let Some(device) = &issued.device_token {
            self.set_cookie(self.state.sessions.cookies.device(device));
        }
        issued.body
    }

    /// For operations that only start something (a mail on its way): 202 Accepted.
    pub fn answer_accepted<T>(&self, result: Result<T, AuthError>) -> Result<T, ApiError> {
        self.answer(result)
            .inspect(|_| self.response.set_status(StatusCode::ACCEPTED))
    }

    /// For operations that end this browser's session: on success the cookie is cleared.
    pub fn answer_ending_session<T>(&self, result: Result<T, AuthError>) -> Result<T, ApiError> {
        self.answer(result)
            .inspect(|_| self.set_cookie(self.state.sessions.cookies.clear()))
    }

    fn set_refresh_cookie(&self, token: &RefreshToken) {
        self.set_cookie(self.state.sessions.cookies.set(&token.0));
    }

    fn set_cookie(&self, cookie: Option<HeaderValue>) {
        if let Some(cookie) = cookie {
            self.response.append_header(header::SET_COOKIE, cookie);
        }
    }
}

fn apply(response: &ResponseOptions, reply: ErrorReply) -> ApiError {
    response.set_status(reply.status);
    for (name, value) in &reply.headers {
        response.insert_header(name.clone(), value.clone());
    }
    reply.body
}

/// An error raised outside [`Edge`] — by the server-function machinery while decoding
/// the request (`ApiError::from_server_fn_error`), or before the edge could read the
/// request — as the server function's error, with its status set on the response.
pub fn api_error_from(error: AuthError) -> ApiError {
    let reply = ErrorReply::from_error(error);
    match use_context::<ResponseOptions>() {
        Some(response) => apply(&response, reply),
        None => reply.body,
    }
}
