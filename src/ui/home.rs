use super::tr;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;

#[component]
pub fn HomePage() -> impl IntoView {
    view! {
        <Title text="" />
        <section class="card hero">
            <h1>"AuthKit"</h1>
            <p class="lead">{tr("Sign up, log in and see your profile. A login system you can drop into your product.")}</p>
            <p class="muted">
                {tr("The same endpoints this page uses are a JSON API for your scripts and services: ")}
                <code>"POST /auth/signup"</code>", "<code>"POST /auth/login"</code>{tr(" and ")}<code>"GET /auth/me"</code>"."
            </p>
            <div class="actions">
                <A href="/signup" attr:class="button primary">
                    {tr("Sign up")}
                </A>
                <A href="/login" attr:class="button">
                    {tr("Log in")}
                </A>
            </div>
        </section>
    }
}
