//! The admin panel's apps (OpenID Connect clients). Each action checks on
//! the server that the caller is an active site admin.
//!
//! A new secret is shown once: the action hands it to the admin's own
//! browser in a short-lived cookie (HttpOnly, SameSite=Strict), and the page
//! takes it from there and clears it, so the server never keeps it, with
//! JavaScript or without.

use crate::{
    domain::{AppCredentials, AppSummary},
    error::AppError,
};
use leptos::prelude::*;

#[server(prefix = "/api", endpoint = "admin/list_apps", output = crate::api::Answer)]
pub async fn list_apps() -> Result<Vec<AppSummary>, AppError> {
    use crate::server::{admin::apps, http::request};
    let state = request::state()?;
    request::require_admin(&state).await?;
    Ok(apps::list(&state).await?)
}

/// `client_type` is `confidential` (the app keeps a secret on its server,
/// the default) or `public` (in a browser or on a device: PKCE only).
#[server(prefix = "/api", endpoint = "admin/add_app", output = crate::api::Answer)]
pub async fn add_app(
    name: String,
    redirect_uris: String,
    post_logout_redirect_uris: Option<String>,
    client_type: String,
    allowed_role: String,
    two_factor: Option<String>,
    groups: Option<String>,
) -> Result<(), AppError> {
    use crate::{
        error::{Field, Problem},
        server::{admin::apps, http::request},
    };
    let state = request::state()?;
    let admin = request::require_admin(&state).await?;
    request::require_recent_password(&state).await?;
    let public = match client_type.as_str() {
        "public" => true,
        "confidential" => false,
        _ => return Err(AppError::field(Field::ClientType, Problem::InvalidChoice)),
    };
    let input = apps::AppInput::parse(apps::AppForm {
        name: &name,
        redirect_uris: &redirect_uris,
        post_logout_redirect_uris: &post_logout_redirect_uris.unwrap_or_default(),
        allowed_role: &allowed_role,
        two_factor: two_factor.is_some(),
        groups: &groups.unwrap_or_default(),
    })?;
    let made = apps::add(&state, Some(&admin), input, public, &request::meta()).await?;
    request::hand_over_credentials(&state, &made);
    request::redirect_back_with(crate::domain::AppDone::Added.as_str(), "/admin/apps");
    Ok(())
}

#[server(prefix = "/api", endpoint = "admin/edit_app", output = crate::api::Answer)]
pub async fn edit_app(
    client_id: String,
    name: String,
    redirect_uris: String,
    post_logout_redirect_uris: Option<String>,
    allowed_role: String,
    two_factor: Option<String>,
    groups: Option<String>,
) -> Result<(), AppError> {
    use crate::server::{admin::apps, http::request};
    let state = request::state()?;
    let admin = request::require_admin(&state).await?;
    let input = apps::AppInput::parse(apps::AppForm {
        name: &name,
        redirect_uris: &redirect_uris,
        post_logout_redirect_uris: &post_logout_redirect_uris.unwrap_or_default(),
        allowed_role: &allowed_role,
        two_factor: two_factor.is_some(),
        groups: &groups.unwrap_or_default(),
    })?;
    apps::update(&state, &admin, &client_id, input, &request::meta()).await?;
    request::redirect_back_with(crate::domain::AppDone::Saved.as_str(), "/admin/apps");
    Ok(())
}

#[server(prefix = "/api", endpoint = "admin/rotate_app_secret", output = crate::api::Answer)]
pub async fn rotate_app_secret(client_id: String) -> Result<(), AppError> {
    use crate::server::{admin::apps, http::request};
    let state = request::state()?;
    let admin = request::require_admin(&state).await?;
    request::require_recent_password(&state).await?;
    let made = apps::rotate_secret(&state, &admin, &client_id, &request::meta()).await?;
    request::hand_over_credentials(&state, &made);
    request::redirect_back_with(crate::domain::AppDone::Rotated.as_str(), "/admin/apps");
    Ok(())
}

#[server(prefix = "/api", endpoint = "admin/remove_app", output = crate::api::Answer)]
pub async fn remove_app(client_id: String, confirm: Option<String>) -> Result<(), AppError> {
    use crate::{
        error::{Field, Problem},
        server::{admin::apps, http::request},
    };
    let state = request::state()?;
    let admin = request::require_admin(&state).await?;
    if confirm.as_deref() != Some("yes") {
        return Err(AppError::field(Field::Confirm, Problem::NotConfirmed));
    }
    apps::remove(&state, Some(&admin), &client_id, &request::meta()).await?;
    request::redirect_back_with(crate::domain::AppDone::Removed.as_str(), "/admin/apps");
    Ok(())
}

/// The credentials made by the admin's last action, once.
#[server(prefix = "/api", endpoint = "admin/take_new_credentials", output = crate::api::Answer)]
pub async fn take_new_credentials() -> Result<Option<AppCredentials>, AppError> {
    use crate::server::http::request;
    let state = request::state()?;
    request::require_admin(&state).await?;
    let Some(mut credentials) = request::take_credentials(&state) else {
        return Ok(None);
    };
    let name = crate::server::admin::apps::name_of(&state, &credentials.client_id).await?;
    Ok(name.map(|name| {
        credentials.name = name;
        credentials
    }))
}

/// The name of the app a sign-in was for, for the page that says why it
/// could not go on.
#[server(prefix = "/api", endpoint = "app_name", output = crate::api::Answer)]
pub async fn app_name(client_id: String) -> Result<Option<String>, AppError> {
    use crate::server::{admin::apps, http::request};
    let state = request::state()?;
    Ok(apps::name_of(&state, &client_id).await?)
}
