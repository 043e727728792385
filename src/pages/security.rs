//! `/account/security`: two-step verification. An authenticator app (its
//! key as text in `#totp-secret` and as a QR code drawn on the server,
//! confirmed with a code), recovery codes (shown once, in
//! `#recovery-codes`), and passkeys (added with the small passkey script).
//! Every change needs the current password. Loaded only on this page.

use crate::{
    api::two_step::{get_security, RemoveApp, RemovePasskey, RenewRecoveryCodes, SetUpApp},
    components::{
        passkey::PASSKEY_SCRIPT, FormAction, FormField, FormMessage, GoTo, PostForm, SubmitButton,
    },
    domain::{AppSetup, PasskeyEntry, SecurityDone, SecurityState},
    error::{AppError, Field},
    i18n::{t, tf, tn, Msg, Plural},
    pages::{field_error, form_error},
};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

lazy_page!(SecurityRoute, SecurityPage);

/// The page's forms.
#[derive(Clone, Copy)]
struct Actions {
    set_up: FormAction,
    remove_app: FormAction,
    renew: FormAction,
    remove_passkey: FormAction,
}

impl Actions {
    fn new() -> Self {
        Self {
            set_up: FormAction::new::<SetUpApp>(),
            remove_app: FormAction::new::<RemoveApp>(),
            renew: FormAction::new::<RenewRecoveryCodes>(),
            remove_passkey: FormAction::new::<RemovePasskey>(),
        }
    }

    fn versions(self) -> [usize; 4] {
        [
            self.set_up.version(),
            self.remove_app.version(),
            self.renew.version(),
            self.remove_passkey.version(),
        ]
    }
}

fn done_message(done: SecurityDone) -> Msg {
    match done {
        SecurityDone::AppOn => Msg::SecurityDoneAppOn,
        SecurityDone::AppOff => Msg::SecurityDoneAppOff,
        SecurityDone::Codes => Msg::SecurityDoneCodes,
        SecurityDone::PasskeyAdded => Msg::SecurityDonePasskeyAdded,
        SecurityDone::PasskeyRemoved => Msg::SecurityDonePasskeyRemoved,
    }
}

#[component]
fn SecurityPage() -> impl IntoView {
    let actions = Actions::new();
    let query = use_query_map();
    let next = move || query.read().get("next");
    let done = move || query.read().get("done");
    let security = Resource::new(
        move || (actions.versions(), next(), done()),
        |(_, next, _)| get_security(next),
    );
    view! {
        <Title text=t(Msg::SecurityTitle)/>
        <h1>{t(Msg::SecurityTitle)}</h1>
        <Suspense fallback=|| view! { <p>{t(Msg::CommonLoading)}</p> }>
            {move || Suspend::new(async move {
                match security.await {
                    Ok(state) => view! { <SecurityView state actions/> }.into_any(),
                    Err(AppError::Unauthorized) => {
                        view! { <GoTo path="/login?next=%2Faccount%2Fsecurity"/> }.into_any()
                    }
                    Err(e) => view! {
                        <div class="alert alert-error" role="alert">{e.message()}</div>
                    }
                    .into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn SecurityView(state: SecurityState, actions: Actions) -> impl IntoView {
    let query = use_query_map();
    let done = move || {
        query
            .read()
            .get("done")
            .and_then(|d| SecurityDone::parse(&d))
            .map(|d| t(done_message(d)).to_owned())
    };
    let on = state.on();
    let status = t(if on {
        Msg::SecurityStatusOn
    } else {
        Msg::SecurityStatusOff
    });
    let continue_to = state.continue_to.clone().filter(|_| on);
    view! {
        {state.required.then(|| view! {
            <div class="alert alert-error" role="alert">{t(Msg::SecurityRequired)}</div>
        })}
        <FormMessage error=Signal::derive(|| None::<String>) success=Signal::derive(done)/>
        <p>{status}</p>
        {continue_to.map(|to| view! {
            <p><a class="button primary" href=to rel="external">{t(Msg::SecurityContinue)}</a></p>
        })}
        {state.new_codes.clone().map(|codes| view! { <NewCodes codes/> })}
        <p class="muted">{t(Msg::SecurityPasswordNote)}</p>
        <AppSection state=state.clone() actions/>
        {on.then(|| view! { <CodesSection left=state.recovery_codes renew=actions.renew/> })}
        <PasskeysSection state actions/>
    }
}

/// Recovery codes made just now: shown this once.
#[component]
fn NewCodes(codes: Vec<String>) -> impl IntoView {
    view! {
        <section class="card stack" aria-labelledby="new-codes-heading">
            <h2 id="new-codes-heading">{t(Msg::SecurityCodesHeading)}</h2>
            <p>{t(Msg::SecurityCodesShown)}</p>
            <ol id="recovery-codes" class="recovery-codes">
                {codes.into_iter().map(|code| view! { <li><code>{code}</code></li> }).collect_view()}
            </ol>
        </section>
    }
}

/// The current-password field of one of the page's forms.
#[component]
fn CurrentPassword(id: &'static str, action: FormAction) -> impl IntoView {
    view! {
        <FormField id=id name="current_password" label=t(Msg::FieldsCurrentPassword)
            input_type="password" autocomplete="current-password"
            error=field_error(action.error(), Field::CurrentPassword)/>
    }
}

#[component]
fn AppSection(state: SecurityState, actions: Actions) -> impl IntoView {
    let body = match (state.app, state.app_setup) {
        (true, _) => {
            let remove = actions.remove_app;
            view! {
                <p>{t(Msg::SecurityAppOn)}</p>
                <FormMessage error=form_error(remove.error())/>
                <PostForm action=remove attr:class="form stack" attr:novalidate=true>
                    <CurrentPassword id="app-remove-current" action=remove/>
                    <SubmitButton label=t(Msg::SecurityAppRemove) pending=remove.pending() class="button danger"/>
                </PostForm>
            }
            .into_any()
        }
        (false, Some(setup)) => view! {
            <AppSetUp setup next=state.continue_to action=actions.set_up/>
        }
        .into_any(),
        (false, None) => ().into_any(),
    };
    view! {
        <section class="card stack" aria-labelledby="app-heading">
            <h2 id="app-heading">{t(Msg::SecurityAppHeading)}</h2>
            {body}
        </section>
    }
}

/// Setting up an authenticator app: the key (QR code and text) and the
/// form that turns it on with a code from the app.
#[component]
fn AppSetUp(setup: AppSetup, next: Option<String>, action: FormAction) -> impl IntoView {
    let error = action.error();
    view! {
        <h3>{t(Msg::SecurityAppSetup)}</h3>
        <p>{t(Msg::SecurityAppScan)}</p>
        <div class="qr" role="img" aria-label=t(Msg::SecurityQrLabel) inner_html=setup.qr_svg></div>
        <p>{t(Msg::SecurityKey)} ": " <code id="totp-secret" class="secret">{setup.key}</code></p>
        <p>{t(Msg::SecurityAppConfirmIntro)}</p>
        <FormMessage error=form_error(error)/>
        <PostForm action=action attr:class="form stack" attr:novalidate=true>
            <input type="hidden" name="next" value=next.unwrap_or_default()/>
            <FormField id="totp-code" name="code" label=t(Msg::FieldsCode)
                autocomplete="one-time-code" error=field_error(error, Field::Code)/>
            <CurrentPassword id="totp-current" action=action/>
            <SubmitButton label=t(Msg::SecurityAppConfirm) pending=action.pending()/>
        </PostForm>
    }
}

#[component]
fn CodesSection(left: i64, renew: FormAction) -> impl IntoView {
    view! {
        <section class="card stack" aria-labelledby="codes-heading">
            <h2 id="codes-heading">{t(Msg::SecurityCodesHeading)}</h2>
            <p>{t(Msg::SecurityCodesIntro)}</p>
            <p id="recovery-codes-left">{tn(Plural::SecurityCodesLeft, left, &[("count", &left.to_string())])}</p>
            <FormMessage error=form_error(renew.error())/>
            <PostForm action=renew attr:class="form stack" attr:novalidate=true>
                <CurrentPassword id="codes-current" action=renew/>
                <SubmitButton label=t(Msg::SecurityCodesNew) pending=renew.pending() class="button secondary"/>
            </PostForm>
        </section>
    }
}

#[component]
fn PasskeysSection(state: SecurityState, actions: Actions) -> impl IntoView {
    let body = if state.passkeys_offered {
        view! {
            <p>{t(Msg::SecurityPasskeysIntro)}</p>
            <PasskeyList passkeys=state.passkeys remove=actions.remove_passkey/>
            <AddPasskey/>
        }
        .into_any()
    } else {
        view! { <p class="muted">{t(Msg::SecurityPasskeysUnavailable)}</p> }.into_any()
    };
    view! {
        <section class="card stack" aria-labelledby="passkeys-heading">
            <h2 id="passkeys-heading">{t(Msg::SecurityPasskeysHeading)}</h2>
            {body}
        </section>
    }
}

#[component]
fn PasskeyList(passkeys: Vec<PasskeyEntry>, remove: FormAction) -> impl IntoView {
    if passkeys.is_empty() {
        return view! { <p class="muted">{t(Msg::SecurityPasskeysNone)}</p> }.into_any();
    }
    let error = remove.error();
    view! {
        <FormMessage error=form_error(error)/>
        <table class="table" id="passkeys">
            <caption class="visually-hidden">{t(Msg::SecurityPasskeysCaption)}</caption>
            <thead>
                <tr>
                    <th scope="col">{t(Msg::FieldsName)}</th>
                    <th scope="col">{t(Msg::SecurityAdded)}</th>
                    <th scope="col">{t(Msg::SecurityLastUsed)}</th>
                    <th scope="col">{t(Msg::AdminActions)}</th>
                </tr>
            </thead>
            <tbody>
                {passkeys.into_iter().enumerate().map(|(i, p)| {
                    let field = format!("passkey-remove-current-{i}");
                    view! {
                        <tr>
                            <td>{p.name.clone()}</td>
                            <td>{p.added}</td>
                            <td>{p.last_used.unwrap_or_else(|| t(Msg::SecurityNever).to_owned())}</td>
                            <td class="row-actions">
                                <details>
                                    <summary>{tf(Msg::SecurityRemoveNamed, &[("name", &p.name)])}</summary>
                                    <PostForm action=remove attr:class="form stack" attr:novalidate=true>
                                        <input type="hidden" name="id" value=p.id/>
                                        <div class="field">
                                            <label for=field.clone()>{t(Msg::FieldsCurrentPassword)}</label>
                                            <input id=field name="current_password" type="password"
                                                autocomplete="current-password"/>
                                        </div>
                                        <SubmitButton label=t(Msg::SecurityRemove) pending=remove.pending()
                                            class="button danger"/>
                                    </PostForm>
                                </details>
                            </td>
                        </tr>
                    }
                }).collect_view()}
            </tbody>
        </table>
    }
    .into_any()
}

/// Adding a passkey: a form the passkey script runs (it needs the
/// browser's WebAuthn), hidden until the client is here.
#[component]
fn AddPasskey() -> impl IntoView {
    let ready = RwSignal::new(false);
    Effect::new(move |_| ready.set(true));
    view! {
        <form id="passkey-add" class="form stack" data-passkey="register" novalidate
            data-failed=t(Msg::SecurityPasskeyFailed) hidden=move || !ready.get()>
            <div class="field">
                <label for="passkey-name">{t(Msg::FieldsPasskeyName)}</label>
                <input id="passkey-name" name="name" type="text" maxlength="64" autocomplete="off"/>
            </div>
            <div class="field">
                <label for="passkey-current">{t(Msg::FieldsCurrentPassword)}</label>
                <input id="passkey-current" name="current_password" type="password"
                    autocomplete="current-password"/>
            </div>
            <p class="field-error" data-passkey-message aria-live="polite"></p>
            <button type="submit" class="button secondary">{t(Msg::SecurityPasskeyAdd)}</button>
        </form>
        <p class="muted" data-passkey-needs-script hidden=move || ready.get()>
            {t(Msg::SecurityPasskeyNeedsScript)}
        </p>
        <script src=PASSKEY_SCRIPT defer></script>
    }
}
