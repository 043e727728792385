//! Logging in and out, the account page and first-run setup.

use crate::{
    domain::{password::Secret, CurrentUser, PasswordPolicy, SetupStatus},
    error::AppError,
};
use leptos::prelude::*;

/// The logged-in user, or `None` for visitors.
#[server(prefix = "/api", endpoint = "current_user", output = crate::api::Answer)]
pub async fn get_current_user() -> Result<Option<CurrentUser>, AppError> {
    use crate::server::http::request;
    let state = request::state()?;
    request::current_user(&state).await
}

#[server(prefix = "/api", endpoint = "login", output = crate::api::Answer)]
pub async fn log_in(email: String, password: Secret, next: Option<String>) -> Result<(), AppError> {
    use crate::server::accounts::{known_device, login::LoggedIn, two_step};
    use crate::server::{
        accounts::{login, sessions},
        http::request,
    };
    let state = request::state()?;
    let old_session = request::session_id(&state);
    let secure = state.settings.cookie_secure();
    let device_cookie = known_device::cookie_name(secure);
    let credentials =
        login::Credentials::parse(&email, password)?.from_device(request::cookie(device_cookie));
    let next = request::safe_next(&state.settings, next.as_deref());
    let attempt = login::log_in(&state, &credentials, &next, &request::meta()).await;
    if attempt.is_ok() {
        // The password was right: this browser is known to the account
        // from now on (its own login allowance; see `known_device`).
        let value = known_device::issue(&state.secret, &credentials.email.normalized());
        request::set_cookie(known_device::set_cookie(secure, &value));
    }
    crate::server::platform::metrics::login(match &attempt {
        Ok(LoggedIn::Session(..)) => "ok",
        Ok(LoggedIn::SecondStep(_)) => "second_step",
        Err(crate::server::ServiceError::User(AppError::TooManyRequests { .. })) => "throttled",
        Err(crate::server::ServiceError::User(AppError::Busy)) => "busy",
        Err(_) => "failed",
    });
    match attempt? {
        LoggedIn::Session(user, session_id) => {
            if let Some(old) = old_session {
                sessions::end(&state, &old).await.ok();
            }
            for cookie in sessions::set_cookies(&state, &session_id) {
                request::set_cookie(cookie);
            }
            let next = if user.must_set_up_two_step {
                two_step::set_up_first(&next)
            } else {
                next
            };
            leptos_axum::redirect(&request::after_form_post(next));
        }
        LoggedIn::SecondStep(pending_id) => {
            let cookie = two_step::Bound::PendingLogin.set(&state.settings, &pending_id);
            request::set_cookie(cookie);
            leptos_axum::redirect("/login/verify");
        }
    }
    Ok(())
}

/// Ends this session. From the "Log out of <site>?" page an app sent the
/// person to, the app's `client_id`, `post_logout_redirect_uri` and
/// `state` come along: the browser then goes back to the app, when that
/// URI is registered for it.
#[server(prefix = "/api", endpoint = "logout", output = crate::api::Answer)]
pub async fn log_out(
    client_id: Option<String>,
    post_logout_redirect_uri: Option<String>,
    state: Option<String>,
) -> Result<(), AppError> {
    use crate::server::{
        accounts::{login, sessions},
        http::request,
        sign_in::oidc::logout,
    };
    let app_state = state;
    let state = request::state()?;
    let user = request::current_user(&state).await?;
    login::log_out(
        &state,
        request::session_id(&state).as_deref(),
        user.as_ref(),
        &request::meta(),
    )
    .await?;
    for cookie in sessions::clear_cookies(&state.settings) {
        request::set_cookie(cookie);
    }
    let back = logout::return_to(
        &state,
        client_id.as_deref(),
        post_logout_redirect_uri.as_deref(),
        app_state.as_deref(),
    )
    .await?;
    match back {
        Some(back) => leptos_axum::redirect(&request::after_form_post(back)),
        None => leptos_axum::redirect("/login"),
    }
    Ok(())
}

#[server(prefix = "/api", endpoint = "logout_everywhere", output = crate::api::Answer)]
pub async fn log_out_everywhere() -> Result<(), AppError> {
    use crate::server::{
        accounts::{login, sessions},
        http::request,
    };
    let state = request::state()?;
    let user = request::require_user(&state).await?;
    login::log_out_everywhere(&state, &user, &request::meta()).await?;
    for cookie in sessions::clear_cookies(&state.settings) {
        request::set_cookie(cookie);
    }
    leptos_axum::redirect("/login");
    Ok(())
}

#[server(prefix = "/api", endpoint = "change_password", output = crate::api::Answer)]
pub async fn change_password(
    current_password: Secret,
    new_password: Secret,
    confirm_password: Secret,
) -> Result<(), AppError> {
    use crate::server::{
        accounts::password_change::{self, PasswordChange},
        http::request,
    };
    let state = request::state()?;
    let user = request::require_user(&state).await?;
    let change = PasswordChange::parse(
        &state.settings,
        &user,
        current_password,
        new_password,
        &confirm_password,
    )?;
    let session = request::session_id(&state);
    password_change::change_password(&state, &user, session.as_deref(), change, &request::meta())
        .await?;
    leptos_axum::redirect("/account?changed=1");
    Ok(())
}

/// True while no account exists and `/setup` is open.
#[server(prefix = "/api", endpoint = "needs_setup", output = crate::api::Answer)]
pub async fn needs_setup() -> Result<bool, AppError> {
    use crate::server::{accounts::setup, http::request};
    let state = request::state()?;
    Ok(setup::needs_setup(&state).await?)
}

/// What `/setup` can do with the setup link's `token`.
#[server(prefix = "/api", endpoint = "setup_status", output = crate::api::Answer)]
pub async fn get_setup_status(token: Option<String>) -> Result<SetupStatus, AppError> {
    use crate::server::{accounts::setup, http::request};
    let state = request::state()?;
    Ok(setup::status(&state, token.as_deref()).await?)
}

#[server(prefix = "/api", endpoint = "setup", output = crate::api::Answer)]
pub async fn create_first_admin(
    token: String,
    email: String,
    name: String,
    password: Secret,
    confirm_password: Secret,
) -> Result<(), AppError> {
    use crate::server::{accounts::setup, http::request};
    let state = request::state()?;
    setup::create_first_admin(
        &state,
        &token,
        &email,
        &name,
        password,
        confirm_password,
        &request::meta(),
    )
    .await?;
    leptos_axum::redirect("/login?setup=done");
    Ok(())
}

/// The password rules the browser can check while the user types.
#[server(prefix = "/api", endpoint = "password_policy", output = crate::api::Answer)]
pub async fn get_password_policy() -> Result<PasswordPolicy, AppError> {
    let state = crate::server::http::request::state()?;
    Ok(state.settings.password_policy())
}

/// Saves the language of the person's pages and mail (`language`: a tag
/// the site offers; empty: as their browser asks), and shows it at once.
#[server(prefix = "/api", endpoint = "set_language", output = crate::api::Answer)]
pub async fn set_language(language: String) -> Result<(), AppError> {
    use crate::server::{accounts::account_language, http::request};
    let state = request::state()?;
    let user = request::require_user(&state).await?;
    let lang = account_language::save(&state, &user, &language).await?;
    request::set_cookie(crate::server::http::language::cookie(&state.settings, lang));
    // `lang=` (empty: none) has the browser load the page whole, in its new
    // language (`PostForm`).
    let tag = lang.map_or("", crate::i18n::Lang::tag);
    leptos_axum::redirect(&format!("/account?language=saved&lang={tag}"));
    Ok(())
}

/// The site's languages, each named in itself (the add-user form's field
/// `language`).
#[server(prefix = "/api", endpoint = "languages", output = crate::api::Answer)]
pub async fn get_languages() -> Result<Vec<crate::domain::LanguageOption>, AppError> {
    use crate::{domain::LanguageOption, server::http::request};
    let state = request::state()?;
    Ok(state
        .settings
        .languages
        .iter()
        .map(|lang| LanguageOption {
            tag: lang.tag().to_owned(),
            name: lang.name().to_owned(),
        })
        .collect())
}
