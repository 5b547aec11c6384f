//! The profile's "Log out everywhere": every session of the account, on every device.
//! (Logging out of this session is in the top bar, `ui::header`.)

use crate::ui::session::log_out_action;
use crate::ui::{Session, tr};
use leptos::prelude::*;

#[component]
pub fn LogOutEverywhere() -> impl IntoView {
    let log_out = log_out_action(Session::get());
    view! {
        <div class="actions">
            <button type="button" on:click=move |_| { log_out.dispatch(true); }>
                {tr("Log out everywhere")}
            </button>
        </div>
    }
}
