//! The login's second step: a code (an authenticator app's or a recovery
//! code) or a passkey, for the login waiting in this browser; and signing
//! in with a passkey alone.
//!
//! Wrong codes spend allowances of their own, per account and per address,
//! as passwords do; each is audited, and every wrong code gets the same
//! answer. The pending login ends when its session starts, in the same
//! transaction: two requests racing with one login start one session.

use super::{passkeys, recovery, totp, TOTP_PURPOSE};
use crate::{
    domain::CurrentUser,
    error::{AppError, Field, Problem},
    server::{
        accounts::{
            account_mail::{language_for, queue_two_step_notice},
            sessions,
        },
        db::{self, users::UserRow, write::WriteConn, Tx},
        mail::templates::TwoStepNotice,
        platform::{
            audit::{self, Entry, Event, Who},
            client::RequestMeta,
            rate_limit::{self, Limit, Limits},
            tokens,
        },
        AppState, ServiceError,
    },
};

/// A login whose second step is done: the person, their new session's id
/// (for the cookie) and where they were going.
pub struct Finished {
    pub user: CurrentUser,
    pub session_id: String,
    pub next: String,
}

/// What the verify page knows of the login waiting in this browser.
pub struct Waiting {
    pub user: UserRow,
    pub next: String,
    id_hash: String,
}

/// The login waiting for its second step in the browser that holds `id`,
/// if it has neither ended nor expired (and its account is still active).
pub async fn waiting(state: &AppState, id: Option<&str>) -> Result<Option<Waiting>, ServiceError> {
    let Some(id) = id else {
        return Ok(None);
    };
    let id_hash = tokens::hash(id);
    let mut conn = state.db.conn().await?;
    let Some(pending) = db::two_step::pending(&mut conn, &id_hash, state.clock.now()).await? else {
        return Ok(None);
    };
    let user = db::users::find_by_id(&mut conn, pending.user_id)
        .await?
        .filter(|u| u.active);
    Ok(user.map(|user| Waiting {
        user,
        next: pending.next.unwrap_or_else(|| "/account".to_owned()),
        id_hash,
    }))
}

/// The second step's allowances: this address's and this account's.
fn allowances(state: &AppState, user_id: i64, meta: &RequestMeta) -> [(String, Limit); 2] {
    [
        (
            rate_limit::key("verify:ip", &meta.throttle_subject()),
            Limits::login_ip(state),
        ),
        (
            rate_limit::key("verify:acct", &user_id.to_string()),
            Limits::login_account(state),
        ),
    ]
}

/// Spends one try of each allowance; a refusal is audited (counted) and
/// answered.
async fn spend(
    state: &AppState,
    keys: &[(String, Limit); 2],
    user: &UserRow,
    meta: &RequestMeta,
) -> Result<(), ServiceError> {
    let keys_ref = keys.each_ref().map(|(k, l)| (k.as_str(), *l));
    if let Err((refused, key)) = rate_limit::hit_each(state, &keys_ref).await? {
        let detail = if key == keys[0].0 {
            "too many attempts from this address"
        } else {
            "too many attempts for this account"
        };
        let entry = Entry::new(Event::SecondStepThrottled)
            .on(Who::user(user.id, &user.email))
            .detail(detail);
        return Err(audit::record_throttled(state, meta, entry, (refused, key)).await);
    }
    Ok(())
}

/// What proved the second step.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Proof {
    App,
    RecoveryCode,
}

/// Finishes the waiting login with a code: an authenticator app's (for
/// the current 30-second step, or the one before or after; once) or an
/// unused recovery code.
pub async fn with_code(
    state: &AppState,
    waiting: Waiting,
    code: &str,
    meta: &RequestMeta,
) -> Result<Finished, ServiceError> {
    let code = code.trim();
    if code.is_empty() {
        return Err(AppError::field(Field::Code, Problem::Required).into());
    }
    if code.chars().count() > 64 {
        return Err(AppError::field(Field::Code, Problem::WrongCode).into());
    }
    let user = &waiting.user;
    let keys = allowances(state, user.id, meta);
    spend(state, &keys, user, meta).await?;
    let now = state.clock.now();
    let mut tx = state.db.begin().await?;
    let Some(proof) = check_code(state, &mut tx, user.id, code, now).await? else {
        let entry = Entry::new(Event::SecondStepFailed)
            .on(Who::user(user.id, &user.email))
            .detail("wrong code");
        audit::record(&mut tx, now, meta, entry).await?;
        tx.commit().await?;
        return Err(AppError::field(Field::Code, Problem::WrongCode).into());
    };
    let (sign_in, detail) = match proof {
        Proof::App => (
            sessions::SignIn::PasswordAndCode,
            "with an authenticator app",
        ),
        Proof::RecoveryCode => (sessions::SignIn::PasswordAndCode, "with a recovery code"),
    };
    let (key, limit) = &keys[1];
    rate_limit::refund(&mut tx, key, *limit).await?;
    let finished = finish(state, &mut tx, &waiting, sign_in, detail, meta).await?;
    if proof == Proof::RecoveryCode {
        let left = db::two_step::unused_recovery_codes(&mut tx, user.id).await?;
        let entry = Entry::new(Event::RecoveryCodeUsed).about(Who::user(user.id, &user.email));
        let detail = format!("{left} left");
        audit::record(&mut tx, now, meta, entry.detail(&detail)).await?;
        let notice = TwoStepNotice::CodeUsed { left };
        queue_two_step_notice(
            &mut tx,
            state,
            (
                user.email.as_str(),
                language_for(state, user.language.as_deref(), meta.lang),
            ),
            notice,
            now,
        )
        .await?;
    }
    tx.commit().await?;
    if proof == Proof::RecoveryCode {
        state.mail_notify.notify_one();
    }
    Ok(finished)
}

/// Which proof `code` is for this person, spending it (an app's step, a
/// recovery code); `None` when it is neither.
async fn check_code(
    state: &AppState,
    tx: &mut Tx,
    user_id: i64,
    code: &str,
    now: i64,
) -> Result<Option<Proof>, ServiceError> {
    let digits: String = code.chars().filter(|c| !c.is_whitespace()).collect();
    if digits.len() == 6 && digits.bytes().all(|b| b.is_ascii_digit()) {
        let Some(row) = db::two_step::totp(tx, user_id).await? else {
            return Ok(None);
        };
        if row.confirmed_at.is_none() {
            return Ok(None);
        }
        let key = open_key(state, &row.secret)?;
        let Some(step) = totp::step_of(&key, &digits, now) else {
            return Ok(None);
        };
        let fresh = db::two_step::accept_step(tx, user_id, step, now).await?;
        return Ok(fresh.then_some(Proof::App));
    }
    let Some(hash) = recovery::hash(code, &state.secret) else {
        return Ok(None);
    };
    let used = db::two_step::use_recovery_code(tx, user_id, &hash, now).await?;
    Ok(used.then_some(Proof::RecoveryCode))
}

/// An authenticator app's key, opened with the server's key.
pub fn open_key(state: &AppState, sealed: &str) -> Result<Vec<u8>, ServiceError> {
    state.secret.open(TOTP_PURPOSE, sealed).ok_or_else(|| {
        anyhow::anyhow!(
            "an authenticator app's key does not open with the server's secret key \
             (was site.secret_key or the data directory's secret.key changed?)"
        )
        .into()
    })
}

/// Ends the waiting login and starts its session, with the login time and
/// the audit entry, in the caller's transaction. A login that ended
/// meanwhile (another request finished it) starts nothing.
async fn finish(
    state: &AppState,
    tx: &mut Tx,
    waiting: &Waiting,
    sign_in: sessions::SignIn,
    detail: &str,
    meta: &RequestMeta,
) -> Result<Finished, ServiceError> {
    if !db::two_step::end_pending(tx, &waiting.id_hash).await? {
        return Err(AppError::SecondStepExpired.into());
    }
    let user = &waiting.user;
    let session = start_session(state, tx, user, sign_in, detail, meta).await?;
    Ok(Finished {
        user: CurrentUser::from(user.clone()),
        session_id: session,
        next: waiting.next.clone(),
    })
}

/// A session for `user`, begun as `sign_in`, with the login time and the
/// audit entry; its id.
async fn start_session<C: WriteConn>(
    state: &AppState,
    conn: &mut C,
    user: &UserRow,
    sign_in: sessions::SignIn,
    detail: &str,
    meta: &RequestMeta,
) -> Result<String, ServiceError> {
    let now = state.clock.now();
    let session = sessions::Fresh::new(&state.settings, now, user.id, meta, sign_in);
    session.insert(conn).await?;
    conn.record_login(user.id, now).await?;
    let entry = Entry::new(Event::Login)
        .about(Who::user(user.id, &user.email))
        .detail(detail);
    audit::record(conn, now, meta, entry).await?;
    Ok(session.id)
}

/// A WebAuthn ceremony's state, kept on the server for the browser that
/// holds its id; taken once.
pub async fn take_ceremony(
    state: &AppState,
    id: Option<&str>,
) -> Result<Option<(Option<i64>, String)>, ServiceError> {
    let Some(id) = id else {
        return Ok(None);
    };
    let mut conn = state.db.conn().await?;
    Ok(db::two_step::take_ceremony(&mut conn, &tokens::hash(id), state.clock.now()).await?)
}

/// Stores a ceremony's state for the browser; the id for its cookie.
pub async fn keep_ceremony(
    state: &AppState,
    user_id: Option<i64>,
    ceremony: &str,
) -> Result<String, ServiceError> {
    let (id, hash) = passkeys::new_ceremony_id();
    let now = state.clock.now();
    let mut conn = state.db.conn().await?;
    db::two_step::delete_expired(&mut conn, now).await?;
    db::two_step::insert_ceremony(
        &mut conn,
        &hash,
        user_id,
        ceremony,
        now + passkeys::CEREMONY_SECS,
    )
    .await?;
    Ok(id)
}

/// Begins the second step with one of the waiting person's passkeys: the
/// options for the browser (JSON), and the ceremony's id for its cookie.
pub async fn passkey_second_step_start(
    state: &AppState,
    waiting: &Waiting,
) -> Result<(String, String), ServiceError> {
    let stored = {
        let mut conn = state.db.conn().await?;
        db::two_step::passkeys(&mut conn, waiting.user.id).await?
    };
    let keys = stored
        .iter()
        .map(passkeys::parse)
        .collect::<Result<Vec<_>, _>>()?;
    if keys.is_empty() {
        return Err(AppError::PasskeyRefused.into());
    }
    let (options, ceremony) = state.passkeys.start_second_step(&keys)?;
    let id = keep_ceremony(state, Some(waiting.user.id), &ceremony).await?;
    Ok((json(&options)?, id))
}

/// Finishes the waiting login with the passkey the browser answered with.
pub async fn passkey_second_step_finish(
    state: &AppState,
    waiting: Waiting,
    ceremony: Option<(Option<i64>, String)>,
    credential: &str,
    meta: &RequestMeta,
) -> Result<Finished, ServiceError> {
    let user_id = waiting.user.id;
    let Some((Some(owner), ceremony)) = ceremony.filter(|(owner, _)| *owner == Some(user_id))
    else {
        return Err(AppError::PasskeyRefused.into());
    };
    let keys = allowances(state, owner, meta);
    spend(state, &keys, &waiting.user, meta).await?;
    let stored = {
        let mut conn = state.db.conn().await?;
        db::two_step::passkeys(&mut conn, owner).await?
    };
    let mine = stored
        .iter()
        .map(passkeys::parse)
        .collect::<Result<Vec<_>, _>>()?;
    let now = state.clock.now();
    let (used_id, used) = match state
        .passkeys
        .finish_second_step(credential, &ceremony, mine)
    {
        Ok(used) => used,
        Err(e) => {
            passkey_failed(state, Some(&waiting.user), meta).await?;
            return Err(e);
        }
    };
    let mut tx = state.db.begin().await?;
    db::two_step::passkey_used(&mut tx, &used_id, &passkeys::to_json(&used)?, now).await?;
    let (key, limit) = &keys[1];
    rate_limit::refund(&mut tx, key, *limit).await?;
    let finished = finish(
        state,
        &mut tx,
        &waiting,
        sessions::SignIn::PasswordAndPasskey,
        "with a passkey",
        meta,
    )
    .await?;
    tx.commit().await?;
    Ok(finished)
}

/// Begins a sign-in with a passkey alone (the browser offers the person's
/// passkeys for this site): the options (JSON) and the ceremony's id.
pub async fn passkey_sign_in_start(state: &AppState) -> Result<(String, String), ServiceError> {
    let (options, ceremony) = state.passkeys.start_discoverable()?;
    let id = keep_ceremony(state, None, &ceremony).await?;
    Ok((json(&options)?, id))
}

/// Signs in with the passkey the browser answered with: a passkey verifies
/// its user (their screen lock, say), so it counts as two factors. The
/// address's allowance is spent first, like a login's.
pub async fn passkey_sign_in_finish(
    state: &AppState,
    ceremony: Option<(Option<i64>, String)>,
    credential: &str,
    next: &str,
    meta: &RequestMeta,
) -> Result<Finished, ServiceError> {
    let Some((None, ceremony)) = ceremony else {
        return Err(AppError::PasskeyRefused.into());
    };
    let ip_key = rate_limit::key("verify:ip", &meta.throttle_subject());
    if let Err(e) = rate_limit::hit(state, &ip_key, Limits::login_ip(state)).await {
        return Err(match e {
            rate_limit::RateError::Throttled(t) => AppError::TooManyRequests {
                retry_after_secs: t.retry_after_secs,
            }
            .into(),
            rate_limit::RateError::Db(e) => e.into(),
        });
    }
    let (parsed, handle, credential_id) = state.passkeys.identify(credential)?;
    let found = {
        let mut conn = state.db.conn().await?;
        let user_id = db::two_step::user_by_webauthn_handle(&mut conn, &handle.to_string()).await?;
        let passkey = db::two_step::passkey_by_credential(&mut conn, &credential_id).await?;
        match (user_id, passkey) {
            (Some(user_id), Some((owner, row))) if owner == user_id => {
                db::users::find_by_id(&mut conn, user_id)
                    .await?
                    .filter(|u| u.active)
                    .map(|user| (user, row))
            }
            _ => None,
        }
    };
    let Some((user, row)) = found else {
        passkey_failed(state, None, meta).await?;
        return Err(AppError::PasskeyRefused.into());
    };
    let used = match state
        .passkeys
        .finish_discoverable(&parsed, &ceremony, passkeys::parse(&row)?)
    {
        Ok(used) => used,
        Err(e) => {
            passkey_failed(state, Some(&user), meta).await?;
            return Err(e);
        }
    };
    let now = state.clock.now();
    let mut tx = state.db.begin().await?;
    db::two_step::passkey_used(&mut tx, &credential_id, &passkeys::to_json(&used)?, now).await?;
    let session = start_session(
        state,
        &mut tx,
        &user,
        sessions::SignIn::Passkey,
        "with a passkey alone",
        meta,
    )
    .await?;
    tx.commit().await?;
    Ok(Finished {
        user: CurrentUser::from(user),
        session_id: session,
        next: next.to_owned(),
    })
}

/// Audits a refused passkey.
async fn passkey_failed(
    state: &AppState,
    user: Option<&UserRow>,
    meta: &RequestMeta,
) -> Result<(), ServiceError> {
    let mut conn = state.db.conn().await?;
    let entry = match user {
        Some(user) => Entry::new(Event::PasskeyFailed).on(Who::user(user.id, &user.email)),
        None => Entry::new(Event::PasskeyFailed).detail("no such passkey here"),
    };
    audit::record(&mut conn, state.clock.now(), meta, entry).await?;
    Ok(())
}

fn json(value: &impl serde::Serialize) -> Result<String, ServiceError> {
    serde_json::to_string(value)
        .map_err(|e| anyhow::anyhow!("encoding WebAuthn options: {e}").into())
}
