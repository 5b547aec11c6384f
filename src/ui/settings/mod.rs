//! The settings area: the logged-in person's account, one section per feature, each at a
//! URL of its own, with the same navigation beside it (above it on a phone):
//!
//! - `/settings/profile`: who they are — the details, verifying the address, the username
//!   and the address;
//! - `/settings/security`: how they get in — the password, two-step verification,
//!   passkeys, and "Log out everywhere";
//! - `/settings/account`: deleting the account.
//!
//! `/profile` (the page before the settings area) and `/settings` lead to the first. Each
//! form is a module of its own; a section only arranges them.

mod delete;
mod email;
mod logout;
mod passkeys;
mod password;
mod second_factor;
mod step_up;
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

/// Where a login or a signup lands, and where "your profile" links lead.
pub const HOME: &str = "/settings/profile";

/// One section of the settings area.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Section {
    Profile,
    Security,
    Account,
}

impl Section {
    /// In the order of the navigation.
    pub const ALL: [Section; 3] = [Section::Profile, Section::Security, Section::Account];

    pub fn path(self) -> &'static str {
        match self {
            Section::Profile => HOME,
            Section::Security => "/settings/security",
            Section::Account => "/settings/account",
        }
    }

    /// Its name in the navigation (an English text, translated by `tr`).
    fn label(self) -> &'static str {
        match self {
            Section::Profile => "Profile",
            Section::Security => "Security",
            Section::Account => "Account",
        }
    }

    /// Its page's heading and title.
    fn heading(self) -> &'static str {
        match self {
            Section::Profile => "Your profile",
            Section::Security => "Security",
            Section::Account => "Your account",
        }
    }
}

#[component]
pub fn SettingsPage(section: Section) -> impl IntoView {
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
        <Title text=tr(section.heading()) />
        <div class="settings">
            <nav class="settings-nav" aria-label=tr("Settings")>
                {Section::ALL
                    .into_iter()
                    .map(|each| view! { <A href=each.path()>{tr(each.label())}</A> })
                    .collect_view()}
            </nav>
            <section class="card settings-body">
                <h1>{tr(section.heading())}</h1>
                {move || match shown.get() {
                    Some(current) => sections(section, current, shown),
                    None => view! { <p class="muted">{tr("Loading your profile…")}</p> }.into_any(),
                }}
            </section>
        </div>
    }
}

fn sections(section: Section, account: Account, shown: RwSignal<Option<Account>>) -> AnyView {
    match section {
        Section::Profile => view! { <ProfileSection account shown /> }.into_any(),
        Section::Security => view! { <SecuritySection account /> }.into_any(),
        Section::Account => view! { <DeleteAccount /> }.into_any(),
    }
}

#[component]
fn ProfileSection(account: Account, shown: RwSignal<Option<Account>>) -> impl IntoView {
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
        <ChangeEmail account />
    }
}

#[component]
fn SecuritySection(account: Account) -> impl IntoView {
    let verified = account.email_verified;
    let second_factor = account.second_factor;
    // Nothing that signs in may be added before the address is proven: the link first.
    let link = (!verified).then(|| view! { <EmailVerification account=account.clone() /> });
    view! {
        {link}
        <ChangePassword account=account.clone() />
        <SecondFactor account />
        <Show when=crate::ui::webauthn::available>
            <Passkeys verified second_factor />
        </Show>
        <div class="section">
            <h2>{tr("Sessions")}</h2>
            <p class="notice">{tr("Ends every session of your account, on every device, this one included.")}</p>
            <LogOutEverywhere />
        </div>
    }
}
