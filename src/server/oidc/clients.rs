//! `ClientStore`: the apps that may ask AuthKit to sign people in — OpenID Connect clients,
//! registered by the operator (`authkit oidc-client …`; an admin page comes with the flow).
//!
//! - A confidential client (a server-side app) gets a secret, shown once: 256 random bits,
//!   base64url; only its SHA-256 is stored (so much randomness needs no slow hash, as with
//!   recovery codes), and `verify_secret` compares hashes in constant time. A public client
//!   (a browser or mobile app, which cannot keep a secret) has none, and will have to use
//!   PKCE alone.
//! - Redirect URIs are kept exactly as registered: an authorization request must name one
//!   character for character (no prefix or pattern matching, which is how open redirects
//!   and code theft happen). Each must be an absolute `https` URL, or `http` on a loopback
//!   host for local development and native apps (RFC 8252 §7.3), without a fragment.
//! - `first_party`: the team's own app, which skips the consent page.

use crate::server::sessions::store::now_secs;
use base64::Engine;
use serde::Serialize;
use sha2::{Digest, Sha256};
use sqlx::AnyPool;

/// The longest name and redirect URI accepted (a page shows the name; a URI is matched).
const MAX_NAME_CHARS: usize = 100;
const MAX_URI_CHARS: usize = 2000;

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ClientError {
    #[error("the name must be 1 to {MAX_NAME_CHARS} characters")]
    BadName,
    #[error("at least one --redirect-uri is needed")]
    NoRedirectUri,
    #[error("{0:?} is not a redirect URI AuthKit accepts: {1}")]
    BadUri(String, &'static str),
    #[error("no client {0:?}")]
    Unknown(String),
    #[error("client {0:?} is public: it has no secret")]
    Public(String),
}

/// A client as the operator describes it, checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewClient {
    name: String,
    redirect_uris: Vec<String>,
    post_logout_redirect_uris: Vec<String>,
    public: bool,
    first_party: bool,
}

impl NewClient {
    pub fn parse(
        name: &str,
        redirect_uris: Vec<String>,
        post_logout_redirect_uris: Vec<String>,
        public: bool,
        first_party: bool,
    ) -> Result<Self, ClientError> {
        let name = name.trim();
        if name.is_empty() || name.chars().count() > MAX_NAME_CHARS || name.chars().any(char::is_control) {
            return Err(ClientError::BadName);
        }
        if redirect_uris.is_empty() {
            return Err(ClientError::NoRedirectUri);
        }
        for uri in redirect_uris.iter().chain(&post_logout_redirect_uris) {
            check_uri(uri)?;
        }
        Ok(Self {
            name: name.to_owned(),
            redirect_uris,
            post_logout_redirect_uris,
            public,
            first_party,
        })
    }
}

/// An absolute `https` URL, or `http` on a loopback host; no fragment (RFC 6749 §3.1.2).
fn check_uri(uri: &str) -> Result<(), ClientError> {
    let refuse = |why| Err(ClientError::BadUri(uri.to_owned(), why));
    if uri.len() > MAX_URI_CHARS {
        return refuse("longer than 2000 characters");
    }
    let Ok(parsed) = url::Url::parse(uri) else {
        return refuse("not an absolute URL");
    };
    if parsed.fragment().is_some() {
        return refuse("it has a fragment (#…)");
    }
    let loopback = match parsed.host() {
        Some(url::Host::Domain(domain)) => domain == "localhost",
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    };
    match parsed.scheme() {
        "https" if parsed.host().is_some() => Ok(()),
        "http" if loopback => Ok(()),
        "http" => refuse("http is allowed only on a loopback host (localhost, 127.0.0.1, [::1])"),
        _ => refuse("the scheme must be https"),
    }
}

/// A registered client, as `list` shows it (never its secret).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Client {
    pub client_id: String,
    pub name: String,
    pub public: bool,
    pub first_party: bool,
    pub redirect_uris: Vec<String>,
    pub post_logout_redirect_uris: Vec<String>,
    pub created_at: i64,
}

/// What the operator is shown once: the id and, for a confidential client, the secret.
#[derive(Debug, Serialize)]
pub struct Issued {
    pub client_id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub client_secret: Option<String>,
}

#[derive(sqlx::FromRow)]
struct Row {
    client_id: String,
    name: String,
    secret_hash: Option<String>,
    redirect_uris: String,
    post_logout_redirect_uris: String,
    first_party: i64,
    created_at: i64,
}

impl Row {
    fn client(self) -> Client {
        let uris = |json: &str| serde_json::from_str::<Vec<String>>(json).unwrap_or_default();
        Client {
            public: self.secret_hash.is_none(),
            first_party: self.first_party != 0,
            redirect_uris: uris(&self.redirect_uris),
            post_logout_redirect_uris: uris(&self.post_logout_redirect_uris),
            client_id: self.client_id,
            name: self.name,
            created_at: self.created_at,
        }
    }
}

fn new_secret() -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(rand::random::<[u8; 32]>())
}

fn hash(secret: &str) -> String {
    hex::encode(Sha256::digest(secret.as_bytes()))
}

/// `SELECT` of every column of `oidc_clients`, then `$rest` (sqlx wants `&'static str`).
macro_rules! select {
    ($rest:literal) => {
        concat!(
            "SELECT client_id, name, secret_hash, redirect_uris, post_logout_redirect_uris, first_party, \
             created_at FROM oidc_clients ",
            $rest
        )
    };
}

#[derive(Clone)]
pub struct ClientStore {
    pool: AnyPool,
}

impl ClientStore {
    pub fn new(pool: AnyPool) -> Self {
        Self { pool }
    }

    pub async fn create(&self, client: &NewClient) -> Result<Issued, sqlx::Error> {
        let client_id = hex::encode(rand::random::<[u8; 16]>());
        let secret = (!client.public).then(new_secret);
        sqlx::query(
            "INSERT INTO oidc_clients (client_id, name, secret_hash, redirect_uris, post_logout_redirect_uris, \
             first_party, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(&client_id)
        .bind(&client.name)
        .bind(secret.as_deref().map(hash))
        .bind(serde_json::json!(client.redirect_uris).to_string())
        .bind(serde_json::json!(client.post_logout_redirect_uris).to_string())
        .bind(i64::from(client.first_party))
        .bind(now_secs())
        .execute(&self.pool)
        .await?;
        Ok(Issued {
            client_id,
            client_secret: secret,
        })
    }

    /// Every client, oldest first (by the second; within one, by id).
    pub async fn list(&self) -> Result<Vec<Client>, sqlx::Error> {
        let rows: Vec<Row> = sqlx::query_as(select!("ORDER BY created_at, client_id"))
            .fetch_all(&self.pool)
            .await?;
        Ok(rows.into_iter().map(Row::client).collect())
    }

    pub async fn find(&self, client_id: &str) -> Result<Option<Client>, sqlx::Error> {
        let row: Option<Row> = sqlx::query_as(select!("WHERE client_id = $1"))
            .bind(client_id)
            .fetch_optional(&self.pool)
            .await?;
        Ok(row.map(Row::client))
    }

    /// `false`: no such client.
    pub async fn delete(&self, client_id: &str) -> Result<bool, sqlx::Error> {
        let done = sqlx::query("DELETE FROM oidc_clients WHERE client_id = $1")
            .bind(client_id)
            .execute(&self.pool)
            .await?;
        Ok(done.rows_affected() == 1)
    }

    /// A new secret for a confidential client; the old one stops working at once.
    pub async fn rotate_secret(&self, client_id: &str) -> Result<Result<Issued, ClientError>, sqlx::Error> {
        let secret = new_secret();
        let done =
            sqlx::query("UPDATE oidc_clients SET secret_hash = $1 WHERE client_id = $2 AND secret_hash IS NOT NULL")
                .bind(hash(&secret))
                .bind(client_id)
                .execute(&self.pool)
                .await?;
        if done.rows_affected() == 1 {
            return Ok(Ok(Issued {
                client_id: client_id.to_owned(),
                client_secret: Some(secret),
            }));
        }
        Ok(Err(match self.find(client_id).await? {
            Some(_) => ClientError::Public(client_id.to_owned()),
            None => ClientError::Unknown(client_id.to_owned()),
        }))
    }

    /// Is `presented` the secret of this confidential client? (A public client has none.)
    pub async fn verify_secret(&self, client_id: &str, presented: &str) -> Result<bool, sqlx::Error> {
        let stored: Option<Option<String>> =
            sqlx::query_scalar("SELECT secret_hash FROM oidc_clients WHERE client_id = $1")
                .bind(client_id)
                .fetch_optional(&self.pool)
                .await?;
        let presented = hash(presented);
        Ok(stored
            .flatten()
            .is_some_and(|stored| constant_time_eq::constant_time_eq(stored.as_bytes(), presented.as_bytes())))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::server::test_support::test_state;

    fn uris(list: &[&str]) -> Vec<String> {
        list.iter().map(|uri| uri.to_string()).collect()
    }

    #[test]
    fn redirect_uris_must_be_https_or_loopback_http_without_a_fragment() {
        for good in [
            "https://app.example.com/callback",
            "https://app.example.com:8443/auth/cb?tenant=1",
            "http://localhost:8080/callback",
            "http://127.0.0.1:53682/",
            "http://[::1]/cb",
        ] {
            assert_eq!(check_uri(good), Ok(()), "{good}");
        }
        for bad in [
            "http://app.example.com/callback",
            "https://app.example.com/cb#frag",
            "/callback",
            "javascript:alert(1)",
            "ftp://example.com/x",
            "http://localhost.evil.example/cb",
            "http://127.0.0.1.nip.io/cb",
        ] {
            assert!(matches!(check_uri(bad), Err(ClientError::BadUri(..))), "{bad}");
        }
        let none = NewClient::parse("App", vec![], vec![], false, false);
        assert_eq!(none, Err(ClientError::NoRedirectUri));
        assert_eq!(
            NewClient::parse(" ", uris(&["https://a.example/cb"]), vec![], false, false),
            Err(ClientError::BadName)
        );
    }

    #[tokio::test]
    async fn a_confidential_client_has_a_secret_stored_hashed_that_rotates_and_a_public_one_has_none() {
        let t = test_state().await;
        let store = ClientStore::new(t.state.database.pool().clone());
        let app = NewClient::parse(
            "Grafana",
            uris(&["https://grafana.example.com/login/generic_oauth"]),
            uris(&["https://grafana.example.com/"]),
            false,
            true,
        )
        .unwrap();
        let issued = store.create(&app).await.unwrap();
        let secret = issued.client_secret.clone().expect("a secret");
        assert_eq!(secret.len(), 43, "256 bits, base64url");
        assert!(store.verify_secret(&issued.client_id, &secret).await.unwrap());
        assert!(!store.verify_secret(&issued.client_id, "not the secret").await.unwrap());
        let stored: Option<String> = sqlx::query_scalar("SELECT secret_hash FROM oidc_clients")
            .fetch_one(t.state.database.pool())
            .await
            .unwrap();
        assert_ne!(stored.as_deref(), Some(secret.as_str()), "only a hash is kept");

        let rotated = store.rotate_secret(&issued.client_id).await.unwrap().unwrap();
        let new_secret = rotated.client_secret.expect("a new secret");
        assert!(
            !store.verify_secret(&issued.client_id, &secret).await.unwrap(),
            "the old one is dead"
        );
        assert!(store.verify_secret(&issued.client_id, &new_secret).await.unwrap());

        let spa = NewClient::parse("SPA", uris(&["http://localhost:5173/cb"]), vec![], true, false).unwrap();
        let public = store.create(&spa).await.unwrap();
        assert_eq!(public.client_secret, None);
        assert!(!store.verify_secret(&public.client_id, "").await.unwrap());
        assert!(matches!(
            store.rotate_secret(&public.client_id).await.unwrap(),
            Err(ClientError::Public(_))
        ));
        assert!(matches!(
            store.rotate_secret("nobody").await.unwrap(),
            Err(ClientError::Unknown(_))
        ));

        let listed = store.list().await.unwrap();
        assert_eq!(listed.len(), 2);
        // Made within the same second: `list` orders them by creation time, then by id.
        let named = |name: &str| listed.iter().find(|client| client.name == name).unwrap();
        assert!(named("Grafana").first_party && !named("Grafana").public);
        assert_eq!(
            named("Grafana").post_logout_redirect_uris,
            uris(&["https://grafana.example.com/"])
        );
        assert!(named("SPA").public && !named("SPA").first_party);
        assert!(store.delete(&public.client_id).await.unwrap());
        assert!(!store.delete(&public.client_id).await.unwrap());
        assert_eq!(store.find(&public.client_id).await.unwrap(), None);
    }
}
