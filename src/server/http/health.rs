//! `GET /health/live` and `GET /health/ready`, for load balancers and orchestrators.
//!
//! - live: the process is up and answering; nothing else is looked at, so it is also the
//!   floor every other request is measured against (docs/BENCHMARKS.md).
//! - ready: the database answers a trivial query within `DATABASE_ACQUIRE_TIMEOUT_MS`,
//!   else 503 with `Retry-After`, so a balancer sends nobody to an instance that could
//!   only answer 503.
//!
//! Neither says anything about the data, and both are `no-store`.

use crate::server::error::AuthError;
use crate::server::state::AppState;
use axum::Router;
use axum::extract::State;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;

pub const LIVE_PATH: &str = "/health/live";
pub const READY_PATH: &str = "/health/ready";

/// The same bytes for every answer: nothing is built per request.
const OK_BODY: &str = r#"{"status":"ok"}"#;

pub fn routes<S>(state: AppState) -> Router<S> {
    Router::new()
        .route(LIVE_PATH, get(live))
        .route(READY_PATH, get(ready))
        .with_state(state)
}

async fn live() -> Response {
    ok()
}

async fn ready(State(state): State<AppState>) -> Response {
    match state.database.ping().await {
        Ok(()) => ok(),
        Err(e) => {
            // Whatever failed, this instance cannot serve now: 503, never a 500.
            tracing::warn!(error = %e, "not ready: the database does not answer");
            let mut response = AuthError::Unavailable.into_response();
            no_store(&mut response);
            response
        }
    }
}

fn ok() -> Response {
    let mut response = ([(header::CONTENT_TYPE, "application/json")], OK_BODY).into_response();
    no_store(&mut response);
    response
}

fn no_store(response: &mut Response) {
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
}
