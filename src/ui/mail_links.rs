//! The pages that links in mail open. Each link carries its token in the URL fragment
//! (`#token=…`), which the browser never sends to a server, so the token stays out of
//! access logs and `Referer` headers; the page reads it and posts it when the person
//! presses the page's button (a mail scanner that fetches the link does nothing).
//!
//! - `/verify-email`: the link mailed at signup (or resent from the profile).
//! - `/confirm-email`: the link an email change sends to the new address.
//!
//! (`/reset-password`, which also asks for a new password, is in `super::password_reset`.)

use super::form::{FormAlert, FormFlow, SubmitButton};
use super::{tr, tr_with};
use crate::api::{ApiError, EmailChanged, EmailVerified, confirm_email_change, verify_email};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;
use leptos_router::hooks::use_location;
use std::future::Future;

pub const INCOMPLETE_LINK: &str = "This link is incomplete: open the link from the mail again.";

/// The token in a fragment like `#token=abc`.
pub fn token_in(fragment: &str) -> Option<String> {
    fragment
        .trim_start_matches('#')
        .split('&')
        .find_map(|pair| pair.strip_prefix("token="))
        .filter(|token| !token.is_empty())
        .map(str::to_owned)
}

/// A page with one button that posts the link's token; on success it says `done` and
/// offers the next step.
#[component]
fn LinkPage<T, Fut>(
    title: &'static str,
    intro: &'static str,
    button: &'static str,
    pending_label: &'static str,
    submit: fn(String) -> Fut,
    done: fn(T) -> String,
) -> impl IntoView
where
    T: Clone + Send + Sync + 'static,
    Fut: Future<Output = Result<T, ApiError>> + Send + 'static,
{
    let location = use_location();
    let said = RwSignal::new(None::<String>);
    let flow = FormFlow::new(
        move |token: &String| submit(token.clone()),
        move |answer: T| said.set(Some(done(answer))),
    );
    let on_submit = flow.on_submit(move || token_in(&location.hash.get_untracked()).ok_or(INCOMPLETE_LINK.to_owned()));
    view! {
        <Title text=title />
        <section class="card">
            <h1>{title}</h1>
            <form method="post" on:submit=on_submit novalidate hidden=move || said.with(Option::is_some)>
                <p class="muted">{intro}</p>
                <FormAlert message=flow.error />
                <SubmitButton label=button pending_label pending=flow.pending />
            </form>
            {move || {
                said.get()
                    .map(|message| {
                        view! {
                            <p class="notice" role="status">{message}</p>
                            <A href=super::HOME>{tr("Go to your profile")}</A>
                        }
                    })
            }}
        </section>
    }
}

#[component]
pub fn VerifyEmailPage() -> impl IntoView {
    view! {
        <LinkPage
            title=tr("Verify your email address")
            intro=tr("Press the button to confirm that this address is yours.")
            button=tr("Verify my email address")
            pending_label=tr("Verifying…")
            submit=verify_email
            done=|_: EmailVerified| tr("Your email address is verified.").to_owned()
        />
    }
}

#[component]
pub fn ConfirmEmailPage() -> impl IntoView {
    view! {
        <LinkPage
            title=tr("Confirm your new email address")
            intro=tr("Press the button to move your account to this address. You will log in with it from now on.")
            button=tr("Use this address")
            pending_label=tr("Confirming…")
            submit=confirm_email_change
            done=|changed: EmailChanged| tr_with("Your account's email address is now {email}.", "{email}", &changed.email)
        />
    }
}

#[cfg(test)]
mod tests {
    use super::token_in;

    #[test]
    fn the_token_is_read_from_the_fragment() {
        assert_eq!(token_in("#token=abc123").as_deref(), Some("abc123"));
        assert_eq!(token_in("#x=1&token=abc").as_deref(), Some("abc"));
        assert_eq!(token_in("#token="), None);
        assert_eq!(token_in(""), None);
    }
}
