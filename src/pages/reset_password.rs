//! `/reset-password/{token}`: looking never uses the link up; submitting does.
//!
//! The page of a valid link loads the client, for its live password hint;
//! that of a used or unknown one is light (`server::http::light`): the
//! client carries none of it.

#[cfg(feature = "ssr")]
use crate::{api::password_reset::ResendResetLink, components::sentence};
use crate::{
    api::password_reset::{reset_link_status, LinkStatus, ResetPassword},
    components::{FormAction, FormField, FormMessage, PasswordField, PostForm, SubmitButton},
    error::Field,
    i18n::{t, Msg},
    pages::{field_error, form_error},
};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_params_map;
#[cfg(feature = "ssr")]
use leptos_router::hooks::use_query_map;

#[component]
pub fn ResetPasswordPage() -> impl IntoView {
    // Its address holds the link's token: no request from it names it.
    #[cfg(feature = "ssr")]
    if let Some(res) = use_context::<leptos_axum::ResponseOptions>() {
        res.insert_header(
            http::header::REFERRER_POLICY,
            http::HeaderValue::from_static("no-referrer"),
        );
    }
    let params = use_params_map();
    let token = move || params.read().get("token").unwrap_or_default();
    let status = Resource::new(token, reset_link_status);
    view! {
        <Suspense fallback=|| view! { <p>{t(Msg::ResetChecking)}</p> }>
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
    let title = t(if invite {
        Msg::ResetChooseTitle
    } else {
        Msg::ResetChooseNewTitle
    });
    view! {
        <Title text=title/>
        <h1>{title}</h1>
        <FormMessage error=form_error(error)/>
        <PostForm action=action attr:class="form stack" attr:novalidate=true>
            <input type="hidden" name="token" value=token/>
            <PasswordField id="reset-new" name="new_password" label=t(Msg::FieldsNewPassword)
                error=field_error(error, Field::NewPassword)/>
            <FormField id="reset-confirm" name="confirm_password" label=t(Msg::FieldsConfirmNewPassword)
                input_type="password" autocomplete="new-password"
                error=field_error(error, Field::ConfirmPassword)/>
            <SubmitButton label=t(Msg::ResetSubmit) pending=action.pending()/>
        </PostForm>
    }
}

/// A light page (see `ResetPasswordPage`): only the server renders it.
#[component]
fn SpentLink(token: String) -> impl IntoView {
    #[cfg(not(feature = "ssr"))]
    {
        let _ = token;
        ().into_any()
    }
    #[cfg(feature = "ssr")]
    spent_link(token).into_any()
}

#[cfg(feature = "ssr")]
fn spent_link(token: String) -> impl IntoView {
    let action = FormAction::new::<ResendResetLink>();
    let error = action.error();
    let query = use_query_map();
    let resent = move || {
        let done = query.read().get("resent").is_some() || action.succeeded();
        done.then(|| t(Msg::ResetResent).to_owned())
    };
    view! {
        <Title text=t(Msg::ResetSpentTitle)/>
        <h1>{t(Msg::ResetSpentHeading)}</h1>
        <p>{t(Msg::ResetSpentIntro)}</p>
        <FormMessage error=form_error(error) success=Signal::derive(resent)/>
        <PostForm action=action attr:class="form stack">
            <input type="hidden" name="token" value=token/>
            <SubmitButton label=t(Msg::ResetResend) pending=action.pending()/>
        </PostForm>
    }
}

/// A light page (see `ResetPasswordPage`): only the server renders it.
#[component]
fn UnknownLink() -> impl IntoView {
    #[cfg(not(feature = "ssr"))]
    {
        ().into_any()
    }
    #[cfg(feature = "ssr")]
    unknown_link().into_any()
}

#[cfg(feature = "ssr")]
fn unknown_link() -> impl IntoView {
    view! {
        <Title text=t(Msg::ResetUnknownTitle)/>
        <h1>{t(Msg::ResetUnknownHeading)}</h1>
        <p>
            {sentence(Msg::ResetUnknownIntro, |_| view! {
                <a href="/forgot-password">{t(Msg::ResetRequestLink)}</a>
            }.into_any())}
        </p>
    }
}
