//! Passkeys through the API, as far as a script without an authenticator can take them:
//! the ceremonies' starts, and every refusal of a finish (made-up, replayed or expired
//! ceremonies, answers that are not credentials, another account's ceremony). The
//! ceremonies with a real authenticator are in `end2end/tests/passkeys.spec.ts`
//! (Chromium's virtual authenticator).

use super::helpers::{PASSWORD, TestApp, bearer};
use serde_json::{Value, json};

const PUBLIC_URL: &str = "http://localhost:3999";

async fn app() -> TestApp {
    TestApp::spawn_with(&[("PUBLIC_URL", PUBLIC_URL)]).await
}

fn fake_credential() -> Value {
    json!({
        "id": "AAAA", "rawId": "AAAA", "type": "public-key",
        "response": {"clientDataJSON": "e30", "authenticatorData": "AAAA", "signature": "AAAA", "userHandle": "AAAA"},
        "clientExtensionResults": {}
    })
}

/// The shape of `navigator.credentials.create`'s answer, with nothing valid in it.
fn fake_registration() -> Value {
    json!({
        "id": "AAAA", "rawId": "AAAA", "type": "public-key",
        "response": {"attestationObject": "AAAA", "clientDataJSON": "e30"},
        "clientExtensionResults": {}
    })
}

#[tokio::test]
async fn registering_starts_with_the_password_and_asks_for_a_discoverable_passkey_of_this_site() {
    let app = app().await;
    let (user_id, token) = app.verified_user_with_token("ann@example.com").await;
    let wrong = app
        .post_with(
            "/auth/passkeys/register/start",
            Some(&bearer(&token)),
            None,
            json!({"password": "not it at all"}),
        )
        .await;
    assert_eq!(wrong.status, 401, "{}", wrong.text);
    let start = app
        .post_with(
            "/auth/passkeys/register/start",
            Some(&bearer(&token)),
            None,
            json!({"password": PASSWORD}),
        )
        .await;
    assert_eq!(start.status, 200, "{}", start.text);
    let options = &start.body["options"]["publicKey"];
    assert_eq!(options["rp"]["id"], "localhost");
    assert_eq!(options["user"]["name"], "ann@example.com");
    assert_eq!(options["authenticatorSelection"]["residentKey"], "required");
    assert_eq!(options["authenticatorSelection"]["userVerification"], "required");
    // The user handle names no address: 16 bytes, base64url.
    let handle = options["user"]["id"].as_str().unwrap();
    assert!(!handle.contains("ann"), "{handle}");
    let ceremony = start.body["ceremony_id"].as_str().unwrap();
    assert_eq!(ceremony.len(), 64);
    let stored: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM webauthn_ceremonies WHERE user_id = $1")
        .bind(user_id)
        .fetch_one(&app.db)
        .await
        .unwrap();
    assert_eq!(stored, 1);
}

#[tokio::test]
async fn a_registration_finish_is_refused_for_garbage_another_accounts_ceremony_and_a_second_try() {
    let app = app().await;
    let (_, ann) = app.verified_user_with_token("ann@example.com").await;
    let (_, bob) = app.verified_user_with_token("bob@example.com").await;
    let start = app
        .post_with(
            "/auth/passkeys/register/start",
            Some(&bearer(&ann)),
            None,
            json!({"password": PASSWORD}),
        )
        .await;
    let ceremony = start.body["ceremony_id"].as_str().unwrap().to_owned();
    let finish = |token: String, credential: Value, name: &'static str| {
        let ceremony = ceremony.clone();
        let app = &app;
        async move {
            app.post_with(
                "/auth/passkeys/register/finish",
                Some(&bearer(&token)),
                None,
                json!({"ceremony_id": ceremony, "name": name, "credential": credential}),
            )
            .await
        }
    };
    // Not a credential at all: 422, and the ceremony is still there.
    let garbage = finish(ann.clone(), json!({"nothing": true}), "Laptop").await;
    assert_eq!(garbage.status, 422, "{}", garbage.text);
    let bad_name = finish(ann.clone(), fake_registration(), "   ").await;
    assert_eq!(bad_name.status, 422, "{}", bad_name.text);
    // Bob cannot finish Ann's ceremony (and trying uses it up).
    let stolen = finish(bob, fake_registration(), "Laptop").await;
    assert_eq!(stolen.status, 400, "{}", stolen.text);
    let again = finish(ann, fake_registration(), "Laptop").await;
    assert_eq!(again.status, 400, "{}", again.text);
    assert_eq!(again.body["detail"], "This passkey request has expired. Try again.");
}

#[tokio::test]
async fn a_sign_in_ceremony_finishes_once_and_a_made_up_passkey_is_not_recognised() {
    let app = app().await;
    let start = app.post_json("/auth/passkeys/sign-in/start", &json!({})).await;
    assert_eq!(start.status, 200, "{}", start.text);
    assert_eq!(start.body["options"]["publicKey"]["rpId"], "localhost");
    assert_eq!(start.body["options"]["publicKey"]["userVerification"], "required");
    assert!(start.body["options"].get("mediation").is_none());
    let ceremony = start.body["ceremony_id"].as_str().unwrap();
    let finish = app
        .post_json(
            "/auth/passkeys/sign-in/finish",
            &json!({"ceremony_id": ceremony, "credential": fake_credential()}),
        )
        .await;
    assert_eq!(finish.status, 401, "{}", finish.text);
    assert_eq!(finish.body["detail"], "Passkey not recognised");
    let replay = app
        .post_json(
            "/auth/passkeys/sign-in/finish",
            &json!({"ceremony_id": ceremony, "credential": fake_credential()}),
        )
        .await;
    assert_eq!(replay.status, 400, "{}", replay.text);
    for made_up in ["", "abc", &"0".repeat(64)] {
        let reply = app
            .post_json(
                "/auth/passkeys/sign-in/finish",
                &json!({"ceremony_id": made_up, "credential": fake_credential()}),
            )
            .await;
        assert_eq!(reply.status, 400, "{made_up}: {}", reply.text);
    }
}

#[tokio::test]
async fn an_expired_sign_in_ceremony_is_refused() {
    let app = app().await;
    let start = app.post_json("/auth/passkeys/sign-in/start", &json!({})).await;
    let ceremony = start.body["ceremony_id"].as_str().unwrap();
    sqlx::query("UPDATE webauthn_ceremonies SET expires_at = expires_at - 301")
        .execute(&app.db)
        .await
        .unwrap();
    let late = app
        .post_json(
            "/auth/passkeys/sign-in/finish",
            &json!({"ceremony_id": ceremony, "credential": fake_credential()}),
        )
        .await;
    assert_eq!(late.status, 400, "{}", late.text);
}

#[tokio::test]
async fn with_an_ip_address_as_public_url_passkeys_are_unavailable_and_say_so() {
    let app = TestApp::spawn_with(&[("PUBLIC_URL", "http://127.0.0.1:3999")]).await;
    let reply = app.post_json("/auth/passkeys/sign-in/start", &json!({})).await;
    assert_eq!(reply.status, 400, "{}", reply.text);
    assert_eq!(reply.body["detail"], "Passkeys are not available on this server");
    // And the login page offers none: no button, and no mark that would start the
    // autofill request (which would only fail).
    let page = app.send(app.client.get(app.url("/login"))).await.text;
    assert!(!page.contains("data-passkeys"), "{page}");
    assert!(!page.contains("Sign in with a passkey"));
}

#[tokio::test]
async fn with_a_host_name_the_login_page_offers_passkeys_by_button_and_autofill() {
    let app = app().await;
    let page = app.send(app.client.get(app.url("/login"))).await.text;
    assert!(page.contains(r#"data-passkeys="on""#), "{page}");
    assert!(page.contains("Sign in with a passkey"));
    assert!(page.contains(r#"autocomplete="username webauthn""#));
}

#[tokio::test]
async fn the_list_is_the_accounts_own_and_deleting_anothers_passkey_is_a_404() {
    let app = app().await;
    let (ann_id, ann) = app.verified_user_with_token("ann@example.com").await;
    let (_, bob) = app.verified_user_with_token("bob@example.com").await;
    sqlx::query(
        "INSERT INTO passkeys (credential_id, user_id, name, credential, created_at) VALUES ('cred-1', $1, 'Laptop', '{}', 1764115200)",
    )
    .bind(ann_id)
    .execute(&app.db)
    .await
    .unwrap();
    let list = |token: String| {
        let app = &app;
        async move {
            app.send(
                app.client
                    .get(app.url("/auth/passkeys"))
                    .header("Authorization", bearer(&token)),
            )
            .await
        }
    };
    assert_eq!(
        list(ann.clone()).await.body,
        json!({"passkeys": [{"id": "cred-1", "name": "Laptop", "created_at": 1764115200, "last_used_at": null}]})
    );
    assert_eq!(list(bob.clone()).await.body, json!({"passkeys": []}));
    let stolen = app
        .post_with(
            "/auth/passkeys/delete",
            Some(&bearer(&bob)),
            None,
            json!({"id": "cred-1"}),
        )
        .await;
    assert_eq!(stolen.status, 404, "{}", stolen.text);
    let deleted = app
        .post_with(
            "/auth/passkeys/delete",
            Some(&bearer(&ann)),
            None,
            json!({"id": "cred-1"}),
        )
        .await;
    assert_eq!(deleted.status, 200, "{}", deleted.text);
    assert_eq!(list(ann).await.body, json!({"passkeys": []}));
}

#[tokio::test]
async fn an_account_with_a_passkey_is_offered_it_as_the_second_factor() {
    let app = app().await;
    let (user_id, token) = app.verified_user_with_token("cy@example.com").await;
    let setup = app
        .post_with(
            "/auth/totp/setup",
            Some(&bearer(&token)),
            None,
            json!({"password": PASSWORD}),
        )
        .await;
    let seed = totp_rs::Secret::Encoded(setup.body["secret"].as_str().unwrap().to_owned())
        .to_bytes()
        .unwrap();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    let code =
        authkit::server::second_factor::totp::code_at_step(&seed, authkit::server::second_factor::totp::step_at(now));
    let enabled = app
        .post_with("/auth/totp/enable", Some(&bearer(&token)), None, json!({"code": code}))
        .await;
    assert_eq!(enabled.status, 200, "{}", enabled.text);
    // Without a passkey: no passkey method, and asking for its options is a 400.
    let login = app.login("cy@example.com", PASSWORD).await;
    assert_eq!(login.body["methods"], json!(["totp", "recovery_code"]));
    let mfa_token = login.body["mfa_token"].as_str().unwrap().to_owned();
    let none = app
        .post_json("/auth/login/mfa/passkey", &json!({"mfa_token": mfa_token}))
        .await;
    assert_eq!(none.status, 400, "{}", none.text);

    sqlx::query(
        "INSERT INTO passkeys (credential_id, user_id, name, credential, created_at) VALUES ('KdrkOswvSH0xbGtTg7fEA1ulY9TWwIpofArqO0wRh28', $1, 'Laptop', $2, 1764115200)",
    )
    .bind(user_id)
    .bind(include_str!("passkey.json"))
    .execute(&app.db)
    .await
    .unwrap();
    let login = app.login("cy@example.com", PASSWORD).await;
    assert_eq!(login.body["methods"], json!(["totp", "recovery_code", "passkey"]));
    let mfa_token = login.body["mfa_token"].as_str().unwrap().to_owned();
    let options = app
        .post_json("/auth/login/mfa/passkey", &json!({"mfa_token": mfa_token}))
        .await;
    assert_eq!(options.status, 200, "{}", options.text);
    assert_eq!(options.body["options"]["publicKey"]["rpId"], "localhost");
    let allowed = options.body["options"]["publicKey"]["allowCredentials"]
        .as_array()
        .unwrap();
    assert_eq!(allowed.len(), 1, "{}", options.text);
    // A made-up answer is a wrong second factor (counted as an attempt), never a session.
    let forged = app
        .post_json(
            "/auth/login/mfa",
            &json!({"mfa_token": mfa_token, "passkey": fake_credential()}),
        )
        .await;
    assert_eq!(forged.status, 401, "{}", forged.text);
    assert_eq!(forged.body["detail"], "Invalid code");
    // Asking for passkey options with a made-up token.
    let made_up = app
        .post_json("/auth/login/mfa/passkey", &json!({"mfa_token": "0".repeat(64)}))
        .await;
    assert_eq!(made_up.status, 401, "{}", made_up.text);
}

/// Issue 21 (8): the login page starts a passkey ceremony on every anonymous view (the
/// browser's autofill). Reloading it is not guessing a password: the starts must not spend
/// the network's login allowance, and have an allowance of their own.
#[tokio::test]
async fn passkey_starts_do_not_spend_the_login_allowance() {
    let app = TestApp::spawn_with(&[
        ("PUBLIC_URL", PUBLIC_URL),
        ("AUTH_RATE_PER_IP_PER_MINUTE", "3"),
        ("PASSKEY_STARTS_PER_IP_PER_MINUTE", "5"),
    ])
    .await;
    for _ in 0..5 {
        let start = app.post_json("/auth/passkeys/sign-in/start", &json!({})).await;
        assert_eq!(start.status, 200, "{}", start.text);
    }
    let flooded = app.post_json("/auth/passkeys/sign-in/start", &json!({})).await;
    assert_eq!(flooded.status, 429, "starts have their own allowance: {}", flooded.text);
    assert_eq!(app.signup("reload@example.com", "r").await.status, 200);
    assert_eq!(app.login("reload@example.com", PASSWORD).await.status, 200);
}

/// Issue 21 (8): "Remove second factor" leaves passkeys alone; an admin can remove those
/// too (a lost or stolen device), the user is told by mail, and nobody else can.
#[tokio::test]
async fn an_admin_removes_a_users_passkeys_and_the_user_is_told() {
    let app = app().await;
    let (_, admin) = app.verified_user_with_token("admin@example.com").await;
    app.make_admin("admin@example.com").await;
    let (user_id, user) = app.verified_user_with_token("lost@example.com").await;
    sqlx::query(
        "INSERT INTO passkeys (credential_id, user_id, name, credential, created_at) \
         VALUES ('KdrkOswvSH0xbGtTg7fEA1ulY9TWwIpofArqO0wRh28', $1, 'Lost phone', $2, 1764115200)",
    )
    .bind(user_id)
    .bind(include_str!("passkey.json"))
    .execute(&app.db)
    .await
    .unwrap();
    let remove = |token: String, id: i64| {
        let app = &app;
        async move {
            app.post_with(
                "/admin/users/passkeys/remove",
                Some(&bearer(&token)),
                None,
                json!({"id": id}),
            )
            .await
        }
    };
    let count = || async {
        sqlx::query_scalar::<_, i64>("SELECT COUNT(*) FROM passkeys WHERE user_id = $1")
            .bind(user_id)
            .fetch_one(&app.db)
            .await
            .unwrap()
    };
    let not_admin = remove(user.clone(), user_id).await;
    assert_eq!(not_admin.status, 403, "{}", not_admin.text);
    assert_eq!(count().await, 1, "a user cannot use the admin's way");
    let removed = remove(admin.clone(), user_id).await;
    assert_eq!(
        (removed.status, &removed.body),
        (200, &json!({"passkeys_removed": 1})),
        "{}",
        removed.text
    );
    assert_eq!(count().await, 0);
    let notice =
        &super::mail::wait_for_mails(app.data_dir(), "Subject: AuthKit: Your passkeys were removed", 1).await[0];
    assert!(notice.contains("To: lost@example.com"), "{notice}");
    let again = remove(admin.clone(), user_id).await;
    assert_eq!(again.body, json!({"passkeys_removed": 0}));
    let unknown = remove(admin, 999_999).await;
    assert_eq!(
        (unknown.status, unknown.body["code"].as_str()),
        (404, Some("unknown_user"))
    );
}
