//! Test harness: the real application, started in-process on 127.0.0.1:0 with a fresh
//! temporary database, driven over HTTP.
// Each test binary uses a different subset of these helpers.
#![allow(dead_code)]

use authkit::server::{Config, build_router};
use leptos::config::LeptosOptions;
use serde_json::{Value, json};
use sqlx::SqlitePool;
use std::collections::HashMap;
use std::net::SocketAddr;
use tempfile::TempDir;

pub const SECRET: &[u8] = b"test-secret-test-secret-test-secret-0123";
/// Throttles are generous by default so that tests which are not about them never trip
/// them (every test client is 127.0.0.1); tests about them pass their own settings.
/// The test server is plain http, so the refresh cookie is not `Secure` by default here,
/// or a cookie-aware client would not send it back (one test checks the real default).
const DEFAULTS: &[(&str, &str)] = &[
    ("AUTH_RATE_PER_IP_PER_MINUTE", "100000"),
    ("LOGIN_MAX_FAILURES", "100000"),
    ("COOKIE_SECURE", "false"),
];

/// The session id (`sid`) inside an access token, read without verifying it.
pub fn sid_of(token: &str) -> String {
    use base64::Engine;
    let payload = token.split('.').nth(1).expect("JWT payload");
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload)
        .expect("base64url");
    let claims: Value = serde_json::from_slice(&bytes).expect("claims JSON");
    claims["sid"].as_str().expect("sid claim").to_owned()
}
pub const PASSWORD: &str = "correct horse battery staple";

pub struct TestApp {
    pub base: String,
    pub client: reqwest::Client,
    pub db: SqlitePool,
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

    /// Starts the app with these environment settings on top of the test defaults.
    pub async fn spawn_with(settings: &[(&str, &str)]) -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        let database_url = format!("sqlite://{}", dir.path().join("test.db").display());
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
        let options = LeptosOptions::builder().output_name("authkit").build();
        let router = build_router(&config, options).await.expect("app builds");
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().expect("addr");
        tokio::spawn(async move {
            axum::serve(listener, router.into_make_service_with_connect_info::<SocketAddr>())
                .await
                .expect("serve");
        });
        let db = SqlitePool::connect(&database_url).await.expect("test db connection");
        Self {
            base: format!("http://{addr}"),
            client: reqwest::Client::new(),
            db,
            _dir: dir,
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

    /// Signs up and logs in; returns (user id, access token).
    pub async fn user_with_token(&self, email: &str) -> (i64, String) {
        let signed_up = self.signup(email, "someone").await;
        assert_eq!(signed_up.status, 200, "{}", signed_up.text);
        let logged_in = self.login(email, PASSWORD).await;
        assert_eq!(logged_in.status, 200, "{}", logged_in.text);
        let token = logged_in.body["access_token"].as_str().expect("token").to_owned();
        (signed_up.body["id"].as_i64().expect("id"), token)
    }

    pub async fn me(&self, authorization: Option<&str>) -> Reply {
        let mut request = self.client.get(self.url("/auth/me"));
        if let Some(value) = authorization {
            request = request.header("Authorization", value);
        }
        self.send(request).await
    }

    pub async fn user_count(&self) -> i64 {
        sqlx::query_scalar("SELECT COUNT(*) FROM users")
            .fetch_one(&self.db)
            .await
            .expect("count")
    }
}
