//! The sessions part of the API description: signing up, logging in, the token's owner, refreshing and logging out. One row per endpoint
//! (`crate::server::http::openapi::endpoint`); the server functions are in `crate::api`.

use crate::api::{Login, Logout, LogoutAll, Me, Refresh, Signup};
use crate::server::http::openapi::endpoint::{Caller, Endpoint, PASSWORD, tokens, user};
use crate::server::http::openapi::schemas::{current_password, email, new_password, object, username};
use serde_json::json;

pub fn endpoints() -> Vec<Endpoint> {
    use Caller::{Anyone, Cookie, User};
    vec![
        Endpoint::server_fn::<Signup>("auth", "Create an account (and log in)", Anyone)
        .body(
            object(&[
                ("email", email()),
                ("password", new_password()),
                ("username", username()),
            ]),
            json!({"email": "ada@example.com", "password": PASSWORD, "username": "Ada L."}),
        )
        .answer(200, "User", user())
        .refuses(400, "Email already registered")
        .throttled(),
        Endpoint::server_fn::<Login>("auth", "Log in: a 30-minute access token", Anyone)
        .body(
            object(&[("email", email()), ("password", current_password())]),
            json!({"email": "ada@example.com", "password": PASSWORD}),
        )
        .answer(200, "TokenResponse", tokens())
        .refuses(
            401,
            "Incorrect email or password; or the right password of an account with a second factor: `Second factor required`, with an `mfa_token` and the `methods` that finish the login at /auth/login/mfa",
        )
        .refuses(403, "Email not verified (with REQUIRE_EMAIL_VERIFICATION)")
        .throttled(),
        Endpoint::server_fn::<Me>("auth", "Who the token belongs to", User).answer(200, "User", user()),
        Endpoint::server_fn::<Refresh>("sessions", "A new access token for the refresh cookie", Cookie)
        .answer(200, "TokenResponse", tokens())
        .throttled(),
        Endpoint::server_fn::<Logout>("sessions", "End this session", User).answer(
            200,
            "LoggedOut",
            json!({"sessions_revoked": 1}),
        ),
        Endpoint::server_fn::<LogoutAll>("sessions", "End every session of the user", User)
        .answer(200, "LoggedOut", json!({"sessions_revoked": 3})),
    ]
}
