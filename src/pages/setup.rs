//! `/setup`: creates the first site admin, only while no account exists and
//! only with the one-time setup link that the operator was shown.

use crate::{
    api::auth::{get_setup_status, CreateFirstAdmin},
    components::{
        sentence, FormAction, FormField, FormMessage, PasswordField, PostForm, SubmitButton,
    },
    domain::SetupStatus,
    error::Field,
    i18n::{t, Msg},
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
        <Title text=t(Msg::SetupTitle)/>
        <Suspense fallback=|| view! { <p>{t(Msg::CommonLoading)}</p> }>
            {move || {
                let token = token.clone().unwrap_or_default();
                Suspend::new(async move {
                    match status.await.unwrap_or(SetupStatus::NeedsLink) {
                        SetupStatus::Ready => view! {
                            <h1>{t(Msg::SetupCreateHeading)}</h1>
                            <p class="muted">{t(Msg::SetupCreateHelp)}</p>
                            <FormMessage error=form_error(error)/>
                            <PostForm action=action attr:class="form stack" attr:novalidate=true>
                                <input type="hidden" name="token" value=token/>
                                <FormField id="setup-email" name="email" label=t(Msg::FieldsEmail) input_type="email"
                                    autocomplete="username" error=field_error(error, Field::Email)/>
                                <FormField id="setup-name" name="name" label=t(Msg::FieldsName) autocomplete="name"
                                    error=field_error(error, Field::Name)/>
                                <PasswordField id="setup-password" name="password" label=t(Msg::FieldsPassword)
                                    error=field_error(error, Field::Password)/>
                                <FormField id="setup-confirm" name="confirm_password" label=t(Msg::FieldsConfirmPassword)
                                    input_type="password" autocomplete="new-password"
                                    error=field_error(error, Field::ConfirmPassword)/>
                                <SubmitButton label=t(Msg::SetupSubmit) pending=action.pending()/>
                            </PostForm>
                        }
                        .into_any(),
                        SetupStatus::Closed => view! {
                            <h1>{t(Msg::SetupClosedHeading)}</h1>
                            <p>
                                {sentence(Msg::SetupClosedText, |_| view! {
                                    <a href="/login" rel="external">{t(Msg::SetupLogIn)}</a>
                                }.into_any())}
                            </p>
                        }
                        .into_any(),
                        needs => view! {
                            <h1>{t(Msg::SetupTitle)}</h1>
                            {(needs == SetupStatus::LinkInvalid).then(|| view! {
                                <div class="alert alert-error" role="alert">
                                    {t(Msg::SetupLinkInvalid)}
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
            {sentence(Msg::SetupLinkHelp, |_| view! { <code>"gatehouse setup-link"</code> }.into_any())}
        </p>
    }
}
