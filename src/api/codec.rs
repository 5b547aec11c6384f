//! `ApiJson`: the request encoding of the JSON endpoints.
//!
//! Like server_fn's `Json`, but its errors say *which* field is wrong (`email: invalid
//! type: null, expected a string`), a body that is not a JSON object is refused, and so is
//! any field the endpoint does not take — a client cannot slip in `role` or `id`.
//!
//! `JsonOrNoContent`: the response encoding of an answer that may be empty (204).

use bytes::Bytes;
use leptos::server_fn::codec::{Patch, Post};
use leptos::server_fn::{ContentType, Decodes, Encodes, Format, FormatType};
use serde::{Serialize, de::DeserializeOwned};
use std::fmt;

pub struct StrictJsonEncoding;

/// POST with a JSON object body, decoded strictly.
pub type ApiJson = Post<StrictJsonEncoding>;
/// PATCH with a JSON object body, decoded strictly.
pub type ApiPatchJson = Patch<StrictJsonEncoding>;

impl ContentType for StrictJsonEncoding {
    const CONTENT_TYPE: &'static str = "application/json";
}

impl FormatType for StrictJsonEncoding {
    const FORMAT_TYPE: Format = Format::Text;
}

/// Why a request body was refused. The message becomes the response's `detail`.
#[derive(Debug)]
pub enum BodyError {
    Malformed(String),
    NotAnObject,
    UnknownField(String),
    Invalid { path: String, message: String },
    Encode(String),
}

impl fmt::Display for BodyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            BodyError::Malformed(reason) => write!(f, "Malformed JSON body: {reason}"),
            BodyError::NotAnObject => f.write_str("Request body must be a JSON object"),
            BodyError::UnknownField(name) => write!(f, "{name}: unknown field"),
            // serde reports a missing field at the root, with the name in the message.
            BodyError::Invalid { path, message } if path == "." => f.write_str(message),
            BodyError::Invalid { path, message } => write!(f, "{path}: {message}"),
            BodyError::Encode(reason) => write!(f, "Could not encode JSON: {reason}"),
        }
    }
}

impl std::error::Error for BodyError {}

impl<T: Serialize> Encodes<T> for StrictJsonEncoding {
    type Error = BodyError;

    fn encode(value: &T) -> Result<Bytes, Self::Error> {
        serde_json::to_vec(value)
            .map(Bytes::from)
            .map_err(|e| BodyError::Encode(e.to_string()))
    }
}

impl<T: DeserializeOwned> Decodes<T> for StrictJsonEncoding {
    type Error = BodyError;

    fn decode(bytes: Bytes) -> Result<T, Self::Error> {
        // An endpoint without arguments may be called with no body at all.
        let value: serde_json::Value = if bytes.iter().all(u8::is_ascii_whitespace) {
            serde_json::Value::Object(serde_json::Map::new())
        } else {
            serde_json::from_slice(&bytes).map_err(|e| BodyError::Malformed(e.to_string()))?
        };
        if !value.is_object() {
            return Err(BodyError::NotAnObject);
        }
        let mut unknown = None;
        let mut note_unknown = |path: serde_ignored::Path<'_>| {
            unknown.get_or_insert_with(|| path.to_string());
        };
        let ignoring = serde_ignored::Deserializer::new(&value, &mut note_unknown);
        let decoded = serde_path_to_error::deserialize(ignoring).map_err(|e| BodyError::Invalid {
            path: e.path().to_string(),
            message: e.into_inner().to_string(),
        })?;
        match unknown {
            Some(field) => Err(BodyError::UnknownField(field)),
            None => Ok(decoded),
        }
    }
}

/// The response encoding of an answer that may be "nothing": `Some` is JSON, `None` an
/// empty body (the edge sets 204 No Content), which decodes back to `None`.
pub struct OptionalJsonEncoding;

/// POST answered with JSON, or with an empty 204.
pub type JsonOrNoContent = Post<OptionalJsonEncoding>;

impl ContentType for OptionalJsonEncoding {
    const CONTENT_TYPE: &'static str = "application/json";
}

impl FormatType for OptionalJsonEncoding {
    const FORMAT_TYPE: Format = Format::Text;
}

impl<T: Serialize> Encodes<Option<T>> for OptionalJsonEncoding {
    type Error = BodyError;

    fn encode(value: &Option<T>) -> Result<Bytes, Self::Error> {
        match value {
            Some(value) => StrictJsonEncoding::encode(value),
            None => Ok(Bytes::new()),
        }
    }
}

impl<T: DeserializeOwned> Decodes<Option<T>> for OptionalJsonEncoding {
    type Error = BodyError;

    fn decode(bytes: Bytes) -> Result<Option<T>, Self::Error> {
        if bytes.is_empty() {
            return Ok(None);
        }
        serde_json::from_slice(&bytes)
            .map(Some)
            .map_err(|e| BodyError::Malformed(e.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[derive(Debug, Deserialize, Serialize, PartialEq)]
    struct Args {
        email: String,
        age: u8,
    }

    fn decode(body: &str) -> Result<Args, String> {
        StrictJsonEncoding::decode(Bytes::from(body.to_owned())).map_err(|e: BodyError| e.to_string())
    }

    #[test]
    fn decodes_a_valid_object() {
        assert_eq!(
            decode(r#"{"email":"a@b.co","age":3}"#).unwrap(),
            Args {
                email: "a@b.co".into(),
                age: 3
            }
        );
    }

    #[test]
    fn errors_name_the_field() {
        assert_eq!(
            decode(r#"{"email":null,"age":3}"#).unwrap_err(),
            "email: invalid type: null, expected a string"
        );
        assert_eq!(
            decode(r#"{"email":"x","age":"3"}"#).unwrap_err(),
            "age: invalid type: string \"3\", expected u8"
        );
        assert_eq!(decode(r#"{"age":3}"#).unwrap_err(), "missing field `email`");
    }

    #[test]
    fn refuses_unknown_fields_non_objects_and_garbage() {
        assert_eq!(
            decode(r#"{"email":"x","age":3,"role":"admin"}"#).unwrap_err(),
            "role: unknown field"
        );
        assert_eq!(decode("[1,2]").unwrap_err(), "Request body must be a JSON object");
        assert!(decode("{not json").unwrap_err().starts_with("Malformed JSON body"));
        // No body is no arguments: fine for an endpoint without any, a missing field otherwise.
        assert_eq!(decode("").unwrap_err(), "missing field `email`");
    }

    #[test]
    fn nothing_is_an_empty_body_and_back() {
        let none: Option<Args> = None;
        let empty = OptionalJsonEncoding::encode(&none).unwrap();
        assert!(empty.is_empty());
        assert_eq!(OptionalJsonEncoding::decode(empty).map_err(|e| e.to_string()), Ok(none));
        let some = Some(Args {
            email: "a@b.co".into(),
            age: 3,
        });
        let body = OptionalJsonEncoding::encode(&some).unwrap();
        assert_eq!(&body[..], br#"{"email":"a@b.co","age":3}"#);
        assert_eq!(OptionalJsonEncoding::decode(body).map_err(|e| e.to_string()), Ok(some));
    }
}
