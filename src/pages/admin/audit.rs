//! `/admin/audit`: who did what, to whom, when and from where.

use super::{admin_only, encode_query};
use crate::{
    api::admin_users::list_audit,
    components::DataTable,
    domain::AuditEvent,
    i18n::{t, Msg},
};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

fn label(event: &str) -> String {
    AuditEvent::parse(event)
        .map(|e| e.label().to_owned())
        .unwrap_or_else(|| event.to_owned())
}

lazy_page!(AdminAuditRoute, AdminAuditPage);

#[component]
fn AdminAuditPage() -> impl IntoView {
    view! {
        <Title text=t(Msg::AdminAuditTitle)/>
        {admin_only("%2Fadmin%2Faudit", |_| view! { <AuditLog/> })}
    }
}

#[component]
fn AuditLog() -> impl IntoView {
    let query = use_query_map();
    let get = move |k: &str| query.read().get(k).filter(|v| !v.is_empty());
    let entries = Resource::new(
        move || {
            (
                get("event"),
                get("user"),
                get("before").and_then(|b| b.parse::<i64>().ok()),
            )
        },
        |(event, user, before)| list_audit(event, user, before),
    );
    view! {
        <h1>{t(Msg::AdminAuditTitle)}</h1>
        <form method="get" action="/admin/audit" class="toolbar" role="search">
            <div class="field">
                <label for="audit-event">{t(Msg::AdminAuditEvent)}</label>
                <select id="audit-event" name="event">
                    <option value="" selected=move || get("event").is_none()>{t(Msg::AdminAuditAllEvents)}</option>
                    {AuditEvent::ALL.into_iter().map(|event| view! {
                        <option value=event.as_str() selected=move || get("event").as_deref() == Some(event.as_str())>{event.label()}</option>
                    }).collect_view()}
                </select>
            </div>
            <div class="field">
                <label for="audit-user">{t(Msg::AdminAuditUsersEmail)}</label>
                <input id="audit-user" name="user" type="search" value=move || get("user").unwrap_or_default()/>
            </div>
            <button type="submit" class="button secondary">{t(Msg::AdminAuditFilter)}</button>
        </form>
        <Suspense fallback=|| view! { <p>{t(Msg::CommonLoading)}</p> }>
            {move || Suspend::new(async move {
                match entries.await {
                    Err(e) => view! { <div class="alert alert-error" role="alert">{e.message()}</div> }.into_any(),
                    Ok(page) if page.entries.is_empty() => view! { <p class="muted">{t(Msg::AdminAuditNoEntries)}</p> }.into_any(),
                    Ok(page) => {
                        let older = page.older.map(|id| {
                            let mut href = format!("/admin/audit?before={id}");
                            if let Some(e) = get("event") { href.push_str(&format!("&event={}", encode_query(&e))); }
                            if let Some(u) = get("user") { href.push_str(&format!("&user={}", encode_query(&u))); }
                            href
                        });
                        view! {
                            <DataTable id="audit-table" caption=t(Msg::AdminAuditTableCaption)>
                                <thead><tr>
                                    <th scope="col">{t(Msg::AdminAuditWhen)}</th><th scope="col">{t(Msg::AdminAuditEvent)}</th><th scope="col">{t(Msg::AdminAuditWho)}</th>
                                    <th scope="col">{t(Msg::AdminAuditWhom)}</th><th scope="col">{t(Msg::AdminAuditFrom)}</th><th scope="col">{t(Msg::AdminAuditDetails)}</th>
                                </tr></thead>
                                <tbody>
                                    {page.entries.into_iter().map(|e| view! {
                                        <tr>
                                            <td>{e.at}</td>
                                            <td>{label(&e.event)}</td>
                                            <td>{e.actor.unwrap_or_else(|| t(Msg::CommonNone).into())}</td>
                                            <td>{e.target.unwrap_or_else(|| t(Msg::CommonNone).into())}</td>
                                            <td>{e.ip.unwrap_or_else(|| t(Msg::CommonNone).into())}</td>
                                            <td class="audit-detail">{e.detail.unwrap_or_default()}</td>
                                        </tr>
                                    }).collect_view()}
                                </tbody>
                            </DataTable>
                            <nav class="pager" aria-label=t(Msg::AdminPages)>
                                {older.map(|href| view! { <a href=href>{t(Msg::AdminAuditOlder)}</a> })}
                            </nav>
                        }.into_any()
                    }
                }
            })}
        </Suspense>
    }
}
