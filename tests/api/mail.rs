//! Forgotten passwords, through the development transport: without `SMTP_URL` every
//! message is written as an `.eml` file to `$DATA_DIR/outbox/`, where these tests read the
//! links. (The SMTP relay itself is exercised in `process::` against a real SMTP server.)

use super::helpers::{PASSWORD, TestApp, bearer, issue_about};
use serde_json::json;
use std::path::Path;
use std::time::{Duration, Instant};

const REQUESTED: &str = "If that address has an account, a reset link is on its way";
const NEW_PASSWORD: &str = "a completely new passphrase 77";

/// The messages written so far, decoded enough to read links (quoted-printable soft
/// breaks and `=3D` undone).
pub fn mails_in(dir: &Path) -> Vec<String> {
    let mut files: Vec<_> = std::fs::read_dir(dir.join("outbox"))
        .map(|entries| entries.filter_map(|e| e.ok()).map(|e| e.path()).collect())
        .unwrap_or_default();
    files.sort();
    files
        .iter()
        .filter_map(|path| std::fs::read_to_string(path).ok())
        .map(|raw| raw.replace("=\r\n", "").replace("=3D", "="))
        .collect()
}

/// Subjects of the messages AuthKit sends (each test waits for the kind it is about:
/// a signup also sends a verification mail).
pub const RESET: &str = "Subject: Reset your AuthKit password";
pub const PASSWORD_CHANGED: &str = "Subject: Your AuthKit password was changed";
pub const VERIFY: &str = "Subject: Verify your AuthKit email address";
pub const CONFIRM_CHANGE: &str = "Subject: Confirm your new AuthKit email address";
pub const CHANGE_NOTICE: &str = "Subject: Your AuthKit email address is being changed";

/// The messages so far that contain `kind` (a subject line above).
pub fn mails_of(dir: &Path, kind: &str) -> Vec<String> {
    mails_in(dir).into_iter().filter(|mail| mail.contains(kind)).collect()
}

/// Waits until `count` messages containing `kind` are there.
pub async fn wait_for_mails(dir: &Path, kind: &str, count: usize) -> Vec<String> {
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let mails = mails_of(dir, kind);
        if mails.len() >= count || Instant::now() > deadline {
            assert!(
                mails.len() >= count,
                "{} of {count} mails \"{kind}\" arrived",
                mails.len()
            );
            return mails;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// The token of the link to `page` (`/reset-password`, `/verify-email`, …) in a message.
pub fn link_token(mail: &str, page: &str) -> String {
    let marker = format!("{page}#token=");
    let start = mail.find(&marker).unwrap_or_else(|| panic!("a {page} link in {mail}")) + marker.len();
    mail[start..start + 64].to_owned()
}

/// The reset token in a message's link.
pub fn reset_token(mail: &str) -> String {
    link_token(mail, "/reset-password")
}

async fn request(app: &TestApp, email: &str) -> super::helpers::Reply {
    app.post_json("/auth/password-reset/request", &json!({"email": email}))
        .await
}

async fn reset(app: &TestApp, token: &str, password: &str) -> super::helpers::Reply {
    app.post_json(
        "/auth/password-reset",
        &json!({"token": token, "new_password": password}),
    )
    .await
}

#[tokio::test]
async fn a_forgotten_password_is_reset_through_the_mailed_link() {
    let app = TestApp::spawn().await;
    app.signup("ann@example.com", "ann").await;
    let (_, cookie) = app.session("ann@example.com", PASSWORD).await;

    let asked = request(&app, "Ann@Example.com").await;
    assert_eq!(asked.status, 202, "{}", asked.text);
    assert_eq!(asked.body, json!({"detail": REQUESTED}));
    let mails = wait_for_mails(app.data_dir(), RESET, 1).await;
    assert!(mails[0].contains("To: ann@example.com"), "{}", mails[0]);
    assert!(mails[0].contains("text/plain") && mails[0].contains("text/html"));
    let token = reset_token(&mails[0]);

    let done = reset(&app, &token, NEW_PASSWORD).await;
    assert_eq!(done.status, 200, "{}", done.text);
    assert_eq!(done.body, json!({"password_reset": true}));
    assert_eq!(app.login("ann@example.com", PASSWORD).await.status, 401);
    assert_eq!(app.login("ann@example.com", NEW_PASSWORD).await.status, 200);
    assert_eq!(app.refresh(&cookie).await.status, 401, "every session ended");
    let again = reset(&app, &token, "yet another passphrase 88").await;
    assert_eq!(again.status, 400);
    assert_eq!(
        again.body,
        json!({"detail": "Invalid or expired link", "code": "invalid_link"})
    );
    // The notice that the password changed.
    wait_for_mails(app.data_dir(), PASSWORD_CHANGED, 1).await;
    // A reset link proves the address receives mail: it counts as verified.
    let verified = app.account(&app.session("ann@example.com", NEW_PASSWORD).await.0).await;
    assert_eq!(verified.body["email_verified"], true, "{}", verified.text);
    // What is stored: the token's hash only, and it is gone once used (the reset also
    // ended the account's other links, its verification link among them).
    let tokens: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM email_tokens")
        .fetch_one(&app.db)
        .await
        .unwrap();
    assert_eq!(tokens, 0);
}

#[tokio::test]
async fn an_unknown_address_gets_the_same_answer_and_no_mail() {
    let app = TestApp::spawn().await;
    app.signup("ann@example.com", "ann").await;
    let known = request(&app, "ann@example.com").await;
    let unknown = request(&app, "nobody@example.com").await;
    assert_eq!((known.status, &known.body), (unknown.status, &unknown.body));
    wait_for_mails(app.data_dir(), RESET, 1).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let mails = mails_of(app.data_dir(), RESET);
    assert_eq!(mails.len(), 1, "only the known address gets a mail");
    assert!(!mails[0].contains("nobody@example.com"));
    let malformed = request(&app, "not an address").await;
    assert_eq!(malformed.status, 422, "{}", malformed.text);
}

#[tokio::test]
async fn a_reset_link_works_once_even_when_used_twice_at_the_same_moment() {
    let app = TestApp::spawn().await;
    app.signup("bob@example.com", "bob").await;
    request(&app, "bob@example.com").await;
    let token = reset_token(&wait_for_mails(app.data_dir(), RESET, 1).await[0]);
    let (a, b) = tokio::join!(
        reset(&app, &token, NEW_PASSWORD),
        reset(&app, &token, "a different passphrase 99")
    );
    let mut statuses = [a.status, b.status];
    statuses.sort();
    assert_eq!(statuses, [200, 400]);
}

#[tokio::test]
async fn links_die_with_a_password_change_expire_and_serve_only_resets() {
    let app = TestApp::spawn().await;
    app.signup("cy@example.com", "cy").await;
    request(&app, "cy@example.com").await;
    request(&app, "cy@example.com").await;
    let mails = wait_for_mails(app.data_dir(), RESET, 2).await;
    let (first, second) = (reset_token(&mails[0]), reset_token(&mails[1]));

    // A weak new password is refused and the link still works.
    let weak = reset(&app, &first, "password").await;
    assert!(issue_about(&weak, "new_password").is_some(), "{}", weak.text);
    // Expired: the second link, pushed into the past.
    sqlx::query("UPDATE email_tokens SET expires_at = 0 WHERE expires_at > 0 AND token_hash <> $1")
        .bind(hex::encode(<sha2::Sha256 as sha2::Digest>::digest(first.as_bytes())))
        .execute(&app.db)
        .await
        .unwrap();
    assert_eq!(reset(&app, &second, NEW_PASSWORD).await.status, 400, "expired");

    // A password change made while logged in kills the first link too.
    let token = app.login("cy@example.com", PASSWORD).await.body["access_token"]
        .as_str()
        .unwrap()
        .to_owned();
    let changed = app
        .send(
            app.client
                .post(app.url("/auth/password"))
                .header("Authorization", bearer(&token))
                .json(&json!({"current_password": PASSWORD, "new_password": NEW_PASSWORD})),
        )
        .await;
    assert_eq!(changed.status, 200, "{}", changed.text);
    assert_eq!(reset(&app, &first, "one more passphrase 55").await.status, 400);

    for made_up in ["", "abc", &"0".repeat(64), &"z".repeat(64), &first.repeat(2)] {
        let reply = reset(&app, made_up, NEW_PASSWORD).await;
        assert_eq!(reply.status, 400, "{made_up}: {}", reply.text);
    }
}

#[tokio::test]
async fn reset_requests_are_throttled_per_address_whether_or_not_it_has_an_account() {
    let app = TestApp::spawn_with(&[("PASSWORD_RESET_PER_ADDRESS_PER_HOUR", "2")]).await;
    app.signup("dee@example.com", "dee").await;
    for address in ["dee@example.com", "ghost@example.com"] {
        assert_eq!(request(&app, address).await.status, 202);
        assert_eq!(request(&app, address).await.status, 202);
        let third = request(&app, address).await;
        assert_eq!(third.status, 429, "{address}: {}", third.text);
        assert!(third.headers.get("retry-after").is_some());
    }
    // Another address is not held back.
    assert_eq!(request(&app, "other@example.com").await.status, 202);
}

/// Issue 21 (7): a reset and the end of the account's sessions are one change: if the
/// sessions cannot be ended, the password is not reset and the link still works.
#[tokio::test]
async fn a_reset_that_cannot_end_the_sessions_changes_nothing() {
    let app = TestApp::spawn().await;
    app.signup("atomic@example.com", "a").await;
    request(&app, "atomic@example.com").await;
    let token = reset_token(&wait_for_mails(app.data_dir(), RESET, 1).await[0]);
    super::sessions::refuse_session_revocations(&app).await;
    assert_eq!(reset(&app, &token, NEW_PASSWORD).await.status, 500);
    super::sessions::allow_session_revocations(&app).await;
    assert_eq!(
        app.login("atomic@example.com", PASSWORD).await.status,
        200,
        "the old password stands"
    );
    let done = reset(&app, &token, NEW_PASSWORD).await;
    assert_eq!(done.status, 200, "the link was not used up: {}", done.text);
    assert_eq!(app.login("atomic@example.com", NEW_PASSWORD).await.status, 200);
}
