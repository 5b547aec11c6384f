//! AuthKit as an OpenID Connect provider (issue 22), built in steps. Here so far: the
//! signing keys and the JWKS that publishes them (`GET /.well-known/jwks.json`, which the
//! discovery document will name as `jwks_uri`), and their rotation (`authkit keys rotate`).
//! The authorization code flow, the token, userinfo and discovery endpoints come next.

pub mod clients;
pub mod keys;

use super::state::AppState;
use axum::Router;
use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::routing::get;

pub const JWKS_PATH: &str = "/.well-known/jwks.json";

pub fn routes<S>(state: AppState) -> Router<S> {
    Router::new().route(JWKS_PATH, get(jwks)).with_state(state)
}

/// `GET /.well-known/jwks.json`: the public signing keys. Clients may keep it five minutes;
/// one that meets a `kid` it does not know fetches it again (a rotation publishes the new
/// keys at once).
async fn jwks(State(state): State<AppState>) -> Response {
    match state.oidc.keys.published().await {
        Ok(jwks) => (
            [
                (header::CONTENT_TYPE, "application/jwk-set+json"),
                (header::CACHE_CONTROL, "public, max-age=300"),
            ],
            jwks.to_string(),
        )
            .into_response(),
        Err(error) => super::error::AuthError::internal(error).into_response(),
    }
}
