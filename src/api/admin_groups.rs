//! The admin panel's groups: make and delete them, put people in and out,
//! and set one person's groups from their row on `/admin/users`. Each
//! action checks on the server that the caller is an active site admin.

use crate::{
    domain::{GroupSummary, MembersPage},
    error::AppError,
};
use leptos::prelude::*;

#[server(prefix = "/api", endpoint = "admin/list_groups", output = crate::api::Answer)]
pub async fn list_groups() -> Result<Vec<GroupSummary>, AppError> {
    use crate::server::{admin::groups, http::request};
    let state = request::state()?;
    request::require_admin(&state).await?;
    Ok(groups::list(&state).await?)
}

/// A page of the group's members, below the account id `before`; only
/// those whose email or name holds `q`, if it is given.
#[server(prefix = "/api", endpoint = "admin/group_members", output = crate::api::Answer)]
pub async fn group_members(
    group: String,
    q: Option<String>,
    before: Option<i64>,
) -> Result<MembersPage, AppError> {
    use crate::server::{admin::groups, http::request};
    let state = request::state()?;
    request::require_admin(&state).await?;
    let name = crate::domain::GroupName::parse(&group).map_err(|_| AppError::NotFound)?;
    Ok(groups::members(&state, &name, q.as_deref(), before).await?)
}

#[cfg(feature = "ssr")]
fn group_name(
    name: &str,
    field: crate::error::Field,
) -> Result<crate::domain::GroupName, AppError> {
    crate::domain::GroupName::parse(name).map_err(|p| AppError::field(field, p))
}

#[server(prefix = "/api", endpoint = "admin/create_group", output = crate::api::Answer)]
pub async fn create_group(name: String) -> Result<(), AppError> {
    use crate::{
        domain::GroupDone,
        error::Field,
        server::{admin::groups, http::request},
    };
    let state = request::state()?;
    let admin = request::require_admin(&state).await?;
    let name = group_name(&name, Field::Name)?;
    groups::create(&state, Some(&admin), &name, &request::meta()).await?;
    request::redirect_back_with(GroupDone::Created.as_str(), "/admin/groups");
    Ok(())
}

#[server(prefix = "/api", endpoint = "admin/delete_group", output = crate::api::Answer)]
pub async fn delete_group(name: String, confirm: Option<String>) -> Result<(), AppError> {
    use crate::{
        domain::GroupDone,
        error::{Field, Problem},
        server::{admin::groups, http::request},
    };
    let state = request::state()?;
    let admin = request::require_admin(&state).await?;
    if confirm.as_deref() != Some("yes") {
        return Err(AppError::field(Field::Confirm, Problem::NotConfirmed));
    }
    let name = group_name(&name, Field::Name)?;
    groups::remove(&state, Some(&admin), &name, &request::meta()).await?;
    request::redirect_back_with(GroupDone::Deleted.as_str(), "/admin/groups");
    Ok(())
}

/// Puts the person with `email` in `group`.
#[server(prefix = "/api", endpoint = "admin/add_group_member", output = crate::api::Answer)]
pub async fn add_group_member(group: String, email: String) -> Result<(), AppError> {
    use crate::{domain::GroupDone, server::admin::groups::Membership};
    change_member(&group, &email, Membership::Add, GroupDone::MemberAdded).await
}

/// Takes the person with `email` out of `group`.
#[server(prefix = "/api", endpoint = "admin/remove_group_member", output = crate::api::Answer)]
pub async fn remove_group_member(group: String, email: String) -> Result<(), AppError> {
    use crate::{domain::GroupDone, server::admin::groups::Membership};
    change_member(&group, &email, Membership::Remove, GroupDone::MemberRemoved).await
}

/// Adds or removes a member for a site admin, then back to the page.
#[cfg(feature = "ssr")]
async fn change_member(
    group: &str,
    email: &str,
    change: crate::server::admin::groups::Membership,
    done: crate::domain::GroupDone,
) -> Result<(), AppError> {
    use crate::{
        error::Field,
        server::{admin::groups, http::request},
    };
    let state = request::state()?;
    let admin = request::require_admin(&state).await?;
    let name = group_name(group, Field::Name)?;
    let meta = request::meta();
    groups::change_member(&state, Some(&admin), &name, email, change, &meta).await?;
    request::redirect_back_with(done.as_str(), "/admin/groups");
    Ok(())
}

/// Gives the person with account `id` exactly the groups named in
/// `groups` (separated by spaces or commas; each must exist).
#[server(prefix = "/api", endpoint = "admin/set_user_groups", output = crate::api::Answer)]
pub async fn set_user_groups(id: i64, groups: Option<String>) -> Result<(), AppError> {
    use crate::{
        domain::UserDone,
        error::Field,
        server::{admin::groups, http::request},
    };
    let state = request::state()?;
    let admin = request::require_admin(&state).await?;
    let names = crate::domain::group::parse_group_names(&groups.unwrap_or_default())
        .map_err(|p| AppError::field(Field::Groups, p))?;
    groups::set_of_person(&state, &admin, id, &names, &request::meta()).await?;
    request::redirect_back_with(UserDone::GroupsSaved.as_str(), "/admin/users");
    Ok(())
}
