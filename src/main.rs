//! The server binary: configuration from the environment, then serve until SIGTERM/SIGINT.

#[cfg(feature = "ssr")]
#[tokio::main]
async fn main() -> std::process::ExitCode {
    authkit::server::init_tracing();
    authkit::server::memory::return_large_blocks_to_the_system();
    match authkit::server::run().await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(error) => {
            tracing::error!("{error:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

#[cfg(not(feature = "ssr"))]
fn main() {
    // The binary only exists with the `ssr` feature; the `hydrate` build is a library.
}
