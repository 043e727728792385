//! `/sign-in-problem`: why Gatehouse did not sign someone in to an app.
//! An app sends people to `/oauth2/authorize`; when the app or the address
//! it gave is not registered, or the person's role may not use the app,
//! they land here instead of going back with a code.

use crate::{
    api::admin_apps::app_name,
    components::Auth,
    i18n::{t, tf, Msg},
};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

lazy_page!(SignInProblemRoute, SignInProblemPage);

#[component]
fn SignInProblemPage() -> impl IntoView {
    let query = use_query_map();
    let reason = query.read_untracked().get("reason").unwrap_or_default();
    let client_id = query.read_untracked().get("client_id").unwrap_or_default();
    let no_access = reason == "no_access";
    #[cfg(feature = "ssr")]
    {
        if let Some(res) = use_context::<leptos_axum::ResponseOptions>() {
            res.set_status(if no_access {
                http::StatusCode::FORBIDDEN
            } else {
                http::StatusCode::BAD_REQUEST
            });
        }
    }
    let auth = expect_context::<Auth>();
    let name = OnceResource::new(app_name(client_id));
    view! {
        <Suspense fallback=|| view! { <p>{t(Msg::CommonLoading)}</p> }>
            {move || {
                let reason = reason.clone();
                Suspend::new(async move {
                let app = name.await.ok().flatten();
                let logged_in = matches!(auth.user.await, Ok(Some(_)));
                let title = match (&app, no_access) {
                    (Some(app), true) => tf(Msg::SignInProblemNoAccessTitle, &[("app", app)]),
                    _ => t(Msg::SignInProblemBrokenTitle).to_owned(),
                };
                let explanation = match (&app, reason.as_str()) {
                    (Some(app), "no_access") => tf(Msg::SignInProblemNoAccess, &[("app", app)]),
                    (Some(app), _) => tf(Msg::SignInProblemBadRedirect, &[("app", app)]),
                    (None, _) => t(Msg::SignInProblemUnknownApp).to_owned(),
                };
                view! {
                    <Title text=title.clone()/>
                    <h1>{title}</h1>
                    <p>{explanation}</p>
                    <p>
                        {if logged_in {
                            view! { <a href="/account">{t(Msg::SignInProblemToAccount)}</a> }.into_any()
                        } else {
                            view! { <a href="/login" rel="external">{t(Msg::SignInProblemLogIn)}</a> }.into_any()
                        }}
                    </p>
                }
            })}}
        </Suspense>
    }
}
