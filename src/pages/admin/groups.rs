//! `/admin/groups`: make and delete groups, and see, search, add and remove
//! a group's members (`?group=NAME`, searched with `q`, paged with
//! `before`). Plain forms and links without JavaScript; with it, the lists
//! follow each change in place.

use super::{admin_only, encode_query};
use crate::{
    api::admin_groups::{
        group_members, list_groups, AddGroupMember, CreateGroup, DeleteGroup, RemoveGroupMember,
    },
    components::{DataTable, FormAction, FormField, FormMessage, PostForm, SubmitButton},
    domain::{GroupDone, GroupMember, GroupSummary, MembersPage},
    error::{AppError, Field},
    i18n::{t, tf, Msg},
    pages::{field_error, form_error},
};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::{use_navigate, use_query_map};

lazy_page!(AdminGroupsRoute, AdminGroupsPage);

#[component]
fn AdminGroupsPage() -> impl IntoView {
    view! {
        <Title text=t(Msg::AdminGroupsTitle)/>
        {admin_only("%2Fadmin%2Fgroups", |_| view! { <GroupsAdmin/> })}
    }
}

fn done_message(done: GroupDone) -> Msg {
    match done {
        GroupDone::Created => Msg::AdminGroupsDoneCreated,
        GroupDone::Deleted => Msg::AdminGroupsDoneDeleted,
        GroupDone::MemberAdded => Msg::AdminGroupsDoneMemberAdded,
        GroupDone::MemberRemoved => Msg::AdminGroupsDoneMemberRemoved,
    }
}

#[derive(Clone, Copy)]
struct Actions {
    create: FormAction,
    delete: FormAction,
    add: FormAction,
    remove: FormAction,
}

impl Actions {
    fn versions(self) -> [usize; 4] {
        [
            self.create.version(),
            self.delete.version(),
            self.add.version(),
            self.remove.version(),
        ]
    }
}

#[component]
fn GroupsAdmin() -> impl IntoView {
    let query = use_query_map();
    let get = move |k: &str| query.read().get(k).filter(|v| !v.is_empty());
    let actions = Actions {
        create: FormAction::new::<CreateGroup>(),
        delete: FormAction::new::<DeleteGroup>(),
        add: FormAction::new::<AddGroupMember>(),
        remove: FormAction::new::<RemoveGroupMember>(),
    };
    let groups = Resource::new(move || (get("done"), actions.versions()), |_| list_groups());
    let members = Resource::new(
        move || {
            (
                get("group"),
                get("q"),
                get("before").and_then(|b| b.parse::<i64>().ok()),
                get("done"),
                actions.versions(),
            )
        },
        |(group, q, before, ..)| async move {
            match group {
                Some(group) => group_members(group, q, before).await.map(Some),
                None => Ok(None),
            }
        },
    );
    let done = Signal::derive(move || {
        get("done")
            .and_then(|d| GroupDone::parse(&d))
            .map(|done| t(done_message(done)).to_owned())
    });
    // A row's or the members' refusal that has no field of its own here.
    let error = Signal::derive(move || {
        let delete = actions
            .delete
            .last_error()
            .filter(|e| e.field_message(Field::Confirm).is_none());
        let remove = actions.remove.last_error();
        delete.or(remove).map(|e: AppError| e.message())
    });
    let create_error = actions.create.error();
    view! {
        <h1>{t(Msg::AdminGroupsTitle)}</h1>
        <p class="lead">{t(Msg::AdminGroupsIntro)}</p>
        <FormMessage error success=done/>
        <details class="card" open=move || create_error.get().is_some()>
            <summary>{t(Msg::AdminGroupsMakeHeading)}</summary>
            <FormMessage error=form_error(create_error)/>
            <PostForm action=actions.create attr:class="form stack" attr:novalidate=true>
                <FormField id="group-name" name="name" label=t(Msg::FieldsName) autocomplete="off"
                    error=field_error(create_error, Field::Name)/>
                <p class="help">{t(Msg::AdminGroupsNameHelp)}</p>
                <SubmitButton label=t(Msg::AdminGroupsMake) pending=actions.create.pending()/>
            </PostForm>
        </details>
        <Suspense fallback=|| view! { <p>{t(Msg::CommonLoading)}</p> }>
            {move || Suspend::new(async move {
                match groups.await {
                    Err(e) => view! { <div class="alert alert-error" role="alert">{e.message()}</div> }.into_any(),
                    Ok(list) if list.is_empty() => view! { <p class="muted">{t(Msg::AdminGroupsNoGroups)}</p> }.into_any(),
                    Ok(list) => view! { <GroupsTable list delete=actions.delete/> }.into_any(),
                }
            })}
        </Suspense>
        <Suspense fallback=|| view! { <p>{t(Msg::CommonLoading)}</p> }>
            {move || Suspend::new(async move {
                match members.await {
                    Err(e) => Some(view! { <div class="alert alert-error" role="alert">{e.message()}</div> }.into_any()),
                    Ok(None) => None,
                    Ok(Some(page)) => Some(view! { <Members page q=get("q") actions/> }.into_any()),
                }
            })}
        </Suspense>
    }
}

#[component]
fn GroupsTable(list: Vec<GroupSummary>, delete: FormAction) -> impl IntoView {
    view! {
        <DataTable id="groups-table" caption=t(Msg::AdminGroupsTableCaption)>
            <thead><tr>
                <th scope="col">{t(Msg::FieldsName)}</th><th scope="col">{t(Msg::AdminGroupsMembers)}</th>
                <th scope="col">{t(Msg::AdminActions)}</th>
            </tr></thead>
            <tbody>
                {list.into_iter().map(|group| view! { <GroupRow group delete/> }).collect_view()}
            </tbody>
        </DataTable>
    }
}

#[component]
fn GroupRow(group: GroupSummary, delete: FormAction) -> impl IntoView {
    let name = group.name.clone();
    let mine = {
        let name = name.clone();
        move || delete.submitted("name").as_deref() == Some(name.as_str())
    };
    let confirm_error = {
        let mine = mine.clone();
        Signal::derive(move || {
            mine()
                .then(|| {
                    delete
                        .last_error()
                        .and_then(|e| e.field_message(Field::Confirm))
                })
                .flatten()
        })
    };
    let deleting = {
        let mine = mine.clone();
        Signal::derive(move || delete.pending().get() && mine())
    };
    let confirm_id = format!("confirm-delete-{name}");
    let label = tf(Msg::AdminGroupsDeleteConfirm, &[("group", &name)]);
    let (row_id, href) = (
        format!("group-{name}"),
        format!("/admin/groups?group={name}"),
    );
    view! {
        <tr id=row_id>
            <td><a href=href>{name.clone()}</a></td>
            <td>{group.members}</td>
            <td class="row-actions">
                <details open=move || confirm_error.get().is_some()>
                    <summary>{t(Msg::AdminGroupsDelete)}</summary>
                    <PostForm action=delete attr:class="form stack">
                        <input type="hidden" name="name" value=name.clone()/>
                        <div>
                            <input type="checkbox" id=confirm_id.clone() name="confirm" value="yes" required/>
                            <label for=confirm_id>{label}</label>
                        </div>
                        <p class="field-error" aria-live="polite">{move || confirm_error.get().unwrap_or_default()}</p>
                        <SubmitButton label=t(Msg::AdminGroupsDeleteSubmit) pending=deleting class="button danger"/>
                    </PostForm>
                </details>
            </td>
        </tr>
    }
}

/// The chosen group's members: add one, search them, take one out.
#[component]
fn Members(page: MembersPage, q: Option<String>, actions: Actions) -> impl IntoView {
    let group = page.group.clone();
    let add_error = actions.add.error();
    let older = page.older.map(|id| {
        let q = q
            .as_deref()
            .map(|q| format!("&q={}", encode_query(q)))
            .unwrap_or_default();
        format!("/admin/groups?group={group}{q}&before={id}")
    });
    let empty = page.members.is_empty();
    let searched = q.is_some();
    let heading = tf(Msg::AdminGroupsMembersOf, &[("group", &group)]);
    // With JavaScript the search stays on the page (the router's own
    // navigation); without it the form's GET does the same.
    let search = NodeRef::<leptos::html::Input>::new();
    let on_search = {
        let (navigate, group) = (use_navigate(), group.clone());
        move |ev: leptos::ev::SubmitEvent| {
            ev.prevent_default();
            let q = search.get().map(|input| input.value()).unwrap_or_default();
            let q = q.trim();
            let url = if q.is_empty() {
                format!("/admin/groups?group={group}")
            } else {
                format!("/admin/groups?group={group}&q={}", encode_query(q))
            };
            navigate(&url, Default::default());
        }
    };
    let (group_add, group_search) = (group.clone(), group.clone());
    view! {
        <section class="card" id="group-members" aria-labelledby="group-members-heading">
            <h2 id="group-members-heading">{heading}</h2>
            {page.count.map(|count| view! {
                <p>{tf(Msg::AdminGroupsMemberCount, &[("count", &count.to_string())])}</p>
            })}
            <h3>{t(Msg::AdminGroupsAddMember)}</h3>
            <FormMessage error=Signal::derive(move || {
                add_error.get().filter(|e| e.field_message(Field::Email).is_none()).map(|e| e.message())
            })/>
            <PostForm action=actions.add attr:class="form stack" attr:novalidate=true>
                <input type="hidden" name="group" value=group_add/>
                <FormField id="member-email" name="email" label=t(Msg::FieldsEmail) input_type="email"
                    autocomplete="off" error=field_error(add_error, Field::Email)/>
                <SubmitButton label=t(Msg::AdminGroupsAddMemberSubmit) pending=actions.add.pending()/>
            </PostForm>
            <form method="get" action="/admin/groups" class="toolbar" role="search" on:submit=on_search>
                <input type="hidden" name="group" value=group_search/>
                <label for="member-search" class="visually-hidden">{t(Msg::AdminGroupsSearchLabel)}</label>
                <input id="member-search" name="q" type="search" value=q.clone().unwrap_or_default()
                    placeholder=t(Msg::AdminGroupsSearchLabel) node_ref=search/>
                <button type="submit" class="button secondary">{t(Msg::AdminGroupsSearch)}</button>
            </form>
            {empty.then(|| view! {
                <p class="muted">{t(if searched { Msg::AdminGroupsNoMatch } else { Msg::AdminGroupsNoMembers })}</p>
            })}
            {(!empty).then(|| view! {
                <DataTable id="members-table" caption=t(Msg::AdminGroupsMembers)>
                    <thead><tr>
                        <th scope="col">{t(Msg::FieldsName)}</th><th scope="col">{t(Msg::FieldsEmail)}</th>
                        <th scope="col">{t(Msg::AdminActions)}</th>
                    </tr></thead>
                    <tbody>
                        {page.members.into_iter().map(|member| {
                            view! { <MemberRow member group=group.clone() remove=actions.remove/> }
                        }).collect_view()}
                    </tbody>
                </DataTable>
            })}
            <nav class="pager" aria-label=t(Msg::AdminPages)>
                {older.map(|href| view! { <a href=href rel="next">{t(Msg::AdminGroupsOlder)}</a> })}
            </nav>
        </section>
    }
}

#[component]
fn MemberRow(member: GroupMember, group: String, remove: FormAction) -> impl IntoView {
    let label = tf(
        Msg::AdminGroupsRemoveLabel,
        &[("email", &member.email), ("group", &group)],
    );
    let removing = {
        let email = member.email.clone();
        Signal::derive(move || {
            remove.pending().get()
                && remove
                    .submitted("email")
                    .is_some_and(|e| e.replace("%40", "@").eq_ignore_ascii_case(&email))
        })
    };
    view! {
        <tr id=format!("member-{}", member.id)>
            <td>{member.name}</td>
            <td>{member.email.clone()}</td>
            <td class="row-actions">
                <PostForm action=remove attr:class="inline-form">
                    <input type="hidden" name="group" value=group/>
                    <input type="hidden" name="email" value=member.email/>
                    <SubmitButton label=t(Msg::AdminGroupsRemove) pending=removing
                        class="button secondary" attr:aria-label=label/>
                </PostForm>
            </td>
        </tr>
    }
}
