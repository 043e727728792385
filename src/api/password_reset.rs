//! Forgotten password: request a link, check it, use it.

use crate::{domain::password::Secret, error::AppError};
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

/// What a reset or invitation link is worth, for the page behind it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum LinkStatus {
    Valid { invite: bool },
    Spent,
    Unknown,
}

#[server(prefix = "/api", endpoint = "request_password_reset", output = crate::api::Answer)]
pub async fn request_password_reset(email: String) -> Result<(), AppError> {
    use crate::{
        domain::Email,
        error::Field,
        server::{accounts::password_reset, http::request},
    };
    let state = request::state()?;
    let email = Email::parse(&email).map_err(|p| AppError::field(Field::Email, p))?;
    password_reset::request_reset(&state, &email, &request::meta()).await?;
    leptos_axum::redirect("/forgot-password?sent=1");
    Ok(())
}

/// Looks at a link without using it up (safe for mail scanners).
#[server(prefix = "/api", endpoint = "reset_link_status", output = crate::api::Answer)]
pub async fn reset_link_status(token: String) -> Result<LinkStatus, AppError> {
    use crate::server::{
        accounts::password_reset::{self, LinkState},
        http::request,
    };
    let state = request::state()?;
    Ok(match password_reset::link_state(&state, &token).await? {
        LinkState::Valid { invite } => LinkStatus::Valid { invite },
        LinkState::Spent => LinkStatus::Spent,
        LinkState::Unknown => LinkStatus::Unknown,
    })
}

#[server(prefix = "/api", endpoint = "reset_password", output = crate::api::Answer)]
pub async fn reset_password(
    token: String,
    new_password: Secret,
    confirm_password: Secret,
) -> Result<(), AppError> {
    use crate::server::{
        accounts::{password_reset, passwords::PasswordPair},
        http::request,
    };
    let state = request::state()?;
    let new = PasswordPair {
        password: new_password,
        confirm: confirm_password,
    };
    password_reset::reset_password(&state, &token, new, &request::meta()).await?;
    leptos_axum::redirect("/login?reset=done");
    Ok(())
}

/// Sends a fresh link to the owner of an expired or used one.
#[server(prefix = "/api", endpoint = "resend_reset_link", output = crate::api::Answer)]
pub async fn resend_reset_link(token: String) -> Result<(), AppError> {
    use crate::server::{accounts::password_reset, http::request};
    let state = request::state()?;
    password_reset::resend_link(&state, &token, &request::meta()).await?;
    leptos_axum::redirect(&format!(
        "/reset-password/{}?resent=1",
        urlencode_token(&token)
    ));
    Ok(())
}

#[cfg(feature = "ssr")]
fn urlencode_token(token: &str) -> String {
    // Only well-formed tokens get this far: base64url needs no escaping.
    token
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
        .collect()
}
