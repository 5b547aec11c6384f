//! The web app: server-rendered, then hydrated into a single-page app.

mod admin;
mod form;
mod header;
mod home;
mod language;
mod login;
mod mail_links;
mod password_reset;
mod refresh_lock;
mod session;
mod settings;
mod signup;
mod webauthn;

pub use webauthn::PasskeysOn;

pub use language::{Language, tr, tr_error, tr_message, tr_with};
pub use session::Session;

use leptos::prelude::*;
use leptos_meta::{HashedStylesheet, MetaTags, Title, provide_meta_context};
use leptos_router::components::{A, Redirect, Route, Router, Routes};
use leptos_router::{Lazy, LazyRoute, StaticSegment, lazy_route, path};
pub use settings::HOME;
use settings::Section;

/// The HTML document around the app, rendered on the server only.
pub fn shell(options: LeptosOptions) -> impl IntoView {
    // The request's language (`server::http` provides it), for screen readers and fonts;
    // the app in the browser starts from it.
    let lang = use_context::<crate::i18n::Lang>().unwrap_or_default().code();
    // Whether the app offers passkeys; the browser reads it back (`webauthn::available`).
    let passkeys = webauthn::available().then_some("on");
    view! {
        <!DOCTYPE html>
        <html lang=lang data-passkeys=passkeys>
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
    let language = Language::provide();
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
            // A change of language rebuilds the top bar and the page in the new one.
            {move || {
                language.track();
                view! { <header::TopBar /> }
            }}
            <main data-hydrated=move || hydrated.get().then_some("true")>
                {move || {
                    language.track();
                    view! { <Pages /> }
                }}
            </main>
        </Router>
    }
}

#[component]
fn Pages() -> impl IntoView {
    view! {
                <Routes fallback=NotFound>
                    <Route path=StaticSegment("") view=home::HomePage />
                    <Route path=StaticSegment("signup") view=signup::SignupPage />
                    <Route path=StaticSegment("login") view=login::LoginPage />
                    <Route path=StaticSegment("forgot-password") view={Lazy::<ForgotRoute>::new()} />
                    <Route path=StaticSegment("reset-password") view={Lazy::<ResetRoute>::new()} />
                    <Route path=StaticSegment("verify-email") view={Lazy::<VerifyRoute>::new()} />
                    <Route path=StaticSegment("confirm-email") view={Lazy::<ConfirmRoute>::new()} />
                    <Route path=path!("/settings/profile") view={Lazy::<SettingsProfileRoute>::new()} />
                    <Route path=path!("/settings/security") view={Lazy::<SettingsSecurityRoute>::new()} />
                    <Route path=path!("/settings/account") view={Lazy::<SettingsAccountRoute>::new()} />
                    // The page before the settings area, and the area's own address.
                    <Route path=StaticSegment("profile") view=|| view! { <Redirect path=HOME /> } />
                    <Route path=StaticSegment("settings") view=|| view! { <Redirect path=HOME /> } />
                    <Route path=StaticSegment("admin") view={Lazy::<AdminRoute>::new()} />
                </Routes>
    }
}

// Every page but the start, signup and login pages is a lazy route: its code is a WASM
// chunk of its own (cargo-leptos `--split`, which every build in the Makefile passes; a
// build without it does not hydrate), fetched when the page is first visited, so the
// login page does not wait for the profile's forms or the admin page (docs/BENCHMARKS.md).
macro_rules! lazy_page {
    ($route:ident, $page:path) => {
        lazy_page!(view $route => view! { <$page /> });
    };
    (view $route:ident => $view:expr) => {
        struct $route;
        #[lazy_route]
        impl LazyRoute for $route {
            fn data() -> Self {
                $route
            }
            fn view(_this: Self) -> AnyView {
                $view.into_any()
            }
        }
    };
}
lazy_page!(ForgotRoute, password_reset::ForgotPasswordPage);
lazy_page!(ResetRoute, password_reset::ResetPasswordPage);
lazy_page!(VerifyRoute, mail_links::VerifyEmailPage);
lazy_page!(ConfirmRoute, mail_links::ConfirmEmailPage);
lazy_page!(view SettingsProfileRoute => view! { <settings::SettingsPage section=Section::Profile /> });
lazy_page!(view SettingsSecurityRoute => view! { <settings::SettingsPage section=Section::Security /> });
lazy_page!(view SettingsAccountRoute => view! { <settings::SettingsPage section=Section::Account /> });
lazy_page!(AdminRoute, admin::AdminPage);

#[component]
fn NotFound() -> impl IntoView {
    view! {
        <Title text=tr("Page not found") />
        <section class="card">
            <h1>{tr("Page not found")}</h1>
            <p class="muted">{tr("There is nothing at this address.")}</p>
            <A href="/">{tr("Go to the start page")}</A>
        </section>
    }
}
