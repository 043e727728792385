//! `/admin/mail`: the outbox, newest first: what went to whom, how it went
//! (queued, sending, sent, retrying with the next try, failed) and the mail
//! server's last answer in full. A failed message can be retried now, and
//! a test message sent to any address. Message bodies are never shown.

use super::admin_only;
use crate::{
    api::admin_mail::{list_mail, RetryMail, SendTestMail},
    components::{DataTable, FormAction, FormField, FormMessage, PostForm, SubmitButton},
    domain::{MailDone, MailEntry, MailState},
    error::Field,
    i18n::{t, tf, Msg},
    pages::{field_error, form_error},
};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

lazy_page!(AdminMailRoute, AdminMailPage);

#[component]
fn AdminMailPage() -> impl IntoView {
    view! {
        <Title text=t(Msg::AdminMailTitle)/>
        {admin_only("%2Fadmin%2Fmail", |_| view! { <MailAdmin/> })}
    }
}

fn done_message(done: MailDone) -> Msg {
    match done {
        MailDone::Retried => Msg::AdminMailDoneRetried,
        MailDone::TestQueued => Msg::AdminMailDoneTestQueued,
    }
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
            .and_then(|d| MailDone::parse(&d))
            .map(|done| t(done_message(done)).to_owned())
    });
    let retry_error = Signal::derive(move || retry.last_error().map(|e| e.message()));
    let test_error = test.error();
    view! {
        <h1>{t(Msg::AdminMailTitle)}</h1>
        <FormMessage error=retry_error success=done/>
        <details class="card" open=move || test_error.get().is_some()>
            <summary>{t(Msg::AdminMailTestHeading)}</summary>
            <FormMessage error=form_error(test_error)/>
            <PostForm action=test attr:class="form stack" attr:novalidate=true>
                <FormField id="test-mail-to" name="to" label=t(Msg::AdminMailSendTo) input_type="email"
                    autocomplete="off" error=field_error(test_error, Field::Email)/>
                <SubmitButton label=t(Msg::AdminMailSendTest) pending=test.pending()/>
            </PostForm>
        </details>
        <Suspense fallback=|| view! { <p>{t(Msg::CommonLoading)}</p> }>
            {move || Suspend::new(async move {
                let page = match page.await {
                    Err(e) => return view! { <div class="alert alert-error" role="alert">{e.message()}</div> }.into_any(),
                    Ok(page) => page,
                };
                let outage = page.server_down.clone().map(|text| view! {
                    <div class="alert alert-error" role="alert" id="mail-server-down">{text}</div>
                });
                let list = match page {
                    page if page.entries.is_empty() => view! { <p class="muted">{t(Msg::AdminMailNoMail)}</p> }.into_any(),
                    page => {
                        let older = page.older.map(|id| format!("/admin/mail?before={id}"));
                        view! {
                            <DataTable id="mail-table" caption=t(Msg::AdminMailTableCaption)>
                                <thead><tr>
                                    <th scope="col">{t(Msg::AdminMailQueued)}</th><th scope="col">{t(Msg::AdminMailKind)}</th><th scope="col">{t(Msg::AdminMailTo)}</th>
                                    <th scope="col">{t(Msg::AdminMailState)}</th><th scope="col">{t(Msg::AdminMailAttempts)}</th>
                                    <th scope="col">{t(Msg::AdminMailLastAnswer)}</th><th scope="col">{t(Msg::AdminActions)}</th>
                                </tr></thead>
                                <tbody>
                                    {page.entries.into_iter().map(|m| view! { <MailRow mail=m retry/> }).collect_view()}
                                </tbody>
                            </DataTable>
                            <nav class="pager" aria-label=t(Msg::AdminPages)>
                                {older.map(|href| view! { <a href=href rel="next">{t(Msg::AdminMailOlder)}</a> })}
                            </nav>
                        }.into_any()
                    }
                };
                view! { {outage} {list} }.into_any()
            })}
        </Suspense>
    }
}

/// What a message is, by its kind's code (the code itself for a kind this
/// build does not know).
fn kind_label(kind: &str) -> String {
    let msg = match kind {
        "reset" => Msg::OutboxKindReset,
        "invite" => Msg::OutboxKindInvite,
        "password_changed" => Msg::OutboxKindPasswordChanged,
        "email_changed" => Msg::OutboxKindEmailChanged,
        "test" => Msg::OutboxKindTest,
        "two_step_on" => Msg::OutboxKindTwoStepOn,
        "two_step_off" => Msg::OutboxKindTwoStepOff,
        "recovery_code_used" => Msg::OutboxKindRecoveryCodeUsed,
        "recovery_codes_renewed" => Msg::OutboxKindRecoveryCodesRenewed,
        "passkey_added" => Msg::OutboxKindPasskeyAdded,
        "link_made" => Msg::OutboxKindLinkMade,
        other => return other.to_owned(),
    };
    t(msg).to_owned()
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
        (MailState::Retrying, Some(next)) => tf(Msg::AdminMailRetryingNext, &[("date", next)]),
        (MailState::Sent | MailState::Failed, Some(at)) => tf(
            Msg::AdminMailStateAt,
            &[("state", mail.state.label()), ("date", at)],
        ),
        (s, _) => s.label().to_owned(),
    };
    let retrying = retry.busy_with(id);
    view! {
        <tr id=format!("mail-{id}")>
            <td>{mail.queued}</td>
            <td>{kind_label(&mail.kind)}</td>
            <td>{mail.to}</td>
            <td><span class=badge>{state}</span></td>
            <td>{mail.attempts}</td>
            <td class="mail-error">{mail.last_error.unwrap_or_else(|| t(Msg::CommonNone).into())}</td>
            <td class="row-actions">
                {(mail.state == MailState::Failed).then(|| view! {
                    <PostForm action=retry attr:class="inline-form">
                        <input type="hidden" name="id" value=id/>
                        <SubmitButton label=t(Msg::AdminMailRetry) pending=retrying class="button secondary"/>
                    </PostForm>
                })}
            </td>
        </tr>
    }
}
