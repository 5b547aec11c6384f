//! The HTTP contract of `/auth/*`, checked against the running application.

use super::helpers::{PASSWORD, Reply, SECRET, TestApp, b64, bearer, issue_about, mint, sid_of, validation_issues};
use jsonwebtoken::Algorithm;
use serde_json::{Value, json};

/// The answer is `status` with exactly `{"detail": detail, "code": code}`.
fn assert_detail(reply: &Reply, status: u16, detail: &str, code: &str) {
    assert_eq!(reply.status, status, "{}", reply.text);
    assert_eq!(reply.body, json!({ "detail": detail, "code": code }), "{}", reply.text);
    assert_json(reply);
}

fn assert_json(reply: &Reply) {
    assert_eq!(
        reply.headers.get("cache-control").and_then(|v| v.to_str().ok()),
        Some("no-store"),
        "API answers must not be cached"
    );
    let content_type = reply
        .headers
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    assert!(
        content_type.starts_with("application/json"),
        "content-type {content_type:?}: {}",
        reply.text
    );
}

/// A 422 in FastAPI's shape with an entry about the offending field.
fn assert_invalid(reply: &Reply, field: &str) {
    assert_json(reply);
    assert!(
        issue_about(reply, field).is_some(),
        "the 422 should name {field:?}: {}",
        reply.text
    );
}

/// 401 for a request that presented no token: the challenge names the scheme only.
fn assert_unauthenticated(reply: &Reply) {
    assert_eq!(reply.status, 401, "{}", reply.text);
    assert_json(reply);
    assert_eq!(
        reply.headers.get("www-authenticate").map(|v| v.to_str().unwrap()),
        Some("Bearer")
    );
    assert_eq!(
        reply.body,
        json!({"detail": "Not authenticated", "code": "not_authenticated"})
    );
}

/// 401 for a request whose token was refused (RFC 6750 `invalid_token`).
fn assert_unauthorized(reply: &Reply) {
    assert_eq!(reply.status, 401, "{}", reply.text);
    assert_json(reply);
    assert_eq!(
        reply.headers.get("www-authenticate").map(|v| v.to_str().unwrap()),
        Some(r#"Bearer error="invalid_token""#)
    );
    assert_eq!(
        reply.body,
        json!({"detail": "Could not validate credentials", "code": "invalid_token"})
    );
}

// ---------------------------------------------------------------- signup

#[tokio::test]
async fn signup_returns_the_user_and_never_the_password() {
    let app = TestApp::spawn().await;
    let reply = app.signup("  Ann.Lee@Example.COM ", "Ann").await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    assert_json(&reply);
    let id = reply.body["id"].as_i64().expect("integer id");
    assert_eq!(
        reply.body,
        json!({"id": id, "email": "ann.lee@example.com", "username": "Ann"})
    );
    assert!(!reply.text.contains(PASSWORD));
    assert!(!reply.text.contains("argon2"));
}

#[tokio::test]
async fn signup_stores_an_argon2id_hash_not_the_password() {
    let app = TestApp::spawn().await;
    app.signup("hash@example.com", "h").await;
    let (email, hash): (String, String) = sqlx::query_as("SELECT email, password_hash FROM users")
        .fetch_one(&app.db)
        .await
        .unwrap();
    assert_eq!(email, "hash@example.com");
    assert!(hash.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{hash}");
    assert!(!hash.contains(PASSWORD));
}

#[tokio::test]
async fn duplicate_email_is_refused_case_insensitively() {
    let app = TestApp::spawn().await;
    assert_eq!(app.signup("dup@example.com", "first").await.status, 200);
    let again = app.signup(" DUP@Example.com", "second").await;
    assert_detail(&again, 400, "Email already registered", "email_taken");
    assert_eq!(app.user_count().await, 1);
}

#[tokio::test]
async fn concurrent_signups_with_one_email_give_exactly_one_success() {
    let app = TestApp::spawn().await;
    let spellings = [
        "race@example.com",
        "RACE@example.com",
        "Race@Example.Com",
        "race@EXAMPLE.com",
    ];
    let attempts = (0..16).map(|i| app.signup(spellings[i % spellings.len()], "racer"));
    let replies = futures::future::join_all(attempts).await;
    let ok = replies.iter().filter(|r| r.status == 200).count();
    let taken = replies
        .iter()
        .filter(|r| r.status == 400 && r.body == json!({"detail": "Email already registered", "code": "email_taken"}))
        .count();
    assert_eq!(
        (ok, taken),
        (1, 15),
        "{:?}",
        replies.iter().map(|r| (r.status, &r.text)).collect::<Vec<_>>()
    );
    assert_eq!(app.user_count().await, 1);
}

#[tokio::test]
async fn invalid_fields_are_422_naming_the_field_and_store_nothing() {
    let app = TestApp::spawn().await;
    let cases: Vec<(Value, &str)> = vec![
        (
            json!({"email": "not-an-email", "password": PASSWORD, "username": "u"}),
            "email",
        ),
        (
            json!({"email": "a@example.com", "password": PASSWORD, "username": "   "}),
            "username",
        ),
        (
            json!({"email": "a@example.com", "password": "short", "username": "u"}),
            "password",
        ),
        (json!({"password": PASSWORD, "username": "u"}), "email"),
        (json!({"email": "a@example.com", "username": "u"}), "password"),
        (json!({"email": "a@example.com", "password": PASSWORD}), "username"),
        (json!({"email": null, "password": PASSWORD, "username": "u"}), "email"),
        (
            json!({"email": "a@example.com", "password": null, "username": "u"}),
            "password",
        ),
        (json!({"email": 42, "password": PASSWORD, "username": "u"}), "email"),
        (
            json!({"email": "a@example.com", "password": PASSWORD, "username": ["u"]}),
            "username",
        ),
        (
            json!({"email": "a@example.com", "password": PASSWORD, "username": "u", "role": "admin"}),
            "role",
        ),
    ];
    for (body, field) in cases {
        let reply = app.post_json("/auth/signup", &body).await;
        assert_invalid(&reply, field);
    }
    assert_eq!(app.user_count().await, 0);
}

#[tokio::test]
async fn malformed_and_oversized_bodies_are_4xx_json() {
    let app = TestApp::spawn().await;
    for body in ["{not json", "", "[]", "\"a string\"", "null", "42"] {
        for path in ["/auth/signup", "/auth/login"] {
            let reply = app.post_raw(path, body.to_owned()).await;
            assert_eq!(reply.status, 422, "{path} {body:?}: {}", reply.text);
            assert_json(&reply);
            validation_issues(&reply);
        }
    }
    let huge = format!(
        r#"{{"email":"a@example.com","password":"{}","username":"u"}}"#,
        "x".repeat(70 * 1024)
    );
    let reply = app.post_raw("/auth/signup", huge).await;
    assert_detail(&reply, 413, "Request body too large", "body_too_large");
    assert_eq!(app.user_count().await, 0);
}

#[tokio::test]
async fn unknown_paths_and_wrong_methods_answer_in_json() {
    let app = TestApp::spawn().await;
    let reply = app.send(app.client.get(app.url("/auth/nope"))).await;
    assert_detail(&reply, 404, "Not Found", "not_found");
    let reply = app.send(app.client.get(app.url("/auth/signup"))).await;
    assert_detail(&reply, 405, "Method Not Allowed", "method_not_allowed");
}

// ---------------------------------------------------------------- login

#[tokio::test]
async fn login_returns_a_30_minute_hs256_bearer_token_for_the_user_id() {
    let app = TestApp::spawn().await;
    let id = app.signup("login@example.com", "l").await.body["id"].as_i64().unwrap();
    let reply = app.login("LOGIN@example.com ", PASSWORD).await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    assert_json(&reply);
    assert_eq!(reply.body["token_type"], "bearer");
    assert_eq!(reply.body.as_object().unwrap().len(), 2, "{}", reply.text);
    let token = reply.body["access_token"].as_str().unwrap();
    let header = jsonwebtoken::decode_header(token).unwrap();
    assert_eq!(header.alg, Algorithm::HS256);
    let mut validation = jsonwebtoken::Validation::new(Algorithm::HS256);
    validation.set_audience(&["authkit"]);
    let claims: Value = jsonwebtoken::decode(token, &jsonwebtoken::DecodingKey::from_secret(SECRET), &validation)
        .unwrap()
        .claims;
    assert_eq!(claims["sub"], id.to_string());
    assert_eq!(claims["exp"].as_u64().unwrap() - claims["iat"].as_u64().unwrap(), 1800);
}

#[tokio::test]
async fn wrong_password_and_unknown_email_fail_identically() {
    let app = TestApp::spawn().await;
    app.signup("known@example.com", "k").await;
    let wrong_password = app.login("known@example.com", "not the password").await;
    let unknown_email = app.login("unknown@example.com", PASSWORD).await;
    assert_detail(
        &wrong_password,
        401,
        "Incorrect email or password",
        "invalid_credentials",
    );
    assert_detail(
        &unknown_email,
        401,
        "Incorrect email or password",
        "invalid_credentials",
    );
    assert_eq!(wrong_password.text, unknown_email.text);
}

#[tokio::test]
async fn login_input_errors_are_422() {
    let app = TestApp::spawn().await;
    assert_invalid(
        &app.post_json("/auth/login", &json!({"email": "x", "password": "p"}))
            .await,
        "email",
    );
    assert_invalid(
        &app.post_json("/auth/login", &json!({"email": "a@example.com"})).await,
        "password",
    );
    assert_invalid(
        &app.post_json("/auth/login", &json!({"email": "a@example.com", "password": 1}))
            .await,
        "password",
    );
}

// ---------------------------------------------------------------- me

#[tokio::test]
async fn me_returns_the_token_owner() {
    let app = TestApp::spawn().await;
    let (id, token) = app.user_with_token("me@example.com").await;
    let reply = app.me(Some(&format!("Bearer {token}"))).await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    assert_json(&reply);
    assert_eq!(
        reply.body,
        json!({"id": id, "email": "me@example.com", "username": "someone"})
    );
}

#[tokio::test]
async fn me_without_a_usable_bearer_token_is_401() {
    let app = TestApp::spawn().await;
    let (_, token) = app.user_with_token("who@example.com").await;
    assert_unauthenticated(&app.me(None).await);
    for authorization in [
        "Bearer",
        "Bearer ",
        "Basic dXNlcjpwYXNz",
        "Bearer not-a-jwt",
        "Bearer a.b.c",
        token.as_str(),
    ] {
        let reply = app.me(Some(authorization)).await;
        assert_unauthorized(&reply);
    }
    // A token in the query string is ignored.
    let reply = app
        .send(app.client.get(app.url(&format!("/auth/me?access_token={token}"))))
        .await;
    assert_unauthenticated(&reply);
}

fn claims(sub: &str, sid: &str, iat_offset: i64, exp_offset: i64) -> Value {
    let now = jsonwebtoken::get_current_timestamp() as i64;
    json!({"sub": sub, "iat": now + iat_offset, "exp": now + exp_offset, "iss": "authkit", "aud": "authkit", "jti": "t", "sid": sid})
}

#[tokio::test]
async fn expired_forged_and_tampered_tokens_are_401() {
    let app = TestApp::spawn().await;
    let (id, token) = app.user_with_token("target@example.com").await;
    let sub = id.to_string();

    // Sanity: a token minted here with the server's key is accepted.
    let sid = sid_of(&token);
    let good = mint(&claims(&sub, &sid, 0, 600), SECRET);
    assert_eq!(app.me(Some(&format!("Bearer {good}"))).await.status, 200);

    let expired = mint(&claims(&sub, &sid, -3600, -60), SECRET);
    let other_key = mint(&claims(&sub, &sid, 0, 600), b"some-other-secret-some-other-secret-0000");
    let alg_none = format!(
        "{}.{}.",
        b64(br#"{"alg":"none","typ":"JWT"}"#),
        b64(claims(&sub, &sid, 0, 600).to_string().as_bytes())
    );
    // Tampered: keep the signature, change the subject.
    let mut parts: Vec<&str> = token.split('.').collect();
    let forged_payload = b64(claims("999999", &sid, 0, 600).to_string().as_bytes());
    parts[1] = &forged_payload;
    let tampered = parts.join(".");
    let no_signature = token.rsplit_once('.').unwrap().0.to_owned() + ".";

    for (name, bad) in [
        ("expired", expired),
        ("other key", other_key),
        ("alg none", alg_none),
        ("tampered", tampered),
        ("no signature", no_signature),
    ] {
        let reply = app.me(Some(&format!("Bearer {bad}"))).await;
        assert_eq!(reply.status, 401, "{name}: {}", reply.text);
        assert_unauthorized(&reply);
        assert_eq!(
            reply.body,
            json!({"detail": "Could not validate credentials", "code": "invalid_token"}),
            "{name}"
        );
    }
}

#[tokio::test]
async fn token_of_a_deleted_user_is_401() {
    let app = TestApp::spawn().await;
    let (id, token) = app.user_with_token("gone@example.com").await;
    app.delete_user_row(id).await;
    let reply = app.me(Some(&format!("Bearer {token}"))).await;
    assert_unauthorized(&reply);
}

/// Every 422 is FastAPI's `HTTPValidationError`: one entry per refused input, all at once,
/// located as FastAPI locates them, and never echoing a password.
#[tokio::test]
async fn validation_errors_have_fastapis_shape() {
    let app = TestApp::spawn().await;
    let reply = app
        .post_json(
            "/auth/signup",
            &json!({"email": "nope", "password": "short", "username": ""}),
        )
        .await;
    let issues = validation_issues(&reply);
    assert_eq!(
        issues,
        [
            json!({"type": "value_error", "loc": ["body", "email"], "msg": "Enter a valid email address", "input": "nope"}),
            json!({"type": "value_error", "loc": ["body", "username"], "msg": "Username is required", "input": ""}),
            json!({"type": "value_error", "loc": ["body", "password"], "msg": "Password must be at least 8 characters"}),
        ]
    );

    // Wrong types and unknown fields: every one, and the password's value is never sent back.
    let reply = app
        .post_json(
            "/auth/signup",
            &json!({"email": null, "password": 12345678, "nickname": "x"}),
        )
        .await;
    let issues = validation_issues(&reply);
    let kinds: Vec<(&str, &Value)> = issues
        .iter()
        .map(|i| (i["type"].as_str().unwrap(), &i["loc"]))
        .collect();
    assert_eq!(
        kinds,
        [
            ("string_type", &json!(["body", "email"])),
            ("string_type", &json!(["body", "password"])),
            ("missing", &json!(["body", "username"])),
            ("extra_forbidden", &json!(["body", "nickname"])),
        ]
    );
    assert!(!reply.text.contains("12345678"), "{}", reply.text);

    let reply = app
        .post_json(
            "/auth/login",
            &json!({"email": "a@example.com", "password": "hunter2 secret"}),
        )
        .await;
    assert_eq!(reply.status, 401, "a well-formed login is not a 422");
    let reply = app
        .post_json("/auth/login", &json!({"email": "x", "password": ""}))
        .await;
    assert_eq!(
        validation_issues(&reply).len(),
        2,
        "both login fields at once: {}",
        reply.text
    );

    // A body that is not JSON: where the parser stopped.
    let reply = app.post_raw("/auth/login", "{\"email\": }").await;
    let issues = validation_issues(&reply);
    assert_eq!(issues[0]["type"], "json_invalid");
    assert_eq!(issues[0]["loc"], json!(["body", 10]));

    // Query parameters are located in the query.
    let (_, token) = app.user_with_token("boss@example.com").await;
    app.make_admin("boss@example.com").await;
    for (query, kind) in [("limit=ten", "int_parsing"), ("limit=0", "greater_than_equal")] {
        let reply = app
            .send(
                app.client
                    .get(app.url(&format!("/admin/users?{query}")))
                    .header("Authorization", bearer(&token)),
            )
            .await;
        let issues = validation_issues(&reply);
        assert_eq!(issues[0]["loc"], json!(["query", "limit"]), "{query}");
        assert_eq!(issues[0]["type"], kind, "{query}");
    }
    // A new password is named by the field it came in.
    let weak = app
        .post_with(
            "/auth/password",
            Some(&bearer(&token)),
            None,
            json!({"current_password": PASSWORD, "new_password": "password123"}),
        )
        .await;
    assert!(issue_about(&weak, "new_password").is_some(), "{}", weak.text);
    let short = app
        .post_with(
            "/auth/password",
            Some(&bearer(&token)),
            None,
            json!({"current_password": PASSWORD, "new_password": "short"}),
        )
        .await;
    assert!(issue_about(&short, "new_password").is_some(), "{}", short.text);
    // Every other error keeps its string detail.
    let reply = app.login("boss@example.com", "not the password").await;
    assert_eq!(
        reply.body,
        json!({"detail": "Incorrect email or password", "code": "invalid_credentials"})
    );
}
