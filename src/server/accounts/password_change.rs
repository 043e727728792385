//! Changing one's own password on the account page.

use crate::{
    domain::{password::Secret, CurrentUser, Email},
    error::{AppError, Field, Problem, Problems},
    server::{
        accounts::{
            account_mail::{language_for, queue_password_changed},
            login,
            passwords::NewPassword,
            sessions,
        },
        db,
        platform::{
            audit::{self, Entry, Event, Who},
            client::RequestMeta,
            config::Settings,
            rate_limit::{self, Limits},
            tokens,
        },
        AppState, ServiceError,
    },
};

/// The account page's form, parsed: the current password (to be verified)
/// and a new one that meets every rule for this person.
pub struct PasswordChange {
    current: Secret,
    new: NewPassword,
}

impl PasswordChange {
    /// Every problem at once, each on its field.
    pub fn parse(
        settings: &Settings,
        user: &CurrentUser,
        current: Secret,
        new: Secret,
        confirm: &Secret,
    ) -> Result<Self, AppError> {
        let email = Email::parse(&user.email).map_err(|_| AppError::Internal)?;
        let mut problems = Problems::default();
        if current.expose().is_empty() {
            problems.add(Field::CurrentPassword, Problem::Required);
        }
        let new = NewPassword::parse(
            &mut problems,
            &settings.password_policy(),
            Field::NewPassword,
            new,
            confirm,
            Some(&email.local_part()),
        );
        let new = problems.finish(new)?;
        Ok(Self { current, new })
    }
}

/// The account behind `user`, once `current` is verified as its password:
/// for changes a person makes to their own account (their password, their
/// second factors). Spends the account's login allowance first, as a login
/// does, and hands it back (with its key and limit) for the caller to
/// refund in its transaction; a wrong password is audited with `detail`.
pub async fn check_current_password(
    state: &AppState,
    user: &CurrentUser,
    current: &Secret,
    meta: &RequestMeta,
    detail: &str,
) -> Result<(db::users::UserRow, (String, rate_limit::Limit)), ServiceError> {
    if current.expose().is_empty() {
        return Err(AppError::field(Field::CurrentPassword, Problem::Required).into());
    }
    let email = Email::parse(&user.email).map_err(|_| AppError::Internal)?;
    let account_key = login::account_key(&email.normalized());
    let limit = Limits::login_account(state);
    rate_limit::hit(state, &account_key, limit).await?;
    let row = {
        let mut conn = state.db.conn().await?;
        db::users::find_by_id(&mut conn, user.id)
            .await?
            .ok_or(AppError::Unauthorized)?
    };
    if current.expose().chars().count() > crate::domain::password::MAX_PASSWORD_LEN
        || !state
            .hasher
            .verify(current, row.password_hash.as_deref())
            .await?
            .ok
    {
        let mut conn = state.db.conn().await?;
        audit::record(
            &mut conn,
            state.clock.now(),
            meta,
            Entry::new(Event::PasswordChangeFailed)
                .about(Who::user(user.id, &user.email))
                .detail(detail),
        )
        .await?;
        return Err(AppError::field(Field::CurrentPassword, Problem::WrongCurrentPassword).into());
    }
    Ok((row, (account_key, limit)))
}

/// Changes the caller's own password; their other sessions end.
pub async fn change_password(
    state: &AppState,
    user: &CurrentUser,
    current_session: Option<&str>,
    change: PasswordChange,
    meta: &RequestMeta,
) -> Result<(), ServiceError> {
    let (row, (account_key, limit)) =
        check_current_password(state, user, &change.current, meta, "wrong current password")
            .await?;
    let hash = state.hasher.hash(&change.new).await?;
    let now = state.clock.now();
    let mut tx = state.db.begin().await?;
    rate_limit::refund(&mut tx, &account_key, limit).await?;
    db::users::set_password_hash(&mut tx, user.id, &hash, now).await?;
    db::tokens::use_up_all(&mut tx, user.id, now).await?;
    let keep = current_session.map(tokens::hash);
    sessions::end_everywhere(&mut tx, user.id, Some(keep.as_deref().unwrap_or("")), now).await?;
    let lang = language_for(state, row.language.as_deref(), meta.lang);
    queue_password_changed(&mut tx, state, (row.email.as_str(), lang), now).await?;
    audit::record(
        &mut tx,
        now,
        meta,
        Entry::new(Event::PasswordChanged).about(Who::user(user.id, &user.email)),
    )
    .await?;
    tx.commit().await?;
    state.mail_notify.notify_one();
    Ok(())
}
