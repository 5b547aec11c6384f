//! Defences against attackers and bad input (issue: "Hold up against attackers and bad
//! input"), each checked against the running application.

use super::helpers::{
    PASSWORD, Reply, SECRET, TestApp, b64, bearer, header, hmac_sign, issue_about, mint_with_header, set_cookie,
    sid_of, validation_issues,
};
use jsonwebtoken::Algorithm;
use serde_json::{Value, json};

fn assert_422_about(reply: &Reply, field: &str, words: &str) {
    let message = issue_about(reply, field).unwrap_or_else(|| panic!("no issue about {field}: {}", reply.text));
    assert!(message.contains(words), "{message:?} should say {words:?}");
}

/// `n` Cyrillic letters in a scrambled order (a repeated letter would be refused as
/// guessable, which is not what these tests are about).
fn cyrillic(n: usize) -> String {
    let alphabet: Vec<char> = "абвгдеёжзийклмнопрстуфхцчшщъыьэюя".chars().collect();
    (0..n)
        .map(|i| alphabet[(i * 17 + i * i * 5 + 3) % alphabet.len()])
        .collect()
}

async fn signup_with_password(app: &TestApp, email: &str, password: &str) -> Reply {
    app.post_json(
        "/auth/signup",
        &json!({"email": email, "password": password, "username": "someone"}),
    )
    .await
}

// ------------------------------------------------------------------ passwords

#[tokio::test]
async fn password_length_is_8_to_128_code_points() {
    let app = TestApp::spawn().await;
    assert_422_about(
        &signup_with_password(&app, "a@example.com", "Tr0ub4d").await,
        "password",
        "at least 8",
    );
    let too_long = cyrillic(129);
    assert_422_about(
        &signup_with_password(&app, "a@example.com", &too_long).await,
        "password",
        "at most 128",
    );
    assert_eq!(app.user_count().await, 0);
    // 128 Cyrillic letters are 256 bytes and allowed; so are emoji and spaces.
    for (i, password) in [
        cyrillic(128),
        "🦀 crabs 🦀 rule 🦀 the sea".to_owned(),
        "пароль с пробелами внутри".to_owned(),
    ]
    .iter()
    .enumerate()
    {
        let email = format!("u{i}@example.com");
        assert_eq!(
            signup_with_password(&app, &email, password).await.status,
            200,
            "{password}"
        );
        assert_eq!(app.login(&email, password).await.status, 200, "{password}");
    }
}

#[tokio::test]
async fn passwords_are_compared_exactly_as_sent() {
    let app = TestApp::spawn().await;
    let password = "  Leading and trailing spaces  ";
    assert_eq!(
        signup_with_password(&app, "exact@example.com", password).await.status,
        200
    );
    assert_eq!(app.login("exact@example.com", password.trim()).await.status, 401);
    assert_eq!(
        app.login("exact@example.com", &password.to_uppercase()).await.status,
        401
    );
    assert_eq!(app.login("exact@example.com", password).await.status, 200);

    // No truncation: a 100-character password does not log in with its first 72.
    let long: String = (0..100).map(|i| char::from(b'a' + (i * 7 % 26) as u8)).collect();
    assert_eq!(signup_with_password(&app, "long@example.com", &long).await.status, 200);
    assert_eq!(app.login("long@example.com", &long[..72]).await.status, 401);
    assert_eq!(app.login("long@example.com", &long).await.status, 200);
}

#[tokio::test]
async fn common_and_personal_passwords_are_refused_with_a_reason() {
    let app = TestApp::spawn().await;
    for common in [
        "password",
        "12345678",
        "iloveyou",
        "qwertyuiop",
        "password123",
        "football1",
    ] {
        let reply = signup_with_password(&app, "c@example.com", common).await;
        assert_422_about(&reply, "password", "too common or easy to guess");
    }
    let personal = [
        ("ann.lee@example.com", "ann.lee@example.com", "someone"),
        ("ann.lee1@example.com", "ANN.LEE1", "someone"),
        ("x@example.com", "Grace Hopper 1906", "grace hopper 1906"),
    ];
    for (email, password, username) in personal {
        let reply = app
            .post_json(
                "/auth/signup",
                &json!({"email": email, "password": password, "username": username}),
            )
            .await;
        assert_422_about(&reply, "password", "must not be your email address or username");
    }
    assert_eq!(app.user_count().await, 0);
}

#[tokio::test]
async fn a_hash_with_old_parameters_is_upgraded_at_login() {
    use argon2::password_hash::PasswordHasher as _;
    let app = TestApp::spawn().await;
    let weak = argon2::Argon2::new(
        argon2::Algorithm::Argon2id,
        argon2::Version::V0x13,
        argon2::Params::new(4096, 1, 1, None).unwrap(),
    );
    let old_hash = weak.hash_password(PASSWORD.as_bytes()).unwrap().to_string();
    assert!(old_hash.contains("m=4096,t=1,p=1"));
    sqlx::query("INSERT INTO users (email, username, password_hash) VALUES ('old@example.com', 'old', $1)")
        .bind(&old_hash)
        .execute(&app.db)
        .await
        .unwrap();

    assert_eq!(app.login("old@example.com", PASSWORD).await.status, 200);
    let stored: String = sqlx::query_scalar("SELECT password_hash FROM users WHERE email = 'old@example.com'")
        .fetch_one(&app.db)
        .await
        .unwrap();
    assert!(stored.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{stored}");
    assert_eq!(app.login("old@example.com", PASSWORD).await.status, 200);
    assert_eq!(app.login("old@example.com", "wrong password!").await.status, 401);
}

// ------------------------------------------------------------------ other input

#[tokio::test]
async fn wrong_content_type_is_415_and_large_bodies_413() {
    let app = TestApp::spawn().await;
    let body = json!({"email": "ct@example.com", "password": PASSWORD, "username": "ct"}).to_string();
    for content_type in [
        None,
        Some("text/plain"),
        Some("application/x-www-form-urlencoded"),
        Some("multipart/form-data"),
    ] {
        let mut request = app.client.post(app.url("/auth/signup")).body(body.clone());
        if let Some(ct) = content_type {
            request = request.header("Content-Type", ct);
        }
        let reply = app.send(request).await;
        assert_eq!(reply.status, 415, "{content_type:?}: {}", reply.text);
        assert_eq!(
            reply.body,
            json!({"detail": "Content-Type must be application/json", "code": "not_json"})
        );
    }
    let charset = app
        .send(
            app.client
                .post(app.url("/auth/signup"))
                .header("Content-Type", "application/json; charset=utf-8")
                .body(body),
        )
        .await;
    assert_eq!(charset.status, 200, "{}", charset.text);

    // Just over 16 KiB: refused before the password is looked at.
    let padded = json!({"email": "big@example.com", "password": "p".repeat(16 * 1024), "username": "big"});
    let reply = app.post_json("/auth/signup", &padded).await;
    assert_eq!(reply.status, 413, "{}", reply.text);
    assert_eq!(
        reply.body,
        json!({"detail": "Request body too large", "code": "body_too_large"})
    );
    let reply = app
        .post_json(
            "/auth/login",
            &json!({"email": "big@example.com", "password": "p".repeat(16 * 1024)}),
        )
        .await;
    assert_eq!(reply.status, 413);
    assert_eq!(app.user_count().await, 1);
}

#[tokio::test]
async fn clients_cannot_set_fields_they_were_not_offered() {
    let app = TestApp::spawn().await;
    for extra in ["role", "id", "is_admin", "password_hash"] {
        let mut body = json!({"email": "x@example.com", "password": PASSWORD, "username": "x"});
        body[extra] = json!("admin");
        let reply = app.post_json("/auth/signup", &body).await;
        let issues = validation_issues(&reply);
        assert!(
            issues
                .iter()
                .any(|i| i["loc"] == json!(["body", extra]) && i["type"] == "extra_forbidden"),
            "{}",
            reply.text
        );
    }
    let reply = app
        .post_json(
            "/auth/login",
            &json!({"email": "x@example.com", "password": PASSWORD, "otp": 1}),
        )
        .await;
    assert_eq!(reply.status, 422);
    assert_eq!(app.user_count().await, 0);
}

#[tokio::test]
async fn email_and_username_limits() {
    let app = TestApp::spawn().await;
    let long_email = format!(
        "{}@{}.com",
        "a".repeat(64),
        ["b".repeat(61), "c".repeat(60), "d".repeat(63)].join(".")
    );
    assert_eq!(long_email.len(), 255);
    let reply = app
        .post_json(
            "/auth/signup",
            &json!({"email": long_email, "password": PASSWORD, "username": "u"}),
        )
        .await;
    assert_422_about(&reply, "email", "254");
    for bad_name in ["", "   ", "tab\there", &"n".repeat(51)] {
        let reply = app
            .post_json(
                "/auth/signup",
                &json!({"email": "n@example.com", "password": PASSWORD, "username": bad_name}),
            )
            .await;
        assert_eq!(reply.status, 422, "{bad_name:?}");
    }
    let reply = app
        .post_json(
            "/auth/signup",
            &json!({"email": "n@example.com", "password": PASSWORD, "username": "  Ann  "}),
        )
        .await;
    assert_eq!(reply.body["username"], "Ann");
}

// ------------------------------------------------------------------ brute force

#[tokio::test]
async fn failed_logins_are_throttled_per_account() {
    let app = TestApp::spawn_with(&[("LOGIN_MAX_FAILURES", "3")]).await;
    app.signup("victim@example.com", "v").await;
    app.signup("bystander@example.com", "b").await;
    for _ in 0..3 {
        assert_eq!(app.login("victim@example.com", "wrong password!").await.status, 401);
    }
    // Now even the right password waits: the attacker cannot tell it was right.
    let throttled = app.login("VICTIM@example.com", PASSWORD).await;
    assert_eq!(throttled.status, 429, "{}", throttled.text);
    let retry_after: u64 = header(&throttled, "retry-after").expect("Retry-After").parse().unwrap();
    // 3 failures per 15 minutes drain one every 300 s.
    assert!((1..=300).contains(&retry_after), "{retry_after}");
    assert!(
        throttled.body["detail"]
            .as_str()
            .unwrap()
            .starts_with("Too many attempts")
    );
    // Other accounts are unaffected.
    assert_eq!(app.login("bystander@example.com", PASSWORD).await.status, 200);
    // Unknown emails are throttled the same way, so a 429 reveals nothing.
    for _ in 0..3 {
        assert_eq!(app.login("nobody@example.com", "wrong password!").await.status, 401);
    }
    assert_eq!(app.login("nobody@example.com", "wrong password!").await.status, 429);
}

/// A burst of parallel guesses must not all pass the throttle before any of them is
/// counted: each takes its slot before the hash is verified.
#[tokio::test]
async fn a_parallel_burst_of_wrong_passwords_gets_no_more_than_the_allowance() {
    let app = TestApp::spawn_with(&[("LOGIN_MAX_FAILURES", "5")]).await;
    app.signup("burst@example.com", "b").await;
    let guesses: Vec<String> = (0..50).map(|i| format!("wrong guess number {i}")).collect();
    let replies = futures::future::join_all(guesses.iter().map(|guess| app.login("burst@example.com", guess))).await;
    let statuses: Vec<u16> = replies.iter().map(|r| r.status).collect();
    let judged = statuses.iter().filter(|s| **s == 401).count();
    assert!(judged <= 5, "{judged} guesses were verified: {statuses:?}");
    let throttled: Vec<&Reply> = replies.iter().filter(|r| r.status == 429).collect();
    assert_eq!(judged + throttled.len(), 50, "{statuses:?}");
    for reply in throttled {
        assert!(header(reply, "retry-after").is_some_and(|s| s.parse::<u64>().is_ok()));
    }
}

/// A stranger's wrong passwords are counted per client network: they never refuse the
/// right password from another network (IPv6 counted by /64), nor the owner's password
/// confirmation, which is counted per session.
#[tokio::test]
async fn failures_from_one_network_never_refuse_the_right_password_from_another() {
    let app = TestApp::spawn_with(&[("LOGIN_MAX_FAILURES", "3"), ("TRUSTED_PROXIES", "127.0.0.1")]).await;
    app.signup("owner@example.com", "o").await;
    let email = "owner@example.com";
    for _ in 0..3 {
        assert_eq!(
            app.login_from("198.51.100.66", email, "wrong password!", None)
                .await
                .status,
            401
        );
    }
    assert_eq!(app.login_from("198.51.100.66", email, PASSWORD, None).await.status, 429);
    let owner = app.login_from("203.0.113.5", email, PASSWORD, None).await;
    assert_eq!(owner.status, 200, "{}", owner.text);
    // Every address of one IPv6 /64 is one network; the next /64 is another.
    for i in 1..=3 {
        let ip = format!("2001:db8:1:2::{i:x}");
        assert_eq!(app.login_from(&ip, email, "wrong password!", None).await.status, 401);
    }
    assert_eq!(
        app.login_from("2001:db8:1:2:ffff::9", email, PASSWORD, None)
            .await
            .status,
        429
    );
    assert_eq!(
        app.login_from("2001:db8:1:3::1", email, PASSWORD, None).await.status,
        200
    );
    // The stranger's failures do not stop the owner from changing the password.
    let token = owner.body["access_token"].as_str().unwrap();
    let changed = app
        .post_with(
            "/auth/password",
            Some(&bearer(token)),
            None,
            json!({"current_password": PASSWORD, "new_password": "an entirely new passphrase"}),
        )
        .await;
    assert_eq!(changed.status, 200, "{}", changed.text);
}

/// Guessing spread over many networks trips a per-account ceiling: then unknown
/// networks are refused even with the right password, but a browser that logged in to
/// the account before (its device cookie) is not.
#[tokio::test]
async fn guessing_from_many_networks_trips_the_ceiling_but_not_a_known_browser() {
    let app = TestApp::spawn_with(&[
        ("LOGIN_MAX_FAILURES", "3"),
        ("LOGIN_ACCOUNT_MAX_FAILURES", "20"),
        ("TRUSTED_PROXIES", "127.0.0.1"),
    ])
    .await;
    let email = "target@example.com";
    app.signup(email, "t").await;
    let earlier = app.login_from("198.51.100.200", email, PASSWORD, None).await;
    assert_eq!(earlier.status, 200);
    let device = set_cookie(&earlier, "authkit_device").expect("a device cookie after a login");
    let device_header = earlier
        .headers
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|c| c.starts_with("authkit_device="))
        .unwrap()
        .to_owned();
    for attribute in ["HttpOnly", "SameSite=Strict", "Path=/auth", "Max-Age=31536000"] {
        assert!(device_header.contains(attribute), "{device_header}");
    }

    let mut statuses = Vec::new();
    for i in 0..30 {
        let ip = format!("203.0.113.{i}");
        statuses.push(app.login_from(&ip, email, "wrong password!", None).await.status);
    }
    assert_eq!(statuses[..20], [401; 20], "{statuses:?}");
    assert_eq!(statuses[20..], [429; 10], "{statuses:?}");
    let fresh = app.login_from("192.0.2.1", email, PASSWORD, None).await;
    assert_eq!(fresh.status, 429, "{}", fresh.text);
    assert!(header(&fresh, "retry-after").is_some());
    // A device cookie for another account, or a forged one, does not help.
    assert_eq!(
        app.login_from("192.0.2.1", email, PASSWORD, Some("forged.device.cookie"))
            .await
            .status,
        429
    );
    let known = app.login_from("192.0.2.1", email, PASSWORD, Some(&device)).await;
    assert_eq!(known.status, 200, "{}", known.text);
}

#[tokio::test]
async fn signup_and_login_are_throttled_per_client_ip() {
    let app = TestApp::spawn_with(&[("AUTH_RATE_PER_IP_PER_MINUTE", "4")]).await;
    assert_eq!(app.signup("ip@example.com", "ip").await.status, 200);
    for _ in 0..3 {
        assert_eq!(app.login("ip@example.com", PASSWORD).await.status, 200);
    }
    // A forged X-Forwarded-For from an untrusted peer changes nothing.
    let forged = app
        .send(
            app.client
                .post(app.url("/auth/login"))
                .header("X-Forwarded-For", "203.0.113.77")
                .json(&json!({"email": "ip@example.com", "password": PASSWORD})),
        )
        .await;
    assert_eq!(forged.status, 429, "{}", forged.text);
    let retry_after: u64 = header(&forged, "retry-after").expect("Retry-After").parse().unwrap();
    assert!((1..=15).contains(&retry_after), "{retry_after}");
    assert_eq!(app.signup("ip2@example.com", "ip").await.status, 429);
    // GET /auth/me is not a credential endpoint and is not throttled.
    assert_eq!(app.me(None).await.status, 401);
}

#[tokio::test]
async fn forwarded_for_is_trusted_only_from_listed_proxies() {
    let app = TestApp::spawn_with(&[("AUTH_RATE_PER_IP_PER_MINUTE", "2"), ("TRUSTED_PROXIES", "127.0.0.1")]).await;
    let login_from = |ip: &'static str| {
        app.send(
            app.client
                .post(app.url("/auth/login"))
                .header("X-Forwarded-For", ip)
                .json(&json!({"email": "p@example.com", "password": PASSWORD})),
        )
    };
    assert_eq!(login_from("198.51.100.1").await.status, 401);
    assert_eq!(login_from("198.51.100.1").await.status, 401);
    assert_eq!(login_from("198.51.100.1").await.status, 429);
    // Behind our proxy, another client has its own allowance.
    assert_eq!(login_from("198.51.100.2").await.status, 401);
}

// ------------------------------------------------------------------ hashing under load

#[tokio::test]
async fn saturated_hashing_answers_503_with_retry_after_instead_of_hanging() {
    let app = TestApp::spawn_with(&[("HASH_MAX_CONCURRENT", "1"), ("HASH_QUEUE_TIMEOUT_MS", "1")]).await;
    app.signup("load@example.com", "l").await;
    let attempts = (0..12).map(|_| app.login("load@example.com", PASSWORD));
    let replies = futures::future::join_all(attempts).await;
    let busy: Vec<&Reply> = replies.iter().filter(|r| r.status == 503).collect();
    assert!(
        !busy.is_empty(),
        "{:?}",
        replies.iter().map(|r| r.status).collect::<Vec<_>>()
    );
    for reply in &busy {
        assert_eq!(header(reply, "retry-after"), Some("1"));
        assert_eq!(
            reply.body["detail"],
            "The server is busy. Please try again in a moment."
        );
    }
    assert!(replies.iter().all(|r| r.status == 200 || r.status == 503));
}

#[tokio::test]
async fn fifty_concurrent_signups_all_succeed() {
    let app = TestApp::spawn().await;
    let app = &app;
    let signups = (0..50).map(|i| {
        let email = format!("many{i}@example.com");
        async move { app.signup(&email, "many").await }
    });
    let replies = futures::future::join_all(signups).await;
    let failures: Vec<_> = replies.iter().filter(|r| r.status != 200).map(|r| &r.text).collect();
    assert!(failures.is_empty(), "{failures:?}");
    assert_eq!(app.user_count().await, 50);
}

// ------------------------------------------------------------------ tokens

#[tokio::test]
async fn token_attacks_are_401_invalid_token() {
    let app = TestApp::spawn().await;
    let (id, token) = app.user_with_token("attacked@example.com").await;
    // The account a tampered token would like to reach instead.
    let (other_id, _) = app.user_with_token("other@example.com").await;
    let now = jsonwebtoken::get_current_timestamp() as i64;
    let sid = sid_of(&token);
    let claims = |overrides: Value| {
        let mut c = json!({"sub": id.to_string(), "iat": now, "exp": now + 600, "iss": "authkit", "aud": "authkit", "jti": "j", "sid": sid});
        for (k, v) in overrides.as_object().unwrap() {
            if v.is_null() {
                c.as_object_mut().unwrap().remove(k);
            } else {
                c[k] = v.clone();
            }
        }
        c
    };
    let good = hmac_sign(Algorithm::HS256, &claims(json!({})), SECRET);
    assert_eq!(
        app.me(Some(&format!("Bearer {good}"))).await.status,
        200,
        "sanity: a well-formed token works"
    );
    // Header key material pointing anywhere changes nothing when the signature is ours.
    let with_kid = mint_with_header(
        &json!({"alg": "HS256", "typ": "JWT", "kid": "../../../dev/null"}),
        &claims(json!({})),
        SECRET,
    );
    assert_eq!(app.me(Some(&format!("Bearer {with_kid}"))).await.status, 200);

    let attacker_key = b"attacker-controlled-key-attacker-controlled";
    let (head, rest) = token.split_once('.').unwrap();
    let (payload, signature) = rest.split_once('.').unwrap();
    let mut flipped = signature.as_bytes().to_vec();
    flipped[0] = if flipped[0] == b'A' { b'B' } else { b'A' };
    let attacks: Vec<(&str, String)> = vec![
        (
            "alg none",
            format!(
                "{}.{}.",
                b64(br#"{"alg":"none","typ":"JWT"}"#),
                b64(claims(json!({})).to_string().as_bytes())
            ),
        ),
        ("HS512", hmac_sign(Algorithm::HS512, &claims(json!({})), SECRET)),
        (
            "RS256 header, HMAC signature",
            mint_with_header(&json!({"alg": "RS256", "typ": "JWT"}), &claims(json!({})), SECRET),
        ),
        ("stripped signature", format!("{head}.{payload}.")),
        (
            "flipped signature",
            format!("{head}.{payload}.{}", String::from_utf8(flipped).unwrap()),
        ),
        (
            "expired",
            hmac_sign(
                Algorithm::HS256,
                &claims(json!({"iat": now - 3600, "exp": now - 60})),
                SECRET,
            ),
        ),
        (
            "missing exp",
            hmac_sign(Algorithm::HS256, &claims(json!({"exp": null})), SECRET),
        ),
        (
            "future nbf",
            hmac_sign(Algorithm::HS256, &claims(json!({"nbf": now + 600})), SECRET),
        ),
        (
            "wrong iss",
            hmac_sign(Algorithm::HS256, &claims(json!({"iss": "someone-else"})), SECRET),
        ),
        (
            "wrong aud",
            hmac_sign(Algorithm::HS256, &claims(json!({"aud": "another-app"})), SECRET),
        ),
        (
            "another key",
            hmac_sign(Algorithm::HS256, &claims(json!({})), attacker_key),
        ),
        (
            "embedded jwk of the attacker's key",
            mint_with_header(
                &json!({"alg": "HS256", "jwk": {"kty": "oct", "k": b64(attacker_key)}, "jku": "https://evil.example/jwks"}),
                &claims(json!({})),
                attacker_key,
            ),
        ),
        (
            "tampered subject",
            format!(
                "{head}.{}.{signature}",
                b64(claims(json!({"sub": other_id.to_string()})).to_string().as_bytes())
            ),
        ),
    ];
    for (name, bad) in attacks {
        let reply = app.me(Some(&format!("Bearer {bad}"))).await;
        assert_eq!(reply.status, 401, "{name}: {}", reply.text);
        assert_eq!(
            header(&reply, "www-authenticate"),
            Some(r#"Bearer error="invalid_token""#),
            "{name}"
        );
        assert_eq!(
            reply.body,
            json!({"detail": "Could not validate credentials", "code": "invalid_token"}),
            "{name}"
        );
    }

    app.delete_user_row(id).await;
    let reply = app.me(Some(&format!("Bearer {token}"))).await;
    assert_eq!(reply.status, 401);
    assert_eq!(
        header(&reply, "www-authenticate"),
        Some(r#"Bearer error="invalid_token""#)
    );
}

#[tokio::test]
async fn previous_secret_verifies_old_tokens_during_rotation() {
    let old = "the-previous-secret-the-previous-secret!";
    let app = TestApp::spawn_with(&[("JWT_SECRET_PREVIOUS", old)]).await;
    let (id, fresh) = app.user_with_token("rotate@example.com").await;
    let now = jsonwebtoken::get_current_timestamp();
    let claims = json!({"sub": id.to_string(), "iat": now, "exp": now + 600, "iss": "authkit", "aud": "authkit",
        "jti": "r", "sid": sid_of(&fresh)});
    let old_token = hmac_sign(Algorithm::HS256, &claims, old.as_bytes());
    assert_eq!(app.me(Some(&format!("Bearer {old_token}"))).await.status, 200);
    // New tokens are signed with the current key only.
    let mut validation = jsonwebtoken::Validation::new(Algorithm::HS256);
    validation.set_audience(&["authkit"]);
    assert!(
        jsonwebtoken::decode::<Value>(&fresh, &jsonwebtoken::DecodingKey::from_secret(SECRET), &validation).is_ok()
    );
    assert!(
        jsonwebtoken::decode::<Value>(
            &fresh,
            &jsonwebtoken::DecodingKey::from_secret(old.as_bytes()),
            &validation
        )
        .is_err()
    );
}

// ------------------------------------------------------------------ responses

#[tokio::test]
async fn every_response_carries_security_headers() {
    let app = TestApp::spawn().await;
    let page = app.client.get(app.url("/login")).send().await.unwrap();
    let headers = page.headers().clone();
    let html = page.text().await.unwrap();
    let csp = headers
        .get("content-security-policy")
        .unwrap()
        .to_str()
        .unwrap()
        .to_owned();
    for directive in [
        "'wasm-unsafe-eval'",
        "frame-ancestors 'none'",
        "object-src 'none'",
        "base-uri 'none'",
    ] {
        assert!(csp.contains(directive), "{csp}");
    }
    assert!(!csp.contains("'unsafe-inline'"), "{csp}");
    // The nonce in the header is the one on the page's inline scripts.
    let nonce = csp
        .split("'nonce-")
        .nth(1)
        .and_then(|rest| rest.split('\'').next())
        .unwrap();
    assert!(nonce.len() >= 16, "{nonce}");
    assert!(
        html.contains(&format!("nonce=\"{nonce}\"")),
        "hydration script must carry the CSP nonce"
    );
    // ...and it changes on every response.
    let again = app.client.get(app.url("/login")).send().await.unwrap();
    assert_ne!(
        again
            .headers()
            .get("content-security-policy")
            .unwrap()
            .to_str()
            .unwrap(),
        csp
    );

    let api = app.me(None).await;
    for reply_headers in [&headers, &api.headers] {
        assert_eq!(reply_headers.get("x-content-type-options").unwrap(), "nosniff");
        assert_eq!(reply_headers.get("referrer-policy").unwrap(), "no-referrer");
        assert!(
            reply_headers.get("strict-transport-security").is_none(),
            "no HSTS without HTTPS"
        );
        assert!(reply_headers.get("access-control-allow-origin").is_none());
    }
    assert_eq!(
        header(&api, "content-security-policy"),
        Some("default-src 'none'; frame-ancestors 'none'")
    );
}

#[tokio::test]
async fn hsts_is_sent_when_https_is_configured() {
    let app = TestApp::spawn_with(&[("PUBLIC_URL", "https://auth.example.com")]).await;
    let reply = app.me(None).await;
    assert_eq!(
        header(&reply, "strict-transport-security"),
        Some("max-age=63072000; includeSubDomains")
    );
}

#[tokio::test]
async fn foreign_origins_get_no_cors_headers() {
    let app = TestApp::spawn().await;
    let preflight = app
        .send(
            app.client
                .request(reqwest::Method::OPTIONS, app.url("/auth/login"))
                .header("Origin", "https://evil.example")
                .header("Access-Control-Request-Method", "POST"),
        )
        .await;
    assert!(header(&preflight, "access-control-allow-origin").is_none());
    let login = app
        .send(
            app.client
                .post(app.url("/auth/login"))
                .header("Origin", "https://evil.example")
                .json(&json!({"email": "a@example.com", "password": "whatever"})),
        )
        .await;
    assert!(header(&login, "access-control-allow-origin").is_none());
    assert!(header(&login, "access-control-allow-credentials").is_none());
}

#[tokio::test]
async fn server_errors_are_generic_with_an_error_id() {
    let app = TestApp::spawn().await;
    // Break the database under the running app.
    sqlx::query(app.pick("DROP TABLE users", "DROP TABLE users CASCADE"))
        .execute(&app.db)
        .await
        .unwrap();
    let reply = app.signup("broken@example.com", "b").await;
    assert_eq!(reply.status, 500, "{}", reply.text);
    let error_id = reply.body["error_id"].as_str().expect("error_id");
    assert_eq!(error_id.len(), 16);
    assert_eq!(
        reply.body,
        json!({"detail": "Internal server error", "error_id": error_id, "code": "internal_error"})
    );
    for leak in ["users", "SQL", "sqlite", "postgres", "relation", "table", "/"] {
        assert!(!reply.text.contains(leak), "{leak} in {}", reply.text);
    }
}

#[tokio::test]
async fn slow_requests_time_out_with_a_json_503() {
    let app = TestApp::spawn_with(&[("REQUEST_TIMEOUT_MS", "1")]).await;
    let reply = app.signup("slow@example.com", "s").await;
    assert_eq!(reply.status, 503, "{}", reply.text);
    assert_eq!(
        reply.body,
        json!({"detail": "Service Unavailable", "code": "unavailable"})
    );
}

// ------------------------------------------------------------------ look-alike Unicode

#[tokio::test]
async fn look_alike_emails_are_one_account() {
    let app = TestApp::spawn().await;
    // "é" as U+00E9, and as U+0065 U+0301: one address.
    assert_eq!(app.signup("jos\u{e9}@example.com", "j").await.status, 200);
    let again = app.signup("jose\u{301}@example.com", "j").await;
    assert_eq!(again.status, 400, "{}", again.text);
    assert_eq!(again.body["detail"], "Email already registered");
    assert_eq!(app.login("JOSE\u{301}@example.com", PASSWORD).await.status, 200);
    assert_eq!(app.user_count().await, 1);
}

#[tokio::test]
async fn passwords_are_compared_in_nfkc_and_old_hashes_still_verify() {
    use argon2::password_hash::PasswordHasher as _;
    let app = TestApp::spawn().await;
    // U+FB01 LATIN SMALL LIGATURE FI is "fi" in NFKC: one password, however typed.
    let signed_up = signup_with_password(&app, "lig@example.com", "the \u{fb01}nal countdown begins").await;
    assert_eq!(signed_up.status, 200, "{}", signed_up.text);
    assert_eq!(
        app.login("lig@example.com", "the final countdown begins").await.status,
        200
    );
    assert_eq!(
        app.login("lig@example.com", "the \u{fb01}nal countdown begins")
            .await
            .status,
        200
    );

    // A hash made before passwords were normalised, from the password as typed.
    let typed = "an old \u{fb01}ligree password";
    let legacy = argon2::Argon2::default()
        .hash_password(typed.as_bytes())
        .unwrap()
        .to_string();
    sqlx::query("UPDATE users SET password_hash = $1 WHERE email = 'lig@example.com'")
        .bind(&legacy)
        .execute(&app.db)
        .await
        .unwrap();
    assert_eq!(app.login("lig@example.com", typed).await.status, 200, "still verifies");
    let stored: String = sqlx::query_scalar("SELECT password_hash FROM users WHERE email = 'lig@example.com'")
        .fetch_one(&app.db)
        .await
        .unwrap();
    assert_ne!(stored, legacy, "replaced by a hash of the normalised form");
    assert_eq!(
        app.login("lig@example.com", "an old filigree password").await.status,
        200
    );
    assert_eq!(app.login("lig@example.com", typed).await.status, 200);
}

#[tokio::test]
async fn usernames_refuse_invisible_characters_and_are_stored_composed() {
    let app = TestApp::spawn().await;
    // U+200B ZERO WIDTH SPACE, U+202E RIGHT-TO-LEFT OVERRIDE, U+2066 LEFT-TO-RIGHT ISOLATE,
    // U+FEFF ZERO WIDTH NO-BREAK SPACE: category Cf.
    for (i, sneaky) in ["ad\u{200b}min", "\u{202e}nimda", "a\u{2066}b", "x\u{feff}"]
        .iter()
        .enumerate()
    {
        let reply = app
            .post_json(
                "/auth/signup",
                &json!({"email": format!("s{i}@example.com"), "password": PASSWORD, "username": sneaky}),
            )
            .await;
        assert_422_about(&reply, "username", "invisible formatting characters");
    }
    assert_eq!(app.user_count().await, 0);
    let reply = app
        .post_json(
            "/auth/signup",
            &json!({"email": "nfc@example.com", "password": PASSWORD, "username": " Jose\u{301} "}),
        )
        .await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    assert_eq!(reply.body["username"], "Jos\u{e9}");
}

/// A page's form posted before the app has loaded goes back to the page as a GET: the
/// credentials stay out of every URL, and the browser shows the form again instead of an
/// empty 405.
#[tokio::test]
async fn a_page_form_posted_without_the_app_goes_back_to_the_page() {
    let app = TestApp::spawn().await;
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    for page in ["/login", "/signup", "/profile"] {
        let reply = client
            .post(app.url(page))
            .header("Content-Type", "application/x-www-form-urlencoded")
            .body(format!("email=a%40example.com&password={}", PASSWORD.replace(' ', "+")))
            .send()
            .await
            .unwrap();
        assert_eq!(reply.status(), 303, "{page}");
        assert_eq!(reply.headers()["location"], page);
    }
    // The API is not affected: a form body there is still a 415.
    assert_eq!(
        app.send(
            app.client
                .post(app.url("/auth/login"))
                .header("Content-Type", "application/x-www-form-urlencoded")
                .body("email=a")
        )
        .await
        .status,
        415
    );
}

/// Issue 21 (5): device cookies belong to the account as it is, not to its address. A
/// squatter who signed up with someone else's address and gathered device cookies must not
/// keep buckets of their own once the owner has taken the address back with a reset: those
/// cookies then count like any unknown network, under the account's ceiling.
#[tokio::test]
async fn a_squatters_device_cookie_dies_with_the_owners_reset() {
    let app = TestApp::spawn_with(&[
        ("LOGIN_MAX_FAILURES", "3"),
        ("LOGIN_ACCOUNT_MAX_FAILURES", "6"),
        ("TRUSTED_PROXIES", "127.0.0.1"),
    ])
    .await;
    let email = "owner@example.com";
    app.signup(email, "squatter").await;
    let squatter = app.login_from("198.51.100.7", email, PASSWORD, None).await;
    let cookie = set_cookie(&squatter, "authkit_device").expect("a device cookie");
    // The owner takes the address back.
    app.post_json("/auth/password-reset/request", &json!({"email": email}))
        .await;
    let mail = &super::mail::wait_for_mails(app.data_dir(), super::mail::RESET, 1).await[0];
    let reset = app
        .post_json(
            "/auth/password-reset",
            &json!({"token": super::mail::reset_token(mail), "new_password": "the owner's own passphrase"}),
        )
        .await;
    assert_eq!(reset.status, 200, "{}", reset.text);
    // Guessing from many networks trips the account's ceiling...
    for i in 0..6 {
        let guess = app
            .login_from(&format!("203.0.113.{i}"), email, "a wrong guess", None)
            .await;
        assert_eq!(guess.status, 401, "{}", guess.text);
    }
    // ...and the squatter's old cookie no longer opens a bucket of its own.
    let with_cookie = app.login_from("192.0.2.9", email, "another guess", Some(&cookie)).await;
    assert_eq!(
        with_cookie.status, 429,
        "the cookie is a stranger's now: {}",
        with_cookie.text
    );
}

/// POST /auth/email as `token`, as a client behind our proxy at `client_ip`.
async fn change_email_from(app: &TestApp, client_ip: &str, token: &str, new_email: &str) -> Reply {
    let request = app
        .client
        .post(app.url("/auth/email"))
        .header("X-Forwarded-For", client_ip)
        .header("Authorization", bearer(token))
        .json(&json!({"new_email": new_email, "password": PASSWORD}));
    app.send(request).await
}

/// Issue 21 (4): an account cannot use the address change to test which addresses are
/// registered at hashing speed: a taken address spends the account's mail allowance like a
/// free one, so past it both get the same 429.
#[tokio::test]
async fn the_address_change_tells_taken_from_free_only_within_the_accounts_allowance() {
    let app = TestApp::spawn_with(&[("ACCOUNT_MAILS_PER_HOUR", "2")]).await;
    app.signup("taken-1@example.com", "a").await;
    app.signup("taken-2@example.com", "b").await;
    let (_, token) = app.verified_user_with_token("prober@example.com").await;
    let mut statuses = Vec::new();
    for address in [
        "taken-1@example.com",
        "taken-2@example.com",
        "taken-1@example.com",
        "free@example.com",
    ] {
        statuses.push(change_email_from(&app, "127.0.0.1", &token, address).await.status);
    }
    assert_eq!(statuses, [400, 400, 429, 429]);
}

/// Issue 21 (4): the endpoints that confirm the password count every request against an
/// allowance before the hash, the right password too: per account
/// (`PASSWORD_CHECKS_PER_ACCOUNT_PER_MINUTE`) and per client network (the login
/// allowance, `AUTH_RATE_PER_IP_PER_MINUTE`).
#[tokio::test]
async fn the_right_password_in_a_loop_spends_an_allowance_per_account_and_per_network() {
    let app = TestApp::spawn_with(&[
        ("TRUSTED_PROXIES", "127.0.0.1"),
        ("PASSWORD_CHECKS_PER_ACCOUNT_PER_MINUTE", "3"),
        ("ACCOUNT_MAILS_PER_HOUR", "100"),
    ])
    .await;
    app.signup("taken@example.com", "t").await;
    let (_, token) = app.verified_user_with_token("one@example.com").await;
    // One account, from networks of its own: the account's allowance.
    let mut statuses = Vec::new();
    for i in 0..5 {
        let ip = format!("198.51.100.{i}");
        statuses.push(change_email_from(&app, &ip, &token, "taken@example.com").await.status);
    }
    assert_eq!(statuses, [400, 400, 400, 429, 429], "per account");

    // Two accounts from one network: the network's allowance. (127.0.0.1 spends 5 of its
    // own on the signups and logins.)
    let app = TestApp::spawn_with(&[
        ("TRUSTED_PROXIES", "127.0.0.1"),
        ("AUTH_RATE_PER_IP_PER_MINUTE", "5"),
        ("ACCOUNT_MAILS_PER_HOUR", "100"),
    ])
    .await;
    app.signup("taken@example.com", "t").await;
    let (_, second) = app.verified_user_with_token("two@example.com").await;
    let (_, third) = app.verified_user_with_token("three@example.com").await;
    let mut statuses = Vec::new();
    for token in [&second, &second, &second, &third, &third, &third] {
        statuses.push(
            change_email_from(&app, "203.0.113.9", token, "taken@example.com")
                .await
                .status,
        );
    }
    assert_eq!(statuses, [400, 400, 400, 400, 400, 429], "per network");
}

/// Issue 21 (4): 32 loops of one account's own right password cannot take every hashing
/// slot: the account holds at most its share (a quarter of `HASH_MAX_CONCURRENT`, at least
/// one) and its other requests wait in a queue of their own, so other people's logins are
/// served instead of timing out with 503.
#[tokio::test]
async fn one_accounts_parallel_loops_leave_hashing_slots_for_other_peoples_logins() {
    let app = TestApp::spawn_with(&[
        ("HASH_MAX_CONCURRENT", "1"),
        ("HASH_QUEUE_TIMEOUT_MS", "600"),
        ("PASSWORD_CHECKS_PER_ACCOUNT_PER_MINUTE", "100000"),
    ])
    .await;
    app.signup("other@example.com", "o").await;
    let (_, token) = app.verified_user_with_token("hog@example.com").await;
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let loops: Vec<_> = (0..32)
        .map(|_| {
            let (api, token, stop) = ((*app).clone(), token.clone(), stop.clone());
            tokio::spawn(async move {
                let mut answered = 0;
                while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                    let reply = api
                        .post_with(
                            "/auth/totp/setup",
                            Some(&bearer(&token)),
                            None,
                            json!({"password": PASSWORD}),
                        )
                        .await;
                    assert!([200, 503].contains(&reply.status), "{}", reply.text);
                    answered += 1;
                }
                answered
            })
        })
        .collect();
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    let mut statuses = Vec::new();
    for _ in 0..8 {
        statuses.push(app.login("other@example.com", PASSWORD).await.status);
    }
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    for handle in loops {
        assert!(handle.await.unwrap() > 0);
    }
    assert_eq!(statuses, [200; 8], "the other person's logins were served");
}
