//! `api_guard`: the request guard of `/auth/*` and `/admin/*`, which keeps them a JSON
//! API whatever happens. It refuses cross-site state changes (403), bodies that are not
//! JSON (415), oversized bodies before reading them (413), bodies that take too long
//! to arrive (408) and requests whose shape the OpenAPI document does not allow (422,
//! `super::schema_check`); turns any error response
//! that is not already JSON (an unknown path, a wrong method, a timeout, a framework
//! failure) into `{"detail": ...}`; and marks every answer `Cache-Control: no-store`
//! (it carries tokens or personal data; RFC 6749 §5.1).

use crate::server::error::{AuthError, ErrorReply};
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use http_body_util::BodyExt;
use std::time::Duration;

/// Bodies on `/auth/*` are a few hundred bytes; anything much bigger is refused before
/// it is read into memory or reaches a password hash.
pub const MAX_API_BODY_BYTES: usize = 16 * 1024;

pub async fn api_guard(State(body_timeout): State<Duration>, request: Request, next: Next) -> Response {
    let path = request.uri().path();
    if !(path.starts_with("/auth/") || path.starts_with("/admin/")) {
        return next.run(request).await;
    }
    let mut response = match admit(request, body_timeout).await {
        Ok(request) => as_json_error(next.run(request).await),
        Err(refusal) => refusal.into_response(),
    };
    let no_content = response.status() == StatusCode::NO_CONTENT;
    let headers = response.headers_mut();
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    // The JSON encoding names its type even when it has nothing to say.
    if no_content {
        headers.remove(header::CONTENT_TYPE);
    }
    response
}

/// The request with its body read, or why it is refused before any handler runs.
async fn admit(request: Request, body_timeout: Duration) -> Result<Request, AuthError> {
    if is_cross_site_state_change(&request) {
        return Err(AuthError::CrossSiteRequest);
    }
    if sends_non_json_body(&request) {
        return Err(AuthError::NotJson);
    }
    // A client that trickles its body holds a task: it gets `BODY_READ_TIMEOUT_MS`.
    let (parts, body) = tokio::time::timeout(body_timeout, read_bounded_body(request))
        .await
        .unwrap_or(Err(AuthError::BodyTimeout))?;
    super::schema_check::check(parts.method.as_str(), parts.uri.path(), parts.uri.query(), &body)
        .map_err(AuthError::Invalid)?;
    Ok(Request::from_parts(parts, Body::from(body)))
}

fn is_safe_method(method: &Method) -> bool {
    matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS)
}

/// A browser says where a request comes from: `Sec-Fetch-Site` (all current browsers)
/// and `Origin` (on every POST/PATCH/DELETE). A state change that another site made the
/// browser send — with our cookie attached — is refused. Requests that carry neither
/// header do not come from a browser page, so they cannot ride on a victim's cookie.
fn is_cross_site_state_change(request: &Request) -> bool {
    if is_safe_method(request.method()) {
        return false;
    }
    let headers = request.headers();
    if let Some(site) = headers.get("sec-fetch-site").and_then(|v| v.to_str().ok()) {
        return !matches!(site, "same-origin" | "none");
    }
    let Some(origin) = headers.get(header::ORIGIN).and_then(|v| v.to_str().ok()) else {
        return false;
    };
    let host = headers
        .get(header::HOST)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    let origin_authority = origin.split_once("://").map_or("", |(_, authority)| authority);
    origin == "null" || !origin_authority.eq_ignore_ascii_case(host)
}

/// Every `/auth/*` body is JSON; a request with a body that says otherwise is refused
/// with 415 before anything reads it. (No body at all is fine: some endpoints take no
/// arguments.)
fn sends_non_json_body(request: &Request) -> bool {
    if is_safe_method(request.method()) {
        return false;
    }
    let headers = request.headers();
    let declared_empty = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.trim() == "0");
    let has_body = !declared_empty
        && (headers.contains_key(header::CONTENT_LENGTH) || headers.contains_key(header::TRANSFER_ENCODING));
    if !has_body {
        return false;
    }
    let essence = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .map(str::trim);
    !essence.is_some_and(|e| e.eq_ignore_ascii_case("application/json"))
}

/// Reads the whole body, at most [`MAX_API_BODY_BYTES`] of it, before anything else runs.
async fn read_bounded_body(request: Request) -> Result<(axum::http::request::Parts, axum::body::Bytes), AuthError> {
    let (parts, body) = request.into_parts();
    let declared_length = parts
        .headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok()?.parse::<usize>().ok());
    if declared_length.is_some_and(|len| len > MAX_API_BODY_BYTES) {
        return Err(AuthError::BodyTooLarge);
    }
    match http_body_util::Limited::new(body, MAX_API_BODY_BYTES).collect().await {
        Ok(collected) => Ok((parts, collected.to_bytes())),
        Err(e) if e.is::<http_body_util::LengthLimitError>() => Err(AuthError::BodyTooLarge),
        Err(_) => Err(AuthError::UnreadableBody),
    }
}

/// Outside the API, an error answer that has no body at all (Axum's 405 on `/health/live`
/// or on a page, the request timeout's 503) gets the same JSON body as the API's; an error
/// that has a body of its own (the not-found page, the API's JSON) is left as it is.
pub async fn json_for_bare_errors(request: Request, next: Next) -> Response {
    use axum::body::HttpBody;
    let response = next.run(request).await;
    if response.body().size_hint().exact() == Some(0) {
        as_json_error(response)
    } else {
        response
    }
}

/// Error responses made outside our handlers (Axum's 404/405, the request timeout,
/// Leptos' own failures) get the same JSON body as ours, through the same
/// [`ErrorReply`]. A 500 never shows what went wrong.
fn as_json_error(response: Response) -> Response {
    let status = response.status();
    let is_json = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"));
    if is_json || !(status.is_client_error() || status.is_server_error()) {
        return response;
    }
    if status == StatusCode::INTERNAL_SERVER_ERROR {
        return AuthError::internal(anyhow::anyhow!("non-JSON 500 from the framework")).into_response();
    }
    // Keep the status and headers such as `Allow`; replace only the body.
    let (mut parts, _) = response.into_parts();
    let (reply, body) = ErrorReply::from_error(AuthError::Framework(status))
        .into_response()
        .into_parts();
    parts.headers.remove(header::CONTENT_LENGTH);
    for (name, value) in &reply.headers {
        parts.headers.insert(name.clone(), value.clone());
    }
    Response::from_parts(parts, body)
}
