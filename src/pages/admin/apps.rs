//! `/admin/apps`: register the apps that sign people in through Gatehouse
//! (OpenID Connect), edit them, replace their secret and remove them. A
//! secret is shown once, right after it is made.

use super::{admin_only, PasswordAgainLink};
use crate::{
    api::admin_apps::{
        list_apps, take_new_credentials, AddApp, EditApp, RemoveApp, RotateAppSecret,
    },
    components::{sentence, DataTable, FormAction, FormField, FormMessage, PostForm, SubmitButton},
    domain::{AppCredentials, AppDone, AppSummary, Role},
    error::{AppError, Field},
    i18n::{t, tf, Msg},
    pages::{field_error, form_error},
};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

lazy_page!(AdminAppsRoute, AdminAppsPage);

#[component]
fn AdminAppsPage() -> impl IntoView {
    view! {
        <Title text=t(Msg::AdminAppsTitle)/>
        {admin_only("%2Fadmin%2Fapps", |_| view! { <AppsAdmin/> })}
    }
}

fn done_message(done: AppDone) -> Msg {
    match done {
        AppDone::Added => Msg::AdminAppsDoneAdded,
        AppDone::Saved => Msg::AdminSaved,
        AppDone::Rotated => Msg::AdminAppsDoneRotated,
        AppDone::Removed => Msg::AdminAppsDoneRemoved,
    }
}

#[derive(Clone, Copy)]
struct RowActions {
    edit: FormAction,
    rotate: FormAction,
    remove: FormAction,
}

impl RowActions {
    fn versions(self) -> [usize; 3] {
        [
            self.edit.version(),
            self.rotate.version(),
            self.remove.version(),
        ]
    }

    /// The last failure of a row's action; the edit form's field problems
    /// show at its fields instead.
    fn error(self) -> Signal<Option<String>> {
        Signal::derive(move || {
            let errors: [Option<AppError>; 3] = [
                self.edit
                    .last_error()
                    .filter(|e| !matches!(e, AppError::Validation(_))),
                self.rotate.last_error(),
                self.remove
                    .last_error()
                    .filter(|e| !matches!(e, AppError::Validation(_))),
            ];
            errors.into_iter().flatten().next().map(|e| e.message())
        })
    }
}

#[component]
fn AppsAdmin() -> impl IntoView {
    let query = use_query_map();
    let add = FormAction::new::<AddApp>();
    let actions = RowActions {
        edit: FormAction::new::<EditApp>(),
        rotate: FormAction::new::<RotateAppSecret>(),
        remove: FormAction::new::<RemoveApp>(),
    };
    let apps = Resource::new(
        move || (query.read().get("done"), add.version(), actions.versions()),
        |_| list_apps(),
    );
    // Taken once: the server clears the credentials as it hands them over.
    let fresh = Resource::new(
        move || (add.version(), actions.rotate.version()),
        |_| take_new_credentials(),
    );
    let done = Signal::derive(move || {
        query
            .read()
            .get("done")
            .and_then(|d| AppDone::parse(&d))
            .map(|done| t(done_message(done)).to_owned())
    });
    view! {
        <h1>{t(Msg::AdminAppsTitle)}</h1>
        <p class="lead">
            {sentence(Msg::AdminAppsIntro, |_| view! {
                <code>"/.well-known/openid-configuration"</code>
            }.into_any())}
        </p>
        <FormMessage error=actions.error() success=done/>
        <PasswordAgainLink back="/admin/apps" errors=Signal::derive(move || vec![
            add.last_error(), actions.rotate.last_error(),
        ])/>
        <Suspense>
            {move || Suspend::new(async move {
                fresh.await.ok().flatten().map(|credentials| view! { <Credentials credentials/> })
            })}
        </Suspense>
        <AddAppForm add/>
        <Suspense fallback=|| view! { <p>{t(Msg::CommonLoading)}</p> }>
            {move || Suspend::new(async move {
                match apps.await {
                    Err(e) => view! { <div class="alert alert-error" role="alert">{e.message()}</div> }.into_any(),
                    Ok(list) if list.is_empty() => view! { <p class="muted">{t(Msg::AdminAppsNoApps)}</p> }.into_any(),
                    Ok(list) => view! { <AppsTable list actions/> }.into_any(),
                }
            })}
        </Suspense>
    }
}

/// The new client id and secret, shown once.
#[component]
fn Credentials(credentials: AppCredentials) -> impl IntoView {
    let AppCredentials {
        client_id,
        name,
        client_secret,
    } = credentials;
    view! {
        <section id="new-app-credentials" class="card notice" aria-labelledby="new-app-heading">
            <h2 id="new-app-heading">{tf(Msg::AdminAppsSettingsFor, &[("app", &name)])}</h2>
            <p>
                {t(if client_secret.is_some() {
                    Msg::AdminAppsCopySecret
                } else {
                    Msg::AdminAppsPublicNoSecret
                })}
            </p>
            <div class="field">
                <label for="new-client-id">{t(Msg::AdminAppsClientId)}</label>
                <input id="new-client-id" type="text" readonly value=client_id/>
            </div>
            {client_secret.map(|secret| view! {
                <div class="field">
                    <label for="new-client-secret">{t(Msg::AdminAppsClientSecret)}</label>
                    <input id="new-client-secret" type="text" readonly autocomplete="off" value=secret/>
                </div>
            })}
        </section>
    }
}

/// A labelled text area for URIs, one per line, with its error.
#[component]
fn UriField(
    id: String,
    name: &'static str,
    label: &'static str,
    help: &'static str,
    #[prop(optional)] value: String,
    #[prop(into)] error: Signal<Option<String>>,
) -> impl IntoView {
    let help_id = format!("{id}-help");
    let error_id = format!("{id}-error");
    view! {
        <div class="field">
            <label for=id.clone()>{label}</label>
            <textarea
                id=id
                name=name
                rows="2"
                spellcheck="false"
                aria-describedby=format!("{help_id} {error_id}")
                aria-invalid=move || error.get().is_some().then_some("true")
            >{value}</textarea>
            <p class="help" id=help_id>{help}</p>
            <p class="field-error" id=error_id aria-live="polite">{move || error.get().unwrap_or_default()}</p>
        </div>
    }
}

#[component]
fn RoleSelect(
    id: String,
    selected: Role,
    #[prop(into)] error: Signal<Option<String>>,
) -> impl IntoView {
    let error_id = format!("{id}-error");
    view! {
        <div class="field">
            <label for=id.clone()>{t(Msg::AdminAppsWho)}</label>
            <select
                id=id
                name="allowed_role"
                aria-describedby=error_id.clone()
                aria-invalid=move || error.get().is_some().then_some("true")
            >
                <option value=Role::User.as_str() selected=selected == Role::User>{t(Msg::AdminAppsEveryoneWithAccount)}</option>
                <option value=Role::SiteAdmin.as_str() selected=selected == Role::SiteAdmin>{t(Msg::AdminAppsSiteAdminsOnly)}</option>
            </select>
            <p class="field-error" id=error_id aria-live="polite">{move || error.get().unwrap_or_default()}</p>
        </div>
    }
}

/// The groups an app admits (names separated by spaces or commas).
#[component]
fn GroupsField(
    id: String,
    value: String,
    #[prop(into)] error: Signal<Option<String>>,
) -> impl IntoView {
    let (help_id, error_id) = (format!("{id}-help"), format!("{id}-error"));
    view! {
        <div class="field">
            <label for=id.clone()>{t(Msg::AdminAppsGroups)}</label>
            <input id=id name="groups" type="text" value=value autocomplete="off" spellcheck="false"
                aria-describedby=format!("{help_id} {error_id}")
                aria-invalid=move || error.get().is_some().then_some("true")/>
            <p class="help" id=help_id>{t(Msg::AdminAppsGroupsHelp)}</p>
            <p class="field-error" id=error_id aria-live="polite">{move || error.get().unwrap_or_default()}</p>
        </div>
    }
}

/// The box that makes an app admit only people who logged in with a
/// second step.
#[component]
fn TwoFactorBox(id: String, checked: bool) -> impl IntoView {
    let help_id = format!("{id}-help");
    view! {
        <div class="field">
            <div>
                <input type="checkbox" id=id.clone() name="two_factor" value="yes" checked=checked
                    aria-describedby=help_id.clone()/>
                <label for=id>{t(Msg::AdminAppsTwoFactor)}</label>
            </div>
            <p class="help" id=help_id>{t(Msg::AdminAppsTwoFactorHelp)}</p>
        </div>
    }
}

#[component]
fn AddAppForm(add: FormAction) -> impl IntoView {
    let error = add.error();
    view! {
        <details class="card" open=move || error.get().is_some()>
            <summary>{t(Msg::AdminAppsRegisterHeading)}</summary>
            <FormMessage error=form_error(error)/>
            <PostForm action=add attr:class="form stack" attr:novalidate=true>
                <FormField id="app-name" name="name" label=t(Msg::FieldsName) autocomplete="off"
                    error=field_error(error, Field::Name)/>
                <UriField id="app-redirect-uris".into() name="redirect_uris" label=t(Msg::AdminAppsRedirectUris)
                    help=t(Msg::AdminAppsRedirectUrisHelp)
                    error=field_error(error, Field::RedirectUris)/>
                <UriField id="app-post-logout-uris".into() name="post_logout_redirect_uris" label=t(Msg::AdminAppsPostLogoutOptional)
                    help=t(Msg::AdminAppsPostLogoutHelp)
                    error=field_error(error, Field::PostLogoutUris)/>
                <fieldset class="choice">
                    <legend>{t(Msg::AdminAppsKindOfApp)}</legend>
                    <div>
                        <input type="radio" id="app-type-confidential" name="client_type" value="confidential" checked
                            aria-describedby="app-type-error"/>
                        <label for="app-type-confidential">{t(Msg::AdminAppsConfidentialChoice)}</label>
                    </div>
                    <div>
                        <input type="radio" id="app-type-public" name="client_type" value="public"
                            aria-describedby="app-type-error"/>
                        <label for="app-type-public">{t(Msg::AdminAppsPublicChoice)}</label>
                    </div>
                    <p class="field-error" id="app-type-error" aria-live="polite">
                        {move || error.get().and_then(|e| e.field_message(Field::ClientType)).unwrap_or_default()}
                    </p>
                </fieldset>
                <RoleSelect id="app-role".into() selected=Role::User error=field_error(error, Field::Role)/>
                <GroupsField id="app-groups".into() value=String::new() error=field_error(error, Field::Groups)/>
                <TwoFactorBox id="app-two-factor".to_owned() checked=false/>
                <SubmitButton label=t(Msg::AdminAppsRegister) pending=add.pending()/>
            </PostForm>
        </details>
    }
}

#[component]
fn AppsTable(list: Vec<AppSummary>, actions: RowActions) -> impl IntoView {
    view! {
        <DataTable id="apps-table" caption=t(Msg::AdminAppsTableCaption)>
            <thead><tr>
                <th scope="col">{t(Msg::FieldsName)}</th><th scope="col">{t(Msg::AdminAppsClientId)}</th><th scope="col">{t(Msg::AdminAppsKind)}</th>
                <th scope="col">{t(Msg::AdminAppsWho)}</th><th scope="col">{t(Msg::AdminAppsRedirectUris)}</th>
                <th scope="col">{t(Msg::AdminActions)}</th>
            </tr></thead>
            <tbody>
                {list.into_iter().map(|app| view! { <AppRow app actions/> }).collect_view()}
            </tbody>
        </DataTable>
    }
}

#[component]
fn AppRow(app: AppSummary, actions: RowActions) -> impl IntoView {
    let RowActions {
        edit,
        rotate,
        remove,
    } = actions;
    let id = app.client_id.clone();
    let row = {
        let id = id.clone();
        move |action: FormAction| action.submitted("client_id").as_deref() == Some(id.as_str())
    };
    let edit_error = {
        let row = row.clone();
        Signal::derive(move || {
            row(edit)
                .then(|| {
                    edit.last_error()
                        .filter(|e| matches!(e, AppError::Validation(_)))
                })
                .flatten()
        })
    };
    let remove_error = {
        let row = row.clone();
        Signal::derive(move || {
            row(remove)
                .then(|| {
                    remove
                        .last_error()
                        .and_then(|e| e.field_message(Field::Confirm))
                })
                .flatten()
        })
    };
    let pending = |action: FormAction| {
        let row = row.clone();
        Signal::derive(move || action.pending().get() && row(action))
    };
    let (saving, rotating, removing) = (pending(edit), pending(rotate), pending(remove));
    let kind = t(if app.public {
        Msg::AdminAppsPublic
    } else {
        Msg::AdminAppsConfidential
    });
    let who = t(match app.allowed_role {
        Role::SiteAdmin => Msg::AdminAppsSiteAdminsOnly,
        Role::User => Msg::AdminAppsEveryone,
    });
    let remove_label = tf(Msg::AdminAppsRemoveConfirm, &[("app", &app.name)]);
    let (row_id, name_id, uris_id, logout_id, role_id, confirm_id) = (
        format!("app-{id}"),
        format!("edit-app-name-{id}"),
        format!("edit-app-redirect-uris-{id}"),
        format!("edit-app-post-logout-uris-{id}"),
        format!("edit-app-role-{id}"),
        format!("confirm-remove-{id}"),
    );
    let (id_edit, id_rotate, id_remove, id_two_factor) =
        (id.clone(), id.clone(), id.clone(), id.clone());
    view! {
        <tr id=row_id>
            <td>{app.name.clone()}</td>
            <td><code>{id}</code></td>
            <td>{kind}</td>
            <td>
                {who}
                {(!app.groups.is_empty()).then(|| view! {
                    <div>{tf(Msg::AdminAppsGroupsList, &[("groups", &app.groups.join(", "))])}</div>
                })}
                {app.two_factor.then(|| view! { <div><span class="badge">{t(Msg::AdminAppsTwoFactor)}</span></div> })}
            </td>
            <td>{app.redirect_uris.iter().map(|u| view! { <div><code>{u.clone()}</code></div> }).collect_view()}</td>
            <td class="row-actions">
                <details open=move || edit_error.get().is_some()>
                    <summary>{t(Msg::AdminEdit)}</summary>
                    <PostForm action=edit attr:class="form stack" attr:novalidate=true>
                        <input type="hidden" name="client_id" value=id_edit/>
                        <div class="field">
                            <label for=name_id.clone()>{t(Msg::FieldsName)}</label>
                            <input id=name_id.clone() name="name" type="text" value=app.name.clone()
                                aria-describedby=format!("{name_id}-error")
                                aria-invalid=move || edit_error.get().and_then(|e| e.field_message(Field::Name)).map(|_| "true")/>
                            <p class="field-error" id=format!("{name_id}-error") aria-live="polite">
                                {move || edit_error.get().and_then(|e| e.field_message(Field::Name)).unwrap_or_default()}
                            </p>
                        </div>
                        <UriField id=uris_id name="redirect_uris" label=t(Msg::AdminAppsRedirectUris)
                            help=t(Msg::AdminAppsRedirectUrisEditHelp) value=app.redirect_uris.join("\n")
                            error=Signal::derive(move || edit_error.get().and_then(|e| e.field_message(Field::RedirectUris)))/>
                        <UriField id=logout_id name="post_logout_redirect_uris"
                            label=t(Msg::AdminAppsPostLogout) help=t(Msg::AdminAppsPostLogoutEditHelp)
                            value=app.post_logout_redirect_uris.join("\n")
                            error=Signal::derive(move || edit_error.get().and_then(|e| e.field_message(Field::PostLogoutUris)))/>
                        <RoleSelect id=role_id selected=app.allowed_role
                            error=Signal::derive(move || edit_error.get().and_then(|e| e.field_message(Field::Role)))/>
                        <GroupsField id=format!("edit-app-groups-{id_two_factor}") value=app.groups.join(" ")
                            error=Signal::derive(move || edit_error.get().and_then(|e| e.field_message(Field::Groups)))/>
                        <TwoFactorBox id=format!("edit-app-two-factor-{}", id_two_factor) checked=app.two_factor/>
                        <SubmitButton label=t(Msg::AdminSave) pending=saving/>
                    </PostForm>
                </details>
                {(!app.public).then(move || view! {
                    <PostForm action=rotate attr:class="inline-form">
                        <input type="hidden" name="client_id" value=id_rotate/>
                        <SubmitButton label=t(Msg::AdminAppsNewSecret) pending=rotating class="button secondary"/>
                    </PostForm>
                })}
                <details open=move || remove_error.get().is_some()>
                    <summary>{t(Msg::AdminAppsRemove)}</summary>
                    <PostForm action=remove attr:class="form stack">
                        <input type="hidden" name="client_id" value=id_remove/>
                        <div>
                            <input type="checkbox" id=confirm_id.clone() name="confirm" value="yes" required/>
                            <label for=confirm_id>{remove_label}</label>
                        </div>
                        <p class="field-error" aria-live="polite">{move || remove_error.get().unwrap_or_default()}</p>
                        <SubmitButton label=t(Msg::AdminAppsRemoveSubmit) pending=removing class="button danger"/>
                    </PostForm>
                </details>
            </td>
        </tr>
    }
}
