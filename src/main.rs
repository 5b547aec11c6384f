//! The server binary: serves by default; `create-admin` and `promote` manage admins
//! (see `authkit::server::platform::cli`).

#[cfg(feature = "ssr")]
#[tokio::main]
async fn main() -> std::process::ExitCode {
    use authkit::server::platform::cli::{Command, USAGE};
    if let Err(problem) = authkit::server::init_tracing() {
        eprintln!("error: {problem}");
        return std::process::ExitCode::from(2);
    }
    let args: Vec<String> = std::env::args().skip(1).collect();
    let command = match Command::parse(&args) {
        Ok(command) => command,
        Err(problem) => {
            eprintln!("{problem}\n{USAGE}");
            return std::process::ExitCode::from(2);
        }
    };
    let result = match command {
        Command::Serve => {
            authkit::server::platform::memory::return_large_blocks_to_the_system();
            authkit::server::run().await
        }
        other => authkit::server::platform::cli::run(other).await,
    };
    match result {
        Ok(()) => std::process::ExitCode::SUCCESS,
        // One line on stderr, as the README promises (not a log line as well).
        Err(error) => {
            eprintln!("error: {error:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

#[cfg(not(feature = "ssr"))]
fn main() {
    // The binary only exists with the `ssr` feature; the `hydrate` build is a library.
}
