//! Every public endpoint, one row each: what it takes, what it answers, and the refusals
//! particular to it. `super::document` adds what every endpoint of its kind can answer
//! (401 without a valid token, 413/415/422 for a body, 503 when the database is away…),
//! and the drift test (`tests/api/openapi.rs`) checks this list against the routes the
//! server really serves.

use super::schemas::{
    ceremony_id, current_password, email, link_token, mfa_token, new_password, object, object_with_optional,
    optional_totp_code, passkey_id, passkey_name, recovery_code, role, totp_code, user_id, username,
    webauthn_credential,
};
use serde_json::{Value, json};
use utoipa::openapi::RefOr;
use utoipa::openapi::schema::Schema;

/// Who may call an endpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Caller {
    Anyone,
    /// An access token (`Authorization: Bearer`).
    User,
    /// An access token of an admin.
    Admin,
    /// The refresh cookie.
    Cookie,
}

/// A query or path parameter.
pub struct Param {
    pub name: &'static str,
    pub in_path: bool,
    pub schema: RefOr<Schema>,
    pub description: &'static str,
}

pub struct Endpoint {
    pub method: &'static str,
    pub path: &'static str,
    /// The operation id: the server function's name (generated clients name methods after it).
    pub id: &'static str,
    pub tag: &'static str,
    pub summary: &'static str,
    pub caller: Caller,
    /// Refused with 429 past a throttle.
    pub throttled: bool,
    pub params: Vec<Param>,
    /// The JSON body's schema and an example of it.
    pub body: Option<(RefOr<Schema>, Value)>,
    /// The success status, the name of its body's schema, and an example body.
    pub answer: (u16, &'static str, Value),
    /// The refusals particular to this endpoint: status and when.
    pub refusals: Vec<(u16, &'static str)>,
}

const PASSWORD: &str = "correct horse battery staple";
const NEW_PASSWORD: &str = "a completely new passphrase 77";
const TOKEN: &str = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJl";
const LINK: &str = "3f5a8c0e9b7d6a4f2e1c0b9a8d7e6f5a4b3c2d1e0f9a8b7c6d5e4f3a2b1c0d9e";

fn user() -> Value {
    json!({"id": 1, "email": "ada@example.com", "username": "Ada L."})
}

fn account(role: &str) -> Value {
    json!({"id": 1, "email": "ada@example.com", "username": "Ada L.", "role": role, "email_verified": true, "second_factor": false})
}

fn tokens() -> Value {
    json!({"access_token": TOKEN, "token_type": "bearer"})
}

fn simple(
    method: &'static str,
    path: &'static str,
    id: &'static str,
    tag: &'static str,
    summary: &'static str,
    caller: Caller,
) -> Endpoint {
    Endpoint {
        method,
        path,
        id,
        tag,
        summary,
        caller,
        throttled: false,
        params: Vec::new(),
        body: None,
        answer: (200, "", Value::Null),
        refusals: Vec::new(),
    }
}

impl Endpoint {
    fn body(mut self, schema: RefOr<Schema>, example: Value) -> Self {
        self.body = Some((schema, example));
        self
    }

    fn answer(mut self, status: u16, schema: &'static str, example: Value) -> Self {
        self.answer = (status, schema, example);
        self
    }

    fn refuses(mut self, status: u16, when: &'static str) -> Self {
        self.refusals.push((status, when));
        self
    }

    fn throttled(mut self) -> Self {
        self.throttled = true;
        self
    }

    fn param(mut self, param: Param) -> Self {
        self.params.push(param);
        self
    }
}

/// The two forms of account deletion (a DELETE with a body, and its POST twin for the
/// server-function client).
fn deleting_the_account(method: &'static str, path: &'static str, id: &'static str, summary: &'static str) -> Endpoint {
    simple(method, path, id, "account", summary, Caller::User)
        .body(
            object(&[("password", current_password())]),
            json!({"password": PASSWORD}),
        )
        .answer(200, "Deleted", json!({"deleted": true}))
        .refuses(401, "Incorrect password")
        .refuses(409, "The last admin cannot be deleted")
        .throttled()
}

/// The two forms of a role change (the id in the path, or in the body, which the caller
/// adds).
fn setting_a_role(path: &'static str, id: &'static str, summary: &'static str) -> Endpoint {
    simple("PATCH", path, id, "admin", summary, Caller::Admin)
        .answer(200, "Account", account("admin"))
        .refuses(404, "No such user")
        .refuses(409, "It would leave no admin")
}

pub fn endpoints() -> Vec<Endpoint> {
    use Caller::{Admin, Anyone, Cookie, User};
    vec![
        simple(
            "POST",
            "/auth/signup",
            "signup",
            "auth",
            "Create an account (and log in)",
            Anyone,
        )
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
        simple(
            "POST",
            "/auth/login",
            "login",
            "auth",
            "Log in: a 30-minute access token",
            Anyone,
        )
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
        simple(
            "POST",
            "/auth/login/mfa",
            "login_mfa",
            "second factor",
            "Finish a login with an authenticator code or a recovery code",
            Anyone,
        )
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
        .throttled(),
        simple(
            "POST",
            "/auth/login/mfa/passkey",
            "login_mfa_passkey",
            "second factor",
            "Options to use a passkey as a login's second factor",
            Anyone,
        )
        .body(object(&[("mfa_token", mfa_token())]), json!({"mfa_token": LINK}))
        .answer(200, "PasskeyRequest", json!({"options": request_options()}))
        .refuses(
            400,
            "No passkey is registered for this account; or Passkeys are not available on this server",
        )
        .refuses(401, "This login has expired. Log in again.")
        .throttled(),
        simple(
            "POST",
            "/auth/passkeys/sign-in/start",
            "passkey_sign_in_start",
            "passkeys",
            "Start signing in with a passkey (no address needed)",
            Anyone,
        )
        .answer(
            200,
            "PasskeyOptions",
            json!({"ceremony_id": LINK, "options": request_options()}),
        )
        .refuses(400, "Passkeys are not available on this server")
        .throttled(),
        simple(
            "POST",
            "/auth/passkeys/sign-in/finish",
            "passkey_sign_in_finish",
            "passkeys",
            "Finish signing in with a passkey: a 30-minute access token",
            Anyone,
        )
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
        simple(
            "POST",
            "/auth/passkeys/register/start",
            "passkey_register_start",
            "passkeys",
            "Start adding a passkey: options for navigator.credentials.create",
            User,
        )
        .body(object(&[("password", current_password())]), json!({"password": PASSWORD}))
        .answer(
            200,
            "PasskeyOptions",
            json!({"ceremony_id": LINK, "options": {"publicKey": {"rp": {"name": "AuthKit", "id": "auth.example.com"}}}}),
        )
        .refuses(400, "Passkeys are not available on this server")
        .refuses(401, "Incorrect password")
        .throttled(),
        simple(
            "POST",
            "/auth/passkeys/register/finish",
            "passkey_register_finish",
            "passkeys",
            "Finish adding a passkey, with its name",
            User,
        )
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
        simple("GET", "/auth/passkeys", "list_passkeys", "passkeys", "The account's passkeys", User)
            .answer(200, "PasskeyList", json!({"passkeys": [passkey()]})),
        simple(
            "POST",
            "/auth/passkeys/delete",
            "delete_passkey",
            "passkeys",
            "Delete one of the account's passkeys",
            User,
        )
        .body(object(&[("id", passkey_id())]), json!({"id": "q1w2e3r4t5y6u7i8o9p0"}))
        .answer(200, "Deleted", json!({"deleted": true}))
        .refuses(404, "No such passkey"),
        simple(
            "POST",
            "/auth/totp/setup",
            "totp_setup",
            "second factor",
            "Start adding an authenticator app: its secret, URI and QR code",
            User,
        )
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
        .refuses(409, "Two-step verification is already on")
        .throttled(),
        simple(
            "POST",
            "/auth/totp/enable",
            "totp_enable",
            "second factor",
            "Turn the authenticator app on with its first code: 10 recovery codes, shown once",
            User,
        )
        .body(object(&[("code", totp_code(false))]), json!({"code": "123456"}))
        .answer(200, "RecoveryCodes", recovery_codes())
        .refuses(400, "Set up two-step verification first")
        .refuses(401, "Invalid code")
        .refuses(409, "Two-step verification is already on")
        .throttled(),
        simple(
            "POST",
            "/auth/totp/disable",
            "totp_disable",
            "second factor",
            "Turn the second factor off",
            User,
        )
        .body(
            object(&[("password", current_password()), ("code", totp_code(true))]),
            json!({"password": PASSWORD, "code": "123456"}),
        )
        .answer(200, "FactorRemoved", json!({"second_factor": false}))
        .refuses(400, "Two-step verification is not on")
        .refuses(401, "Incorrect password, or Invalid code")
        .throttled(),
        simple(
            "POST",
            "/auth/recovery-codes",
            "new_recovery_codes",
            "second factor",
            "A fresh set of recovery codes (the old ones stop working)",
            User,
        )
        .body(
            object(&[("password", current_password()), ("code", totp_code(true))]),
            json!({"password": PASSWORD, "code": "123456"}),
        )
        .answer(200, "RecoveryCodes", recovery_codes())
        .refuses(400, "Two-step verification is not on")
        .refuses(401, "Incorrect password, or Invalid code")
        .throttled(),
        simple("GET", "/auth/me", "me", "auth", "Who the token belongs to", User).answer(200, "User", user()),
        simple(
            "POST",
            "/auth/refresh",
            "refresh",
            "sessions",
            "A new access token for the refresh cookie",
            Cookie,
        )
        .answer(200, "TokenResponse", tokens())
        .throttled(),
        simple("POST", "/auth/logout", "logout", "sessions", "End this session", User).answer(
            200,
            "LoggedOut",
            json!({"sessions_revoked": 1}),
        ),
        simple(
            "POST",
            "/auth/logout-all",
            "logout_all",
            "sessions",
            "End every session of the user",
            User,
        )
        .answer(200, "LoggedOut", json!({"sessions_revoked": 3})),
        simple(
            "GET",
            "/auth/account",
            "get_account",
            "account",
            "The account, with role and verification",
            User,
        )
        .answer(200, "Account", account("user")),
        simple("PATCH", "/auth/me", "update_me", "account", "Change the username", User)
            .body(object(&[("username", username())]), json!({"username": "Ada Lovelace"}))
            .answer(200, "User", user()),
        simple(
            "POST",
            "/auth/password",
            "change_password",
            "account",
            "Change the password",
            User,
        )
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
        deleting_the_account("DELETE", "/auth/me", "delete_me", "Delete the account"),
        deleting_the_account(
            "POST",
            "/auth/delete-account",
            "delete_account",
            "Delete the account (the same as DELETE /auth/me)",
        ),
        simple(
            "POST",
            "/auth/password-reset/request",
            "request_password_reset",
            "recovery",
            "Mail a password-reset link",
            Anyone,
        )
        .body(object(&[("email", email())]), json!({"email": "ada@example.com"}))
        .answer(
            202,
            "Accepted",
            json!({"detail": "If that address has an account, a reset link is on its way"}),
        )
        .throttled(),
        simple(
            "POST",
            "/auth/password-reset",
            "reset_password",
            "recovery",
            "Set a new password with a mailed link",
            Anyone,
        )
        .body(
            object(&[("token", link_token()), ("new_password", new_password())]),
            json!({"token": LINK, "new_password": NEW_PASSWORD}),
        )
        .answer(200, "PasswordResetDone", json!({"password_reset": true}))
        .refuses(400, "Invalid or expired link"),
        simple(
            "POST",
            "/auth/verify-email",
            "verify_email",
            "email",
            "Verify the address with a mailed link",
            Anyone,
        )
        .body(object(&[("token", link_token())]), json!({"token": LINK}))
        .answer(200, "EmailVerified", json!({"email_verified": true}))
        .refuses(400, "Invalid or expired link"),
        simple(
            "POST",
            "/auth/verify-email/resend",
            "resend_verification",
            "email",
            "Mail the verification link again",
            User,
        )
        .answer(202, "Accepted", json!({"detail": "A verification link is on its way"}))
        .refuses(400, "Email already verified")
        .throttled(),
        simple(
            "POST",
            "/auth/email",
            "change_email",
            "email",
            "Move the account to another address (confirmed by mail)",
            User,
        )
        .body(
            object(&[("new_email", email()), ("password", current_password())]),
            json!({"new_email": "ada.lovelace@example.com", "password": PASSWORD}),
        )
        .answer(
            202,
            "Accepted",
            json!({"detail": "A confirmation link is on its way to the new address"}),
        )
        .refuses(400, "Email already registered")
        .refuses(401, "Incorrect password")
        .throttled(),
        simple(
            "POST",
            "/auth/email/confirm",
            "confirm_email_change",
            "email",
            "Confirm an email change with the mailed link",
            Anyone,
        )
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
        simple(
            "GET",
            "/admin/users",
            "list_users",
            "admin",
            "A page of accounts",
            Admin,
        )
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
        setting_a_role("/admin/users/role", "set_user_role", "Give an account a role").body(
            object(&[("id", user_id()), ("role", role())]),
            json!({"id": 2, "role": "admin"}),
        ),
        setting_a_role(
            "/admin/users/{id}",
            "set_role",
            "Give an account a role (the id in the path)",
        )
        .param(Param {
            name: "id",
            in_path: true,
            schema: user_id(),
            description: "The account's id",
        })
        .body(object(&[("role", role())]), json!({"role": "admin"})),
        simple(
            "POST",
            "/admin/users/second-factor/remove",
            "remove_second_factor",
            "admin",
            "Remove a user's second factor (they are told by mail)",
            Admin,
        )
        .body(object(&[("id", user_id())]), json!({"id": 2}))
        .answer(200, "FactorRemoved", json!({"second_factor": false}))
        .refuses(404, "No such user"),
    ]
}

fn passkey() -> Value {
    json!({"id": "q1w2e3r4t5y6u7i8o9p0", "name": "Work laptop", "created_at": 1764115200, "last_used_at": null})
}

fn request_options() -> Value {
    json!({"publicKey": {"challenge": "Zm9vYmFyYmF6", "timeout": 300000, "rpId": "auth.example.com", "allowCredentials": [], "userVerification": "required"}})
}

fn recovery_codes() -> Value {
    json!({"recovery_codes": [
        "7k2m-9xq4-h3tp-w8ne", "c5rj-2v8d-m4kz-0fby", "q9hs-6wt3-x2ma-7jpc", "e4nd-8kq2-z6vr-3hwt",
        "b7pm-1yc9-s5fk-4xqa", "t2wg-7hn4-d9rb-6mkz", "f8xs-3qa6-j1vc-9pwe", "m6kd-5rt2-y8hb-2nqs",
        "w3ja-9fc7-k4xm-8tdz", "h1qe-6bs3-v7wn-5kry"
    ]})
}
