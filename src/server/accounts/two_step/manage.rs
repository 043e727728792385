//! Managing one's second factors on `/account/security`, and a site
//! admin turning them off for someone who lost them all.
//!
//! Every change needs the person's current password, verified as for a
//! password change (the same allowance). Two-step verification is on while
//! the person has an authenticator app or a passkey: the first one turns it
//! on (with ten recovery codes, shown once), the last one removed turns it
//! off (and voids the codes). The owner is told by mail of each; all of it
//! is audited.

use super::{must_set_up, passkeys, recovery, totp, verify::open_key, TOTP_PURPOSE};
use crate::{
    domain::{password::Secret, AppSetup, CurrentUser, PasskeyEntry, SecurityState},
    error::{AppError, Field, Problem},
    server::{
        accounts::{
            account_mail::{language_for, queue_two_step_notice},
            password_change::check_current_password,
            sessions::{self, SignIn},
        },
        db::{self, users::UserRow, Tx},
        mail::templates::{format_time, TwoStepNotice},
        platform::{
            audit::{self, Entry, Event, Who},
            client::RequestMeta,
            rate_limit, tokens,
        },
        AppState, ServiceError,
    },
};

/// The longest name a passkey may have.
pub const MAX_PASSKEY_NAME: usize = 64;

/// What the security page shows the person: their factors, and an
/// authenticator app's key to set up (made now, kept unconfirmed until a
/// code confirms it) when they have none.
pub async fn state_of(
    state: &AppState,
    user: &CurrentUser,
    continue_to: Option<String>,
) -> Result<SecurityState, ServiceError> {
    let now = state.clock.now();
    let mut conn = state.db.conn().await?;
    let factors = db::two_step::factors(&mut conn, user.id).await?;
    let app_setup = if factors.totp {
        None
    } else {
        let fresh = state.secret.seal(TOTP_PURPOSE, &totp::new_key());
        db::two_step::start_totp(&mut conn, user.id, &fresh, now).await?;
        let row = db::two_step::totp(&mut conn, user.id)
            .await?
            .ok_or(AppError::Internal)?;
        let key = open_key(state, &row.secret)?;
        let uri =
            totp::uri(&key, &state.settings.site_name, &user.email).ok_or(AppError::Internal)?;
        Some(AppSetup {
            key: totp::base32(&key),
            qr_svg: totp::qr_svg(&uri).ok_or(AppError::Internal)?,
        })
    };
    let tz = state.settings.time_zone;
    let passkeys = db::two_step::passkeys(&mut conn, user.id)
        .await?
        .into_iter()
        .map(|p| PasskeyEntry {
            id: p.credential_id,
            name: p.name,
            added: format_time(p.created_at, tz),
            last_used: p.last_used_at.map(|t| format_time(t, tz)),
        })
        .collect();
    Ok(SecurityState {
        app: factors.totp,
        app_setup,
        recovery_codes: factors.recovery_codes,
        new_codes: None,
        passkeys,
        passkeys_offered: state.passkeys.offered(),
        required: must_set_up(&state.settings, user.role, factors.any()),
        continue_to,
    })
}

/// Turns on the authenticator app being set up, once `code` shows the
/// person's app has its key. New recovery codes when this is their first
/// factor: returned to be shown once.
pub async fn confirm_app(
    state: &AppState,
    user: &CurrentUser,
    session_id: Option<&str>,
    code: &str,
    current: &Secret,
    meta: &RequestMeta,
) -> Result<Option<Vec<String>>, ServiceError> {
    let digits: String = code.chars().filter(|c| !c.is_whitespace()).collect();
    if digits.is_empty() {
        return Err(AppError::field(Field::Code, Problem::Required).into());
    }
    let (row, (key, limit)) = check_current_password(
        state,
        user,
        current,
        meta,
        "wrong password on the security page",
    )
    .await?;
    let now = state.clock.now();
    let mut tx = state.db.begin().await?;
    let pending = db::two_step::totp(&mut tx, user.id)
        .await?
        .filter(|t| t.confirmed_at.is_none())
        .ok_or(AppError::BadRequest)?;
    let secret = open_key(state, &pending.secret)?;
    let step = totp::step_of(&secret, &digits, now);
    let accepted = match step {
        Some(step) => db::two_step::accept_step(&mut tx, user.id, step, now).await?,
        None => false,
    };
    if !accepted {
        return Err(AppError::field(Field::Code, Problem::WrongCode).into());
    }
    rate_limit::refund(&mut tx, &key, limit).await?;
    let codes = factor_added(
        state,
        &mut tx,
        &row,
        session_id,
        SignIn::PasswordAndCode,
        meta,
    )
    .await?;
    let entry = Entry::new(Event::AuthenticatorAdded).about(Who::user(user.id, &user.email));
    audit::record(&mut tx, now, meta, entry).await?;
    tx.commit().await?;
    state.mail_notify.notify_one();
    Ok(codes)
}

/// After a factor is added, in its transaction: when it is the first,
/// two-step verification turns on (new recovery codes, unless unused ones
/// are left, and a notice to the owner); the session it was added in has
/// now shown it (`sign_in`).
async fn factor_added(
    state: &AppState,
    tx: &mut Tx,
    user: &UserRow,
    session_id: Option<&str>,
    sign_in: SignIn,
    meta: &RequestMeta,
) -> Result<Option<Vec<String>>, ServiceError> {
    let now = state.clock.now();
    if let Some(id) = session_id {
        db::sessions::set_amr(tx, &tokens::hash(id), sign_in.amr()).await?;
    }
    if db::two_step::count_factors(tx, user.id).await? != 1 {
        return Ok(None);
    }
    queue_two_step_notice(
        tx,
        state,
        (
            user.email.as_str(),
            language_for(state, user.language.as_deref(), meta.lang),
        ),
        TwoStepNotice::On,
        now,
    )
    .await?;
    if db::two_step::unused_recovery_codes(tx, user.id).await? > 0 {
        return Ok(None);
    }
    Ok(Some(store_new_codes(state, tx, user.id, now).await?))
}

/// Ten new recovery codes in place of any the person had.
async fn store_new_codes(
    state: &AppState,
    tx: &mut Tx,
    user_id: i64,
    now: i64,
) -> Result<Vec<String>, ServiceError> {
    db::two_step::delete_recovery_codes(tx, user_id).await?;
    let codes = recovery::new_codes();
    for code in &codes {
        let hash = recovery::hash(code, &state.secret).ok_or(AppError::Internal)?;
        db::two_step::insert_recovery_code(tx, user_id, &hash, now).await?;
    }
    Ok(codes)
}

/// After a factor is removed, in its transaction: when it was the last,
/// two-step verification is off (the recovery codes go too) and the owner
/// is told.
async fn factor_removed(
    state: &AppState,
    tx: &mut Tx,
    user: &UserRow,
    meta: &RequestMeta,
) -> Result<(), ServiceError> {
    if db::two_step::count_factors(tx, user.id).await? > 0 {
        return Ok(());
    }
    let now = state.clock.now();
    db::two_step::delete_recovery_codes(tx, user.id).await?;
    queue_two_step_notice(
        tx,
        state,
        (
            user.email.as_str(),
            language_for(state, user.language.as_deref(), meta.lang),
        ),
        TwoStepNotice::Off,
        now,
    )
    .await?;
    Ok(())
}

/// How a change on the security page begins: the current password checked
/// (`check_current_password`, throttled and audited), then a transaction
/// that gives the allowance back; with the time.
async fn confirmed(
    state: &AppState,
    user: &CurrentUser,
    current: &Secret,
    meta: &RequestMeta,
) -> Result<(db::users::UserRow, db::Tx, i64), ServiceError> {
    let (row, (key, limit)) = check_current_password(
        state,
        user,
        current,
        meta,
        "wrong password on the security page",
    )
    .await?;
    let now = state.clock.now();
    let mut tx = state.db.begin().await?;
    rate_limit::refund(&mut tx, &key, limit).await?;
    Ok((row, tx, now))
}

/// Removes the person's authenticator app.
pub async fn remove_app(
    state: &AppState,
    user: &CurrentUser,
    current: &Secret,
    meta: &RequestMeta,
) -> Result<(), ServiceError> {
    let (row, mut tx, now) = confirmed(state, user, current, meta).await?;
    if db::two_step::delete_totp(&mut tx, user.id).await? == 0 {
        return Err(AppError::NotFound.into());
    }
    factor_removed(state, &mut tx, &row, meta).await?;
    let entry = Entry::new(Event::AuthenticatorRemoved).about(Who::user(user.id, &user.email));
    audit::record(&mut tx, now, meta, entry).await?;
    tx.commit().await?;
    state.mail_notify.notify_one();
    Ok(())
}

/// Ten new recovery codes, the old ones void: returned to be shown once.
pub async fn renew_codes(
    state: &AppState,
    user: &CurrentUser,
    current: &Secret,
    meta: &RequestMeta,
) -> Result<Vec<String>, ServiceError> {
    let (row, mut tx, now) = confirmed(state, user, current, meta).await?;
    if db::two_step::count_factors(&mut tx, user.id).await? == 0 {
        // Codes stand in for a factor: without one they open nothing.
        return Err(AppError::BadRequest.into());
    }
    let codes = store_new_codes(state, &mut tx, user.id, now).await?;
    let notice = TwoStepNotice::CodesRenewed;
    queue_two_step_notice(
        &mut tx,
        state,
        (
            row.email.as_str(),
            language_for(state, row.language.as_deref(), meta.lang),
        ),
        notice,
        now,
    )
    .await?;
    let entry = Entry::new(Event::RecoveryCodesRenewed).about(Who::user(user.id, &user.email));
    audit::record(&mut tx, now, meta, entry).await?;
    tx.commit().await?;
    state.mail_notify.notify_one();
    Ok(codes)
}

/// Removes one of the person's passkeys.
pub async fn remove_passkey(
    state: &AppState,
    user: &CurrentUser,
    credential_id: &str,
    current: &Secret,
    meta: &RequestMeta,
) -> Result<(), ServiceError> {
    let (row, mut tx, now) = confirmed(state, user, current, meta).await?;
    let stored = db::two_step::passkeys(&mut tx, user.id).await?;
    let Some(removed) = stored.iter().find(|p| p.credential_id == credential_id) else {
        return Err(AppError::NotFound.into());
    };
    db::two_step::delete_passkey(&mut tx, user.id, credential_id).await?;
    factor_removed(state, &mut tx, &row, meta).await?;
    let entry = Entry::new(Event::PasskeyRemoved)
        .about(Who::user(user.id, &user.email))
        .detail(&removed.name);
    audit::record(&mut tx, now, meta, entry).await?;
    tx.commit().await?;
    state.mail_notify.notify_one();
    Ok(())
}

/// A passkey's name as typed: trimmed, not empty, not too long, no
/// control characters.
pub fn passkey_name(name: &str) -> Result<String, AppError> {
    let name = name.trim();
    if name.is_empty() {
        return Err(AppError::field(Field::PasskeyName, Problem::Required));
    }
    if name.chars().count() > MAX_PASSKEY_NAME {
        let max = MAX_PASSKEY_NAME;
        return Err(AppError::field(
            Field::PasskeyName,
            Problem::TooLong { max },
        ));
    }
    if name.chars().any(char::is_control) {
        return Err(AppError::field(
            Field::PasskeyName,
            Problem::InvalidCharacters,
        ));
    }
    Ok(name.to_owned())
}

/// What a registration ceremony keeps on the server: the passkey's name
/// and webauthn-rs's state.
#[derive(serde::Serialize, serde::Deserialize)]
struct Registration {
    name: String,
    state: String,
}

/// Begins adding a passkey, once the current password is verified: the
/// options for the browser (JSON), and the ceremony's id for its cookie.
pub async fn passkey_start(
    state: &AppState,
    user: &CurrentUser,
    name: &str,
    current: &Secret,
    meta: &RequestMeta,
) -> Result<(String, String), ServiceError> {
    let name = passkey_name(name)?;
    let (row, (key, limit)) = check_current_password(
        state,
        user,
        current,
        meta,
        "wrong password on the security page",
    )
    .await?;
    let (handle, existing) = {
        let mut tx = state.db.begin().await?;
        rate_limit::refund(&mut tx, &key, limit).await?;
        let fresh = passkeys::new_handle().to_string();
        let handle = db::two_step::webauthn_handle(&mut tx, user.id, &fresh).await?;
        let existing = db::two_step::passkeys(&mut tx, user.id).await?;
        tx.commit().await?;
        (handle, existing)
    };
    let handle = handle.parse().map_err(|_| AppError::Internal)?;
    let existing = existing
        .iter()
        .map(passkeys::parse)
        .collect::<Result<Vec<_>, _>>()?;
    let (options, ceremony) =
        state
            .passkeys
            .start_registration(handle, row.email.as_str(), &row.name, &existing)?;
    let kept = serde_json::to_string(&Registration {
        name,
        state: ceremony,
    })
    .map_err(|e| anyhow::anyhow!("keeping a registration: {e}"))?;
    let id = super::verify::keep_ceremony(state, Some(user.id), &kept).await?;
    let options = serde_json::to_string(&options).map_err(|e| anyhow::anyhow!("{e}"))?;
    Ok((options, id))
}

/// Finishes adding the passkey the browser made. New recovery codes when
/// it is the person's first factor: returned to be shown once.
pub async fn passkey_finish(
    state: &AppState,
    user: &CurrentUser,
    session_id: Option<&str>,
    ceremony: Option<(Option<i64>, String)>,
    credential: &str,
    meta: &RequestMeta,
) -> Result<Option<Vec<String>>, ServiceError> {
    let Some((Some(owner), kept)) = ceremony.filter(|(owner, _)| *owner == Some(user.id)) else {
        return Err(AppError::PasskeyRefused.into());
    };
    let kept: Registration =
        serde_json::from_str(&kept).map_err(|e| anyhow::anyhow!("a kept registration: {e}"))?;
    let passkey = state
        .passkeys
        .finish_registration(credential, &kept.state)?;
    let now = state.clock.now();
    let mut tx = state.db.begin().await?;
    let row = db::users::find_by_id(&mut tx, owner)
        .await?
        .filter(|u| u.active)
        .ok_or(AppError::Unauthorized)?;
    let id = passkeys::credential_id(&passkey);
    let stored = passkeys::to_json(&passkey)?;
    let inserted = db::two_step::insert_passkey(
        &mut tx,
        db::two_step::NewPasskey {
            credential_id: &id,
            user_id: owner,
            name: &kept.name,
            passkey: &stored,
            now,
        },
    )
    .await;
    match inserted {
        Err(e) if db::is_unique_violation(&e) => return Err(AppError::PasskeyRefused.into()),
        other => other?,
    }
    let codes = factor_added(
        state,
        &mut tx,
        &row,
        session_id,
        SignIn::PasswordAndPasskey,
        meta,
    )
    .await?;
    let notice = TwoStepNotice::PasskeyAdded { name: &kept.name };
    queue_two_step_notice(
        &mut tx,
        state,
        (
            row.email.as_str(),
            language_for(state, row.language.as_deref(), meta.lang),
        ),
        notice,
        now,
    )
    .await?;
    let entry = Entry::new(Event::PasskeyAdded)
        .about(Who::user(user.id, &user.email))
        .detail(&kept.name);
    audit::record(&mut tx, now, meta, entry).await?;
    tx.commit().await?;
    state.mail_notify.notify_one();
    Ok(codes)
}

/// A site admin turns off two-step verification for someone who lost
/// every factor: their app, passkeys and recovery codes go, their sessions
/// and app sign-ins end, they are told by mail, and it is audited. Not for
/// one's own account (the security page is for that).
pub async fn turn_off_for(
    state: &AppState,
    admin: &CurrentUser,
    user_id: i64,
    meta: &RequestMeta,
) -> Result<(), ServiceError> {
    if admin.id == user_id {
        return Err(AppError::OwnAccount.into());
    }
    let now = state.clock.now();
    let mut tx = state.db.begin().await?;
    let user = db::users::find_by_id(&mut tx, user_id)
        .await?
        .ok_or(AppError::NotFound)?;
    if db::two_step::delete_all(&mut tx, user_id).await? == 0 {
        return Err(AppError::NotFound.into());
    }
    let ended = sessions::end_everywhere(&mut tx, user_id, None, now).await?;
    let default = state.settings.default_language();
    let lang = language_for(state, user.language.as_deref(), default);
    let notice = TwoStepNotice::OffByAdmin;
    queue_two_step_notice(&mut tx, state, (user.email.as_str(), lang), notice, now).await?;
    let detail = format!("{ended} sessions ended");
    let entry = Entry::new(Event::TwoStepTurnedOffByAdmin)
        .by(Who::user(admin.id, &admin.email))
        .on(Who::user(user.id, &user.email))
        .detail(&detail);
    audit::record(&mut tx, now, meta, entry).await?;
    tx.commit().await?;
    state.mail_notify.notify_one();
    Ok(())
}
