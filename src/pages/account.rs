//! `/account`: who is logged in, change password, where they are logged in
//! and which apps can act for them (each can be ended), log out (here or
//! everywhere).

use crate::{
    api::{
        account::{list_sessions, EndAppAccess, EndSession},
        auth::ChangePassword,
    },
    components::{
        sentence, Auth, DataTable, FormAction, FormField, FormMessage, GoTo, PasswordField,
        PostForm, SubmitButton,
    },
    domain::{CurrentUser, SessionsOverview},
    error::Field,
    i18n::{t, tf, Msg},
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
/// can be ended.
#[component]
fn Sessions() -> impl IntoView {
    let end_session = FormAction::new::<EndSession>();
    let end_app = FormAction::new::<EndAppAccess>();
    let query = use_query_map();
    let list = Resource::new(
        move || {
            (
                end_session.version(),
                end_app.version(),
                query.read().get("ended"),
            )
        },
        |_| list_sessions(),
    );
    let done = move || {
        let ended = query.read().get("ended");
        match ended.as_deref() {
            Some("session") => Some(t(Msg::AccountSessionEnded).to_owned()),
            Some("app") => Some(t(Msg::AccountAppEnded).to_owned()),
            _ => None,
        }
    };
    let error = Signal::derive(move || {
        end_session
            .last_error()
            .or_else(|| end_app.last_error())
            .map(|e| e.message())
    });
    view! {
        <section class="card stack" aria-labelledby="sessions-heading" id="sessions">
            <h2 id="sessions-heading">{t(Msg::AccountSessionsHeading)}</h2>
            <FormMessage error success=Signal::derive(done)/>
            <Suspense fallback=|| view! { <p>{t(Msg::CommonLoading)}</p> }>
                {move || Suspend::new(async move {
                    match list.await {
                        Err(e) => view! { <div class="alert alert-error" role="alert">{e.message()}</div> }.into_any(),
                        Ok(overview) => view! { <SessionTables overview end_session end_app/> }.into_any(),
                    }
                })}
            </Suspense>
        </section>
    }
}

#[component]
fn SessionTables(
    overview: SessionsOverview,
    end_session: FormAction,
    end_app: FormAction,
) -> impl IntoView {
    let SessionsOverview { sessions, apps } = overview;
    view! {
        <DataTable id="sessions-table" caption=t(Msg::AccountSessionsCaption)>
            <thead><tr>
                <th scope="col">{t(Msg::AccountBrowser)}</th><th scope="col">{t(Msg::AccountAddress)}</th>
                <th scope="col">{t(Msg::AccountStarted)}</th><th scope="col">{t(Msg::AccountLastSeen)}</th>
                <th scope="col">{t(Msg::AccountActions)}</th>
            </tr></thead>
            <tbody>
                {sessions.into_iter().map(|s| {
                    let browser = match (s.browser.is_empty(), s.os.is_empty()) {
                        (true, _) => t(Msg::AccountUnknownBrowser).to_owned(),
                        (false, true) => s.browser.clone(),
                        (false, false) => tf(Msg::AccountBrowserOn, &[("browser", &s.browser), ("os", &s.os)]),
                    };
                    view! {
                        <tr class:current=s.current>
                            <td>
                                {browser}
                                {s.current.then(|| view! { " " <span class="badge active">{t(Msg::AccountThisOne)}</span> })}
                            </td>
                            <td>{s.address}</td>
                            <td>{s.started}</td>
                            <td>{s.last_seen}</td>
                            <td class="row-actions">
                                {(!s.current).then(|| view! {
                                    <PostForm action=end_session attr:class="inline-form">
                                        <input type="hidden" name="handle" value=s.handle/>
                                        <SubmitButton label=t(Msg::AccountEndSession) pending=end_session.pending() class="button secondary"/>
                                    </PostForm>
                                })}
                            </td>
                        </tr>
                    }
                }).collect_view()}
            </tbody>
        </DataTable>
        <h3>{t(Msg::AccountAppsHeading)}</h3>
        {if apps.is_empty() {
            view! { <p class="muted">{t(Msg::AccountNoApps)}</p> }.into_any()
        } else {
            view! {
                <DataTable id="app-grants-table" caption=t(Msg::AccountAppsCaption)>
                    <thead><tr>
                        <th scope="col">{t(Msg::AccountApp)}</th><th scope="col">{t(Msg::AccountSince)}</th>
                        <th scope="col">{t(Msg::AccountActions)}</th>
                    </tr></thead>
                    <tbody>
                        {apps.into_iter().map(|a| view! {
                            <tr>
                                <td>{a.name}</td>
                                <td>{a.since}</td>
                                <td class="row-actions">
                                    <PostForm action=end_app attr:class="inline-form">
                                        <input type="hidden" name="client_id" value=a.client_id/>
                                        <SubmitButton label=t(Msg::AccountEndApp) pending=end_app.pending() class="button secondary"/>
                                    </PostForm>
                                </td>
                            </tr>
                        }).collect_view()}
                    </tbody>
                </DataTable>
            }.into_any()
        }}
    }
}
