//! Logging: one line per request (from `http`'s trace layer) and the spans of the auth
//! operations, to stdout.
//!
//! `LOG_FORMAT=text` (default) is for people: colours only when stdout is a terminal, so
//! a file or a log collector never gets escape codes. `LOG_FORMAT=json` is for log
//! pipelines: one JSON object per line with the same fields (timestamp, level, target,
//! the message and its fields, and the spans it happened in). What is logged is the same
//! either way, and never a password, a hash or a token (`tests/api/logs.rs`).

use std::io::IsTerminal;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    Text,
    Json,
}

impl LogFormat {
    /// `LOG_FORMAT`: `text` or `json`, anything else a start-up error.
    pub fn parse(value: Option<&str>) -> Result<Self, String> {
        match value.map(str::trim) {
            None | Some("") | Some("text") => Ok(Self::Text),
            Some("json") => Ok(Self::Json),
            Some(other) => Err(format!("LOG_FORMAT must be text or json, not {other:?}")),
        }
    }
}

/// Logs go to stdout, filtered by `RUST_LOG` (default: `info`, sqlx only when it warns),
/// in the `LOG_FORMAT` asked for.
pub fn init_tracing() -> Result<(), String> {
    let format = LogFormat::parse(std::env::var("LOG_FORMAT").ok().as_deref())?;
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info,sqlx=warn"));
    let builder = tracing_subscriber::fmt().with_env_filter(filter);
    // try_init: a test may have installed its own subscriber first.
    let _ = match format {
        LogFormat::Text => builder.with_ansi(std::io::stdout().is_terminal()).try_init(),
        LogFormat::Json => builder.json().with_current_span(true).with_span_list(true).try_init(),
    };
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn log_format_is_text_or_json() {
        assert_eq!(LogFormat::parse(None), Ok(LogFormat::Text));
        assert_eq!(LogFormat::parse(Some("text")), Ok(LogFormat::Text));
        assert_eq!(LogFormat::parse(Some("json")), Ok(LogFormat::Json));
        assert!(LogFormat::parse(Some("JSON5")).is_err());
    }
}
