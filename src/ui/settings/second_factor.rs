//! Two-step verification on the profile: turning an authenticator app on (password → the
//! key and its QR code → the first code → recovery codes, shown once), and, while it is on,
//! turning it off or getting new recovery codes (each with the password and a code).

use crate::api::{
    Account, Password, RecoveryCodes, TotpEnrolment, new_recovery_codes, totp_disable, totp_enable, totp_setup,
};
use crate::ui::form::{FormAlert, FormFlow, SubmitButton, TextField};
use crate::ui::tr;
use leptos::prelude::*;

/// Why an app or a passkey cannot be added yet (the server answers 403 `Email not verified`).
pub const VERIFY_FIRST: &str =
    "Verify your email address first: until the address is proven, nothing can be added that signs in to this account.";

fn password_from(typed: RwSignal<String>) -> Result<Password, String> {
    let typed = typed.get_untracked();
    if typed.is_empty() {
        return Err("Enter your password to confirm".to_owned());
    }
    Ok(Password::new(typed))
}

fn code_from(typed: RwSignal<String>) -> Result<String, String> {
    let typed = typed.get_untracked().trim().to_owned();
    if typed.is_empty() {
        return Err("Enter the code".to_owned());
    }
    Ok(typed)
}

#[component]
pub fn SecondFactor(account: Account) -> impl IntoView {
    let enabled = RwSignal::new(account.second_factor);
    let verified = account.email_verified;
    // The recovery codes just handed out: shown until the person says they saved them.
    let fresh_codes = RwSignal::new(None::<Vec<String>>);
    view! {
        <section class="section" aria-labelledby="second-factor-heading">
            <h2 id="second-factor-heading">{tr("Two-step verification")}</h2>
            <p class="status">
                {move || {
                    if enabled.get() {
                        view! {
                            <strong>{tr("On")}</strong>
                            " "
                            {tr("Logging in also asks for a code from your authenticator app.")}
                        }
                            .into_any()
                    } else {
                        view! {
                            <strong>{tr("Off")}</strong>
                            " "
                            {tr("Only your password protects this account.")}
                        }
                            .into_any()
                    }
                }}
            </p>
            {move || fresh_codes.get().map(|codes| view! { <ShownCodes codes fresh_codes /> })}
            {move || {
                if enabled.get() {
                    view! {
                        <TurnOff enabled />
                        <NewCodes fresh_codes />
                    }
                        .into_any()
                } else if !verified {
                    view! { <p class="unverified">{tr(VERIFY_FIRST)}</p> }.into_any()
                } else {
                    view! { <TurnOn enabled fresh_codes /> }.into_any()
                }
            }}
        </section>
    }
}

#[component]
fn ShownCodes(codes: Vec<String>, fresh_codes: RwSignal<Option<Vec<String>>>) -> impl IntoView {
    view! {
        <div class="recovery-codes">
            <h3>{tr("Your recovery codes")}</h3>
            <p>
                {tr(
                    "Keep these somewhere safe: each one logs you in once if you lose your phone. They are shown only now.",
                )}
            </p>
            <ul aria-label=tr("Recovery codes")>
                {codes.into_iter().map(|code| view! { <li><code>{code}</code></li> }).collect_view()}
            </ul>
            <button type="button" on:click=move |_| fresh_codes.set(None)>
                {tr("I have saved them")}
            </button>
        </div>
    }
}

/// Off → the password → the key and QR code → the first code → on.
#[component]
fn TurnOn(enabled: RwSignal<bool>, fresh_codes: RwSignal<Option<Vec<String>>>) -> impl IntoView {
    let enrolment = RwSignal::new(None::<TotpEnrolment>);
    let password = RwSignal::new(String::new());
    let code = RwSignal::new(String::new());
    let setup = FormFlow::new(
        |password: &Password| totp_setup(password.clone()),
        move |started: TotpEnrolment| enrolment.set(Some(started)),
    );
    let enable = FormFlow::new(
        |code: &String| totp_enable(code.clone()),
        move |codes: RecoveryCodes| {
            fresh_codes.set(Some(codes.recovery_codes));
            enabled.set(true);
        },
    );
    view! {
        {move || match enrolment.get() {
            None => {
                view! {
                    <form method="post" on:submit=setup.on_submit(move || password_from(password)) novalidate>
                        <p>{tr("Add a code from an authenticator app on your phone to every login.")}</p>
                        <TextField
                            label=tr("Your password")
                            id="totp-password"
                            kind="password"
                            autocomplete="current-password"
                            value=password
                        />
                        <FormAlert message=setup.error />
                        <SubmitButton
                            label=tr("Set up two-step verification")
                            pending_label=tr("Checking…")
                            pending=setup.pending
                        />
                    </form>
                }
                    .into_any()
            }
            Some(started) => {
                view! {
                    <form method="post" on:submit=enable.on_submit(move || code_from(code)) novalidate>
                        <p>{tr("Scan this QR code with your authenticator app:")}</p>
                        // The SVG is drawn by our server from the key; nothing else is in it.
                        <div class="qr" role="img" aria-label=tr("QR code for your authenticator app") inner_html=started.qr_svg></div>
                        <p>
                            {tr("Or type this key into the app:")} " "
                            <code data-testid="totp-secret">{started.secret}</code>
                        </p>
                        <TextField
                            label=tr("Code from your app")
                            id="totp-code"
                            autocomplete="one-time-code"
                            value=code
                            error=enable.field_error("code")
                        />
                        <FormAlert message=enable.error />
                        <SubmitButton label=tr("Turn on") pending_label=tr("Checking…") pending=enable.pending />
                    </form>
                }
                    .into_any()
            }
        }}
    }
}

#[component]
fn TurnOff(enabled: RwSignal<bool>) -> impl IntoView {
    let (password, code) = (RwSignal::new(String::new()), RwSignal::new(String::new()));
    let flow = FormFlow::new(
        |(password, code): &(Password, String)| totp_disable(password.clone(), code.clone()),
        move |_| enabled.set(false),
    );
    view! {
        <PasswordAndCode
            heading=tr("Turn it off")
            note=None
            ids=("totp-off-password", "totp-off-code")
            submit=tr("Turn off two-step verification")
            password
            code
            flow
        />
    }
}

#[component]
fn NewCodes(fresh_codes: RwSignal<Option<Vec<String>>>) -> impl IntoView {
    let (password, code) = (RwSignal::new(String::new()), RwSignal::new(String::new()));
    let flow = FormFlow::new(
        |(password, code): &(Password, String)| new_recovery_codes(password.clone(), code.clone()),
        move |codes: RecoveryCodes| {
            password.set(String::new());
            code.set(String::new());
            fresh_codes.set(Some(codes.recovery_codes));
        },
    );
    view! {
        <PasswordAndCode
            heading=tr("New recovery codes")
            note=Some(tr("The codes you have now stop working."))
            ids=("codes-password", "codes-code")
            submit=tr("Get new recovery codes")
            password
            code
            flow
        />
    }
}

/// A change to the factor confirmed with the password and a current code (the app's or a
/// recovery code): turning it off, new recovery codes.
#[component]
fn PasswordAndCode<T>(
    heading: &'static str,
    note: Option<&'static str>,
    /// The fields' ids: the password's and the code's.
    ids: (&'static str, &'static str),
    submit: &'static str,
    password: RwSignal<String>,
    code: RwSignal<String>,
    flow: FormFlow<(Password, String), T>,
) -> impl IntoView
where
    T: Clone + Send + Sync + 'static,
{
    let check = move || Ok((password_from(password)?, code_from(code)?));
    view! {
        <form method="post" on:submit=flow.on_submit(check) novalidate>
            <h3>{heading}</h3>
            {note.map(|note| view! { <p>{note}</p> })}
            <TextField label=tr("Your password") id=ids.0 kind="password" autocomplete="current-password" value=password />
            <TextField label=tr("Code") id=ids.1 autocomplete="one-time-code" value=code error=flow.field_error("code") />
            <FormAlert message=flow.error />
            <SubmitButton label=submit pending_label=tr("Checking…") pending=flow.pending />
        </form>
    }
}
