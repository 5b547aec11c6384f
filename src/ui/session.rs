//! Who is logged in, as far as this browser tab knows.
//!
//! The access token is kept in a context signal, in memory only: not in localStorage,
//! where any injected script could read it. What survives a reload is the refresh
//! token, in an `HttpOnly` cookie that scripts cannot read either: on load the app
//! exchanges it for a new access token (`restore`), and renews that token a few minutes
//! before it expires.
//!
//! Also here: what the pages that need a session share — sending the person to the login
//! page ([`require_session`]) and reading their account ([`account_resource`]).

use super::refresh_lock::refresh_one_tab_at_a_time;
use crate::api::{
    ACCESS_TOKEN_TTL_SECS, Account, ApiError, LoggedOut, get_account, logout, logout_all, on_token_refused,
    set_bearer_token,
};
use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_router::NavigateOptions;
use leptos_router::hooks::use_navigate;
use std::time::Duration;

/// Renew this long before the access token expires.
const RENEW_MARGIN_SECS: u64 = 5 * 60;

#[derive(Clone, Copy)]
pub struct Session {
    token: RwSignal<Option<String>>,
    /// False until the app has asked the server for a session on load; pages that need
    /// a session wait for it before sending anyone to the login page.
    restored: RwSignal<bool>,
    /// Changes only on log in / log out, not when a token is renewed, so that pages
    /// keyed on it do not reload (and lose what they show) at every renewal.
    logged_in: Memo<bool>,
    /// Moves on when a page changes the account (`account_changed`), so that every other
    /// reader of it — the top bar's "Signed in as" — reads it again.
    account_version: RwSignal<u32>,
}

impl Session {
    /// Creates the (empty) session of this app instance and provides it as context.
    pub fn provide() -> Self {
        let token = RwSignal::new(None::<String>);
        let session = Self {
            token,
            restored: RwSignal::new(false),
            logged_in: Memo::new(move |_| token.with(Option::is_some)),
            account_version: RwSignal::new(0),
        };
        provide_context(session);
        // A token the server refuses (session revoked elsewhere, account deleted) ends
        // the session in this tab too; pages then send the person to /login.
        on_token_refused(move || session.end());
        session
    }

    /// The session provided by `App`.
    pub fn get() -> Self {
        use_context::<Self>().unwrap_or_else(Self::provide)
    }

    /// The account was changed from this tab: everyone showing it reads it again.
    pub fn account_changed(&self) {
        self.account_version.update(|version| *version += 1);
    }

    /// Reactive: re-runs whatever reads it when someone logs in or out.
    pub fn is_logged_in(&self) -> bool {
        self.logged_in.get()
    }

    /// Reactive: has the on-load restore finished?
    pub fn is_restored(&self) -> bool {
        self.restored.get()
    }

    /// Browser only: trade the refresh cookie (if any) for an access token.
    pub fn restore(self) {
        spawn_local(async move {
            if let Ok(Some(token)) = refresh_one_tab_at_a_time().await {
                self.start(token.access_token);
            }
            self.restored.set(true);
        });
    }

    pub fn start(self, access_token: String) {
        // The server-function client reads the token from its own slot (it cannot
        // reach this context mid-request); both are updated together here.
        set_bearer_token(Some(access_token.clone()));
        self.token.set(Some(access_token.clone()));
        self.restored.set(true);
        self.renew_later(access_token);
    }

    pub fn end(self) {
        set_bearer_token(None);
        self.token.set(None);
    }

    fn renew_later(self, issued: String) {
        let delay = Duration::from_secs(ACCESS_TOKEN_TTL_SECS - RENEW_MARGIN_SECS);
        set_timeout(
            move || {
                // A later login or logout has replaced this token: its timer is stale.
                if self.token.get_untracked().as_deref() != Some(issued.as_str()) {
                    return;
                }
                spawn_local(async move {
                    match refresh_one_tab_at_a_time().await {
                        Ok(Some(token)) => self.start(token.access_token),
                        Ok(None) | Err(_) => self.end(),
                    }
                });
            },
            delay,
        );
    }
}

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

/// The logged-in person's account, re-read whenever the session changes and whenever this
/// tab changes the account (`Session::account_changed`).
pub fn account_resource(session: Session) -> LocalResource<Option<Result<Account, ApiError>>> {
    let resource = LocalResource::new(move || {
        session.account_version.track();
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

/// Logging out: `dispatch(false)` ends this session, `dispatch(true)` every session of
/// the account. Whatever the server answers, this tab forgets its token.
pub fn log_out_action(session: Session) -> Action<bool, Result<LoggedOut, ApiError>> {
    let action = Action::new(|everywhere: &bool| {
        let everywhere = *everywhere;
        async move { if everywhere { logout_all().await } else { logout().await } }
    });
    Effect::new(move |_| {
        if action.value().get().is_some() {
            session.end();
        }
    });
    action
}
