//! `/login/verify`: the login's second step, for the login waiting in this
//! browser: a code (from an authenticator app, or a recovery code) in field
//! `code`, or a passkey.
//!
//! A light page (`pages::is_light`): only the server renders it, and the
//! browser's client carries none of it; the passkey button has its own
//! small script.

use leptos::prelude::*;

#[component]
pub fn LoginVerifyPage() -> impl IntoView {
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
        api::two_step::{get_verify_state, VerifyLogin},
        components::{FormAction, FormField, FormMessage, PasskeyButton, PostForm, SubmitButton},
        domain::VerifyState,
        error::Field,
        i18n::{t, Msg},
        pages::{field_error, form_error},
    };
    use leptos::prelude::*;
    use leptos_meta::Title;

    pub fn page() -> impl IntoView {
        let action = FormAction::new::<VerifyLogin>();
        let waiting = OnceResource::new(get_verify_state());
        view! {
            <Title text=t(Msg::VerifyTitle)/>
            <Suspense>
                {move || Suspend::new(async move {
                    match waiting.await {
                        Ok(state) if state.waiting => verify(action, state).into_any(),
                        _ => ended().into_any(),
                    }
                })}
            </Suspense>
        }
    }

    fn verify(action: FormAction, state: VerifyState) -> impl IntoView {
        let error = action.error();
        view! {
            <h1>{t(Msg::VerifyTitle)}</h1>
            <p>{t(Msg::VerifyIntro)}</p>
            <FormMessage error=form_error(error)/>
            <PostForm action=action attr:class="form stack" attr:novalidate=true>
                <FormField id="verify-code" name="code" label=t(Msg::FieldsCode)
                    autocomplete="one-time-code" error=field_error(error, Field::Code)/>
                <SubmitButton label=t(Msg::VerifySubmit) pending=action.pending()/>
            </PostForm>
            {state.passkeys.then(|| view! {
                <PasskeyButton mode="verify" id="passkey-verify" label=t(Msg::VerifyPasskey)
                    failed=t(Msg::ErrorPasskeyRefused) needs_script=t(Msg::VerifyPasskeyNeedsScript)/>
            })}
        }
    }

    /// No login waits here: it expired, was finished, or began elsewhere.
    fn ended() -> impl IntoView {
        view! {
            <h1>{t(Msg::VerifyExpiredHeading)}</h1>
            <p>{t(Msg::VerifyExpiredIntro)}</p>
            <p><a href="/login" class="button primary">{t(Msg::VerifyBack)}</a></p>
        }
    }
}
