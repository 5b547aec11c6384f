//! The schemas of request bodies, built from the same limits the validation enforces
//! (`crate::validation`), so that the document cannot promise other lengths than the
//! server checks. Response bodies derive theirs from their types (`crate::api`).

use crate::api::Password;
use crate::validation::{MAX_EMAIL_LEN, MAX_PASSWORD_CHARS, MAX_USERNAME_CHARS, MIN_PASSWORD_CHARS};
use utoipa::openapi::schema::{KnownFormat, ObjectBuilder, Schema, SchemaFormat, Type};
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
    let mut object = ObjectBuilder::new()
        .schema_type(Type::Object)
        .additional_properties(Some(utoipa::openapi::schema::AdditionalProperties::FreeForm(false)));
    for (name, schema) in properties {
        object = object.property(*name, schema.clone()).required(*name);
    }
    object.into()
}

/// Every refusal's body but a validation failure's.
#[derive(utoipa::ToSchema)]
#[allow(dead_code)] // describes `crate::api::ApiError` on the wire; never built
pub struct ErrorBody {
    detail: String,
    /// Only on 5xx: the id under which the cause is logged.
    error_id: Option<String>,
}

/// A validation failure's body (422), as FastAPI answers it: every refused input.
#[derive(utoipa::ToSchema)]
#[allow(dead_code, clippy::upper_case_acronyms)] // FastAPI's name, kept for clients
pub struct HTTPValidationError {
    detail: Vec<crate::api::ValidationIssue>,
}

/// `Password` (a secret in memory) travels as a plain JSON string.
impl utoipa::PartialSchema for Password {
    fn schema() -> RefOr<Schema> {
        current_password()
    }
}

impl utoipa::ToSchema for Password {}
