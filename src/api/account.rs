//! The account page's sessions and apps: list them, end one.

use crate::{domain::SessionsOverview, error::AppError};
use leptos::prelude::*;

/// The caller's live sessions (this one marked) and the apps that can
/// still act for them.
#[server(prefix = "/api", endpoint = "list_sessions", output = crate::api::Answer)]
pub async fn list_sessions() -> Result<SessionsOverview, AppError> {
    use crate::server::{accounts::own_sessions, http::request};
    let state = request::state()?;
    let user = request::require_user(&state).await?;
    let current = request::session_id(&state);
    Ok(own_sessions::overview(&state, &user, current.as_deref()).await?)
}

/// The same, drawn as the account page shows it (HTML), in the caller's
/// language: the browser's bundle then carries none of the drawing.
#[server(prefix = "/api", endpoint = "sessions_html", output = crate::api::Answer)]
pub async fn sessions_html() -> Result<String, AppError> {
    use crate::{
        pages::account::drawn::SessionTables,
        server::{accounts::own_sessions, http::request},
    };
    use leptos::tachys::view::RenderHtml;
    let state = request::state()?;
    let user = request::require_user(&state).await?;
    let current = request::session_id(&state);
    let overview = own_sessions::overview(&state, &user, current.as_deref()).await?;
    let lang = crate::i18n::current();
    Ok(Owner::new().with(|| {
        provide_context(lang);
        view! { <SessionTables overview/> }.to_html()
    }))
}

/// Ends one of the caller's sessions (field `handle`, from the list).
#[server(prefix = "/api", endpoint = "end_session", output = crate::api::Answer)]
pub async fn end_session(handle: String) -> Result<(), AppError> {
    use crate::server::{accounts::own_sessions, http::request};
    let state = request::state()?;
    let user = request::require_user(&state).await?;
    own_sessions::end_session(&state, &user, &handle, &request::meta()).await?;
    leptos_axum::redirect("/account?ended=session");
    Ok(())
}

/// Ends every sign-in the caller gave an app (field `client_id`).
#[server(prefix = "/api", endpoint = "end_app_access", output = crate::api::Answer)]
pub async fn end_app_access(client_id: String) -> Result<(), AppError> {
    use crate::server::{accounts::own_sessions, http::request};
    let state = request::state()?;
    let user = request::require_user(&state).await?;
    own_sessions::end_app(&state, &user, &client_id, &request::meta()).await?;
    leptos_axum::redirect("/account?ended=app");
    Ok(())
}
