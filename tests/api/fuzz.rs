//! Property test: random and mutated requests to every endpoint never produce a 5xx
//! (or a panic, which would surface as a 500 or a dropped connection).

use super::helpers::{PASSWORD, TestApp};
use proptest::prelude::*;
use proptest::test_runner::{Config as ProptestConfig, TestCaseError, TestRunner};
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

/// A valid body for the endpoint with one field replaced, removed, or one added.
fn mutated_body() -> impl Strategy<Value = Value> {
    let fields = prop_oneof![
        Just("email"),
        Just("password"),
        Just("username"),
        Just("role"),
        Just("id"),
        Just("current_password"),
        Just("new_password"),
    ];
    (any::<bool>(), fields, any_json(), 0u8..3).prop_map(|(signup, field, value, how)| {
        let mut body = if signup {
            json!({"email": "m@example.com", "password": PASSWORD, "username": "m"})
        } else {
            json!({"email": "m@example.com", "password": PASSWORD})
        };
        let object = body.as_object_mut().expect("object");
        match how {
            0 => {
                object.remove(field);
            }
            _ => {
                object.insert(field.to_owned(), value);
            }
        }
        body
    })
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
    let endpoint = prop_oneof![Just("/auth/signup"), Just("/auth/login")];
    let authenticated = prop_oneof![
        Just(("PATCH", "/auth/me")),
        Just(("POST", "/auth/password")),
        Just(("POST", "/auth/refresh")),
        Just(("PATCH", "/admin/users/role")),
        Just(("PATCH", "/admin/users/1")),
        Just(("DELETE", "/auth/me")),
    ];
    prop_oneof![
        (endpoint.clone(), any_json()).prop_map(|(path, body)| Probe::Json { path, body }),
        (authenticated.clone(), any_json()).prop_map(|((method, path), body)| Probe::Authenticated {
            method,
            path,
            body
        }),
        (authenticated, mutated_body()).prop_map(|((method, path), body)| Probe::Authenticated { method, path, body }),
        (endpoint.clone(), mutated_body()).prop_map(|(path, body)| Probe::Json { path, body }),
        (endpoint, prop::collection::vec(any::<u8>(), 0..200)).prop_map(|(path, body)| Probe::Bytes { path, body }),
        ("[ -~]{0,80}", "[a-z=&%0-9]{0,30}").prop_map(|(authorization, query)| Probe::Me { authorization, query }),
        (
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
    // A real session, so that authenticated probes reach the function bodies. (A probe
    // may well change this user's password or delete it; that is fine.)
    let (_, token) = runtime.block_on(app.user_with_token("fuzz@example.com"));
    let seen = std::sync::Mutex::new(std::collections::BTreeSet::new());
    let mut runner = TestRunner::new(ProptestConfig {
        cases: 300,
        failure_persistence: None,
        ..ProptestConfig::default()
    });
    let result = runner.run(&probes(), |probe| {
        let request = match &probe {
            Probe::Json { path, body } => app.client.post(app.url(path)).json(body),
            Probe::Authenticated { method, path, body } => app
                .client
                .request(method.parse().expect("method"), app.url(path))
                .bearer_auth(&token)
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
        // Every answer on /auth/* is a JSON object with a detail or a user/token.
        if !reply.body.is_object() {
            return Err(TestCaseError::fail(format!(
                "{probe:?} → non-JSON body {:?}",
                reply.text
            )));
        }
        Ok(())
    });
    if let Err(failure) = result {
        panic!("{failure}");
    }
    // The probes reached more than one layer: the body decoder (422) and the token check
    // (401). A 200 depends on the random cases drawn, so it is not required.
    let seen = seen.into_inner().expect("status set");
    for status in [401, 422] {
        assert!(
            seen.contains(&status),
            "no probe answered {status}; statuses seen: {seen:?}"
        );
    }
}
