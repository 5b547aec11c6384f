use super::Session;
use super::form::{FormAlert, SubmitButton, TextField, follow_action};
use crate::api::{ApiError, Password, TokenResponse, refresh, signup};
use crate::validation::{Email, Username, check_new_password};
use leptos::ev::SubmitEvent;
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
    /// The same rules the server enforces, checked before anything is sent.
    fn check(&self) -> Result<(), String> {
        Email::parse(&self.email).map_err(|e| e.message)?;
        Username::parse(&self.username).map_err(|e| e.message)?;
        check_new_password(self.password.expose(), &self.email, &self.username).map_err(|e| e.message)
    }
}

/// Signing up starts a session (the refresh cookie) but, true to the API contract,
/// returns the user rather than a token; the page trades the cookie for a token.
async fn sign_up_and_log_in(form: SignupForm) -> Result<TokenResponse, ApiError> {
    signup(form.email, form.password, form.username).await?;
    refresh().await
}

#[component]
pub fn SignupPage() -> impl IntoView {
    let session = Session::get();
    let navigate = use_navigate();
    let email = RwSignal::new(String::new());
    let username = RwSignal::new(String::new());
    let password = RwSignal::new(String::new());
    let error = RwSignal::new(None::<String>);
    let action = Action::new(|form: &SignupForm| sign_up_and_log_in(form.clone()));
    let pending = Memo::new(move |_| action.pending().get());

    follow_action(action, error, move |token| {
        session.start(token.access_token);
        navigate("/profile", Default::default());
    });

    let on_submit = move |ev: SubmitEvent| {
        ev.prevent_default();
        if pending.get_untracked() {
            return;
        }
        let form = SignupForm {
            email: email.get_untracked(),
            username: username.get_untracked(),
            password: Password::new(password.get_untracked()),
        };
        match form.check() {
            Err(message) => error.set(Some(message)),
            Ok(()) => {
                error.set(None);
                action.dispatch(form);
            }
        }
    };

    view! {
        <Title text="Sign up" />
        <section class="card">
            <h1>"Create your account"</h1>
            <form on:submit=on_submit novalidate>
                <TextField label="Email" id="email" kind="email" autocomplete="email" value=email />
                <TextField label="Username" id="username" autocomplete="nickname" value=username />
                <TextField label="Password" id="password" kind="password" autocomplete="new-password" value=password />
                <p class="hint">"At least 8 characters."</p>
                <FormAlert message=error />
                <SubmitButton label="Sign up" pending_label="Signing up…" pending />
            </form>
            <p class="switch">"Already have an account? " <A href="/login">"Log in"</A></p>
        </section>
    }
}
