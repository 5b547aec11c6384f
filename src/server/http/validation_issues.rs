//! Validation failures in the shape FastAPI gives them (`crate::api::ValidationIssue`):
//! where (`["body", field]`, `["query", name]`, `["path", name]`), what kind, a message,
//! and what was sent — never a password.

use crate::api::{Loc, ValidationIssue};
use crate::validation::FieldError;
use serde_json::{Map, Value};

/// Fields whose values are never echoed back: passwords and secrets, and what proves a
/// second factor (a code, a recovery code, the `mfa_token` of a login half done).
pub fn is_secret(field: &str) -> bool {
    field.contains("password") || field.contains("secret") || field.contains("code") || field == "mfa_token"
}

fn issue(part: &str, name: &str, kind: &str, msg: impl Into<String>, input: Option<Value>) -> ValidationIssue {
    ValidationIssue {
        kind: kind.to_owned(),
        loc: vec![Loc::Name(part.to_owned()), Loc::Name(name.to_owned())],
        msg: msg.into(),
        input: if is_secret(name) { None } else { input },
        ctx: None,
    }
}

/// A refused body field.
pub fn body(field: &str, kind: &str, msg: impl Into<String>, input: Option<Value>) -> ValidationIssue {
    issue("body", field, kind, msg, input)
}

/// A refused query parameter.
pub fn query(name: &str, kind: &str, msg: impl Into<String>, input: Option<Value>) -> ValidationIssue {
    issue("query", name, kind, msg, input)
}

/// A refused path parameter.
pub fn path(name: &str, kind: &str, msg: impl Into<String>, input: Option<Value>) -> ValidationIssue {
    issue("path", name, kind, msg, input)
}

/// A body that is not JSON: where the parser stopped, as a byte offset.
pub fn json_invalid(offset: u64, reason: &str) -> ValidationIssue {
    ValidationIssue {
        kind: "json_invalid".to_owned(),
        loc: vec![Loc::Name("body".to_owned()), Loc::Index(offset)],
        msg: "JSON decode error".to_owned(),
        input: Some(Value::Object(Map::new())),
        ctx: Some(serde_json::json!({"error": reason})),
    }
}

/// A body that is JSON but not an object.
pub fn not_an_object(body: &Value) -> ValidationIssue {
    ValidationIssue {
        kind: "model_attributes_type".to_owned(),
        loc: vec![Loc::Name("body".to_owned())],
        msg: "Input should be a valid dictionary or object to extract fields from".to_owned(),
        input: Some(body.clone()),
        ctx: None,
    }
}

/// A body object as it may be echoed: without its secret fields.
pub fn without_secrets(object: &Map<String, Value>) -> Value {
    Value::Object(
        object
            .iter()
            .filter(|(name, _)| !is_secret(name))
            .map(|(name, value)| (name.clone(), value.clone()))
            .collect(),
    )
}

/// A rule of `crate::validation` refused a body field.
impl From<FieldError> for ValidationIssue {
    fn from(error: FieldError) -> Self {
        body(
            error.field.name(),
            "value_error",
            error.message,
            error.input.map(Value::String),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::validation::{Email, Field};
    use serde_json::json;

    #[test]
    fn passwords_are_never_echoed() {
        let issue = body(
            "new_password",
            "string_type",
            "Input should be a valid string",
            Some(json!(5)),
        );
        assert_eq!(issue.input, None);
        let issue: ValidationIssue = FieldError::new(Field::Password, "too short")
            .with_input("hunter2")
            .into();
        assert_eq!(issue.input, None);
        let mut sent = Map::new();
        sent.insert("email".into(), json!("a@example.com"));
        sent.insert("password".into(), json!("hunter2"));
        assert_eq!(without_secrets(&sent), json!({"email": "a@example.com"}));
    }

    #[test]
    fn a_rule_names_its_field_and_what_was_sent() {
        let issue: ValidationIssue = Email::parse("nope").unwrap_err().into();
        assert_eq!(
            serde_json::to_value(&issue).unwrap(),
            json!({"type": "value_error", "loc": ["body", "email"], "msg": "Enter a valid email address", "input": "nope"})
        );
    }
}
