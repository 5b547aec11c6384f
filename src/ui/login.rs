//! The login page: email and password, then on to the profile.

use super::form::{FormAlert, FormFlow, SubmitButton, TextField};
use super::{Session, tr};
use crate::api::{Password, TokenResponse, login};
use crate::validation::{Email, check_login_password};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;
use leptos_router::hooks::use_navigate;

/// The server's answer to the right password of an unverified address, when it
/// requires verified addresses (it mails a fresh link then).
const NOT_VERIFIED: &str = "Email not verified";

#[derive(Clone)]
struct LoginForm {
    email: String,
    password: Password,
}

impl LoginForm {
    fn check(&self) -> Result<(), String> {
        Email::parse(&self.email).map_err(|e| e.message)?;
        check_login_password(self.password.expose()).map_err(|e| e.message)
    }
}

#[component]
pub fn LoginPage() -> impl IntoView {
    let session = Session::get();
    let navigate = use_navigate();
    let email = RwSignal::new(String::new());
    let password = RwSignal::new(String::new());
    let flow = FormFlow::new(
        |form: &LoginForm| {
            let form = form.clone();
            async move { login(form.email, form.password).await }
        },
        move |token: TokenResponse| {
            session.start(token.access_token);
            navigate("/profile", Default::default());
        },
    );

    let on_submit = flow.on_submit(move || {
        let form = LoginForm {
            email: email.get_untracked(),
            password: Password::new(password.get_untracked()),
        };
        form.check()?;
        Ok(form)
    });

    view! {
        <Title text=tr("Log in") />
        <section class="card">
            <h1>{tr("Log in")}</h1>
            <form method="post" on:submit=on_submit novalidate>
                <TextField label=tr("Email") id="email" kind="email" autocomplete="username" value=email error=flow.field_error("email") />
                <TextField label=tr("Password") id="password" kind="password" autocomplete="current-password" value=password error=flow.field_error("password") />
                <FormAlert message=flow.error />
                <Show when=move || flow.error.with(|e| e.as_deref() == Some(NOT_VERIFIED))>
                    <p class="notice">{tr("We have mailed you a new verification link: open it, then log in.")}</p>
                </Show>
                <SubmitButton label=tr("Log in") pending_label=tr("Logging in…") pending=flow.pending />
            </form>
            <p class="switch"><A href="/forgot-password">{tr("Forgot your password?")}</A></p>
            <p class="switch">{tr("New here? ")} <A href="/signup">{tr("Create an account")}</A></p>
        </section>
    }
}
