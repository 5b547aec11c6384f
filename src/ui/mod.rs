//! The web app: server-rendered, then hydrated into a single-page app.

mod admin;
mod form;
mod header;
mod home;
mod login;
mod mail_links;
mod profile;
mod recovery;
mod refresh_lock;
mod session;
mod signup;

pub use session::Session;

use leptos::prelude::*;
use leptos_meta::{HashedStylesheet, MetaTags, Title, provide_meta_context};
use leptos_router::StaticSegment;
use leptos_router::components::{A, Route, Router, Routes};

/// The HTML document around the app, rendered on the server only.
pub fn shell(options: LeptosOptions) -> impl IntoView {
    view! {
        <!DOCTYPE html>
        <html lang="en">
            <head>
                <meta charset="utf-8" />
                <meta name="viewport" content="width=device-width, initial-scale=1" />
                <meta name="color-scheme" content="light dark" />
                <link rel="icon" href="/favicon.svg" type="image/svg+xml" />
                // The build's file names: hashed (cargo-leptos `hash-files`), so they can
                // be cached for good (server::http::assets).
                <HashedStylesheet options=options.clone() id="leptos" />
                <AutoReload options=options.clone() />
                <HydrationScripts options />
                <MetaTags />
            </head>
            <body>
                <App />
            </body>
        </html>
    }
}

#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    let session = Session::provide();
    // Effects never run on the server, so this runs only once the WASM app has taken
    // over the page: restore the session from the refresh cookie, and flip the marker
    // that end-to-end tests wait for before they click anything.
    let hydrated = RwSignal::new(false);
    Effect::new(move |_| {
        session.restore();
        hydrated.set(true);
    });

    view! {
        <Title formatter=|page: String| if page.is_empty() { "AuthKit".to_owned() } else { format!("{page} · AuthKit") } />
        <Router>
            <header::TopBar />
            <main data-hydrated=move || hydrated.get().then_some("true")>
                <Routes fallback=NotFound>
                    <Route path=StaticSegment("") view=home::HomePage />
                    <Route path=StaticSegment("signup") view=signup::SignupPage />
                    <Route path=StaticSegment("login") view=login::LoginPage />
                    <Route path=StaticSegment("forgot-password") view=recovery::ForgotPasswordPage />
                    <Route path=StaticSegment("reset-password") view=recovery::ResetPasswordPage />
                    <Route path=StaticSegment("verify-email") view=mail_links::VerifyEmailPage />
                    <Route path=StaticSegment("confirm-email") view=mail_links::ConfirmEmailPage />
                    <Route path=StaticSegment("profile") view=profile::ProfilePage />
                    <Route path=StaticSegment("admin") view=admin::AdminPage />
                </Routes>
            </main>
        </Router>
    }
}

#[component]
fn NotFound() -> impl IntoView {
    view! {
        <Title text="Page not found" />
        <section class="card">
            <h1>"Page not found"</h1>
            <p class="muted">"There is nothing at this address."</p>
            <A href="/">"Go to the start page"</A>
        </section>
    }
}
