//! Logs never contain a password, a password hash or a token — checked by capturing
//! everything the app logs at debug level during signups, logins and a password reset.
//!
//! Relies on nextest's process-per-test isolation: the test installs the global tracing
//! subscriber with `.init()`, which can happen only once per process (a second call
//! panics), and captures everything logged process-wide. `cargo nextest run` gives it a
//! process of its own, so no other test's subscriber or log lines get in the way.

use super::helpers::{PASSWORD, SECRET, TestApp};
use super::mail::{RESET, VERIFY, link_token, wait_for_mails};
use serde_json::json;
use std::io::Write;
use std::sync::{Arc, Mutex};

#[derive(Clone, Default)]
struct Capture(Arc<Mutex<Vec<u8>>>);

impl Write for Capture {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().expect("log buffer").extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test]
async fn logs_contain_no_password_hash_or_token() {
    let capture = Capture::default();
    let writer = capture.clone();
    tracing_subscriber::fmt()
        .with_env_filter("debug")
        .with_ansi(false)
        .with_writer(move || writer.clone())
        .init();

    let app = TestApp::spawn().await;
    let (id, token) = app.user_with_token("logged@example.com").await;
    assert_eq!(app.me(Some(&format!("Bearer {token}"))).await.status, 200);
    assert_eq!(
        app.login("logged@example.com", "a wrong password here").await.status,
        401
    );
    let weak = app
        .post_json(
            "/auth/signup",
            &json!({"email": "weak@example.com", "password": "password123", "username": "w"}),
        )
        .await;
    assert_eq!(weak.status, 422);
    assert_eq!(app.me(Some("Bearer forged.token.value")).await.status, 401);
    // A password reset: the mailed token and the new password stay out of the logs.
    let asked = app
        .post_json("/auth/password-reset/request", &json!({"email": "logged@example.com"}))
        .await;
    assert_eq!(asked.status, 202);
    let reset_token = super::mail::reset_token(&wait_for_mails(app.data_dir(), RESET, 1).await[0]);
    // The verification link of the signup, used: its token stays out of the logs too.
    let verify_token = link_token(&wait_for_mails(app.data_dir(), VERIFY, 1).await[0], "/verify-email");
    let verified = app
        .post_json("/auth/verify-email", &json!({"token": verify_token}))
        .await;
    assert_eq!(verified.status, 200, "{}", verified.text);
    let reset = app
        .post_json(
            "/auth/password-reset",
            &json!({"token": reset_token, "new_password": "the reset passphrase 31"}),
        )
        .await;
    assert_eq!(reset.status, 200, "{}", reset.text);
    let hash: String = sqlx::query_scalar("SELECT password_hash FROM users WHERE id = $1")
        .bind(id)
        .fetch_one(&app.db)
        .await
        .unwrap();

    let logs = String::from_utf8(capture.0.lock().unwrap().clone()).unwrap();
    // The capture works: requests and the auth spans are there.
    assert!(logs.contains("path=/auth/login"), "{logs}");
    assert!(logs.contains("status=401"), "{logs}");
    assert!(logs.contains("development outbox"), "the mail's file is logged: {logs}");
    assert!(logs.contains(&format!("user_id={id}")), "{logs}");
    for secret in [
        PASSWORD,
        "a wrong password here",
        "password123",
        &token,
        &hash,
        "$argon2id$",
        "forged.token.value",
        &reset_token,
        &verify_token,
        "the reset passphrase 31",
    ] {
        assert!(!logs.contains(secret), "log contains {secret:?}");
    }
    assert!(!logs.contains(std::str::from_utf8(SECRET).unwrap()));
    // The token's signature alone must not appear either.
    let signature = token.rsplit('.').next().unwrap();
    assert!(!logs.contains(signature));
}
