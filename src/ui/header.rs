//! The top bar: the brand, and who is logged in — their name, links to Profile (and
//! Admin for admins) and Log out — or links to log in and sign up. Nothing is shown
//! until the session is known, so a logged-in person never sees "Log in" flash by.

use super::Session;
use super::session::{account_resource, log_out_action};
use crate::api::Role;
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
            <nav class="who" aria-label="Account">
                {move || {
                    if !session.is_restored() {
                        ().into_any()
                    } else if session.is_logged_in() {
                        view! { <LoggedIn session /> }.into_any()
                    } else {
                        view! {
                            <A href="/login">"Log in"</A>
                            <A href="/signup">"Sign up"</A>
                        }
                            .into_any()
                    }
                }}
            </nav>
        </header>
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
                    <span class="muted">"Signed in as " <strong>{me.username}</strong></span>
                    <A href="/profile">"Profile"</A>
                    <Show when=move || is_admin>
                        <A href="/admin">"Admin"</A>
                    </Show>
                }
                    .into_any()
            }
            _ => ().into_any(),
        }}
        <button type="button" class="link" on:click=move |_| { log_out.dispatch(false); }>
            "Log out"
        </button>
    }
}
