//! `/admin/mail`: the outbox, newest first: what went to whom, how it went
//! (queued, sending, sent, retrying with the next try, failed) and the mail
//! server's last answer in full. A failed message can be retried now, and
//! a test message sent to any address. Message bodies are never shown.

use super::admin_only;
use crate::{
    api::admin_mail::{list_mail, RetryMail, SendTestMail},
    components::{DataTable, FormAction, FormField, FormMessage, PostForm, SubmitButton},
    domain::{MailEntry, MailState},
    error::Field,
    pages::{field_error, form_error},
};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

lazy_page!(AdminMailRoute, AdminMailPage);

#[component]
fn AdminMailPage() -> impl IntoView {
    view! {
        <Title text="Mail"/>
        {admin_only("%2Fadmin%2Fmail", |_| view! { <MailAdmin/> })}
    }
}

fn done_message(code: &str) -> Option<&'static str> {
    Some(match code {
        "retried" => "The message is queued again and will be sent now.",
        "test_queued" => "Test message queued. Its row below shows how it goes.",
        _ => return None,
    })
}

#[component]
fn MailAdmin() -> impl IntoView {
    let query = use_query_map();
    let get = move |k: &str| query.read().get(k).filter(|v| !v.is_empty());
    let retry = FormAction::new::<RetryMail>();
    let test = FormAction::new::<SendTestMail>();
    let page = Resource::new(
        move || {
            (
                get("before").and_then(|b| b.parse::<i64>().ok()),
                get("done"),
                retry.version(),
                test.version(),
            )
        },
        |(before, ..)| list_mail(before),
    );
    let done = Signal::derive(move || {
        get("done")
            .and_then(|d| done_message(&d))
            .map(str::to_owned)
    });
    let retry_error = Signal::derive(move || retry.last_error().map(|e| e.message()));
    let test_error = test.error();
    view! {
        <h1>"Mail"</h1>
        <FormMessage error=retry_error success=done/>
        <details class="card" open=move || test_error.get().is_some()>
            <summary>"Send a test message"</summary>
            <FormMessage error=form_error(test_error)/>
            <PostForm action=test attr:class="form stack" attr:novalidate=true>
                <FormField id="test-mail-to" name="to" label="Send to" input_type="email"
                    autocomplete="off" error=field_error(test_error, Field::Email)/>
                <SubmitButton label="Send test message" pending=test.pending()/>
            </PostForm>
        </details>
        <Suspense fallback=|| view! { <p>"Loading…"</p> }>
            {move || Suspend::new(async move {
                let page = match page.await {
                    Err(e) => return view! { <div class="alert alert-error" role="alert">{e.message()}</div> }.into_any(),
                    Ok(page) => page,
                };
                let outage = page.server_down.clone().map(|text| view! {
                    <div class="alert alert-error" role="alert" id="mail-server-down">{text}</div>
                });
                let list = match page {
                    page if page.entries.is_empty() => view! { <p class="muted">"No mail yet."</p> }.into_any(),
                    page => {
                        let older = page.older.map(|id| format!("/admin/mail?before={id}"));
                        view! {
                            <DataTable id="mail-table" caption="Outgoing mail, newest first">
                                <thead><tr>
                                    <th scope="col">"Queued"</th><th scope="col">"Kind"</th><th scope="col">"To"</th>
                                    <th scope="col">"State"</th><th scope="col">"Attempts"</th>
                                    <th scope="col">"Mail server's last answer"</th><th scope="col">"Actions"</th>
                                </tr></thead>
                                <tbody>
                                    {page.entries.into_iter().map(|m| view! { <MailRow mail=m retry/> }).collect_view()}
                                </tbody>
                            </DataTable>
                            <nav class="pager" aria-label="Pages">
                                {older.map(|href| view! { <a href=href rel="next">"Older mail"</a> })}
                            </nav>
                        }.into_any()
                    }
                };
                view! { {outage} {list} }.into_any()
            })}
        </Suspense>
    }
}

#[component]
fn MailRow(mail: MailEntry, retry: FormAction) -> impl IntoView {
    let id = mail.id;
    let badge = match mail.state {
        MailState::Sent => "badge active",
        MailState::Failed => "badge disabled",
        _ => "badge",
    };
    let state = match (&mail.state, &mail.when) {
        (MailState::Retrying, Some(next)) => format!("Retrying (next try {next})"),
        (MailState::Sent | MailState::Failed, Some(at)) => format!("{} {at}", mail.state.label()),
        (s, _) => s.label().to_owned(),
    };
    let retrying = retry.busy_with(id);
    view! {
        <tr id=format!("mail-{id}")>
            <td>{mail.queued}</td>
            <td>{mail.kind}</td>
            <td>{mail.to}</td>
            <td><span class=badge>{state}</span></td>
            <td>{mail.attempts}</td>
            <td class="mail-error">{mail.last_error.unwrap_or_else(|| "—".into())}</td>
            <td class="row-actions">
                {(mail.state == MailState::Failed).then(|| view! {
                    <PostForm action=retry attr:class="inline-form">
                        <input type="hidden" name="id" value=id/>
                        <SubmitButton label="Retry now" pending=retrying class="button secondary"/>
                    </PostForm>
                })}
            </td>
        </tr>
    }
}
