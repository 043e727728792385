//! `/forgot-password`: the same answer whatever address is typed.
//!
//! A light page (`pages::is_light`): only the server renders it, and the
//! browser's client carries none of it.

use leptos::prelude::*;

#[component]
pub fn ForgotPasswordPage() -> impl IntoView {
    #[cfg(feature = "ssr")]
    {
        light::page().into_any()
    }
    #[cfg(not(feature = "ssr"))]
    {
        ().into_any()
    }
}

#[cfg(feature = "ssr")]
mod light {
    use crate::{
        api::password_reset::RequestPasswordReset,
        components::{FormAction, FormField, FormMessage, PostForm, SubmitButton},
        error::Field,
        i18n::{t, Msg},
        pages::{field_error, form_error},
    };
    use leptos::prelude::*;
    use leptos_meta::Title;
    use leptos_router::hooks::use_query_map;

    pub fn page() -> impl IntoView {
        let action = FormAction::new::<RequestPasswordReset>();
        let error = action.error();
        let query = use_query_map();
        let sent = move || {
            let done = query.read().get("sent").is_some() || action.succeeded();
            done.then(|| t(Msg::ForgotSent).to_owned())
        };
        view! {
            <Title text=t(Msg::ForgotTitle)/>
            <h1>{t(Msg::ForgotTitle)}</h1>
            <p>{t(Msg::ForgotIntro)}</p>
            <FormMessage error=form_error(error) success=Signal::derive(sent)/>
            <PostForm action=action attr:class="form stack" attr:novalidate=true>
                <FormField id="forgot-email" name="email" label=t(Msg::FieldsEmail) input_type="email"
                    autocomplete="username" error=field_error(error, Field::Email)/>
                <SubmitButton label=t(Msg::ForgotSubmit) pending=action.pending()/>
            </PostForm>
            <p><a href="/login">{t(Msg::ForgotBack)}</a></p>
        }
    }
}
