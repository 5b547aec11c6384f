//! The account part of the API description: one's own account. One row per endpoint
//! (`crate::server::http::openapi::endpoint`); the server functions are in `crate::api`.

use crate::api::{ChangePassword, DeleteAccount, GetAccount, UpdateMe};
use crate::server::http::openapi::endpoint::{Caller, Endpoint, NEW_PASSWORD, PASSWORD, account, tokens, user};
use crate::server::http::openapi::schemas::{current_password, new_password, object, username};
use crate::server::http::rest;
use axum::http::Method;
use serde_json::json;

pub fn endpoints() -> Vec<Endpoint> {
    use Caller::User;
    vec![
        Endpoint::server_fn::<GetAccount>("account", "The account, with role and verification", User).answer(
            200,
            "Account",
            account("user"),
        ),
        Endpoint::server_fn::<UpdateMe>("account", "Change the username", User)
            .body(object(&[("username", username())]), json!({"username": "Ada Lovelace"}))
            .answer(200, "User", user()),
        Endpoint::server_fn::<ChangePassword>("account", "Change the password", User)
            .body(
                object(&[
                    ("current_password", current_password()),
                    ("new_password", new_password()),
                ]),
                json!({"current_password": PASSWORD, "new_password": NEW_PASSWORD}),
            )
            .answer(200, "TokenResponse", tokens())
            .refuses(401, "Incorrect password")
            .throttled(),
        deleting_the_account(Endpoint::route(
            Method::DELETE,
            rest::DELETE_ME,
            "delete_me",
            "account",
            "Delete the account",
            User,
        )),
        deleting_the_account(Endpoint::server_fn::<DeleteAccount>(
            "account",
            "Delete the account (the same as DELETE /auth/me)",
            User,
        )),
    ]
}

/// The two forms of account deletion (a DELETE with a body, and its POST twin for the
/// server-function client).
fn deleting_the_account(endpoint: Endpoint) -> Endpoint {
    endpoint
        .body(
            object(&[("password", current_password())]),
            json!({"password": PASSWORD}),
        )
        .answer(200, "Deleted", json!({"deleted": true}))
        .refuses(401, "Incorrect password")
        .refuses(409, "The last admin cannot be deleted")
        .throttled()
}
