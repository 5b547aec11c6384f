//! The HTTP application: Leptos pages and server functions on one Axum router, plus the
//! layers every request passes through, and the serve loop.

use super::config::Config;
use super::error::new_error_id;
use super::state::AppState;
use crate::ui::{App, shell};
use anyhow::Context;
use axum::Router;
use axum::body::Body;
use axum::extract::{Path, Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use http_body_util::BodyExt;
use leptos::config::LeptosOptions;
use leptos::nonce::Nonce;
use leptos::prelude::{provide_context, use_context};
use leptos_axum::{LeptosRoutes, generate_route_list};
use serde_json::json;
use std::any::Any;
use std::net::SocketAddr;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::{DefaultOnResponse, TraceLayer};
use tracing::Level;

/// Bodies on `/auth/*` are a few hundred bytes; anything much bigger is refused before
/// it is read into memory or reaches a password hash.
pub const MAX_API_BODY_BYTES: usize = 16 * 1024;

/// Logs go to stdout, filtered by `RUST_LOG` (default: `info`).
pub fn init_tracing() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info,sqlx=warn"));
    // try_init: tests may build several apps in one process.
    let _ = tracing_subscriber::fmt().with_env_filter(filter).try_init();
}

/// Reads the configuration, opens the database and serves until SIGTERM or Ctrl-C,
/// letting requests in flight finish.
pub async fn run() -> anyhow::Result<()> {
    let config = Config::from_env()?;
    let leptos_options = leptos::config::get_configuration(None)
        .context("reading the LEPTOS_* configuration")?
        .leptos_options;
    let addr = leptos_options.site_addr;
    let app = build_router(&config, leptos_options).await?;
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .with_context(|| format!("binding {addr}"))?;
    tracing::info!("listening on http://{addr}");
    axum::serve(listener, app.into_make_service_with_connect_info::<SocketAddr>())
        .with_graceful_shutdown(shutdown_signal())
        .await
        .context("serving HTTP")
}

/// Builds the whole application: the state, the Leptos routes (pages and server
/// functions), static files, and the layers.
pub async fn build_router(config: &Config, leptos_options: LeptosOptions) -> anyhow::Result<Router> {
    let state = AppState::new(config).await?;
    register_server_functions();
    let routes = generate_route_list(App);
    let delete_me = {
        let state = state.clone();
        move |request: Request| forward_to_server_fn(state, request, Method::POST, "/auth/delete-account", None)
    };
    let set_role = {
        let state = state.clone();
        move |Path(id): Path<String>, request: Request| {
            forward_to_server_fn(state, request, Method::PATCH, "/admin/users/role", Some(id))
        }
    };
    let router = Router::new()
        .leptos_routes_with_context(
            &leptos_options,
            routes,
            move || {
                provide_context(state.clone());
                use_csp_nonce();
            },
            {
                let leptos_options = leptos_options.clone();
                move || shell(leptos_options.clone())
            },
        )
        .route("/auth/me", axum::routing::delete(delete_me))
        .route("/admin/users/{id}", axum::routing::patch(set_role))
        .fallback(leptos_axum::file_and_error_handler(shell))
        .with_state(leptos_options)
        // Innermost first: each `.layer` wraps everything above it.
        .layer(TimeoutLayer::with_status_code(
            StatusCode::SERVICE_UNAVAILABLE,
            config.request_timeout,
        ))
        .layer(middleware::from_fn(api_responses))
        .layer(CatchPanicLayer::custom(panic_response))
        .layer(middleware::from_fn_with_state(config.serves_https(), security_headers))
        .layer(
            TraceLayer::new_for_http()
                // The path only: a query string may carry something secret.
                .make_span_with(|request: &Request| {
                    tracing::info_span!("request", method = %request.method(), path = %request.uri().path())
                })
                .on_request(())
                .on_response(DefaultOnResponse::new().level(Level::INFO)),
        );
    Ok(router)
}

/// Server functions register themselves through `inventory`, but a linker may drop an
/// unreferenced registration from a test binary; naming them here makes it certain.
fn register_server_functions() {
    use crate::api::*;
    use leptos::server_fn::axum::register_explicit;
    register_explicit::<Signup>();
    register_explicit::<Login>();
    register_explicit::<Me>();
    register_explicit::<Refresh>();
    register_explicit::<Logout>();
    register_explicit::<LogoutAll>();
    register_explicit::<GetAccount>();
    register_explicit::<UpdateMe>();
    register_explicit::<ChangePassword>();
    register_explicit::<DeleteAccount>();
    register_explicit::<ListUsers>();
    register_explicit::<SetUserRole>();
}

/// The REST forms of two server functions, whose natural HTTP shape a server function
/// cannot have: `DELETE /auth/me` (a DELETE with a body) and `PATCH /admin/users/{id}`
/// (a path parameter). The request is rewritten into the server function's own —
/// method, path, and the id moved into the JSON body — and handled by it, so both forms
/// run the same code.
async fn forward_to_server_fn(
    state: AppState,
    request: Request,
    method: Method,
    path: &'static str,
    id_from_path: Option<String>,
) -> Response {
    let (mut parts, body) = request.into_parts();
    // The body was already read and bounded by `api_responses`.
    let Ok(collected) = body.collect().await else {
        return json_error(StatusCode::BAD_REQUEST, "Could not read the request body");
    };
    let mut bytes = collected.to_bytes();
    if let Some(id) = id_from_path {
        // Anything but a JSON object is passed on as it is; the server function's
        // decoder explains what is wrong with it.
        if let Ok(serde_json::Value::Object(mut fields)) = serde_json::from_slice(&bytes) {
            let id = id
                .parse::<i64>()
                .map_or(serde_json::Value::String(id), serde_json::Value::from);
            fields.insert("id".to_owned(), id);
            bytes = serde_json::Value::Object(fields).to_string().into();
        }
        parts.headers.remove(header::CONTENT_LENGTH);
    }
    parts.method = method;
    parts.uri = axum::http::Uri::from_static(path);
    let request = Request::from_parts(parts, Body::from(bytes));
    leptos_axum::handle_server_fns_with_context(move || provide_context(state.clone()), request)
        .await
        .into_response()
}

/// Keeps `/auth/*` and `/admin/*` a JSON API whatever happens: refuses cross-site
/// state changes (403), refuses oversized bodies with 413 before reading them, turns any error response that is not already JSON (an unknown path, a
/// wrong method, a framework failure) into `{"detail": ...}`, and marks every answer
/// `Cache-Control: no-store` (it carries tokens or personal data; RFC 6749 §5.1).
async fn api_responses(request: Request, next: Next) -> Response {
    let path = request.uri().path();
    if !(path.starts_with("/auth/") || path.starts_with("/admin/")) {
        return next.run(request).await;
    }
    let mut response = if is_cross_site_state_change(&request) {
        json_error(StatusCode::FORBIDDEN, "Cross-site request refused")
    } else if sends_non_json_body(&request) {
        json_error(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "Content-Type must be application/json",
        )
    } else {
        match read_bounded_body(request).await {
            Ok(request) => as_json_error(next.run(request).await),
            Err(refusal) => refusal,
        }
    };
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
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
async fn read_bounded_body(request: Request) -> Result<Request, Response> {
    let too_large = || json_error(StatusCode::PAYLOAD_TOO_LARGE, "Request body too large");
    let (parts, body) = request.into_parts();
    let declared_length = parts
        .headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok()?.parse::<usize>().ok());
    if declared_length.is_some_and(|len| len > MAX_API_BODY_BYTES) {
        return Err(too_large());
    }
    match http_body_util::Limited::new(body, MAX_API_BODY_BYTES).collect().await {
        Ok(collected) => Ok(Request::from_parts(parts, Body::from(collected.to_bytes()))),
        Err(e) if e.is::<http_body_util::LengthLimitError>() => Err(too_large()),
        Err(_) => Err(json_error(StatusCode::BAD_REQUEST, "Could not read the request body")),
    }
}

/// Error responses made outside our server functions (Axum's 404/405, the request
/// timeout, Leptos' own failures) get a JSON body. A 500 never shows what went wrong.
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
        return internal_error("non-JSON 500 from the framework");
    }
    // Keep the status and headers such as `Allow`; replace only the body.
    let (mut parts, _) = response.into_parts();
    let detail = status.canonical_reason().unwrap_or("Error");
    parts
        .headers
        .insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
    parts.headers.remove(header::CONTENT_LENGTH);
    Response::from_parts(parts, Body::from(json!({ "detail": detail }).to_string()))
}

fn json_error(status: StatusCode, detail: &str) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, "application/json")],
        json!({ "detail": detail }).to_string(),
    )
        .into_response()
}

/// The generic 500: an id for the operator, the cause only in the log.
fn internal_error(cause: &str) -> Response {
    let error_id = new_error_id();
    tracing::error!(%error_id, cause, "request failed");
    let body = json!({ "detail": "Internal server error", "error_id": error_id });
    (
        StatusCode::INTERNAL_SERVER_ERROR,
        [(header::CONTENT_TYPE, "application/json")],
        body.to_string(),
    )
        .into_response()
}

/// A panic is a bug: log it, and answer with the same generic body as any other 500.
fn panic_response(panic: Box<dyn Any + Send + 'static>) -> Response {
    let message = panic
        .downcast_ref::<String>()
        .map(String::as_str)
        .or_else(|| panic.downcast_ref::<&str>().copied())
        .unwrap_or("unknown panic");
    internal_error(&format!("handler panicked: {message}"))
}

/// The nonce that this response's Content-Security-Policy allows inline scripts with.
#[derive(Clone)]
struct CspNonce(Nonce);

/// Makes Leptos put our nonce (the one in the CSP header) on the hydration scripts.
fn use_csp_nonce() {
    if let Some(CspNonce(nonce)) = use_context::<Parts>().and_then(|parts| parts.extensions.get::<CspNonce>().cloned())
    {
        provide_context(nonce);
    }
}

/// Headers every response carries. Pages get a Content-Security-Policy that allows our
/// own scripts, the hydration script by its per-response nonce, and WASM compilation
/// (`'wasm-unsafe-eval'`), and nothing else; other responses allow nothing at all.
/// No CORS headers are ever sent, so browsers keep foreign origins out.
async fn security_headers(State(hsts): State<bool>, mut request: Request, next: Next) -> Response {
    let nonce = Nonce::new();
    request.extensions_mut().insert(CspNonce(nonce.clone()));
    let mut response = next.run(request).await;
    let is_html = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("text/html"));
    let csp = if is_html {
        format!(
            "default-src 'self'; script-src 'self' 'nonce-{nonce}' 'wasm-unsafe-eval'; style-src 'self'; \
             img-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'none'; \
             form-action 'self'; frame-ancestors 'none'"
        )
    } else {
        "default-src 'none'; frame-ancestors 'none'".to_owned()
    };
    let headers = response.headers_mut();
    if let Ok(csp) = HeaderValue::from_str(&csp) {
        headers.insert(header::CONTENT_SECURITY_POLICY, csp);
    }
    headers.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    headers.insert(header::REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    headers.insert("cross-origin-opener-policy", HeaderValue::from_static("same-origin"));
    if hsts {
        headers.insert(
            header::STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static("max-age=63072000; includeSubDomains"),
        );
    }
    response
}

async fn shutdown_signal() {
    let ctrl_c = async {
        if let Err(e) = tokio::signal::ctrl_c().await {
            tracing::error!("cannot listen for Ctrl-C: {e}");
            std::future::pending::<()>().await;
        }
    };
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(e) => {
                tracing::error!("cannot listen for SIGTERM: {e}");
                std::future::pending::<()>().await;
            }
        }
    };
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
    tracing::info!("shutting down: finishing requests in flight");
}
