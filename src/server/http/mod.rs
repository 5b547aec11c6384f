//! The HTTP application: Leptos pages and server functions on one Axum router, the REST
//! forms of two operations, the OpenAPI document and `/docs` (`self::openapi`), and the
//! layers every request passes through.
//!
//! - [`guard`]: what `/auth/*` and `/admin/*` accept and how their errors look.
//! - [`security_headers`]: CSP with a per-response nonce, and the other protective headers.
//! - [`rest`]: `DELETE /auth/me` and `PATCH /admin/users/{id}`.
//! - [`no_script`]: a page's form posted before the app has loaded goes back to the page.
//! - [`schema_check`]: a request's shape against the OpenAPI document (every refused field at once).
//! - [`health`]: `/health/live` and `/health/ready` for load balancers.
//! - [`assets`]: `/pkg/*`, hashed and pre-compressed, cached for a year.

mod assets;
pub mod client_ip;
pub mod cookies;
pub mod edge;
mod guard;
mod health;
mod no_script;
pub mod openapi;
pub mod request_meta;
pub mod rest;
mod schema_check;
mod security_headers;
pub mod validation_issues;

pub use assets::{IMMUTABLE, REVALIDATE, built_with_hashed_names};
pub use guard::MAX_API_BODY_BYTES;
pub use health::{LIVE_PATH, READY_PATH};
pub use rest::ROUTES as REST_ROUTES;

use super::error::AuthError;
use super::platform::config::Config;
use super::platform::metrics::{RouteNames, count_requests};
use super::state::AppState;
use crate::ui::{App, shell};
use axum::Router;
use axum::extract::Request;
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware;
use axum::response::{IntoResponse, Response};
use leptos::config::LeptosOptions;
use leptos::prelude::provide_context;
use leptos_axum::{LeptosRoutes, generate_route_list};
use std::any::Any;
use std::sync::Arc;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::{DefaultOnResponse, TraceLayer};
use tracing::Level;

/// The whole application over `state`: the Leptos routes (pages and server functions),
/// the REST forms, static files, and the layers.
pub fn build_router(config: &Config, state: AppState, leptos_options: LeptosOptions) -> Router {
    register_server_functions();
    let routes = generate_route_list(App);
    let rest = rest::routes(state.clone());
    let health = health::routes(state.clone());
    let oidc = crate::server::oidc::routes(state.clone());
    let assets = assets::routes(&leptos_options);
    let metrics = if config.metrics_on_main_port {
        super::platform::metrics::routes(state.clone())
    } else {
        Router::new()
    };
    let route_names = Arc::new(route_names(&routes));
    let counting = (state.metrics.clone(), route_names);
    let docs = if config.openapi_docs {
        self::openapi::routes(&state.sessions.cookies.refresh_cookie_name())
    } else {
        Router::new()
    };
    // What every rendered page gets: the state, the CSP nonce, the request's language, and
    // whether passkeys are on (the login page offers them only then).
    let page_context = {
        let state = state.clone();
        move || {
            provide_context(crate::ui::PasskeysOn(state.passkeys.relying_party.is_some()));
            provide_context(state.clone());
            security_headers::use_csp_nonce();
            provide_context(request_language());
        }
    };
    Router::new()
        .leptos_routes_with_context(
            &leptos_options,
            routes,
            page_context.clone(),
            {
                let leptos_options = leptos_options.clone();
                move || shell(leptos_options.clone())
            },
        )
        .merge(rest)
        .merge(health)
        .merge(oidc)
        .merge(assets)
        .merge(metrics)
        .merge(docs)
        // The not-found page is a page too: same nonce, state and language.
        .fallback(leptos_axum::file_and_error_handler_with_context(page_context, shell))
        .with_state(leptos_options)
        // Innermost first: each `.layer` wraps everything above it.
        .layer(TimeoutLayer::with_status_code(
            StatusCode::SERVICE_UNAVAILABLE,
            config.request_timeout,
        ))
        .layer(middleware::from_fn_with_state(
            config.connections.body_read_timeout,
            guard::api_guard,
        ))
        .layer(middleware::from_fn(guard::json_for_bare_errors))
        .layer(middleware::from_fn(no_script::back_to_the_page))
        .layer(CatchPanicLayer::custom(panic_response))
        .layer(middleware::from_fn_with_state(
            config.serves_https(),
            security_headers::security_headers,
        ))
        .layer(
            TraceLayer::new_for_http()
                // The path only: a query string may carry something secret.
                .make_span_with(|request: &Request| {
                    tracing::info_span!("request", method = %request.method(), path = %request.uri().path())
                })
                .on_request(())
                .on_response(DefaultOnResponse::new().level(Level::INFO)),
        )
        .layer(middleware::from_fn_with_state(counting, count_requests))
}

/// Every route pattern the router serves, for the request metrics' `route` label.
fn route_names(pages: &[leptos_axum::AxumRouteListing]) -> RouteNames {
    let pages = pages.iter().map(|page| page.path().to_owned());
    let api = crate::server::api::endpoints()
        .into_iter()
        .map(|endpoint| endpoint.path);
    let others = api
        .chain([
            health::LIVE_PATH,
            health::READY_PATH,
            super::platform::metrics::METRICS_PATH,
            self::openapi::DOCUMENT_PATH,
            self::openapi::DOCS_PATH,
        ])
        .map(str::to_owned);
    RouteNames::new(pages.chain(others))
}

/// The language a page is rendered in: the `lang` cookie (a choice made in the UI), else
/// `Accept-Language`, else English (`crate::i18n`).
fn request_language() -> crate::i18n::Lang {
    let parts = leptos::prelude::use_context::<axum::http::request::Parts>();
    let header = |name| {
        parts
            .as_ref()
            .and_then(|parts| parts.headers.get(name))
            .and_then(|value| value.to_str().ok())
    };
    crate::i18n::Lang::of_request(header(header::COOKIE), header(header::ACCEPT_LANGUAGE))
}

/// Server functions register themselves through `inventory`, but a linker may drop an
/// unreferenced registration from a test binary; the endpoint list registers each one.
fn register_server_functions() {
    for register in crate::server::api::endpoints()
        .iter()
        .filter_map(|endpoint| endpoint.register)
    {
        register();
    }
}

/// A panic is a bug: logged, and answered with the same generic body as any other 500.
/// The panic catcher sits outside the API guard, so it marks the answer uncacheable itself.
fn panic_response(panic: Box<dyn Any + Send + 'static>) -> Response {
    let message = panic
        .downcast_ref::<String>()
        .map(String::as_str)
        .or_else(|| panic.downcast_ref::<&str>().copied())
        .unwrap_or("unknown panic");
    let mut response = AuthError::internal(anyhow::anyhow!("handler panicked: {message}")).into_response();
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_panic_is_a_generic_uncacheable_500() {
        let response = panic_response(Box::new("secret detail at src/server/users.rs:42"));
        assert_eq!(response.status(), StatusCode::INTERNAL_SERVER_ERROR);
        assert_eq!(response.headers()[header::CACHE_CONTROL], "no-store");
        let body = axum::body::to_bytes(response.into_body(), 4096).await.unwrap();
        let body: serde_json::Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(body["detail"], "Internal server error");
        assert!(body["error_id"].is_string());
        assert!(!body.to_string().contains("secret"));
    }
}
