//! One refresh at a time per browser, across tabs.
//!
//! Tabs share the refresh cookie. Two tabs that load at the same moment would both
//! present the same refresh token; the second presentation looks exactly like a stolen
//! token being replayed, and the server revokes the session. The Web Locks API
//! (`navigator.locks`) serialises the refreshes: the second tab waits, then presents
//! the successor cookie that the first tab's answer set.
//!
//! `Ok(None)`: there was no cookie, so nobody is logged in (the server's 204).

use crate::api::{ApiError, TokenResponse, refresh};

#[cfg(feature = "hydrate")]
pub async fn refresh_one_tab_at_a_time() -> Result<Option<TokenResponse>, ApiError> {
    use futures::channel::oneshot;
    use wasm_bindgen::JsValue;
    use wasm_bindgen::closure::Closure;
    use wasm_bindgen::prelude::JsCast;

    const LOCK_NAME: &str = "authkit-refresh";
    let global = js_sys::global();
    let locks = js_sys::Reflect::get(&global, &"navigator".into())
        .and_then(|navigator| js_sys::Reflect::get(&navigator, &"locks".into()))
        .ok()
        .filter(|locks| !locks.is_undefined() && !locks.is_null());
    let request = locks.as_ref().and_then(|locks| {
        js_sys::Reflect::get(locks, &"request".into())
            .ok()?
            .dyn_into::<js_sys::Function>()
            .ok()
    });
    // Without Web Locks (an insecure context, an old browser) there is nothing to wait for.
    let (Some(locks), Some(request)) = (locks, request) else {
        return refresh().await;
    };

    let (answer, answered) = oneshot::channel();
    // The lock is held until the promise this callback returns settles.
    let while_locked = Closure::once(move |_lock: JsValue| -> js_sys::Promise {
        wasm_bindgen_futures::future_to_promise(async move {
            let _ = answer.send(refresh().await);
            Ok(JsValue::UNDEFINED)
        })
    });
    let held = request
        .call2(&locks, &LOCK_NAME.into(), while_locked.as_ref().unchecked_ref())
        .and_then(|promise| promise.dyn_into::<js_sys::Promise>());
    if let Ok(held) = held {
        // Resolves once our callback has run and its promise settled.
        let _ = wasm_bindgen_futures::JsFuture::from(held).await;
    }
    drop(while_locked);
    match answered.await {
        Ok(answer) => answer,
        // The lock could not be taken, so the callback never ran: refresh without it.
        Err(_) => refresh().await,
    }
}

/// On the server the session is never restored (there is no cookie jar to share).
#[cfg(not(feature = "hydrate"))]
pub async fn refresh_one_tab_at_a_time() -> Result<Option<TokenResponse>, ApiError> {
    refresh().await
}
