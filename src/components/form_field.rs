//! A labelled input with its error message, and the form's own messages.

use leptos::prelude::*;

/// One labelled input. The error sits under it and is announced.
#[component]
pub fn FormField(
    id: &'static str,
    name: &'static str,
    label: &'static str,
    #[prop(default = "text")] input_type: &'static str,
    #[prop(optional)] autocomplete: Option<&'static str>,
    #[prop(into, optional)] value: Signal<String>,
    #[prop(into)] error: Signal<Option<String>>,
    #[prop(optional)] required: bool,
) -> impl IntoView {
    let error_id = format!("{id}-error");
    let invalid = move || error.get().is_some();
    view! {
        <div class="field">
            <label for=id>{label}</label>
            <input
                id=id
                name=name
                type=input_type
                autocomplete=autocomplete
                required=required
                prop:value=move || value.get()
                aria-invalid=move || invalid().then_some("true")
                aria-describedby=move || invalid().then(|| error_id.clone())
            />
            <p class="field-error" id=format!("{id}-error") aria-live="polite">
                {move || error.get().unwrap_or_default()}
            </p>
        </div>
    }
}

/// The message at the top of a form: an error, or a success note.
#[component]
pub fn FormMessage(
    #[prop(into)] error: Signal<Option<String>>,
    #[prop(into, optional)] success: Signal<Option<String>>,
) -> impl IntoView {
    view! {
        {move || error.get().map(|e| view! { <div class="alert alert-error" role="alert">{e}</div> })}
        {move || success.get().map(|s| view! { <div class="alert alert-success" role="status">{s}</div> })}
    }
}

/// A submit button that shows it is working while its request runs.
#[component]
pub fn SubmitButton(
    label: &'static str,
    #[prop(into)] pending: Signal<bool>,
    #[prop(default = "button primary")] class: &'static str,
) -> impl IntoView {
    view! {
        <button
            type="submit"
            class=class
            class:pending=move || pending.get()
            aria-busy=move || pending.get().then_some("true")
            disabled=move || pending.get()
        >
            {label}
        </button>
    }
}
