//! The published description of the API: `GET /openapi.json` (OpenAPI 3.1) and the
//! interactive documentation at `GET /docs` (Swagger UI, served from this binary: its files
//! come from the `utoipa-swagger-ui` crate, nothing is loaded from another host).
//! `OPENAPI_DOCS=false` serves neither.
//!
//! The document is assembled from [`crate::server::api::endpoints`], one row per endpoint, plus the
//! answers every endpoint of a kind can give, which are added here in one place: a body
//! can be too large (413), not JSON (415), slow (408) or invalid (422); a state change
//! from another site is refused (403); a token can be missing or refused (401, with its
//! `WWW-Authenticate`); a throttle answers 429 and the database or the hashing pool 503,
//! both with `Retry-After`. Response bodies take their schemas from the types in
//! `crate::api`; request bodies from the limits in `crate::validation`.

pub mod endpoint;
pub mod schemas;

use crate::api::{
    Accepted, Account, Deleted, EmailChanged, EmailVerified, ErrorCode, FactorRemoved, Loc, LoggedOut, PasskeyInfo,
    PasskeyList, PasskeyOptions, PasskeyRequest, PasskeysRemoved, PasswordResetDone, RecoveryCodes, Role,
    TokenResponse, TotpEnrolment, User, UserPage, ValidationIssue,
};
use crate::server::api::endpoints;
use crate::server::error::AuthError;
use axum::http::Method;
use endpoint::{Caller, Endpoint};
use schemas::{ErrorBody, HTTPValidationError};
use serde_json::json;
use std::collections::BTreeMap;
use utoipa::openapi::content::ContentBuilder;
use utoipa::openapi::header::HeaderBuilder;
use utoipa::openapi::path::{HttpMethod, OperationBuilder, ParameterBuilder, ParameterIn};
use utoipa::openapi::request_body::RequestBodyBuilder;
use utoipa::openapi::response::ResponseBuilder;
use utoipa::openapi::schema::{ComponentsBuilder, ObjectBuilder, Type};
use utoipa::openapi::security::{
    ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityRequirement, SecurityScheme,
};
use utoipa::openapi::{InfoBuilder, OpenApi, OpenApiBuilder, PathsBuilder, Ref, Required, Tag};
use utoipa_swagger_ui::{Config as SwaggerConfig, SwaggerUi};

/// Where the document and the documentation are served.
pub const DOCUMENT_PATH: &str = "/openapi.json";
pub const DOCS_PATH: &str = "/docs";

/// The routes of the document and of the documentation page.
pub fn routes<S: Clone + Send + Sync + 'static>(refresh_cookie: &str) -> axum::Router<S> {
    let config = SwaggerConfig::default()
        .persist_authorization(true)
        .try_it_out_enabled(true)
        .display_operation_id(true)
        // Otherwise the page asks validator.swagger.io about the document.
        .validator_url("none");
    SwaggerUi::new(DOCS_PATH)
        .url(DOCUMENT_PATH, document(refresh_cookie))
        .config(config)
        .into()
}

/// The OpenAPI document; `refresh_cookie` is the refresh cookie's name in this deployment
/// (`__Host-refresh_token`, or `refresh_token` with `COOKIE_SECURE=false`).
pub fn document(refresh_cookie: &str) -> OpenApi {
    let mut paths = PathsBuilder::new().build();
    for endpoint in endpoints() {
        paths.add_path_operation(endpoint.path, vec![method(&endpoint.method)], operation(&endpoint));
    }
    OpenApiBuilder::new()
        .info(
            InfoBuilder::new()
                .title("AuthKit")
                .version(env!("CARGO_PKG_VERSION"))
                .description(Some(
                    "A login system: accounts, sessions, roles and mail. Every error body is \
                     `{\"detail\": \"...\"}`. Log in with `POST /auth/login`, then send \
                     `Authorization: Bearer <access_token>`.",
                ))
                .build(),
        )
        .paths(paths)
        .components(Some(components(refresh_cookie)))
        .tags(Some(
            [
                ("auth", "The FastAPI service's three endpoints"),
                ("sessions", "Staying logged in and logging out"),
                ("account", "One's own account"),
                ("password reset", "Forgotten passwords"),
                ("email", "Verifying and changing the address"),
                ("second factor", "Authenticator apps and recovery codes"),
                (
                    "passkeys",
                    "Passkeys (WebAuthn): registering them, and signing in with one",
                ),
                ("admin", "Administration (admins only)"),
            ]
            .map(|(name, description)| {
                let mut tag = Tag::new(name);
                tag.description = Some(description.to_owned());
                tag
            }),
        ))
        .build()
}

fn method(method: &Method) -> HttpMethod {
    match *method {
        Method::GET => HttpMethod::Get,
        Method::PATCH => HttpMethod::Patch,
        Method::DELETE => HttpMethod::Delete,
        _ => HttpMethod::Post,
    }
}

fn operation(endpoint: &Endpoint) -> utoipa::openapi::path::Operation {
    let mut operation = OperationBuilder::new()
        .operation_id(Some(endpoint.id.as_str()))
        .summary(Some(endpoint.summary))
        .tag(endpoint.tag);
    for param in &endpoint.params {
        operation = operation.parameter(
            ParameterBuilder::new()
                .name(param.name)
                .parameter_in(if param.in_path {
                    ParameterIn::Path
                } else {
                    ParameterIn::Query
                })
                .required(if param.in_path { Required::True } else { Required::False })
                .description(Some(param.description))
                .schema(Some(param.schema.clone())),
        );
    }
    if let Some((schema, example)) = &endpoint.body {
        let content = ContentBuilder::new()
            .schema(Some(schema.clone()))
            .example(Some(example.clone()))
            .build();
        operation = operation.request_body(Some(
            RequestBodyBuilder::new()
                .content("application/json", content)
                .required(Some(Required::True))
                .build(),
        ));
    }
    let (status, schema, example) = &endpoint.answer;
    operation = operation.response(
        status.to_string(),
        ResponseBuilder::new()
            .description(if *status == 202 {
                "Accepted: the mail is on its way"
            } else {
                "Done"
            })
            .content(
                "application/json",
                ContentBuilder::new()
                    .schema(Some(Ref::from_schema_name(*schema)))
                    .example(Some(example.clone()))
                    .build(),
            ),
    );
    if endpoint.caller == Caller::Cookie {
        // Every page load of a logged-out visitor asks: not an error, nothing to say.
        operation = operation.response(
            "204",
            ResponseBuilder::new().description("No refresh cookie was sent: nobody is logged in, nothing changes"),
        );
    }
    for (status, when) in refusals(endpoint) {
        operation = operation.response(status.to_string(), refusal(status, &when));
    }
    match endpoint.caller {
        Caller::User | Caller::Admin => {
            operation = operation.security(SecurityRequirement::new("bearer", Vec::<String>::new()))
        }
        Caller::Cookie => {
            operation = operation.security(SecurityRequirement::new("refresh_cookie", Vec::<String>::new()))
        }
        Caller::Anyone => {}
    }
    operation.build()
}

/// Every refusal of the endpoint: its own, and those of its kind. Several causes of one
/// status share its description.
fn refusals(endpoint: &Endpoint) -> BTreeMap<u16, String> {
    let mut all: BTreeMap<u16, Vec<&str>> = BTreeMap::new();
    let mut add = |status: u16, when: &'static str| all.entry(status).or_default().push(when);
    for (status, when) in &endpoint.refusals {
        add(*status, when);
    }
    match endpoint.caller {
        Caller::User => add(401, "Not authenticated, or the token is invalid, expired or revoked"),
        Caller::Admin => {
            add(401, "Not authenticated, or the token is invalid, expired or revoked");
            add(403, "Not allowed: the account is not an admin");
        }
        Caller::Cookie => add(
            401,
            "The refresh cookie is unknown, expired, revoked or reused (and is cleared)",
        ),
        Caller::Anyone => {}
    }
    if endpoint.method != "GET" {
        add(
            403,
            "Cross-site request refused (a state change sent by another site's page)",
        );
        add(408, "The request body took too long to arrive");
        add(413, "Request body too large (16 KiB at most)");
        add(415, "Content-Type must be application/json");
    }
    add(
        422,
        "Invalid input: a missing, null, wrongly typed or unknown field, or a value the rules refuse",
    );
    if endpoint.throttled {
        add(429, "Too many attempts: wait Retry-After seconds");
    }
    add(
        503,
        "The service is busy or its database unavailable: retry (after Retry-After seconds when given)",
    );
    all.into_iter()
        .map(|(status, causes)| (status, causes.join("; ")))
        .collect()
}

fn refusal(status: u16, when: &str) -> utoipa::openapi::response::Response {
    let (schema, example) = if status == 422 {
        let example = json!({"detail": [{
            "type": "value_error",
            "loc": ["body", "email"],
            "msg": "Enter a valid email address",
            "input": "ada@example"
        }], "code": "validation_failed"});
        ("HTTPValidationError", example)
    } else {
        ("ErrorBody", example_body(status))
    };
    let mut response = ResponseBuilder::new().description(when).content(
        "application/json",
        ContentBuilder::new()
            .schema(Some(Ref::from_schema_name(schema)))
            .example(Some(example))
            .build(),
    );
    let string = || ObjectBuilder::new().schema_type(Type::String);
    match status {
        401 => {
            response = response.header(
                "WWW-Authenticate",
                HeaderBuilder::new()
                    .schema(string())
                    .description(Some(
                        "`Bearer`, or `Bearer error=\"invalid_token\"` when a token was refused",
                    ))
                    .build(),
            )
        }
        429 | 503 => {
            response = response.header(
                "Retry-After",
                HeaderBuilder::new()
                    .schema(ObjectBuilder::new().schema_type(Type::Integer).minimum(Some(1)))
                    .description(Some("Seconds to wait before retrying"))
                    .build(),
            )
        }
        _ => {}
    }
    response.build()
}

/// An example body for a refusal with `status`, as the server writes it (`detail`, `code`).
fn example_body(status: u16) -> serde_json::Value {
    let error = match status {
        400 => AuthError::InvalidLink,
        401 => AuthError::InvalidToken("example"),
        403 => AuthError::Forbidden,
        404 => AuthError::UnknownUser,
        408 => AuthError::BodyTimeout,
        409 => AuthError::LastAdmin,
        413 => AuthError::BodyTooLarge,
        415 => AuthError::NotJson,
        429 => AuthError::TooManyRequests(std::time::Duration::from_secs(30)),
        _ => AuthError::Unavailable,
    };
    json!({"detail": error.to_string(), "code": error.code()})
}

fn components(refresh_cookie: &str) -> utoipa::openapi::Components {
    let mut components = ComponentsBuilder::new()
        .schema_from::<User>()
        .schema_from::<Account>()
        .schema_from::<Role>()
        .schema_from::<UserPage>()
        .schema_from::<TokenResponse>()
        .schema_from::<LoggedOut>()
        .schema_from::<Deleted>()
        .schema_from::<Accepted>()
        .schema_from::<PasswordResetDone>()
        .schema_from::<EmailVerified>()
        .schema_from::<EmailChanged>()
        .schema_from::<TotpEnrolment>()
        .schema_from::<RecoveryCodes>()
        .schema_from::<FactorRemoved>()
        .schema_from::<PasskeysRemoved>()
        .schema_from::<PasskeyOptions>()
        .schema_from::<PasskeyRequest>()
        .schema_from::<PasskeyInfo>()
        .schema_from::<PasskeyList>()
        .schema_from::<ErrorBody>()
        .schema_from::<ErrorCode>()
        .schema_from::<HTTPValidationError>()
        .schema_from::<ValidationIssue>()
        .schema_from::<Loc>()
        .build();
    components.add_security_scheme(
        "bearer",
        SecurityScheme::Http(
            HttpBuilder::new()
                .scheme(HttpAuthScheme::Bearer)
                .bearer_format("JWT")
                .description(Some(
                    "The `access_token` from login, signup's refresh, or `POST /auth/refresh` (30 minutes)",
                ))
                .build(),
        ),
    );
    components.add_security_scheme(
        "refresh_cookie",
        SecurityScheme::ApiKey(ApiKey::Cookie(ApiKeyValue::with_description(
            refresh_cookie,
            "The HttpOnly refresh cookie that login and signup set; each refresh replaces it",
        ))),
    );
    components
}
