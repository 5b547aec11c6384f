//! The language of this tab (`crate::i18n`): English or Korean, chosen on the server from
//! the `lang` cookie or `Accept-Language` (`server::http` provides it to the render and
//! writes it into `<html lang>`), taken over by the browser from `<html lang>` when it
//! hydrates, and switched from the top bar without a reload — the switch remembers the
//! choice in the cookie.
//!
//! Components read the language once, when they are built (`tr`), and `App` rebuilds
//! the page and the top bar when it changes: no text needs a closure of its own.

use crate::i18n::{Lang, translate_message};
use leptos::prelude::*;

#[derive(Clone, Copy)]
pub struct Language(RwSignal<Lang>);

impl Language {
    /// The language of this app instance, provided as context.
    pub fn provide() -> Self {
        let language = Self(RwSignal::new(initial()));
        provide_context(language);
        language
    }

    pub fn get() -> Self {
        use_context::<Self>().unwrap_or_else(Self::provide)
    }

    /// Now, without subscribing.
    pub fn current(self) -> Lang {
        self.0.get_untracked()
    }

    /// Reactive: re-runs whatever reads it when the language changes.
    pub fn track(self) -> Lang {
        self.0.get()
    }

    /// Browser: switch, and remember the choice for the next visits.
    pub fn switch_to(self, lang: Lang) {
        remember(lang);
        self.0.set(lang);
    }
}

/// The server renders in the request's language (provided per request); the browser
/// starts in the language the server rendered, so hydration finds the same text.
fn initial() -> Lang {
    #[cfg(feature = "hydrate")]
    {
        use_context::<Lang>()
            .or_else(browser::document_lang)
            .unwrap_or_default()
    }
    #[cfg(not(feature = "hydrate"))]
    {
        use_context::<Lang>().unwrap_or_default()
    }
}

#[cfg(feature = "hydrate")]
fn remember(lang: Lang) {
    browser::remember(lang);
}

#[cfg(not(feature = "hydrate"))]
fn remember(_lang: Lang) {}

#[cfg(feature = "hydrate")]
mod browser {
    use crate::i18n::{LANG_COOKIE, Lang};
    use wasm_bindgen::JsValue;

    fn document() -> Option<JsValue> {
        js_sys::Reflect::get(&js_sys::global(), &"document".into()).ok()
    }

    fn root() -> Option<JsValue> {
        js_sys::Reflect::get(&document()?, &"documentElement".into()).ok()
    }

    pub fn document_lang() -> Option<Lang> {
        Lang::from_code(&js_sys::Reflect::get(&root()?, &"lang".into()).ok()?.as_string()?)
    }

    /// `<html lang>` follows (screen readers, fonts), and the cookie keeps the choice
    /// for a year.
    pub fn remember(lang: Lang) {
        if let Some(root) = root() {
            let _ = js_sys::Reflect::set(&root, &"lang".into(), &lang.code().into());
        }
        if let Some(document) = document() {
            let cookie = format!("{LANG_COOKIE}={}; Path=/; Max-Age=31536000; SameSite=Lax", lang.code());
            let _ = js_sys::Reflect::set(&document, &"cookie".into(), &cookie.into());
        }
    }
}

fn current() -> Lang {
    use_context::<Language>().map_or_else(Lang::default, Language::current)
}

/// `text`, an English UI text, in the current language (see `crate::i18n::korean`).
pub fn tr(text: &'static str) -> &'static str {
    current().text(text)
}

/// As [`tr`], with `{placeholder}` replaced by `value`.
pub fn tr_with(text: &'static str, placeholder: &str, value: &str) -> String {
    tr(text).replace(placeholder, value)
}

/// An error of the API in the current language, by its code (`crate::i18n::error_text`).
pub fn tr_error(error: &crate::api::ApiError) -> String {
    crate::i18n::error_text(current(), error)
}

/// A message from the server or the input rules, in the current language.
pub fn tr_message(message: &str) -> String {
    translate_message(current(), message)
}
