//! The API's one list of endpoints, feature by feature: each feature's `api.rs` declares
//! its rows beside its service. The list registers the server functions
//! (`http::build_router`), makes the OpenAPI document (`http::openapi`), against which the
//! request guard checks every body (`http::schema_check`), and names the routes in the
//! metrics. Tests hold it against the routes the server serves and against the README's
//! endpoint tables (`tests/api/openapi.rs`).

use super::http::openapi::endpoint::Endpoint;

/// Every endpoint of the API, in the order the document lists them.
pub fn endpoints() -> Vec<Endpoint> {
    [
        super::sessions::api::endpoints(),
        super::account::api::endpoints(),
        super::password_reset::api::endpoints(),
        super::email_address::api::endpoints(),
        super::second_factor::api::endpoints(),
        super::passkeys::api::endpoints(),
        super::admin::api::endpoints(),
    ]
    .into_iter()
    .flatten()
    .collect()
}
