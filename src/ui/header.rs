//! The top bar: the brand, the language switch, and who is logged in — their name, links
//! to Profile (and Admin for admins) and Log out — or links to log in and sign up. The
//! account part shows nothing until the session is known, so a logged-in person never
//! sees "Log in" flash by.

use super::session::{account_resource, log_out_action};
use super::{Language, Session, tr};
use crate::api::Role;
use crate::i18n::Lang;
use leptos::prelude::*;
use leptos_router::components::A;

#[component]
pub fn TopBar() -> impl IntoView {
    let session = Session::get();
    view! {
        <header class="topbar">
            <A href="/" attr:class="brand">
                "AuthKit"
            </A>
            <LanguageSwitch />
            <nav class="who" aria-label=tr("Account")>
                {move || {
                    if !session.is_restored() {
                        ().into_any()
                    } else if session.is_logged_in() {
                        view! { <LoggedIn session /> }.into_any()
                    } else {
                        view! {
                            <A href="/login">{tr("Log in")}</A>
                            <A href="/signup">{tr("Sign up")}</A>
                        }
                            .into_any()
                    }
                }}
            </nav>
        </header>
    }
}

/// One button per other language, named in that language (a Korean reader finds
/// "한국어" on an English page).
#[component]
fn LanguageSwitch() -> impl IntoView {
    let language = Language::get();
    let current = language.current();
    view! {
        <div class="languages" role="group" aria-label=tr("Language")>
            {Lang::ALL
                .into_iter()
                .filter(|lang| *lang != current)
                .map(|lang| {
                    view! {
                        <button type="button" class="link" lang=lang.code() on:click=move |_| language.switch_to(lang)>
                            {lang.name()}
                        </button>
                    }
                })
                .collect_view()}
        </div>
    }
}

#[component]
fn LoggedIn(session: Session) -> impl IntoView {
    let account = account_resource(session);
    let log_out = log_out_action(session);
    view! {
        {move || match account.get() {
            Some(Some(Ok(me))) => {
                let is_admin = me.role == Role::Admin;
                view! {
                    <span class="muted">{tr("Signed in as ")} <strong>{me.username}</strong></span>
                    <A href=super::HOME>{tr("Profile")}</A>
                    <Show when=move || is_admin>
                        <A href="/admin">{tr("Admin")}</A>
                    </Show>
                }
                    .into_any()
            }
            _ => ().into_any(),
        }}
        <button type="button" class="link" on:click=move |_| { log_out.dispatch(false); }>
            {tr("Log out")}
        </button>
    }
}
