//! The admin panel's mail page. Each action checks on the server that the
//! caller is an active site admin.

use crate::{domain::MailPage, error::AppError};
use leptos::prelude::*;

#[server(prefix = "/api", endpoint = "admin/list_mail", output = crate::api::Answer)]
pub async fn list_mail(before: Option<i64>) -> Result<MailPage, AppError> {
    use crate::server::{admin::mail, http::request};
    let state = request::state()?;
    request::require_admin(&state).await?;
    Ok(mail::list(&state, before).await?)
}

#[server(prefix = "/api", endpoint = "admin/retry_mail", output = crate::api::Answer)]
pub async fn retry_mail(id: i64) -> Result<(), AppError> {
    use crate::server::{admin::mail, http::request};
    let state = request::state()?;
    let admin = request::require_admin(&state).await?;
    mail::retry(&state, &admin, id, &request::meta()).await?;
    request::redirect_back_with(crate::domain::MailDone::Retried.as_str(), "/admin/mail");
    Ok(())
}

#[server(prefix = "/api", endpoint = "admin/send_test_mail", output = crate::api::Answer)]
pub async fn send_test_mail(to: String) -> Result<(), AppError> {
    use crate::server::{admin::mail, http::request};
    let state = request::state()?;
    let admin = request::require_admin(&state).await?;
    mail::send_test(&state, &admin, &to, &request::meta()).await?;
    request::redirect_back_with(crate::domain::MailDone::TestQueued.as_str(), "/admin/mail");
    Ok(())
}
