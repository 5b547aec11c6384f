//! Starting and serving: [`App::build`] assembles the application from a [`Config`],
//! [`App::serve`] runs it on a listener until a shutdown signal. `main` (through
//! [`run`]) and the integration tests both start the app this way.

use super::config::Config;
use super::http::build_router;
use super::state::AppState;
use anyhow::Context;
use axum::Router;
use leptos::config::LeptosOptions;
use std::future::Future;
use std::net::SocketAddr;
use tokio::net::TcpListener;

/// The application, ready to serve.
pub struct App {
    router: Router,
}

impl App {
    /// Prepares the data folder, opens and migrates the database, and builds the router.
    pub async fn build(config: &Config, leptos_options: LeptosOptions) -> anyhow::Result<Self> {
        let state = AppState::new(config).await?;
        Ok(Self {
            router: build_router(config, state, leptos_options),
        })
    }

    /// Serves until `shutdown` completes, then lets requests in flight finish. Each
    /// request knows its peer address (the client IP, or a proxy's).
    pub async fn serve(
        self,
        listener: TcpListener,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> anyhow::Result<()> {
        axum::serve(
            listener,
            self.router.into_make_service_with_connect_info::<SocketAddr>(),
        )
        .with_graceful_shutdown(shutdown)
        .await
        .context("serving HTTP")
    }
}

/// What `authkit serve` does: reads the configuration, builds the app and serves on
/// `LEPTOS_SITE_ADDR` until SIGTERM or Ctrl-C.
pub async fn run() -> anyhow::Result<()> {
    let config = Config::from_env()?;
    let leptos_options = leptos::config::get_configuration(None)
        .context("reading the LEPTOS_* configuration")?
        .leptos_options;
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
    tracing::info!("shutting down: finishing requests in flight");
}
