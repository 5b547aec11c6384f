//! Headers every response carries: a Content-Security-Policy (pages allow our own
//! scripts and the hydration script by a per-response nonce; everything else allows
//! nothing), nosniff, Referrer-Policy, frame options, COOP and, over HTTPS, HSTS.

use axum::extract::{Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderValue, header};
use axum::middleware::Next;
use axum::response::Response;
use leptos::nonce::Nonce;
use leptos::prelude::{provide_context, use_context};

/// The nonce that this response's Content-Security-Policy allows inline scripts with.
#[derive(Clone)]
struct CspNonce(Nonce);

/// Makes Leptos put our nonce (the one in the CSP header) on the hydration scripts.
pub(super) fn use_csp_nonce() {
    if let Some(CspNonce(nonce)) = use_context::<Parts>().and_then(|parts| parts.extensions.get::<CspNonce>().cloned())
    {
        provide_context(nonce);
    }
}

/// The API documentation (Swagger UI, `super::openapi`) runs only its own files
/// (no inline script, no other host), but its layout inserts a `<style>` element and its
/// stylesheet uses `data:` images: its page allows inline styles, nothing more.
const DOCS_CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; \
     img-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; \
     frame-ancestors 'none'";

fn is_docs_page(path: &str) -> bool {
    let docs = super::openapi::DOCS_PATH;
    path == docs || path.strip_prefix(docs).is_some_and(|rest| rest.starts_with('/'))
}

/// What every answer that is not a page gets: it may run nothing and be framed nowhere.
const NOT_A_PAGE_CSP: HeaderValue = HeaderValue::from_static("default-src 'none'; frame-ancestors 'none'");

/// Only a GET of something other than the API, the health checks and the static files
/// can be a page, so only those get a nonce: the rest of the traffic (the API is most of
/// it) skips the random bytes and the formatting.
fn may_be_a_page(request: &Request) -> bool {
    let path = request.uri().path();
    request.method() == axum::http::Method::GET
        && !["/auth/", "/admin/", "/pkg/", "/health/"]
            .iter()
            .any(|prefix| path.starts_with(prefix))
}

/// Headers every response carries. Pages get a Content-Security-Policy that allows our
/// own scripts, the hydration script by its per-response nonce, and WASM compilation
/// (`'wasm-unsafe-eval'`), and nothing else, and `Cache-Control: no-cache` (a page names
/// the files of the build that is running); other responses allow nothing at all.
/// No CORS headers are ever sent, so browsers keep foreign origins out.
pub(super) async fn security_headers(State(hsts): State<bool>, mut request: Request, next: Next) -> Response {
    let nonce = may_be_a_page(&request).then(|| {
        let nonce = Nonce::new();
        request.extensions_mut().insert(CspNonce(nonce.clone()));
        nonce
    });
    let is_docs = is_docs_page(request.uri().path());
    let mut response = next.run(request).await;
    let is_html = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("text/html"));
    let csp = match (is_html, nonce) {
        (true, _) if is_docs => HeaderValue::from_static(DOCS_CSP),
        (true, Some(nonce)) => HeaderValue::from_str(&format!(
            "default-src 'self'; script-src 'self' 'nonce-{nonce}' 'wasm-unsafe-eval'; style-src 'self'; \
             img-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'none'; \
             form-action 'self'; frame-ancestors 'none'"
        ))
        .unwrap_or(NOT_A_PAGE_CSP),
        _ => NOT_A_PAGE_CSP,
    };
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_SECURITY_POLICY, csp);
    if is_html && !headers.contains_key(header::CACHE_CONTROL) {
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
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
