//! The browser's side of a passkey ceremony: the server's options (WebAuthn's JSON form)
//! go to `navigator.credentials.create` / `.get` through the browser's own converters
//! (`PublicKeyCredential.parseCreationOptionsFromJSON`, `parseRequestOptionsFromJSON`), and
//! the credential comes back as JSON (`credential.toJSON()`). No JavaScript of our own and no
//! `web-sys` bindings: a few `Reflect` calls, so the WASM grows by little.
//!
//! On the server these are never called (they run from click handlers); they answer `Err`.

use serde_json::Value;

/// Why a ceremony did not produce a credential, for the form's alert.
const NOT_SUPPORTED: &str = "This browser cannot use passkeys here.";

/// Makes a new passkey from `options` (`{"publicKey": {…}}`): the credential's JSON.
pub async fn create(options: &Value) -> Result<Value, String> {
    browser::ceremony("create", "parseCreationOptionsFromJSON", options).await
}

/// Asks for a passkey's signature over `options`' challenge: the credential's JSON.
pub async fn get(options: &Value) -> Result<Value, String> {
    browser::ceremony("get", "parseRequestOptionsFromJSON", options).await
}

#[cfg(feature = "hydrate")]
mod browser {
    use super::NOT_SUPPORTED;
    use js_sys::{Function, JSON, Object, Promise, Reflect};
    use serde_json::Value;
    use wasm_bindgen::JsValue;
    use wasm_bindgen::prelude::JsCast;

    const CANCELLED: &str = "The passkey request was cancelled or timed out.";

    fn property(target: &JsValue, name: &str) -> Result<JsValue, String> {
        Reflect::get(target, &name.into())
            .ok()
            .filter(|value| !value.is_undefined() && !value.is_null())
            .ok_or_else(|| NOT_SUPPORTED.to_owned())
    }

    fn method(target: &JsValue, name: &str) -> Result<Function, String> {
        property(target, name)?
            .dyn_into::<Function>()
            .map_err(|_| NOT_SUPPORTED.to_owned())
    }

    pub async fn ceremony(call: &str, parse: &str, options: &Value) -> Result<Value, String> {
        let global = js_sys::global();
        let public_key_credential = property(&global, "PublicKeyCredential")?;
        let credentials = property(&property(&global, "navigator")?, "credentials")?;
        let json = serde_json::to_string(options.get("publicKey").unwrap_or(&Value::Null))
            .map_err(|_| NOT_SUPPORTED.to_owned())?;
        let json = JSON::parse(&json).map_err(|_| NOT_SUPPORTED.to_owned())?;
        let public_key = method(&public_key_credential, parse)?
            .call1(&public_key_credential, &json)
            .map_err(|_| NOT_SUPPORTED.to_owned())?;
        let request = Object::new();
        Reflect::set(&request, &"publicKey".into(), &public_key).map_err(|_| NOT_SUPPORTED.to_owned())?;
        let promise = method(&credentials, call)?
            .call1(&credentials, &request)
            .ok()
            .and_then(|promise| promise.dyn_into::<Promise>().ok())
            .ok_or_else(|| NOT_SUPPORTED.to_owned())?;
        // A refusal, a cancel or a timeout all reject the promise; the person can try again.
        let credential = wasm_bindgen_futures::JsFuture::from(promise)
            .await
            .map_err(|_| CANCELLED.to_owned())?;
        let as_json = method(&credential, "toJSON")?
            .call0(&credential)
            .map_err(|_| NOT_SUPPORTED.to_owned())?;
        let text = JSON::stringify(&as_json)
            .ok()
            .and_then(|text| text.as_string())
            .ok_or_else(|| NOT_SUPPORTED.to_owned())?;
        serde_json::from_str(&text).map_err(|_| NOT_SUPPORTED.to_owned())
    }
}

#[cfg(not(feature = "hydrate"))]
mod browser {
    use serde_json::Value;

    pub async fn ceremony(_call: &str, _parse: &str, _options: &Value) -> Result<Value, String> {
        Err(super::NOT_SUPPORTED.to_owned())
    }
}
