//! Logging: one line per request (from `http`'s trace layer) and the spans of the auth
//! operations, to stdout.

/// Logs go to stdout, filtered by `RUST_LOG` (default: `info`, sqlx only when it warns).
pub fn init_tracing() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info,sqlx=warn"));
    // try_init: a test may have installed its own subscriber first.
    let _ = tracing_subscriber::fmt().with_env_filter(filter).try_init();
}
