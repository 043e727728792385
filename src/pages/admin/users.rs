//! `/admin/users`: find, add, invite, edit, disable, enable and delete
//! users, and send them the standard reset email. Nothing here can set or
//! show another person's password.

use super::{admin_only, encode_query, PasswordAgainLink};
use crate::{
    api::admin_users::{
        list_invitations, list_users, take_set_password_link, AddUser, DeleteUser, DisableUser,
        EnableUser, MakeSetPasswordLink, SendResetEmail, UpdateUser,
    },
    api::{admin_groups::SetUserGroups, two_step::TurnOffTwoStep},
    components::{
        DataTable, FormAction, FormField, FormMessage, PasswordField, PostForm, SubmitButton,
    },
    domain::{
        CurrentUser, FirstPasswordChoice, Invitation, InvitationState, Role, UserDone, UserPage,
        UserSummary,
    },
    error::{AppError, Field},
    i18n::{t, tf, tn, Msg, Plural},
    pages::{field_error, form_error},
};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::{
    hooks::{use_navigate, use_query_map},
    NavigateOptions,
};

lazy_page!(AdminUsersRoute, AdminUsersPage);

#[component]
fn AdminUsersPage() -> impl IntoView {
    view! {
        <Title text=t(Msg::AdminUsersTitle)/>
        {admin_only("%2Fadmin%2Fusers", |me| view! { <UsersAdmin me/> })}
    }
}

/// What an action did: a success to report, or a mail the admin just had
/// sent that did not go out, and what to do instead.
fn done_message(done: UserDone) -> Result<Msg, Msg> {
    match done {
        UserDone::Invited => Ok(Msg::AdminUsersDoneInvited),
        UserDone::Added => Ok(Msg::AdminUsersDoneAdded),
        UserDone::Saved => Ok(Msg::AdminSaved),
        UserDone::Disabled => Ok(Msg::AdminUsersDoneDisabled),
        UserDone::Enabled => Ok(Msg::AdminUsersDoneEnabled),
        UserDone::Deleted => Ok(Msg::AdminUsersDoneDeleted),
        UserDone::ResetSent => Ok(Msg::AdminUsersDoneResetSent),
        UserDone::LinkMade => Ok(Msg::AdminUsersDoneLinkMade),
        UserDone::InviteRefused => Err(Msg::AdminUsersInviteRefused),
        UserDone::InviteQueued => Err(Msg::AdminUsersInviteQueued),
        UserDone::ResetRefused => Err(Msg::AdminUsersResetRefused),
        UserDone::ResetQueued => Err(Msg::AdminUsersResetQueued),
        UserDone::TwoStepOff => Ok(Msg::AdminUsersDoneTwoStepOff),
        UserDone::GroupsSaved => Ok(Msg::AdminGroupsDoneSaved),
    }
}

#[derive(Clone, Copy)]
struct RowActions {
    update: FormAction,
    disable: FormAction,
    enable: FormAction,
    delete: FormAction,
    reset: FormAction,
    link: FormAction,
    two_step_off: FormAction,
    groups: FormAction,
    /// The row whose edit form was submitted last, for its field errors.
    editing: RwSignal<Option<i64>>,
}

impl RowActions {
    fn new() -> Self {
        let actions = Self {
            update: FormAction::new::<UpdateUser>(),
            disable: FormAction::new::<DisableUser>(),
            enable: FormAction::new::<EnableUser>(),
            delete: FormAction::new::<DeleteUser>(),
            reset: FormAction::new::<SendResetEmail>(),
            link: FormAction::new::<MakeSetPasswordLink>(),
            two_step_off: FormAction::new::<TurnOffTwoStep>(),
            groups: FormAction::new::<SetUserGroups>(),
            editing: RwSignal::new(None),
        };
        Effect::new(move |_| {
            if let Some(id) = actions.update.submitted_id() {
                actions.editing.set(Some(id));
            }
        });
        actions
    }

    /// Changes whenever one of the actions has an answer.
    fn versions(self) -> [usize; 8] {
        [
            self.update.version(),
            self.disable.version(),
            self.enable.version(),
            self.delete.version(),
            self.reset.version(),
            self.link.version(),
            self.two_step_off.version(),
            self.groups.version(),
        ]
    }

    /// The message of the last failure of a row's action. The edit form's
    /// field problems show at their fields instead.
    fn error(self) -> Signal<Option<String>> {
        Signal::derive(move || {
            let errors: [Option<AppError>; 8] = [
                self.update
                    .last_error()
                    .filter(|e| !matches!(e, AppError::Validation(_))),
                self.disable.last_error(),
                self.enable.last_error(),
                self.delete.last_error(),
                self.reset.last_error(),
                self.link.last_error(),
                self.two_step_off.last_error(),
                self.groups
                    .last_error()
                    .filter(|e| !matches!(e, AppError::Validation(_))),
            ];
            errors
                .into_iter()
                .flatten()
                .next()
                .map(|e| e.message())
                .or_else(|| {
                    // Without JavaScript the page cannot tell whose groups
                    // were refused: it says why at the top.
                    (self.groups.submitted_id().is_none())
                        .then(|| self.groups.last_error()?.field_message(Field::Groups))
                        .flatten()
                })
        })
    }
}

#[component]
fn UsersAdmin(me: CurrentUser) -> impl IntoView {
    let query = use_query_map();
    let get = move |k: &str| query.read().get(k).filter(|v| !v.is_empty());
    let add = FormAction::new::<AddUser>();
    let actions = RowActions::new();
    let users = Resource::new(
        move || {
            (
                get("q"),
                get("before").and_then(|v| v.parse::<i64>().ok()),
                get("after").and_then(|v| v.parse::<i64>().ok()),
                get("done"),
                add.version(),
                actions.versions(),
            )
        },
        |(q, before, after, ..)| list_users(q, before, after),
    );
    let done_code = move || {
        get("done")
            .and_then(|d| UserDone::parse(&d))
            .map(done_message)
    };
    let done = Signal::derive(move || done_code()?.ok().map(|msg| t(msg).to_owned()));

    // Taken once: the server clears it as it hands it over.
    let made_link = Resource::new(move || actions.link.version(), |_| take_set_password_link());
    let row_error = actions.error();
    let error = Signal::derive(move || {
        row_error
            .get()
            .or_else(|| done_code()?.err().map(|msg| t(msg).to_owned()))
    });
    view! {
        <h1>{t(Msg::AdminUsersTitle)}</h1>
        <FormMessage error success=done/>
        <PasswordAgainLink back="/admin/users" errors=Signal::derive(move || vec![
            add.last_error(), actions.update.last_error(), actions.link.last_error(),
        ])/>
        <Suspense>
            {move || Suspend::new(async move {
                made_link.await.ok().flatten().map(|(email, link)| view! {
                    <section id="set-password-link-box" class="card notice" aria-labelledby="set-password-link-heading">
                        <h2 id="set-password-link-heading">{tf(Msg::AdminUsersLinkHeading, &[("email", &email)])}</h2>
                        <p>{t(Msg::AdminUsersLinkHelp)}</p>
                        <div class="field">
                            <label for="set-password-link">{t(Msg::AdminUsersLinkLabel)}</label>
                            <input id="set-password-link" type="text" readonly value=link/>
                        </div>
                    </section>
                })
            })}
        </Suspense>
        <SearchBox value=Signal::derive(move || get("q").unwrap_or_default())/>
        <AddUserForm add error=add.error()/>
        <Invitations actions/>
        <Suspense fallback=|| view! { <p>{t(Msg::CommonLoading)}</p> }>
            {move || {
                let me = me.clone();
                Suspend::new(async move {
                    match users.await {
                        Err(e) => view! { <div class="alert alert-error" role="alert">{e.message()}</div> }.into_any(),
                        Ok(page) => view! { <UsersPage page me=me.id actions query=get("q")/> }.into_any(),
                    }
                })
            }}
        </Suspense>
    }
}

/// The newest invitations and what became of them; a pending or expired one
/// can be sent again (a fresh link that voids the old one).
#[component]
fn Invitations(actions: RowActions) -> impl IntoView {
    let invitations = Resource::new(move || actions.versions(), |_| list_invitations());
    view! {
        <details class="card" id="invitations">
            <summary>{t(Msg::AdminUsersInvitations)}</summary>
            <Suspense fallback=|| view! { <p>{t(Msg::CommonLoading)}</p> }>
                {move || Suspend::new(async move {
                    match invitations.await {
                        Err(e) => view! { <div class="alert alert-error" role="alert">{e.message()}</div> }.into_any(),
                        Ok(list) if list.is_empty() => view! { <p class="muted">{t(Msg::AdminUsersNoInvitations)}</p> }.into_any(),
                        Ok(list) => view! {
                            <DataTable id="invitations-table" caption=t(Msg::AdminUsersInvitationsCaption)>
                                <thead><tr>
                                    <th scope="col">{t(Msg::FieldsEmail)}</th><th scope="col">{t(Msg::FieldsName)}</th><th scope="col">{t(Msg::AdminUsersSent)}</th>
                                    <th scope="col">{t(Msg::AdminUsersState)}</th><th scope="col">{t(Msg::AdminActions)}</th>
                                </tr></thead>
                                <tbody>
                                    {list.into_iter().map(|i| view! { <InvitationRow invitation=i resend=actions.reset/> }).collect_view()}
                                </tbody>
                            </DataTable>
                        }.into_any(),
                    }
                })}
            </Suspense>
        </details>
    }
}

#[component]
fn InvitationRow(invitation: Invitation, resend: FormAction) -> impl IntoView {
    let id = invitation.user_id;
    let state = match invitation.state {
        InvitationState::Pending => tf(
            Msg::AdminUsersPendingUntil,
            &[("date", &invitation.expires)],
        ),
        InvitationState::Expired => t(Msg::AdminUsersExpired).to_owned(),
        InvitationState::Accepted => t(Msg::AdminUsersAccepted).to_owned(),
        InvitationState::Replaced => t(Msg::AdminUsersReplaced).to_owned(),
    };
    let can_resend = matches!(
        invitation.state,
        InvitationState::Pending | InvitationState::Expired
    );
    let sending = resend.busy_with(id);
    view! {
        <tr>
            <td>{invitation.email}</td>
            <td>{invitation.name}</td>
            <td>{invitation.sent}</td>
            <td>{state}</td>
            <td class="row-actions">
                {can_resend.then(|| view! {
                    <PostForm action=resend attr:class="inline-form">
                        <input type="hidden" name="id" value=id/>
                        <SubmitButton label=t(Msg::AdminUsersResend) pending=sending class="button secondary"/>
                    </PostForm>
                })}
            </td>
        </tr>
    }
}

/// The search box: a GET form without JavaScript; with it, the list follows
/// as the admin types (debounced).
#[component]
fn SearchBox(value: Signal<String>) -> impl IntoView {
    let navigate = use_navigate();
    let pending_search = StoredValue::new(None::<TimeoutHandle>);
    let on_search = move |ev: leptos::ev::Event| {
        let value = event_target_value(&ev);
        if let Some(handle) = pending_search.get_value() {
            handle.clear();
        }
        let navigate = navigate.clone();
        let url = if value.trim().is_empty() {
            "/admin/users".to_owned()
        } else {
            format!("/admin/users?q={}", encode_query(value.trim()))
        };
        let handle = set_timeout_with_handle(
            move || {
                navigate(
                    &url,
                    NavigateOptions {
                        replace: true,
                        scroll: false,
                        ..Default::default()
                    },
                )
            },
            std::time::Duration::from_millis(300),
        )
        .ok();
        pending_search.set_value(handle);
    };
    view! {
        <form method="get" action="/admin/users" class="toolbar" role="search">
            <label for="user-search" class="visually-hidden">{t(Msg::AdminUsersSearchLabel)}</label>
            <input
                id="user-search"
                name="q"
                type="search"
                placeholder=t(Msg::AdminUsersSearchPlaceholder)
                value=value
                on:input=on_search
            />
            <button type="submit" class="button secondary">{t(Msg::AdminUsersSearch)}</button>
        </form>
    }
}

/// One page of the list, with links to the newer and older pages.
#[component]
fn UsersPage(page: UserPage, me: i64, actions: RowActions, query: Option<String>) -> impl IntoView {
    let q = query
        .map(|q| format!("&q={}", encode_query(&q)))
        .unwrap_or_default();
    let newer = page.newer.map(|id| format!("/admin/users?after={id}{q}"));
    let older = page.older.map(|id| format!("/admin/users?before={id}{q}"));
    let empty = page.users.is_empty();
    view! {
        {empty.then(|| view! {
            <p class="muted">
                {t(if older.is_some() || newer.is_some() {
                    Msg::AdminUsersNoMatchHere
                } else {
                    Msg::AdminUsersNoMatch
                })}
            </p>
        })}
        <DataTable id="users-table" caption=t(Msg::AdminUsersTableCaption)>
            <thead><tr>
                <th scope="col">{t(Msg::FieldsName)}</th><th scope="col">{t(Msg::FieldsEmail)}</th><th scope="col">{t(Msg::FieldsRole)}</th>
                <th scope="col">{t(Msg::AdminUsersStatus)}</th><th scope="col">{t(Msg::AdminUsersTwoStep)}</th><th scope="col">{t(Msg::AdminUsersLastLogin)}</th><th scope="col">{t(Msg::AdminUsersCreated)}</th>
                <th scope="col">{t(Msg::AdminActions)}</th>
            </tr></thead>
            <tbody>
                {page.users.into_iter().map(|u| {
                    let is_me = u.id == me;
                    view! { <UserRow user=u is_me actions/> }
                }).collect_view()}
            </tbody>
        </DataTable>
        <nav class="pager" aria-label=t(Msg::AdminPages)>
            {newer.map(|href| view! { <a href=href rel="prev">{t(Msg::AdminUsersNewer)}</a> })}
            {older.map(|href| view! { <a href=href rel="next">{t(Msg::AdminUsersOlder)}</a> })}
        </nav>
    }
}

#[component]
fn AddUserForm(add: FormAction, error: Signal<Option<AppError>>) -> impl IntoView {
    view! {
        <details class="card add-user" open=move || error.get().is_some()>
            <summary>{t(Msg::AdminUsersAddHeading)}</summary>
            <FormMessage error=form_error(error)/>
            <PostForm action=add attr:class="form stack" attr:novalidate=true>
                <FormField id="add-email" name="email" label=t(Msg::FieldsEmail) input_type="email"
                    autocomplete="off" error=field_error(error, Field::Email)/>
                <FormField id="add-name" name="name" label=t(Msg::FieldsName) autocomplete="off"
                    error=field_error(error, Field::Name)/>
                <div class="field">
                    <label for="add-role">{t(Msg::FieldsRole)}</label>
                    <RoleOptions id="add-role".into() selected=Role::User/>
                </div>
                <LanguageField error=field_error(error, Field::Language)/>
                <fieldset class="choice">
                    <legend>{t(Msg::AdminUsersHowPassword)}</legend>
                    <div>
                        <input type="radio" id="setup-invite" name="setup" value=FirstPasswordChoice::Invite.as_str() checked/>
                        <label for="setup-invite">{t(Msg::AdminUsersInviteChoice)}</label>
                        <p class="help">{t(Msg::AdminUsersInviteHelp)}</p>
                    </div>
                    <div>
                        <input type="radio" id="setup-here" name="setup" value=FirstPasswordChoice::Here.as_str()/>
                        <label for="setup-here">{t(Msg::AdminUsersHereChoice)}</label>
                        <p class="help">{t(Msg::AdminUsersHereHelp)}</p>
                    </div>
                    <p class="field-error" aria-live="polite">
                        {move || error.get().and_then(|e| e.field_message(Field::Setup)).unwrap_or_default()}
                    </p>
                </fieldset>
                <div class="here-only stack">
                    <PasswordField id="add-password" name="password" label=t(Msg::AdminUsersTheirPassword)
                        error=field_error(error, Field::Password)/>
                    <FormField id="add-confirm" name="confirm_password" label=t(Msg::AdminUsersConfirmTheirPassword)
                        input_type="password" autocomplete="new-password"
                        error=field_error(error, Field::ConfirmPassword)/>
                </div>
                <SubmitButton label=t(Msg::AdminUsersAdd) pending=add.pending()/>
            </PostForm>
        </details>
    }
}

#[component]
fn UserRow(user: UserSummary, is_me: bool, actions: RowActions) -> impl IntoView {
    let id = user.id;
    let RowActions {
        update,
        disable,
        enable,
        delete,
        reset,
        link,
        two_step_off,
        groups,
        editing,
    } = actions;
    let groups_error = Signal::derive(move || {
        (groups.submitted_id() == Some(id))
            .then(|| {
                groups
                    .last_error()
                    .and_then(|e| e.field_message(Field::Groups))
            })
            .flatten()
    });
    let saving_groups = groups.busy_with(id);
    let group_names = user.groups.join(" ");
    let groups_text = if user.groups.is_empty() {
        t(Msg::AdminUsersNoGroups).to_owned()
    } else {
        user.groups.join(", ")
    };
    let edit_error = Signal::derive(move || {
        if editing.get() == Some(id) {
            update
                .last_error()
                .filter(|e| matches!(e, AppError::Validation(_)))
        } else {
            None
        }
    });
    let (disabling, enabling, deleting) = (
        disable.busy_with(id),
        enable.busy_with(id),
        delete.busy_with(id),
    );
    let (resetting, saving, linking) = (
        reset.busy_with(id),
        update.busy_with(id),
        link.busy_with(id),
    );
    let role_class = match user.role {
        Role::SiteAdmin => "badge admin",
        Role::User => "badge",
    };
    let status = match (user.active, user.has_password) {
        (false, _) => ("badge disabled", t(Msg::AdminUsersDisabled)),
        (true, false) => ("badge", t(Msg::AdminUsersInvited)),
        (true, true) => ("badge active", t(Msg::AdminUsersActive)),
    };
    let email = user.email.clone();
    let delete_label = tf(Msg::AdminUsersDeleteConfirm, &[("email", &user.email)]);
    let two_step_label = tf(Msg::AdminUsersTwoStepConfirm, &[("email", &user.email)]);
    let two_step = user.two_step;
    let two_step_text = if two_step.on() {
        let mut kinds = Vec::new();
        if two_step.app {
            kinds.push(t(Msg::AdminUsersTwoStepApp).to_owned());
        }
        if two_step.passkeys > 0 {
            let n = two_step.passkeys;
            kinds.push(tn(
                Plural::AdminUsersTwoStepPasskeys,
                n,
                &[("count", &n.to_string())],
            ));
        }
        kinds.join(", ")
    } else {
        t(Msg::AdminUsersTwoStepOff).to_owned()
    };
    let turning_off = two_step_off.busy_with(id);
    let name = user.name.clone();
    view! {
        <tr id=format!("user-{id}")>
            <td>{user.name.clone()}</td>
            <td>
                {user.email.clone()}
                {user.mail_failed.clone().map(|at| view! {
                    " " <a class="badge disabled" href="/admin/mail" title=t(Msg::AdminUsersMailFailedHelp)>{tf(Msg::AdminUsersMailFailed, &[("date", &at)])}</a>
                })}
            </td>
            <td><span class=role_class>{user.role.label()}</span></td>
            <td><span class=status.0>{status.1}</span></td>
            <td><span class=if two_step.on() { "badge active" } else { "badge" }>{two_step_text}</span></td>
            <td>{user.last_login.clone().unwrap_or_else(|| t(Msg::AdminUsersNever).into())}</td>
            <td>{user.created.clone()}</td>
            <td class="row-actions">
                <details open=move || edit_error.get().is_some()>
                    <summary>{t(Msg::AdminEdit)}</summary>
                    <PostForm action=update attr:class="form stack" attr:novalidate=true>
                        <input type="hidden" name="id" value=id/>
                        <div class="field">
                            <label for=format!("edit-email-{id}")>{t(Msg::FieldsEmail)}</label>
                            <input id=format!("edit-email-{id}") name="email" type="email" value=email/>
                            <p class="field-error" aria-live="polite">
                                {move || edit_error.get().and_then(|e| e.field_message(Field::Email)).unwrap_or_default()}
                            </p>
                        </div>
                        <div class="field">
                            <label for=format!("edit-name-{id}")>{t(Msg::FieldsName)}</label>
                            <input id=format!("edit-name-{id}") name="name" type="text" value=name/>
                            <p class="field-error" aria-live="polite">
                                {move || edit_error.get().and_then(|e| e.field_message(Field::Name)).unwrap_or_default()}
                            </p>
                        </div>
                        <div class="field">
                            <label for=format!("edit-role-{id}")>{t(Msg::FieldsRole)}</label>
                            <RoleOptions id=format!("edit-role-{id}") selected=user.role/>
                        </div>
                        <SubmitButton label=t(Msg::AdminSave) pending=saving/>
                    </PostForm>
                </details>
                <details open=move || groups_error.get().is_some()>
                    <summary>{tf(Msg::AdminAppsGroupsList, &[("groups", &groups_text)])}</summary>
                    <PostForm action=groups attr:class="form stack" attr:novalidate=true>
                        <input type="hidden" name="id" value=id/>
                        <div class="field">
                            <label for=format!("edit-groups-{id}")>{t(Msg::AdminUsersGroups)}</label>
                            <input id=format!("edit-groups-{id}") name="groups" type="text" value=group_names
                                autocomplete="off" spellcheck="false"
                                aria-describedby=format!("edit-groups-{id}-help edit-groups-{id}-error")
                                aria-invalid=move || groups_error.get().map(|_| "true")/>
                            <p class="help" id=format!("edit-groups-{id}-help")>{t(Msg::AdminUsersGroupsHelp)}</p>
                            <p class="field-error" id=format!("edit-groups-{id}-error") aria-live="polite">
                                {move || groups_error.get().unwrap_or_default()}
                            </p>
                        </div>
                        <SubmitButton label=t(Msg::AdminUsersSaveGroups) pending=saving_groups/>
                    </PostForm>
                </details>
                {(!is_me).then(|| if user.active {
                    view! {
                        <PostForm action=disable attr:class="inline-form">
                            <input type="hidden" name="id" value=id/>
                            <SubmitButton label=t(Msg::AdminUsersDisable) pending=disabling class="button secondary"/>
                        </PostForm>
                    }.into_any()
                } else {
                    view! {
                        <PostForm action=enable attr:class="inline-form">
                            <input type="hidden" name="id" value=id/>
                            <SubmitButton label=t(Msg::AdminUsersEnable) pending=enabling class="button secondary"/>
                        </PostForm>
                    }.into_any()
                })}
                {user.active.then(|| view! {
                    <PostForm action=reset attr:class="inline-form">
                        <input type="hidden" name="id" value=id/>
                        <SubmitButton label=t(Msg::AdminUsersSendReset) pending=resetting class="button secondary"/>
                    </PostForm>
                })}
                // No admin gets a link that sets another site admin's password.
                {(user.active && (is_me || user.role != Role::SiteAdmin)).then(|| view! {
                    <PostForm action=link attr:class="inline-form">
                        <input type="hidden" name="id" value=id/>
                        <SubmitButton label=t(Msg::AdminUsersMakeLink) pending=linking class="button secondary"/>
                    </PostForm>
                })}
                {(!is_me && two_step.on()).then(move || view! {
                    <details>
                        <summary>{t(Msg::AdminUsersTwoStepTurnOff)}</summary>
                        <PostForm action=two_step_off attr:class="form stack">
                            <input type="hidden" name="id" value=id/>
                            <p class="help">{t(Msg::AdminUsersTwoStepTurnOffHelp)}</p>
                            <div>
                                <input type="checkbox" id=format!("confirm-two-step-{id}") name="confirm" value="yes" required/>
                                <label for=format!("confirm-two-step-{id}")>{two_step_label}</label>
                            </div>
                            <SubmitButton label=t(Msg::AdminUsersTwoStepTurnOff) pending=turning_off class="button danger"/>
                        </PostForm>
                    </details>
                })}
                {(!is_me).then(move || view! {
                    <details>
                        <summary>{t(Msg::AdminUsersDelete)}</summary>
                        <PostForm action=delete attr:class="form stack">
                            <input type="hidden" name="id" value=id/>
                            <div>
                                <input type="checkbox" id=format!("confirm-delete-{id}") name="confirm" value="yes" required/>
                                <label for=format!("confirm-delete-{id}")>{delete_label}</label>
                            </div>
                            <SubmitButton label=t(Msg::AdminUsersDeleteSubmit) pending=deleting class="button danger"/>
                        </PostForm>
                    </details>
                })}
            </td>
        </tr>
    }
}

/// The role choice, with an option for every role.
#[component]
fn RoleOptions(id: String, selected: Role) -> impl IntoView {
    view! {
        <select id=id name="role">
            {Role::ALL.into_iter().map(|role| view! {
                <option value=role.as_str() selected=role == selected>{role.label()}</option>
            }).collect_view()}
        </select>
    }
}

/// The language of a new person's mail (field `language`): the site's
/// default first, each language named in itself.
#[component]
fn LanguageField(error: Signal<Option<String>>) -> impl IntoView {
    let languages = OnceResource::new(crate::api::auth::get_languages());
    view! {
        <Suspense>
            {move || Suspend::new(async move {
                languages.await.ok().filter(|l| l.len() > 1).map(|languages| view! {
                    <div class="field">
                        <label for="add-language">{t(Msg::FieldsLanguage)}</label>
                        <select id="add-language" name="language" aria-describedby="add-language-help">
                            {languages.into_iter().map(|option| view! {
                                <option value=option.tag.clone() lang=option.tag>{option.name}</option>
                            }).collect_view()}
                        </select>
                        <p class="help" id="add-language-help">{t(Msg::AdminUsersLanguageHelp)}</p>
                        <p class="field-error" aria-live="polite">{move || error.get().unwrap_or_default()}</p>
                    </div>
                })
            })}
        </Suspense>
    }
}
