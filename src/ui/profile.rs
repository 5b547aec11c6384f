use super::Session;
use super::form::{FormAlert, SubmitButton, TextField, follow_action};
use crate::api::{
    Account, ApiError, Password, Role, change_password, delete_account, get_account, logout, logout_all, update_me,
};
use crate::validation::{Username, check_new_password};
use leptos::ev::SubmitEvent;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::NavigateOptions;
use leptos_router::components::A;
use leptos_router::hooks::use_navigate;

/// Sends the person to /login once it is known that there is no session. Effects never
/// run on the server, where the session is unknown.
pub fn require_session(session: Session) {
    let navigate = use_navigate();
    Effect::new(move |_| {
        if session.is_restored() && !session.is_logged_in() {
            navigate(
                "/login",
                NavigateOptions {
                    replace: true,
                    ..Default::default()
                },
            );
        }
    });
}

/// The logged-in person's account, re-read whenever the session changes.
pub fn account_resource(session: Session) -> LocalResource<Option<Result<Account, ApiError>>> {
    let resource = LocalResource::new(move || {
        let logged_in = session.is_logged_in();
        async move { if logged_in { Some(get_account().await) } else { None } }
    });
    // A session the server no longer accepts (revoked, expired, deleted) is over here too.
    Effect::new(move |_| {
        if let Some(Some(Err(_))) = resource.get() {
            session.end();
        }
    });
    resource
}

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
        <Title text="Your profile" />
        <section class="card">
            <h1>"Your profile"</h1>
            {move || match shown.get() {
                Some(current) => view! { <AccountView account=current shown /> }.into_any(),
                None => view! { <p class="muted">"Loading your profile…"</p> }.into_any(),
            }}
            <LogoutButtons />
        </section>
    }
}

#[component]
fn AccountView(account: Account, shown: RwSignal<Option<Account>>) -> impl IntoView {
    let is_admin = account.role == Role::Admin;
    view! {
        <p class="lead">"Hello, " {account.username.clone()} "!"</p>
        <dl class="details">
            <dt>"Username"</dt>
            <dd>{account.username.clone()}</dd>
            <dt>"Email"</dt>
            <dd>{account.email.clone()}</dd>
            <dt>"Role"</dt>
            <dd>{account.role.as_str()}</dd>
        </dl>
        <Show when=move || is_admin>
            <p class="switch">
                <A href="/admin">"Manage users"</A>
            </p>
        </Show>
        <EditUsername account=account.clone() shown />
        <ChangePassword account=account.clone() />
        <DeleteAccount />
    }
}

#[component]
fn EditUsername(account: Account, shown: RwSignal<Option<Account>>) -> impl IntoView {
    let username = RwSignal::new(account.username.clone());
    let error = RwSignal::new(None::<String>);
    let action = Action::new(|name: &String| update_me(name.clone()));
    let pending = Memo::new(move |_| action.pending().get());
    follow_action(action, error, move |user| {
        shown.update(|a| {
            if let Some(a) = a {
                a.username = user.username;
            }
        })
    });
    let on_submit = move |ev: SubmitEvent| {
        ev.prevent_default();
        match Username::parse(&username.get_untracked()) {
            Err(e) => error.set(Some(e.message)),
            Ok(name) => {
                error.set(None);
                action.dispatch(name.as_str().to_owned());
            }
        }
    };
    view! {
        <form class="section" on:submit=on_submit novalidate>
            <h2>"Change your username"</h2>
            <TextField label="New username" id="new-username" autocomplete="nickname" value=username />
            <FormAlert message=error />
            <SubmitButton label="Save username" pending_label="Saving…" pending />
        </form>
    }
}

#[derive(Clone)]
struct PasswordChange {
    current: Password,
    new: Password,
}

#[component]
fn ChangePassword(account: Account) -> impl IntoView {
    let session = Session::get();
    let current = RwSignal::new(String::new());
    let new = RwSignal::new(String::new());
    let error = RwSignal::new(None::<String>);
    let done = RwSignal::new(None::<String>);
    let action = Action::new(|change: &PasswordChange| {
        let change = change.clone();
        async move { change_password(change.current, change.new).await }
    });
    let pending = Memo::new(move |_| action.pending().get());
    follow_action(action, error, move |token| {
        session.start(token.access_token);
        current.set(String::new());
        new.set(String::new());
        done.set(Some(
            "Password changed. Every other session has been logged out.".to_owned(),
        ));
    });
    let on_submit = move |ev: SubmitEvent| {
        ev.prevent_default();
        done.set(None);
        let change = PasswordChange {
            current: Password::new(current.get_untracked()),
            new: Password::new(new.get_untracked()),
        };
        let checked = if change.current.expose().is_empty() {
            Err("Enter your current password".to_owned())
        } else {
            check_new_password(change.new.expose(), &account.email, &account.username).map_err(|e| e.message)
        };
        match checked {
            Err(message) => error.set(Some(message)),
            Ok(()) => {
                error.set(None);
                action.dispatch(change);
            }
        }
    };
    view! {
        <form class="section" on:submit=on_submit novalidate>
            <h2>"Change your password"</h2>
            <TextField
                label="Current password"
                id="current-password"
                kind="password"
                autocomplete="current-password"
                value=current
            />
            <TextField label="New password" id="new-password" kind="password" autocomplete="new-password" value=new />
            <FormAlert message=error />
            <p class="notice" role="status">
                {move || done.get()}
            </p>
            <SubmitButton label="Change password" pending_label="Changing…" pending />
        </form>
    }
}

#[component]
fn DeleteAccount() -> impl IntoView {
    let session = Session::get();
    let navigate = use_navigate();
    let confirming = RwSignal::new(false);
    let password = RwSignal::new(String::new());
    let error = RwSignal::new(None::<String>);
    let action = Action::new(|password: &Password| delete_account(password.clone()));
    let pending = Memo::new(move |_| action.pending().get());
    follow_action(action, error, move |_| {
        session.end();
        navigate("/login", Default::default());
    });
    let on_submit = move |ev: SubmitEvent| {
        ev.prevent_default();
        let typed = password.get_untracked();
        if typed.is_empty() {
            error.set(Some("Enter your password to confirm".to_owned()));
        } else {
            error.set(None);
            action.dispatch(Password::new(typed));
        }
    };
    view! {
        <div class="section danger-zone">
            <h2>"Delete your account"</h2>
            <Show
                when=move || confirming.get()
                fallback=move || {
                    view! {
                        <button type="button" class="danger" on:click=move |_| confirming.set(true)>
                            "Delete account"
                        </button>
                    }
                }
            >
                <form on:submit=on_submit novalidate>
                    <p>"This removes your account and logs you out everywhere. It cannot be undone."</p>
                    <TextField
                        label="Confirm with your password"
                        id="delete-password"
                        kind="password"
                        autocomplete="current-password"
                        value=password
                    />
                    <FormAlert message=error />
                    <div class="actions">
                        <button type="submit" class="danger" disabled=move || pending.get()>
                            "Delete my account permanently"
                        </button>
                        <button type="button" on:click=move |_| confirming.set(false)>
                            "Cancel"
                        </button>
                    </div>
                </form>
            </Show>
        </div>
    }
}

#[component]
fn LogoutButtons() -> impl IntoView {
    let session = Session::get();
    // The server ends the session(s); whatever it answers, this tab forgets its token.
    let log_out = Action::new(|everywhere: &bool| {
        let everywhere = *everywhere;
        async move { if everywhere { logout_all().await } else { logout().await } }
    });
    Effect::new(move |_| {
        if log_out.value().get().is_some() {
            session.end();
        }
    });
    view! {
        <div class="actions">
            <button type="button" on:click=move |_| { log_out.dispatch(false); }>
                "Log out"
            </button>
            <button type="button" on:click=move |_| { log_out.dispatch(true); }>
                "Log out everywhere"
            </button>
        </div>
    }
}
