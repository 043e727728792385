//! The HTML shell, the layout and the route table.

use crate::{
    api::auth::get_password_policy,
    components::Auth,
    pages::{
        account::AccountPage,
        admin::{
            apps::AdminAppsRoute, audit::AdminAuditRoute, mail::AdminMailRoute,
            users::AdminUsersRoute,
        },
        forgot_password::ForgotPasswordPage,
        home::HomePage,
        login::LoginPage,
        not_found::NotFound,
        reset_password::ResetPasswordPage,
        setup::SetupPage,
        sign_in_problem::SignInProblemRoute,
    },
};
use leptos::prelude::*;
use leptos_meta::{provide_meta_context, MetaTags, Title};
use leptos_router::{
    components::{FlatRoutes, Route, Router},
    path, Lazy, SsrMode,
};

pub fn shell(options: LeptosOptions) -> impl IntoView {
    #[cfg(feature = "ssr")]
    crate::server::http::set_page_csp();
    #[cfg(feature = "ssr")]
    let stylesheet = crate::server::http::stylesheet_href(&options);
    #[cfg(not(feature = "ssr"))]
    let stylesheet = String::new();
    view! {
        <!DOCTYPE html>
        <html lang="en">
            <head>
                <meta charset="utf-8"/>
                <meta name="viewport" content="width=device-width, initial-scale=1"/>
                <meta name="color-scheme" content="light dark"/>
                // Here in the shell, which only the server renders, not in
                // <App/>: the browser bundle carries no code for them.
                <link id="leptos" rel="stylesheet" href=stylesheet/>
                <link rel="icon" href="/favicon.ico"/>
                <AutoReload options=options.clone()/>
                <HydrationScripts options/>
                <MetaTags/>
            </head>
            <body>
                <App/>
            </body>
        </html>
    }
}

#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    view! {
        <Title formatter=|text: String| if text.is_empty() { "Gatehouse".to_owned() } else { format!("{text} · Gatehouse") }/>
        <Router>
            <Layout/>
        </Router>
    }
}

/// Everything inside the router, so actions see errors passed in the URL
/// by form posts made without JavaScript.
#[component]
fn Layout() -> impl IntoView {
    let auth = Auth::new();
    provide_context(auth);
    let site = OnceResource::new(get_password_policy());
    view! {
        <a class="skip-link" href="#main">"Skip to content"</a>
        <header class="site-header">
            <a class="brand" href="/">
                <Suspense fallback=|| "Gatehouse">
                    {move || Suspend::new(async move {
                        site.await.map(|p| p.site_name).unwrap_or_else(|_| "Gatehouse".into())
                    })}
                </Suspense>
            </a>
            <nav class="site-nav" aria-label="Main">
                <Suspense>
                    {move || Suspend::new(async move {
                        match auth.user.await {
                            Ok(Some(user)) => {
                                let admin = user.is_admin();
                                view! {
                                    {admin.then(|| view! {
                                        <a href="/admin/users">"Users"</a>
                                        <a href="/admin/apps">"Apps"</a>
                                        <a href="/admin/mail">"Mail"</a>
                                        <a href="/admin/audit">"Audit log"</a>
                                    })}
                                    <a href="/account">"Account"</a>
                                    <span class="muted">{user.name}</span>
                                }
                                .into_any()
                            }
                            _ => view! { <a href="/login">"Log in"</a> }.into_any(),
                        }
                    })}
                </Suspense>
            </nav>
        </header>
        <main class="page" id="main">
            <FlatRoutes fallback=NotFound>
                <Route path=path!("/") view=HomePage ssr=SsrMode::Async/>
                <Route path=path!("/login") view=LoginPage ssr=SsrMode::Async/>
                <Route path=path!("/setup") view=SetupPage ssr=SsrMode::Async/>
                <Route path=path!("/account") view=AccountPage ssr=SsrMode::Async/>
                <Route path=path!("/forgot-password") view=ForgotPasswordPage ssr=SsrMode::Async/>
                <Route path=path!("/reset-password/:token") view=ResetPasswordPage ssr=SsrMode::Async/>
                <Route path=path!("/admin/users") view={Lazy::<AdminUsersRoute>::new()} ssr=SsrMode::Async/>
                <Route path=path!("/admin/apps") view={Lazy::<AdminAppsRoute>::new()} ssr=SsrMode::Async/>
                <Route path=path!("/admin/mail") view={Lazy::<AdminMailRoute>::new()} ssr=SsrMode::Async/>
                <Route path=path!("/admin/audit") view={Lazy::<AdminAuditRoute>::new()} ssr=SsrMode::Async/>
                <Route path=path!("/sign-in-problem") view={Lazy::<SignInProblemRoute>::new()} ssr=SsrMode::Async/>
            </FlatRoutes>
        </main>
    }
}
