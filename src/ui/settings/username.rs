//! The profile's username form: checks the new name, saves it, and updates the page in
//! place.

use crate::api::{Account, User, update_me};
use crate::ui::form::{FormAlert, FormFlow, SubmitButton, TextField};
use crate::ui::{Session, tr};
use crate::validation::Username;
use leptos::prelude::*;

#[component]
pub fn EditUsername(account: Account, shown: RwSignal<Option<Account>>) -> impl IntoView {
    let session = Session::get();
    let username = RwSignal::new(account.username.clone());
    let flow = FormFlow::new(
        |name: &String| update_me(name.clone()),
        move |user: User| {
            shown.update(|a| {
                if let Some(a) = a {
                    a.username = user.username;
                }
            });
            // The top bar says who is signed in: by this new name from now on.
            session.account_changed();
        },
    );
    let on_submit = flow.on_submit(move || {
        Username::parse(&username.get_untracked())
            .map(|name| name.as_str().to_owned())
            .map_err(|e| e.message)
    });
    view! {
        <form class="section" method="post" on:submit=on_submit novalidate>
            <h2>{tr("Change your username")}</h2>
            <TextField label=tr("New username") id="new-username" autocomplete="nickname" value=username error=flow.field_error("username") />
            <FormAlert message=flow.error />
            <SubmitButton label=tr("Save username") pending_label=tr("Saving…") pending=flow.pending />
        </form>
    }
}
