//! `/log-out`: "Log out of <site>?". An app asked to log the person out
//! (RP-initiated logout) without proof that it asks for this very person
//! (a valid, unexpired `id_token_hint`); some apps never send one. The
//! person decides; logging out takes them back to the app when it gave a
//! registered post-logout address.

use crate::{
    api::admin_apps::app_name,
    components::{Auth, GoTo, PostForm, SiteInfo, SubmitButton},
    i18n::{t, tf, Msg},
};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

lazy_page!(LogOutRoute, LogOutPage);

#[component]
fn LogOutPage() -> impl IntoView {
    let query = use_query_map();
    let get = move |k: &str| query.read_untracked().get(k).filter(|v| !v.is_empty());
    let (client_id, back, app_state) = (
        get("client_id"),
        get("post_logout_redirect_uri"),
        get("state"),
    );
    let auth = expect_context::<Auth>();
    let site = SiteInfo::get();
    let name = OnceResource::new(app_name(client_id.clone().unwrap_or_default()));
    view! {
        <Suspense fallback=|| view! { <p>{t(Msg::CommonLoading)}</p> }>
            {move || {
                let (client_id, back, app_state) = (client_id.clone(), back.clone(), app_state.clone());
                Suspend::new(async move {
                    if !matches!(auth.user.await, Ok(Some(_))) {
                        return view! { <GoTo path="/login"/> }.into_any();
                    }
                    let site = site.0.await.map(|p| p.site_name).unwrap_or_default();
                    let title = tf(Msg::LogOutTitle, &[("site", &site)]);
                    let asked = match name.await.ok().flatten() {
                        Some(app) => tf(Msg::LogOutAskedBy, &[("app", &app), ("site", &site)]),
                        None => tf(Msg::LogOutAsked, &[("site", &site)]),
                    };
                    view! {
                        <Title text=title.clone()/>
                        <h1>{title}</h1>
                        <p>{asked}</p>
                        <PostForm action=auth.log_out attr:class="actions">
                            {client_id.map(|v| view! { <input type="hidden" name="client_id" value=v/> })}
                            {back.map(|v| view! { <input type="hidden" name="post_logout_redirect_uri" value=v/> })}
                            {app_state.map(|v| view! { <input type="hidden" name="state" value=v/> })}
                            <SubmitButton label=t(Msg::LogOutSubmit) pending=auth.log_out.pending()/>
                            <a class="button secondary" href="/account">{t(Msg::LogOutStay)}</a>
                        </PostForm>
                    }
                    .into_any()
                })
            }}
        </Suspense>
    }
}
