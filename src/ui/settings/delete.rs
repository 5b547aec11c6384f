//! The profile's danger zone: deleting the account, behind a confirmation that asks for
//! the password again.

use crate::api::{Password, delete_account};
use crate::ui::form::{FormAlert, FormFlow, TextField};
use crate::ui::{Session, tr};
use leptos::prelude::*;
use leptos_router::hooks::use_navigate;

#[component]
pub fn DeleteAccount() -> impl IntoView {
    let session = Session::get();
    let navigate = use_navigate();
    let confirming = RwSignal::new(false);
    let password = RwSignal::new(String::new());
    let flow = FormFlow::new(
        |password: &Password| delete_account(password.clone()),
        move |_| {
            session.end();
            navigate("/login", Default::default());
        },
    );
    let pending = flow.pending;
    // Copy, like `flow`: the confirmation is rendered afresh each time it is opened, and
    // each rendering makes its own submit handler from these two.
    let check = move || {
        let typed = password.get_untracked();
        if typed.is_empty() {
            Err("Enter your password to confirm".to_owned())
        } else {
            Ok(Password::new(typed))
        }
    };
    view! {
        <div class="section danger-zone">
            <h2>{tr("Delete your account")}</h2>
            <Show
                when=move || confirming.get()
                fallback=move || {
                    view! {
                        <button type="button" class="danger" on:click=move |_| confirming.set(true)>
                            {tr("Delete account")}
                        </button>
                    }
                }
            >
                <form method="post" on:submit=flow.on_submit(check) novalidate>
                    <p>{tr("This removes your account and logs you out everywhere. It cannot be undone.")}</p>
                    <TextField
                        label=tr("Confirm with your password")
                        id="delete-password"
                        kind="password"
                        autocomplete="current-password"
                        value=password
                    />
                    <FormAlert message=flow.error />
                    <div class="actions">
                        <button type="submit" class="danger" disabled=move || pending.get()>
                            {tr("Delete my account permanently")}
                        </button>
                        <button type="button" on:click=move |_| confirming.set(false)>
                            {tr("Cancel")}
                        </button>
                    </div>
                </form>
            </Show>
        </div>
    }
}
