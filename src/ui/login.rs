//! The login page: email and password, then on to the profile — or, for an account with
//! two-step verification, first a code from the authenticator app (or a recovery code).

use super::form::{FormAlert, FormFlow, SubmitButton, TextField};
use super::{Session, tr, webauthn};
use crate::api::{
    ApiError, ErrorCode, MfaChallenge, Password, TokenResponse, login, login_mfa, login_mfa_passkey,
    passkey_sign_in_finish, passkey_sign_in_start,
};
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

/// Where the password step leads.
#[derive(Clone)]
enum PasswordStep {
    LoggedIn(TokenResponse),
    /// The right password of an account with a second factor: the login waits for a code.
    CodeNeeded(MfaChallenge),
}

#[component]
pub fn LoginPage() -> impl IntoView {
    let challenge = RwSignal::new(None::<MfaChallenge>);
    view! {
        <Title text=tr("Log in") />
        {move || match challenge.get() {
            None => view! { <PasswordForm challenge /> }.into_any(),
            Some(pending) => view! { <CodeForm pending challenge /> }.into_any(),
        }}
    }
}

#[component]
fn PasswordForm(challenge: RwSignal<Option<MfaChallenge>>) -> impl IntoView {
    let session = Session::get();
    let navigate = use_navigate();
    let email = RwSignal::new(String::new());
    let password = RwSignal::new(String::new());
    let flow = FormFlow::new(
        |form: &LoginForm| {
            let form = form.clone();
            async move {
                match login(form.email, form.password).await {
                    Ok(token) => Ok(PasswordStep::LoggedIn(token)),
                    Err(refused) => match refused.challenge {
                        Some(pending) => Ok(PasswordStep::CodeNeeded(*pending)),
                        None => Err(refused),
                    },
                }
            }
        },
        move |step: PasswordStep| match step {
            PasswordStep::LoggedIn(token) => {
                session.start(token.access_token);
                navigate(super::HOME, Default::default());
            }
            PasswordStep::CodeNeeded(pending) => challenge.set(Some(pending)),
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
        <section class="card">
            <h1>{tr("Log in")}</h1>
            <form method="post" on:submit=on_submit novalidate>
                <TextField label=tr("Email") id="email" kind="email" autocomplete="username webauthn" value=email error=flow.field_error("email") />
                <TextField label=tr("Password") id="password" kind="password" autocomplete="current-password" value=password error=flow.field_error("password") />
                <FormAlert message=flow.error />
                <Show when=move || flow.error.with(|e| e.as_deref() == Some(NOT_VERIFIED))>
                    <p class="notice">{tr("We have mailed you a new verification link: open it, then log in.")}</p>
                </Show>
                <SubmitButton label=tr("Log in") pending_label=tr("Logging in…") pending=flow.pending />
            </form>
            <Show when=webauthn::available>
                <PasskeySignIn />
            </Show>
            <p class="switch"><A href="/forgot-password">{tr("Forgot your password?")}</A></p>
            <p class="switch">{tr("New here? ")} <A href="/signup">{tr("Create an account")}</A></p>
        </section>
    }
}

/// "Sign in with a passkey": no address, no password; the browser offers the passkeys it
/// has for this site.
#[component]
fn PasskeySignIn() -> impl IntoView {
    let session = Session::get();
    let navigate = use_navigate();
    let navigate_from_autofill = navigate.clone();
    let flow = FormFlow::new_unsync(
        |_: &()| async move {
            let start = passkey_sign_in_start().await?;
            let credential = webauthn::get(&start.options)
                .await
                .map_err(|message| ApiError::new(ErrorCode::PasskeyCeremonyFailed, message))?;
            passkey_sign_in_finish(start.ceremony_id, credential).await
        },
        move |token: TokenResponse| {
            session.start(token.access_token);
            navigate(super::HOME, Default::default());
        },
    );
    // Where the browser offers it, passkeys also appear among the address field's autofill
    // suggestions (conditional mediation), waiting from the moment the page is ready.
    let error = flow.error;
    Effect::new(move |_| {
        let navigate = navigate_from_autofill.clone();
        leptos::task::spawn_local(async move {
            if !webauthn::autofill_available().await {
                return;
            }
            let Ok(start) = passkey_sign_in_start().await else {
                return;
            };
            // Cancelled (the button's dialog took over, the page was left): nothing to say.
            let Ok(credential) = webauthn::get_from_autofill(&start.options).await else {
                return;
            };
            match passkey_sign_in_finish(start.ceremony_id, credential).await {
                Ok(token) => {
                    session.start(token.access_token);
                    navigate(super::HOME, Default::default());
                }
                Err(refused) => error.set(Some(super::tr_error(&refused))),
            }
        });
    });
    view! {
        <div class="passkey-sign-in">
            <FormAlert message=flow.error />
            <button type="button" disabled=move || flow.pending.get() on:click=move |_| flow.dispatch(())>
                {tr("Sign in with a passkey")}
            </button>
        </div>
    }
}

/// The second step: a code from the app, or one of the recovery codes.
#[component]
fn CodeForm(pending: MfaChallenge, challenge: RwSignal<Option<MfaChallenge>>) -> impl IntoView {
    let session = Session::get();
    let navigate = use_navigate();
    let navigate_after_passkey = navigate.clone();
    let use_recovery_code = RwSignal::new(false);
    let code = RwSignal::new(String::new());
    let mfa_token = StoredValue::new(pending.mfa_token);
    let flow = FormFlow::new(
        |(mfa_token, code, recovery): &(String, String, bool)| {
            let (mfa_token, code) = (mfa_token.clone(), code.clone());
            match recovery {
                true => login_mfa(mfa_token, None, Some(code), None),
                false => login_mfa(mfa_token, Some(code), None, None),
            }
        },
        move |token: TokenResponse| {
            session.start(token.access_token);
            navigate(super::HOME, Default::default());
        },
    );
    let on_submit = flow.on_submit(move || {
        let typed = code.get_untracked().trim().to_owned();
        if typed.is_empty() {
            return Err("Enter the code".to_owned());
        }
        Ok((mfa_token.get_value(), typed, use_recovery_code.get_untracked()))
    });
    let switch = move |_| {
        use_recovery_code.update(|on| *on = !*on);
        code.set(String::new());
    };
    let can_use_passkey = pending.methods.iter().any(|method| method == "passkey");
    let by_passkey = FormFlow::new_unsync(
        move |_: &()| {
            let mfa_token = mfa_token.get_value();
            async move {
                let request = login_mfa_passkey(mfa_token.clone()).await?;
                let credential = webauthn::get(&request.options)
                    .await
                    .map_err(|message| ApiError::new(ErrorCode::PasskeyCeremonyFailed, message))?;
                login_mfa(mfa_token, None, None, Some(credential)).await
            }
        },
        move |token: TokenResponse| {
            session.start(token.access_token);
            navigate_after_passkey(super::HOME, Default::default());
        },
    );
    view! {
        <section class="card">
            <h1>{tr("Two-step verification")}</h1>
            <form method="post" on:submit=on_submit novalidate>
                {move || match use_recovery_code.get() {
                    false => view! {
                        <p>{tr("Enter the code your authenticator app shows now.")}</p>
                        <TextField label=tr("Code from your app") id="mfa-code" autocomplete="one-time-code" value=code />
                    }
                        .into_any(),
                    true => view! {
                        <p>{tr("Enter one of the recovery codes you saved. Each works once.")}</p>
                        <TextField label=tr("Recovery code") id="mfa-recovery-code" autocomplete="off" value=code />
                    }
                        .into_any(),
                }}
                <FormAlert message=flow.error />
                <SubmitButton label=tr("Verify") pending_label=tr("Checking…") pending=flow.pending />
            </form>
            <Show when=move || can_use_passkey>
                <FormAlert message=by_passkey.error />
                <p>
                    <button type="button" disabled=move || by_passkey.pending.get() on:click=move |_| by_passkey.dispatch(())>
                        {tr("Use a passkey")}
                    </button>
                </p>
            </Show>
            <p class="switch">
                <button type="button" class="link" on:click=switch>
                    {move || match use_recovery_code.get() {
                        false => tr("Use a recovery code instead"),
                        true => tr("Use a code from your app instead"),
                    }}
                </button>
            </p>
            <p class="switch">
                <button type="button" class="link" on:click=move |_| challenge.set(None)>
                    {tr("Start over")}
                </button>
            </p>
        </section>
    }
}
