//! The profile's password form: changing the password logs out every other session,
//! and this tab carries on with the fresh tokens the server answers with.

use crate::api::{Account, Password, TokenResponse, change_password};
use crate::ui::form::{FormAlert, FormFlow, SubmitButton, TextField};
use crate::ui::{Session, tr};
use crate::validation::NewPassword;
use leptos::prelude::*;

#[derive(Clone)]
struct PasswordChange {
    current: Password,
    new: Password,
}

#[component]
pub fn ChangePassword(account: Account) -> impl IntoView {
    let session = Session::get();
    let current = RwSignal::new(String::new());
    let new = RwSignal::new(String::new());
    let done = RwSignal::new(None::<String>);
    let flow = FormFlow::new(
        |change: &PasswordChange| {
            let change = change.clone();
            async move { change_password(change.current, change.new).await }
        },
        move |token: TokenResponse| {
            session.start(token.access_token);
            current.set(String::new());
            new.set(String::new());
            done.set(Some(
                tr("Password changed. Every other session has been logged out.").to_owned(),
            ));
        },
    );
    let on_submit = flow.on_submit_replacing(done, move || {
        let current_password = Password::new(current.get_untracked());
        if current_password.expose().is_empty() {
            return Err("Enter your current password".to_owned());
        }
        let new_password = NewPassword::parse(Password::new(new.get_untracked()), &account.email, &account.username)
            .map_err(|e| e.message)?;
        Ok(PasswordChange {
            current: current_password,
            new: new_password.into_password(),
        })
    });
    view! {
        <form class="section" method="post" on:submit=on_submit novalidate>
            <h2>{tr("Change your password")}</h2>
            <TextField
                label=tr("Current password")
                id="current-password"
                kind="password"
                autocomplete="current-password"
                value=current
            />
            <TextField
                label=tr("New password")
                id="new-password"
                kind="password"
                autocomplete="new-password"
                value=new
                error=flow.field_error("new_password")
            />
            <FormAlert message=flow.error />
            <p class="notice" role="status">
                {move || done.get()}
            </p>
            <SubmitButton label=tr("Change password") pending_label=tr("Changing…") pending=flow.pending />
        </form>
    }
}
