//! The signup page: a new account, logged in at once, then on to the profile.

use super::Session;
use super::form::{FormAlert, FormFlow, SubmitButton, TextField};
use super::refresh_lock::refresh_one_tab_at_a_time;
use crate::api::{ApiError, Password, TokenResponse, signup};
use crate::validation::NewAccount;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;
use leptos_router::hooks::use_navigate;

#[derive(Clone)]
struct SignupForm {
    email: String,
    username: String,
    password: Password,
}

impl SignupForm {
    /// The same rules the server enforces, checked before anything is sent. The fields
    /// are then sent as typed: the server normalises them itself.
    fn check(&self) -> Result<(), String> {
        NewAccount::parse(&self.email, &self.username, self.password.clone())
            .map(|_| ())
            .map_err(|e| e.message)
    }
}

/// Signing up starts a session (the refresh cookie) but, true to the API contract,
/// returns the user rather than a token; the page trades the cookie for a token. That
/// first refresh takes the cross-tab lock like every other: another tab restoring its
/// session at the same moment must not present the same cookie.
async fn sign_up_and_log_in(form: SignupForm) -> Result<TokenResponse, ApiError> {
    signup(form.email, form.password, form.username).await?;
    refresh_one_tab_at_a_time().await
}

#[component]
pub fn SignupPage() -> impl IntoView {
    let session = Session::get();
    let navigate = use_navigate();
    let email = RwSignal::new(String::new());
    let username = RwSignal::new(String::new());
    let password = RwSignal::new(String::new());
    // Not `Send` in the browser: the refresh lock holds JavaScript objects across awaits.
    let flow = FormFlow::new_unsync(
        |form: &SignupForm| sign_up_and_log_in(form.clone()),
        move |token: TokenResponse| {
            session.start(token.access_token);
            navigate("/profile", Default::default());
        },
    );

    let on_submit = flow.on_submit(move || {
        let form = SignupForm {
            email: email.get_untracked(),
            username: username.get_untracked(),
            password: Password::new(password.get_untracked()),
        };
        form.check()?;
        Ok(form)
    });

    view! {
        <Title text="Sign up" />
        <section class="card">
            <h1>"Create your account"</h1>
            <form method="post" on:submit=on_submit novalidate>
                <TextField label="Email" id="email" kind="email" autocomplete="email" value=email />
                <TextField label="Username" id="username" autocomplete="nickname" value=username />
                <TextField label="Password" id="password" kind="password" autocomplete="new-password" value=password />
                <p class="hint">"At least 8 characters."</p>
                <FormAlert message=flow.error />
                <SubmitButton label="Sign up" pending_label="Signing up…" pending=flow.pending />
            </form>
            <p class="switch">"Already have an account? " <A href="/login">"Log in"</A></p>
        </section>
    }
}
