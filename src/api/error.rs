//! The one error type every server function returns.
//!
//! On the wire it is `{"detail": "..."}` — except a validation failure (422), which is
//! FastAPI's `HTTPValidationError`: `{"detail": [{"type","loc","msg","input"}, ...]}`, one
//! entry per refused input, so that clients written against the FastAPI service read it
//! unchanged. Which HTTP status goes with an error is decided on the server, in
//! `crate::server::error::AuthError`; this type is only what travels.
//!
//! Every error also carries a stable, machine-readable [`ErrorCode`] as `code`, beside
//! `detail`: clients (and the UI's translations) match on the code, since `detail` is
//! English prose that may be reworded.

use leptos::server_fn::codec::JsonEncoding;
use leptos::server_fn::error::{FromServerFnError, ServerFnErrorErr};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::Value;

/// What kind of error it is, for programs: `code` on the wire, in snake case
/// (`"invalid_credentials"`). A code never changes its meaning; new ones may be added, and a
/// client reads one it does not know as `unknown`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    /// 422: the body, query or path was refused; `detail` lists every refused input.
    ValidationFailed,
    EmailTaken,
    InvalidCredentials,
    /// A logged-in person confirmed an action with the wrong password.
    WrongPassword,
    /// Authenticated, but the role does not allow it.
    Forbidden,
    CrossSiteRequest,
    UnknownUser,
    InvalidLink,
    EmailNotVerified,
    EmailAlreadyVerified,
    LastAdmin,
    /// 401 of a login that waits for its second factor: `mfa_token` and `methods` beside.
    SecondFactorRequired,
    InvalidCode,
    LoginExpired,
    SecondFactorAlreadyOn,
    SecondFactorNotOn,
    /// 403: too many wrong codes in a row; a recovery code, a passkey or a browser that
    /// signed in to the account before still opens.
    SecondFactorLocked,
    /// 403: the account has a second factor on, and this change needs a current `code`
    /// (or recovery code) beside the password.
    CodeRequired,
    NoSetupPending,
    PasskeysUnavailable,
    PasskeyRefused,
    PasskeyTaken,
    UnknownPasskey,
    CeremonyExpired,
    NoPasskeys,
    /// No access token was sent.
    NotAuthenticated,
    /// An access token or refresh cookie that is malformed, expired, forged or revoked.
    InvalidToken,
    /// 429: a throttle; `Retry-After` says when to try again.
    TooManyRequests,
    /// 503: password hashing is saturated; `Retry-After`.
    Overloaded,
    /// 503: the database cannot be reached right now; `Retry-After`.
    Unavailable,
    BodyTooLarge,
    NotJson,
    BodyTimeout,
    UnreadableBody,
    NotFound,
    MethodNotAllowed,
    /// Another refusal of the HTTP layer (`detail` is the status's reason phrase).
    HttpError,
    /// 500: `error_id` names the cause in the server's log.
    InternalError,
    /// Made by the browser's client, never sent by the server: the server was unreachable.
    NetworkError,
    /// Made by the browser's client: the answer could not be read.
    UnexpectedResponse,
    /// Made by the browser's client: the browser's passkey dialog failed or was cancelled.
    PasskeyCeremonyFailed,
    /// A code this build does not know (sent by a newer server).
    #[serde(other)]
    Unknown,
}

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{detail}")]
pub struct ApiError {
    /// What kind of error, for programs.
    pub code: ErrorCode,
    /// What went wrong, for people: for a validation failure, its messages joined.
    pub detail: String,
    /// Only on 5xx: quote it to the operator, who finds the cause in the log under it.
    pub error_id: Option<String>,
    /// Only on 422: every refused input.
    pub issues: Vec<ValidationIssue>,
    /// Only on the 401 of a login that needs its second factor: how to finish it.
    /// (Boxed: it is rare, and keeps every `Result<_, ApiError>` small.)
    pub challenge: Option<Box<MfaChallenge>>,
}

/// A login whose password was right and that waits for a second factor
/// (`POST /auth/login/mfa`): on the wire, beside `detail` in the 401's body.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MfaChallenge {
    /// Finishes this login once, within 5 minutes and 5 attempts.
    pub mfa_token: String,
    /// What can finish it: `totp`, `recovery_code`.
    pub methods: Vec<String>,
}

/// One refused input, as FastAPI reports it (its schema is FastAPI's `ValidationError`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema), schema(as = ValidationError))]
pub struct ValidationIssue {
    /// What kind of refusal: `missing`, `string_type`, `extra_forbidden`, `json_invalid`,
    /// `value_error`, …
    #[serde(rename = "type")]
    pub kind: String,
    /// Where: `["body", "email"]`, `["query", "limit"]`, `["path", "id"]`, or
    /// `["body", <byte offset>]` for a body that is not JSON.
    pub loc: Vec<Loc>,
    pub msg: String,
    /// What was sent there; never a password.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub input: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ctx: Option<Value>,
}

/// A step of a location: a field name, or a position.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(untagged)]
pub enum Loc {
    Name(String),
    Index(u64),
}

impl ValidationIssue {
    /// The body field this issue is about, if it is about one.
    pub fn body_field(&self) -> Option<&str> {
        match self.loc.as_slice() {
            [Loc::Name(part), Loc::Name(field), ..] if part == "body" => Some(field),
            _ => None,
        }
    }
}

impl ApiError {
    pub fn new(code: ErrorCode, detail: impl Into<String>) -> Self {
        Self {
            code,
            detail: detail.into(),
            error_id: None,
            issues: Vec::new(),
            challenge: None,
        }
    }

    /// A validation failure (422) listing every refused input.
    pub fn invalid(issues: Vec<ValidationIssue>) -> Self {
        let detail = issues
            .iter()
            .map(|issue| match issue.body_field() {
                Some(field) => format!("{field}: {}", issue.msg),
                None => issue.msg.clone(),
            })
            .collect::<Vec<_>>()
            .join("; ");
        Self {
            code: ErrorCode::ValidationFailed,
            detail,
            error_id: None,
            issues,
            challenge: None,
        }
    }

    /// The message about body field `field`, if the server refused it.
    pub fn field_message(&self, field: &str) -> Option<String> {
        self.issues
            .iter()
            .find(|issue| issue.body_field() == Some(field))
            .map(|issue| issue.msg.clone())
    }
}

/// The two shapes of `detail` on the wire.
#[derive(Serialize, Deserialize)]
#[serde(untagged)]
enum Detail {
    Text(String),
    Issues(Vec<ValidationIssue>),
}

#[derive(Serialize, Deserialize)]
struct Wire {
    detail: Detail,
    /// Absent only from an older server's answers.
    #[serde(default = "unknown_code")]
    code: ErrorCode,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    error_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    mfa_token: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    methods: Option<Vec<String>>,
}

fn unknown_code() -> ErrorCode {
    ErrorCode::Unknown
}

impl Serialize for ApiError {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let detail = if self.issues.is_empty() {
            Detail::Text(self.detail.clone())
        } else {
            Detail::Issues(self.issues.clone())
        };
        Wire {
            detail,
            code: self.code,
            error_id: self.error_id.clone(),
            mfa_token: self.challenge.as_ref().map(|c| c.mfa_token.clone()),
            methods: self.challenge.as_ref().map(|c| c.methods.clone()),
        }
        .serialize(serializer)
    }
}

impl<'de> Deserialize<'de> for ApiError {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let wire = Wire::deserialize(deserializer)?;
        let mut error = match wire.detail {
            Detail::Text(detail) => ApiError::new(wire.code, detail),
            Detail::Issues(issues) => ApiError::invalid(issues),
        };
        error.error_id = wire.error_id;
        error.challenge = wire.mfa_token.map(|mfa_token| {
            Box::new(MfaChallenge {
                mfa_token,
                methods: wire.methods.unwrap_or_default(),
            })
        });
        Ok(error)
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
            crate::server::http::edge::api_error_from(crate::server::AuthError::from(error))
        }
        #[cfg(not(feature = "ssr"))]
        {
            match error {
                ServerFnErrorErr::Request(_) => Self::new(
                    ErrorCode::NetworkError,
                    "Could not reach the server. Check your connection and try again.",
                ),
                _ => Self::new(
                    ErrorCode::UnexpectedResponse,
                    "The server sent an unexpected response. Please try again.",
                ),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_plain_error_is_a_detail_string() {
        let error = ApiError::new(ErrorCode::InvalidCredentials, "Incorrect email or password");
        assert_eq!(
            serde_json::to_value(&error).unwrap(),
            json!({"detail": "Incorrect email or password", "code": "invalid_credentials"})
        );
        let back: ApiError =
            serde_json::from_value(json!({"detail": "x", "code": "internal_error", "error_id": "abc"})).unwrap();
        assert_eq!(back.error_id.as_deref(), Some("abc"));
        assert_eq!(back.code, ErrorCode::InternalError);
        // A code from a newer server, or none from an older one, is `Unknown`.
        let newer: ApiError = serde_json::from_value(json!({"detail": "x", "code": "from_the_future"})).unwrap();
        assert_eq!(newer.code, ErrorCode::Unknown);
        let older: ApiError = serde_json::from_value(json!({"detail": "x"})).unwrap();
        assert_eq!(older.code, ErrorCode::Unknown);
    }

    #[test]
    fn a_second_factor_challenge_travels_beside_the_detail() {
        let wire = json!({"detail": "Second factor required", "code": "second_factor_required", "mfa_token": "ab", "methods": ["totp", "recovery_code"]});
        let error: ApiError = serde_json::from_value(wire.clone()).unwrap();
        let challenge = error.challenge.clone().unwrap();
        assert_eq!(challenge.mfa_token, "ab");
        assert_eq!(challenge.methods, ["totp", "recovery_code"]);
        assert_eq!(serde_json::to_value(&error).unwrap(), wire);
    }

    #[test]
    fn a_validation_failure_is_fastapis_list_both_ways() {
        let wire = json!({"detail": [
            {"type": "missing", "loc": ["body", "email"], "msg": "Field required", "input": {}},
            {"type": "json_invalid", "loc": ["body", 7], "msg": "JSON decode error"}
        ], "code": "validation_failed"});
        let error: ApiError = serde_json::from_value(wire.clone()).unwrap();
        assert_eq!(error.issues.len(), 2);
        assert_eq!(error.field_message("email").as_deref(), Some("Field required"));
        assert_eq!(error.detail, "email: Field required; JSON decode error");
        assert_eq!(error.issues[1].loc, [Loc::Name("body".into()), Loc::Index(7)]);
        assert_eq!(serde_json::to_value(&error).unwrap(), wire);
    }
}
