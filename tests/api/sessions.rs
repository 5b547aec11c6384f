//! Sessions that survive a reload, logout that really logs out, account management,
//! and roles — checked against the running application.

use super::helpers::{PASSWORD, SECRET, TestApp, bearer, header, refresh_cookie, set_cookie, sid_of};
use serde_json::{Value, json};

const NEW_PASSWORD: &str = "a completely different passphrase";

// ------------------------------------------------------------------ refresh cookie

#[tokio::test]
async fn login_and_signup_set_a_protected_refresh_cookie_stored_only_as_a_hash() {
    let app = TestApp::spawn_with(&[("COOKIE_SECURE", "true")]).await;
    let signup = app.signup("cookie@example.com", "c").await;
    // Secure (the default): a `__Host-` cookie, which browsers accept only with `Path=/`
    // and no `Domain`, so no sibling subdomain can plant one.
    assert!(set_cookie(&signup, "__Host-refresh_token").is_some(), "signup logs in");
    let login = app.login("cookie@example.com", PASSWORD).await;
    assert_eq!(
        login.body.as_object().unwrap().len(),
        2,
        "login body keeps its contract: {}",
        login.text
    );
    let sent = header(&login, "set-cookie").unwrap();
    assert!(sent.starts_with("__Host-refresh_token="), "{sent}");
    assert!(!sent.contains("Domain"), "{sent}");
    for attribute in ["HttpOnly", "SameSite=Strict", "Path=/;", "Secure", "Max-Age=1209600"] {
        assert!(sent.contains(attribute), "{sent}");
    }
    let token = set_cookie(&login, "__Host-refresh_token").unwrap();
    // `session id . generation . secret`: 128-bit id, 256-bit secret, in hex.
    let parts: Vec<&str> = token.split('.').collect();
    assert_eq!(parts.len(), 3, "{token}");
    assert_eq!((parts[0].len(), parts[1], parts[2].len()), (32, "0", 64), "{token}");
    // The secret is never stored: the row keeps a seed and the generation, from which
    // only the server's key makes the secret.
    let stored: Vec<(String, String)> = sqlx::query_as("SELECT id, refresh_seed FROM sessions")
        .fetch_all(&app.db)
        .await
        .unwrap();
    assert!(stored.iter().any(|(id, _)| id == parts[0]));
    assert!(stored.iter().all(|(_, seed)| seed != parts[2] && !seed.is_empty()));
    let expires_in: i64 = sqlx::query_scalar("SELECT expires_at - created_at FROM sessions LIMIT 1")
        .fetch_one(&app.db)
        .await
        .unwrap();
    assert_eq!(expires_in, 14 * 24 * 3600);
}

#[tokio::test]
async fn refresh_rotates_the_cookie_and_returns_a_working_access_token() {
    let app = TestApp::spawn().await;
    app.signup("rot@example.com", "r").await;
    let (_, first) = app.session("rot@example.com", PASSWORD).await;
    let refreshed = app.refresh(&first).await;
    assert_eq!(refreshed.status, 200, "{}", refreshed.text);
    assert_eq!(refreshed.body["token_type"], "bearer");
    let second = refresh_cookie(&refreshed).expect("rotated cookie");
    assert_ne!(first, second);
    let access = refreshed.body["access_token"].as_str().unwrap();
    assert_eq!(app.me_status(access).await, 200);
    // The successor works in turn.
    assert_eq!(app.refresh(&second).await.status, 200);
}

#[tokio::test]
async fn a_session_takes_constant_space_however_often_it_refreshes() {
    let app = TestApp::spawn().await;
    app.signup("often@example.com", "o").await;
    let (_, mut cookie) = app.session("often@example.com", PASSWORD).await;
    // Every row the database holds outside the users table, whatever the schema.
    let rows = || async {
        let tables = app.table_names().await;
        let mut total = 0i64;
        for table in tables.into_iter().filter(|t| t != "users") {
            let count: i64 = sqlx::query_scalar(sqlx::AssertSqlSafe(format!("SELECT COUNT(*) FROM \"{table}\"")))
                .fetch_one(&app.db)
                .await
                .unwrap();
            total += count;
        }
        total
    };
    // The first refresh may add fixed rows (the refresh throttles' buckets for this
    // session and network, when they are in the database); the next 199 add none.
    let mut third = String::new();
    let mut before = 0;
    for n in 1..=200 {
        let reply = app.refresh(&cookie).await;
        assert_eq!(reply.status, 200, "refresh #{n}: {}", reply.text);
        cookie = refresh_cookie(&reply).expect("a rotated cookie");
        if n == 1 {
            before = rows().await;
        }
        if n == 3 {
            third = cookie.clone();
        }
    }
    assert_eq!(rows().await, before, "refreshing adds no rows");
    // The cookie of refresh #3, presented after #200: the session is revoked.
    let replay = app.refresh(&third).await;
    assert_eq!(replay.status, 401, "{}", replay.text);
    assert_eq!(app.refresh(&cookie).await.status, 401, "the newest cookie died with it");
}

#[tokio::test]
async fn refresh_is_throttled_per_session_and_per_client() {
    let app = TestApp::spawn_with(&[("REFRESH_RATE_PER_SESSION_PER_MINUTE", "3")]).await;
    app.signup("r@example.com", "r").await;
    let (_, mut cookie) = app.session("r@example.com", PASSWORD).await;
    for _ in 0..3 {
        let reply = app.refresh(&cookie).await;
        assert_eq!(reply.status, 200, "{}", reply.text);
        cookie = refresh_cookie(&reply).unwrap();
    }
    let refused = app.refresh(&cookie).await;
    assert_eq!(refused.status, 429, "{}", refused.text);
    assert!(header(&refused, "retry-after").is_some_and(|s| s.parse::<u64>().is_ok()));
    // Another session is not held back by this one's allowance.
    let (_, other) = app.session("r@example.com", PASSWORD).await;
    assert_eq!(app.refresh(&other).await.status, 200);

    let app = TestApp::spawn_with(&[("REFRESH_RATE_PER_IP_PER_MINUTE", "2")]).await;
    app.signup("n@example.com", "n").await;
    let mut statuses = Vec::new();
    for _ in 0..3 {
        let (_, cookie) = app.session("n@example.com", PASSWORD).await;
        statuses.push(app.refresh(&cookie).await.status);
    }
    assert_eq!(statuses, [200, 200, 429]);
}

#[tokio::test]
async fn reusing_a_rotated_refresh_token_revokes_the_whole_session() {
    let app = TestApp::spawn().await;
    app.signup("theft@example.com", "t").await;
    let (access, stolen) = app.session("theft@example.com", PASSWORD).await;
    // The victim refreshes: `stolen` is now a used token.
    let victim = app.refresh(&stolen).await;
    let victim_cookie = refresh_cookie(&victim).unwrap();
    let victim_access = victim.body["access_token"].as_str().unwrap().to_owned();
    // The thief presents the old one: refused, and the family is revoked.
    let thief = app.refresh(&stolen).await;
    assert_eq!(thief.status, 401, "{}", thief.text);
    assert!(
        header(&thief, "set-cookie").unwrap().contains("Max-Age=0"),
        "cookie cleared"
    );
    // Both must log in again: the victim's newer cookie and every access token are dead.
    assert_eq!(app.refresh(&victim_cookie).await.status, 401);
    assert_eq!(app.me_status(&victim_access).await, 401);
    assert_eq!(app.me_status(&access).await, 401);
    // Another session of the same user is untouched.
    let (other, _) = app.session("theft@example.com", PASSWORD).await;
    assert_eq!(app.me_status(&other).await, 200);
}

/// A visitor who never logged in has no cookie: every logged-out page load asks, and
/// that is not an error (a 401 would be a red line in the browser's console on every
/// visit). A cookie that is there but wrong is still refused.
#[tokio::test]
async fn refresh_without_a_cookie_is_204_and_with_a_bad_one_401() {
    let app = TestApp::spawn().await;
    let none = app.post_with("/auth/refresh", None, None, json!({})).await;
    assert_eq!(none.status, 204, "{}", none.text);
    assert_eq!(none.text, "", "a 204 has no body");
    assert!(none.headers.get("set-cookie").is_none(), "nothing to clear or set");
    assert!(none.headers.get("content-type").is_none(), "nothing to describe");
    // No body at all (no Content-Type either) is fine for this argument-less endpoint.
    let bare = app.send(app.client.post(app.url("/auth/refresh"))).await;
    assert_eq!(bare.status, 204, "{}", bare.text);
    // A cookie that is present but unknown is refused, and cleared.
    let forged = app.refresh("not-a-real-token").await;
    assert_eq!(forged.status, 401);
    assert_eq!(
        forged.body,
        json!({"detail": "Could not validate credentials", "code": "invalid_token"})
    );
    assert!(forged.headers.get("set-cookie").is_some(), "the bad cookie is cleared");
    // An expired session's cookie is refused.
    app.signup("old@example.com", "o").await;
    let (_, cookie) = app.session("old@example.com", PASSWORD).await;
    sqlx::query("UPDATE sessions SET expires_at = 0")
        .execute(&app.db)
        .await
        .unwrap();
    assert_eq!(app.refresh(&cookie).await.status, 401);
}

#[tokio::test]
async fn cross_site_requests_are_refused() {
    let app = TestApp::spawn().await;
    app.signup("csrf@example.com", "c").await;
    let (_, cookie) = app.session("csrf@example.com", PASSWORD).await;
    let attempt = |headers: Vec<(&'static str, String)>| {
        let mut request = app
            .client
            .post(app.url("/auth/refresh"))
            .header("Cookie", format!("refresh_token={cookie}"))
            .json(&json!({}));
        for (name, value) in headers {
            request = request.header(name, value);
        }
        app.send(request)
    };
    let evil = attempt(vec![("Origin", "https://evil.example".into())]).await;
    assert_eq!(evil.status, 403, "{}", evil.text);
    assert_eq!(
        evil.body,
        json!({"detail": "Cross-site request refused", "code": "cross_site_request"})
    );
    assert_eq!(attempt(vec![("Sec-Fetch-Site", "cross-site".into())]).await.status, 403);
    assert_eq!(attempt(vec![("Sec-Fetch-Site", "same-site".into())]).await.status, 403);
    assert_eq!(attempt(vec![("Origin", "null".into())]).await.status, 403);
    // The same request from our own page goes through.
    let host = app.base.trim_start_matches("http://").to_owned();
    let ours = attempt(vec![
        ("Origin", format!("http://{host}")),
        ("Sec-Fetch-Site", "same-origin".into()),
    ])
    .await;
    assert_eq!(ours.status, 200, "{}", ours.text);
    // Login CSRF is refused too.
    let login = app
        .send(
            app.client
                .post(app.url("/auth/login"))
                .header("Sec-Fetch-Site", "cross-site")
                .json(&json!({"email": "csrf@example.com", "password": PASSWORD})),
        )
        .await;
    assert_eq!(login.status, 403);
}

#[tokio::test]
async fn state_changing_endpoints_do_not_accept_get() {
    let app = TestApp::spawn().await;
    for path in [
        "/auth/refresh",
        "/auth/logout",
        "/auth/logout-all",
        "/auth/password",
        "/auth/delete-account",
        "/auth/signup",
        "/auth/login",
    ] {
        let reply = app.send(app.client.get(app.url(path))).await;
        assert_eq!(reply.status, 405, "{path}: {}", reply.text);
    }
}

// ------------------------------------------------------------------ logout

#[tokio::test]
async fn logout_ends_this_session_at_once() {
    let app = TestApp::spawn().await;
    app.signup("bye@example.com", "b").await;
    let (access, cookie) = app.session("bye@example.com", PASSWORD).await;
    let (other_access, _) = app.session("bye@example.com", PASSWORD).await;
    let reply = app
        .post_with("/auth/logout", Some(&bearer(&access)), None, json!({}))
        .await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    assert_eq!(reply.body, json!({"sessions_revoked": 1}));
    assert!(header(&reply, "set-cookie").unwrap().contains("Max-Age=0"));
    assert_eq!(
        app.me_status(&access).await,
        401,
        "the access token dies with its session"
    );
    assert_eq!(app.refresh(&cookie).await.status, 401);
    assert_eq!(app.me_status(&other_access).await, 200, "other sessions live on");
    // Without a token there is nothing to log out.
    assert_eq!(app.post_with("/auth/logout", None, None, json!({})).await.status, 401);
}

#[tokio::test]
async fn logout_all_ends_every_session_of_the_user_only() {
    let app = TestApp::spawn().await;
    app.signup("all@example.com", "a").await;
    app.signup("else@example.com", "e").await;
    let (one, _) = app.session("all@example.com", PASSWORD).await;
    let (two, two_cookie) = app.session("all@example.com", PASSWORD).await;
    let (someone_else, _) = app.session("else@example.com", PASSWORD).await;
    let reply = app
        .post_with("/auth/logout-all", Some(&bearer(&one)), None, json!({}))
        .await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    // Signup's session plus the two logins.
    assert_eq!(reply.body, json!({"sessions_revoked": 3}));
    assert_eq!(app.me_status(&one).await, 401);
    assert_eq!(app.me_status(&two).await, 401);
    assert_eq!(app.refresh(&two_cookie).await.status, 401);
    assert_eq!(app.me_status(&someone_else).await, 200);
}

// ------------------------------------------------------------------ account

#[tokio::test]
async fn patch_me_changes_the_username() {
    let app = TestApp::spawn().await;
    let (id, token) = app.user_with_token("name@example.com").await;
    let patch = |body: Value| {
        app.send(
            app.client
                .patch(app.url("/auth/me"))
                .header("Authorization", bearer(&token))
                .json(&body),
        )
    };
    let reply = patch(json!({"username": "  New Name "})).await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    assert_eq!(
        reply.body,
        json!({"id": id, "email": "name@example.com", "username": "New Name"})
    );
    assert_eq!(app.me(Some(&bearer(&token))).await.body["username"], "New Name");
    assert_eq!(patch(json!({"username": ""})).await.status, 422);
    assert_eq!(patch(json!({"username": "x", "role": "admin"})).await.status, 422);
    assert_eq!(
        patch(json!({"username": "x", "email": "other@example.com"}))
            .await
            .status,
        422
    );
    let anonymous = app
        .send(app.client.patch(app.url("/auth/me")).json(&json!({"username": "x"})))
        .await;
    assert_eq!(anonymous.status, 401);
}

#[tokio::test]
async fn changing_the_password_needs_the_current_one_and_ends_other_sessions() {
    let app = TestApp::spawn().await;
    let (_, token) = app.user_with_token("pw@example.com").await;
    let (other, other_cookie) = app.session("pw@example.com", PASSWORD).await;
    let hash_before: String = sqlx::query_scalar("SELECT password_hash FROM users")
        .fetch_one(&app.db)
        .await
        .unwrap();
    let authorization = bearer(&token);
    let change = |current: &str, new: &str| {
        app.post_with(
            "/auth/password",
            Some(&authorization),
            None,
            json!({"current_password": current, "new_password": new}),
        )
    };
    let wrong = change("not my password", NEW_PASSWORD).await;
    assert_eq!(wrong.status, 401, "{}", wrong.text);
    assert_eq!(
        wrong.body,
        json!({"detail": "Incorrect password", "code": "wrong_password"})
    );
    let hash_after: String = sqlx::query_scalar("SELECT password_hash FROM users")
        .fetch_one(&app.db)
        .await
        .unwrap();
    assert_eq!(hash_before, hash_after, "nothing changes");
    assert_eq!(app.me_status(&other).await, 200);
    assert_eq!(
        change(PASSWORD, "password123").await.status,
        422,
        "the new password follows the policy"
    );

    let changed = change(PASSWORD, NEW_PASSWORD).await;
    assert_eq!(changed.status, 200, "{}", changed.text);
    let fresh = changed.body["access_token"].as_str().unwrap();
    assert!(refresh_cookie(&changed).is_some(), "fresh refresh cookie");
    assert_eq!(app.me_status(fresh).await, 200);
    assert_eq!(app.me_status(&other).await, 401);
    assert_eq!(app.refresh(&other_cookie).await.status, 401);
    assert_eq!(app.login("pw@example.com", PASSWORD).await.status, 401);
    assert_eq!(app.login("pw@example.com", NEW_PASSWORD).await.status, 200);
}

#[tokio::test]
async fn deleting_the_account_needs_the_password_and_removes_everything() {
    let app = TestApp::spawn().await;
    let (id, token) = app.user_with_token("del@example.com").await;
    let (_, cookie) = app.session("del@example.com", PASSWORD).await;
    let delete = |password: &str| {
        app.send(
            app.client
                .delete(app.url("/auth/me"))
                .header("Authorization", bearer(&token))
                .json(&json!({"password": password})),
        )
    };
    assert_eq!(delete("wrong password").await.status, 401);
    assert_eq!(app.user_count().await, 1);
    let deleted = delete(PASSWORD).await;
    assert_eq!(deleted.status, 200, "{}", deleted.text);
    assert_eq!(deleted.body, json!({"deleted": true}));
    assert_eq!(app.user_count().await, 0);
    let sessions: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM sessions WHERE user_id = $1")
        .bind(id)
        .fetch_one(&app.db)
        .await
        .unwrap();
    assert_eq!(sessions, 0);
    assert_eq!(app.me_status(&token).await, 401);
    assert_eq!(app.refresh(&cookie).await.status, 401);
    assert_eq!(app.login("del@example.com", PASSWORD).await.status, 401);
    // The server-function form of the same operation exists too.
    let (_, token) = app.user_with_token("del2@example.com").await;
    let reply = app
        .post_with(
            "/auth/delete-account",
            Some(&bearer(&token)),
            None,
            json!({"password": PASSWORD}),
        )
        .await;
    assert_eq!(reply.status, 200, "{}", reply.text);
}

// ------------------------------------------------------------------ roles

#[tokio::test]
async fn new_users_are_users_and_cannot_choose_a_role() {
    let app = TestApp::spawn().await;
    let (id, token) = app.user_with_token("plain@example.com").await;
    let account = app
        .send(
            app.client
                .get(app.url("/auth/account"))
                .header("Authorization", bearer(&token)),
        )
        .await;
    assert_eq!(
        account.body,
        json!({"id": id, "email": "plain@example.com", "username": "someone", "role": "user", "email_verified": false, "second_factor": false})
    );
    let sneaky = app
        .post_json(
            "/auth/signup",
            &json!({"email": "s@example.com", "password": PASSWORD, "username": "s", "role": "admin"}),
        )
        .await;
    assert_eq!(sneaky.status, 422);
}

#[tokio::test]
async fn admins_list_users_and_change_roles_effective_on_the_next_request() {
    let app = TestApp::spawn().await;
    let (_, admin) = app.user_with_token("boss@example.com").await;
    app.make_admin("boss@example.com").await;
    let (worker_id, worker) = app.user_with_token("worker@example.com").await;
    for i in 0..3 {
        app.signup(&format!("extra{i}@example.com"), "x").await;
    }
    let list = |token: &str, query: &str| {
        app.send(
            app.client
                .get(app.url(&format!("/admin/users{query}")))
                .header("Authorization", bearer(token)),
        )
    };
    let page = list(&admin, "?limit=2&offset=1").await;
    assert_eq!(page.status, 200, "{}", page.text);
    assert_eq!(page.body["total"], 5);
    assert_eq!(page.body["limit"], 2);
    assert_eq!(page.body["offset"], 1);
    let users = page.body["users"].as_array().unwrap();
    assert_eq!(users.len(), 2);
    assert_eq!(
        users[0],
        json!({"id": worker_id, "email": "worker@example.com", "username": "someone", "role": "user", "email_verified": false, "second_factor": false})
    );
    assert!(!page.text.contains("argon2"), "no hashes in the listing");
    assert_eq!(list(&admin, "").await.body["users"].as_array().unwrap().len(), 5);
    for bad in ["?limit=0", "?limit=101", "?offset=-1", "?limit=abc"] {
        assert_eq!(list(&admin, bad).await.status, 422, "{bad}");
    }

    // The worker is refused, then promoted: the very next request works, no new login.
    assert_eq!(list(&worker, "").await.status, 403);
    let set_role = |token: &str, id: i64, role: &str| {
        app.send(
            app.client
                .patch(app.url(&format!("/admin/users/{id}")))
                .header("Authorization", bearer(token))
                .json(&json!({"role": role})),
        )
    };
    let promoted = set_role(&admin, worker_id, "admin").await;
    assert_eq!(promoted.status, 200, "{}", promoted.text);
    assert_eq!(promoted.body["role"], "admin");
    assert_eq!(list(&worker, "").await.status, 200);
    let demoted = set_role(&admin, worker_id, "user").await;
    assert_eq!(demoted.body["role"], "user");
    assert_eq!(list(&worker, "").await.status, 403);

    assert_eq!(set_role(&admin, 999_999, "admin").await.status, 404);
    assert_eq!(set_role(&admin, worker_id, "superuser").await.status, 422);
    let boss_id = app.me(Some(&bearer(&admin))).await.body["id"].as_i64().unwrap();
    assert_eq!(
        set_role(&admin, boss_id, "user").await.status,
        422,
        "an admin cannot demote themself"
    );
    let not_a_number = app
        .send(
            app.client
                .patch(app.url("/admin/users/abc"))
                .header("Authorization", bearer(&admin))
                .json(&json!({"role": "user"})),
        )
        .await;
    assert_eq!(not_a_number.status, 422, "{}", not_a_number.text);
}

#[tokio::test]
async fn there_is_always_an_admin() {
    let app = TestApp::spawn().await;
    let (alice_id, alice) = app.user_with_token("alice-admin@example.com").await;
    let (bob_id, bob) = app.user_with_token("bob-admin@example.com").await;
    let demote = |token: &str, id: i64| {
        app.send(
            app.client
                .patch(app.url(&format!("/admin/users/{id}")))
                .header("Authorization", bearer(token))
                .json(&json!({"role": "user"})),
        )
    };
    // The two admins demote each other at the same moment: at most one can win. Several
    // rounds, so that the two statements really overlap (on PostgreSQL, READ COMMITTED
    // lets each see the other admin still in place unless the rows are locked).
    let mut last_round = (0, 0);
    for round in 0..12 {
        app.make_admin("alice-admin@example.com").await;
        app.make_admin("bob-admin@example.com").await;
        let (by_alice, by_bob) = tokio::join!(demote(&alice, bob_id), demote(&bob, alice_id));
        let statuses = [by_alice.status, by_bob.status];
        assert_eq!(
            statuses.iter().filter(|s| **s == 200).count(),
            1,
            "round {round}: {statuses:?}"
        );
        assert!(statuses.iter().all(|s| [200, 403, 409].contains(s)), "{statuses:?}");
        let admins: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM users WHERE role = 'admin'")
            .fetch_one(&app.db)
            .await
            .unwrap();
        assert_eq!(admins, 1, "round {round}");
        last_round = (by_alice.status, by_bob.status);
    }
    let (by_alice, _) = last_round;

    // The one left cannot delete their own account.
    let last = if by_alice == 200 { &alice } else { &bob };
    let refused = app
        .send(
            app.client
                .delete(app.url("/auth/me"))
                .header("Authorization", bearer(last))
                .json(&json!({"password": PASSWORD})),
        )
        .await;
    assert_eq!(refused.status, 409, "{}", refused.text);
    assert!(refused.body["detail"].as_str().unwrap().contains("at least one admin"));
    assert_eq!(app.user_count().await, 2);
}

#[tokio::test]
async fn no_endpoint_gives_a_non_admin_another_users_data() {
    let app = TestApp::spawn().await;
    let (alice_id, alice) = app.user_with_token("alice@example.com").await;
    let (bob_id, bob) = app.user_with_token("bob@example.com").await;
    let as_alice = |request: reqwest::RequestBuilder| app.send(request.header("Authorization", bearer(&alice)));

    // Every place an id is accepted.
    assert_eq!(as_alice(app.client.get(app.url("/admin/users"))).await.status, 403);
    for (path, body) in [
        (format!("/admin/users/{bob_id}"), json!({"role": "user"})),
        ("/admin/users/role".to_owned(), json!({"id": bob_id, "role": "user"})),
    ] {
        let reply = as_alice(app.client.patch(app.url(&path)).json(&body)).await;
        assert_eq!(reply.status, 403, "{path}: {}", reply.text);
        assert!(!reply.text.contains("bob"), "{}", reply.text);
    }
    // Endpoints about "me" are about Alice, whatever she sends.
    let me = as_alice(app.client.get(app.url(&format!("/auth/me?id={bob_id}")))).await;
    assert_eq!(me.body["id"], alice_id);
    let account = as_alice(app.client.get(app.url(&format!("/auth/account?id={bob_id}")))).await;
    assert_eq!(account.body["id"], alice_id);
    let patched = as_alice(
        app.client
            .patch(app.url("/auth/me"))
            .json(&json!({"username": "x", "id": bob_id})),
    )
    .await;
    assert_eq!(patched.status, 422, "no id can be passed");
    // A token naming Bob but carrying Alice's session is refused (sessions are per user).
    let forged_sub = {
        use jsonwebtoken::{Algorithm, EncodingKey, Header};
        let now = jsonwebtoken::get_current_timestamp();
        let claims = json!({"sub": bob_id.to_string(), "iat": now, "exp": now + 600, "iss": "authkit", "aud": "authkit",
            "jti": "x", "sid": sid_of(&alice)});
        jsonwebtoken::encode(
            &Header::new(Algorithm::HS256),
            &claims,
            &EncodingKey::from_secret(SECRET),
        )
        .unwrap()
    };
    assert_eq!(app.me_status(&forged_sub).await, 401);
    // Bob is untouched.
    assert_eq!(app.me(Some(&bearer(&bob))).await.body["email"], "bob@example.com");
}

/// Issue 21 (8): a stale refresh cookie proves the session's token was copied. The proof is
/// acted on at once, even while the session's refresh allowance is spent: a thief who
/// refreshes quickly must not buy time for the stolen session by holding its allowance.
#[tokio::test]
async fn a_reused_refresh_cookie_ends_its_session_even_past_the_session_allowance() {
    let app = TestApp::spawn_with(&[("REFRESH_RATE_PER_SESSION_PER_MINUTE", "2")]).await;
    app.signup("held@example.com", "h").await;
    let (_, stolen) = app.session("held@example.com", PASSWORD).await;
    // The thief refreshes with the copied cookie until the session's allowance is spent.
    let first = app.refresh(&stolen).await;
    let second = app.refresh(&refresh_cookie(&first).unwrap()).await;
    assert_eq!((first.status, second.status), (200, 200), "{}", second.text);
    let thief_access = second.body["access_token"].as_str().unwrap().to_owned();
    // The owner's browser still holds the first cookie: presenting it proves the reuse.
    let owner = app.refresh(&stolen).await;
    assert_eq!(
        owner.status, 401,
        "reuse is judged before the allowance: {}",
        owner.text
    );
    assert_eq!(owner.body["code"], "invalid_token");
    assert_eq!(app.me_status(&thief_access).await, 401, "the stolen session is over");
}

/// Issue 21 (7): a password change and the end of the other sessions are one change. If
/// ending the sessions fails, the password stays as it was (and the old sessions with it).
#[tokio::test]
async fn a_password_change_that_cannot_end_the_sessions_changes_nothing() {
    let app = TestApp::spawn().await;
    app.signup("atomic@example.com", "a").await;
    let (token, _) = app.session("atomic@example.com", PASSWORD).await;
    refuse_session_revocations(&app).await;
    let changed = app
        .post_with(
            "/auth/password",
            Some(&bearer(&token)),
            None,
            json!({"current_password": PASSWORD, "new_password": NEW_PASSWORD}),
        )
        .await;
    assert_eq!(changed.status, 500, "{}", changed.text);
    allow_session_revocations(&app).await;
    assert_eq!(
        app.login("atomic@example.com", PASSWORD).await.status,
        200,
        "the old password stands"
    );
    assert_eq!(app.login("atomic@example.com", NEW_PASSWORD).await.status, 401);
}

/// Makes the database refuse to end any session (a fault between a change and the end of
/// the sessions it must end).
pub async fn refuse_session_revocations(app: &TestApp) {
    let statements: &[&'static str] = if app.postgres {
        &[
            "CREATE FUNCTION refuse_revocation() RETURNS trigger AS $$ \
             BEGIN RAISE EXCEPTION 'sessions cannot be ended now'; END $$ LANGUAGE plpgsql",
            "CREATE TRIGGER refuse_revocation BEFORE UPDATE OF revoked_at ON sessions \
             FOR EACH ROW EXECUTE FUNCTION refuse_revocation()",
        ]
    } else {
        &[
            "CREATE TRIGGER refuse_revocation BEFORE UPDATE OF revoked_at ON sessions \
           BEGIN SELECT RAISE(ABORT, 'sessions cannot be ended now'); END",
        ]
    };
    for statement in statements {
        sqlx::query(*statement).execute(&app.db).await.expect("trigger created");
    }
}

pub async fn allow_session_revocations(app: &TestApp) {
    let statement = app.pick(
        "DROP TRIGGER refuse_revocation",
        "DROP TRIGGER refuse_revocation ON sessions",
    );
    sqlx::query(statement).execute(&app.db).await.expect("trigger dropped");
}
