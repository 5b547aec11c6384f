//! The email address part of the API description: verifying and changing the address. One row per endpoint
//! (`crate::server::http::openapi::endpoint`); the server functions are in `crate::api`.

use crate::api::{ChangeEmail, ConfirmEmailChange, ResendVerification, VerifyEmail};
use crate::server::http::openapi::endpoint::{Caller, Endpoint, LINK, PASSWORD};
use crate::server::http::openapi::schemas::{
    current_password, email, link_token, object, object_with_optional, step_up_code,
};
use serde_json::json;

pub fn endpoints() -> Vec<Endpoint> {
    use Caller::{Anyone, User};
    vec![
        Endpoint::server_fn::<VerifyEmail>("email", "Verify the address with a mailed link", Anyone)
            .body(object(&[("token", link_token())]), json!({"token": LINK}))
            .answer(200, "EmailVerified", json!({"email_verified": true}))
            .refuses(400, "Invalid or expired link"),
        Endpoint::server_fn::<ResendVerification>("email", "Mail the verification link again", User)
            .answer(202, "Accepted", json!({"detail": "A verification link is on its way"}))
            .refuses(400, "Email already verified")
            .throttled(),
        Endpoint::server_fn::<ChangeEmail>("email", "Move the account to another address (confirmed by mail)", User)
            .body(
                object_with_optional(
                    &[("new_email", email()), ("password", current_password())],
                    &[("code", step_up_code())],
                ),
                json!({"new_email": "ada.lovelace@example.com", "password": PASSWORD}),
            )
            .answer(
                202,
                "Accepted",
                json!({"detail": "A confirmation link is on its way to the new address"}),
            )
            .refuses(400, "Email already registered")
            .refuses(401, "Incorrect password, or Invalid code")
            .refuses(403, "With two-step verification on, no code (code_required)")
            .throttled(),
        Endpoint::server_fn::<ConfirmEmailChange>("email", "Confirm an email change with the mailed link", Anyone)
            .body(object(&[("token", link_token())]), json!({"token": LINK}))
            .answer(
                200,
                "EmailChanged",
                json!({"email": "ada.lovelace@example.com", "email_verified": true}),
            )
            .refuses(
                400,
                "Invalid or expired link, or the address was taken meanwhile (Email already registered)",
            ),
    ]
}
