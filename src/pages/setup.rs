//! `/setup`: creates the first site admin, only while no account exists.

use crate::{
    api::auth::{needs_setup, CreateFirstAdmin},
    components::{FormAction, FormField, FormMessage, PasswordField, PostForm, SubmitButton},
    error::Field,
    pages::{field_error, form_error},
};
use leptos::prelude::*;
use leptos_meta::Title;

#[component]
pub fn SetupPage() -> impl IntoView {
    let open = OnceResource::new(needs_setup());
    let action = FormAction::new::<CreateFirstAdmin>();
    let error = action.error();
    view! {
        <Title text="Set up Gatehouse"/>
        <Suspense fallback=|| view! { <p>"Loading…"</p> }>
            {move || Suspend::new(async move {
                if open.await.unwrap_or(false) {
                    view! {
                        <h1>"Create the first site admin"</h1>
                        <p class="muted">
                            "This account can add and manage every other account. "
                            "This page closes once it exists."
                        </p>
                        <FormMessage error=form_error(error)/>
                        <PostForm action=action attr:class="form stack" attr:novalidate=true>
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
                    .into_any()
                } else {
                    view! {
                        <h1>"Setup is complete"</h1>
                        <p>"The first site admin already exists. " <a href="/login">"Log in"</a> "."</p>
                    }
                    .into_any()
                }
            })}
        </Suspense>
    }
}
