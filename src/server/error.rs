//! `AuthError` decides the HTTP status of every failure, and [`ErrorReply::from_error`]
//! is the one place that turns a failure into what the client receives: status,
//! `WWW-Authenticate` / `Retry-After`, and the `{"detail": ...}` body (with an
//! `error_id` on 5xx). Server functions, the request guard, the REST handlers and the
//! panic catcher all answer through it.

use super::account::password::HashError;
use super::account::users::EmailWriteError;
use crate::api::{ApiError, ErrorCode, MfaChallenge, ValidationIssue};
use crate::validation::FieldError;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use leptos::server_fn::error::ServerFnErrorErr;
use std::time::Duration;

#[derive(Debug, thiserror::Error)]
pub enum AuthError {
    /// The request's body or query could not be taken as the endpoint's input, or asks
    /// for something the rules forbid (a page size out of range, demoting oneself): every
    /// refused input, answered as FastAPI's `HTTPValidationError`.
    #[error("{}", ApiError::invalid(.0.clone()).detail)]
    Invalid(Vec<ValidationIssue>),
    /// One field refused by a rule of `crate::validation` (a 422 like `Invalid`).
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
    /// A state change that another site made a browser send.
    #[error("Cross-site request refused")]
    CrossSiteRequest,
    #[error("No such user")]
    UnknownUser,
    /// A link from a mail that is used, expired, for something else, or made up.
    #[error("Invalid or expired link")]
    InvalidLink,
    /// The right password, but `REQUIRE_EMAIL_VERIFICATION` is on and the address is not
    /// verified yet. Said only after the password matched, so it reveals nothing new.
    #[error("Email not verified")]
    EmailNotVerified,
    /// A verification link was asked for an address that is verified already.
    #[error("Email already verified")]
    AlreadyVerified,
    /// The change would leave nobody able to administer.
    #[error("There must always be at least one admin: make someone else an admin first")]
    LastAdmin,
    /// The right password of an account with a second factor: no session yet; the body
    /// carries the `mfa_token` and the methods that can finish the login.
    #[error("Second factor required")]
    SecondFactorRequired(MfaChallenge),
    /// A wrong (or already used) authenticator code or recovery code.
    #[error("Invalid code")]
    InvalidCode,
    /// The `mfa_token` is unknown, expired, used, or out of attempts.
    #[error("This login has expired. Log in again.")]
    LoginExpired,
    #[error("Two-step verification is already on")]
    SecondFactorAlreadyOn,
    #[error("Two-step verification is not on")]
    SecondFactorNotOn,
    /// `SECOND_FACTOR_MAX_FAILURES` wrong codes in a row: an app's code is not even
    /// checked until a browser that signed in before, a recovery code or a passkey opens.
    #[error(
        "Too many wrong codes. Sign in with a recovery code, a passkey, or a browser you have signed in with before."
    )]
    SecondFactorLocked,
    /// With a second factor on, the password alone makes no new way in (step-up).
    #[error("Enter a code from your authenticator app (or a recovery code) as well")]
    CodeRequired,
    /// A code to turn it on, with no setup waiting for one.
    #[error("Set up two-step verification first")]
    NoSetupPending,
    /// `PUBLIC_URL` names no host a passkey can belong to (it is an IP address).
    #[error("Passkeys are not available on this server")]
    PasskeysUnavailable,
    /// A passkey's answer that does not check out (unknown, another site's, a bad
    /// signature, a cloned authenticator's counter).
    #[error("Passkey not recognised")]
    PasskeyRefused,
    #[error("This passkey is registered already")]
    PasskeyTaken,
    #[error("No such passkey")]
    UnknownPasskey,
    /// The start of a passkey ceremony is unknown, used or older than 5 minutes.
    #[error("This passkey request has expired. Try again.")]
    CeremonyExpired,
    #[error("No passkey is registered for this account")]
    NoPasskeys,
    #[error("Not authenticated")]
    MissingToken,
    /// The token is malformed, expired, forged, or its user is gone. Which one is only
    /// logged, never told to the client.
    #[error("Could not validate credentials")]
    InvalidToken(&'static str),
    /// The refresh cookie names no live session (unknown, expired, revoked, or reused —
    /// which has just revoked its session). Answered like a refused token; the cookie is
    /// cleared too, so the browser stops presenting it.
    #[error("Could not validate credentials")]
    RefreshRefused(&'static str),
    /// A throttle refused the request; it may be retried after the given wait.
    #[error("Too many attempts. Try again in {} seconds.", retry_after_secs(.0))]
    TooManyRequests(Duration),
    /// Password hashing is saturated; the client should retry shortly.
    #[error("The server is busy. Please try again in a moment.")]
    Overloaded,
    /// The database cannot be reached right now (restarting, or no free connection
    /// within `DATABASE_ACQUIRE_TIMEOUT_MS`); the client should retry shortly.
    #[error("The service is temporarily unavailable. Please try again in a moment.")]
    Unavailable,
    #[error("Request body too large")]
    BodyTooLarge,
    #[error("Content-Type must be application/json")]
    NotJson,
    /// The body did not arrive within `BODY_READ_TIMEOUT_MS`.
    #[error("The request body took too long to arrive")]
    BodyTimeout,
    /// The connection failed while the body was being read.
    #[error("Could not read the request body")]
    UnreadableBody,
    /// A refusal made by the framework rather than by us (unknown path 404, wrong method
    /// 405, request timeout 503); the detail is the status's reason phrase.
    #[error("{}", .0.canonical_reason().unwrap_or("Error"))]
    Framework(StatusCode),
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
            AuthError::Invalid(_) | AuthError::InvalidField(_) => StatusCode::UNPROCESSABLE_ENTITY,
            AuthError::EmailTaken
            | AuthError::UnreadableBody
            | AuthError::InvalidLink
            | AuthError::AlreadyVerified
            | AuthError::SecondFactorNotOn
            | AuthError::NoSetupPending
            | AuthError::PasskeysUnavailable
            | AuthError::CeremonyExpired
            | AuthError::NoPasskeys => StatusCode::BAD_REQUEST,
            AuthError::InvalidCredentials
            | AuthError::SecondFactorRequired(_)
            | AuthError::InvalidCode
            | AuthError::LoginExpired
            | AuthError::PasskeyRefused
            | AuthError::WrongPassword
            | AuthError::MissingToken
            | AuthError::InvalidToken(_)
            | AuthError::RefreshRefused(_) => StatusCode::UNAUTHORIZED,
            AuthError::Forbidden
            | AuthError::CrossSiteRequest
            | AuthError::EmailNotVerified
            | AuthError::SecondFactorLocked
            | AuthError::CodeRequired => StatusCode::FORBIDDEN,
            AuthError::UnknownUser | AuthError::UnknownPasskey => StatusCode::NOT_FOUND,
            AuthError::LastAdmin | AuthError::SecondFactorAlreadyOn | AuthError::PasskeyTaken => StatusCode::CONFLICT,
            AuthError::TooManyRequests(_) => StatusCode::TOO_MANY_REQUESTS,
            AuthError::Overloaded | AuthError::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
            AuthError::BodyTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            AuthError::NotJson => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            AuthError::BodyTimeout => StatusCode::REQUEST_TIMEOUT,
            AuthError::Framework(status) => *status,
            AuthError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// The stable code beside `detail` (`crate::api::ErrorCode`).
    pub fn code(&self) -> ErrorCode {
        match self {
            AuthError::Invalid(_) | AuthError::InvalidField(_) => ErrorCode::ValidationFailed,
            AuthError::EmailTaken => ErrorCode::EmailTaken,
            AuthError::InvalidCredentials => ErrorCode::InvalidCredentials,
            AuthError::WrongPassword => ErrorCode::WrongPassword,
            AuthError::Forbidden => ErrorCode::Forbidden,
            AuthError::CrossSiteRequest => ErrorCode::CrossSiteRequest,
            AuthError::UnknownUser => ErrorCode::UnknownUser,
            AuthError::InvalidLink => ErrorCode::InvalidLink,
            AuthError::EmailNotVerified => ErrorCode::EmailNotVerified,
            AuthError::AlreadyVerified => ErrorCode::EmailAlreadyVerified,
            AuthError::LastAdmin => ErrorCode::LastAdmin,
            AuthError::SecondFactorRequired(_) => ErrorCode::SecondFactorRequired,
            AuthError::InvalidCode => ErrorCode::InvalidCode,
            AuthError::LoginExpired => ErrorCode::LoginExpired,
            AuthError::SecondFactorAlreadyOn => ErrorCode::SecondFactorAlreadyOn,
            AuthError::SecondFactorNotOn => ErrorCode::SecondFactorNotOn,
            AuthError::SecondFactorLocked => ErrorCode::SecondFactorLocked,
            AuthError::CodeRequired => ErrorCode::CodeRequired,
            AuthError::NoSetupPending => ErrorCode::NoSetupPending,
            AuthError::PasskeysUnavailable => ErrorCode::PasskeysUnavailable,
            AuthError::PasskeyRefused => ErrorCode::PasskeyRefused,
            AuthError::PasskeyTaken => ErrorCode::PasskeyTaken,
            AuthError::UnknownPasskey => ErrorCode::UnknownPasskey,
            AuthError::CeremonyExpired => ErrorCode::CeremonyExpired,
            AuthError::NoPasskeys => ErrorCode::NoPasskeys,
            AuthError::MissingToken => ErrorCode::NotAuthenticated,
            AuthError::InvalidToken(_) | AuthError::RefreshRefused(_) => ErrorCode::InvalidToken,
            AuthError::TooManyRequests(_) => ErrorCode::TooManyRequests,
            AuthError::Overloaded => ErrorCode::Overloaded,
            AuthError::Unavailable => ErrorCode::Unavailable,
            AuthError::BodyTooLarge => ErrorCode::BodyTooLarge,
            AuthError::NotJson => ErrorCode::NotJson,
            AuthError::BodyTimeout => ErrorCode::BodyTimeout,
            AuthError::UnreadableBody => ErrorCode::UnreadableBody,
            AuthError::Framework(StatusCode::NOT_FOUND) => ErrorCode::NotFound,
            AuthError::Framework(StatusCode::METHOD_NOT_ALLOWED) => ErrorCode::MethodNotAllowed,
            AuthError::Framework(StatusCode::SERVICE_UNAVAILABLE) => ErrorCode::Unavailable,
            AuthError::Framework(_) => ErrorCode::HttpError,
            AuthError::Internal(_) => ErrorCode::InternalError,
        }
    }

    /// RFC 6750 §3: a 401 names the scheme, and says `invalid_token` when a token was
    /// presented and refused.
    fn www_authenticate(&self) -> Option<&'static str> {
        match self {
            AuthError::InvalidToken(_) | AuthError::RefreshRefused(_) => Some(r#"Bearer error="invalid_token""#),
            AuthError::InvalidCredentials
            | AuthError::WrongPassword
            | AuthError::MissingToken
            | AuthError::SecondFactorRequired(_)
            | AuthError::InvalidCode
            | AuthError::LoginExpired
            | AuthError::PasskeyRefused => Some("Bearer"),
            _ => None,
        }
    }

    fn retry_after(&self) -> Option<u64> {
        match self {
            AuthError::TooManyRequests(wait) => Some(retry_after_secs(wait).max(1)),
            AuthError::Overloaded => Some(1),
            AuthError::Unavailable => Some(2),
            _ => None,
        }
    }

    /// Does this answer tell the browser to forget its refresh cookie?
    pub fn clears_refresh_cookie(&self) -> bool {
        matches!(self, AuthError::RefreshRefused(_))
    }

    pub fn internal(error: impl Into<anyhow::Error>) -> Self {
        AuthError::Internal(error.into())
    }
}

impl From<sqlx::Error> for AuthError {
    fn from(error: sqlx::Error) -> Self {
        if super::platform::database::is_unavailable(&error) {
            tracing::warn!(error = %error, "database unavailable");
            return AuthError::Unavailable;
        }
        AuthError::internal(error)
    }
}

/// Several fields refused at once (a signup): every one of them is answered.
impl From<Vec<FieldError>> for AuthError {
    fn from(errors: Vec<FieldError>) -> Self {
        AuthError::Invalid(errors.into_iter().map(ValidationIssue::from).collect())
    }
}

impl From<EmailWriteError> for AuthError {
    fn from(error: EmailWriteError) -> Self {
        match error {
            EmailWriteError::EmailTaken => AuthError::EmailTaken,
            EmailWriteError::Database(e) => AuthError::from(e),
        }
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

/// Failures of the server-function machinery itself. On the server these happen while
/// decoding the request, before our function runs: the client sent a body or query we
/// cannot take, which is a 422 like any other invalid input, never a 500.
impl From<ServerFnErrorErr> for AuthError {
    fn from(error: ServerFnErrorErr) -> Self {
        match error {
            ServerFnErrorErr::Args(detail)
            | ServerFnErrorErr::Deserialization(detail)
            | ServerFnErrorErr::MissingArg(detail) => AuthError::Invalid(vec![ValidationIssue {
                kind: "value_error".to_owned(),
                loc: vec![crate::api::Loc::Name("body".to_owned())],
                msg: detail,
                input: None,
                ctx: None,
            }]),
            other => AuthError::internal(anyhow::anyhow!(other)),
        }
    }
}

/// A failure as the client receives it.
#[derive(Debug)]
pub struct ErrorReply {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: ApiError,
}

impl ErrorReply {
    /// The one conversion from a failure to an answer. It also logs: a 5xx with its cause
    /// under a fresh `error_id` (which the body carries, for the operator), anything else
    /// at debug level.
    pub fn from_error(error: AuthError) -> Self {
        let status = error.status();
        let mut body = match &error {
            AuthError::Invalid(issues) => ApiError::invalid(issues.clone()),
            AuthError::InvalidField(field) => ApiError::invalid(vec![field.clone().into()]),
            AuthError::SecondFactorRequired(challenge) => ApiError {
                challenge: Some(Box::new(challenge.clone())),
                ..ApiError::new(error.code(), error.to_string())
            },
            other => ApiError::new(other.code(), other.to_string()),
        };
        match &error {
            AuthError::Internal(cause) => {
                let error_id = format!("{:016x}", rand::random::<u64>());
                tracing::error!(%error_id, error = format!("{cause:#}"), "request failed");
                body.error_id = Some(error_id);
            }
            AuthError::InvalidToken(reason) | AuthError::RefreshRefused(reason) => {
                tracing::debug!(reason, "token rejected")
            }
            other => tracing::debug!(%status, detail = %other, "request refused"),
        }
        let mut headers = HeaderMap::new();
        if let Some(challenge) = error.www_authenticate() {
            headers.insert(header::WWW_AUTHENTICATE, HeaderValue::from_static(challenge));
        }
        if let Some(seconds) = error.retry_after() {
            headers.insert(header::RETRY_AFTER, HeaderValue::from(seconds));
        }
        Self { status, headers, body }
    }
}

impl From<AuthError> for ErrorReply {
    fn from(error: AuthError) -> Self {
        Self::from_error(error)
    }
}

impl IntoResponse for ErrorReply {
    fn into_response(self) -> Response {
        (self.status, self.headers, axum::Json(self.body)).into_response()
    }
}

impl IntoResponse for AuthError {
    fn into_response(self) -> Response {
        ErrorReply::from_error(self).into_response()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn internal_errors_hide_their_cause_behind_an_error_id() {
        let reply = ErrorReply::from_error(AuthError::internal(anyhow::anyhow!("disk on fire")));
        assert_eq!(reply.status, StatusCode::INTERNAL_SERVER_ERROR);
        assert_eq!(reply.body.detail, "Internal server error");
        assert_eq!(reply.body.error_id.as_deref().map(str::len), Some(16));
    }

    #[test]
    fn refusals_carry_their_challenge_and_wait() {
        let reply = ErrorReply::from_error(AuthError::InvalidToken("expired"));
        assert_eq!(reply.status, StatusCode::UNAUTHORIZED);
        assert_eq!(
            reply.headers[header::WWW_AUTHENTICATE],
            r#"Bearer error="invalid_token""#
        );
        let reply = ErrorReply::from_error(AuthError::TooManyRequests(Duration::from_millis(1500)));
        assert_eq!(reply.headers[header::RETRY_AFTER], "2");
        assert_eq!(reply.body.detail, "Too many attempts. Try again in 2 seconds.");
        assert_eq!(reply.body.error_id, None);
        let reply = ErrorReply::from_error(AuthError::Framework(StatusCode::METHOD_NOT_ALLOWED));
        assert_eq!(reply.body.detail, "Method Not Allowed");
    }

    #[test]
    fn decoding_failures_are_invalid_input() {
        let error = AuthError::from(ServerFnErrorErr::Deserialization("email: missing".into()));
        assert_eq!(error.status(), StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(error.to_string(), "email: missing");
    }
}
