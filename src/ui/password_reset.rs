//! Forgotten passwords: `/forgot-password` asks for a reset link by mail, and
//! `/reset-password` (the link's page) sets the new password. The link carries its token
//! in the URL fragment (`#token=…`), which the browser never sends to a server; the page
//! reads it and posts it (`super::mail_links`).

use super::form::{FormAlert, FormFlow, SubmitButton, TextField};
use super::mail_links::{INCOMPLETE_LINK, token_in};
use super::{tr, tr_message};
use crate::api::{Accepted, Password, PasswordResetDone, request_password_reset, reset_password};
use crate::validation::{Email, NewPassword};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;
use leptos_router::hooks::use_location;

#[component]
pub fn ForgotPasswordPage() -> impl IntoView {
    let email = RwSignal::new(String::new());
    let sent = RwSignal::new(None::<String>);
    let flow = FormFlow::new(
        |email: &String| {
            let email = email.clone();
            async move { request_password_reset(email).await }
        },
        move |answer: Accepted| sent.set(Some(answer.detail)),
    );
    let on_submit = flow.on_submit(move || {
        let email = email.get_untracked();
        Email::parse(&email).map_err(|e| e.message)?;
        Ok(email)
    });

    view! {
        <Title text=tr("Forgot your password?") />
        <section class="card">
            <h1>{tr("Forgot your password?")}</h1>
            <p class="muted">{tr("Enter your account's email address and we will send you a link to choose a new password.")}</p>
            <form method="post" on:submit=on_submit novalidate>
                <TextField label=tr("Email") id="email" kind="email" autocomplete="username" value=email error=flow.field_error("email") />
                <FormAlert message=flow.error />
                <p class="notice" role="status">{move || sent.get().map(|message| tr_message(&message))}</p>
                <SubmitButton label=tr("Send the link") pending_label=tr("Sending…") pending=flow.pending />
            </form>
            <p class="switch"><A href="/login">{tr("Back to log in")}</A></p>
        </section>
    }
}

#[derive(Clone)]
struct ResetForm {
    token: String,
    password: Password,
}

#[component]
pub fn ResetPasswordPage() -> impl IntoView {
    let location = use_location();
    let password = RwSignal::new(String::new());
    let done = RwSignal::new(false);
    let flow = FormFlow::new(
        |form: &ResetForm| {
            let form = form.clone();
            async move { reset_password(form.token, form.password).await }
        },
        move |_: PasswordResetDone| done.set(true),
    );
    let on_submit = flow.on_submit(move || {
        let token = token_in(&location.hash.get_untracked()).ok_or(INCOMPLETE_LINK)?;
        let password = Password::new(password.get_untracked());
        // The server also checks the password against the account's email and username.
        NewPassword::parse(password.clone(), "", "").map_err(|e| e.message)?;
        Ok(ResetForm { token, password })
    });

    view! {
        <Title text=tr("Choose a new password") />
        <section class="card">
            <h1>{tr("Choose a new password")}</h1>
            <form method="post" on:submit=on_submit novalidate hidden=move || done.get()>
                <TextField label=tr("New password") id="new_password" kind="password" autocomplete="new-password" value=password error=flow.field_error("new_password") />
                <FormAlert message=flow.error />
                <SubmitButton label=tr("Set the new password") pending_label=tr("Saving…") pending=flow.pending />
            </form>
            {move || {
                done.get()
                    .then(|| {
                        view! {
                            <p class="notice" role="status">{tr("Your password has been changed, and every device was logged out.")}</p>
                            <A href="/login">{tr("Log in with your new password")}</A>
                        }
                    })
            }}
        </section>
    }
}
