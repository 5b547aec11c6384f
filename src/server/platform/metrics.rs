//! `Metrics`: what `GET /metrics` tells an operator, in the OpenMetrics text format that
//! Prometheus scrapes (`prometheus-client`, the Prometheus project's own crate).
//!
//! - `authkit_http_requests_total{route,method,status}` and
//!   `authkit_http_request_duration_seconds{route,method,status}` (a histogram), counted
//!   by the outermost layer, so a request the guard refuses counts too. `route` is the
//!   route's pattern (`RouteNames`), never the raw path: a scanner probing a million
//!   paths adds one label value, `other`, not a million.
//! - `authkit_logins_total{outcome}`: success, invalid_credentials, throttled,
//!   email_not_verified, invalid_input, unavailable, error.
//! - `authkit_throttle_refusals_total{route}`: requests answered 429.
//! - `authkit_password_hash_queue_depth` (requests waiting for a hashing slot) and
//!   `authkit_password_hash_wait_seconds` (how long they waited).
//! - `authkit_db_connections{state}` (idle, in_use, max) and `authkit_sessions_active`,
//!   read when scraped.
//!
//! The endpoint is served on `METRICS_ADDR` when set (`serve_metrics`), and on the main
//! port only with `METRICS_ON_MAIN_PORT=true`: the numbers are not secret, but they are
//! nobody else's business either.

use crate::server::state::AppState;
use axum::Router;
use axum::extract::{Request, State};
use axum::http::{HeaderValue, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use prometheus_client::encoding::text::encode;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;
use std::sync::Arc;
use std::time::{Duration, Instant};

pub const METRICS_PATH: &str = "/metrics";
const CONTENT_TYPE: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";

type Labels = Vec<(&'static str, String)>;
type LatencyFamily = Family<Labels, Histogram, fn() -> Histogram>;

#[derive(Clone)]
pub struct Metrics(Arc<Inner>);

struct Inner {
    registry: Registry,
    requests: Family<Labels, Counter>,
    latency: LatencyFamily,
    logins: Family<Labels, Counter>,
    throttle_refusals: Family<Labels, Counter>,
    hash_queue: Gauge,
    hash_wait: Histogram,
    db_connections: Family<Labels, Gauge>,
    sessions_active: Gauge,
}

/// 0.5 ms to ~16 s: from a cached answer to a request stuck behind the hashing queue.
fn latency_histogram() -> Histogram {
    Histogram::new(exponential_buckets(0.0005, 2.0, 16))
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

impl Metrics {
    pub fn new() -> Self {
        let mut registry = Registry::with_prefix("authkit");
        let requests = Family::<Labels, Counter>::default();
        registry.register(
            "http_requests",
            "HTTP requests answered, by route, method and status",
            requests.clone(),
        );
        let latency = LatencyFamily::new_with_constructor(latency_histogram as fn() -> Histogram);
        registry.register(
            "http_request_duration_seconds",
            "Time from the request's arrival to its answer, by route, method and status",
            latency.clone(),
        );
        let logins = Family::<Labels, Counter>::default();
        registry.register("logins", "Login attempts by outcome", logins.clone());
        let throttle_refusals = Family::<Labels, Counter>::default();
        registry.register(
            "throttle_refusals",
            "Requests refused by a throttle (429), by route",
            throttle_refusals.clone(),
        );
        let hash_queue = Gauge::default();
        registry.register(
            "password_hash_queue_depth",
            "Requests waiting for a password-hashing slot",
            hash_queue.clone(),
        );
        let hash_wait = latency_histogram();
        registry.register(
            "password_hash_wait_seconds",
            "How long a request waited for a password-hashing slot",
            hash_wait.clone(),
        );
        let db_connections = Family::<Labels, Gauge>::default();
        registry.register(
            "db_connections",
            "Database pool connections: idle, in use, and the pool's maximum",
            db_connections.clone(),
        );
        let sessions_active = Gauge::default();
        registry.register(
            "sessions_active",
            "Sessions neither expired nor revoked",
            sessions_active.clone(),
        );
        Self(Arc::new(Inner {
            registry,
            requests,
            latency,
            logins,
            throttle_refusals,
            hash_queue,
            hash_wait,
            db_connections,
            sessions_active,
        }))
    }

    pub fn record_request(&self, route: &str, method: &str, status: u16, elapsed: Duration) {
        let labels = vec![
            ("route", route.to_owned()),
            ("method", method.to_owned()),
            ("status", status.to_string()),
        ];
        self.0.latency.get_or_create(&labels).observe(elapsed.as_secs_f64());
        self.0.requests.get_or_create(&labels).inc();
        if status == 429 {
            self.0
                .throttle_refusals
                .get_or_create(&vec![("route", route.to_owned())])
                .inc();
        }
    }

    pub fn record_login(&self, outcome: &'static str) {
        self.0
            .logins
            .get_or_create(&vec![("outcome", outcome.to_owned())])
            .inc();
    }

    /// A request starts waiting for a hashing slot; dropping the guard records the wait.
    pub fn hash_queued(&self) -> HashQueueGuard {
        self.0.hash_queue.inc();
        HashQueueGuard {
            metrics: self.clone(),
            since: Instant::now(),
        }
    }

    /// The whole exposition, with the values read at scrape time brought up to date.
    pub async fn render(&self, state: &AppState) -> String {
        let pool = state.database.pool();
        let (size, idle) = (
            i64::from(pool.size()),
            i64::try_from(pool.num_idle()).unwrap_or(i64::MAX),
        );
        let max = i64::from(pool.options().get_max_connections());
        for (label, value) in [("idle", idle), ("in_use", size - idle), ("max", max)] {
            self.0
                .db_connections
                .get_or_create(&vec![("state", label.to_owned())])
                .set(value);
        }
        match state.sessions.store.count_active().await {
            Ok(active) => {
                self.0.sessions_active.set(active);
            }
            Err(e) => tracing::warn!(error = %e, "metrics: could not count active sessions"),
        }
        let mut text = String::new();
        if let Err(e) = encode(&mut text, &self.0.registry) {
            tracing::warn!(error = %e, "metrics: could not encode");
        }
        text
    }
}

/// Held while a request waits for a hashing slot.
pub struct HashQueueGuard {
    metrics: Metrics,
    since: Instant,
}

impl Drop for HashQueueGuard {
    fn drop(&mut self) {
        self.metrics.0.hash_queue.dec();
        self.metrics.0.hash_wait.observe(self.since.elapsed().as_secs_f64());
    }
}

/// The route patterns the app serves, so that requests are counted per pattern.
pub struct RouteNames {
    exact: std::collections::HashSet<String>,
    /// Patterns with a `{parameter}` segment, e.g. `/admin/users/{id}`.
    templates: Vec<String>,
}

impl RouteNames {
    pub fn new<P: Into<String>>(paths: impl IntoIterator<Item = P>) -> Self {
        let (templates, exact): (Vec<String>, Vec<String>) =
            paths.into_iter().map(Into::into).partition(|path| path.contains('{'));
        Self {
            exact: exact.into_iter().collect(),
            templates,
        }
    }

    /// The pattern `path` matches: itself, a template, `/pkg/*`, or `other`.
    pub fn name<'a>(&'a self, path: &'a str) -> &'a str {
        if self.exact.contains(path) {
            return path;
        }
        if path.starts_with("/pkg/") {
            return "/pkg/*";
        }
        self.templates
            .iter()
            .find(|template| matches_template(template, path))
            .map_or("other", String::as_str)
    }
}

fn matches_template(template: &str, path: &str) -> bool {
    let (mut want, mut have) = (template.split('/'), path.split('/'));
    loop {
        match (want.next(), have.next()) {
            (None, None) => return true,
            (Some(w), Some(h)) if w.starts_with('{') && !h.is_empty() => continue,
            (Some(w), Some(h)) if w == h => continue,
            _ => return false,
        }
    }
}

/// The outermost layer: counts and times every answer, refusals included.
pub async fn count_requests(
    State((metrics, routes)): State<(Metrics, Arc<RouteNames>)>,
    request: Request,
    next: Next,
) -> Response {
    let started = Instant::now();
    let route = routes.name(request.uri().path()).to_owned();
    let method = request.method().clone();
    let response = next.run(request).await;
    metrics.record_request(&route, method.as_str(), response.status().as_u16(), started.elapsed());
    response
}

/// `GET /metrics`, for the main router (when allowed) or the metrics listener.
pub fn routes<S>(state: AppState) -> Router<S> {
    Router::new().route(METRICS_PATH, get(exposition)).with_state(state)
}

async fn exposition(State(state): State<AppState>) -> Response {
    let text = state.metrics.render(&state).await;
    let mut response = text.into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(CONTENT_TYPE));
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn routes_are_named_by_pattern_never_by_raw_path() {
        let names = RouteNames::new(["/", "/auth/login", "/admin/users/{id}"]);
        assert_eq!(names.name("/auth/login"), "/auth/login");
        assert_eq!(names.name("/admin/users/42"), "/admin/users/{id}");
        assert_eq!(names.name("/admin/users/"), "other");
        assert_eq!(names.name("/admin/users/42/x"), "other");
        assert_eq!(names.name("/pkg/authkit.abc.wasm"), "/pkg/*");
        assert_eq!(names.name("/wp-login.php"), "other");
        assert_eq!(names.name("/"), "/");
    }
}
