//! Forms submitted before the app has loaded (or with JavaScript off). Every form on the
//! pages posts (`method="post"`), so its fields never end up in a URL, browser history or
//! a proxy log; the app itself sends its own JSON requests and nothing on the server
//! takes such a post. The browser is sent back to the page it came from with a 303 (a
//! plain GET: no body, no credentials in the address) instead of an empty 405.

use axum::extract::Request;
use axum::http::{Method, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};

pub async fn back_to_the_page(request: Request, next: Next) -> Response {
    let path = request.uri().path();
    let is_page = !(path.starts_with("/auth/") || path.starts_with("/admin/") || path.starts_with("/pkg/"));
    let is_form = request
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded") || v.starts_with("multipart/form-data"));
    if request.method() == Method::POST && is_page && is_form {
        return Redirect::to(path).into_response();
    }
    next.run(request).await
}
