//! The site's static files, served the way a CDN would serve them.
//!
//! cargo-leptos names the JS, WASM and CSS of a build after their content hashes
//! (`hash-files = true`; the names are in `hash.txt` beside the server binary) and, in
//! release builds, writes brotli and gzip copies beside each file (`--precompress`). So
//! `/pkg/*` is served straight from the disk, outside Leptos' page handler: the
//! compressed copy the client accepts (`Accept-Encoding`: br, then gzip, else the plain
//! file), and, since a name never changes its content, cached for a year without ever
//! revalidating (`immutable`). A build without hashed names (a plain `cargo build`) gets
//! `no-cache` instead, so a browser never keeps a stale file under an unchanging name.
//! Pages themselves are `no-cache` (`super::security_headers`): they name the files of
//! the build that is running.

use axum::Router;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::Response;
use leptos::config::LeptosOptions;
use std::path::{Path, PathBuf};
use tower_http::services::ServeDir;

/// A hashed file never changes: a year, and no revalidation.
pub const IMMUTABLE: &str = "public, max-age=31536000, immutable";
/// Files under a name that may change content: ask every time.
pub const REVALIDATE: &str = "no-cache";

/// `hash.txt` beside the running binary: the build renamed the files after their hashes.
/// Leptos reads the names from it when `hash_files` is set; cargo-leptos sets that only
/// for the servers it starts itself, so the binary decides from the file.
pub fn built_with_hashed_names(options: &LeptosOptions) -> bool {
    std::env::current_exe()
        .ok()
        .and_then(|exe| exe.parent().map(Path::to_path_buf))
        .is_some_and(|dir| dir.join(options.hash_file.as_ref()).is_file())
}

/// `/pkg/*` from `LEPTOS_SITE_ROOT/LEPTOS_SITE_PKG_DIR`.
pub fn routes<S: Clone + Send + Sync + 'static>(options: &LeptosOptions) -> Router<S> {
    let dir: PathBuf = Path::new(options.site_root.as_ref()).join(options.site_pkg_dir.as_ref());
    let files = ServeDir::new(dir).precompressed_br().precompressed_gzip();
    let cache = HeaderValue::from_static(if options.hash_files { IMMUTABLE } else { REVALIDATE });
    Router::new()
        .nest_service(&format!("/{}", options.site_pkg_dir), files)
        .layer(axum::middleware::map_response(move |response: Response| {
            let cache = cache.clone();
            async move { with_cache_policy(response, cache) }
        }))
}

/// Only a file found is cacheable; a 404 must not be remembered for a year.
fn with_cache_policy(mut response: Response, cache: HeaderValue) -> Response {
    let found = matches!(
        response.status(),
        StatusCode::OK | StatusCode::PARTIAL_CONTENT | StatusCode::NOT_MODIFIED
    );
    let headers = response.headers_mut();
    if found {
        headers.insert(header::CACHE_CONTROL, cache);
        // One name, several encodings: a shared cache must key on what the client took.
        headers.insert(header::VARY, HeaderValue::from_static("accept-encoding"));
    } else {
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    response
}
