//! The admin page: every user, buttons to change their role, and whether they have a
//! second factor (which an admin can remove: the user is told by mail).

use super::form::{FormAlert, FormFlow};
use super::session::{account_resource, require_session};
use super::{Session, tr};
use crate::api::{Account, Role, list_users, remove_passkeys, remove_second_factor, set_user_role};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;

#[component]
pub fn AdminPage() -> impl IntoView {
    let session = Session::get();
    require_session(session);
    let account = account_resource(session);
    view! {
        <Title text=tr("Users") />
        <section class="card wide">
            {move || match account.get() {
                Some(Some(Ok(me))) if me.role == Role::Admin => view! { <UserList me /> }.into_any(),
                Some(Some(Ok(_))) => view! { <NotAllowed /> }.into_any(),
                _ => view! { <p class="muted">{tr("Loading…")}</p> }.into_any(),
            }}
        </section>
    }
}

#[component]
fn NotAllowed() -> impl IntoView {
    view! {
        <h1>{tr("Not allowed")}</h1>
        <p class="muted">{tr("This page is for administrators. Ask one to give your account the admin role.")}</p>
        <A href=super::HOME>{tr("Back to your profile")}</A>
    }
}

#[component]
fn UserList(me: Account) -> impl IntoView {
    let changed = RwSignal::new(0u32);
    let users = LocalResource::new(move || {
        changed.track();
        list_users(Some(100), Some(0))
    });
    let set_role = FormFlow::new(
        |(id, role): &(i64, Role)| set_user_role(*id, *role),
        move |_| changed.update(|n| *n += 1),
    );
    let remove_factor = FormFlow::new(
        |id: &i64| remove_second_factor(*id),
        move |_| changed.update(|n| *n += 1),
    );
    // How many went, said once: the table itself does not list passkeys.
    let passkeys_removed = RwSignal::new(None::<String>);
    let remove_keys = FormFlow::new(
        |id: &i64| remove_passkeys(*id),
        move |removed: crate::api::PasskeysRemoved| {
            passkeys_removed.set(Some(format!(
                "{}: {}",
                tr("Passkeys removed"),
                removed.passkeys_removed
            )))
        },
    );
    view! {
        <h1>{tr("Users")}</h1>
        <FormAlert message=set_role.error />
        <FormAlert message=remove_factor.error />
        <FormAlert message=remove_keys.error />
        <p class="muted">
            {tr("“Remove second factor” removes the authenticator app and its recovery codes; “Remove passkeys” removes every passkey. The user is told by mail.")}
        </p>
        <p class="notice" role="status">{move || passkeys_removed.get()}</p>
        {move || match users.get() {
            Some(Ok(page)) => {
                view! {
                    <p class="muted">{format!("{} users", page.total)}</p>
                    <table class="users">
                        <thead>
                            <tr>
                                <th scope="col">{tr("Email")}</th>
                                <th scope="col">{tr("Username")}</th>
                                <th scope="col">{tr("Role")}</th>
                                <th scope="col">{tr("Change")}</th>
                                <th scope="col">{tr("Two-step")}</th>
                                <th scope="col">{tr("Passkeys")}</th>
                            </tr>
                        </thead>
                        <tbody>
                            {page
                                .users
                                .into_iter()
                                .map(|user| {
                                    let (label, new_role) = match user.role {
                                        Role::Admin => (tr("Make user"), Role::User),
                                        Role::User => (tr("Make admin"), Role::Admin),
                                    };
                                    let is_me = user.id == me.id;
                                    let id = user.id;
                                    view! {
                                        <tr>
                                            <td>{user.email.clone()}</td>
                                            <td>{user.username.clone()}</td>
                                            <td class="role">{user.role.as_str()}</td>
                                            <td>
                                                <button
                                                    type="button"
                                                    aria-label=format!("{label}: {}", user.email)
                                                    disabled=is_me
                                                    on:click=move |_| {
                                                        set_role.dispatch((id, new_role));
                                                    }
                                                >
                                                    {label}
                                                </button>
                                            </td>
                                            <td class="second-factor">
                                                {if user.second_factor {
                                                    view! {
                                                        {tr("On")}
                                                        " "
                                                        <button
                                                            type="button"
                                                            aria-label=format!("{}: {}", tr("Remove second factor"), user.email)
                                                            on:click=move |_| remove_factor.dispatch(id)
                                                        >
                                                            {tr("Remove second factor")}
                                                        </button>
                                                    }
                                                        .into_any()
                                                } else {
                                                    view! { {tr("Off")} }.into_any()
                                                }}
                                            </td>
                                            <td class="passkeys">
                                                <button
                                                    type="button"
                                                    aria-label=format!("{}: {}", tr("Remove passkeys"), user.email)
                                                    on:click=move |_| remove_keys.dispatch(id)
                                                >
                                                    {tr("Remove passkeys")}
                                                </button>
                                            </td>
                                        </tr>
                                    }
                                })
                                .collect_view()}
                        </tbody>
                    </table>
                }
                    .into_any()
            }
            Some(Err(e)) => view! { <p class="alert">{super::tr_error(&e)}</p> }.into_any(),
            None => view! { <p class="muted">{tr("Loading users…")}</p> }.into_any(),
        }}
    }
}
