//! Property test: random and mutated requests to every endpoint never produce a 5xx
//! (or a panic, which would surface as a 500 or a dropped connection).

use super::helpers::{PASSWORD, TestApp, header};
use proptest::prelude::*;
use proptest::test_runner::{Config as ProptestConfig, RngAlgorithm, TestCaseError, TestRng, TestRunner};
use serde_json::{Map, Value, json};

fn any_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(|n| json!(n)),
        any::<f64>()
            .prop_filter("finite", |f| f.is_finite())
            .prop_map(|f| json!(f)),
        ".{0,40}".prop_map(Value::String),
        Just(json!("a@example.com")),
        Just(json!(PASSWORD)),
    ];
    leaf.prop_recursive(3, 24, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::btree_map("[a-z_]{1,10}", inner, 0..6)
                .prop_map(|m| Value::Object(m.into_iter().collect::<Map<String, Value>>())),
        ]
    })
}

/// What a mutation does to a valid body.
#[derive(Debug, Clone, Copy)]
enum Mutation {
    Keep,
    Remove,
    Set,
}

fn mutate(mut body: Value, field: &str, value: Value, how: Mutation) -> Value {
    let object = body.as_object_mut().expect("object");
    match how {
        Mutation::Keep => {}
        Mutation::Remove => {
            object.remove(field);
        }
        Mutation::Set => {
            object.insert(field.to_owned(), value);
        }
    }
    body
}

fn any_field() -> impl Strategy<Value = &'static str> {
    prop_oneof![
        Just("email"),
        Just("password"),
        Just("username"),
        Just("role"),
        Just("id"),
        Just("current_password"),
        Just("new_password"),
        Just("new_email"),
        Just("token"),
    ]
}

/// A valid signup or login body with one field replaced, removed, or one added.
fn mutated_body() -> impl Strategy<Value = Value> {
    let how = prop_oneof![Just(Mutation::Remove), Just(Mutation::Set), Just(Mutation::Set)];
    (any::<bool>(), any_field(), any_json(), how).prop_map(|(signup, field, value, how)| {
        let body = if signup {
            json!({"email": "m@example.com", "password": PASSWORD, "username": "m"})
        } else {
            json!({"email": "m@example.com", "password": PASSWORD})
        };
        mutate(body, field, value, how)
    })
}

/// The authenticated endpoints, each with a body it accepts. The passwords in them are
/// wrong on purpose, so that most probes leave the fuzz user's session alive.
fn authenticated_endpoint() -> impl Strategy<Value = (&'static str, &'static str, Value)> {
    prop_oneof![
        Just(("PATCH", "/auth/me", json!({"username": "fuzzed name"}))),
        Just((
            "POST",
            "/auth/password",
            json!({"current_password": "not the password", "new_password": "an unguessable new passphrase"})
        )),
        Just(("POST", "/auth/refresh", json!({}))),
        Just(("PATCH", "/admin/users/role", json!({"id": 1, "role": "admin"}))),
        Just(("PATCH", "/admin/users/1", json!({"role": "admin"}))),
        Just(("DELETE", "/auth/me", json!({"password": "not the password"}))),
        Just((
            "POST",
            "/auth/email",
            json!({"new_email": "fz@example.com", "password": "not the password"})
        )),
        Just(("POST", "/auth/verify-email/resend", json!({}))),
    ]
}

/// Answers that only a decoded body of an authenticated caller can produce: the
/// handler ran (200, 202 for a mail on its way, 400 for an address taken or verified
/// already, 403 for a non-admin, 404, 409), or checked the password.
fn reached_the_handler(status: u16, body: &Value) -> bool {
    matches!(status, 200 | 202 | 400 | 403 | 404 | 409) || body["detail"] == "Incorrect password"
}

#[derive(Debug, Clone)]
enum Probe {
    Json {
        path: &'static str,
        body: Value,
    },
    /// An authenticated call (a real user's token) with a random or mutated body.
    Authenticated {
        method: &'static str,
        path: &'static str,
        body: Value,
    },
    Bytes {
        path: &'static str,
        body: Vec<u8>,
    },
    Me {
        authorization: String,
        query: String,
    },
    Anywhere {
        method: &'static str,
        path: String,
        body: Vec<u8>,
    },
}

fn probes() -> impl Strategy<Value = Probe> {
    let endpoint = prop_oneof![
        Just("/auth/signup"),
        Just("/auth/login"),
        Just("/auth/password-reset/request"),
        Just("/auth/password-reset"),
        Just("/auth/verify-email"),
        Just("/auth/email/confirm"),
    ];
    let how = prop_oneof![Just(Mutation::Keep), Just(Mutation::Remove), Just(Mutation::Set)];
    prop_oneof![
        1 => (endpoint.clone(), any_json()).prop_map(|(path, body)| Probe::Json { path, body }),
        1 => (authenticated_endpoint(), any_json()).prop_map(|((method, path, _), body)| Probe::Authenticated {
            method,
            path,
            body
        }),
        3 => (authenticated_endpoint(), any_field(), any_json(), how).prop_map(
            |((method, path, valid), field, value, how)| Probe::Authenticated {
                method,
                path,
                body: mutate(valid, field, value, how),
            }
        ),
        1 => (endpoint.clone(), mutated_body()).prop_map(|(path, body)| Probe::Json { path, body }),
        1 => (endpoint, prop::collection::vec(any::<u8>(), 0..200)).prop_map(|(path, body)| Probe::Bytes { path, body }),
        1 => ("[ -~]{0,80}", "[a-z=&%0-9]{0,30}").prop_map(|(authorization, query)| Probe::Me { authorization, query }),
        1 => (
            prop_oneof![Just("GET"), Just("POST"), Just("PUT"), Just("DELETE"), Just("PATCH")],
            "/(auth|admin)/[a-z/_-]{0,20}",
            prop::collection::vec(any::<u8>(), 0..64)
        )
            .prop_map(|(method, path, body)| Probe::Anywhere { method, path, body }),
    ]
}

#[test]
fn random_and_mutated_requests_never_cause_a_5xx() {
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    let app = runtime.block_on(TestApp::spawn());
    // A real session, so that authenticated probes reach the function bodies. A probe
    // may well change this user's password or delete it: then a new user takes over.
    let users = std::sync::atomic::AtomicUsize::new(0);
    let new_session = || {
        let n = users.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        runtime.block_on(app.user_with_token(&format!("fuzz{n}@example.com"))).1
    };
    let token = std::sync::Mutex::new(new_session());
    let seen = std::sync::Mutex::new(std::collections::BTreeSet::new());
    let reached = std::sync::Mutex::new(std::collections::BTreeMap::<String, usize>::new());
    // A fixed seed: the same probes every run, so the "reached" counts below are stable.
    let mut runner = TestRunner::new_with_rng(
        ProptestConfig {
            cases: 300,
            failure_persistence: None,
            ..ProptestConfig::default()
        },
        TestRng::deterministic_rng(RngAlgorithm::ChaCha),
    );
    let result = runner.run(&probes(), |probe| {
        let request = match &probe {
            Probe::Json { path, body } => app.client.post(app.url(path)).json(body),
            Probe::Authenticated { method, path, body } => app
                .client
                .request(method.parse().expect("method"), app.url(path))
                .bearer_auth(token.lock().expect("token").as_str())
                .json(body),
            Probe::Bytes { path, body } => app
                .client
                .post(app.url(path))
                .header("Content-Type", "application/json")
                .body(body.clone()),
            Probe::Me { authorization, query } => app
                .client
                .get(app.url(&format!("/auth/me?{query}")))
                .header("Authorization", authorization.as_str()),
            Probe::Anywhere { method, path, body } => app
                .client
                .request(method.parse().expect("method"), app.url(path))
                .header("Content-Type", "application/json")
                .body(body.clone()),
        };
        let reply = runtime.block_on(app.send(request));
        seen.lock().expect("status set").insert(reply.status);
        if reply.status >= 500 {
            return Err(TestCaseError::fail(format!(
                "{probe:?} → {} {}",
                reply.status, reply.text
            )));
        }
        // Every answer on /auth/* is a JSON object with a detail or a user/token, or an
        // empty 204 (a refresh without a cookie).
        if reply.status == 204 {
            if !reply.text.is_empty() {
                return Err(TestCaseError::fail(format!(
                    "{probe:?} → 204 with a body {:?}",
                    reply.text
                )));
            }
        } else if !reply.body.is_object() {
            return Err(TestCaseError::fail(format!(
                "{probe:?} → non-JSON body {:?}",
                reply.text
            )));
        }
        if let Probe::Authenticated { method, path, .. } = &probe {
            if reached_the_handler(reply.status, &reply.body) {
                *reached
                    .lock()
                    .expect("counts")
                    .entry(format!("{method} {path}"))
                    .or_default() += 1;
            }
            let session_gone = header(&reply, "www-authenticate").is_some_and(|v| v.contains("invalid_token"));
            if session_gone && *path != "/auth/refresh" {
                *token.lock().expect("token") = new_session();
            }
        }
        Ok(())
    });
    if let Err(failure) = result {
        panic!("{failure}");
    }
    // The probes reached every layer: the body decoder (422), the token check (401) and,
    // with a decoded body and a valid token, each authenticated handler itself.
    let seen = seen.into_inner().expect("status set");
    for status in [401, 422] {
        assert!(
            seen.contains(&status),
            "no probe answered {status}; statuses seen: {seen:?}"
        );
    }
    let reached = reached.into_inner().expect("counts");
    for endpoint in [
        "PATCH /auth/me",
        "POST /auth/password",
        "DELETE /auth/me",
        "PATCH /admin/users/role",
        "PATCH /admin/users/1",
        "POST /auth/email",
        "POST /auth/verify-email/resend",
    ] {
        assert!(
            reached.get(endpoint).is_some_and(|n| *n > 0),
            "no probe reached the handler of {endpoint}: {reached:?}"
        );
    }
}
