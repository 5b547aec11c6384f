//! The address behind an account: verifying it from the mailed link, and changing it
//! (confirmed from the new address, announced to the old one). Mail is read from the
//! development outbox, as in `mail`.

use super::helpers::{PASSWORD, Reply, TestApp, bearer, refresh_cookie};
use super::mail::{
    CHANGE_NOTICE, CONFIRM_CHANGE, PASSWORD_CHANGED, RESET, VERIFY, link_token, mails_of, wait_for_mails,
};
use serde_json::json;

const INVALID_LINK: &str = "Invalid or expired link";

async fn verify(app: &TestApp, token: &str) -> Reply {
    app.post_json("/auth/verify-email", &json!({"token": token})).await
}

async fn resend(app: &TestApp, access_token: Option<&str>) -> Reply {
    let authorization = access_token.map(bearer);
    app.post_with("/auth/verify-email/resend", authorization.as_deref(), None, json!({}))
        .await
}

async fn change_email(app: &TestApp, access_token: &str, new_email: &str, password: &str) -> Reply {
    app.post_with(
        "/auth/email",
        Some(&bearer(access_token)),
        None,
        json!({"new_email": new_email, "password": password}),
    )
    .await
}

async fn confirm(app: &TestApp, token: &str) -> Reply {
    app.post_json("/auth/email/confirm", &json!({"token": token})).await
}

/// The verification token mailed to `to` (the `n`th, counting from 0).
async fn verification_token(app: &TestApp, to: &str, n: usize) -> String {
    let mails: Vec<String> = wait_for_mails(app.data_dir(), VERIFY, n + 1)
        .await
        .into_iter()
        .filter(|mail| mail.contains(&format!("To: {to}")))
        .collect();
    link_token(&mails[n], "/verify-email")
}

async fn confirmation_token(app: &TestApp, to: &str) -> String {
    let mails = wait_for_mails(app.data_dir(), CONFIRM_CHANGE, 1).await;
    let mail = mails
        .iter()
        .rfind(|mail| mail.contains(&format!("To: {to}")))
        .expect("a confirmation to the new address");
    link_token(mail, "/confirm-email")
}

#[tokio::test]
async fn signing_up_mails_a_link_that_verifies_the_address() {
    let app = TestApp::spawn().await;
    let (id, token) = app.user_with_token("ann@example.com").await;
    let before = app.account(&token).await;
    assert_eq!(
        before.body,
        json!({"id": id, "email": "ann@example.com", "username": "someone", "role": "user", "email_verified": false, "second_factor": false})
    );
    // The seed's `/auth/me` keeps exactly its three fields.
    let me = app.me(Some(&bearer(&token))).await;
    assert_eq!(
        me.body,
        json!({"id": id, "email": "ann@example.com", "username": "someone"})
    );

    let mail = &wait_for_mails(app.data_dir(), VERIFY, 1).await[0];
    assert!(mail.contains("To: ann@example.com"), "{mail}");
    assert!(mail.contains("text/plain") && mail.contains("text/html"));
    let link = link_token(mail, "/verify-email");
    let verified = verify(&app, &link).await;
    assert_eq!(verified.status, 200, "{}", verified.text);
    assert_eq!(verified.body, json!({"email_verified": true}));
    assert_eq!(app.account(&token).await.body["email_verified"], true);
    let again = verify(&app, &link).await;
    assert_eq!(
        (again.status, &again.body),
        (400, &json!({"detail": INVALID_LINK, "code": "invalid_link"}))
    );
    let stored: Option<i64> = sqlx::query_scalar("SELECT email_verified_at FROM users WHERE id = $1")
        .bind(id)
        .fetch_one(&app.db)
        .await
        .unwrap();
    assert!(stored.is_some_and(|at| at > 0));
}

#[tokio::test]
async fn a_verification_link_works_once_even_when_used_twice_at_the_same_moment() {
    let app = TestApp::spawn().await;
    app.signup("bob@example.com", "bob").await;
    let link = verification_token(&app, "bob@example.com", 0).await;
    let (a, b) = tokio::join!(verify(&app, &link), verify(&app, &link));
    let mut statuses = [a.status, b.status];
    statuses.sort();
    assert_eq!(statuses, [200, 400]);
}

#[tokio::test]
async fn resending_the_link_needs_a_login_an_unverified_address_and_is_throttled() {
    let app = TestApp::spawn_with(&[("ACCOUNT_MAILS_PER_HOUR", "2")]).await;
    let (_, token) = app.user_with_token("cy@example.com").await;
    assert_eq!(resend(&app, None).await.status, 401);
    let first = resend(&app, Some(&token)).await;
    assert_eq!(first.status, 202, "{}", first.text);
    assert_eq!(first.body, json!({"detail": "A verification link is on its way"}));
    assert_eq!(resend(&app, Some(&token)).await.status, 202);
    let third = resend(&app, Some(&token)).await;
    assert_eq!(third.status, 429, "{}", third.text);
    assert!(third.headers.get("retry-after").is_some());
    // The signup's mail and the two resent ones: any of them verifies.
    let resent = verification_token(&app, "cy@example.com", 2).await;
    assert_eq!(verify(&app, &resent).await.status, 200);
    // Verified: nothing left to resend.
    // Verified: nothing left to resend (told before the throttle is consulted).
    let verified = resend(&app, Some(&token)).await;
    assert_eq!(verified.status, 400, "{}", verified.text);
}

#[tokio::test]
async fn an_already_verified_address_gets_no_second_link() {
    let app = TestApp::spawn().await;
    let (_, token) = app.user_with_token("dee@example.com").await;
    let link = verification_token(&app, "dee@example.com", 0).await;
    assert_eq!(verify(&app, &link).await.status, 200);
    let reply = resend(&app, Some(&token)).await;
    assert_eq!(
        (reply.status, &reply.body),
        (
            400,
            &json!({"detail": "Email already verified", "code": "email_already_verified"})
        )
    );
    assert_eq!(mails_of(app.data_dir(), VERIFY).len(), 1);
}

#[tokio::test]
async fn with_verification_required_an_unverified_address_cannot_log_in() {
    let app = TestApp::spawn_with(&[("REQUIRE_EMAIL_VERIFICATION", "true")]).await;
    let signed_up = app.signup("eve@example.com", "eve").await;
    assert_eq!(signed_up.status, 200, "{}", signed_up.text);
    assert_eq!(signed_up.body["email"], "eve@example.com");
    assert_eq!(
        refresh_cookie(&signed_up),
        None,
        "no session before the address is verified"
    );

    // The password is checked first: a wrong one (or an unknown address) is the usual 401.
    let wrong = app.login("eve@example.com", "not the password at all").await;
    assert_eq!(wrong.status, 401);
    assert_eq!(app.login("nobody@example.com", PASSWORD).await.status, 401);
    let unverified = app.login("eve@example.com", PASSWORD).await;
    assert_eq!(unverified.status, 403, "{}", unverified.text);
    assert_eq!(
        unverified.body,
        json!({"detail": "Email not verified", "code": "email_not_verified"})
    );
    assert_eq!(refresh_cookie(&unverified), None);

    // Without a session there is no profile to ask from: the refused login mailed a
    // fresh link (the signup's is the first).
    let fresh = verification_token(&app, "eve@example.com", 1).await;
    assert_eq!(verify(&app, &fresh).await.status, 200);
    assert_eq!(app.login("eve@example.com", PASSWORD).await.status, 200);
}

#[tokio::test]
async fn changing_the_email_takes_a_confirmation_from_the_new_address() {
    let app = TestApp::spawn().await;
    let (id, token) = app.user_with_token("fay@example.com").await;
    app.signup("taken@example.com", "other").await;

    let no_login = app
        .post_json(
            "/auth/email",
            &json!({"new_email": "new@example.com", "password": PASSWORD}),
        )
        .await;
    assert_eq!(no_login.status, 401);
    let wrong = change_email(&app, &token, "new@example.com", "not the password at all").await;
    assert_eq!(
        (wrong.status, &wrong.body),
        (401, &json!({"detail": "Incorrect password", "code": "wrong_password"}))
    );
    assert_eq!(change_email(&app, &token, "not an address", PASSWORD).await.status, 422);
    let taken = change_email(&app, &token, "Taken@Example.com", PASSWORD).await;
    assert_eq!(
        (taken.status, &taken.body),
        (
            400,
            &json!({"detail": "Email already registered", "code": "email_taken"})
        )
    );

    let asked = change_email(&app, &token, "New@Example.com", PASSWORD).await;
    assert_eq!(asked.status, 202, "{}", asked.text);
    assert_eq!(
        asked.body,
        json!({"detail": "A confirmation link is on its way to the new address"})
    );
    // Nothing changes before the confirmation.
    assert_eq!(app.account(&token).await.body["email"], "fay@example.com");
    let notice = &wait_for_mails(app.data_dir(), CHANGE_NOTICE, 1).await[0];
    assert!(notice.contains("To: fay@example.com"), "{notice}");
    assert!(notice.contains("new@example.com"), "the notice names the new address");
    assert!(!notice.contains("#token="), "the old address gets no link");
    let link = confirmation_token(&app, "new@example.com").await;

    let confirmed = confirm(&app, &link).await;
    assert_eq!(confirmed.status, 200, "{}", confirmed.text);
    assert_eq!(
        confirmed.body,
        json!({"email": "new@example.com", "email_verified": true})
    );
    let account = app.account(&token).await;
    assert_eq!(account.body["email"], "new@example.com");
    assert_eq!(account.body["email_verified"], true);
    assert_eq!(app.login("fay@example.com", PASSWORD).await.status, 401);
    assert_eq!(app.login("NEW@example.com", PASSWORD).await.status, 200);
    assert_eq!(
        app.signup("fay@example.com", "again").await.status,
        200,
        "the old address is free"
    );
    let again = confirm(&app, &link).await;
    assert_eq!(
        (again.status, &again.body),
        (400, &json!({"detail": INVALID_LINK, "code": "invalid_link"}))
    );
    let stored: String = sqlx::query_scalar("SELECT email FROM users WHERE id = $1")
        .bind(id)
        .fetch_one(&app.db)
        .await
        .unwrap();
    assert_eq!(stored, "new@example.com");
}

#[tokio::test]
async fn an_address_taken_before_the_confirmation_is_refused_then() {
    let app = TestApp::spawn().await;
    let (_, token) = app.user_with_token("gil@example.com").await;
    assert_eq!(
        change_email(&app, &token, "wanted@example.com", PASSWORD).await.status,
        202
    );
    let link = confirmation_token(&app, "wanted@example.com").await;
    assert_eq!(app.signup("wanted@example.com", "quick").await.status, 200);
    let late = confirm(&app, &link).await;
    assert_eq!(
        (late.status, &late.body),
        (
            400,
            &json!({"detail": "Email already registered", "code": "email_taken"})
        )
    );
    assert_eq!(app.account(&token).await.body["email"], "gil@example.com");
}

/// Two accounts ask for the same new address and confirm at the same moment: the unique
/// index decides, exactly one gets it, and the other is told why (never a 500).
#[tokio::test]
async fn two_accounts_confirming_the_same_address_at_once_get_one_success() {
    let app = TestApp::spawn().await;
    let (_, first) = app.user_with_token("hal@example.com").await;
    let (_, second) = app.user_with_token("ivy@example.com").await;
    assert_eq!(
        change_email(&app, &first, "both@example.com", PASSWORD).await.status,
        202
    );
    assert_eq!(
        change_email(&app, &second, "both@example.com", PASSWORD).await.status,
        202
    );
    let mails = wait_for_mails(app.data_dir(), CONFIRM_CHANGE, 2).await;
    let (a, b) = (
        link_token(&mails[0], "/confirm-email"),
        link_token(&mails[1], "/confirm-email"),
    );
    let (a, b) = tokio::join!(confirm(&app, &a), confirm(&app, &b));
    let mut answers = [(a.status, a.body), (b.status, b.body)];
    answers.sort_by_key(|(status, _)| *status);
    assert_eq!(answers[0].0, 200);
    assert_eq!(
        answers[1],
        (
            400,
            json!({"detail": "Email already registered", "code": "email_taken"})
        )
    );
    let owners: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM users WHERE email = 'both@example.com'")
        .fetch_one(&app.db)
        .await
        .unwrap();
    assert_eq!(owners, 1);
}

#[tokio::test]
async fn each_link_serves_only_its_own_purpose() {
    let app = TestApp::spawn().await;
    let (_, token) = app.user_with_token("jo@example.com").await;
    let verification = verification_token(&app, "jo@example.com", 0).await;
    assert_eq!(
        change_email(&app, &token, "jo2@example.com", PASSWORD).await.status,
        202
    );
    let change = confirmation_token(&app, "jo2@example.com").await;
    app.post_json("/auth/password-reset/request", &json!({"email": "jo@example.com"}))
        .await;
    let reset = link_token(&wait_for_mails(app.data_dir(), RESET, 1).await[0], "/reset-password");

    for wrong in [&change, &reset] {
        assert_eq!(verify(&app, wrong).await.status, 400);
    }
    for wrong in [&verification, &reset] {
        assert_eq!(confirm(&app, wrong).await.status, 400);
    }
    for wrong in [&verification, &change] {
        let reply = app
            .post_json(
                "/auth/password-reset",
                &json!({"token": wrong, "new_password": "a completely new passphrase 77"}),
            )
            .await;
        assert_eq!(reply.status, 400);
    }
    for made_up in ["", "abc", &"0".repeat(64), &"z".repeat(64)] {
        assert_eq!(verify(&app, made_up).await.status, 400, "{made_up}");
        assert_eq!(confirm(&app, made_up).await.status, 400, "{made_up}");
    }
    // Each link still does its own job after all that.
    assert_eq!(verify(&app, &verification).await.status, 200);
    assert_eq!(confirm(&app, &change).await.status, 200);
}

#[tokio::test]
async fn a_password_change_ends_pending_links_and_is_announced() {
    let app = TestApp::spawn().await;
    let (_, token) = app.user_with_token("kim@example.com").await;
    let verification = verification_token(&app, "kim@example.com", 0).await;
    assert_eq!(
        change_email(&app, &token, "kim2@example.com", PASSWORD).await.status,
        202
    );
    let change = confirmation_token(&app, "kim2@example.com").await;
    let changed = app
        .post_with(
            "/auth/password",
            Some(&bearer(&token)),
            None,
            json!({"current_password": PASSWORD, "new_password": "a completely new passphrase 77"}),
        )
        .await;
    assert_eq!(changed.status, 200, "{}", changed.text);
    assert_eq!(verify(&app, &verification).await.status, 400);
    assert_eq!(confirm(&app, &change).await.status, 400);
    let notice = &wait_for_mails(app.data_dir(), PASSWORD_CHANGED, 1).await[0];
    assert!(notice.contains("To: kim@example.com"), "{notice}");
}

#[tokio::test]
async fn email_changes_are_throttled_per_account() {
    let app = TestApp::spawn_with(&[("ACCOUNT_MAILS_PER_HOUR", "2")]).await;
    let (_, token) = app.user_with_token("lu@example.com").await;
    assert_eq!(change_email(&app, &token, "a1@example.com", PASSWORD).await.status, 202);
    assert_eq!(change_email(&app, &token, "a2@example.com", PASSWORD).await.status, 202);
    let third = change_email(&app, &token, "a3@example.com", PASSWORD).await;
    assert_eq!(third.status, 429, "{}", third.text);
    assert_eq!(mails_of(app.data_dir(), CONFIRM_CHANGE).len(), 2);
}

#[tokio::test]
async fn expired_verification_and_change_links_are_refused() {
    let app = TestApp::spawn().await;
    let (_, token) = app.user_with_token("max@example.com").await;
    let verification = verification_token(&app, "max@example.com", 0).await;
    assert_eq!(
        change_email(&app, &token, "max2@example.com", PASSWORD).await.status,
        202
    );
    let change = confirmation_token(&app, "max2@example.com").await;
    sqlx::query("UPDATE email_tokens SET expires_at = created_at - 1")
        .execute(&app.db)
        .await
        .unwrap();
    let expired = verify(&app, &verification).await;
    assert_eq!(
        (expired.status, &expired.body),
        (400, &json!({"detail": INVALID_LINK, "code": "invalid_link"}))
    );
    assert_eq!(confirm(&app, &change).await.status, 400);
    let account = app.account(&token).await;
    assert_eq!(account.body["email"], "max@example.com");
    assert_eq!(account.body["email_verified"], false);
}
