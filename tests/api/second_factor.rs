//! The second factor (TOTP and recovery codes), as an attacker would try it: replays,
//! codes outside the window, parallel bursts on one `mfa_token`, a recovery code raced
//! twice, an expired or used token, and what a stolen database shows.

use super::helpers::{PASSWORD, Reply, TestApp, bearer, refresh_cookie};
use super::mail::wait_for_mails;
use authkit::server::second_factor::totp::{code_at_step, step_at};
use serde_json::{Value, json};

const ON: &str = "Subject: AuthKit: Two-step verification is on";
const OFF: &str = "Subject: AuthKit: Two-step verification is off";
const NEW_CODES: &str = "Subject: AuthKit: New recovery codes";
const REMOVED: &str = "Subject: AuthKit: Two-step verification was removed";

fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

fn seed_of(secret: &str) -> Vec<u8> {
    totp_rs::Secret::Encoded(secret.to_owned())
        .to_bytes()
        .expect("base32 secret")
}

/// The code an app shows `offset` steps from now.
fn code(seed: &[u8], offset: i64) -> String {
    code_at_step(seed, step_at(now()) + offset)
}

async fn post(app: &TestApp, path: &str, token: &str, body: Value) -> Reply {
    app.post_with(path, Some(&bearer(token)), None, body).await
}

struct Enrolled {
    token: String,
    seed: Vec<u8>,
    recovery_codes: Vec<String>,
    user_id: i64,
}

/// Signs `email` up and turns on an authenticator app with the current step's code.
async fn enrolled(app: &TestApp, email: &str) -> Enrolled {
    let (user_id, token) = app.verified_user_with_token(email).await;
    let setup = post(app, "/auth/totp/setup", &token, json!({"password": PASSWORD})).await;
    assert_eq!(setup.status, 200, "{}", setup.text);
    let seed = seed_of(setup.body["secret"].as_str().unwrap());
    let enabled = post(app, "/auth/totp/enable", &token, json!({"code": code(&seed, 0)})).await;
    assert_eq!(enabled.status, 200, "{}", enabled.text);
    let recovery_codes = enabled.body["recovery_codes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c.as_str().unwrap().to_owned())
        .collect();
    Enrolled {
        token,
        seed,
        recovery_codes,
        user_id,
    }
}

/// The password step: the `mfa_token` of the 401.
async fn mfa_token(app: &TestApp, email: &str) -> String {
    let reply = app.login(email, PASSWORD).await;
    assert_eq!(reply.status, 401, "{}", reply.text);
    reply.body["mfa_token"].as_str().expect("an mfa_token").to_owned()
}

async fn finish(app: &TestApp, mfa_token: &str, field: &str, value: &str) -> Reply {
    app.post_json("/auth/login/mfa", &json!({"mfa_token": mfa_token, field: value}))
        .await
}

#[tokio::test]
async fn turning_it_on_needs_the_password_then_a_right_code_and_hands_out_ten_recovery_codes() {
    let app = TestApp::spawn().await;
    let (user_id, token) = app.verified_user_with_token("ann@example.com").await;

    let wrong = post(
        &app,
        "/auth/totp/setup",
        &token,
        json!({"password": "not the password"}),
    )
    .await;
    assert_eq!(wrong.status, 401, "{}", wrong.text);
    let premature = post(&app, "/auth/totp/enable", &token, json!({"code": "123456"})).await;
    assert_eq!(premature.status, 400, "{}", premature.text);
    assert_eq!(premature.body["detail"], "Set up two-step verification first");

    let setup = post(&app, "/auth/totp/setup", &token, json!({"password": PASSWORD})).await;
    assert_eq!(setup.status, 200, "{}", setup.text);
    let secret = setup.body["secret"].as_str().unwrap();
    assert_eq!(
        setup.body["otpauth_uri"],
        format!("otpauth://totp/AuthKit:ann%40example.com?secret={secret}&issuer=AuthKit")
    );
    assert!(setup.body["qr_svg"].as_str().unwrap().starts_with("<svg"));
    let seed = seed_of(secret);
    assert_eq!(seed.len(), 20);

    // Stolen database: the seed is not there in any readable form.
    let stored: String = sqlx::query_scalar("SELECT secret FROM totp_factors WHERE user_id = $1")
        .bind(user_id)
        .fetch_one(&app.db)
        .await
        .unwrap();
    assert!(stored.starts_with("v1:"), "{stored}");
    assert!(
        !stored.contains(secret) && !stored.contains(&hex::encode(&seed)),
        "{stored}"
    );

    // Not on yet: logging in still needs only the password.
    assert_eq!(app.login("ann@example.com", PASSWORD).await.status, 200);
    let account = app.account(&token).await;
    assert_eq!(account.body["second_factor"], false);

    let wrong_code = post(&app, "/auth/totp/enable", &token, json!({"code": code(&seed, 5)})).await;
    assert_eq!(wrong_code.status, 401, "{}", wrong_code.text);
    assert_eq!(wrong_code.body["detail"], "Invalid code");

    let enabled = post(&app, "/auth/totp/enable", &token, json!({"code": code(&seed, 0)})).await;
    assert_eq!(enabled.status, 200, "{}", enabled.text);
    let codes: Vec<&str> = enabled.body["recovery_codes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c.as_str().unwrap())
        .collect();
    assert_eq!(codes.len(), 10);
    assert_eq!(codes.iter().collect::<std::collections::HashSet<_>>().len(), 10);
    // Only hashes are stored.
    let hashes: Vec<String> = sqlx::query_scalar("SELECT code_hash FROM recovery_codes WHERE user_id = $1")
        .bind(user_id)
        .fetch_all(&app.db)
        .await
        .unwrap();
    assert_eq!(hashes.len(), 10);
    assert!(
        hashes
            .iter()
            .all(|h| codes.iter().all(|c| !h.contains(&c.replace('-', ""))))
    );

    assert_eq!(app.account(&token).await.body["second_factor"], true);
    let again = post(&app, "/auth/totp/setup", &token, json!({"password": PASSWORD})).await;
    assert_eq!(again.status, 409, "{}", again.text);
    wait_for_mails(app.data_dir(), ON, 1).await;
}

#[tokio::test]
async fn the_right_password_alone_is_a_401_with_an_mfa_token_and_no_session() {
    let app = TestApp::spawn().await;
    let user = enrolled(&app, "bob@example.com").await;
    let reply = app.login("bob@example.com", PASSWORD).await;
    assert_eq!(reply.status, 401, "{}", reply.text);
    assert_eq!(reply.body["detail"], "Second factor required");
    assert_eq!(reply.body["methods"], json!(["totp", "recovery_code"]));
    let token = reply.body["mfa_token"].as_str().unwrap();
    assert!(token.len() == 64 && token.bytes().all(|b| b.is_ascii_hexdigit()));
    assert!(reply.body.get("access_token").is_none());
    assert_eq!(refresh_cookie(&reply), None, "no half-session");
    // A wrong password still says only that.
    let wrong = app.login("bob@example.com", "not the password").await;
    assert_eq!(wrong.status, 401);
    assert_eq!(
        wrong.body,
        json!({"detail": "Incorrect email or password", "code": "invalid_credentials"})
    );

    // The next step's code (the current one was used to turn it on) finishes the login.
    let done = finish(&app, token, "code", &code(&user.seed, 1)).await;
    assert_eq!(done.status, 200, "{}", done.text);
    assert_eq!(done.body["token_type"], "bearer");
    let cookie = refresh_cookie(&done).expect("a refresh cookie, as login sets");
    assert_eq!(app.me_status(done.body["access_token"].as_str().unwrap()).await, 200);
    assert_eq!(app.refresh(&cookie).await.status, 200);
    // The token worked once.
    let reused = finish(&app, token, "code", &code(&user.seed, 1)).await;
    assert_eq!(reused.status, 401);
    assert_eq!(reused.body["detail"], "This login has expired. Log in again.");
}

#[tokio::test]
async fn a_code_is_accepted_one_step_either_side_and_never_twice() {
    let app = TestApp::spawn().await;
    let user = enrolled(&app, "cy@example.com").await;
    // Outside the window: two steps away either way.
    for offset in [-2, 2] {
        let token = mfa_token(&app, "cy@example.com").await;
        let reply = finish(&app, &token, "code", &code(&user.seed, offset)).await;
        assert_eq!(reply.status, 401, "offset {offset}: {}", reply.text);
        assert_eq!(reply.body["detail"], "Invalid code");
    }
    // The step used to turn it on, replayed.
    let token = mfa_token(&app, "cy@example.com").await;
    let replay = finish(&app, &token, "code", &code(&user.seed, 0)).await;
    assert_eq!(replay.status, 401, "{}", replay.text);
    // One step ahead works, and then that code is spent, and so is any earlier step.
    let ok = finish(&app, &token, "code", &code(&user.seed, 1)).await;
    assert_eq!(ok.status, 200, "{}", ok.text);
    let token = mfa_token(&app, "cy@example.com").await;
    for offset in [1, 0, -1] {
        let reply = finish(&app, &token, "code", &code(&user.seed, offset)).await;
        assert_eq!(
            reply.status, 401,
            "offset {offset} after step +1 was used: {}",
            reply.text
        );
    }
    // Spaces inside the code are fine; letters are not a code.
    let token = mfa_token(&app, "cy@example.com").await;
    let garbage = finish(&app, &token, "code", "12a456").await;
    assert_eq!(garbage.status, 401);
}

#[tokio::test]
async fn the_same_code_sent_twice_at_once_logs_in_once() {
    let app = TestApp::spawn().await;
    let user = enrolled(&app, "dee@example.com").await;
    let (first, second) = (
        mfa_token(&app, "dee@example.com").await,
        mfa_token(&app, "dee@example.com").await,
    );
    let next = code(&user.seed, 1);
    let (a, b) = tokio::join!(
        finish(&app, &first, "code", &next),
        finish(&app, &second, "code", &next)
    );
    let mut statuses = [a.status, b.status];
    statuses.sort();
    assert_eq!(statuses, [200, 401], "{} / {}", a.text, b.text);
}

#[tokio::test]
async fn a_recovery_code_works_once_even_when_raced() {
    let app = TestApp::spawn().await;
    let user = enrolled(&app, "eve@example.com").await;
    let code = user.recovery_codes[0].clone();
    let tokens: Vec<String> = futures::future::join_all((0..4).map(|_| mfa_token(&app, "eve@example.com"))).await;
    let replies = futures::future::join_all(tokens.iter().map(|t| finish(&app, t, "recovery_code", &code))).await;
    let won = replies.iter().filter(|r| r.status == 200).count();
    assert_eq!(won, 1, "{:?}", replies.iter().map(|r| &r.text).collect::<Vec<_>>());
    assert!(replies.iter().all(|r| r.status == 200 || r.status == 401));
    // Typed forgivingly: upper case, spaces instead of dashes; the other field may be
    // sent as null (the UI's client does).
    let token = mfa_token(&app, "eve@example.com").await;
    let typed = user.recovery_codes[1].to_uppercase().replace('-', " ");
    let reply = app
        .post_json(
            "/auth/login/mfa",
            &json!({"mfa_token": token, "code": null, "recovery_code": typed}),
        )
        .await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    let left: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM recovery_codes WHERE user_id = $1")
        .bind(user.user_id)
        .fetch_one(&app.db)
        .await
        .unwrap();
    assert_eq!(left, 8);
}

#[tokio::test]
async fn an_mfa_token_allows_five_attempts_even_in_a_parallel_burst() {
    let app = TestApp::spawn().await;
    let user = enrolled(&app, "fay@example.com").await;
    let token = mfa_token(&app, "fay@example.com").await;
    let wrong = code(&user.seed, 7);
    let replies = futures::future::join_all((0..12).map(|_| finish(&app, &token, "code", &wrong))).await;
    assert!(
        replies.iter().all(|r| r.status == 401),
        "{:?}",
        replies.iter().map(|r| r.status).collect::<Vec<_>>()
    );
    let judged = replies.iter().filter(|r| r.body["detail"] == "Invalid code").count();
    assert_eq!(judged, 5, "only five codes were checked");
    let attempts: i64 = sqlx::query_scalar("SELECT attempts FROM mfa_challenges")
        .fetch_one(&app.db)
        .await
        .unwrap();
    assert_eq!(attempts, 5);
    // Even the right code is too late now.
    let right = finish(&app, &token, "code", &code(&user.seed, 1)).await;
    assert_eq!(right.status, 401);
    assert_eq!(right.body["detail"], "This login has expired. Log in again.");
}

#[tokio::test]
async fn an_expired_or_made_up_mfa_token_is_refused() {
    let app = TestApp::spawn().await;
    let user = enrolled(&app, "gus@example.com").await;
    let token = mfa_token(&app, "gus@example.com").await;
    sqlx::query("UPDATE mfa_challenges SET expires_at = expires_at - 301")
        .execute(&app.db)
        .await
        .unwrap();
    let late = finish(&app, &token, "code", &code(&user.seed, 1)).await;
    assert_eq!(late.status, 401, "{}", late.text);
    assert_eq!(late.body["detail"], "This login has expired. Log in again.");
    for made_up in ["", "abc", &"0".repeat(64), &"z".repeat(64)] {
        let reply = finish(&app, made_up, "code", &code(&user.seed, 1)).await;
        assert_eq!(reply.status, 401, "{made_up}: {}", reply.text);
    }
}

#[tokio::test]
async fn a_password_changed_while_the_login_waits_starts_no_session() {
    let app = TestApp::spawn().await;
    let user = enrolled(&app, "hal@example.com").await;
    let token = mfa_token(&app, "hal@example.com").await;
    let changed = post(
        &app,
        "/auth/password",
        &user.token,
        json!({"current_password": PASSWORD, "new_password": "an entirely different passphrase 42"}),
    )
    .await;
    assert_eq!(changed.status, 200, "{}", changed.text);
    let reply = finish(&app, &token, "code", &code(&user.seed, 1)).await;
    assert_eq!(reply.status, 401, "{}", reply.text);
    assert_eq!(refresh_cookie(&reply), None);
}

#[tokio::test]
async fn wrong_codes_count_against_the_accounts_login_throttle() {
    let app = TestApp::spawn_with(&[("LOGIN_MAX_FAILURES", "3")]).await;
    let user = enrolled(&app, "ida@example.com").await;
    // An attacker who has the password logs in again and again for fresh `mfa_token`s:
    // the wrong codes still add up, and the right password does not wipe them.
    let mut statuses = Vec::new();
    for attempt in 0..5 {
        let password_step = app.login("ida@example.com", PASSWORD).await;
        let Some(token) = password_step.body["mfa_token"].as_str() else {
            statuses.push(password_step.status);
            continue;
        };
        statuses.push(
            finish(&app, token, "code", &code(&user.seed, 10 + attempt))
                .await
                .status,
        );
    }
    assert_eq!(statuses, [401, 401, 401, 429, 429]);
}

#[tokio::test]
async fn the_second_step_takes_exactly_one_of_code_and_recovery_code() {
    let app = TestApp::spawn().await;
    enrolled(&app, "jo@example.com").await;
    let token = mfa_token(&app, "jo@example.com").await;
    for body in [
        json!({"mfa_token": token}),
        json!({"mfa_token": token, "code": "123456", "recovery_code": "aaaa-bbbb-cccc-dddd"}),
        json!({"mfa_token": token, "code": 123456}),
        json!({"mfa_token": token, "code": "123456", "extra": 1}),
        json!({"code": "123456"}),
    ] {
        let reply = app.post_json("/auth/login/mfa", &body).await;
        assert_eq!(reply.status, 422, "{body}: {}", reply.text);
        // A refusal never echoes a code or the token back.
        for secret in ["123456", "aaaa-bbbb-cccc-dddd", token.as_str()] {
            assert!(!reply.text.contains(secret), "{secret} echoed: {}", reply.text);
        }
    }
    // None of that used an attempt.
    let attempts: i64 = sqlx::query_scalar("SELECT attempts FROM mfa_challenges")
        .fetch_one(&app.db)
        .await
        .unwrap();
    assert_eq!(attempts, 0);
}

#[tokio::test]
async fn turning_it_off_needs_the_password_and_a_code_and_mails_a_notice() {
    let app = TestApp::spawn().await;
    let user = enrolled(&app, "kim@example.com").await;
    let wrong_password = post(
        &app,
        "/auth/totp/disable",
        &user.token,
        json!({"password": "nope nope nope", "code": code(&user.seed, 1)}),
    )
    .await;
    assert_eq!(wrong_password.status, 401);
    let wrong_code = post(
        &app,
        "/auth/totp/disable",
        &user.token,
        json!({"password": PASSWORD, "code": code(&user.seed, 9)}),
    )
    .await;
    assert_eq!(wrong_code.status, 401);
    assert_eq!(wrong_code.body["detail"], "Invalid code");
    assert_eq!(app.account(&user.token).await.body["second_factor"], true);

    let off = post(
        &app,
        "/auth/totp/disable",
        &user.token,
        json!({"password": PASSWORD, "code": code(&user.seed, 1)}),
    )
    .await;
    assert_eq!(off.status, 200, "{}", off.text);
    assert_eq!(off.body, json!({"second_factor": false}));
    assert_eq!(app.login("kim@example.com", PASSWORD).await.status, 200);
    let again = post(
        &app,
        "/auth/totp/disable",
        &user.token,
        json!({"password": PASSWORD, "code": code(&user.seed, 1)}),
    )
    .await;
    assert_eq!(again.status, 400);
    wait_for_mails(app.data_dir(), OFF, 1).await;
}

#[tokio::test]
async fn new_recovery_codes_replace_the_old_ones() {
    let app = TestApp::spawn().await;
    let user = enrolled(&app, "lee@example.com").await;
    // A recovery code is accepted as the confirming code too.
    let renewed = post(
        &app,
        "/auth/recovery-codes",
        &user.token,
        json!({"password": PASSWORD, "code": user.recovery_codes[0]}),
    )
    .await;
    assert_eq!(renewed.status, 200, "{}", renewed.text);
    let fresh = renewed.body["recovery_codes"].as_array().unwrap().clone();
    assert_eq!(fresh.len(), 10);
    let token = mfa_token(&app, "lee@example.com").await;
    let old = finish(&app, &token, "recovery_code", &user.recovery_codes[1]).await;
    assert_eq!(old.status, 401, "an old code no longer works");
    let new = finish(&app, &token, "recovery_code", fresh[0].as_str().unwrap()).await;
    assert_eq!(new.status, 200, "{}", new.text);
    wait_for_mails(app.data_dir(), NEW_CODES, 1).await;
}

#[tokio::test]
async fn an_admin_can_remove_a_users_second_factor_and_the_user_is_told() {
    let app = TestApp::spawn().await;
    let user = enrolled(&app, "mo@example.com").await;
    let (_, admin) = app.verified_user_with_token("admin@example.com").await;
    let refused = post(
        &app,
        "/admin/users/second-factor/remove",
        &user.token,
        json!({"id": user.user_id}),
    )
    .await;
    assert_eq!(refused.status, 403, "{}", refused.text);
    app.make_admin("admin@example.com").await;

    let list = app
        .send(
            app.client
                .get(app.url("/admin/users"))
                .header("Authorization", bearer(&admin)),
        )
        .await;
    let row = list.body["users"]
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["email"] == "mo@example.com")
        .unwrap()
        .clone();
    assert_eq!(row["second_factor"], true);

    let unknown = post(
        &app,
        "/admin/users/second-factor/remove",
        &admin,
        json!({"id": 999_999}),
    )
    .await;
    assert_eq!(unknown.status, 404);
    let removed = post(
        &app,
        "/admin/users/second-factor/remove",
        &admin,
        json!({"id": user.user_id}),
    )
    .await;
    assert_eq!(removed.status, 200, "{}", removed.text);
    assert_eq!(app.login("mo@example.com", PASSWORD).await.status, 200);
    let mail = wait_for_mails(app.data_dir(), REMOVED, 1).await;
    assert!(mail[0].contains("To: mo@example.com"));
    let codes: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM recovery_codes")
        .fetch_one(&app.db)
        .await
        .unwrap();
    assert_eq!(codes, 0);
}

const PLANTED_REMOVED: &str = "Subject: AuthKit: Ways to sign in were removed";

/// Issue 21 (1), pre-hijacking: a stranger who signs up with someone else's address cannot
/// add an authenticator app or a passkey before the address is proven, so the owner, once
/// they recover the address, finds no way in left by the stranger.
#[tokio::test]
async fn no_factor_can_be_added_before_the_address_is_proven() {
    let app = TestApp::spawn_with(&[("PUBLIC_URL", "http://localhost:3999")]).await;
    let (user_id, token) = app.user_with_token("victim@example.com").await;
    for path in ["/auth/totp/setup", "/auth/passkeys/register/start"] {
        let refused = post(&app, path, &token, json!({"password": PASSWORD})).await;
        assert_eq!(refused.status, 403, "{path}: {}", refused.text);
        assert_eq!(refused.body["code"], "email_not_verified", "{path}");
    }
    let count = |table: &'static str| {
        let sql = match table {
            "totp_factors" => "SELECT COUNT(*) FROM totp_factors WHERE user_id = $1",
            _ => "SELECT COUNT(*) FROM webauthn_ceremonies WHERE user_id = $1",
        };
        sqlx::query_scalar::<_, i64>(sql).bind(user_id).fetch_one(&app.db)
    };
    assert_eq!(count("totp_factors").await.unwrap(), 0, "nothing was stored");
    assert_eq!(
        count("webauthn_ceremonies").await.unwrap(),
        0,
        "no ceremony was started"
    );
}

/// Issue 21 (1): factors added before the address was proven (an account older than the
/// rule above) do not survive the first proof of the mailbox, by a reset link or by the
/// verification link; the notice says what went.
#[tokio::test]
async fn the_first_proof_of_the_mailbox_removes_factors_planted_before_it() {
    for proof in ["reset", "verification"] {
        let app = TestApp::spawn().await;
        // The squatter's app, and a passkey, on an address not yet proven.
        let planted = enrolled(&app, "owner@example.com").await;
        sqlx::query("UPDATE users SET email_verified_at = NULL WHERE id = $1")
            .bind(planted.user_id)
            .execute(&app.db)
            .await
            .unwrap();
        sqlx::query(
            "INSERT INTO passkeys (credential_id, user_id, name, credential, created_at) \
             VALUES ('KdrkOswvSH0xbGtTg7fEA1ulY9TWwIpofArqO0wRh28', $1, 'Squatter', $2, 1764115200)",
        )
        .bind(planted.user_id)
        .bind(include_str!("passkey.json"))
        .execute(&app.db)
        .await
        .unwrap();
        // The owner proves the mailbox.
        let password = if proof == "reset" {
            app.post_json("/auth/password-reset/request", &json!({"email": "owner@example.com"}))
                .await;
            let mail = &wait_for_mails(app.data_dir(), super::mail::RESET, 1).await[0];
            let token = super::mail::reset_token(mail);
            let reset = app
                .post_json(
                    "/auth/password-reset",
                    &json!({"token": token, "new_password": "the owner's own passphrase"}),
                )
                .await;
            assert_eq!(reset.status, 200, "{}", reset.text);
            "the owner's own passphrase"
        } else {
            let mail = &wait_for_mails(app.data_dir(), super::mail::VERIFY, 1).await[0];
            let token = super::mail::link_token(mail, "/verify-email");
            let verified = app.post_json("/auth/verify-email", &json!({"token": token})).await;
            assert_eq!(verified.status, 200, "{}", verified.text);
            PASSWORD
        };
        // The password alone logs in now: the planted app is gone, and so is the passkey.
        let login = app.login("owner@example.com", password).await;
        assert_eq!(login.status, 200, "{proof}: {}", login.text);
        for table in ["totp_factors", "recovery_codes", "passkeys"] {
            let sql = match table {
                "totp_factors" => "SELECT COUNT(*) FROM totp_factors WHERE user_id = $1",
                "recovery_codes" => "SELECT COUNT(*) FROM recovery_codes WHERE user_id = $1",
                _ => "SELECT COUNT(*) FROM passkeys WHERE user_id = $1",
            };
            let left: i64 = sqlx::query_scalar(sql)
                .bind(planted.user_id)
                .fetch_one(&app.db)
                .await
                .unwrap();
            assert_eq!(left, 0, "{proof}: {table}");
        }
        let notice = &wait_for_mails(app.data_dir(), PLANTED_REMOVED, 1).await[0];
        assert!(notice.contains("To: owner@example.com"), "{notice}");
        assert!(
            notice.contains("authenticator app") && notice.contains("passkey"),
            "{notice}"
        );
    }
}

const WRONG_CODES: &str = "Subject: AuthKit: Wrong two-step codes";

/// The second step, as a client behind our proxy, optionally with a device cookie.
async fn finish_from(
    app: &TestApp,
    client_ip: &str,
    device: Option<&str>,
    mfa_token: &str,
    proof: (&str, &str),
) -> Reply {
    let mut request = app
        .client
        .post(app.url("/auth/login/mfa"))
        .header("X-Forwarded-For", client_ip)
        .json(&json!({"mfa_token": mfa_token, proof.0: proof.1}));
    if let Some(device) = device {
        request = request.header("Cookie", format!("authkit_device={device}"));
    }
    app.send(request).await
}

/// A stranger who has the password guesses codes, a few from each of many networks, so
/// that no network's throttle and no 15-minute ceiling ever stops them.
async fn guess_codes(app: &TestApp, email: &str, seed: &[u8], networks: std::ops::Range<u8>) {
    for network in networks {
        let ip = format!("203.0.113.{network}");
        let password_step = app.login_from(&ip, email, PASSWORD, None).await;
        assert_eq!(password_step.status, 401, "{}", password_step.text);
        let token = password_step.body["mfa_token"].as_str().unwrap();
        for guess in 0..2 {
            let wrong = code(seed, 20 + i64::from(guess));
            let reply = finish_from(app, &ip, None, token, ("code", &wrong)).await;
            assert_eq!(reply.status, 401, "{}", reply.text);
        }
    }
}

/// Issue 21 (2): wrong codes add up per account over every network and never drain; past
/// the cap (`SECOND_FACTOR_MAX_FAILURES`) codes are refused, even the right one, until
/// the owner signs in from a browser that signed in before or with a recovery code. The
/// owner is mailed once per burst.
#[tokio::test]
async fn wrong_codes_from_many_networks_lock_codes_until_a_known_browser_or_a_recovery_code() {
    let app = TestApp::spawn_with(&[
        ("TRUSTED_PROXIES", "127.0.0.1"),
        ("SECOND_FACTOR_MAX_FAILURES", "6"),
        ("LOGIN_ACCOUNT_MAX_FAILURES", "1000"),
    ])
    .await;
    let email = "kim@example.com";
    let user = enrolled(&app, email).await;
    // The owner's browser signed in once (here with a recovery code) and keeps its device
    // cookie. (Codes: `enrolled` used this step's; each step works once.)
    let right = code(&user.seed, 1);
    let owner_step = app.login_from("198.51.100.1", email, PASSWORD, None).await;
    let owner_token = owner_step.body["mfa_token"].as_str().unwrap().to_owned();
    let recovery = ("recovery_code", user.recovery_codes[1].as_str());
    let signed_in = finish_from(&app, "198.51.100.1", None, &owner_token, recovery).await;
    assert_eq!(signed_in.status, 200, "{}", signed_in.text);
    let device = super::helpers::set_cookie(&signed_in, "authkit_device").expect("a device cookie");
    let failed_codes = || async {
        sqlx::query_scalar::<_, i64>("SELECT failed_codes FROM totp_factors WHERE user_id = $1")
            .bind(user.user_id)
            .fetch_one(&app.db)
            .await
            .unwrap()
    };

    guess_codes(&app, email, &user.seed, 0..3).await;
    // Six wrong codes: now even the right code is refused from a new network.
    let password_step = app.login_from("203.0.113.50", email, PASSWORD, None).await;
    let token = password_step.body["mfa_token"].as_str().unwrap().to_owned();
    let locked = finish_from(&app, "203.0.113.50", None, &token, ("code", &right)).await;
    assert_eq!(locked.status, 403, "{}", locked.text);
    assert_eq!(locked.body["code"], "second_factor_locked");
    assert_eq!(refresh_cookie(&locked), None);
    assert_eq!(
        failed_codes().await,
        6,
        "a refused right code is not a failure, nor a success"
    );

    // The owner's browser still gets in with that same code, and that ends the run.
    let owner_step = app.login_from("198.51.100.1", email, PASSWORD, Some(&device)).await;
    let owner_token = owner_step.body["mfa_token"].as_str().unwrap().to_owned();
    let owner = finish_from(&app, "198.51.100.1", Some(&device), &owner_token, ("code", &right)).await;
    assert_eq!(owner.status, 200, "{}", owner.text);
    assert_eq!(failed_codes().await, 0);

    // A second burst locks again; a recovery code opens from anywhere and ends the run.
    guess_codes(&app, email, &user.seed, 10..13).await;
    assert_eq!(failed_codes().await, 6);
    let password_step = app.login_from("203.0.113.60", email, PASSWORD, None).await;
    let token = password_step.body["mfa_token"].as_str().unwrap().to_owned();
    let recovered = finish_from(
        &app,
        "203.0.113.60",
        None,
        &token,
        ("recovery_code", &user.recovery_codes[0]),
    )
    .await;
    assert_eq!(recovered.status, 200, "{}", recovered.text);
    assert_eq!(failed_codes().await, 0);

    // One notice per burst, to the owner.
    let notices = wait_for_mails(app.data_dir(), WRONG_CODES, 2).await;
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    assert_eq!(
        super::mail::mails_of(app.data_dir(), WRONG_CODES).len(),
        2,
        "once per burst"
    );
    assert!(notices[0].contains(&format!("To: {email}")), "{}", notices[0]);
    assert!(notices[0].contains("recovery code"), "{}", notices[0]);
}

/// Issue 21 (3), step-up: with a second factor on, someone who has only the password (and
/// a session, from a browser the owner left signed in) adds no new way in: a passkey and a
/// new address need a current code or a recovery code beside the password.
#[tokio::test]
async fn with_a_second_factor_on_the_password_alone_adds_no_passkey_and_moves_no_address() {
    let app = TestApp::spawn_with(&[("PUBLIC_URL", "http://localhost:3999")]).await;
    let user = enrolled(&app, "lee@example.com").await;
    let start = |body: Value| post(&app, "/auth/passkeys/register/start", &user.token, body);
    let alone = start(json!({"password": PASSWORD})).await;
    assert_eq!(alone.status, 403, "{}", alone.text);
    assert_eq!(alone.body["code"], "code_required");
    let wrong = start(json!({"password": PASSWORD, "code": code(&user.seed, 20)})).await;
    assert_eq!(wrong.status, 401, "{}", wrong.text);
    assert_eq!(wrong.body["code"], "invalid_code");
    let wrong_password = start(json!({"password": "not it at all", "code": code(&user.seed, 0)})).await;
    assert_eq!(wrong_password.status, 401, "{}", wrong_password.text);
    assert_eq!(wrong_password.body["code"], "wrong_password");
    let ceremonies = || {
        sqlx::query_scalar::<_, i64>("SELECT COUNT(*) FROM webauthn_ceremonies WHERE user_id = $1")
            .bind(user.user_id)
            .fetch_one(&app.db)
    };
    assert_eq!(ceremonies().await.unwrap(), 0, "no ceremony started without the code");
    let stepped_up = start(json!({"password": PASSWORD, "code": code(&user.seed, 1)})).await;
    assert_eq!(stepped_up.status, 200, "{}", stepped_up.text);
    assert_eq!(ceremonies().await.unwrap(), 1);

    let change = |body: Value| post(&app, "/auth/email", &user.token, body);
    let alone = change(json!({"new_email": "lee.new@example.com", "password": PASSWORD})).await;
    assert_eq!(alone.status, 403, "{}", alone.text);
    assert_eq!(alone.body["code"], "code_required");
    let with_recovery_code = change(json!({
        "new_email": "lee.new@example.com",
        "password": PASSWORD,
        "code": user.recovery_codes[0],
    }))
    .await;
    assert_eq!(with_recovery_code.status, 202, "{}", with_recovery_code.text);
    let mails = wait_for_mails(app.data_dir(), super::mail::CONFIRM_CHANGE, 1).await;
    assert_eq!(mails.len(), 1, "only the stepped-up change mailed a link");
}

/// Issue 21 (3): turning a second factor on ends every other session of the account, so
/// a session someone else holds does not outlast the new protection.
#[tokio::test]
async fn turning_a_second_factor_on_ends_every_other_session() {
    let app = TestApp::spawn().await;
    let (_, token) = app.verified_user_with_token("moe@example.com").await;
    let (other, other_cookie) = app.session("moe@example.com", PASSWORD).await;
    let setup = post(&app, "/auth/totp/setup", &token, json!({"password": PASSWORD})).await;
    assert_eq!(setup.status, 200, "{}", setup.text);
    assert_eq!(app.me_status(&other).await, 200, "setting up alone ends nothing");
    let seed = seed_of(setup.body["secret"].as_str().unwrap());
    let enabled = post(&app, "/auth/totp/enable", &token, json!({"code": code(&seed, 0)})).await;
    assert_eq!(enabled.status, 200, "{}", enabled.text);
    assert_eq!(app.me_status(&other).await, 401, "the other session ended");
    assert_eq!(app.refresh(&other_cookie).await.status, 401, "and cannot be renewed");
    assert_eq!(
        app.me_status(&token).await,
        200,
        "the session that turned it on goes on"
    );
}

/// Issue 21 (2), raced: at the edge of the cap, a parallel burst of wrong codes from many
/// networks (each with an `mfa_token` of its own) gets exactly the guesses left under the
/// cap judged; the rest are refused unchecked, and the run stops at the cap.
#[tokio::test]
async fn a_parallel_burst_at_the_cap_gets_no_more_guesses_than_the_cap_leaves() {
    let app = TestApp::spawn_with(&[
        ("TRUSTED_PROXIES", "127.0.0.1"),
        ("SECOND_FACTOR_MAX_FAILURES", "6"),
        ("LOGIN_ACCOUNT_MAX_FAILURES", "1000"),
    ])
    .await;
    let email = "raced@example.com";
    let user = enrolled(&app, email).await;
    guess_codes(&app, email, &user.seed, 0..2).await;
    // Four wrong codes so far: two guesses are left. Ten tokens, from ten networks.
    let mut tokens = Vec::new();
    for network in 100..110u8 {
        let ip = format!("203.0.113.{network}");
        let step = app.login_from(&ip, email, PASSWORD, None).await;
        tokens.push((ip, step.body["mfa_token"].as_str().unwrap().to_owned()));
    }
    let wrong = code(&user.seed, 30);
    let burst = tokens
        .iter()
        .map(|(ip, token)| finish_from(&app, ip, None, token, ("code", &wrong)));
    let mut statuses: Vec<u16> = futures::future::join_all(burst)
        .await
        .iter()
        .map(|reply| reply.status)
        .collect();
    statuses.sort_unstable();
    assert_eq!(statuses, [401, 401, 403, 403, 403, 403, 403, 403, 403, 403]);
    let run: i64 = sqlx::query_scalar("SELECT failed_codes FROM totp_factors WHERE user_id = $1")
        .bind(user.user_id)
        .fetch_one(&app.db)
        .await
        .unwrap();
    assert_eq!(run, 6);
}
