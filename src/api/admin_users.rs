//! The admin panel's user actions. Each checks on the server that the
//! caller is an active site admin. No parameter anywhere sets a password
//! for someone else: posted password fields are simply not read, except the
//! new user's own, typed by them when they are present in person.

use crate::{
    domain::{password::Secret, AuditPage, UserPage},
    error::AppError,
};
use leptos::prelude::*;

#[server(prefix = "/api", endpoint = "admin/list_users", output = crate::api::Answer)]
pub async fn list_users(
    q: Option<String>,
    before: Option<i64>,
    after: Option<i64>,
) -> Result<UserPage, AppError> {
    use crate::server::{admin::users, db::user_search::Page, http::request};
    let state = request::state()?;
    request::require_admin(&state).await?;
    let page = match (before, after) {
        (Some(b), _) => Page::Before(b),
        (None, Some(a)) => Page::After(a),
        (None, None) => Page::First,
    };
    Ok(users::list_users(&state, q.as_deref(), page).await?)
}

/// `setup` is `invite` (a "set your password" mail, the default) or `here`
/// (the new user types their password on the spot); `language` the
/// language of their mail (a tag; empty: the site's default).
#[server(prefix = "/api", endpoint = "admin/add_user", output = crate::api::Answer)]
pub async fn add_user(
    email: String,
    name: String,
    role: String,
    setup: String,
    password: Option<Secret>,
    confirm_password: Option<Secret>,
    language: Option<String>,
) -> Result<(), AppError> {
    use crate::server::{
        accounts::new_account::{InitialPassword, NewAccount},
        admin::users,
        http::request,
    };
    let state = request::state()?;
    let admin_user = request::require_admin(&state).await?;
    let typed = InitialPassword::Typed {
        password: password.unwrap_or_default(),
        confirm: confirm_password.unwrap_or_default(),
    };
    use crate::{
        domain::{FirstPasswordChoice, UserDone},
        error::{Field, Problem},
    };
    let choice = FirstPasswordChoice::parse(&setup)
        .ok_or(AppError::field(Field::Setup, Problem::InvalidChoice))?;
    let password = match choice {
        FirstPasswordChoice::Invite => InitialPassword::Invite,
        FirstPasswordChoice::Here => {
            // A password the admin typed is one the admin knows.
            request::require_recent_password(&state).await?;
            typed
        }
    };
    let account = NewAccount::parse(&state.settings, &email, &name, &role, password)?
        .in_language(&state.settings, language.as_deref().unwrap_or_default())?;
    let address = account.email.as_str().to_owned();
    users::add_user(&state, &admin_user, account, &request::meta()).await?;
    let done = match choice {
        FirstPasswordChoice::Invite => {
            use crate::server::admin::mail::{wait_for_invitation, Sent};
            match wait_for_invitation(&state, &address).await? {
                Sent::Yes => UserDone::Invited,
                Sent::Refused => UserDone::InviteRefused,
                Sent::NotYet => UserDone::InviteQueued,
            }
        }
        FirstPasswordChoice::Here => UserDone::Added,
    };
    request::redirect_back_with(done.as_str(), "/admin/users");
    Ok(())
}

#[server(prefix = "/api", endpoint = "admin/update_user", output = crate::api::Answer)]
pub async fn update_user(
    id: i64,
    email: String,
    name: String,
    role: String,
) -> Result<(), AppError> {
    use crate::server::{admin::users, http::request};
    let state = request::state()?;
    let admin_user = request::require_admin(&state).await?;
    let edit = users::ProfileEdit::parse(&email, &name, &role)?;
    let recent = request::recent_password(&state).await?;
    users::update_user(&state, &admin_user, id, edit, recent, &request::meta()).await?;
    request::redirect_back_with(crate::domain::UserDone::Saved.as_str(), "/admin/users");
    Ok(())
}

#[server(prefix = "/api", endpoint = "admin/disable_user", output = crate::api::Answer)]
pub async fn disable_user(id: i64) -> Result<(), AppError> {
    use crate::server::{admin::users, http::request};
    let state = request::state()?;
    let admin_user = request::require_admin(&state).await?;
    users::set_active(&state, &admin_user, id, false, &request::meta()).await?;
    request::redirect_back_with(crate::domain::UserDone::Disabled.as_str(), "/admin/users");
    Ok(())
}

#[server(prefix = "/api", endpoint = "admin/enable_user", output = crate::api::Answer)]
pub async fn enable_user(id: i64) -> Result<(), AppError> {
    use crate::server::{admin::users, http::request};
    let state = request::state()?;
    let admin_user = request::require_admin(&state).await?;
    users::set_active(&state, &admin_user, id, true, &request::meta()).await?;
    request::redirect_back_with(crate::domain::UserDone::Enabled.as_str(), "/admin/users");
    Ok(())
}

#[server(prefix = "/api", endpoint = "admin/delete_user", output = crate::api::Answer)]
pub async fn delete_user(id: i64, confirm: Option<String>) -> Result<(), AppError> {
    use crate::server::{admin::users, http::request};
    let state = request::state()?;
    let admin_user = request::require_admin(&state).await?;
    let confirmed = confirm.as_deref() == Some("yes");
    users::delete_user(&state, &admin_user, id, confirmed, &request::meta()).await?;
    request::redirect_back_with(crate::domain::UserDone::Deleted.as_str(), "/admin/users");
    Ok(())
}

#[server(prefix = "/api", endpoint = "admin/send_reset_email", output = crate::api::Answer)]
pub async fn send_reset_email(id: i64) -> Result<(), AppError> {
    use crate::server::{admin::users, http::request};
    let state = request::state()?;
    let admin_user = request::require_admin(&state).await?;
    let mail = users::send_reset(&state, &admin_user, id, &request::meta()).await?;
    use crate::server::admin::mail::{wait_for_message, Sent};
    let done = match wait_for_message(&state, mail).await? {
        Sent::Yes => crate::domain::UserDone::ResetSent,
        Sent::Refused => crate::domain::UserDone::ResetRefused,
        Sent::NotYet => crate::domain::UserDone::ResetQueued,
    };
    request::redirect_back_with(done.as_str(), "/admin/users");
    Ok(())
}

#[server(prefix = "/api", endpoint = "admin/list_audit", output = crate::api::Answer)]
pub async fn list_audit(
    event: Option<String>,
    user: Option<String>,
    before: Option<i64>,
) -> Result<AuditPage, AppError> {
    use crate::server::{admin::users, http::request};
    let state = request::state()?;
    request::require_admin(&state).await?;
    Ok(users::list_audit(&state, event.as_deref(), user.as_deref(), before).await?)
}

/// A set-password link for a user whose mail does not arrive, shown once
/// to the admin ([`take_set_password_link`]).
#[server(prefix = "/api", endpoint = "admin/make_set_password_link", output = crate::api::Answer)]
pub async fn make_set_password_link(id: i64) -> Result<(), AppError> {
    use crate::server::{admin::users, http::request};
    let state = request::state()?;
    let admin_user = request::require_admin(&state).await?;
    request::require_recent_password(&state).await?;
    let token = users::make_set_password_link(&state, &admin_user, id, &request::meta()).await?;
    request::HandOver::SetPasswordLink.give(&state, format!("{id}.{token}"));
    request::redirect_back_with(crate::domain::UserDone::LinkMade.as_str(), "/admin/users");
    Ok(())
}

/// The set-password link the admin just made (whose it is, and the link),
/// once.
#[server(prefix = "/api", endpoint = "admin/take_set_password_link", output = crate::api::Answer)]
pub async fn take_set_password_link() -> Result<Option<(String, String)>, AppError> {
    use crate::server::{admin::users, http::request};
    let state = request::state()?;
    request::require_admin(&state).await?;
    let Some(value) = request::HandOver::SetPasswordLink.take(&state) else {
        return Ok(None);
    };
    let Some((id, token)) = value.split_once('.') else {
        return Ok(None);
    };
    let Ok(id) = id.parse::<i64>() else {
        return Ok(None);
    };
    Ok(users::email_of(&state, id)
        .await?
        .map(|email| (email, users::set_password_link(&state, token))))
}

/// The newest invitations: pending, expired, accepted or replaced.
#[server(prefix = "/api", endpoint = "admin/list_invitations", output = crate::api::Answer)]
pub async fn list_invitations() -> Result<Vec<crate::domain::Invitation>, AppError> {
    use crate::server::{admin::users, http::request};
    let state = request::state()?;
    request::require_admin(&state).await?;
    Ok(users::list_invitations(&state).await?)
}

/// "Confirm it's you": the admin's password again, for the changes that
/// need it from the last five minutes; then back to `next` (an admin page).
#[server(prefix = "/api", endpoint = "admin/confirm_password", output = crate::api::Answer)]
pub async fn confirm_password(
    current_password: Secret,
    next: Option<String>,
) -> Result<(), AppError> {
    use crate::server::{admin::password_again, http::request};
    let state = request::state()?;
    let admin_user = request::require_admin(&state).await?;
    password_again::confirm(
        &state,
        &admin_user,
        request::session_id(&state).as_deref(),
        &current_password,
        &request::meta(),
    )
    .await?;
    let back = next
        .filter(|n| n.starts_with("/admin/") && !n.contains(['\\', '\r', '\n']))
        .unwrap_or_else(|| "/admin/users".to_owned());
    leptos_axum::redirect(&back);
    Ok(())
}
