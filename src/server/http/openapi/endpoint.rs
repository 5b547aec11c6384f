//! One public endpoint as the API list (`crate::server::api::endpoints`) declares it: what
//! it takes, what it answers, the refusals particular to it, and for a server function the
//! function itself, whose path and method come from its `#[server]` attribute alone.
//! `super::document` adds what every endpoint of its kind can answer (401 without a valid
//! token, 413/415/422 for a body, 503 when the database is away…). Also the example
//! values the features' rows share.

use axum::body::Body;
use axum::http::{Method, Request, Response};
use leptos::server_fn::axum::register_explicit;
use leptos::server_fn::{self as server_fn, Protocol, ServerFn};
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
    pub method: Method,
    pub path: &'static str,
    /// The operation id: the server function's name (generated clients name methods after it).
    pub id: String,
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
    /// For a server function: registers it with the router (`register_explicit`).
    pub register: Option<fn()>,
}

pub const PASSWORD: &str = "correct horse battery staple";
pub const NEW_PASSWORD: &str = "a completely new passphrase 77";
pub const TOKEN: &str = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJl";
pub const LINK: &str = "3f5a8c0e9b7d6a4f2e1c0b9a8d7e6f5a4b3c2d1e0f9a8b7c6d5e4f3a2b1c0d9e";

pub fn user() -> Value {
    json!({"id": 1, "email": "ada@example.com", "username": "Ada L."})
}

pub fn account(role: &str) -> Value {
    json!({"id": 1, "email": "ada@example.com", "username": "Ada L.", "role": role, "email_verified": true, "second_factor": false})
}

pub fn tokens() -> Value {
    json!({"access_token": TOKEN, "token_type": "bearer"})
}

impl Endpoint {
    /// The row of server function `F`: its path and method are the ones its `#[server]`
    /// attribute gives the router, its operation id is the function's name.
    pub fn server_fn<F>(tag: &'static str, summary: &'static str, caller: Caller) -> Self
    where
        F: ServerFn<
                Server: server_fn::server::Server<
                    F::Error,
                    F::InputStreamError,
                    F::OutputStreamError,
                    Request = Request<Body>,
                    Response = Response<Body>,
                >,
            > + 'static,
    {
        let mut endpoint = Self::route(F::Protocol::METHOD, F::PATH, &operation_id::<F>(), tag, summary, caller);
        endpoint.register = Some(register_explicit::<F>);
        endpoint
    }

    /// A route of `crate::server::http::rest`, for an operation whose natural HTTP shape a
    /// server function cannot have (and, through `server_fn`, every other row).
    pub fn route(
        method: Method,
        path: &'static str,
        id: &str,
        tag: &'static str,
        summary: &'static str,
        caller: Caller,
    ) -> Self {
        Endpoint {
            method,
            path,
            id: id.to_owned(),
            tag,
            summary,
            caller,
            throttled: false,
            params: Vec::new(),
            body: None,
            answer: (200, "", Value::Null),
            refusals: Vec::new(),
            register: None,
        }
    }
}

/// `crate::api::ChangePassword` → `change_password`: the server function's own name, which
/// the `#[server]` macro turned into the type's.
fn operation_id<F>() -> String {
    let type_name = std::any::type_name::<F>();
    let name = type_name.rsplit("::").next().unwrap_or(type_name);
    let mut id = String::with_capacity(name.len() + 4);
    for (index, letter) in name.char_indices() {
        if letter.is_ascii_uppercase() && index > 0 {
            id.push('_');
        }
        id.push(letter.to_ascii_lowercase());
    }
    id
}

impl Endpoint {
    pub fn body(mut self, schema: RefOr<Schema>, example: Value) -> Self {
        self.body = Some((schema, example));
        self
    }

    pub fn answer(mut self, status: u16, schema: &'static str, example: Value) -> Self {
        self.answer = (status, schema, example);
        self
    }

    pub fn refuses(mut self, status: u16, when: &'static str) -> Self {
        self.refusals.push((status, when));
        self
    }

    pub fn throttled(mut self) -> Self {
        self.throttled = true;
        self
    }

    pub fn param(mut self, param: Param) -> Self {
        self.params.push(param);
        self
    }
}

pub fn passkey() -> Value {
    json!({"id": "q1w2e3r4t5y6u7i8o9p0", "name": "Work laptop", "created_at": 1764115200, "last_used_at": null})
}

pub fn request_options() -> Value {
    json!({"publicKey": {"challenge": "Zm9vYmFyYmF6", "timeout": 300000, "rpId": "auth.example.com", "allowCredentials": [], "userVerification": "required"}})
}

pub fn recovery_codes() -> Value {
    json!({"recovery_codes": [
        "7k2m-9xq4-h3tp-w8ne", "c5rj-2v8d-m4kz-0fby", "q9hs-6wt3-x2ma-7jpc", "e4nd-8kq2-z6vr-3hwt",
        "b7pm-1yc9-s5fk-4xqa", "t2wg-7hn4-d9rb-6mkz", "f8xs-3qa6-j1vc-9pwe", "m6kd-5rt2-y8hb-2nqs",
        "w3ja-9fc7-k4xm-8tdz", "h1qe-6bs3-v7wn-5kry"
    ]})
}
