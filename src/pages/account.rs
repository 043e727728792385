//! `/account`: who is logged in, change password, log out (here or everywhere).

use crate::{
    api::auth::ChangePassword,
    components::{
        sentence, Auth, FormAction, FormField, FormMessage, GoTo, PasswordField, PostForm,
        SubmitButton,
    },
    domain::CurrentUser,
    error::Field,
    i18n::{t, Msg},
    pages::{field_error, form_error},
};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

#[component]
pub fn AccountPage() -> impl IntoView {
    let auth = expect_context::<Auth>();
    view! {
        <Title text=t(Msg::AccountTitle)/>
        <Suspense fallback=|| view! { <p>{t(Msg::CommonLoading)}</p> }>
            {move || Suspend::new(async move {
                match auth.user.await {
                    Ok(Some(user)) => view! { <AccountView user/> }.into_any(),
                    Ok(None) => view! { <GoTo path="/login?next=%2Faccount"/> }.into_any(),
                    Err(e) => view! {
                        <h1>{t(Msg::AccountTitle)}</h1>
                        <div class="alert alert-error" role="alert">{e.message()}</div>
                    }
                    .into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn AccountView(user: CurrentUser) -> impl IntoView {
    let auth = expect_context::<Auth>();
    let change = FormAction::new::<ChangePassword>();
    let error = change.error();
    let query = use_query_map();
    let changed = move || {
        let done = query.read().get("changed").is_some() || change.succeeded();
        done.then(|| t(Msg::AccountChanged).to_owned())
    };
    let local = user.email.rsplit_once('@').map(|(l, _)| l.to_owned());
    view! {
        <h1>{t(Msg::AccountTitle)}</h1>
        <p class="whoami">
            {sentence(Msg::AccountLoggedInAs, |slot| match slot {
                "name" => view! { <strong>{user.name.clone()}</strong> }.into_any(),
                _ => view! { <span class="email">{user.email.clone()}</span> }.into_any(),
            })}
        </p>
        <section class="card stack" aria-labelledby="change-password-heading">
            <h2 id="change-password-heading">{t(Msg::AccountChangeHeading)}</h2>
            <FormMessage error=form_error(error) success=Signal::derive(changed)/>
            <PostForm action=change attr:class="form stack" attr:novalidate=true>
                <FormField id="account-current" name="current_password" label=t(Msg::FieldsCurrentPassword)
                    input_type="password" autocomplete="current-password"
                    error=field_error(error, Field::CurrentPassword)/>
                <PasswordField id="account-new" name="new_password" label=t(Msg::FieldsNewPassword)
                    error=field_error(error, Field::NewPassword) email_local=Signal::derive(move || local.clone())/>
                <FormField id="account-confirm" name="confirm_password" label=t(Msg::FieldsConfirmNewPassword)
                    input_type="password" autocomplete="new-password"
                    error=field_error(error, Field::ConfirmPassword)/>
                <SubmitButton label=t(Msg::AccountChangeSubmit) pending=change.pending()/>
            </PostForm>
        </section>
        <p><a href="/account/security" rel="external">{t(Msg::AccountSecurityLink)}</a></p>
        <section class="card stack" aria-labelledby="sessions-heading">
            <h2 id="sessions-heading">{t(Msg::AccountLogOutHeading)}</h2>
            <p class="muted">{t(Msg::AccountLogOutHelp)}</p>
            <div class="actions">
                <PostForm action=auth.log_out attr:class="inline-form">
                    <SubmitButton label=t(Msg::AccountLogOut) pending=auth.log_out.pending() class="button secondary"/>
                </PostForm>
                <PostForm action=auth.log_out_everywhere attr:class="inline-form">
                    <SubmitButton label=t(Msg::AccountLogOutEverywhere) pending=auth.log_out_everywhere.pending() class="button danger"/>
                </PostForm>
            </div>
        </section>
    }
}
