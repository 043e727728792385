//! `/setup`: creates the first site admin, only while no account exists and
//! only with the one-time setup link that the operator was shown.

use crate::{
    api::auth::{get_setup_status, CreateFirstAdmin},
    components::{FormAction, FormField, FormMessage, PasswordField, PostForm, SubmitButton},
    domain::SetupStatus,
    error::Field,
    pages::{field_error, form_error},
};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

#[component]
pub fn SetupPage() -> impl IntoView {
    let token = use_query_map().with_untracked(|q| q.get("token"));
    let status = OnceResource::new(get_setup_status(token.clone()));
    let action = FormAction::new::<CreateFirstAdmin>();
    let error = action.error();
    view! {
        <Title text="Set up Gatehouse"/>
        <Suspense fallback=|| view! { <p>"Loading…"</p> }>
            {move || {
                let token = token.clone().unwrap_or_default();
                Suspend::new(async move {
                    match status.await.unwrap_or(SetupStatus::NeedsLink) {
                        SetupStatus::Ready => view! {
                            <h1>"Create the first site admin"</h1>
                            <p class="muted">
                                "This account can add and manage every other account. "
                                "This page closes once it exists."
                            </p>
                            <FormMessage error=form_error(error)/>
                            <PostForm action=action attr:class="form stack" attr:novalidate=true>
                                <input type="hidden" name="token" value=token/>
                                <FormField id="setup-email" name="email" label="Email" input_type="email"
                                    autocomplete="username" error=field_error(error, Field::Email)/>
                                <FormField id="setup-name" name="name" label="Name" autocomplete="name"
                                    error=field_error(error, Field::Name)/>
                                <PasswordField id="setup-password" name="password" label="Password"
                                    error=field_error(error, Field::Password)/>
                                <FormField id="setup-confirm" name="confirm_password" label="Confirm password"
                                    input_type="password" autocomplete="new-password"
                                    error=field_error(error, Field::ConfirmPassword)/>
                                <SubmitButton label="Create site admin" pending=action.pending()/>
                            </PostForm>
                        }
                        .into_any(),
                        SetupStatus::Closed => view! {
                            <h1>"Setup is complete"</h1>
                            <p>"The first site admin already exists. " <a href="/login">"Log in"</a> "."</p>
                        }
                        .into_any(),
                        needs => view! {
                            <h1>"Set up Gatehouse"</h1>
                            {(needs == SetupStatus::LinkInvalid).then(|| view! {
                                <div class="alert alert-error" role="alert">
                                    "This setup link has expired or was already used."
                                </div>
                            })}
                            <SetupLinkHelp/>
                        }
                        .into_any(),
                    }
                })
            }}
        </Suspense>
    }
}

/// Where the operator finds the setup link (shared with the login page).
#[component]
pub fn SetupLinkHelp() -> impl IntoView {
    view! {
        <p>
            "No accounts exist yet. To create the first site admin, open the setup link "
            "that Gatehouse printed in its log when it started, or run "
            <code>"gatehouse setup-link"</code> " on the server for a fresh one."
        </p>
    }
}
