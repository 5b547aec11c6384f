//! Starting and serving: [`App::build`] assembles the application from a [`Config`],
//! [`App::serve`] runs it on a listener until a shutdown signal. `main` (through
//! [`run`]) and the integration tests both start the app this way.

use super::config::{Config, ConnectionLimits};
use crate::server::http::build_router;
use crate::server::sessions::store::now_secs;
use crate::server::state::AppState;
use anyhow::Context;
use axum::Router;
use axum::extract::ConnectInfo;
use axum::http::Request;
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;
use leptos::config::LeptosOptions;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpListener;
use tokio::sync::Semaphore;

/// The application, ready to serve.
pub struct App {
    router: Router,
    limits: ConnectionLimits,
}

impl App {
    /// Prepares the data folder, opens and migrates the database, and builds the router.
    pub async fn build(config: &Config, leptos_options: LeptosOptions) -> anyhow::Result<Self> {
        let state = AppState::new(config).await?;
        tokio::spawn(purge(state.clone()));
        crate::server::mail::start_worker(config, &state.mail.mailer)?;
        if let Some(addr) = config.metrics_addr {
            serve_metrics(addr, state.clone()).await?;
        }
        Ok(Self {
            router: build_router(config, state, leptos_options),
            limits: config.connections.clone(),
        })
    }

    /// Serves until `shutdown` completes, then lets requests in flight finish for at
    /// most the grace period. Each request knows its peer address (the client IP, or a
    /// proxy's).
    ///
    /// The loop is hyper's own rather than `axum::serve`, which has no limit on how long
    /// a client may take to send its headers: here a connection that trickles or idles
    /// is closed after `HEADER_READ_TIMEOUT_MS`, at most `MAX_CONNECTIONS` are served at
    /// once, and shutdown does not wait for slow clients beyond `SHUTDOWN_GRACE_SECS`.
    pub async fn serve(
        self,
        listener: TcpListener,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> anyhow::Result<()> {
        let Self { router, limits } = self;
        let slots = Arc::new(Semaphore::new(limits.max_connections));
        let graceful = GracefulShutdown::new();
        let mut http = hyper::server::conn::http1::Builder::new();
        http.timer(TokioTimer::new())
            .header_read_timeout(limits.header_read_timeout);
        tokio::pin!(shutdown);
        loop {
            // Wait for a free slot first: beyond the cap, clients wait in the kernel's
            // accept queue instead of costing us a task each.
            let slot = tokio::select! {
                slot = slots.clone().acquire_owned() => slot.context("connection slots closed")?,
                () = &mut shutdown => break,
            };
            let (stream, peer) = tokio::select! {
                accepted = listener.accept() => match accepted {
                    Ok(accepted) => accepted,
                    Err(e) => {
                        // Out of file descriptors, or a connection reset before accept:
                        // wait a moment instead of spinning.
                        tracing::warn!(error = %e, "accept failed");
                        tokio::time::sleep(Duration::from_millis(50)).await;
                        continue;
                    }
                },
                () = &mut shutdown => break,
            };
            // A response whose body follows its headers in a second write (a file from
            // /pkg) would otherwise wait for the client's delayed ACK: Nagle's algorithm
            // held every static file ~40 ms (docs/BENCHMARKS.md).
            if let Err(e) = stream.set_nodelay(true) {
                tracing::debug!(error = %e, "could not set TCP_NODELAY");
            }
            let service = TowerToHyperService::new(tower::util::MapRequest::new(
                router.clone(),
                move |mut request: Request<Incoming>| {
                    request.extensions_mut().insert(ConnectInfo(peer));
                    request
                },
            ));
            let connection = graceful.watch(http.serve_connection(TokioIo::new(stream), service));
            tokio::spawn(async move {
                if let Err(e) = connection.await {
                    tracing::debug!(error = %e, "connection ended with an error");
                }
                drop(slot);
            });
        }
        drop(listener);
        tracing::info!("shutting down: finishing requests in flight");
        tokio::select! {
            () = graceful.shutdown() => {}
            () = tokio::time::sleep(limits.shutdown_grace) => {
                tracing::warn!("grace period over: closing the connections still open");
            }
        }
        Ok(())
    }
}

/// How often dead rows are deleted, and how long a revoked session is kept first.
const PURGE_EVERY: Duration = Duration::from_secs(3600);
const KEEP_REVOKED: Duration = Duration::from_secs(24 * 3600);
/// A sent message's row (its bodies already blanked) is kept this long for the operator.
const KEEP_SENT: Duration = Duration::from_secs(24 * 3600);

/// Deletes the rows that can no longer matter, now and then every hour: expired and
/// long-revoked sessions, expired mail links, messages sent more than a day ago, and
/// drained throttle buckets (when they are in the database). With several instances
/// each purges; the deletes are idempotent.
async fn purge(state: AppState) {
    let mut every = tokio::time::interval(PURGE_EVERY);
    loop {
        every.tick().await;
        let now = now_secs();
        let keep = i64::try_from(KEEP_SENT.as_secs()).unwrap_or(i64::MAX);
        report(
            "expired and revoked sessions",
            state.sessions.store.purge(now, KEEP_REVOKED).await,
        );
        report("expired mail links", state.mail.links.purge(now).await);
        report(
            "expired second-factor logins",
            state.second_factor.challenges.purge(now).await,
        );
        report("expired passkey ceremonies", state.passkeys.ceremonies.purge(now).await);
        report(
            "sent mail",
            state.mail.mailer.outbox.purge_sent(now.saturating_sub(keep)).await,
        );
        if let Some(buckets) = &state.throttles.shared {
            report("drained throttle buckets", buckets.purge().await);
        }
    }
}

/// `GET /metrics` alone, on a listener of its own (`METRICS_ADDR`), which can stay on a
/// private interface while the app's port is public.
async fn serve_metrics(addr: std::net::SocketAddr, state: AppState) -> anyhow::Result<()> {
    let listener = TcpListener::bind(addr)
        .await
        .with_context(|| format!("binding METRICS_ADDR {addr}"))?;
    tracing::info!("metrics on http://{addr}{}", super::metrics::METRICS_PATH);
    let router: Router = super::metrics::routes(state);
    tokio::spawn(async move {
        if let Err(e) = axum::serve(listener, router).await {
            tracing::error!(error = %e, "the metrics listener stopped");
        }
    });
    Ok(())
}

fn report(what: &str, purged: Result<u64, sqlx::Error>) {
    match purged {
        Ok(0) => {}
        Ok(purged) => tracing::info!(purged, "deleted {what}"),
        Err(e) => tracing::warn!(error = %e, "could not purge {what}"),
    }
}

/// What `authkit serve` does: reads the configuration, builds the app and serves on
/// `LEPTOS_SITE_ADDR` until SIGTERM or Ctrl-C.
pub async fn run() -> anyhow::Result<()> {
    let config = Config::from_env()?;
    let mut leptos_options = leptos::config::get_configuration(None)
        .context("reading the LEPTOS_* configuration")?
        .leptos_options;
    leptos_options.hash_files |= crate::server::http::built_with_hashed_names(&leptos_options);
    let addr = leptos_options.site_addr;
    let app = App::build(&config, leptos_options).await?;
    let listener = TcpListener::bind(addr)
        .await
        .with_context(|| format!("binding {addr}"))?;
    tracing::info!("listening on http://{addr}");
    app.serve(listener, shutdown_signal()).await
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
}
