//! The HTML shell, the layout and the route table.

use crate::{
    api::auth::get_password_policy,
    components::Auth,
    i18n::{t, words, Msg},
    pages::{
        account::AccountPage,
        admin::{
            apps::AdminAppsRoute, audit::AdminAuditRoute, mail::AdminMailRoute,
            users::AdminUsersRoute,
        },
        forgot_password::ForgotPasswordPage,
        home::HomePage,
        login::LoginPage,
        login_verify::LoginVerifyPage,
        not_found::NotFound,
        reset_password::ResetPasswordPage,
        security::SecurityRoute,
        setup::SetupPage,
        sign_in_problem::SignInProblemRoute,
    },
};
use leptos::prelude::*;
#[cfg(feature = "ssr")]
use leptos_meta::MetaTags;
use leptos_meta::{provide_meta_context, Title};
use leptos_router::{
    components::{FlatRoutes, Route, Router},
    path, Lazy, SsrMode,
};

/// The page around the app, which only the server renders: the browser
/// bundle carries no code for it.
#[cfg(feature = "ssr")]
pub fn shell(options: LeptosOptions) -> impl IntoView {
    crate::server::http::set_page_csp();
    let stylesheet = crate::server::http::stylesheet_href(&options);
    let lang = crate::i18n::current();
    let light = crate::server::http::light::of_page() == crate::server::http::light::Weight::Light;
    let nonce = leptos::nonce::use_nonce();
    view! {
        <!DOCTYPE html>
        <html lang=lang.tag()>
            <head>
                <meta charset="utf-8"/>
                <meta name="viewport" content="width=device-width, initial-scale=1"/>
                <meta name="color-scheme" content="light dark"/>
                <link id="leptos" rel="stylesheet" href=stylesheet/>
                <link rel="icon" href="/favicon.ico"/>
                {if light {
                    view! {
                        <script nonce=nonce inner_html=crate::server::http::light::LIGHT_SCRIPT></script>
                    }
                    .into_any()
                } else {
                    view! {
                        // The page's words, which the client loads before it hydrates.
                        <link id="gh-words" rel="preload" r#as="fetch" crossorigin="anonymous" href=lang.words_path()/>
                        <AutoReload options=options.clone()/>
                        <HydrationScripts options/>
                    }
                    .into_any()
                }}
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
    let words = words();
    let title = move |page: String| {
        if page.is_empty() {
            words.t(Msg::LayoutBrand).to_owned()
        } else {
            words.tf(Msg::LayoutTitle, &[("page", &page)])
        }
    };
    view! {
        <Title formatter=title/>
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
    let brand = t(Msg::LayoutBrand);
    view! {
        <a class="skip-link" href="#main">{t(Msg::LayoutSkipLink)}</a>
        <header class="site-header">
            <a class="brand" href="/">
                <Suspense fallback=move || brand>
                    {move || Suspend::new(async move {
                        site.await.map(|p| p.site_name).unwrap_or_else(|_| brand.into())
                    })}
                </Suspense>
            </a>
            <nav class="site-nav" aria-label=t(Msg::LayoutMainNavigation)>
                <Suspense>
                    {move || Suspend::new(async move {
                        match auth.user.await {
                            Ok(Some(user)) => {
                                let admin = user.is_admin();
                                view! {
                                    {admin.then(|| view! {
                                        <a href="/admin/users">{t(Msg::LayoutUsers)}</a>
                                        <a href="/admin/apps">{t(Msg::LayoutApps)}</a>
                                        <a href="/admin/mail">{t(Msg::LayoutMail)}</a>
                                        <a href="/admin/audit">{t(Msg::LayoutAuditLog)}</a>
                                    })}
                                    <a href="/account">{t(Msg::LayoutAccount)}</a>
                                    <span class="muted">{user.name}</span>
                                }
                                .into_any()
                            }
                            _ => view! { <a href="/login" rel="external">{t(Msg::LayoutLogIn)}</a> }.into_any(),
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
                <Route path=path!("/login/verify") view=LoginVerifyPage ssr=SsrMode::Async/>
                <Route path=path!("/account") view=AccountPage ssr=SsrMode::Async/>
                <Route path=path!("/account/security") view={Lazy::<SecurityRoute>::new()} ssr=SsrMode::Async/>
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
