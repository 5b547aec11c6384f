//! The published API description (`/openapi.json`) against the server itself: it lists
//! exactly the routes the server serves, every example in it is accepted, and the
//! documentation can be switched off. (Its validity as OpenAPI 3.1 and the answers'
//! conformance to it are checked by `make contract`: openapi-spec-validator and
//! Schemathesis against a release server.)

use super::helpers::{PASSWORD, TestApp, bearer};
use serde_json::{Value, json};
use std::collections::BTreeSet;

const METHODS: [&str; 4] = ["get", "post", "patch", "delete"];

async fn document(app: &TestApp) -> Value {
    let reply = app.send(app.client.get(app.url("/openapi.json"))).await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    assert!(
        reply.headers["content-type"]
            .to_str()
            .unwrap()
            .starts_with("application/json"),
        "{:?}",
        reply.headers
    );
    reply.body
}

/// Every (METHOD, path) the document describes.
fn operations(document: &Value) -> BTreeSet<(String, String)> {
    let mut operations = BTreeSet::new();
    for (path, item) in document["paths"].as_object().expect("paths") {
        for method in METHODS {
            if item.get(method).is_some() {
                operations.insert((method.to_uppercase(), path.clone()));
            }
        }
    }
    operations
}

#[tokio::test]
async fn the_document_lists_exactly_the_routes_the_server_serves() {
    let app = TestApp::spawn().await;
    let document = document(&app).await;
    assert_eq!(document["openapi"], "3.1.0");
    let described = operations(&document);

    // What the server serves: every registered server function, and the REST forms.
    let mut served: BTreeSet<(String, String)> = leptos::server_fn::axum::server_fn_paths()
        .map(|(path, method)| (method.to_string(), path.to_owned()))
        .collect();
    served.extend(
        authkit::server::http::REST_ROUTES
            .iter()
            .map(|(method, path)| (method.to_string(), path.to_string())),
    );
    assert_eq!(
        described.difference(&served).collect::<Vec<_>>(),
        Vec::<&(String, String)>::new(),
        "described but not served"
    );
    assert_eq!(
        served.difference(&described).collect::<Vec<_>>(),
        Vec::<&(String, String)>::new(),
        "served but not described"
    );

    // And each is really answered by a handler: never 404 or 405.
    for (method, path) in &described {
        let url = app.url(&path.replace("{id}", "1"));
        let reply = app
            .send(app.client.request(method.parse().unwrap(), url).json(&json!({})))
            .await;
        assert!(
            ![404, 405].contains(&reply.status) || reply.body["detail"] == "No such user",
            "{method} {path}: {} {}",
            reply.status,
            reply.text
        );
    }
}

fn collect_references(value: &Value, into: &mut Vec<String>) {
    match value {
        Value::Object(map) => {
            if let Some(Value::String(reference)) = map.get("$ref") {
                into.push(reference.clone());
            }
            map.values().for_each(|v| collect_references(v, into));
        }
        Value::Array(items) => items.iter().for_each(|v| collect_references(v, into)),
        _ => {}
    }
}

/// Every string in `value`'s `enum` lists, at any depth.
fn enum_values(value: &Value, into: &mut BTreeSet<String>) {
    match value {
        Value::Object(map) => {
            if let Some(Value::Array(values)) = map.get("enum") {
                into.extend(values.iter().filter_map(Value::as_str).map(str::to_owned));
            }
            map.values().for_each(|inner| enum_values(inner, into));
        }
        Value::Array(items) => items.iter().for_each(|inner| enum_values(inner, into)),
        _ => {}
    }
}

/// Every error carries a stable `code` beside `detail`, one of the `ErrorCode`s the
/// document lists, whatever refused it: a service, the request guard, the router.
#[tokio::test]
async fn every_error_carries_a_documented_code() {
    let app = TestApp::spawn().await;
    let document = document(&app).await;
    let schemas = &document["components"]["schemas"];
    let mut codes = BTreeSet::new();
    enum_values(&schemas["ErrorCode"], &mut codes);
    for code in [
        "invalid_credentials",
        "validation_failed",
        "not_authenticated",
        "too_many_requests",
    ] {
        assert!(codes.contains(code), "{code} in {codes:?}");
    }
    for body in ["ErrorBody", "HTTPValidationError"] {
        assert_eq!(
            schemas[body]["properties"]["code"]["$ref"], "#/components/schemas/ErrorCode",
            "{body}"
        );
        assert!(
            schemas[body]["required"].as_array().unwrap().contains(&json!("code")),
            "{body}: {}",
            schemas[body]
        );
    }

    app.signup("coded@example.com", "coded").await;
    let refusals = [
        (
            app.login("coded@example.com", "not the password").await,
            401,
            "invalid_credentials",
        ),
        (app.me(None).await, 401, "not_authenticated"),
        (app.me(Some("Bearer forged")).await, 401, "invalid_token"),
        (
            app.post_json("/auth/signup", &json!({})).await,
            422,
            "validation_failed",
        ),
        (app.post_raw("/auth/login", "{").await, 422, "validation_failed"),
        (
            app.send(app.client.get(app.url("/auth/no-such-endpoint"))).await,
            404,
            "not_found",
        ),
        (
            app.send(app.client.put(app.url("/health/live"))).await,
            405,
            "method_not_allowed",
        ),
    ];
    for (reply, status, code) in refusals {
        assert_eq!(
            (reply.status, reply.body["code"].as_str()),
            (status, Some(code)),
            "{}",
            reply.text
        );
        assert!(codes.contains(code), "{code} is documented");
        assert!(reply.body["detail"].is_string() || reply.body["detail"].is_array());
    }
}

/// The README's endpoint tables (people read them) name exactly the endpoints of the API
/// list: a row for each, including the twins a row names with "also".
#[test]
fn the_readme_tables_and_the_endpoint_list_agree() {
    let readme = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).expect("README.md");
    let mut in_readme = BTreeSet::new();
    for row in readme.lines().filter(|line| line.starts_with("| `")) {
        // The first cell; a `|` inside it is escaped as `\|`, with no spaces around.
        let cell = row.split(" | ").next().unwrap_or_default();
        for (index, _) in cell.match_indices('`') {
            let quoted = &cell[index + 1..];
            let Some((method, rest)) = quoted.split_once(' ') else {
                continue;
            };
            if !METHODS.contains(&method.to_lowercase().as_str()) {
                continue;
            }
            let path: String = rest.chars().take_while(|c| !matches!(c, '`' | '?' | ' ')).collect();
            if path.starts_with("/auth/") || path.starts_with("/admin/") {
                in_readme.insert((method.to_owned(), path));
            }
        }
    }
    let listed: BTreeSet<(String, String)> = authkit::server::api::endpoints()
        .iter()
        .map(|endpoint| (endpoint.method.to_string(), endpoint.path.to_owned()))
        .collect();
    assert_eq!(listed.len(), 34, "{listed:?}");
    assert_eq!(
        listed.difference(&in_readme).collect::<Vec<_>>(),
        Vec::<&(String, String)>::new(),
        "in the list, missing from the README's tables"
    );
    assert_eq!(
        in_readme.difference(&listed).collect::<Vec<_>>(),
        Vec::<&(String, String)>::new(),
        "in the README's tables, not in the list"
    );
}

#[tokio::test]
async fn every_operation_documents_its_refusals() {
    let app = TestApp::spawn().await;
    let document = document(&app).await;
    for (method, path) in operations(&document) {
        let operation = &document["paths"][&path][method.to_lowercase()];
        let responses = operation["responses"].as_object().expect("responses");
        let name = format!("{method} {path}");
        assert!(responses.keys().any(|s| s.starts_with('2')), "{name}: no success");
        for status in ["422", "503"] {
            assert!(responses.contains_key(status), "{name}: no {status}");
        }
        assert_eq!(
            responses["503"]["headers"]["Retry-After"]["schema"]["type"], "integer",
            "{name}"
        );
        if operation.get("security").is_some() {
            assert!(
                responses["401"]["headers"].get("WWW-Authenticate").is_some() || path == "/auth/refresh",
                "{name}: 401 without its challenge"
            );
        }
        if method != "GET" {
            for status in ["413", "415"] {
                assert!(responses.contains_key(status), "{name}: no {status}");
            }
        }
        assert!(operation["operationId"].is_string(), "{name}");
    }
    // Every reference resolves (a schema named but never added would leave clients guessing).
    let mut references = Vec::new();
    collect_references(&document, &mut references);
    assert!(references.len() > 20, "{references:?}");
    for reference in references {
        let name = reference
            .strip_prefix("#/components/schemas/")
            .expect("a schema reference");
        assert!(
            document["components"]["schemas"].get(name).is_some(),
            "{reference} does not resolve"
        );
    }
    let validation = &document["paths"]["/auth/login"]["post"]["responses"]["422"]["content"]["application/json"];
    assert_eq!(validation["schema"]["$ref"], "#/components/schemas/HTTPValidationError");
    let schemes = &document["components"]["securitySchemes"];
    assert_eq!(schemes["bearer"]["scheme"], "bearer");
    assert_eq!(schemes["refresh_cookie"]["in"], "cookie");
    assert_eq!(
        schemes["refresh_cookie"]["name"], "refresh_token",
        "COOKIE_SECURE=false in tests"
    );
    let signup = &document["paths"]["/auth/signup"]["post"]["requestBody"]["content"]["application/json"]["schema"];
    assert_eq!(signup["properties"]["email"]["maxLength"], 254);
    assert_eq!(signup["properties"]["password"]["minLength"], 8);
    assert_eq!(signup["properties"]["username"]["maxLength"], 50);
    assert_eq!(signup["additionalProperties"], false);
}

/// The examples are what a reader copies first: each request example, sent as it is (by a
/// logged-in user, an admin for the admin operations), is taken — never a 422 — so the
/// documented fields are the fields the server reads.
#[tokio::test]
async fn every_documented_example_is_accepted() {
    let app = TestApp::spawn().await;
    let document = document(&app).await;
    let (_, admin) = app.user_with_token("root@example.com").await;
    app.make_admin("root@example.com").await;
    app.signup("someone@example.com", "x").await;
    let mut tried = 0;
    for (method, path) in operations(&document) {
        let operation = &document["paths"][&path][method.to_lowercase()];
        let example = &operation["requestBody"]["content"]["application/json"]["example"];
        let token = if path.starts_with("/admin/") {
            admin.clone()
        } else {
            // A fresh user per operation: an example may change the password or delete it.
            let email = format!("ex{tried}@example.com");
            app.user_with_token(&email).await.1
        };
        let url = app.url(&path.replace("{id}", "2"));
        let mut request = app
            .client
            .request(method.parse().unwrap(), url)
            .header("Authorization", bearer(&token));
        if !example.is_null() {
            request = request.json(example);
        }
        let reply = app.send(request).await;
        assert!(
            reply.status != 422 && reply.status < 500,
            "{method} {path} with {example}: {} {}",
            reply.status,
            reply.text
        );
        tried += 1;
    }
    assert!(tried >= 20, "{tried}");
    // The signup example used ada@example.com with the test password; the login example works.
    assert_eq!(app.login("ada@example.com", PASSWORD).await.status, 200);
}

#[tokio::test]
async fn the_docs_page_has_its_own_policy_and_both_routes_can_be_switched_off() {
    let app = TestApp::spawn().await;
    let page = app.send(app.client.get(app.url("/docs/"))).await;
    assert_eq!(page.status, 200);
    assert!(page.text.contains("swagger-ui"), "{}", page.text);
    let csp = page.headers["content-security-policy"].to_str().unwrap();
    assert!(csp.contains("script-src 'self';"), "{csp}");
    assert!(!csp.contains("unsafe-eval") && !csp.contains("script-src 'self' 'unsafe-inline'"));
    let initializer = app.send(app.client.get(app.url("/docs/swagger-initializer.js"))).await;
    assert!(initializer.text.contains("/openapi.json"), "{}", initializer.text);
    assert!(
        initializer.text.contains(r#""validatorUrl": "none""#),
        "{}",
        initializer.text
    );

    let hidden = TestApp::spawn_with(&[("OPENAPI_DOCS", "false")]).await;
    for path in ["/openapi.json", "/docs/", "/docs"] {
        let reply = hidden.send(hidden.client.get(hidden.url(path))).await;
        assert_eq!(reply.status, 404, "{path}");
    }
}
