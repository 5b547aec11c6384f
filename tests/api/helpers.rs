//! Test harness: the real application, started in-process on 127.0.0.1:0 with a fresh
//! temporary database (`TestApp`), driven over HTTP through `Api` — the same client the
//! process and cluster tests use for the binary they start (`process::Server`); plus the
//! helpers more than one test module uses.

use super::database::{database_url_for, postgres_server};
use authkit::server::{App, Config};
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use leptos::config::LeptosOptions;
use serde_json::{Value, json};
use sqlx::AnyPool;
use std::collections::HashMap;
use tempfile::TempDir;

pub const SECRET: &[u8] = b"test-secret-test-secret-test-secret-0123";
pub const PASSWORD: &str = "correct horse battery staple";
/// Throttles are generous by default so that tests which are not about them never trip
/// them (every test client is 127.0.0.1); tests about them pass their own settings.
/// The test server is plain http, so the refresh cookie is not `Secure` by default here,
/// or a cookie-aware client would not send it back (one test checks the real default).
const DEFAULTS: &[(&str, &str)] = &[
    ("AUTH_RATE_PER_IP_PER_MINUTE", "100000"),
    ("LOGIN_MAX_FAILURES", "100000"),
    ("LOGIN_ACCOUNT_MAX_FAILURES", "100000"),
    ("REFRESH_RATE_PER_SESSION_PER_MINUTE", "100000"),
    ("REFRESH_RATE_PER_IP_PER_MINUTE", "100000"),
    ("PASSWORD_CHECKS_PER_ACCOUNT_PER_MINUTE", "100000"),
    ("COOKIE_SECURE", "false"),
];

/// A client of one running server, in this process (`TestApp`) or in its own
/// (`process::Server`): every API test, whichever server it starts, speaks through this.
#[derive(Clone)]
pub struct Api {
    pub base: String,
    pub client: reqwest::Client,
}

impl Api {
    pub fn new(base: String) -> Self {
        Self {
            base,
            client: reqwest::Client::new(),
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }

    pub async fn send(&self, request: reqwest::RequestBuilder) -> Reply {
        let response = request
            .header("Accept", "application/json")
            .send()
            .await
            .expect("request sent");
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let text = response.text().await.expect("body");
        let body = serde_json::from_str(&text).unwrap_or(Value::Null);
        Reply {
            status,
            headers,
            body,
            text,
        }
    }

    pub async fn post_json(&self, path: &str, body: &Value) -> Reply {
        self.send(self.client.post(self.url(path)).json(body)).await
    }

    pub async fn post_raw(&self, path: &str, body: impl Into<reqwest::Body>) -> Reply {
        self.send(
            self.client
                .post(self.url(path))
                .header("Content-Type", "application/json")
                .body(body),
        )
        .await
    }

    /// A JSON POST with an optional `Authorization` header and refresh cookie.
    pub async fn post_with(&self, path: &str, authorization: Option<&str>, cookie: Option<&str>, body: Value) -> Reply {
        let mut request = self.client.post(self.url(path)).json(&body);
        if let Some(value) = authorization {
            request = request.header("Authorization", value);
        }
        if let Some(token) = cookie {
            request = request.header("Cookie", format!("refresh_token={token}"));
        }
        self.send(request).await
    }

    pub async fn signup(&self, email: &str, username: &str) -> Reply {
        self.post_json(
            "/auth/signup",
            &json!({"email": email, "password": PASSWORD, "username": username}),
        )
        .await
    }

    pub async fn login(&self, email: &str, password: &str) -> Reply {
        self.post_json("/auth/login", &json!({"email": email, "password": password}))
            .await
    }

    /// Logs in as a client behind our proxy (`TRUSTED_PROXIES` must list 127.0.0.1),
    /// optionally presenting a device cookie from an earlier login.
    pub async fn login_from(&self, client_ip: &str, email: &str, password: &str, device: Option<&str>) -> Reply {
        let mut request = self
            .client
            .post(self.url("/auth/login"))
            .header("X-Forwarded-For", client_ip)
            .json(&json!({"email": email, "password": password}));
        if let Some(device) = device {
            request = request.header("Cookie", format!("authkit_device={device}"));
        }
        self.send(request).await
    }

    /// Signs up and logs in; returns (user id, access token).
    pub async fn user_with_token(&self, email: &str) -> (i64, String) {
        let signed_up = self.signup(email, "someone").await;
        assert_eq!(signed_up.status, 200, "{}", signed_up.text);
        let logged_in = self.login(email, PASSWORD).await;
        assert_eq!(logged_in.status, 200, "{}", logged_in.text);
        let token = logged_in.body["access_token"].as_str().expect("token").to_owned();
        (signed_up.body["id"].as_i64().expect("id"), token)
    }

    /// Logs in; returns (access token, refresh cookie).
    pub async fn session(&self, email: &str, password: &str) -> (String, String) {
        let reply = self.login(email, password).await;
        assert_eq!(reply.status, 200, "{}", reply.text);
        let cookie = refresh_cookie(&reply).expect("login sets the refresh cookie");
        (reply.body["access_token"].as_str().unwrap().to_owned(), cookie)
    }

    pub async fn refresh(&self, cookie: &str) -> Reply {
        self.post_with("/auth/refresh", None, Some(cookie), json!({})).await
    }

    pub async fn me(&self, authorization: Option<&str>) -> Reply {
        let mut request = self.client.get(self.url("/auth/me"));
        if let Some(value) = authorization {
            request = request.header("Authorization", value);
        }
        self.send(request).await
    }

    /// `GET /auth/account` with this access token.
    pub async fn account(&self, token: &str) -> Reply {
        self.send(
            self.client
                .get(self.url("/auth/account"))
                .header("Authorization", bearer(token)),
        )
        .await
    }

    pub async fn me_status(&self, token: &str) -> u16 {
        self.me(Some(&bearer(token))).await.status
    }

    /// Any call: `method` on `path`, with an optional access token, refresh cookie and JSON
    /// body.
    pub async fn call(
        &self,
        method: &str,
        path: &str,
        token: Option<&str>,
        cookie: Option<&str>,
        body: Option<Value>,
    ) -> Reply {
        let method = reqwest::Method::from_bytes(method.as_bytes()).expect("an HTTP method");
        let mut request = self.client.request(method, self.url(path));
        if let Some(token) = token {
            request = request.header("Authorization", bearer(token));
        }
        if let Some(cookie) = cookie {
            request = request.header("Cookie", format!("refresh_token={cookie}"));
        }
        if let Some(body) = body {
            request = request.json(&body);
        }
        self.send(request).await
    }
}

/// The application in this process, with its database at hand.
pub struct TestApp {
    pub api: Api,
    /// The app's database, for tests that look at or change what is stored.
    pub db: AnyPool,
    /// Whether it is PostgreSQL (`TEST_DATABASE_URL`) rather than SQLite.
    pub postgres: bool,
    _dir: TempDir,
}

pub struct Reply {
    pub status: u16,
    pub headers: reqwest::header::HeaderMap,
    pub body: Value,
    pub text: String,
}

impl TestApp {
    pub async fn spawn() -> Self {
        Self::spawn_with(&[]).await
    }

    /// Starts the app with these environment settings on top of the test defaults, through
    /// the same startup code as the server binary (`App::build`, then `App::serve`, which
    /// passes the client address on as production does).
    pub async fn spawn_with(settings: &[(&str, &str)]) -> Self {
        Self::spawn_with_options(settings, LeptosOptions::builder().output_name("authkit").build()).await
    }

    /// As [`Self::spawn_with`], with Leptos options of the test's own (a site folder of
    /// its own, hashed file names).
    pub async fn spawn_with_options(settings: &[(&str, &str)], options: LeptosOptions) -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        let database_url = database_url_for(dir.path()).await;
        let mut vars: HashMap<String, String> = DEFAULTS
            .iter()
            .chain(settings)
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        vars.insert("DATA_DIR".into(), dir.path().display().to_string());
        vars.insert("DATABASE_URL".into(), database_url.clone());
        vars.entry("JWT_SECRET".into())
            .or_insert_with(|| String::from_utf8(SECRET.to_vec()).expect("utf-8 secret"));
        let config = Config::from_lookup(|name| vars.get(name).cloned()).expect("test config");
        let app = App::build(&config, options).await.expect("app builds");
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().expect("addr");
        tokio::spawn(async move {
            app.serve(listener, std::future::pending::<()>()).await.expect("serve");
        });
        sqlx::any::install_default_drivers();
        let db = AnyPool::connect(&database_url).await.expect("test db connection");
        Self {
            api: Api::new(format!("http://{addr}")),
            db,
            postgres: postgres_server().is_some(),
            _dir: dir,
        }
    }

    /// The SQL text for this test's engine, where a test's own SQL must differ.
    pub fn pick(&self, sqlite: &'static str, postgres: &'static str) -> &'static str {
        if self.postgres { postgres } else { sqlite }
    }

    /// The tables of the schema (without sqlx's bookkeeping).
    pub async fn table_names(&self) -> Vec<String> {
        sqlx::query_scalar(self.pick(
            "SELECT name FROM sqlite_master WHERE type = 'table' \
             AND name <> '_sqlx_migrations' AND name NOT LIKE 'sqlite_%'",
            "SELECT CAST(table_name AS TEXT) FROM information_schema.tables \
             WHERE table_schema = 'public' AND table_name <> '_sqlx_migrations'",
        ))
        .fetch_all(&self.db)
        .await
        .expect("table names")
    }

    /// The app's data folder (`DATA_DIR`); without `SMTP_URL`, mail is written to its
    /// `outbox/` folder.
    pub fn data_dir(&self) -> &std::path::Path {
        self._dir.path()
    }

    /// Signs up and logs in as `user_with_token` does, with the address proven (as if the
    /// mailed link had been opened): what adding a second factor or a passkey needs.
    pub async fn verified_user_with_token(&self, email: &str) -> (i64, String) {
        let (id, token) = self.user_with_token(email).await;
        self.mark_verified(id).await;
        (id, token)
    }

    pub async fn mark_verified(&self, id: i64) {
        sqlx::query("UPDATE users SET email_verified_at = 1764115200 WHERE id = $1")
            .bind(id)
            .execute(&self.db)
            .await
            .expect("address marked verified");
    }

    /// Deletes the user's row behind the app's back (as an operator or another instance
    /// would), so that tokens issued for it must stop working.
    pub async fn delete_user_row(&self, id: i64) {
        sqlx::query("DELETE FROM users WHERE id = $1")
            .bind(id)
            .execute(&self.db)
            .await
            .expect("user row deleted");
    }

    pub async fn user_count(&self) -> i64 {
        sqlx::query_scalar("SELECT COUNT(*) FROM users")
            .fetch_one(&self.db)
            .await
            .expect("count")
    }

    pub async fn make_admin(&self, email: &str) {
        sqlx::query("UPDATE users SET role = 'admin' WHERE email = $1")
            .bind(email)
            .execute(&self.db)
            .await
            .unwrap();
    }
}

impl std::ops::Deref for TestApp {
    type Target = Api;

    fn deref(&self) -> &Api {
        &self.api
    }
}

// ------------------------------------------------------------------ replies

/// The entries of a 422 in FastAPI's `HTTPValidationError` shape, each checked to have
/// its `type`, `loc` and `msg`.
pub fn validation_issues(reply: &Reply) -> Vec<Value> {
    assert_eq!(reply.status, 422, "{}", reply.text);
    let issues = reply.body["detail"]
        .as_array()
        .unwrap_or_else(|| panic!("a 422's detail is a list: {}", reply.text))
        .clone();
    assert!(!issues.is_empty(), "{}", reply.text);
    for issue in &issues {
        assert!(issue["type"].is_string() && issue["msg"].is_string(), "{issue}");
        assert!(issue["loc"].as_array().is_some_and(|loc| !loc.is_empty()), "{issue}");
    }
    issues
}

/// The message a 422 gives about body field `field`.
pub fn issue_about(reply: &Reply, field: &str) -> Option<String> {
    validation_issues(reply)
        .iter()
        .find(|issue| issue["loc"] == json!(["body", field]))
        .map(|issue| issue["msg"].as_str().unwrap_or_default().to_owned())
}

/// A response header as text, if present and visible ASCII.
pub fn header<'a>(reply: &'a Reply, name: &str) -> Option<&'a str> {
    reply.headers.get(name).and_then(|v| v.to_str().ok())
}

/// The value of the cookie `name` set by a response, if any.
pub fn set_cookie(reply: &Reply, name: &str) -> Option<String> {
    let prefix = format!("{name}=");
    reply
        .headers
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find_map(|c| {
            c.strip_prefix(&prefix)
                .map(|rest| rest.split(';').next().unwrap_or("").to_owned())
        })
}

/// The refresh token set by a response, if any.
pub fn refresh_cookie(reply: &Reply) -> Option<String> {
    set_cookie(reply, "refresh_token")
}

// ------------------------------------------------------------------ tokens

/// The `Authorization` header value for an access token.
pub fn bearer(token: &str) -> String {
    format!("Bearer {token}")
}

/// Base64url without padding, as in a JWT.
pub fn b64(bytes: &[u8]) -> String {
    use base64::Engine;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

/// The claims of an access token, read without verifying it.
pub fn claims_of(token: &str) -> Value {
    use base64::Engine;
    let payload = token.split('.').nth(1).expect("JWT payload");
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload)
        .expect("base64url");
    serde_json::from_slice(&bytes).expect("claims JSON")
}

/// The session id (`sid`) inside an access token, read without verifying it.
pub fn sid_of(token: &str) -> String {
    claims_of(token)["sid"].as_str().expect("sid claim").to_owned()
}

/// A token with these claims, signed with HMAC algorithm `alg` and `key`.
pub fn hmac_sign(alg: Algorithm, claims: &Value, key: &[u8]) -> String {
    jsonwebtoken::encode(&Header::new(alg), claims, &EncodingKey::from_secret(key)).unwrap()
}

/// A token with these claims, signed HS256 with `key` (as the server signs them).
pub fn mint(claims: &Value, key: &[u8]) -> String {
    hmac_sign(Algorithm::HS256, claims, key)
}

/// A token whose header is exactly `header_json`, HMAC-SHA256-signed with `key`.
pub fn mint_with_header(header_json: &Value, claims: &Value, key: &[u8]) -> String {
    let valid = mint(claims, key);
    let payload = valid.split('.').nth(1).unwrap();
    let signing_input = format!("{}.{}", b64(header_json.to_string().as_bytes()), payload);
    let signature = jsonwebtoken::crypto::sign(
        signing_input.as_bytes(),
        &EncodingKey::from_secret(key),
        Algorithm::HS256,
    )
    .unwrap();
    format!("{signing_input}.{signature}")
}
