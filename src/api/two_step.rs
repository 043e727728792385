//! Two-step verification: the security page, the login's second step,
//! and a site admin turning it off for someone. (Passkeys' ceremonies are
//! plain JSON routes for the browser's passkey script: see the server's
//! `accounts::two_step::routes`.)

use crate::{
    domain::{password::Secret, SecurityState, VerifyState},
    error::AppError,
};
use leptos::prelude::*;

/// Back to the security page, saying what was done, and on to `next` from
/// there when the person was on their way somewhere.
#[cfg(feature = "ssr")]
fn back_to_security(done: crate::domain::SecurityDone, next: Option<&str>) {
    use crate::server::http::request;
    let mut to = format!("/account/security?done={}", done.as_str());
    if let Some(next) = next.filter(|n| !n.is_empty()) {
        let next: String = url::form_urlencoded::byte_serialize(next.as_bytes()).collect();
        to.push_str("&next=");
        to.push_str(&next);
    }
    leptos_axum::redirect(&request::after_form_post(to));
}

/// What `/account/security` shows. `next`: where the person was going.
#[server(prefix = "/api", endpoint = "security", output = crate::api::Answer)]
pub async fn get_security(next: Option<String>) -> Result<SecurityState, AppError> {
    use crate::server::{accounts::two_step::manage, http::request};
    let state = request::state()?;
    let user = request::require_user_setting_up(&state).await?;
    let continue_to = next
        .filter(|n| !n.is_empty())
        .map(|n| request::safe_next(&state.settings, Some(&n)));
    let mut security = manage::state_of(&state, &user, continue_to).await?;
    security.new_codes = request::take_recovery_codes(&state);
    Ok(security)
}

#[server(prefix = "/api", endpoint = "set_up_app", output = crate::api::Answer)]
pub async fn set_up_app(
    code: String,
    current_password: Secret,
    next: Option<String>,
) -> Result<(), AppError> {
    use crate::server::{accounts::two_step::manage, http::request};
    let state = request::state()?;
    let user = request::require_user_setting_up(&state).await?;
    let session = request::session_id(&state);
    let codes = manage::confirm_app(
        &state,
        &user,
        session.as_deref(),
        &code,
        &current_password,
        &request::meta(),
    )
    .await?;
    if let Some(codes) = codes {
        request::set_cookie(request::recovery_codes_cookie(&state, &codes));
    }
    back_to_security(crate::domain::SecurityDone::AppOn, next.as_deref());
    Ok(())
}

#[server(prefix = "/api", endpoint = "remove_app", output = crate::api::Answer)]
pub async fn remove_app(current_password: Secret) -> Result<(), AppError> {
    use crate::server::{accounts::two_step::manage, http::request};
    let state = request::state()?;
    let user = request::require_user_setting_up(&state).await?;
    manage::remove_app(&state, &user, &current_password, &request::meta()).await?;
    back_to_security(crate::domain::SecurityDone::AppOff, None);
    Ok(())
}

#[server(prefix = "/api", endpoint = "renew_recovery_codes", output = crate::api::Answer)]
pub async fn renew_recovery_codes(current_password: Secret) -> Result<(), AppError> {
    use crate::server::{accounts::two_step::manage, http::request};
    let state = request::state()?;
    let user = request::require_user_setting_up(&state).await?;
    let codes = manage::renew_codes(&state, &user, &current_password, &request::meta()).await?;
    request::set_cookie(request::recovery_codes_cookie(&state, &codes));
    back_to_security(crate::domain::SecurityDone::Codes, None);
    Ok(())
}

#[server(prefix = "/api", endpoint = "remove_passkey", output = crate::api::Answer)]
pub async fn remove_passkey(id: String, current_password: Secret) -> Result<(), AppError> {
    use crate::server::{accounts::two_step::manage, http::request};
    let state = request::state()?;
    let user = request::require_user_setting_up(&state).await?;
    manage::remove_passkey(&state, &user, &id, &current_password, &request::meta()).await?;
    back_to_security(crate::domain::SecurityDone::PasskeyRemoved, None);
    Ok(())
}

/// What `/login/verify` shows: whether a login waits in this browser.
#[server(prefix = "/api", endpoint = "verify_state", output = crate::api::Answer)]
pub async fn get_verify_state() -> Result<VerifyState, AppError> {
    use crate::server::{
        accounts::two_step::{verify, Bound},
        db,
        http::request,
    };
    let state = request::state()?;
    let id = Bound::PendingLogin.read(&state.settings, &request::headers());
    let Some(waiting) = verify::waiting(&state, id.as_deref()).await? else {
        return Ok(VerifyState {
            waiting: false,
            passkeys: false,
        });
    };
    let passkeys = if state.passkeys.offered() {
        let mut conn = state
            .db
            .conn()
            .await
            .map_err(crate::server::ServiceError::from)?;
        db::two_step::factors(&mut conn, waiting.user.id)
            .await
            .map_err(crate::server::ServiceError::from)?
            .passkeys
            > 0
    } else {
        false
    };
    Ok(VerifyState {
        waiting: true,
        passkeys,
    })
}

/// The login's second step with a code: an authenticator app's, or a
/// recovery code.
#[server(prefix = "/api", endpoint = "verify_login", output = crate::api::Answer)]
pub async fn verify_login(code: String) -> Result<(), AppError> {
    use crate::server::{
        accounts::{
            sessions,
            two_step::{verify, Bound},
        },
        http::request,
    };
    let state = request::state()?;
    let id = Bound::PendingLogin.read(&state.settings, &request::headers());
    let waiting = verify::waiting(&state, id.as_deref())
        .await?
        .ok_or(AppError::SecondStepExpired)?;
    let old_session = request::session_id(&state);
    let done = verify::with_code(&state, waiting, &code, &request::meta()).await?;
    if let Some(old) = old_session {
        sessions::end(&state, &old).await.ok();
    }
    for cookie in sessions::set_cookies(&state, &done.session_id) {
        request::set_cookie(cookie);
    }
    request::set_cookie(Bound::PendingLogin.clear(&state.settings));
    leptos_axum::redirect(&request::after_form_post(done.next));
    Ok(())
}

/// A site admin turns off two-step verification for someone who lost
/// every factor (the box must be ticked).
#[server(prefix = "/api", endpoint = "admin/turn_off_two_step", output = crate::api::Answer)]
pub async fn turn_off_two_step(id: i64, confirm: Option<String>) -> Result<(), AppError> {
    use crate::{
        error::{Field, Problem},
        server::{accounts::two_step::manage, http::request},
    };
    let state = request::state()?;
    let admin = request::require_admin(&state).await?;
    if confirm.as_deref() != Some("yes") {
        return Err(AppError::field(Field::Confirm, Problem::NotConfirmed));
    }
    manage::turn_off_for(&state, &admin, id, &request::meta()).await?;
    request::redirect_back_with(crate::domain::UserDone::TwoStepOff.as_str(), "/admin/users");
    Ok(())
}
