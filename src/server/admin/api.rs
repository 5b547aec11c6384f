//! The admin part of the API description: administration. One row per endpoint
//! (`crate::server::http::openapi::endpoint`); the server functions are in `crate::api`.

use crate::api::{ListUsers, RemovePasskeys, RemoveSecondFactor, SetUserRole};
use crate::server::http::openapi::endpoint::{Caller, Endpoint, Param, account};
use crate::server::http::openapi::schemas::{object, role, user_id};
use crate::server::http::rest;
use axum::http::Method;
use serde_json::json;

pub fn endpoints() -> Vec<Endpoint> {
    use Caller::Admin;
    vec![
        Endpoint::server_fn::<ListUsers>("admin", "A page of accounts", Admin)
            .param(Param {
                name: "limit",
                in_path: false,
                schema: utoipa::openapi::schema::ObjectBuilder::new()
                    .schema_type(utoipa::openapi::schema::Type::Integer)
                    .minimum(Some(1))
                    .maximum(Some(100))
                    .default(Some(json!(50)))
                    .into(),
                description: "Accounts per page",
            })
            .param(Param {
                name: "offset",
                in_path: false,
                schema: utoipa::openapi::schema::ObjectBuilder::new()
                    .schema_type(utoipa::openapi::schema::Type::Integer)
                    .minimum(Some(0))
                    .default(Some(json!(0)))
                    .into(),
                description: "Accounts to skip",
            })
            .answer(
                200,
                "UserPage",
                json!({"users": [account("admin")], "total": 1, "limit": 50, "offset": 0}),
            ),
        setting_a_role(Endpoint::server_fn::<SetUserRole>(
            "admin",
            "Give an account a role",
            Admin,
        ))
        .body(
            object(&[("id", user_id()), ("role", role())]),
            json!({"id": 2, "role": "admin"}),
        ),
        setting_a_role(Endpoint::route(
            Method::PATCH,
            rest::SET_ROLE,
            "set_role",
            "admin",
            "Give an account a role (the id in the path)",
            Admin,
        ))
        .param(Param {
            name: "id",
            in_path: true,
            schema: user_id(),
            description: "The account's id",
        })
        .body(object(&[("role", role())]), json!({"role": "admin"})),
        Endpoint::server_fn::<RemoveSecondFactor>(
            "admin",
            "Remove a user's second factor (they are told by mail)",
            Admin,
        )
        .body(object(&[("id", user_id())]), json!({"id": 2}))
        .answer(200, "FactorRemoved", json!({"second_factor": false}))
        .refuses(404, "No such user"),
        Endpoint::server_fn::<RemovePasskeys>("admin", "Remove every passkey of a user (they are told by mail)", Admin)
            .body(object(&[("id", user_id())]), json!({"id": 2}))
            .answer(200, "PasskeysRemoved", json!({"passkeys_removed": 1}))
            .refuses(404, "No such user"),
    ]
}

/// The two forms of a role change (the id in the path, or in the body, which the caller
/// adds).
fn setting_a_role(endpoint: Endpoint) -> Endpoint {
    endpoint
        .answer(200, "Account", account("admin"))
        .refuses(404, "No such user")
        .refuses(409, "It would leave no admin")
}
