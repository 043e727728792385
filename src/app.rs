//! The HTML shell, the layout and the route table.

use crate::{
    components::Auth,
    i18n::{t, words, Msg},
    pages::{
        account::AccountPage,
        admin::{
            apps::AdminAppsRoute, audit::AdminAuditRoute, confirm::AdminConfirmRoute,
            groups::AdminGroupsRoute, mail::AdminMailRoute, users::AdminUsersRoute,
        },
        forgot_password::ForgotPasswordPage,
        home::HomePage,
        log_out::LogOutRoute,
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

/// The page in each of the site's languages, each named in itself (the
/// page's own marked), in the server-only shell. A link loads the page
/// whole (`rel="external"`), in its language: `?lang=xx` on the page the
/// browser shows (after the client has moved on, too); a light page, which
/// the client never moves from, keeps its other parameters (a login's
/// `next`).
#[cfg(feature = "ssr")]
fn language_links(lang: crate::i18n::Lang, light: bool) -> impl IntoView {
    let offered = use_context::<crate::server::AppState>()
        .map(|state| state.settings.languages.clone())
        .unwrap_or_default();
    let uri = use_context::<http::request::Parts>().map(|parts| parts.uri);
    let href = move |tag: &str| match (&uri, light) {
        (Some(uri), true) => {
            let mut pairs: Vec<&str> = uri
                .query()
                .unwrap_or_default()
                .split('&')
                .filter(|pair| !pair.is_empty() && !pair.starts_with("lang="))
                .collect();
            let chosen = format!("lang={tag}");
            pairs.push(&chosen);
            format!("{}?{}", uri.path(), pairs.join("&"))
        }
        _ => format!("?lang={tag}"),
    };
    (offered.len() > 1).then(|| {
        view! {
            <footer class="site-footer">
                <nav class="languages" aria-label=lang.text(Msg::LayoutLanguages)>
                    <ul>
                        {offered.into_iter().map(|other| {
                            if other == lang {
                                view! { <li><span aria-current="true" lang=other.tag()>{other.name()}</span></li> }.into_any()
                            } else {
                                view! {
                                    <li>
                                        <a href=href(other.tag()) rel="external" hreflang=other.tag()
                                            lang=other.tag()>{other.name()}</a>
                                    </li>
                                }
                                .into_any()
                            }
                        }).collect_view()}
                    </ul>
                </nav>
            </footer>
        }
    })
}

/// `/account`'s language form (field `language`), in the server-only
/// shell below the client's part of the page: a plain form, posted as it is
/// with or without JavaScript, which loads the page again in the language
/// saved. The page's language is the one shown chosen.
#[cfg(feature = "ssr")]
fn account_language(lang: crate::i18n::Lang) -> impl IntoView {
    let parts = use_context::<http::request::Parts>();
    let on_account = parts.as_ref().is_some_and(|p| p.uri.path() == "/account");
    let saved = parts
        .as_ref()
        .and_then(|p| p.uri.query())
        .is_some_and(|q| q.split('&').any(|pair| pair == "language=saved"));
    let state = use_context::<crate::server::AppState>();
    let (offered, site) = state
        .map(|s| (s.settings.languages.clone(), s.settings.site_name.clone()))
        .unwrap_or_default();
    (on_account && offered.len() > 1).then(|| {
        let help = lang.format(Msg::AccountLanguageHelp, &[("site", &site)]);
        view! {
            <section class="page account-language" aria-labelledby="language-heading">
                <div class="card stack">
                    <h2 id="language-heading">{lang.text(Msg::AccountLanguageHeading)}</h2>
                    {saved.then(|| view! {
                        <div class="alert alert-success" role="status">{lang.text(Msg::AccountLanguageSaved)}</div>
                    })}
                    <form action="/api/set_language" method="post" class="form stack">
                        <div class="field">
                            <label for="account-language">{lang.text(Msg::FieldsLanguage)}</label>
                            <select id="account-language" name="language" aria-describedby="account-language-help">
                                {offered.into_iter().map(|option| view! {
                                    <option value=option.tag() lang=option.tag() selected=option == lang>{option.name()}</option>
                                }).collect_view()}
                            </select>
                            <p class="help" id="account-language-help">{help}</p>
                        </div>
                        <button type="submit" class="button secondary">{lang.text(Msg::AccountLanguageSubmit)}</button>
                    </form>
                </div>
            </section>
        }
    })
}

/// The page around the app, which only the server renders: the browser
/// bundle carries no code for it.
#[cfg(feature = "ssr")]
pub fn shell(options: LeptosOptions) -> impl IntoView {
    crate::server::http::set_page_csp();
    let stylesheet = crate::server::http::stylesheet_href(&options);
    let lang = crate::i18n::current();
    let light = crate::server::http::light::of_page() == crate::server::http::light::Weight::Light;
    let words_links = |lang: crate::i18n::Lang| {
        let path = leptos::prelude::use_context::<http::request::Parts>()
            .map(|parts| parts.uri.path().to_owned())
            .unwrap_or_default();
        crate::i18n::word_lists_of(&path)
            .iter()
            .map(|list| {
                view! {
                    <link id=format!("gh-words-{}", crate::i18n::WORD_LISTS[*list].0) rel="preload"
                        r#as="fetch" crossorigin="anonymous" href=lang.words_path(*list)/>
                }
            })
            .collect_view()
    };
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
                        {words_links(lang)}
                        <AutoReload options=options.clone()/>
                        <HydrationScripts options/>
                    }
                    .into_any()
                }}
                <MetaTags/>
            </head>
            <body>
                <App/>
                // After the client's part of the page, which it hydrates:
                // rendered here alone, the links cost the client nothing.
                {account_language(lang)}
                {language_links(lang, light)}
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
    let site = crate::components::SiteInfo::provide();
    let brand = t(Msg::LayoutBrand);
    view! {
        <a class="skip-link" href="#main">{t(Msg::LayoutSkipLink)}</a>
        <header class="site-header">
            <a class="brand" href="/">
                <Suspense fallback=move || brand>
                    {move || Suspend::new(async move {
                        site.0.await.map(|p| p.site_name).unwrap_or_else(|_| brand.into())
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
                                    {admin.then(|| {
                                        // Whole page loads where the client lacks the admin words.
                                        let rel = move || crate::i18n::loads_whole("/admin/users").then_some("external");
                                        view! {
                                            <a href="/admin/users" rel=rel>{t(Msg::LayoutUsers)}</a>
                                            <a href="/admin/groups" rel=rel>{t(Msg::LayoutGroups)}</a>
                                            <a href="/admin/apps" rel=rel>{t(Msg::LayoutApps)}</a>
                                            <a href="/admin/mail" rel=rel>{t(Msg::LayoutMail)}</a>
                                            <a href="/admin/audit" rel=rel>{t(Msg::LayoutAuditLog)}</a>
                                        }
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
                <Route path=path!("/admin/groups") view={Lazy::<AdminGroupsRoute>::new()} ssr=SsrMode::Async/>
                <Route path=path!("/admin/apps") view={Lazy::<AdminAppsRoute>::new()} ssr=SsrMode::Async/>
                <Route path=path!("/admin/mail") view={Lazy::<AdminMailRoute>::new()} ssr=SsrMode::Async/>
                <Route path=path!("/admin/audit") view={Lazy::<AdminAuditRoute>::new()} ssr=SsrMode::Async/>
                <Route path=path!("/admin/confirm") view={Lazy::<AdminConfirmRoute>::new()} ssr=SsrMode::Async/>
                <Route path=path!("/log-out") view={Lazy::<LogOutRoute>::new()} ssr=SsrMode::Async/>
                <Route path=path!("/sign-in-problem") view={Lazy::<SignInProblemRoute>::new()} ssr=SsrMode::Async/>
            </FlatRoutes>
        </main>

    }
}
