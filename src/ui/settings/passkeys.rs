//! Passkeys on the profile: the account's passkeys (name, when added, when last used, a
//! delete button each) and the form that adds one (its name and the password, then the
//! browser's own passkey dialog).

use super::step_up::{StepUp, StepUpField};
use crate::api::{
    ApiError, Deleted, ErrorCode, PasskeyInfo, Password, delete_passkey, list_passkeys, passkey_register_finish,
    passkey_register_start,
};
use crate::ui::form::{FormAlert, FormFlow, SubmitButton, TextField};
use crate::ui::{tr, webauthn};
use crate::validation::PasskeyName;
use leptos::prelude::*;

/// A Unix time as a date (UTC), without pulling a date library into the WASM.
fn date(unix: i64) -> String {
    // Howard Hinnant's days-to-civil algorithm.
    let days = unix.div_euclid(86_400);
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!("{year:04}-{month:02}-{day:02}")
}

#[component]
/// `verified`: whether the account's address is proven (a passkey can be added only then);
/// `second_factor`: whether adding one asks for a code too (`super::step_up`).
pub fn Passkeys(verified: bool, second_factor: bool) -> impl IntoView {
    let changed = RwSignal::new(0u32);
    let passkeys = LocalResource::new(move || {
        changed.track();
        list_passkeys()
    });
    let delete = FormFlow::new(
        |id: &String| delete_passkey(id.clone()),
        move |_: Deleted| changed.update(|n| *n += 1),
    );
    view! {
        <section class="section" aria-labelledby="passkeys-heading">
            <h2 id="passkeys-heading">{tr("Passkeys")}</h2>
            <p>{tr("A passkey signs you in with your fingerprint, face or device PIN instead of your password.")}</p>
            <FormAlert message=delete.error />
            {move || match passkeys.get() {
                Some(Ok(list)) if list.passkeys.is_empty() => {
                    view! { <p class="muted">{tr("No passkeys yet.")}</p> }.into_any()
                }
                Some(Ok(list)) => {
                    view! {
                        <ul class="passkeys" aria-label=tr("Your passkeys")>
                            {list
                                .passkeys
                                .into_iter()
                                .map(|passkey| view! { <PasskeyItem passkey delete /> })
                                .collect_view()}
                        </ul>
                    }
                        .into_any()
                }
                Some(Err(e)) => view! { <p class="alert">{crate::ui::tr_error(&e)}</p> }.into_any(),
                None => view! { <p class="muted">{tr("Loading…")}</p> }.into_any(),
            }}
            {if verified {
                view! { <AddPasskey changed step_up=StepUp::new(second_factor) /> }.into_any()
            } else {
                view! { <p class="unverified">{tr(super::second_factor::VERIFY_FIRST)}</p> }.into_any()
            }}
        </section>
    }
}

#[component]
fn PasskeyItem(passkey: PasskeyInfo, delete: FormFlow<String, Deleted>) -> impl IntoView {
    let id = passkey.id.clone();
    let used = match passkey.last_used_at {
        Some(at) => format!("{} {}", tr("last used"), date(at)),
        None => tr("never used").to_owned(),
    };
    view! {
        <li>
            <strong>{passkey.name.clone()}</strong>
            " "
            <span class="muted">{format!("{} {} · {used}", tr("added"), date(passkey.created_at))}</span>
            " "
            <button
                type="button"
                class="danger"
                aria-label=format!("{}: {}", tr("Delete passkey"), passkey.name)
                on:click=move |_| delete.dispatch(id.clone())
            >
                {tr("Delete")}
            </button>
        </li>
    }
}

#[component]
fn AddPasskey(changed: RwSignal<u32>, step_up: StepUp) -> impl IntoView {
    let name = RwSignal::new(String::new());
    let password = RwSignal::new(String::new());
    // The browser's dialog holds browser objects across its await: an unsync flow.
    let flow = FormFlow::new_unsync(
        move |(name, password, code): &(String, Password, Option<String>)| {
            let (name, password, code) = (name.clone(), password.clone(), code.clone());
            async move {
                let start = passkey_register_start(password, code).await;
                step_up.heed(&start);
                let start = start?;
                let credential = webauthn::create(&start.options)
                    .await
                    .map_err(|message| ApiError::new(ErrorCode::PasskeyCeremonyFailed, message))?;
                passkey_register_finish(start.ceremony_id, name, credential).await
            }
        },
        move |_: PasskeyInfo| {
            name.set(String::new());
            password.set(String::new());
            step_up.clear();
            changed.update(|n| *n += 1);
        },
    );
    let check = move || {
        let typed = name.get_untracked();
        PasskeyName::parse(&typed).map_err(|e| e.message)?;
        let secret = password.get_untracked();
        if secret.is_empty() {
            return Err("Enter your password to confirm".to_owned());
        }
        Ok((typed, Password::new(secret), step_up.code()?))
    };
    view! {
        <form method="post" on:submit=flow.on_submit(check) novalidate>
            <TextField label=tr("Passkey name") id="passkey-name" autocomplete="off" value=name error=flow.field_error("name") />
            <TextField label=tr("Your password") id="passkey-password" kind="password" autocomplete="current-password" value=password />
            <StepUpField step_up id="passkey-code" />
            <FormAlert message=flow.error />
            <SubmitButton label=tr("Add a passkey") pending_label=tr("Waiting for your passkey…") pending=flow.pending />
        </form>
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn dates_are_utc_calendar_days() {
        assert_eq!(super::date(0), "1970-01-01");
        assert_eq!(super::date(951_782_400), "2000-02-29");
        assert_eq!(super::date(1_764_115_200), "2025-11-26");
    }
}
