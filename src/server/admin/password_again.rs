//! "Confirm it's you": the changes through which an admin could take over
//! someone's account (a set-password link, a password typed for a new
//! user, another email or role, an app's redirect and secret) need the
//! admin's password from the last five minutes. Logging in gives it; after
//! that, `/admin/confirm` does. A stolen admin session left open on a
//! desk, or ridden by a script, cannot make them.

use crate::{
    domain::{password::Secret, CurrentUser},
    error::AppError,
    server::{
        accounts::password_change::check_current_password,
        db,
        platform::{client::RequestMeta, rate_limit, tokens},
        AppState, ServiceError,
    },
};

/// How long a given password counts, in seconds.
pub const WINDOW_SECS: i64 = 5 * 60;

/// Whether the admin gave their password in the last five minutes, for a
/// service that learns only later whether its change needs it.
#[derive(Clone, Copy)]
pub struct Recent(bool);

impl Recent {
    /// The password given just now, as at the login of a test's admin.
    pub const GIVEN: Recent = Recent(true);

    /// Refuses ([`AppError::PasswordAgain`]) unless the password is recent.
    pub fn require(self) -> Result<(), AppError> {
        if self.0 {
            Ok(())
        } else {
            Err(AppError::PasswordAgain)
        }
    }
}

/// Whether the person behind session `session_id` gave their password in
/// the last five minutes.
pub async fn check(state: &AppState, session_id: Option<&str>) -> Result<Recent, ServiceError> {
    let Some(id) = session_id else {
        return Ok(Recent(false));
    };
    let mut conn = state.db.conn().await?;
    let given = db::sessions::password_given_at(&mut conn, &tokens::hash(id)).await?;
    Ok(Recent(
        given.is_some_and(|at| state.clock.now() - at < WINDOW_SECS),
    ))
}

/// Checks the admin's password (throttled and audited like the account
/// page's) and, when it is right, lets this session make those changes
/// for the next five minutes.
pub async fn confirm(
    state: &AppState,
    admin: &CurrentUser,
    session_id: Option<&str>,
    current: &Secret,
    meta: &RequestMeta,
) -> Result<(), ServiceError> {
    let Some(id) = session_id else {
        return Err(AppError::Unauthorized.into());
    };
    let (_, (key, limit)) = check_current_password(
        state,
        admin,
        current,
        meta,
        "wrong password on the admin's confirm page",
    )
    .await?;
    let mut tx = state.db.begin().await?;
    rate_limit::refund(&mut tx, &key, limit).await?;
    db::sessions::mark_confirmed(&mut tx, &tokens::hash(id), state.clock.now()).await?;
    tx.commit().await?;
    Ok(())
}
