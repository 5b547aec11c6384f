//! The server-function client used by the UI: the browser's `fetch`, plus the
//! `Authorization: Bearer` header when someone is logged in.
//!
//! The token's source of truth is the `Session` context signal (`crate::ui::session`);
//! `Session` mirrors it here because a client is a type, not a component, and cannot
//! reach the reactive context while a request is in flight. It lives in memory only —
//! never in localStorage, where any injected script could read it.

use bytes::Bytes;
use futures::{Sink, Stream};
use leptos::server_fn::client::{Client, browser::BrowserClient};
use leptos::server_fn::error::FromServerFnError;
use leptos::server_fn::request::browser::BrowserRequest;
use leptos::server_fn::response::ClientRes;
use leptos::server_fn::response::browser::BrowserResponse;
use std::cell::RefCell;
use std::future::Future;

thread_local! {
    // WASM is single-threaded, so this is simply "the page's current token". On the
    // server it is never set: server functions called during SSR run directly.
    static BEARER_TOKEN: RefCell<Option<String>> = const { RefCell::new(None) };
    static ON_TOKEN_REFUSED: RefCell<Option<Box<dyn Fn()>>> = const { RefCell::new(None) };
}

/// Registers what to do when the server refuses our token (`invalid_token`): the
/// session was revoked elsewhere, or the account deleted. `Session` ends itself.
pub fn on_token_refused(callback: impl Fn() + 'static) {
    ON_TOKEN_REFUSED.with(|slot| *slot.borrow_mut() = Some(Box::new(callback)));
}

/// Sets (or clears) the token attached to every following request.
pub fn set_bearer_token(token: Option<String>) {
    BEARER_TOKEN.with(|slot| *slot.borrow_mut() = token);
}

fn bearer_token() -> Option<String> {
    BEARER_TOKEN.with(|slot| slot.borrow().clone())
}

pub struct BearerClient;

impl<E, IS, OS> Client<E, IS, OS> for BearerClient
where
    E: FromServerFnError,
    IS: FromServerFnError,
    OS: FromServerFnError,
{
    type Request = BrowserRequest;
    type Response = BrowserResponse;

    fn send(request: Self::Request) -> impl Future<Output = Result<Self::Response, E>> + Send {
        let sent_token = bearer_token();
        if let Some(token) = &sent_token {
            request.headers().set("Authorization", &format!("Bearer {token}"));
        }
        let response = <BrowserClient as Client<E, IS, OS>>::send(request);
        async move {
            let response = response.await?;
            let refused = <BrowserResponse as ClientRes<E>>::status(&response) == 401
                && response
                    .generate_headers()
                    .get("www-authenticate")
                    .and_then(|v| v.to_str().ok())
                    .is_some_and(|v| v.contains("invalid_token"));
            // Only if the refused token is still the current one (not replaced meanwhile).
            if refused && sent_token.is_some() && sent_token == bearer_token() {
                ON_TOKEN_REFUSED.with(|slot| {
                    if let Some(callback) = slot.borrow().as_ref() {
                        callback();
                    }
                });
            }
            Ok(response)
        }
    }

    #[allow(clippy::type_complexity)]
    fn open_websocket(
        path: &str,
    ) -> impl Future<
        Output = Result<
            (
                impl Stream<Item = Result<Bytes, Bytes>> + Send + 'static,
                impl Sink<Bytes> + Send + 'static,
            ),
            E,
        >,
    > + Send {
        <BrowserClient as Client<E, IS, OS>>::open_websocket(path)
    }

    fn spawn(future: impl Future<Output = ()> + Send + 'static) {
        <BrowserClient as Client<E, IS, OS>>::spawn(future)
    }
}
