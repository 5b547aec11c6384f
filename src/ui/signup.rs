//! The signup page: a new account, logged in at once, then on to the profile — or, on a
//! server that requires a verified address before any login, a note to check the inbox.

use super::form::{FormAlert, FormFlow, SubmitButton, TextField};
use super::refresh_lock::refresh_one_tab_at_a_time;
use super::{Session, tr, tr_with};
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
            .map_err(|errors| {
                let messages: Vec<String> = errors.into_iter().map(|e| e.message).collect();
                messages.join(" ")
            })
    }
}

/// Where a signup leaves the person.
#[derive(Clone)]
enum Joined {
    LoggedIn(TokenResponse),
    /// No session yet: the server waits for the address to be verified.
    CheckInbox(String),
}

/// Signing up starts a session (the refresh cookie) but, true to the API contract,
/// returns the user rather than a token; the page trades the cookie for a token. That
/// first refresh takes the cross-tab lock like every other: another tab restoring its
/// session at the same moment must not present the same cookie. A server with
/// `REQUIRE_EMAIL_VERIFICATION` sets no cookie, so that refresh finds no session.
async fn sign_up_and_log_in(form: SignupForm) -> Result<Joined, ApiError> {
    let user = signup(form.email, form.password, form.username).await?;
    Ok(match refresh_one_tab_at_a_time().await {
        Ok(Some(token)) => Joined::LoggedIn(token),
        Ok(None) | Err(_) => Joined::CheckInbox(user.email),
    })
}

#[component]
pub fn SignupPage() -> impl IntoView {
    let session = Session::get();
    let navigate = use_navigate();
    let email = RwSignal::new(String::new());
    let username = RwSignal::new(String::new());
    let password = RwSignal::new(String::new());
    let check_inbox = RwSignal::new(None::<String>);
    // Not `Send` in the browser: the refresh lock holds JavaScript objects across awaits.
    let flow = FormFlow::new_unsync(
        |form: &SignupForm| sign_up_and_log_in(form.clone()),
        move |joined: Joined| match joined {
            Joined::LoggedIn(token) => {
                session.start(token.access_token);
                navigate(super::HOME, Default::default());
            }
            Joined::CheckInbox(email) => check_inbox.set(Some(tr_with(
                "Almost there: open the link we sent to {email} to verify your address, then log in.",
                "{email}",
                &email,
            ))),
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
        <Title text=tr("Sign up") />
        <section class="card">
            <h1>{tr("Create your account")}</h1>
            <p class="notice" role="status">{move || check_inbox.get()}</p>
            <form method="post" on:submit=on_submit novalidate hidden=move || check_inbox.with(Option::is_some)>
                <TextField label=tr("Email") id="email" kind="email" autocomplete="email" value=email error=flow.field_error("email") />
                <TextField label=tr("Username") id="username" autocomplete="nickname" value=username error=flow.field_error("username") />
                <TextField label=tr("Password") id="password" kind="password" autocomplete="new-password" value=password error=flow.field_error("password") />
                <p class="hint">{tr("At least 8 characters.")}</p>
                <FormAlert message=flow.error />
                <SubmitButton label=tr("Sign up") pending_label=tr("Signing up…") pending=flow.pending />
            </form>
            <p class="switch">{tr("Already have an account? ")} <A href="/login">{tr("Log in")}</A></p>
        </section>
    }
}
