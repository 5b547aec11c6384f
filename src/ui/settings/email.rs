//! The profile's address section: whether it is verified (with a button that mails the
//! link again), and the form that moves the account to another address. The change
//! happens only once the link mailed to the new address is opened, so the page shows the
//! current address until then.

use super::step_up::{StepUp, StepUpField};
use crate::api::{Accepted, Account, Password, change_email, resend_verification};
use crate::ui::form::{FormAlert, FormFlow, SubmitButton, TextField};
use crate::ui::{tr, tr_message};
use crate::validation::Email;
use leptos::prelude::*;

#[component]
pub fn EmailVerification(account: Account) -> impl IntoView {
    let sent = RwSignal::new(None::<String>);
    let flow = FormFlow::new(
        |_: &()| resend_verification(),
        move |answer: Accepted| sent.set(Some(answer.detail)),
    );
    let on_submit = flow.on_submit(|| Ok(()));
    if account.email_verified {
        return view! { <p class="verified">{tr("Your email address is verified.")}</p> }.into_any();
    }
    view! {
        <form class="section" method="post" on:submit=on_submit novalidate>
            <p class="unverified">{tr("Your email address is not verified yet: open the link we mailed you.")}</p>
            <FormAlert message=flow.error />
            <p class="notice" role="status">{move || sent.get().map(|message| tr_message(&message))}</p>
            <SubmitButton label=tr("Resend verification email") pending_label=tr("Sending…") pending=flow.pending />
        </form>
    }
    .into_any()
}

#[derive(Clone)]
struct EmailChange {
    new_email: String,
    password: Password,
    code: Option<String>,
}

#[component]
pub fn ChangeEmail(account: Account) -> impl IntoView {
    let new_email = RwSignal::new(String::new());
    let password = RwSignal::new(String::new());
    let sent = RwSignal::new(None::<String>);
    let step_up = StepUp::new(account.second_factor);
    let flow = FormFlow::new(
        move |change: &EmailChange| {
            let change = change.clone();
            async move {
                let answer = change_email(change.new_email, change.password, change.code).await;
                step_up.heed(&answer);
                answer
            }
        },
        move |answer: Accepted| {
            password.set(String::new());
            step_up.clear();
            sent.set(Some(answer.detail));
        },
    );
    let on_submit = flow.on_submit_replacing(sent, move || {
        let typed = new_email.get_untracked();
        let parsed = Email::parse(&typed).map_err(|e| e.message)?;
        if parsed.as_str() == account.email {
            return Err("This is already your email address".to_owned());
        }
        let password = Password::new(password.get_untracked());
        if password.expose().is_empty() {
            return Err("Enter your password".to_owned());
        }
        Ok(EmailChange {
            new_email: typed,
            password,
            code: step_up.code()?,
        })
    });
    view! {
        <form class="section" method="post" on:submit=on_submit novalidate>
            <h2>{tr("Change email")}</h2>
            <TextField
                label=tr("New email")
                id="new-email"
                kind="email"
                autocomplete="email"
                value=new_email
                error=flow.field_error("new_email")
            />
            <TextField
                label=tr("Your password")
                id="email-password"
                kind="password"
                autocomplete="current-password"
                value=password
            />
            <StepUpField step_up id="email-code" />
            <FormAlert message=flow.error />
            <p class="notice" role="status">{move || sent.get().map(|message| tr_message(&message))}</p>
            <SubmitButton label=tr("Send confirmation link") pending_label=tr("Sending…") pending=flow.pending />
        </form>
    }
}
