//! The REST forms of two operations, whose natural HTTP shape a server function cannot
//! have: `DELETE /auth/me` (a DELETE with a body) and `PATCH /admin/users/{id}` (a path
//! parameter). They are ordinary Axum handlers over the same services as the server
//! functions `delete_account` and `set_user_role`, decoding bodies with the same strict
//! codec, so both forms behave alike.

use super::request_meta::RequestMeta;
use super::validation_issues;
use crate::api::{DeleteAccount, Role, StrictJsonEncoding};
use crate::server::error::AuthError;
use crate::server::sessions::authenticate;
use crate::server::state::AppState;
use crate::server::{account, admin};
use axum::Router;
use axum::body::Bytes;
use axum::extract::{ConnectInfo, FromRequestParts, Path, State};
use axum::http::header;
use axum::http::request::Parts;
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, patch};
use leptos::server_fn::Decodes;
use leptos::server_fn::error::ServerFnErrorErr;
use serde::Deserialize;
use serde::de::DeserializeOwned;
use std::net::SocketAddr;

/// The REST forms, as (method, path): beside the server functions' own paths, these are
/// all the API routes the server serves (the OpenAPI drift test compares both lists with
/// the document).
pub const ROUTES: [(&str, &str); 2] = [("DELETE", DELETE_ME), ("PATCH", SET_ROLE)];
pub const DELETE_ME: &str = "/auth/me";
pub const SET_ROLE: &str = "/admin/users/{id}";

pub fn routes<S>(state: AppState) -> Router<S> {
    Router::new()
        .route(DELETE_ME, delete(delete_me))
        .route(SET_ROLE, patch(set_role))
        .with_state(state)
}

/// The body of `PATCH /admin/users/{id}`; the id is in the path.
#[derive(Deserialize)]
struct RoleChange {
    role: Role,
}

/// Decodes a JSON body exactly as the server functions' `ApiJson` does.
fn decode<T: DeserializeOwned>(body: Bytes) -> Result<T, AuthError> {
    StrictJsonEncoding::decode(body).map_err(|e| AuthError::from(ServerFnErrorErr::Deserialization(e.to_string())))
}

/// The REST handlers' extraction step: the same `RequestMeta` the server functions'
/// `Edge` reads.
impl FromRequestParts<AppState> for RequestMeta {
    type Rejection = AuthError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let ConnectInfo(peer) = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .copied()
            .ok_or_else(|| AuthError::internal(anyhow::anyhow!("the peer address is missing")))?;
        Ok(RequestMeta::from_parts(
            peer.ip(),
            &parts.headers,
            &state.trusted_proxies,
            &state.sessions.cookies,
        ))
    }
}

async fn delete_me(State(state): State<AppState>, meta: RequestMeta, body: Bytes) -> Response {
    let result = async {
        let DeleteAccount { password } = decode(body)?;
        let principal = authenticate(&state, &meta).await?;
        account::delete_account(&state, &principal, password).await
    };
    match result.await {
        Ok(deleted) => {
            let cleared = state
                .sessions
                .cookies
                .clear()
                .map(|cookie| [(header::SET_COOKIE, cookie)]);
            (cleared, axum::Json(deleted)).into_response()
        }
        Err(error) => error.into_response(),
    }
}

async fn set_role(State(state): State<AppState>, meta: RequestMeta, Path(id): Path<String>, body: Bytes) -> Response {
    let result = async {
        let RoleChange { role } = decode(body)?;
        let id = id.parse::<i64>().map_err(|_| {
            AuthError::Invalid(vec![validation_issues::path(
                "id",
                "int_parsing",
                "Input should be a valid integer, unable to parse string as an integer",
                Some(id.as_str().into()),
            )])
        })?;
        let principal = authenticate(&state, &meta).await?;
        admin::set_role(&state, &principal, id, role).await
    };
    match result.await {
        Ok(account) => axum::Json(account).into_response(),
        Err(error) => error.into_response(),
    }
}
