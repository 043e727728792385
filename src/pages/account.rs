//! `/account`: who is logged in, change password, where they are logged in
//! and which apps can act for them (each can be ended), log out (here or
//! everywhere).

use crate::{
    api::{account::sessions_html, auth::ChangePassword},
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
        <Sessions/>
        <section class="card stack" aria-labelledby="log-out-heading">
            <h2 id="log-out-heading">{t(Msg::AccountLogOutHeading)}</h2>
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

/// Where the person is logged in and which apps can act for them; each
/// can be ended. The server draws the list ([`SessionTables`], which the
/// browser's bundle does not carry: BENCHMARKS.md, "Hardening") and its
/// forms are plain posts, with or without JavaScript: ending one brings
/// the page back, listed afresh.
#[component]
fn Sessions() -> impl IntoView {
    let query = use_query_map();
    let ended = query.read_untracked().get("ended");
    let list = OnceResource::new(sessions_html());
    let done = match ended.as_deref() {
        Some("session") => Some(t(Msg::AccountSessionEnded)),
        Some("app") => Some(t(Msg::AccountAppEnded)),
        _ => None,
    };
    view! {
        <section class="card stack" aria-labelledby="sessions-heading" id="sessions">
            <h2 id="sessions-heading">{t(Msg::AccountSessionsHeading)}</h2>
            {done.map(|s| view! { <div class="alert alert-success" role="status">{s}</div> })}
            <Suspense fallback=|| view! { <p>{t(Msg::CommonLoading)}</p> }>
                {move || Suspend::new(async move {
                    match list.await {
                        Err(e) => view! { <div class="alert alert-error" role="alert">{e.message()}</div> }.into_any(),
                        Ok(html) => view! { <div class="stack" inner_html=html></div> }.into_any(),
                    }
                })}
            </Suspense>
        </section>
    }
}

/// What the server draws for [`Sessions`].
#[cfg(feature = "ssr")]
pub mod drawn {
    use crate::{
        components::DataTable,
        domain::SessionsOverview,
        i18n::{t, tf, Msg},
    };
    use leptos::prelude::*;

    /// The tables of [`Sessions`], drawn on the server.
    #[component]
    pub fn SessionTables(overview: SessionsOverview) -> impl IntoView {
        let SessionsOverview { sessions, apps } = overview;
        let rows = sessions
            .into_iter()
            .map(|s| {
                let browser = match (s.browser.is_empty(), s.os.is_empty()) {
                    (true, _) => t(Msg::AccountUnknownBrowser).to_owned(),
                    (false, true) => s.browser,
                    (false, false) => tf(Msg::AccountBrowserOn, &[("browser", &s.browser), ("os", &s.os)]),
                };
                let this = s.current.then(|| t(Msg::AccountThisOne));
                let end = (!s.current).then_some(s.handle);
                view! {
                    <tr>
                        <td>{browser} " " {this.map(|this| view! { <span class="badge active">{this}</span> })}</td>
                        <td>{s.address}</td>
                        <td>{s.started}</td>
                        <td>{s.last_seen}</td>
                        <td class="row-actions"><EndForm path="/api/end_session" name="handle" value=end label=t(Msg::AccountEndSession)/></td>
                    </tr>
                }
            })
            .collect_view();
        let apps = (!apps.is_empty()).then(|| {
            let rows = apps
                .into_iter()
                .map(|a| view! {
                    <tr>
                        <td>{a.name}</td>
                        <td>{a.since}</td>
                        <td class="row-actions"><EndForm path="/api/end_app_access" name="client_id" value=Some(a.client_id) label=t(Msg::AccountEndApp)/></td>
                    </tr>
                })
                .collect_view();
            view! {
                <DataTable id="app-grants-table" caption=t(Msg::AccountAppsCaption)>
                    <thead><tr>
                        <th scope="col">{t(Msg::AccountApp)}</th><th scope="col">{t(Msg::AccountSince)}</th>
                        <th scope="col">{t(Msg::AccountActions)}</th>
                    </tr></thead>
                    <tbody>{rows}</tbody>
                </DataTable>
            }
        });
        view! {
            <DataTable id="sessions-table" caption=t(Msg::AccountSessionsCaption)>
                <thead><tr>
                    <th scope="col">{t(Msg::AccountBrowser)}</th><th scope="col">{t(Msg::AccountAddress)}</th>
                    <th scope="col">{t(Msg::AccountStarted)}</th><th scope="col">{t(Msg::AccountLastSeen)}</th>
                    <th scope="col">{t(Msg::AccountActions)}</th>
                </tr></thead>
                <tbody>{rows}</tbody>
            </DataTable>
            <h3>{t(Msg::AccountAppsHeading)}</h3>
            {match apps {
                Some(table) => table.into_any(),
                None => view! { <p class="muted">{t(Msg::AccountNoApps)}</p> }.into_any(),
            }}
        }
    }

    /// A button that ends one session or app: a plain form post (the server
    /// answers with the page again).
    #[component]
    fn EndForm(
        path: &'static str,
        name: &'static str,
        value: Option<String>,
        label: &'static str,
    ) -> impl IntoView {
        value.map(|value| {
            view! {
                <form action=path method="post" class="inline-form">
                    <input type="hidden" name=name value=value/>
                    <button type="submit" class="button secondary">{label}</button>
                </form>
            }
        })
    }
}
