//! Step-up on the profile: with two-step verification on, a change that adds a way in or
//! moves the account (a passkey, a new address) asks for a current code beside the
//! password. The field shows from the start when the account has it on, and appears when
//! the server answers `code_required` (turned on in another tab since this page loaded).

use crate::api::{ApiError, ErrorCode};
use crate::ui::form::TextField;
use crate::ui::tr;
use leptos::prelude::*;

#[derive(Clone, Copy)]
pub struct StepUp {
    needed: RwSignal<bool>,
    code: RwSignal<String>,
}

impl StepUp {
    /// `on`: whether the account had a second factor when the page loaded.
    pub fn new(on: bool) -> Self {
        Self {
            needed: RwSignal::new(on),
            code: RwSignal::new(String::new()),
        }
    }

    /// The code to send with the change: none when no second factor is on.
    pub fn code(self) -> Result<Option<String>, String> {
        if !self.needed.get_untracked() {
            return Ok(None);
        }
        let typed = self.code.get_untracked().trim().to_owned();
        if typed.is_empty() {
            return Err("Enter a code from your authenticator app (or a recovery code)".to_owned());
        }
        Ok(Some(typed))
    }

    /// Reads the server's answer: `code_required` shows the field.
    pub fn heed<T>(self, answer: &Result<T, ApiError>) {
        if let Err(error) = answer
            && error.code == ErrorCode::CodeRequired
        {
            self.needed.set(true);
        }
    }

    /// A code is used once: the field empties after a change went through.
    pub fn clear(self) {
        self.code.set(String::new());
    }
}

/// The code field, when it is needed.
#[component]
pub fn StepUpField(step_up: StepUp, id: &'static str) -> impl IntoView {
    view! {
        <Show when=move || step_up.needed.get()>
            <TextField
                label=tr("Code from your app, or a recovery code")
                id=id
                autocomplete="one-time-code"
                value=step_up.code
            />
        </Show>
    }
}
