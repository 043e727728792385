//! `/forgot-password`: the same answer whatever address is typed.

use crate::{
    api::password_reset::RequestPasswordReset,
    components::{FormAction, FormField, FormMessage, PostForm, SubmitButton},
    error::Field,
    pages::{field_error, form_error},
};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

pub const SENT_MESSAGE: &str =
    "If an account exists for that address, we have sent a link to reset its password. \
     Please check your email; the link expires after a while.";

#[component]
pub fn ForgotPasswordPage() -> impl IntoView {
    let action = FormAction::new::<RequestPasswordReset>();
    let error = action.error();
    let query = use_query_map();
    let sent = move || {
        let done = query.read().get("sent").is_some() || action.succeeded();
        done.then(|| SENT_MESSAGE.to_owned())
    };
    view! {
        <Title text="Forgotten your password?"/>
        <h1>"Forgotten your password?"</h1>
        <p>"Enter the email address of your account. We will send you a link to choose a new password."</p>
        <FormMessage error=form_error(error) success=Signal::derive(sent)/>
        <PostForm action=action attr:class="form stack" attr:novalidate=true>
            <FormField id="forgot-email" name="email" label="Email" input_type="email"
                autocomplete="username" error=field_error(error, Field::Email)/>
            <SubmitButton label="Send reset link" pending=action.pending()/>
        </PostForm>
        <p><a href="/login">"Back to log in"</a></p>
    }
}
