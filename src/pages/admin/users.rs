//! `/admin/users`: find, add, invite, edit, disable, enable and delete
//! users, and send them the standard reset email. Nothing here can set or
//! show another person's password.

use super::{admin_only, encode_query};
use crate::{
    api::admin_users::{
        list_invitations, list_users, take_set_password_link, AddUser, DeleteUser, DisableUser,
        EnableUser, MakeSetPasswordLink, SendResetEmail, UpdateUser,
    },
    components::{
        DataTable, FormAction, FormField, FormMessage, PasswordField, PostForm, SubmitButton,
    },
    domain::{CurrentUser, Invitation, InvitationState, Role, UserPage, UserSummary},
    error::{AppError, Field},
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
        <Title text="Users"/>
        {admin_only("%2Fadmin%2Fusers", |me| view! { <UsersAdmin me/> })}
    }
}

fn done_message(code: &str) -> Option<&'static str> {
    Some(match code {
        "invited" => "User added. They have been sent a link to set their password.",
        "added" => "User added with the password they typed.",
        "saved" => "Changes saved.",
        "disabled" => "User disabled. Their sessions have ended.",
        "enabled" => "User enabled. They can log in again.",
        "deleted" => "User deleted.",
        "reset_sent" => "Password reset email sent.",
        "link_made" => "Set-password link made.",
        _ => return None,
    })
}

/// A message the admin just had sent that did not go out, and what to do
/// instead.
fn mail_problem(code: &str) -> Option<&'static str> {
    Some(match code {
        "invite_refused" => "User added, but the mail server refused the invitation (its answer is on the Mail page). Use \"Make a set-password link\" in their row to give them a link another way.",
        "invite_queued" => "User added. The invitation is queued, but the mail server has not taken it yet (the Mail page says why). If it does not arrive, use \"Make a set-password link\" in their row.",
        "reset_refused" => "The mail server refused the password reset email (its answer is on the Mail page). Use \"Make a set-password link\" in the user's row to give them a link another way.",
        "reset_queued" => "The password reset email is queued, but the mail server has not taken it yet (the Mail page says why). If it does not arrive, use \"Make a set-password link\" in the user's row.",
        _ => return None,
    })
}

#[derive(Clone, Copy)]
struct RowActions {
    update: FormAction,
    disable: FormAction,
    enable: FormAction,
    delete: FormAction,
    reset: FormAction,
    link: FormAction,
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
    fn versions(self) -> [usize; 6] {
        [
            self.update.version(),
            self.disable.version(),
            self.enable.version(),
            self.delete.version(),
            self.reset.version(),
            self.link.version(),
        ]
    }

    /// The message of the last failure of a row's action. The edit form's
    /// field problems show at their fields instead.
    fn error(self) -> Signal<Option<String>> {
        Signal::derive(move || {
            let errors: [Option<AppError>; 6] = [
                self.update
                    .last_error()
                    .filter(|e| !matches!(e, AppError::Validation(_))),
                self.disable.last_error(),
                self.enable.last_error(),
                self.delete.last_error(),
                self.reset.last_error(),
                self.link.last_error(),
            ];
            errors.into_iter().flatten().next().map(|e| e.message())
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
    let done = Signal::derive(move || {
        get("done")
            .and_then(|d| done_message(&d))
            .map(str::to_owned)
    });

    // Taken once: the server clears it as it hands it over.
    let made_link = Resource::new(move || actions.link.version(), |_| take_set_password_link());
    let row_error = actions.error();
    let error = Signal::derive(move || {
        row_error.get().or_else(|| {
            get("done")
                .and_then(|d| mail_problem(&d))
                .map(str::to_owned)
        })
    });
    view! {
        <h1>"Users"</h1>
        <FormMessage error success=done/>
        <Suspense>
            {move || Suspend::new(async move {
                made_link.await.ok().flatten().map(|(email, link)| view! {
                    <section id="set-password-link-box" class="card notice" aria-labelledby="set-password-link-heading">
                        <h2 id="set-password-link-heading">{format!("Set-password link for {email}")}</h2>
                        <p>"Copy it now and pass it on by a way you trust: it is not shown again. It works once, like an invitation, and using it ends the user's other links."</p>
                        <div class="field">
                            <label for="set-password-link">"Link"</label>
                            <input id="set-password-link" type="text" readonly value=link/>
                        </div>
                    </section>
                })
            })}
        </Suspense>
        <SearchBox value=Signal::derive(move || get("q").unwrap_or_default())/>
        <AddUserForm add error=add.error()/>
        <Invitations actions/>
        <Suspense fallback=|| view! { <p>"Loading…"</p> }>
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
            <summary>"Invitations"</summary>
            <Suspense fallback=|| view! { <p>"Loading…"</p> }>
                {move || Suspend::new(async move {
                    match invitations.await {
                        Err(e) => view! { <div class="alert alert-error" role="alert">{e.message()}</div> }.into_any(),
                        Ok(list) if list.is_empty() => view! { <p class="muted">"No invitations yet."</p> }.into_any(),
                        Ok(list) => view! {
                            <DataTable id="invitations-table" caption="Invitations, newest first">
                                <thead><tr>
                                    <th scope="col">"Email"</th><th scope="col">"Name"</th><th scope="col">"Sent"</th>
                                    <th scope="col">"State"</th><th scope="col">"Actions"</th>
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
        InvitationState::Pending => format!("Pending (until {})", invitation.expires),
        InvitationState::Expired => "Expired".to_owned(),
        InvitationState::Accepted => "Accepted".to_owned(),
        InvitationState::Replaced => "Replaced by a newer link".to_owned(),
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
                        <SubmitButton label="Resend" pending=sending class="button secondary"/>
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
            <label for="user-search" class="visually-hidden">"Search users by email or name"</label>
            <input
                id="user-search"
                name="q"
                type="search"
                placeholder="Search by email or name"
                value=value
                on:input=on_search
            />
            <button type="submit" class="button secondary">"Search"</button>
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
                {if older.is_some() || newer.is_some() {
                    "No users match among these; the search can go further."
                } else {
                    "No users match."
                }}
            </p>
        })}
        <DataTable id="users-table" caption="Users, newest first">
            <thead><tr>
                <th scope="col">"Name"</th><th scope="col">"Email"</th><th scope="col">"Role"</th>
                <th scope="col">"Status"</th><th scope="col">"Last login"</th><th scope="col">"Created"</th>
                <th scope="col">"Actions"</th>
            </tr></thead>
            <tbody>
                {page.users.into_iter().map(|u| {
                    let is_me = u.id == me;
                    view! { <UserRow user=u is_me actions/> }
                }).collect_view()}
            </tbody>
        </DataTable>
        <nav class="pager" aria-label="Pages">
            {newer.map(|href| view! { <a href=href rel="prev">"Newer users"</a> })}
            {older.map(|href| view! { <a href=href rel="next">"Older users"</a> })}
        </nav>
    }
}

#[component]
fn AddUserForm(add: FormAction, error: Signal<Option<AppError>>) -> impl IntoView {
    view! {
        <details class="card add-user" open=move || error.get().is_some()>
            <summary>"Add a user"</summary>
            <FormMessage error=form_error(error)/>
            <PostForm action=add attr:class="form stack" attr:novalidate=true>
                <FormField id="add-email" name="email" label="Email" input_type="email"
                    autocomplete="off" error=field_error(error, Field::Email)/>
                <FormField id="add-name" name="name" label="Name" autocomplete="off"
                    error=field_error(error, Field::Name)/>
                <div class="field">
                    <label for="add-role">"Role"</label>
                    <select id="add-role" name="role">
                        <option value="user" selected>"User"</option>
                        <option value="site_admin">"Site admin"</option>
                    </select>
                </div>
                <fieldset class="choice">
                    <legend>"How will they get their password?"</legend>
                    <div>
                        <input type="radio" id="setup-invite" name="setup" value="invite" checked/>
                        <label for="setup-invite">"Send them a link to set their password (recommended)"</label>
                        <p class="help">"They choose their own password from an email. Nobody else ever knows it."</p>
                    </div>
                    <div>
                        <input type="radio" id="setup-here" name="setup" value="here"/>
                        <label for="setup-here">"They are here with me and will type it now"</label>
                        <p class="help">"Hand them the keyboard: only they should see what they type."</p>
                    </div>
                    <p class="field-error" aria-live="polite">
                        {move || error.get().and_then(|e| e.field_message(Field::Setup)).unwrap_or_default()}
                    </p>
                </fieldset>
                <div class="here-only stack">
                    <PasswordField id="add-password" name="password" label="Their password"
                        error=field_error(error, Field::Password)/>
                    <FormField id="add-confirm" name="confirm_password" label="Confirm their password"
                        input_type="password" autocomplete="new-password"
                        error=field_error(error, Field::ConfirmPassword)/>
                </div>
                <SubmitButton label="Add user" pending=add.pending()/>
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
        editing,
    } = actions;
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
    let (role_class, role_label) = match user.role {
        Role::SiteAdmin => ("badge admin", "Site admin"),
        Role::User => ("badge", "User"),
    };
    let status = match (user.active, user.has_password) {
        (false, _) => ("badge disabled", "Disabled"),
        (true, false) => ("badge", "Invited"),
        (true, true) => ("badge active", "Active"),
    };
    let email = user.email.clone();
    let delete_label = format!("Yes, delete {} for good", user.email);
    let name = user.name.clone();
    let is_admin = user.role == Role::SiteAdmin;
    view! {
        <tr id=format!("user-{id}")>
            <td>{user.name.clone()}</td>
            <td>
                {user.email.clone()}
                {user.mail_failed.clone().map(|at| view! {
                    " " <a class="badge disabled" href="/admin/mail" title="See the mail page for the mail server's answer">{format!("Mail failed {at}")}</a>
                })}
            </td>
            <td><span class=role_class>{role_label}</span></td>
            <td><span class=status.0>{status.1}</span></td>
            <td>{user.last_login.clone().unwrap_or_else(|| "Never".into())}</td>
            <td>{user.created.clone()}</td>
            <td class="row-actions">
                <details open=move || edit_error.get().is_some()>
                    <summary>"Edit"</summary>
                    <PostForm action=update attr:class="form stack" attr:novalidate=true>
                        <input type="hidden" name="id" value=id/>
                        <div class="field">
                            <label for=format!("edit-email-{id}")>"Email"</label>
                            <input id=format!("edit-email-{id}") name="email" type="email" value=email/>
                            <p class="field-error" aria-live="polite">
                                {move || edit_error.get().and_then(|e| e.field_message(Field::Email)).unwrap_or_default()}
                            </p>
                        </div>
                        <div class="field">
                            <label for=format!("edit-name-{id}")>"Name"</label>
                            <input id=format!("edit-name-{id}") name="name" type="text" value=name/>
                            <p class="field-error" aria-live="polite">
                                {move || edit_error.get().and_then(|e| e.field_message(Field::Name)).unwrap_or_default()}
                            </p>
                        </div>
                        <div class="field">
                            <label for=format!("edit-role-{id}")>"Role"</label>
                            <select id=format!("edit-role-{id}") name="role">
                                <option value="user" selected=!is_admin>"User"</option>
                                <option value="site_admin" selected=is_admin>"Site admin"</option>
                            </select>
                        </div>
                        <SubmitButton label="Save" pending=saving/>
                    </PostForm>
                </details>
                {(!is_me).then(|| if user.active {
                    view! {
                        <PostForm action=disable attr:class="inline-form">
                            <input type="hidden" name="id" value=id/>
                            <SubmitButton label="Disable" pending=disabling class="button secondary"/>
                        </PostForm>
                    }.into_any()
                } else {
                    view! {
                        <PostForm action=enable attr:class="inline-form">
                            <input type="hidden" name="id" value=id/>
                            <SubmitButton label="Enable" pending=enabling class="button secondary"/>
                        </PostForm>
                    }.into_any()
                })}
                {user.active.then(|| view! {
                    <PostForm action=reset attr:class="inline-form">
                        <input type="hidden" name="id" value=id/>
                        <SubmitButton label="Send password reset email" pending=resetting class="button secondary"/>
                    </PostForm>
                    <PostForm action=link attr:class="inline-form">
                        <input type="hidden" name="id" value=id/>
                        <SubmitButton label="Make a set-password link" pending=linking class="button secondary"/>
                    </PostForm>
                })}
                {(!is_me).then(move || view! {
                    <details>
                        <summary>"Delete"</summary>
                        <PostForm action=delete attr:class="form stack">
                            <input type="hidden" name="id" value=id/>
                            <div>
                                <input type="checkbox" id=format!("confirm-delete-{id}") name="confirm" value="yes" required/>
                                <label for=format!("confirm-delete-{id}")>{delete_label}</label>
                            </div>
                            <SubmitButton label="Delete user" pending=deleting class="button danger"/>
                        </PostForm>
                    </details>
                })}
            </td>
        </tr>
    }
}
