//! The profile's log-out buttons: this session, or every session of the account.

use crate::api::{logout, logout_all};
use crate::ui::Session;
use leptos::prelude::*;

#[component]
pub fn LogoutButtons() -> impl IntoView {
    let session = Session::get();
    // The server ends the session(s); whatever it answers, this tab forgets its token.
    let log_out = Action::new(|everywhere: &bool| {
        let everywhere = *everywhere;
        async move { if everywhere { logout_all().await } else { logout().await } }
    });
    Effect::new(move |_| {
        if log_out.value().get().is_some() {
            session.end();
        }
    });
    view! {
        <div class="actions">
            <button type="button" on:click=move |_| { log_out.dispatch(false); }>
                "Log out"
            </button>
            <button type="button" on:click=move |_| { log_out.dispatch(true); }>
                "Log out everywhere"
            </button>
        </div>
    }
}
