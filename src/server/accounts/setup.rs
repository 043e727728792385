//! First start: the one-time setup link and the first site admin.
//!
//! While no account exists, `/setup` creates one, but only with a setup
//! token that the operator can see: the server prints a link with one at
//! start-up, and `gatehouse setup-link` prints a fresh one. Anybody else who
//! finds a new site first gets nowhere, and cannot even make it hash.

use crate::{
    domain::{password::Secret, SetupStatus},
    error::AppError,
    server::{
        accounts::new_account::{self, InitialPassword, NewAccount},
        db,
        platform::{
            audit::{self, Entry, Event, Who},
            client::RequestMeta,
            rate_limit::{self, Limits},
            tokens,
        },
        AppState, ServiceError,
    },
};

/// How long a setup link works.
pub const LINK_HOURS: i64 = 24;

/// Whether no account exists yet (setup is open).
pub async fn is_open(state: &AppState) -> Result<bool, ServiceError> {
    let mut conn = state.db.conn().await?;
    Ok(!db::users::any_exists(&mut conn).await?)
}

/// Issues a setup token and returns the link that carries it, or `None`
/// once an account exists.
pub async fn issue_link(state: &AppState) -> Result<Option<String>, ServiceError> {
    let now = state.clock.now();
    let raw = tokens::generate();
    let mut tx = state.db.begin().await?;
    if db::users::any_exists(&mut tx).await? {
        return Ok(None);
    }
    db::setup_tokens::insert(&mut tx, &tokens::hash(&raw), now, now + LINK_HOURS * 3600).await?;
    tx.commit().await?;
    Ok(Some(state.settings.link(&format!("/setup?token={raw}"))))
}

/// Inside the creating transaction: setup is still open and `token` opens it.
pub async fn check_open(conn: &mut db::Conn, token: &str, now: i64) -> Result<(), ServiceError> {
    if db::users::any_exists(conn).await? {
        return Err(AppError::SetupClosed.into());
    }
    if token.is_empty() || !db::setup_tokens::is_valid(conn, &tokens::hash(token), now).await? {
        return Err(AppError::SetupLinkInvalid.into());
    }
    Ok(())
}

/// What `/setup` shows for `token`.
pub async fn status(state: &AppState, token: Option<&str>) -> Result<SetupStatus, ServiceError> {
    let mut conn = state.db.conn().await?;
    Ok(
        match check_open(&mut conn, token.unwrap_or_default(), state.clock.now()).await {
            Ok(()) => SetupStatus::Ready,
            Err(ServiceError::User(AppError::SetupClosed)) => SetupStatus::Closed,
            Err(ServiceError::User(_)) if token.is_some() => SetupStatus::LinkInvalid,
            Err(ServiceError::User(_)) => SetupStatus::NeedsLink,
            Err(e) => return Err(e),
        },
    )
}

/// Creates the first site admin. Throttled per address, and the cheap
/// checks come before the password is hashed. Uses up every setup link.
pub async fn create_first_admin(
    state: &AppState,
    token: &str,
    email: &str,
    name: &str,
    password: Secret,
    confirm: Secret,
    meta: &RequestMeta,
) -> Result<i64, ServiceError> {
    rate_limit::hit(
        state,
        &rate_limit::key("setup:ip", &meta.throttle_subject()),
        Limits::login_ip(state),
    )
    .await?;
    {
        let mut conn = state.db.conn().await?;
        check_open(&mut conn, token, state.clock.now()).await?;
    }
    // Parsed after the link is checked: a visitor without a valid link
    // learns nothing about the form.
    let password = InitialPassword::Typed { password, confirm };
    let account = NewAccount::parse(&state.settings, email, name, "site_admin", password)?;
    let hash = account.hash(state).await?;
    let now = state.clock.now();
    let mut tx = state.db.begin().await?;
    state.db.lock_users_for_first_account(&mut tx).await?;
    // Again inside the transaction: two forms sent at once make one admin.
    check_open(&mut tx, token, now).await?;
    let id = new_account::store(&mut tx, &account, hash.as_deref(), now).await?;
    let entry = Entry::new(Event::UserCreated)
        .on(Who::user(id, account.email.as_str()))
        .detail("role site_admin, first-run setup");
    audit::record(&mut tx, now, meta, entry).await?;
    db::setup_tokens::delete_all_or_expired(&mut tx, now, true).await?;
    tx.commit().await?;
    Ok(id)
}

/// Whether `/setup` is open (no account exists yet). Once an account is
/// known to exist the answer is remembered: accounts never all go away
/// (the last site admin cannot be deleted).
pub async fn needs_setup(state: &AppState) -> Result<bool, ServiceError> {
    use std::sync::atomic::Ordering;
    if state.has_accounts.load(Ordering::Relaxed) {
        return Ok(false);
    }
    let open = is_open(state).await?;
    if !open {
        state.has_accounts.store(true, Ordering::Relaxed);
    }
    Ok(open)
}
