use super::Session;
use crate::api::{User, me};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::NavigateOptions;
use leptos_router::hooks::use_navigate;

#[component]
pub fn ProfilePage() -> impl IntoView {
    let session = Session::get();
    let navigate = use_navigate();

    // The session lives in the browser only, so these effects (which never run on the
    // server) decide: no session, or one the server no longer accepts → log in again.
    Effect::new(move |_| {
        if !session.is_logged_in() {
            navigate(
                "/login",
                NavigateOptions {
                    replace: true,
                    ..Default::default()
                },
            );
        }
    });
    let user = LocalResource::new(move || {
        let logged_in = session.is_logged_in();
        async move { if logged_in { Some(me().await) } else { None } }
    });
    Effect::new(move |_| {
        if let Some(Some(Err(_))) = user.get() {
            session.end();
        }
    });

    view! {
        <Title text="Your profile" />
        <section class="card">
            <h1>"Your profile"</h1>
            {move || match user.get() {
                Some(Some(Ok(user))) => view! { <UserDetails user /> }.into_any(),
                _ => view! { <p class="muted">"Loading your profile…"</p> }.into_any(),
            }}
            <div class="actions">
                <button type="button" on:click=move |_| session.end()>
                    "Log out"
                </button>
            </div>
        </section>
    }
}

#[component]
fn UserDetails(user: User) -> impl IntoView {
    view! {
        <p class="lead">"Hello, " {user.username.clone()} "!"</p>
        <dl class="details">
            <dt>"Username"</dt>
            <dd>{user.username}</dd>
            <dt>"Email"</dt>
            <dd>{user.email}</dd>
            <dt>"User id"</dt>
            <dd>{user.id}</dd>
        </dl>
    }
}
