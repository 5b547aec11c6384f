//! The schemas of request bodies, built from the same limits the validation enforces
//! (`crate::validation`), so that the document cannot promise other lengths than the
//! server checks. Response bodies derive theirs from their types (`crate::api`).

use crate::api::Password;
use crate::validation::{MAX_EMAIL_LEN, MAX_PASSWORD_CHARS, MAX_USERNAME_CHARS, MIN_PASSWORD_CHARS};
use utoipa::openapi::schema::{KnownFormat, ObjectBuilder, Schema, SchemaFormat, SchemaType, Type};
use utoipa::openapi::{Ref, RefOr};

fn string() -> ObjectBuilder {
    ObjectBuilder::new().schema_type(Type::String)
}

pub fn email() -> RefOr<Schema> {
    string()
        .format(Some(SchemaFormat::KnownFormat(KnownFormat::Email)))
        .max_length(Some(MAX_EMAIL_LEN))
        .description(Some("Compared case-insensitively, after Unicode normalisation"))
        .into()
}

pub fn username() -> RefOr<Schema> {
    string()
        .min_length(Some(1))
        .max_length(Some(MAX_USERNAME_CHARS))
        .description(Some("1–50 characters, no control or invisible characters"))
        .into()
}

/// A new password: the policy's lengths (it must also not be common, guessable, or the
/// account's email or username).
pub fn new_password() -> RefOr<Schema> {
    string()
        .format(Some(SchemaFormat::KnownFormat(KnownFormat::Password)))
        .min_length(Some(MIN_PASSWORD_CHARS))
        .max_length(Some(MAX_PASSWORD_CHARS))
        .description(Some(
            "8–128 characters, not common or guessable, not the email or username",
        ))
        .into()
}

/// A password being checked (login, confirmations): any non-empty one up to the maximum.
pub fn current_password() -> RefOr<Schema> {
    string()
        .format(Some(SchemaFormat::KnownFormat(KnownFormat::Password)))
        .min_length(Some(1))
        .max_length(Some(MAX_PASSWORD_CHARS))
        .into()
}

pub fn link_token() -> RefOr<Schema> {
    string()
        .description(Some(
            "The token from the mailed link's fragment (`#token=…`): 64 hex digits",
        ))
        .into()
}

pub fn user_id() -> RefOr<Schema> {
    ObjectBuilder::new()
        .schema_type(Type::Integer)
        .format(Some(SchemaFormat::KnownFormat(KnownFormat::Int64)))
        .into()
}

pub fn role() -> RefOr<Schema> {
    Ref::from_schema_name("Role").into()
}

/// An object with exactly these properties, all required: the server refuses unknown
/// fields (422), so the document says so.
pub fn object(properties: &[(&str, RefOr<Schema>)]) -> RefOr<Schema> {
    object_with_optional(properties, &[])
}

/// An object with these required properties and these optional ones, and no other.
pub fn object_with_optional(required: &[(&str, RefOr<Schema>)], optional: &[(&str, RefOr<Schema>)]) -> RefOr<Schema> {
    let mut object = ObjectBuilder::new()
        .schema_type(Type::Object)
        .additional_properties(Some(utoipa::openapi::schema::AdditionalProperties::FreeForm(false)));
    for (name, schema) in required {
        object = object.property(*name, schema.clone()).required(*name);
    }
    for (name, schema) in optional {
        object = object.property(*name, schema.clone());
    }
    object.into()
}

/// An authenticator app's code (or, where it says so, a recovery code).
pub fn totp_code(or_recovery_code: bool) -> RefOr<Schema> {
    let description = match or_recovery_code {
        true => "The 6-digit code the authenticator app shows now, or one of the recovery codes",
        false => "The 6-digit code the authenticator app shows now",
    };
    string().max_length(Some(64)).description(Some(description)).into()
}

/// A string that may also be `null` or left out: the second step of a login takes one of
/// two fields, and a client (ours included) may send the other as `null`.
fn optional_string() -> ObjectBuilder {
    ObjectBuilder::new().schema_type(SchemaType::from_iter([Type::String, Type::Null]))
}

/// The app's code as the second step of a login takes it: or `null`.
pub fn optional_totp_code() -> RefOr<Schema> {
    optional_string()
        .max_length(Some(64))
        .description(Some(
            "The 6-digit code the authenticator app shows now (or send recovery_code)",
        ))
        .into()
}

/// The code a change needs beside the password while two-step verification is on
/// (step-up): the app's code or a recovery code; left out or `null` otherwise.
pub fn step_up_code() -> RefOr<Schema> {
    optional_string()
        .max_length(Some(64))
        .description(Some(
            "With two-step verification on: the 6-digit code the authenticator app shows now, or a recovery code (without it: 403 code_required)",
        ))
        .into()
}

pub fn recovery_code() -> RefOr<Schema> {
    optional_string()
        .max_length(Some(64))
        .description(Some(
            "One of the account's single-use recovery codes, `xxxx-xxxx-xxxx-xxxx` (case, dashes and spaces do not matter)",
        ))
        .into()
}

/// The JSON of a `PublicKeyCredential` from the browser: `credential.toJSON()`.
pub fn webauthn_credential(nullable: bool) -> RefOr<Schema> {
    let object = match nullable {
        true => ObjectBuilder::new().schema_type(SchemaType::from_iter([Type::Object, Type::Null])),
        false => ObjectBuilder::new().schema_type(Type::Object),
    };
    object
        .description(Some(
            "The browser's `PublicKeyCredential` as JSON (`credential.toJSON()`): `id`, `rawId`, `type`, `response`, binary values base64url",
        ))
        .into()
}

pub fn ceremony_id() -> RefOr<Schema> {
    string()
        .description(Some(
            "The `ceremony_id` of the start's answer: 64 hex digits, valid 5 minutes, once",
        ))
        .into()
}

pub fn passkey_name() -> RefOr<Schema> {
    string()
        .min_length(Some(1))
        .max_length(Some(MAX_USERNAME_CHARS))
        .description(Some("What the owner calls it (\"Work laptop\"): 1–50 characters"))
        .into()
}

pub fn passkey_id() -> RefOr<Schema> {
    string()
        .description(Some("The passkey's credential id (base64url)"))
        .into()
}

pub fn mfa_token() -> RefOr<Schema> {
    string()
        .description(Some(
            "The `mfa_token` of the login's 401 `Second factor required`: 64 hex digits, valid 5 minutes and 5 attempts",
        ))
        .into()
}

/// Every refusal's body but a validation failure's.
#[derive(utoipa::ToSchema)]
#[allow(dead_code)] // describes `crate::api::ApiError` on the wire; never built
pub struct ErrorBody {
    detail: String,
    /// What kind of error, for programs: stable, unlike `detail`'s wording.
    code: crate::api::ErrorCode,
    /// Only on 5xx: the id under which the cause is logged.
    error_id: Option<String>,
    /// Only on the 401 `Second factor required` of a login: finishes it at
    /// `POST /auth/login/mfa`.
    mfa_token: Option<String>,
    /// Only beside `mfa_token`: what can finish the login (`totp`, `recovery_code`).
    methods: Option<Vec<String>>,
}

/// A validation failure's body (422), as FastAPI answers it: every refused input.
#[derive(utoipa::ToSchema)]
#[allow(dead_code, clippy::upper_case_acronyms)] // FastAPI's name, kept for clients
pub struct HTTPValidationError {
    detail: Vec<crate::api::ValidationIssue>,
    /// Always `validation_failed`.
    code: crate::api::ErrorCode,
}

/// `Password` (a secret in memory) travels as a plain JSON string.
impl utoipa::PartialSchema for Password {
    fn schema() -> RefOr<Schema> {
        current_password()
    }
}

impl utoipa::ToSchema for Password {}
