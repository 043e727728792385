//! `/login`: email and password, one message for any wrong combination.
//!
//! A light page (`pages::is_light`): only the server renders it, and the
//! browser's client carries none of it.

use leptos::prelude::*;

#[component]
pub fn LoginPage() -> impl IntoView {
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
        api::auth::{needs_setup, LogIn},
        components::{
            Auth, FormAction, FormField, FormMessage, PasskeyButton, PostForm, SubmitButton,
        },
        error::Field,
        i18n::{t, Msg},
        pages::{field_error, form_error, setup::SetupLinkHelp},
    };
    use leptos::prelude::*;
    use leptos_meta::Title;
    use leptos_router::hooks::use_query_map;

    pub fn page() -> impl IntoView {
        let auth = expect_context::<Auth>();
        // Created here, under the routes, so that an error passed back in the
        // URL by a form post without JavaScript reaches it.
        let action = FormAction::new::<LogIn>();
        Effect::new(move |_| {
            if action.succeeded() {
                auth.refresh.update(|n| *n += 1);
            }
        });
        let query = use_query_map();
        let next = move || query.read().get("next").unwrap_or_default();
        let notice = move || {
            let q = query.read();
            let done = if q.get("setup").is_some() {
                Some(Msg::LoginSetupDone)
            } else if q.get("reset").is_some() {
                Some(Msg::LoginResetDone)
            } else {
                None
            };
            done.map(|msg| t(msg).to_owned())
        };
        let setup_open = OnceResource::new(needs_setup());
        let error = action.error();
        // Rendered on the server only: the site's own state is at hand.
        let passkeys = crate::server::http::request::state().is_ok_and(|s| s.passkeys.offered());
        view! {
            <Title text=t(Msg::LoginTitle)/>
            <h1>{t(Msg::LoginTitle)}</h1>
            <Suspense>
                {move || Suspend::new(async move {
                    setup_open.await.ok().filter(|open| *open).map(|_| view! {
                        <div class="notice"><SetupLinkHelp/></div>
                    })
                })}
            </Suspense>
            <FormMessage error=form_error(error) success=Signal::derive(notice)/>
            <PostForm action=action attr:class="form stack" attr:novalidate=true>
                <input type="hidden" name="next" value=next/>
                <FormField
                    id="login-email"
                    name="email"
                    label=t(Msg::FieldsEmail)
                    input_type="email"
                    autocomplete="username"
                    error=field_error(error, Field::Email)
                />
                <FormField
                    id="login-password"
                    name="password"
                    label=t(Msg::FieldsPassword)
                    input_type="password"
                    autocomplete="current-password"
                    error=field_error(error, Field::Password)
                />
                <SubmitButton label=t(Msg::LoginSubmit) pending=action.pending()/>
            </PostForm>
            {passkeys.then(|| view! {
                <PasskeyButton mode="sign-in" id="passkey-sign-in" label=t(Msg::LoginPasskey)
                    failed=t(Msg::LoginPasskeyFailed) needs_script=t(Msg::LoginPasskeyNeedsScript)/>
            })}
            <p>
                <a href="/forgot-password">{t(Msg::LoginForgotten)}</a>
            </p>
        }
    }
}
