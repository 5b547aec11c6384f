//! The second factor part of the API description: the second step of a login, and turning an authenticator app on and off. One row per endpoint
//! (`crate::server::http::openapi::endpoint`); the server functions are in `crate::api`.

use crate::api::{LoginMfa, LoginMfaPasskey, NewRecoveryCodes, TotpDisable, TotpEnable, TotpSetup};
use crate::server::http::openapi::endpoint::{
    Caller, Endpoint, LINK, PASSWORD, recovery_codes, request_options, tokens,
};
use crate::server::http::openapi::schemas::{
    current_password, mfa_token, object, object_with_optional, optional_totp_code, recovery_code, totp_code,
    webauthn_credential,
};
use serde_json::json;

pub fn endpoints() -> Vec<Endpoint> {
    use Caller::{Anyone, User};
    vec![
        Endpoint::server_fn::<LoginMfa>("second factor", "Finish a login with an authenticator code or a recovery code", Anyone)
        .body(
            object_with_optional(
                &[("mfa_token", mfa_token())],
                &[
                    ("code", optional_totp_code()),
                    ("recovery_code", recovery_code()),
                    ("passkey", webauthn_credential(true)),
                ],
            ),
            json!({"mfa_token": LINK, "code": "123456"}),
        )
        .answer(200, "TokenResponse", tokens())
        .refuses(
            401,
            "Invalid code (wrong or already used); or This login has expired. Log in again. (the token is unknown, used, older than 5 minutes or out of its 5 attempts)",
        )
        .refuses(
            403,
            "Too many wrong codes (SECOND_FACTOR_MAX_FAILURES in a row): an app's code is refused from a browser that has not signed in to the account before; a recovery code or a passkey still works",
        )
        .throttled(),
        Endpoint::server_fn::<LoginMfaPasskey>("second factor", "Options to use a passkey as a login's second factor", Anyone)
        .body(object(&[("mfa_token", mfa_token())]), json!({"mfa_token": LINK}))
        .answer(200, "PasskeyRequest", json!({"options": request_options()}))
        .refuses(
            400,
            "No passkey is registered for this account; or Passkeys are not available on this server",
        )
        .refuses(401, "This login has expired. Log in again.")
        .throttled(),
        Endpoint::server_fn::<TotpSetup>("second factor", "Start adding an authenticator app: its secret, URI and QR code", User)
        .body(object(&[("password", current_password())]), json!({"password": PASSWORD}))
        .answer(
            200,
            "TotpEnrolment",
            json!({
                "secret": "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP",
                "otpauth_uri": "otpauth://totp/AuthKit:ada%40example.com?secret=JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP&issuer=AuthKit",
                "qr_svg": "<svg xmlns=\"http://www.w3.org/2000/svg\" …</svg>"
            }),
        )
        .refuses(401, "Incorrect password")
        .refuses(403, "Email not verified: an app can be added only to a proven address")
        .refuses(409, "Two-step verification is already on")
        .throttled(),
        Endpoint::server_fn::<TotpEnable>("second factor", "Turn the authenticator app on with its first code: 10 recovery codes, shown once", User)
        .body(object(&[("code", totp_code(false))]), json!({"code": "123456"}))
        .answer(200, "RecoveryCodes", recovery_codes())
        .refuses(400, "Set up two-step verification first")
        .refuses(401, "Invalid code")
        .refuses(409, "Two-step verification is already on")
        .throttled(),
        Endpoint::server_fn::<TotpDisable>("second factor", "Turn the second factor off", User)
        .body(
            object(&[("password", current_password()), ("code", totp_code(true))]),
            json!({"password": PASSWORD, "code": "123456"}),
        )
        .answer(200, "FactorRemoved", json!({"second_factor": false}))
        .refuses(400, "Two-step verification is not on")
        .refuses(401, "Incorrect password, or Invalid code")
        .throttled(),
        Endpoint::server_fn::<NewRecoveryCodes>("second factor", "A fresh set of recovery codes (the old ones stop working)", User)
        .body(
            object(&[("password", current_password()), ("code", totp_code(true))]),
            json!({"password": PASSWORD, "code": "123456"}),
        )
        .answer(200, "RecoveryCodes", recovery_codes())
        .refuses(400, "Two-step verification is not on")
        .refuses(401, "Incorrect password, or Invalid code")
        .throttled(),
    ]
}
