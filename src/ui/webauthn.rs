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

/// Whether this server offers passkeys (its `PUBLIC_URL` names a host): on the server from
/// the page's context (`server::http`), in the browser from `<html data-passkeys="on">`,
/// which the shell writes from the same context, so both render the same.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PasskeysOn(pub bool);

pub fn available() -> bool {
    use leptos::prelude::use_context;
    use_context::<PasskeysOn>().map_or_else(browser::document_says_on, |on| on.0)
}

/// Makes a new passkey from `options` (`{"publicKey": {…}}`): the credential's JSON.
pub async fn create(options: &Value) -> Result<Value, String> {
    browser::ceremony("create", "parseCreationOptionsFromJSON", options, None).await
}

/// Asks for a passkey's signature over `options`' challenge: the credential's JSON.
pub async fn get(options: &Value) -> Result<Value, String> {
    browser::ceremony("get", "parseRequestOptionsFromJSON", options, None).await
}

/// Whether the browser can offer passkeys among its autofill suggestions.
pub async fn autofill_available() -> bool {
    browser::conditional_mediation_available().await
}

/// The same as [`get`], through the browser's autofill (conditional mediation): it waits,
/// without a dialog, until the person picks a passkey where the address is typed. A
/// dialog opened meanwhile (the "Sign in with a passkey" button) cancels it.
pub async fn get_from_autofill(options: &Value) -> Result<Value, String> {
    browser::ceremony("get", "parseRequestOptionsFromJSON", options, Some("conditional")).await
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

    fn root() -> Option<JsValue> {
        let document = Reflect::get(&js_sys::global(), &"document".into()).ok()?;
        Reflect::get(&document, &"documentElement".into()).ok()
    }

    pub fn document_says_on() -> bool {
        root()
            .and_then(|root| Reflect::get(&root, &"dataset".into()).ok())
            .and_then(|dataset| Reflect::get(&dataset, &"passkeys".into()).ok())
            .and_then(|value| value.as_string())
            .is_some_and(|value| value == "on")
    }

    pub async fn conditional_mediation_available() -> bool {
        let Ok(public_key_credential) = property(&js_sys::global(), "PublicKeyCredential") else {
            return false;
        };
        let Some(promise) = method(&public_key_credential, "isConditionalMediationAvailable")
            .ok()
            .and_then(|check| check.call0(&public_key_credential).ok())
            .and_then(|promise| promise.dyn_into::<Promise>().ok())
        else {
            return false;
        };
        wasm_bindgen_futures::JsFuture::from(promise)
            .await
            .is_ok_and(|answer| answer.as_bool() == Some(true))
    }

    thread_local! {
        /// The `AbortController` of the autofill request waiting in this tab, if any: the
        /// browser refuses a dialog while it waits, so a dialog aborts it first.
        static WAITING_IN_AUTOFILL: std::cell::RefCell<Option<JsValue>> = const { std::cell::RefCell::new(None) };
    }

    fn abort_autofill() {
        let waiting = WAITING_IN_AUTOFILL.with(|waiting| waiting.borrow_mut().take());
        if let Some(controller) = waiting
            && let Ok(abort) = method(&controller, "abort")
        {
            let _ = abort.call0(&controller);
        }
    }

    fn new_abort_controller() -> Option<JsValue> {
        let constructor = method(&js_sys::global(), "AbortController").ok()?;
        Reflect::construct(&constructor, &js_sys::Array::new()).ok()
    }

    pub async fn ceremony(call: &str, parse: &str, options: &Value, mediation: Option<&str>) -> Result<Value, String> {
        abort_autofill();
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
        if let Some(mediation) = mediation {
            Reflect::set(&request, &"mediation".into(), &mediation.into()).map_err(|_| NOT_SUPPORTED.to_owned())?;
            let controller = new_abort_controller().ok_or_else(|| NOT_SUPPORTED.to_owned())?;
            let signal = property(&controller, "signal")?;
            Reflect::set(&request, &"signal".into(), &signal).map_err(|_| NOT_SUPPORTED.to_owned())?;
            WAITING_IN_AUTOFILL.with(|waiting| *waiting.borrow_mut() = Some(controller));
        }
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

    pub fn document_says_on() -> bool {
        false
    }

    pub async fn conditional_mediation_available() -> bool {
        false
    }

    pub async fn ceremony(
        _call: &str,
        _parse: &str,
        _options: &Value,
        _mediation: Option<&str>,
    ) -> Result<Value, String> {
        Err(super::NOT_SUPPORTED.to_owned())
    }
}
