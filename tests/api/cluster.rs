//! Several real server processes on one PostgreSQL database behave as one server: what
//! one instance decides (sessions, logouts, throttles, roles, the development signing key)
//! holds on the others at once. Plus PostgreSQL restarting under a running instance, and
//! moving an SQLite deployment over with `copy-data`.
//!
//! These need PostgreSQL: `make unit` runs them with `TEST_DATABASE_URL` set by
//! `scripts/with-postgres.sh` (and leaves them out of the SQLite pass).

use super::database::{fresh_postgres_database, postgres_server};
use super::helpers::{PASSWORD, Reply, bearer, claims_of, refresh_cookie};
use super::process::{Server, signup};
use serde_json::{Value, json};
use std::path::Path;
use std::process::Command;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

fn server_url() -> String {
    postgres_server().expect("the cluster tests need PostgreSQL: run them through `make unit` or set TEST_DATABASE_URL")
}

/// Two instances, each with its own data folder, on one fresh PostgreSQL database.
struct Pair {
    url: String,
    a: Server,
    b: Server,
    client: reqwest::Client,
    _dirs: (tempfile::TempDir, tempfile::TempDir),
}

impl Pair {
    async fn start(extra: &[(&str, &str)]) -> Self {
        Self::start_with(extra, &[]).await
    }

    /// `only_b`: settings of the second instance alone (its process environment).
    async fn start_with(extra: &[(&str, &str)], only_b: &[(&str, &str)]) -> Self {
        let url = fresh_postgres_database(&server_url(), "pair").await;
        // Plain http here: the refresh cookie is `refresh_token`, not `__Host-…`.
        let mut settings = vec![("DATABASE_URL", url.as_str()), ("COOKIE_SECURE", "false")];
        settings.extend_from_slice(extra);
        let mut settings_b = settings.clone();
        settings_b.extend_from_slice(only_b);
        let (dir_a, dir_b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
        // Started at the same moment: both run the migrations at start.
        let (a, b) = tokio::join!(
            Server::start(dir_a.path(), &settings),
            Server::start(dir_b.path(), &settings_b)
        );
        tokio::join!(a.wait_ready(), b.wait_ready());
        Self {
            url,
            a,
            b,
            client: reqwest::Client::new(),
            _dirs: (dir_a, dir_b),
        }
    }
}

/// The refresh cookie an answer sets (none when it clears it).
fn cookie_of(reply: &Reply) -> Option<String> {
    refresh_cookie(reply).filter(|cookie| !cookie.is_empty())
}

fn token(answer: &Reply) -> String {
    answer.body["access_token"].as_str().expect("access token").to_owned()
}

/// Also without `JWT_SECRET`: the instances share the key the first one stored.
#[tokio::test]
async fn a_login_on_one_instance_holds_on_the_other_and_a_logout_ends_it_everywhere() {
    let pair = Pair::start(&[("JWT_SECRET", "")]).await;
    let c = &pair.client;
    assert_eq!(signup(c, &pair.a.base, "ann@example.com").await, Some(200));
    let login = pair.a.login("ann@example.com", PASSWORD).await;
    assert_eq!(login.status, 200);
    let on_a = token(&login);
    let me = pair.b.call("GET", "/auth/me", Some(&on_a), None, None).await;
    assert_eq!(me.status, 200, "{}", me.body);
    assert_eq!(me.body["email"], "ann@example.com");

    let refreshed = pair
        .b
        .call("POST", "/auth/refresh", None, cookie_of(&login).as_deref(), None)
        .await;
    assert_eq!(refreshed.status, 200, "{}", refreshed.body);
    let changed = pair
        .b
        .call(
            "POST",
            "/auth/password",
            Some(&token(&refreshed)),
            None,
            Some(json!({"current_password": PASSWORD, "new_password": "a brand new passphrase 42"})),
        )
        .await;
    assert_eq!(changed.status, 200, "{}", changed.body);
    assert_eq!(
        pair.a.login("ann@example.com", PASSWORD).await.status,
        401,
        "A knows the new password"
    );
    let session = token(&changed);
    assert_eq!(
        pair.a.call("GET", "/auth/me", Some(&session), None, None).await.status,
        200
    );

    let logout = pair.a.call("POST", "/auth/logout", Some(&session), None, None).await;
    assert_eq!(logout.status, 200, "{}", logout.body);
    let after = pair.b.call("GET", "/auth/me", Some(&session), None, None).await;
    assert_eq!(after.status, 401, "logged out on A, refused on B at once");
}

#[tokio::test]
async fn wrong_passwords_spread_over_instances_count_against_one_limit() {
    let pair = Pair::start(&[("LOGIN_MAX_FAILURES", "4")]).await;
    let c = &pair.client;
    assert_eq!(signup(c, &pair.a.base, "bob@example.com").await, Some(200));
    for server in [&pair.a, &pair.b, &pair.a, &pair.b] {
        assert_eq!(server.login("bob@example.com", "wrong guess").await.status, 401);
    }
    // A fifth guess on either instance is refused before the password is even checked.
    assert_eq!(pair.a.login("bob@example.com", "wrong guess").await.status, 429);
    assert_eq!(pair.b.login("bob@example.com", PASSWORD).await.status, 429);
}

/// Debian's libfaketime (`make test-tools`): preloaded into a process, it shifts what the
/// process's clock reads by `FAKETIME`.
fn libfaketime() -> String {
    ["x86_64-linux-gnu", "aarch64-linux-gnu"]
        .iter()
        .map(|arch| format!("/usr/lib/{arch}/faketime/libfaketimeMT.so.1"))
        .find(|path| Path::new(path).exists())
        .expect("libfaketime is not installed: run `make test-tools` (Debian's faketime)")
}

/// Issue 21 (6): the second instance runs with its clock ten minutes behind (libfaketime).
/// It shares the throttles' buckets with the first, and its writes must never move a
/// bucket's time back: otherwise the next instance counts the skew as time in which the
/// bucket drained, and guesses alternated between the two would never meet the limit.
#[tokio::test]
async fn an_instance_with_its_clock_behind_drains_no_shared_bucket() {
    let library = libfaketime();
    let pair = Pair::start_with(
        &[("LOGIN_MAX_FAILURES", "4")],
        // Tokio's timers keep the true monotonic clock; only the wall clock is behind.
        &[
            ("LD_PRELOAD", &library),
            ("FAKETIME", "-600"),
            ("FAKETIME_DONT_FAKE_MONOTONIC", "1"),
        ],
    )
    .await;
    let c = &pair.client;
    // The skew is real: the same moment, as each instance's tokens say it.
    assert_eq!(signup(c, &pair.a.base, "clock@example.com").await, Some(200));
    let at_a = claims_of(&token(&pair.a.login("clock@example.com", PASSWORD).await))["iat"]
        .as_i64()
        .unwrap();
    let at_b = claims_of(&token(&pair.b.login("clock@example.com", PASSWORD).await))["iat"]
        .as_i64()
        .unwrap();
    assert!((590..=610).contains(&(at_a - at_b)), "b is behind by {} s", at_a - at_b);

    assert_eq!(signup(c, &pair.a.base, "bob@example.com").await, Some(200));
    let mut statuses = Vec::new();
    for server in [&pair.a, &pair.b, &pair.a, &pair.b, &pair.a, &pair.b, &pair.a, &pair.b] {
        statuses.push(server.login("bob@example.com", "wrong guess").await.status);
    }
    assert_eq!(statuses, [401, 401, 401, 401, 429, 429, 429, 429]);
}

#[tokio::test]
async fn refreshes_spread_over_instances_count_against_one_limit() {
    let pair = Pair::start(&[("REFRESH_RATE_PER_SESSION_PER_MINUTE", "4")]).await;
    let c = &pair.client;
    assert_eq!(signup(c, &pair.a.base, "fin@example.com").await, Some(200));
    let mut cookie = cookie_of(&pair.a.login("fin@example.com", PASSWORD).await);
    for server in [&pair.a, &pair.b, &pair.a, &pair.b] {
        let refreshed = server
            .call("POST", "/auth/refresh", None, cookie.as_deref(), None)
            .await;
        assert_eq!(refreshed.status, 200, "{}", refreshed.body);
        cookie = cookie_of(&refreshed);
    }
    let refused = pair
        .a
        .call("POST", "/auth/refresh", None, cookie.as_deref(), None)
        .await;
    assert_eq!(refused.status, 429, "{}", refused.body);
}

#[tokio::test]
async fn one_refresh_cookie_at_two_instances_at_once_gives_one_success_and_ends_the_session() {
    let pair = Pair::start(&[]).await;
    let c = &pair.client;
    assert_eq!(signup(c, &pair.a.base, "cat@example.com").await, Some(200));
    for round in 0..5 {
        let login = pair.a.login("cat@example.com", PASSWORD).await;
        let cookie = cookie_of(&login).expect("refresh cookie");
        let (on_a, on_b) = tokio::join!(
            pair.a.call("POST", "/auth/refresh", None, Some(&cookie), None),
            pair.b.call("POST", "/auth/refresh", None, Some(&cookie), None),
        );
        let statuses = [on_a.status, on_b.status];
        assert_eq!(
            statuses.iter().filter(|s| **s == 200).count(),
            1,
            "round {round}: {statuses:?}"
        );
        // The loser presented a token that had just been used: reuse, so the session is
        // revoked and the winner's new cookie and token die with it.
        let winner = if on_a.status == 200 { on_a } else { on_b };
        let again = pair
            .b
            .call("POST", "/auth/refresh", None, cookie_of(&winner).as_deref(), None)
            .await;
        assert_eq!(again.status, 401, "round {round}");
        let me = pair.a.call("GET", "/auth/me", Some(&token(&winner)), None, None).await;
        assert_eq!(me.status, 401, "round {round}");
    }
}

#[tokio::test]
async fn a_role_change_through_one_instance_applies_to_the_others_next_request() {
    let pair = Pair::start(&[]).await;
    let c = &pair.client;
    assert_eq!(signup(c, &pair.a.base, "root@example.com").await, Some(200));
    assert_eq!(signup(c, &pair.a.base, "dan@example.com").await, Some(200));
    let db = sqlx::PgPool::connect(&pair.url).await.unwrap();
    sqlx::query("UPDATE users SET role = 'admin' WHERE email = 'root@example.com'")
        .execute(&db)
        .await
        .unwrap();
    let root = token(&pair.a.login("root@example.com", PASSWORD).await);
    let dan_login = pair.b.login("dan@example.com", PASSWORD).await;
    let dan = token(&dan_login);
    assert_eq!(
        pair.b.call("GET", "/admin/users", Some(&dan), None, None).await.status,
        403
    );
    let dan_id = dan_login_id(&pair.b, &dan).await;
    let promoted = pair
        .a
        .call(
            "PATCH",
            &format!("/admin/users/{dan_id}"),
            Some(&root),
            None,
            Some(json!({"role": "admin"})),
        )
        .await;
    assert_eq!(promoted.status, 200, "{}", promoted.body);
    assert_eq!(
        pair.b.call("GET", "/admin/users", Some(&dan), None, None).await.status,
        200,
        "B applies A's change on the next request"
    );
}

async fn dan_login_id(server: &Server, token: &str) -> i64 {
    server.call("GET", "/auth/me", Some(token), None, None).await.body["id"]
        .as_i64()
        .expect("id")
}

#[tokio::test]
async fn killing_one_instance_during_signups_loses_no_answered_signup_and_the_other_serves_on() {
    let mut pair = Pair::start(&[]).await;
    let c = pair.client.clone();
    let answered_on_a = Arc::new(AtomicUsize::new(0));
    let load: Vec<_> = (0..60)
        .map(|i| {
            let (c, base) = (
                c.clone(),
                if i % 2 == 0 {
                    pair.a.base.clone()
                } else {
                    pair.b.base.clone()
                },
            );
            let answered_on_a = answered_on_a.clone();
            tokio::spawn(async move {
                let email = format!("load{i}@example.com");
                let status = signup(&c, &base, &email).await;
                if status == Some(200) && i % 2 == 0 {
                    answered_on_a.fetch_add(1, Ordering::SeqCst);
                }
                (status, email)
            })
        })
        .collect();
    // Kill A mid-load: as soon as it has answered a few signups, while others still run.
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    while answered_on_a.load(Ordering::SeqCst) < 3 && std::time::Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    pair.a.child.kill().unwrap();
    pair.a.child.wait().unwrap();
    let (mut answered, mut on_a, mut lost_on_a) = (Vec::new(), 0, 0);
    for (i, request) in load.into_iter().enumerate() {
        let (status, email) = request.await.unwrap();
        if status == Some(200) {
            answered.push(email);
            on_a += usize::from(i % 2 == 0);
        } else {
            lost_on_a += usize::from(i % 2 == 0);
        }
    }
    assert!(
        on_a > 0,
        "no signup on A was answered before the kill; the test proves nothing"
    );
    assert!(
        lost_on_a > 0,
        "every signup on A finished before the kill; the test proves nothing"
    );
    for email in &answered {
        assert_eq!(pair.b.login(email, PASSWORD).await.status, 200, "{email}");
    }
    assert_eq!(
        signup(&c, &pair.b.base, "after@example.com").await,
        Some(200),
        "B serves on"
    );
}

// ------------------------------------------------------------------ PostgreSQL restarts

/// A PostgreSQL server of this test's own (the suite's shared one must stay up), which the
/// test can stop and start again.
struct OwnPostgres {
    dir: tempfile::TempDir,
    url: String,
}

fn scripts() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts")
}

impl OwnPostgres {
    fn start() -> Self {
        let dir = tempfile::tempdir().unwrap();
        std::fs::set_permissions(dir.path(), std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let out = Command::new("bash")
            .arg(scripts().join("pg.sh"))
            .args(["start", &self_dir(dir.path()), &port.to_string()])
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        let url = String::from_utf8(out.stdout).unwrap().trim().to_owned();
        Self { dir, url }
    }

    /// `pause` (stop, keeping the data) or `resume` (start again on the same port).
    fn pg_sh(&self, action: &str) {
        let status = Command::new("bash")
            .arg(scripts().join("pg.sh"))
            .args([action, &self_dir(self.dir.path())])
            .status()
            .unwrap();
        assert!(status.success(), "pg.sh {action}");
    }
}

fn self_dir(dir: &Path) -> String {
    format!("{}/pg", dir.display())
}

impl Drop for OwnPostgres {
    fn drop(&mut self) {
        let _ = Command::new("bash")
            .arg(scripts().join("pg.sh"))
            .args(["stop", &self_dir(self.dir.path())])
            .status();
    }
}

#[tokio::test]
async fn postgres_restarting_under_a_running_instance_gives_503_then_recovers_by_itself() {
    let postgres = OwnPostgres::start();
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(
        dir.path(),
        &[("DATABASE_URL", &postgres.url), ("DATABASE_ACQUIRE_TIMEOUT_MS", "1000")],
    )
    .await;
    server.wait_ready().await;
    let c = reqwest::Client::new();
    assert_eq!(signup(&c, &server.base, "eve@example.com").await, Some(200));
    let session = token(&server.login("eve@example.com", PASSWORD).await);

    let health = |path: &'static str| {
        let c = c.clone();
        let url = format!("{}{path}", server.base);
        async move { c.get(url).send().await.unwrap().status().as_u16() }
    };
    assert_eq!(health("/health/ready").await, 200);

    postgres.pg_sh("pause");
    // The balancer is told to send nobody here; the process itself is fine.
    assert_eq!(health("/health/ready").await, 503);
    assert_eq!(health("/health/live").await, 200);
    for attempt in 0..3 {
        let started = std::time::Instant::now();
        let response = c
            .get(format!("{}/auth/me", server.base))
            .header("Authorization", bearer(&session))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status().as_u16(), 503, "attempt {attempt}");
        assert!(response.headers().get("retry-after").is_some());
        let body: Value = response.json().await.unwrap();
        assert!(body["detail"].is_string(), "{body}");
        // The pool gives up after DATABASE_ACQUIRE_TIMEOUT_MS instead of hanging (a wide
        // bound: this is about not hanging, not about speed).
        assert!(started.elapsed() < Duration::from_secs(10), "{:?}", started.elapsed());
        let login = server.login("eve@example.com", PASSWORD).await;
        assert_eq!(login.status, 503, "attempt {attempt}: {}", login.body);
    }

    postgres.pg_sh("resume");
    let mut recovered = false;
    for _ in 0..50 {
        let me = server.call("GET", "/auth/me", Some(&session), None, None).await;
        if me.status == 200 {
            recovered = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert!(recovered, "the instance did not recover after PostgreSQL came back");
    assert_eq!(health("/health/ready").await, 200);
    assert_eq!(server.login("eve@example.com", PASSWORD).await.status, 200);
}

// ------------------------------------------------------------------ copy-data

fn authkit(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_authkit"))
        .args(args)
        .env("LEPTOS_OUTPUT_NAME", "authkit")
        .env("RUST_LOG", "warn")
        .output()
        .expect("authkit runs")
}

#[tokio::test]
async fn copy_data_moves_users_and_live_sessions_from_sqlite_to_postgres() {
    let dir = tempfile::tempdir().unwrap();
    let sqlite = format!("sqlite://{}", dir.path().join("old.db").display());
    let c = reqwest::Client::new();
    let old = Server::start(dir.path(), &[("DATABASE_URL", &sqlite), ("COOKIE_SECURE", "false")]).await;
    old.wait_ready().await;
    for email in ["fay@example.com", "gus@example.com", "gone@example.com"] {
        assert_eq!(signup(&c, &old.base, email).await, Some(200));
    }
    // Fay opens her verification link (a second factor needs a proven address)…
    let mails = super::mail::wait_for_mails(dir.path(), super::mail::VERIFY, 3).await;
    let mail = mails
        .iter()
        .find(|mail| mail.contains("To: fay@example.com"))
        .expect("Fay's link");
    let link = super::mail::link_token(mail, "/verify-email");
    let verified = old
        .call("POST", "/auth/verify-email", None, None, Some(json!({"token": link})))
        .await;
    assert_eq!(verified.status, 200, "{}", verified.text);
    let login = old.login("fay@example.com", PASSWORD).await;
    // …and turns on an authenticator app: her second factor must survive the move.
    let fay = token(&login);
    let cookie = cookie_of(&login).expect("refresh cookie");
    let setup = old
        .call(
            "POST",
            "/auth/totp/setup",
            Some(&fay),
            None,
            Some(json!({"password": PASSWORD})),
        )
        .await;
    assert_eq!(setup.status, 200, "{}", setup.body);
    let seed = totp_rs::Secret::Encoded(setup.body["secret"].as_str().unwrap().to_owned())
        .to_bytes()
        .unwrap();
    let now = || {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs() as i64
    };
    let code = |offset: i64| {
        authkit::server::second_factor::totp::code_at_step(
            &seed,
            authkit::server::second_factor::totp::step_at(now()) + offset,
        )
    };
    let enabled = old
        .call(
            "POST",
            "/auth/totp/enable",
            Some(&fay),
            None,
            Some(json!({"code": code(0)})),
        )
        .await;
    assert_eq!(enabled.status, 200, "{}", enabled.body);
    // A deleted user's id is never handed out again, on PostgreSQL either.
    let gone = token(&old.login("gone@example.com", PASSWORD).await);
    let deleted = old
        .call(
            "DELETE",
            "/auth/me",
            Some(&gone),
            None,
            Some(json!({"password": PASSWORD})),
        )
        .await;
    assert_eq!(deleted.status, 200, "{}", deleted.body);
    drop(old);
    // Fay had verified her address: that is copied too.
    sqlx::any::install_default_drivers();
    let source = sqlx::AnyPool::connect(&sqlite).await.unwrap();
    sqlx::query("UPDATE users SET email_verified_at = 1767225600 WHERE email = 'fay@example.com'")
        .execute(&source)
        .await
        .unwrap();
    // And a passkey (its credential as webauthn-rs stores it).
    sqlx::query(
        "INSERT INTO passkeys (credential_id, user_id, name, credential, created_at) \
         SELECT 'cred-1', id, 'Laptop', '{}', 1767225600 FROM users WHERE email = 'fay@example.com'",
    )
    .execute(&source)
    .await
    .unwrap();
    source.close().await;

    let target = fresh_postgres_database(&server_url(), "copy").await;
    let copied = authkit(&["copy-data", "--from", &sqlite, "--to", &target]);
    assert!(copied.status.success(), "{}", String::from_utf8_lossy(&copied.stderr));
    let stdout = String::from_utf8_lossy(&copied.stdout);
    let lines: Vec<&str> = stdout.trim().lines().collect();
    // It first names both databases (the SQLite file by its absolute path), then what it did.
    assert_eq!(lines.len(), 2, "{stdout}");
    assert!(lines[0].starts_with("copying from sqlite:///"), "{stdout}");
    assert!(lines[0].ends_with(&format!(" to {target}")), "{stdout}");
    assert_eq!(
        lines[1],
        // Signup starts a session too: gus's signup; and fay's login (turning her app on
        // ended every other session of hers, her signup's).
        "copied 2 users (0 admins) and 2 live sessions"
    );
    let again = authkit(&["copy-data", "--from", &sqlite, "--to", &target]);
    assert!(!again.status.success(), "a non-empty target is refused");
    assert!(String::from_utf8_lossy(&again.stderr).contains("not empty"));

    let new_dir = tempfile::tempdir().unwrap();
    let new = Server::start(new_dir.path(), &[("DATABASE_URL", &target), ("COOKIE_SECURE", "false")]).await;
    new.wait_ready().await;
    let refreshed = new.call("POST", "/auth/refresh", None, Some(&cookie), None).await;
    assert_eq!(
        refreshed.status, 200,
        "the old refresh cookie works: {}",
        refreshed.body
    );
    let me = new.call("GET", "/auth/me", Some(&token(&refreshed)), None, None).await;
    assert_eq!(me.body["email"], "fay@example.com");
    let account = new
        .call("GET", "/auth/account", Some(&token(&refreshed)), None, None)
        .await;
    assert_eq!(account.body["email_verified"], true, "{}", account.body);
    assert_eq!(account.body["second_factor"], true, "{}", account.body);
    let passkeys = new
        .call("GET", "/auth/passkeys", Some(&token(&refreshed)), None, None)
        .await;
    assert_eq!(passkeys.body["passkeys"][0]["name"], "Laptop", "{}", passkeys.body);
    // Her password alone is not enough on the new database either, and her app still works
    // (the seed was copied sealed, and opens under the same JWT_SECRET).
    let password_step = new.login("fay@example.com", PASSWORD).await;
    assert_eq!(password_step.status, 401, "{}", password_step.body);
    let finished = new
        .call(
            "POST",
            "/auth/login/mfa",
            None,
            None,
            Some(json!({"mfa_token": password_step.body["mfa_token"], "code": code(1)})),
        )
        .await;
    assert_eq!(finished.status, 200, "{}", finished.body);
    assert_eq!(new.login("gus@example.com", PASSWORD).await.status, 200);
    assert_eq!(signup(&c, &new.base, "new@example.com").await, Some(200));
    let ids = new.login("new@example.com", PASSWORD).await;
    let new_id = new.call("GET", "/auth/me", Some(&token(&ids)), None, None).await.body["id"]
        .as_i64()
        .unwrap();
    assert_eq!(new_id, 4, "ids continue after the highest ever used (3, deleted)");
}

// ------------------------------------------------------------------ concurrency in the stores

/// A fresh PostgreSQL database, migrated, for a test that talks to the stores directly.
async fn store_database(label: &str) -> authkit::server::platform::database::Database {
    use authkit::server::platform::database::{Backend, Database, DatabaseSettings};
    Database::open(&DatabaseSettings {
        url: fresh_postgres_database(&server_url(), label).await,
        backend: Backend::Postgres,
        max_connections: 8,
        acquire_timeout: Duration::from_secs(10),
    })
    .await
    .expect("test database")
}

/// Two admins demoting each other at the same instant, straight at the store (no HTTP in
/// between, so the statements really overlap), many times: PostgreSQL's READ COMMITTED
/// would let both see the other still an admin unless the guard locks the admin rows.
#[tokio::test]
async fn the_last_admin_guard_holds_when_demotions_race_on_postgres() {
    use authkit::api::Role;
    use authkit::server::account::users::{Guarded, UserStore};
    use authkit::validation::{Email, Username};
    let database = store_database("guard").await;
    let users = UserStore::new(&database);
    let mut ids = Vec::new();
    for name in ["a", "b"] {
        let email = Email::parse(&format!("{name}@example.com")).unwrap();
        let username = Username::parse(name).unwrap();
        ids.push(users.create(&email, &username, "hash", Role::Admin).await.unwrap().id);
    }
    for round in 0..200 {
        for id in &ids {
            users.set_role(*id, Role::Admin).await.unwrap();
        }
        let (first, second) = tokio::join!(users.set_role(ids[0], Role::User), users.set_role(ids[1], Role::User));
        let won = [first.unwrap(), second.unwrap()]
            .iter()
            .filter(|outcome| matches!(outcome, Guarded::Done(_)))
            .count();
        assert_eq!(won, 1, "round {round}: both or neither demotion went through");
    }
}

/// A login that verified the old password races a password change ("revoke every
/// session"): whichever comes first, no session started from the old password survives.
#[tokio::test]
async fn no_session_from_an_old_password_survives_a_racing_password_change_on_postgres() {
    use authkit::api::Role;
    use authkit::server::account::users::UserStore;
    use authkit::server::sessions::store::SessionStore;
    use authkit::validation::{Email, Username};
    let database = store_database("race").await;
    let users = UserStore::new(&database);
    let key = secrecy::SecretSlice::from(vec![7u8; 32]);
    let sessions = SessionStore::new(&database, Duration::from_secs(3600), &key, None);
    let email = Email::parse("race@example.com").unwrap();
    let username = Username::parse("race").unwrap();
    let id = users.create(&email, &username, "hash-0", Role::User).await.unwrap().id;
    let mut survived = 0;
    for round in 1..=200 {
        let old = format!("hash-{}", round - 1);
        let new = format!("hash-{round}");
        let change = async {
            users.update_password_hash(id, &new).await.unwrap();
            sessions.revoke_all(id).await.unwrap();
        };
        let (created, ()) = tokio::join!(sessions.create(id, &old), change);
        if let Some(issued) = created.unwrap() {
            // What every authenticated request asks: is this session of this user active?
            let active = users.find_in_active_session(id, &issued.session_id).await.unwrap();
            survived += usize::from(active.is_some());
        }
    }
    assert_eq!(
        survived, 0,
        "sessions started from a replaced password are still active"
    );
}

/// Every connection of the pool is stuck (here: behind a table lock another client holds):
/// requests are answered 503 when no connection comes free in time, never left hanging,
/// and everything works again once the lock is gone.
#[tokio::test]
async fn a_pool_with_no_free_connection_answers_503_instead_of_hanging() {
    use sqlx::{Connection, Executor};
    let url = fresh_postgres_database(&server_url(), "pool").await;
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(
        dir.path(),
        &[
            ("DATABASE_URL", &url),
            ("DATABASE_MAX_CONNECTIONS", "1"),
            ("DATABASE_ACQUIRE_TIMEOUT_MS", "500"),
            ("REQUEST_TIMEOUT_MS", "3000"),
        ],
    )
    .await;
    server.wait_ready().await;
    let c = reqwest::Client::new();
    assert_eq!(signup(&c, &server.base, "hal@example.com").await, Some(200));
    let session = token(&server.login("hal@example.com", PASSWORD).await);

    let mut locker = sqlx::PgConnection::connect(&url).await.unwrap();
    locker.execute("BEGIN").await.unwrap();
    locker
        .execute("LOCK TABLE sessions IN ACCESS EXCLUSIVE MODE")
        .await
        .unwrap();
    let started = std::time::Instant::now();
    let me = || server.call("GET", "/auth/me", Some(&session), None, None);
    // One request takes the only connection and waits on the lock; the others find no free
    // connection within DATABASE_ACQUIRE_TIMEOUT_MS.
    let (first, second, third) = tokio::join!(me(), me(), me());
    for answer in [&first, &second, &third] {
        assert_eq!(answer.status, 503, "{}", answer.body);
        assert!(answer.body["detail"].is_string(), "{}", answer.body);
    }
    // A wide bound: this is about not hanging (the request timeout is 3 s), not about speed.
    assert!(started.elapsed() < Duration::from_secs(15), "{:?}", started.elapsed());

    locker.execute("ROLLBACK").await.unwrap();
    let mut recovered = false;
    for _ in 0..50 {
        if me().await.status == 200 {
            recovered = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(recovered, "the pool did not recover after the lock was released");
}
