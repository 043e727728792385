//! `/admin/confirm`: "confirm it's you". The changes through which an admin
//! could take over someone's account need their password from the last
//! five minutes; here they give it, then go back to make the change.

use super::admin_only;
use crate::{
    api::admin_users::ConfirmPassword,
    components::{FormAction, FormField, FormMessage, PostForm, SubmitButton},
    error::Field,
    i18n::{t, Msg},
    pages::{field_error, form_error},
};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

lazy_page!(AdminConfirmRoute, AdminConfirmPage);

#[component]
fn AdminConfirmPage() -> impl IntoView {
    view! {
        <Title text=t(Msg::AdminConfirmTitle)/>
        {admin_only("%2Fadmin%2Fconfirm", |_| view! { <ConfirmForm/> })}
    }
}

#[component]
fn ConfirmForm() -> impl IntoView {
    let confirm = FormAction::new::<ConfirmPassword>();
    let error = confirm.error();
    let next = use_query_map()
        .read_untracked()
        .get("next")
        .filter(|n| n.starts_with("/admin/"))
        .unwrap_or_else(|| "/admin/users".to_owned());
    view! {
        <h1>{t(Msg::AdminConfirmTitle)}</h1>
        <p class="lead">{t(Msg::AdminConfirmIntro)}</p>
        <FormMessage error=form_error(error)/>
        <PostForm action=confirm attr:class="form stack card" attr:novalidate=true>
            <input type="hidden" name="next" value=next/>
            <FormField id="confirm-current" name="current_password" label=t(Msg::AdminConfirmPassword)
                input_type="password" autocomplete="current-password" required=true
                error=field_error(error, Field::CurrentPassword)/>
            <SubmitButton label=t(Msg::AdminConfirmSubmit) pending=confirm.pending()/>
        </PostForm>
    }
}
