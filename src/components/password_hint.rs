//! A new-password input with a live hint from the shared password rules.

use crate::{components::SiteInfo, domain::PasswordPolicy};
use leptos::prelude::*;

/// The new-password field. While the user types, the hint below it applies
/// the same length and context rules the server will; the server alone
/// checks the common-password list.
#[component]
pub fn PasswordField(
    id: &'static str,
    name: &'static str,
    label: &'static str,
    #[prop(into)] error: Signal<Option<String>>,
    /// The local part of the owner's email, when the page knows it.
    #[prop(into, optional)]
    email_local: Signal<Option<String>>,
) -> impl IntoView {
    let site = SiteInfo::get();
    let typed = RwSignal::new(String::new());
    let error_id = format!("{id}-error");
    let hint_id = format!("{id}-hint");
    let invalid = move || error.get().is_some();
    let described_by = {
        let (error_id, hint_id) = (error_id.clone(), hint_id.clone());
        move || {
            if invalid() {
                format!("{hint_id} {error_id}")
            } else {
                hint_id.clone()
            }
        }
    };
    view! {
        <div class="field">
            <label for=id>{label}</label>
            <input
                id=id
                name=name
                type="password"
                autocomplete="new-password"
                aria-invalid=move || invalid().then_some("true")
                aria-describedby=described_by
                on:input=move |ev| typed.set(event_target_value(&ev))
            />
            <Suspense>
                {move || {
                    let hint_id = hint_id.clone();
                    Suspend::new(async move {
                        let policy = site.0.await.unwrap_or(PasswordPolicy {
                            min_length: 12,
                            site_name: String::new(),
                        });
                        let hint = move || policy.hint(&typed.get(), email_local.get().as_deref());
                        let hint_ok = hint.clone();
                        let hint_weak = hint.clone();
                        view! {
                            <p
                                class="password-hint"
                                class:ok=move || hint_ok().ok
                                class:weak=move || !hint_weak().ok && !typed.get().is_empty()
                                id=hint_id
                                aria-live="polite"
                            >
                                {move || hint().text}
                            </p>
                        }
                    })
                }}
            </Suspense>
            <p class="field-error" id=error_id aria-live="polite">
                {move || error.get().unwrap_or_default()}
            </p>
        </div>
    }
}
