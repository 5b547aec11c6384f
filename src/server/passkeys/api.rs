//! The passkeys part of the API description: adding, listing and deleting passkeys, and signing in with one. One row per endpoint
//! (`crate::server::http::openapi::endpoint`); the server functions are in `crate::api`.

use crate::api::{
    DeletePasskey, ListPasskeys, PasskeyRegisterFinish, PasskeyRegisterStart, PasskeySignInFinish, PasskeySignInStart,
};
use crate::server::http::openapi::endpoint::{Caller, Endpoint, LINK, PASSWORD, passkey, request_options, tokens};
use crate::server::http::openapi::schemas::{
    ceremony_id, current_password, object, object_with_optional, passkey_id, passkey_name, step_up_code,
    webauthn_credential,
};
use serde_json::json;

pub fn endpoints() -> Vec<Endpoint> {
    use Caller::{Anyone, User};
    vec![
        Endpoint::server_fn::<PasskeySignInStart>("passkeys", "Start signing in with a passkey (no address needed)", Anyone)
        .answer(
            200,
            "PasskeyOptions",
            json!({"ceremony_id": LINK, "options": request_options()}),
        )
        .refuses(400, "Passkeys are not available on this server")
        .throttled(),
        Endpoint::server_fn::<PasskeySignInFinish>("passkeys", "Finish signing in with a passkey: a 30-minute access token", Anyone)
        .body(
            object(&[("ceremony_id", ceremony_id()), ("credential", webauthn_credential(false))]),
            json!({"ceremony_id": LINK, "credential": {"id": "…", "rawId": "…", "type": "public-key", "response": {}}}),
        )
        .answer(200, "TokenResponse", tokens())
        .refuses(
            400,
            "This passkey request has expired. Try again.; or Passkeys are not available on this server",
        )
        .refuses(401, "Passkey not recognised")
        .refuses(403, "Email not verified (with REQUIRE_EMAIL_VERIFICATION)")
        .throttled(),
        Endpoint::server_fn::<PasskeyRegisterStart>("passkeys", "Start adding a passkey: options for navigator.credentials.create", User)
        .body(
            object_with_optional(&[("password", current_password())], &[("code", step_up_code())]),
            json!({"password": PASSWORD}),
        )
        .answer(
            200,
            "PasskeyOptions",
            json!({"ceremony_id": LINK, "options": {"publicKey": {"rp": {"name": "AuthKit", "id": "auth.example.com"}}}}),
        )
        .refuses(400, "Passkeys are not available on this server")
        .refuses(401, "Incorrect password")
        .refuses(
            403,
            "Email not verified: a passkey can be added only to a proven address; or, with two-step verification on, no code (code_required)",
        )
        .throttled(),
        Endpoint::server_fn::<PasskeyRegisterFinish>("passkeys", "Finish adding a passkey, with its name", User)
        .body(
            object(&[
                ("ceremony_id", ceremony_id()),
                ("name", passkey_name()),
                ("credential", webauthn_credential(false)),
            ]),
            json!({"ceremony_id": LINK, "name": "Work laptop", "credential": {"id": "…", "rawId": "…", "type": "public-key", "response": {}}}),
        )
        .answer(200, "PasskeyInfo", passkey())
        .refuses(
            400,
            "This passkey request has expired. Try again.; or Passkeys are not available on this server",
        )
        .refuses(401, "Passkey not recognised")
        .refuses(409, "This passkey is registered already"),
        Endpoint::server_fn::<ListPasskeys>("passkeys", "The account's passkeys", User)
            .answer(200, "PasskeyList", json!({"passkeys": [passkey()]})),
        Endpoint::server_fn::<DeletePasskey>("passkeys", "Delete one of the account's passkeys", User)
        .body(object(&[("id", passkey_id())]), json!({"id": "q1w2e3r4t5y6u7i8o9p0"}))
        .answer(200, "Deleted", json!({"deleted": true}))
        .refuses(404, "No such passkey"),
    ]
}
