//! `/reset-password/{token}`: looking never uses the link up; submitting does.

use crate::{
    api::password_reset::{reset_link_status, LinkStatus, ResendResetLink, ResetPassword},
    components::{FormAction, FormField, FormMessage, PasswordField, PostForm, SubmitButton},
    error::Field,
    pages::{field_error, form_error},
};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::{use_params_map, use_query_map};

#[component]
pub fn ResetPasswordPage() -> impl IntoView {
    let params = use_params_map();
    let token = move || params.read().get("token").unwrap_or_default();
    let status = Resource::new(token, reset_link_status);
    view! {
        <Suspense fallback=|| view! { <p>"Checking the link…"</p> }>
            {move || Suspend::new(async move {
                match status.await {
                    Ok(LinkStatus::Valid { invite }) => view! { <ChooseForm token=token() invite/> }.into_any(),
                    Ok(LinkStatus::Spent) => view! { <SpentLink token=token()/> }.into_any(),
                    _ => view! { <UnknownLink/> }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn ChooseForm(token: String, invite: bool) -> impl IntoView {
    let action = FormAction::new::<ResetPassword>();
    let error = action.error();
    let title = if invite {
        "Choose your password"
    } else {
        "Choose a new password"
    };
    view! {
        <Title text=title/>
        <h1>{title}</h1>
        <FormMessage error=form_error(error)/>
        <PostForm action=action attr:class="form stack" attr:novalidate=true>
            <input type="hidden" name="token" value=token/>
            <PasswordField id="reset-new" name="new_password" label="New password"
                error=field_error(error, Field::NewPassword)/>
            <FormField id="reset-confirm" name="confirm_password" label="Confirm new password"
                input_type="password" autocomplete="new-password"
                error=field_error(error, Field::ConfirmPassword)/>
            <SubmitButton label="Set new password" pending=action.pending()/>
        </PostForm>
    }
}

#[component]
fn SpentLink(token: String) -> impl IntoView {
    let action = FormAction::new::<ResendResetLink>();
    let error = action.error();
    let query = use_query_map();
    let resent = move || {
        let done = query.read().get("resent").is_some() || action.succeeded();
        done.then(|| "We have sent a new link to the email address of the account.".to_owned())
    };
    view! {
        <Title text="Link expired"/>
        <h1>"This link has expired or was already used"</h1>
        <p>"Each link works once and only for a limited time. We can send a new one to the account's email address."</p>
        <FormMessage error=form_error(error) success=Signal::derive(resent)/>
        <PostForm action=action attr:class="form stack">
            <input type="hidden" name="token" value=token/>
            <SubmitButton label="Send me a new link" pending=action.pending()/>
        </PostForm>
    }
}

#[component]
fn UnknownLink() -> impl IntoView {
    view! {
        <Title text="Link not valid"/>
        <h1>"This link is not valid"</h1>
        <p>
            "Check that you copied the whole address from the email, or "
            <a href="/forgot-password">"Request a new link"</a> "."
        </p>
    }
}
