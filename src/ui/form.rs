//! Building blocks shared by the forms.

use crate::api::ApiError;
use leptos::prelude::*;

/// A labelled input bound to a signal.
#[component]
pub fn TextField(
    label: &'static str,
    id: &'static str,
    #[prop(default = "text")] kind: &'static str,
    autocomplete: &'static str,
    value: RwSignal<String>,
) -> impl IntoView {
    view! {
        <div class="field">
            <label for=id>{label}</label>
            <input id=id name=id type=kind autocomplete=autocomplete required bind:value=value />
        </div>
    }
}

/// The form's error line. It is always in the page (empty when there is nothing to
/// say) so that screen readers announce a new message as soon as it appears.
#[component]
pub fn FormAlert(message: RwSignal<Option<String>>) -> impl IntoView {
    view! {
        <p class="alert" role="alert">
            {move || message.get()}
        </p>
    }
}

/// The submit button; disabled and relabelled while the request runs.
#[component]
pub fn SubmitButton(label: &'static str, pending_label: &'static str, pending: Memo<bool>) -> impl IntoView {
    view! {
        <button
            type="submit"
            class="primary"
            disabled=move || pending.get()
            aria-busy=move || pending.get().to_string()
        >
            {move || if pending.get() { pending_label } else { label }}
        </button>
    }
}

/// Follows a form's action: a failure's detail goes to the form's alert, a success to
/// `on_success`.
pub fn follow_action<I, T>(
    action: Action<I, Result<T, ApiError>>,
    error: RwSignal<Option<String>>,
    on_success: impl Fn(T) + 'static,
) where
    I: Send + Sync + 'static,
    T: Clone + Send + Sync + 'static,
{
    Effect::new(move |_| match action.value().get() {
        Some(Ok(value)) => on_success(value),
        Some(Err(e)) => error.set(Some(e.detail)),
        None => {}
    });
}
