//! Login failure timing does not reveal whether an account exists.
//!
//! Relies on nextest's process-per-test isolation: it measures wall-clock medians, so
//! nothing else may compete for the CPU while it runs. `.config/nextest.toml` gives it
//! every test slot (`threads-required`), so nextest runs it alone. Under plain
//! `cargo test` it would share the process and the CPU with the other tests of this
//! binary and could fail spuriously.

use super::helpers::TestApp;
use std::time::{Duration, Instant};

fn median(mut samples: Vec<Duration>) -> Duration {
    samples.sort();
    samples[samples.len() / 2]
}

#[tokio::test]
async fn unknown_email_and_wrong_password_take_the_same_time() {
    let app = TestApp::spawn().await;
    app.signup("timing@example.com", "t").await;
    // Warm up both paths, then interleave the samples so that machine noise hits both.
    app.login("timing@example.com", "wrong password!").await;
    app.login("nobody@example.com", "wrong password!").await;
    let (mut known, mut unknown) = (Vec::new(), Vec::new());
    for i in 0..21 {
        let start = Instant::now();
        assert_eq!(app.login("timing@example.com", "wrong password!").await.status, 401);
        known.push(start.elapsed());
        let start = Instant::now();
        assert_eq!(
            app.login(&format!("nobody{i}@example.com"), "wrong password!")
                .await
                .status,
            401
        );
        unknown.push(start.elapsed());
    }
    let (known, unknown) = (median(known), median(unknown));
    let ratio = known.as_secs_f64() / unknown.as_secs_f64();
    assert!(
        (0.75..=1.25).contains(&ratio),
        "wrong password {known:?} vs unknown email {unknown:?}"
    );
}
