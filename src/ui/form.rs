//! Building blocks shared by the forms: the field, alert and button components, and
//! [`FormFlow`], the one round trip every form (and the admin's role buttons) goes through.

use super::tr_message;
use crate::api::ApiError;
use leptos::ev::SubmitEvent;
use leptos::prelude::*;
use std::future::Future;

/// A labelled input bound to a signal, with the server's message about it (if it refused
/// the field: `FormFlow::field_error`) right below it.
#[component]
pub fn TextField(
    label: &'static str,
    id: &'static str,
    #[prop(default = "text")] kind: &'static str,
    autocomplete: &'static str,
    value: RwSignal<String>,
    #[prop(optional, into)] error: Option<Signal<Option<String>>>,
) -> impl IntoView {
    let error = error.unwrap_or_else(|| Signal::derive(|| None));
    let error_id = format!("{id}-error");
    view! {
        <div class="field">
            <label for=id>{label}</label>
            <input
                id=id
                name=id
                type=kind
                autocomplete=autocomplete
                required
                bind:value=value
                aria-invalid=move || error.with(Option::is_some).to_string()
                aria-describedby=error_id.clone()
            />
            <p class="field-error" role="alert" id=error_id>
                {move || error.get().map(|message| tr_message(&message))}
            </p>
        </div>
    }
}

/// The form's error line. It is always in the page (empty when there is nothing to
/// say) so that screen readers announce a new message as soon as it appears.
#[component]
pub fn FormAlert(message: RwSignal<Option<String>>) -> impl IntoView {
    view! {
        <p class="alert" role="alert">
            {move || message.get().map(|message| tr_message(&message))}
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

/// A form's round trip: local check → dispatch → pending → the failure's detail into the
/// form's alert, the success to a callback.
///
/// The server runs the same checks again; checking first only spares the round trip and
/// answers at once.
pub struct FormFlow<I, T> {
    action: Action<I, Result<T, ApiError>>,
    /// What the form's [`FormAlert`] shows.
    pub error: RwSignal<Option<String>>,
    /// The server's refusals of single fields (a 422), shown by their fields.
    refused: RwSignal<Option<ApiError>>,
    /// The fields this form shows a message for ([`FormFlow::field_error`]); a refusal of
    /// any other field goes to the alert.
    shown_fields: StoredValue<Vec<&'static str>>,
    /// True while a request runs; for the [`SubmitButton`].
    pub pending: Memo<bool>,
}

// Not derived: a derive would require `I: Copy` and `T: Copy`, but only handles are stored.
impl<I, T> Clone for FormFlow<I, T> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<I, T> Copy for FormFlow<I, T> {}

impl<I, T> FormFlow<I, T>
where
    I: Send + Sync + 'static,
    T: Clone + Send + Sync + 'static,
{
    /// `run` sends the checked input to the server (a server-function call, whose future
    /// is `Send`); `on_success` gets what it answered.
    pub fn new<F, Fut>(run: F, on_success: impl Fn(T) + 'static) -> Self
    where
        F: Fn(&I) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<T, ApiError>> + Send + 'static,
    {
        Self::follow(Action::new(run), on_success)
    }

    /// Like [`FormFlow::new`], for a `run` whose future is not `Send`: one that holds
    /// browser objects across an `.await`, such as the cross-tab refresh lock. The action
    /// runs on the thread that made it, which in the browser is the only one.
    pub fn new_unsync<F, Fut>(run: F, on_success: impl Fn(T) + 'static) -> Self
    where
        F: Fn(&I) -> Fut + 'static,
        Fut: Future<Output = Result<T, ApiError>> + 'static,
    {
        Self::follow(Action::new_unsync(run), on_success)
    }

    /// Follows the action: a failure's detail goes to the alert, a success to `on_success`.
    fn follow(action: Action<I, Result<T, ApiError>>, on_success: impl Fn(T) + 'static) -> Self {
        let error = RwSignal::new(None::<String>);
        let refused = RwSignal::new(None::<ApiError>);
        let shown_fields = StoredValue::new(Vec::new());
        Effect::new(move |_| match action.value().get() {
            Some(Ok(value)) => on_success(value),
            Some(Err(e)) if !e.issues.is_empty() => {
                // By their fields; whatever this form has no field for, in the alert.
                let elsewhere: Vec<String> = e
                    .issues
                    .iter()
                    .filter(|issue| {
                        !issue
                            .body_field()
                            .is_some_and(|field| shown_fields.with_value(|shown| shown.contains(&field)))
                    })
                    .map(|issue| issue.msg.clone())
                    .collect();
                error.set((!elsewhere.is_empty()).then(|| elsewhere.join(" ")));
                refused.set(Some(e));
            }
            Some(Err(e)) => error.set(Some(super::tr_error(&e))),
            None => {}
        });
        Self {
            action,
            error,
            refused,
            shown_fields,
            pending: action.pending(),
        }
    }

    /// The server's message about body field `field` (its JSON name), for the field's
    /// [`TextField`].
    pub fn field_error(self, field: &'static str) -> Signal<Option<String>> {
        self.shown_fields.update_value(|shown| shown.push(field));
        let refused = self.refused;
        Signal::derive(move || refused.with(|e| e.as_ref().and_then(|e| e.field_message(field))))
    }

    /// A submit handler: prevents the browser's submit, ignores a submit while one is
    /// pending, runs `check` (the same rules the server enforces) and either shows its
    /// message or clears the alert and dispatches.
    pub fn on_submit(self, check: impl Fn() -> Result<I, String> + 'static) -> impl Fn(SubmitEvent) + 'static {
        move |ev: SubmitEvent| {
            ev.prevent_default();
            if self.pending.get_untracked() {
                return;
            }
            self.refused.set(None);
            match check() {
                Err(message) => self.error.set(Some(message)),
                Ok(input) => {
                    self.error.set(None);
                    self.dispatch(input);
                }
            }
        }
    }

    /// As [`Self::on_submit`], for a form that shows a notice after a success: a new
    /// attempt replaces the last one's notice, whatever it turns out to be.
    pub fn on_submit_replacing(
        self,
        notice: RwSignal<Option<String>>,
        check: impl Fn() -> Result<I, String> + 'static,
    ) -> impl Fn(SubmitEvent) + 'static {
        let submit = self.on_submit(check);
        move |ev: SubmitEvent| {
            notice.set(None);
            submit(ev);
        }
    }

    /// Sends `input` as it is, for controls that are not a form (the admin's role buttons):
    /// there is nothing to check locally, and the alert is left as it is.
    pub fn dispatch(self, input: I) {
        self.action.dispatch(input);
    }
}
