//! Who is logged in, as far as this browser tab knows.
//!
//! The access token is kept in a context signal, in memory only: not in localStorage,
//! where any injected script could read it. A reload therefore logs the person out.

use crate::api::set_bearer_token;
use leptos::prelude::*;

#[derive(Clone, Copy)]
pub struct Session {
    token: RwSignal<Option<String>>,
}

impl Session {
    /// Creates the (empty) session of this app instance and provides it as context.
    pub fn provide() -> Self {
        let session = Self {
            token: RwSignal::new(None),
        };
        provide_context(session);
        session
    }

    /// The session provided by `App`.
    pub fn get() -> Self {
        use_context::<Self>().unwrap_or_else(Self::provide)
    }

    /// Reactive: re-runs whatever reads it when someone logs in or out.
    pub fn is_logged_in(&self) -> bool {
        self.token.with(Option::is_some)
    }

    pub fn start(&self, access_token: String) {
        // The server-function client reads the token from its own slot (it cannot
        // reach this context mid-request); both are updated together here.
        set_bearer_token(Some(access_token.clone()));
        self.token.set(Some(access_token));
    }

    pub fn end(&self) {
        set_bearer_token(None);
        self.token.set(None);
    }
}
