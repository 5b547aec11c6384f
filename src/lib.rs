//! AuthKit: a drop-in login system.
//!
//! The same crate compiles twice: with `ssr` into the Axum server binary, and with
//! `hydrate` into the WASM bundle that takes over the server-rendered pages.
//! - [`validation`] — input rules, shared so the browser gives instant feedback and the
//!   server enforces the very same rules.
//! - [`text`] — Unicode normal forms and character classes for those rules.
//! - [`api`] — the server functions, which are at the same time the public JSON HTTP API
//!   (`POST /auth/signup`, `POST /auth/login`, `GET /auth/me`), and their wire types.
//! - [`ui`] — the Leptos components (pages, session state).
//! - `server` (ssr only) — everything that touches secrets, the database or HTTP plumbing.

pub mod api;
pub mod i18n;
pub mod text;
pub mod ui;
pub mod validation;

#[cfg(feature = "ssr")]
pub mod server;

/// Entry point of the WASM bundle: attaches the client-side app to the server-rendered HTML.
/// `hydrate_lazy`: the lazy routes' chunks (`ui::lazy_page!`) load before their page hydrates.
#[cfg(feature = "hydrate")]
#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    leptos::mount::hydrate_lazy(ui::App);
}
