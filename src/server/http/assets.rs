//! The site's static files, served the way a CDN would serve them.
//!
//! cargo-leptos names the JS, WASM and CSS of a build after their content hashes
//! (`hash-files = true`; the names are in `hash.txt` beside the server binary) and, in
//! release builds, writes brotli and gzip copies beside each file (`--precompress`). So
//! `/pkg/*` is served outside Leptos' page handler: the compressed copy the client
//! accepts (`Accept-Encoding`: br, then gzip, else the plain file), and, since a name
//! never changes its content, cached for a year without ever revalidating (`immutable`).
//! Those files cannot change while the server runs, so they are read once, at start, and
//! answered from memory (a few MB at most): no file system call per request.
//!
//! A build without hashed names (a plain `cargo build`, or `cargo leptos watch`
//! rebuilding under a running server) is served from the disk on every request with
//! `no-cache`, so a browser never keeps a stale file under an unchanging name. Pages
//! themselves are `no-cache` (`super::security_headers`): they name the files of the
//! build that is running.

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path as UrlPath, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use leptos::config::LeptosOptions;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
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
    let prefix = format!("/{}", options.site_pkg_dir);
    if options.hash_files {
        let files = Arc::new(BuildFiles::load(&dir));
        return Router::new()
            .route(&format!("{prefix}/{{name}}"), get(from_memory))
            .with_state(files);
    }
    let revalidate = HeaderValue::from_static(REVALIDATE);
    Router::new()
        .nest_service(&prefix, ServeDir::new(dir).precompressed_br().precompressed_gzip())
        .layer(axum::middleware::map_response(move |response: Response| {
            let revalidate = revalidate.clone();
            async move { with_cache_policy(response, revalidate) }
        }))
}

/// One file of the build, in every encoding it was written in.
struct BuildFile {
    content_type: &'static str,
    plain: Bytes,
    br: Option<Bytes>,
    gzip: Option<Bytes>,
}

/// The build's files by name, read once.
struct BuildFiles(HashMap<String, BuildFile>);

impl BuildFiles {
    /// Reads the folder; a folder that cannot be read serves nothing (every name 404).
    fn load(dir: &Path) -> Self {
        let mut files = HashMap::new();
        let entries = match std::fs::read_dir(dir) {
            Ok(entries) => entries,
            Err(e) => {
                tracing::warn!(error = %e, dir = %dir.display(), "cannot read the site's files");
                return Self(files);
            }
        };
        let read = |path: PathBuf| std::fs::read(path).ok().map(Bytes::from);
        for entry in entries.flatten() {
            let path = entry.path();
            let Some(name) = path.file_name().and_then(|n| n.to_str()).map(str::to_owned) else {
                continue;
            };
            if name.ends_with(".br") || name.ends_with(".gz") || !path.is_file() {
                continue;
            }
            let Some(plain) = read(path.clone()) else { continue };
            files.insert(
                name.clone(),
                BuildFile {
                    content_type: content_type(&name),
                    plain,
                    br: read(dir.join(format!("{name}.br"))),
                    gzip: read(dir.join(format!("{name}.gz"))),
                },
            );
        }
        Self(files)
    }
}

fn content_type(name: &str) -> &'static str {
    match name.rsplit('.').next() {
        Some("wasm") => "application/wasm",
        Some("js") => "text/javascript",
        Some("css") => "text/css",
        Some("json") => "application/json",
        Some("svg") => "image/svg+xml",
        _ => "application/octet-stream",
    }
}

/// Does the client take `coding` (`Accept-Encoding`, a `q=0` refuses it)?
fn accepts(headers: &HeaderMap, coding: &str) -> bool {
    headers
        .get_all(header::ACCEPT_ENCODING)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(','))
        .any(|item| {
            let mut parts = item.split(';').map(str::trim);
            let refused = |param: &str| {
                let q = param.strip_prefix("q=").and_then(|q| q.trim().parse::<f32>().ok());
                q == Some(0.0)
            };
            parts.next().is_some_and(|name| name.eq_ignore_ascii_case(coding)) && !parts.any(refused)
        })
}

async fn from_memory(
    State(files): State<Arc<BuildFiles>>,
    UrlPath(name): UrlPath<String>,
    headers: HeaderMap,
) -> Response {
    let Some(file) = files.0.get(&name) else {
        return (StatusCode::NOT_FOUND, [(header::CACHE_CONTROL, "no-store")]).into_response();
    };
    let (body, encoding) = match (&file.br, &file.gzip) {
        (Some(br), _) if accepts(&headers, "br") => (br.clone(), Some("br")),
        (_, Some(gzip)) if accepts(&headers, "gzip") => (gzip.clone(), Some("gzip")),
        _ => (file.plain.clone(), None),
    };
    let mut response = body.into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(file.content_type));
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static(IMMUTABLE));
    // One name, several encodings: a shared cache must key on what the client took.
    headers.insert(header::VARY, HeaderValue::from_static("accept-encoding"));
    if let Some(encoding) = encoding {
        headers.insert(header::CONTENT_ENCODING, HeaderValue::from_static(encoding));
    }
    response
}

/// Only a file found is cacheable; a 404 must not be remembered.
fn with_cache_policy(mut response: Response, cache: HeaderValue) -> Response {
    let found = matches!(
        response.status(),
        StatusCode::OK | StatusCode::PARTIAL_CONTENT | StatusCode::NOT_MODIFIED
    );
    let headers = response.headers_mut();
    if found {
        headers.insert(header::CACHE_CONTROL, cache);
        headers.insert(header::VARY, HeaderValue::from_static("accept-encoding"));
    } else {
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with(value: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(header::ACCEPT_ENCODING, HeaderValue::from_str(value).unwrap());
        headers
    }

    #[test]
    fn accept_encoding_is_read_with_its_refusals() {
        assert!(accepts(&with("gzip, deflate, br"), "br"));
        assert!(accepts(&with("gzip;q=0.5, BR"), "br"));
        assert!(!accepts(&with("gzip, br;q=0"), "br"));
        assert!(!accepts(&with("gzip, br; q=0.000"), "br"));
        assert!(accepts(&with("br;q=0.1"), "br"));
        assert!(!accepts(&with("identity"), "gzip"));
        assert!(!accepts(&HeaderMap::new(), "gzip"));
    }
}
