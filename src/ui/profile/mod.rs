//! The profile page: the logged-in person's account, and one form per change they can
//! make to it (each in its own module), plus "Log out everywhere".

mod delete;
mod email;
mod logout;
mod passkeys;
mod password;
mod second_factor;
mod username;

use super::session::{account_resource, require_session};
use super::{Session, tr, tr_with};
use crate::api::{Account, Role};
use delete::DeleteAccount;
use email::{ChangeEmail, EmailVerification};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;
use logout::LogOutEverywhere;
use passkeys::Passkeys;
use password::ChangePassword;
use second_factor::SecondFactor;
use username::EditUsername;

#[component]
pub fn ProfilePage() -> impl IntoView {
    let session = Session::get();
    require_session(session);
    let account = account_resource(session);
    // Edits update what is shown without refetching.
    let shown = RwSignal::new(None::<Account>);
    Effect::new(move |_| {
        if let Some(Some(Ok(loaded))) = account.get() {
            shown.set(Some(loaded));
        }
    });

    view! {
        <Title text=tr("Your profile") />
        <section class="card">
            <h1>{tr("Your profile")}</h1>
            {move || match shown.get() {
                Some(current) => view! { <AccountView account=current shown /> }.into_any(),
                None => view! { <p class="muted">{tr("Loading your profile…")}</p> }.into_any(),
            }}
            <LogOutEverywhere />
        </section>
    }
}

#[component]
fn AccountView(account: Account, shown: RwSignal<Option<Account>>) -> impl IntoView {
    let is_admin = account.role == Role::Admin;
    view! {
        <p class="lead">{tr_with("Hello, {name}!", "{name}", &account.username)}</p>
        <dl class="details">
            <dt>{tr("Username")}</dt>
            <dd>{account.username.clone()}</dd>
            <dt>{tr("Email")}</dt>
            <dd>
                {account.email.clone()} " "
                <span class="badge">{tr(if account.email_verified { "verified" } else { "not verified" })}</span>
            </dd>
            <dt>{tr("Role")}</dt>
            <dd>{account.role.as_str()}</dd>
        </dl>
        <Show when=move || is_admin>
            <p class="switch">
                <A href="/admin">{tr("Manage users")}</A>
            </p>
        </Show>
        <EmailVerification account=account.clone() />
        <EditUsername account=account.clone() shown />
        <ChangeEmail account=account.clone() />
        <ChangePassword account=account.clone() />
        <SecondFactor account=account.clone() />
        <Show when=crate::ui::webauthn::available>
            <Passkeys />
        </Show>
        <DeleteAccount />
    }
}
