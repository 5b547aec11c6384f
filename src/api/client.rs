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
use leptos::server_fn::response::browser::BrowserResponse;
use std::cell::RefCell;
use std::future::Future;

thread_local! {
    // WASM is single-threaded, so this is simply "the page's current token". On the
    // server it is never set: server functions called during SSR run directly.
    static BEARER_TOKEN: RefCell<Option<String>> = const { RefCell::new(None) };
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
        if let Some(token) = bearer_token() {
            request.headers().set("Authorization", &format!("Bearer {token}"));
        }
        <BrowserClient as Client<E, IS, OS>>::send(request)
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
