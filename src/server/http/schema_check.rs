//! The shape of an API request, checked against the published OpenAPI document
//! (`super::openapi`) before any handler runs: the body is JSON, an object, has
//! every required field and no other, and each field has its JSON type (a string, an
//! integer, one of an enum's values); integer query and path parameters parse. Every
//! refused input is reported at once, as FastAPI reports it (`super::validation_issues`).
//!
//! Rules about values (an address's syntax, a password's length) stay with the services
//! (`crate::validation`); this is the document's contract only, so the document cannot
//! promise one shape while the server takes another.

use super::validation_issues;
use crate::api::ValidationIssue;
use serde_json::Value;
use std::sync::LazyLock;

/// The document as JSON (the refresh cookie's name plays no part in shapes).
static DOCUMENT: LazyLock<Value> =
    LazyLock::new(|| serde_json::to_value(super::openapi::document("refresh_token")).unwrap_or(Value::Null));

/// Checks a request to `path` (no query) against its operation in the document. Requests
/// the document does not describe pass: the router answers them (404, 405).
pub fn check(method: &str, path: &str, query: Option<&str>, body: &[u8]) -> Result<(), Vec<ValidationIssue>> {
    let Some((operation, path_params)) = operation(method, path) else {
        return Ok(());
    };
    let mut refused = Vec::new();
    for parameter in operation["parameters"].as_array().into_iter().flatten() {
        let name = parameter["name"].as_str().unwrap_or_default();
        let value = match parameter["in"].as_str() {
            Some("path") => path_params.iter().find(|(n, _)| n == name).map(|(_, v)| v.clone()),
            Some("query") => query_value(query, name),
            _ => None,
        };
        if let Some(value) = value
            && parameter["schema"]["type"] == "integer"
            && value.parse::<i64>().is_err()
        {
            let at = if parameter["in"] == "path" {
                validation_issues::path
            } else {
                validation_issues::query
            };
            refused.push(at(
                name,
                "int_parsing",
                "Input should be a valid integer, unable to parse string as an integer",
                Some(Value::String(value)),
            ));
        }
    }
    let schema = &operation["requestBody"]["content"]["application/json"]["schema"];
    refused.extend(check_body(schema, body));
    if refused.is_empty() { Ok(()) } else { Err(refused) }
}

/// The operation for `method` and `path`, and the values of its path parameters.
fn operation(method: &str, path: &str) -> Option<(&'static Value, Vec<(String, String)>)> {
    let paths = DOCUMENT["paths"].as_object()?;
    let method = method.to_ascii_lowercase();
    paths.iter().find_map(|(template, item)| {
        let operation = item.get(&method)?;
        matches(template, path).map(|params| (operation, params))
    })
}

/// Whether `path` fits `template` (`/admin/users/{id}`), with the `{…}` segments' values.
fn matches(template: &str, path: &str) -> Option<Vec<(String, String)>> {
    let (template, path): (Vec<&str>, Vec<&str>) = (template.split('/').collect(), path.split('/').collect());
    if template.len() != path.len() {
        return None;
    }
    let mut params = Vec::new();
    for (expected, actual) in template.iter().zip(&path) {
        match expected.strip_prefix('{').and_then(|rest| rest.strip_suffix('}')) {
            Some(name) => params.push((name.to_owned(), (*actual).to_owned())),
            None if expected == actual => {}
            None => return None,
        }
    }
    Some(params)
}

fn query_value(query: Option<&str>, name: &str) -> Option<String> {
    url::form_urlencoded::parse(query?.as_bytes())
        .find(|(key, _)| key == name)
        .map(|(_, value)| value.into_owned())
}

fn check_body(schema: &Value, body: &[u8]) -> Vec<ValidationIssue> {
    // No body at all: the endpoints without a body schema take none.
    if body.iter().all(u8::is_ascii_whitespace) {
        return match schema.is_null() {
            true => Vec::new(),
            false => vec![ValidationIssue {
                kind: "missing".to_owned(),
                loc: vec![crate::api::Loc::Name("body".to_owned())],
                msg: "Field required".to_owned(),
                input: None,
                ctx: None,
            }],
        };
    }
    let value: Value = match serde_json::from_slice(body) {
        Ok(value) => value,
        Err(e) => {
            return vec![validation_issues::json_invalid(
                byte_offset(body, e.line(), e.column()),
                &e.to_string(),
            )];
        }
    };
    let Some(object) = value.as_object() else {
        return vec![validation_issues::not_an_object(&value)];
    };
    let properties = schema["properties"].as_object();
    let required = |name: &str| {
        schema["required"]
            .as_array()
            .is_some_and(|required| required.iter().any(|r| r == name))
    };
    let mut refused = Vec::new();
    for (name, property) in properties.into_iter().flatten() {
        match object.get(name) {
            None if !required(name) => {}
            None => refused.push(validation_issues::body(
                name,
                "missing",
                "Field required",
                Some(validation_issues::without_secrets(object)),
            )),
            Some(sent) => refused.extend(check_type(name, property, sent)),
        }
    }
    for (name, sent) in object {
        if !properties.is_some_and(|p| p.contains_key(name)) {
            refused.push(validation_issues::body(
                name,
                "extra_forbidden",
                "Extra inputs are not permitted",
                Some(sent.clone()),
            ));
        }
    }
    refused
}

fn check_type(name: &str, property: &Value, sent: &Value) -> Option<ValidationIssue> {
    let resolved = match property["$ref"].as_str() {
        Some(reference) => {
            let component = reference.rsplit('/').next().unwrap_or_default();
            &DOCUMENT["components"]["schemas"][component]
        }
        None => property,
    };
    if let Some(allowed) = resolved["enum"].as_array() {
        if allowed.contains(sent) {
            return None;
        }
        let expected = quoted_choices(allowed);
        let mut issue =
            validation_issues::body(name, "enum", format!("Input should be {expected}"), Some(sent.clone()));
        issue.ctx = Some(serde_json::json!({"expected": expected}));
        return Some(issue);
    }
    // A list of types (`["string", "null"]`: a field that may be null): the first one
    // that is not null is what the value must be otherwise.
    if let Some(types) = resolved["type"].as_array() {
        if sent.is_null() && types.iter().any(|t| t == "null") {
            return None;
        }
        let expected = types.iter().find(|t| *t != "null").cloned().unwrap_or_default();
        return check_type(name, &serde_json::json!({ "type": expected }), sent);
    }
    match resolved["type"].as_str() {
        Some("string") if !sent.is_string() => Some(validation_issues::body(
            name,
            "string_type",
            "Input should be a valid string",
            Some(sent.clone()),
        )),
        Some("integer") if !sent.is_i64() => Some(validation_issues::body(
            name,
            "int_type",
            "Input should be a valid integer",
            Some(sent.clone()),
        )),
        _ => None,
    }
}

/// `'user' or 'admin'`, as pydantic words an enum's choices.
fn quoted_choices(allowed: &[Value]) -> String {
    let quoted: Vec<String> = allowed
        .iter()
        .map(|v| format!("'{}'", v.as_str().unwrap_or_default()))
        .collect();
    match quoted.split_last() {
        Some((last, [])) => last.clone(),
        Some((last, rest)) => format!("{} or {last}", rest.join(", ")),
        None => String::new(),
    }
}

/// serde_json reports where it stopped as a line and a column (1-based, in bytes); FastAPI
/// as a position in the body.
fn byte_offset(body: &[u8], line: usize, column: usize) -> u64 {
    let line_start: usize = body
        .split(|&b| b == b'\n')
        .take(line.saturating_sub(1))
        .map(|l| l.len() + 1)
        .sum();
    (line_start + column.saturating_sub(1)).min(body.len()) as u64
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn refused(method: &str, path: &str, query: Option<&str>, body: &str) -> Value {
        match check(method, path, query, body.as_bytes()) {
            Ok(()) => Value::Null,
            Err(issues) => serde_json::to_value(issues).unwrap(),
        }
    }

    #[test]
    fn every_refused_field_at_once_and_never_a_password() {
        let answer = refused(
            "POST",
            "/auth/signup",
            None,
            r#"{"email": 5, "password": 7, "role": "admin"}"#,
        );
        assert_eq!(
            answer,
            json!([
                {"type": "string_type", "loc": ["body", "email"], "msg": "Input should be a valid string", "input": 5},
                {"type": "string_type", "loc": ["body", "password"], "msg": "Input should be a valid string"},
                {"type": "missing", "loc": ["body", "username"], "msg": "Field required", "input": {"email": 5, "role": "admin"}},
                {"type": "extra_forbidden", "loc": ["body", "role"], "msg": "Extra inputs are not permitted", "input": "admin"}
            ])
        );
        assert_eq!(
            refused(
                "POST",
                "/auth/signup",
                None,
                r#"{"email":"a","password":"b","username":"c"}"#
            ),
            Value::Null
        );
    }

    #[test]
    fn json_errors_give_their_byte_offset_and_non_objects_are_refused() {
        let answer = refused("POST", "/auth/login", None, "{\"email\": \"a\",\n \"password\": }");
        assert_eq!(answer[0]["type"], "json_invalid");
        assert_eq!(answer[0]["loc"], json!(["body", 28]));
        assert_eq!(
            refused("POST", "/auth/login", None, "[1]")[0]["type"],
            "model_attributes_type"
        );
        assert_eq!(refused("POST", "/auth/login", None, "")[0]["loc"], json!(["body"]));
        // An endpoint without a body takes none, or an empty object.
        assert_eq!(refused("POST", "/auth/logout", None, ""), Value::Null);
        assert_eq!(refused("POST", "/auth/logout", None, "{}"), Value::Null);
        assert_eq!(
            refused("POST", "/auth/logout", None, r#"{"all": true}"#)[0]["type"],
            "extra_forbidden"
        );
    }

    #[test]
    fn enums_integers_and_parameters() {
        let answer = refused("PATCH", "/admin/users/role", None, r#"{"id": "2", "role": "root"}"#);
        assert_eq!(answer[0]["type"], "int_type");
        assert_eq!(answer[1]["msg"], "Input should be 'user' or 'admin'");
        assert_eq!(answer[1]["ctx"], json!({"expected": "'user' or 'admin'"}));
        let answer = refused("PATCH", "/admin/users/abc", None, r#"{"role": "user"}"#);
        assert_eq!(answer[0]["loc"], json!(["path", "id"]));
        let answer = refused("GET", "/admin/users", Some("limit=ten&offset=2"), "");
        assert_eq!(
            answer,
            json!([{"type": "int_parsing", "loc": ["query", "limit"], "msg": "Input should be a valid integer, unable to parse string as an integer", "input": "ten"}])
        );
        // What the document does not describe is the router's business.
        assert_eq!(refused("POST", "/auth/nowhere", None, "garbage"), Value::Null);
    }
}
