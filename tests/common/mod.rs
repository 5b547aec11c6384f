//! Test harness: the real application, started in-process on 127.0.0.1:0 with a fresh
//! temporary database, driven over HTTP.

use authkit::server::{Config, build_router};
use leptos::config::LeptosOptions;
use secrecy::SecretSlice;
use serde_json::{Value, json};
use sqlx::SqlitePool;
use std::net::SocketAddr;
use tempfile::TempDir;

pub const SECRET: &[u8] = b"test-secret-test-secret-test-secret-0123";
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
        authkit::server::init_tracing();
        let dir = tempfile::tempdir().expect("temp dir");
        let database_url = format!("sqlite://{}", dir.path().join("test.db").display());
        let config = Config {
            data_dir: dir.path().to_path_buf(),
            database_url: database_url.clone(),
            jwt_secret: SecretSlice::from(SECRET.to_vec()),
        };
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
