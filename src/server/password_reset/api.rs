//! The password reset part of the API description: forgotten passwords. One row per endpoint
//! (`crate::server::http::openapi::endpoint`); the server functions are in `crate::api`.

use crate::api::{RequestPasswordReset, ResetPassword};
use crate::server::http::openapi::endpoint::{Caller, Endpoint, LINK, NEW_PASSWORD};
use crate::server::http::openapi::schemas::{email, link_token, new_password, object};
use serde_json::json;

pub fn endpoints() -> Vec<Endpoint> {
    use Caller::Anyone;
    vec![
        Endpoint::server_fn::<RequestPasswordReset>("password reset", "Mail a password-reset link", Anyone)
            .body(object(&[("email", email())]), json!({"email": "ada@example.com"}))
            .answer(
                202,
                "Accepted",
                json!({"detail": "If that address has an account, a reset link is on its way"}),
            )
            .throttled(),
        Endpoint::server_fn::<ResetPassword>("password reset", "Set a new password with a mailed link", Anyone)
            .body(
                object(&[("token", link_token()), ("new_password", new_password())]),
                json!({"token": LINK, "new_password": NEW_PASSWORD}),
            )
            .answer(200, "PasswordResetDone", json!({"password_reset": true}))
            .refuses(400, "Invalid or expired link"),
    ]
}
