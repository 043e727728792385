//! Forgotten passwords: requesting a link, checking it, and setting a new
//! password with it. Invitations use the same links.

use crate::{
    domain::Email,
    error::{AppError, Field},
    server::{
        accounts::{
            account_mail::{language_for, queue_link, queue_password_changed, Link},
            known_device,
            passwords::PasswordPair,
            sessions,
        },
        db::{
            self,
            write::{Job, Write, WriteConn},
        },
        platform::audit::{self, Entry, Event, Who},
        platform::client::RequestMeta,
        platform::rate_limit::{self, Limit, Limits, Throttled},
        platform::tokens::{self, Purpose, TokenState},
        AppState, ServiceError,
    },
};

/// Queues a reset link for an active account, and does the same work, with
/// the same answer, for any other address. Never touches the mail server.
pub async fn request_reset(
    state: &AppState,
    email: &Email,
    meta: &RequestMeta,
) -> Result<(), ServiceError> {
    let normalized = email.normalized();
    let ip_key = rate_limit::key("reset:ip", &meta.throttle_subject());
    let account_key = rate_limit::key("reset:acct", &normalized);
    let keys = [
        (ip_key.as_str(), Limits::reset_ip(state)),
        (account_key.as_str(), Limits::reset_account(state)),
    ];
    let throttled = |refused| {
        let target = Who::email(email.as_str());
        let entry = Entry::new(Event::ResetThrottled).on(target);
        audit::record_throttled(state, meta, entry, refused)
    };
    // The reads first, outside the write transaction: on SQLite every
    // writer waits for the one before it, so the transaction holds only
    // the writes (spending the allowances, queuing the mail, the audit).
    let user = {
        let mut conn = state.db.conn().await?;
        if let Err(refused) =
            rate_limit::precheck_on(&mut conn, state.clock.now_ms(), &keys).await?
        {
            drop(conn);
            return Err(throttled(refused).await);
        }
        db::users::find_by_email(&mut conn, &normalized)
            .await?
            .filter(|u| u.active)
    };
    let now = state.clock.now();
    let request = ResetRequest {
        now,
        now_ms: state.clock.now_ms(),
        meta: meta.clone(),
        email: email.clone(),
        // The mail is rendered here, outside the writer's turn.
        account: user.map(|user| {
            let lang = language_for(state, user.language.as_deref(), meta.lang);
            (user, Link::new(state, Purpose::Reset, now, lang))
        }),
        keys: keys.map(|(key, limit)| (key.to_owned(), limit)),
    };
    let queued = request.account.is_some();
    let mail = state.mail_notify.clone();
    // The outbox worker is woken once the link is committed, also if the
    // client has gone meanwhile.
    let wake_mail = move |spent: &Spent| {
        if queued && spent.is_ok() {
            mail.notify_one();
        }
    };
    match state.db.write_then(request, wake_mail).await? {
        Ok(()) => Ok(()),
        Err((refused, key)) => Err(throttled((refused, &key)).await),
    }
}

/// The writes of [`request_reset`], in one transaction: both allowances
/// spent, the link queued for an active account, the audit entry. When a
/// key is over its limit nothing is written and it is named.
struct ResetRequest {
    now: i64,
    now_ms: i64,
    meta: RequestMeta,
    email: Email,
    /// An active account, and the link made for it.
    account: Option<(db::users::UserRow, Link)>,
    keys: [(String, Limit); 2],
}

type Spent = Result<(), (Throttled, String)>;

impl ResetRequest {
    fn entry(&self) -> Entry<'_> {
        let entry = Entry::new(Event::ResetRequested);
        match &self.account {
            Some((user, _)) => entry.on(Who::user(user.id, &user.email)),
            None => entry
                .on(Who::email(self.email.as_str()))
                .detail("no active account"),
        }
    }
}

impl Job for ResetRequest {
    type Output = Spent;

    async fn run<C: WriteConn>(self, conn: &mut C) -> Result<Write<Spent>, db::Error> {
        let keys = self
            .keys
            .each_ref()
            .map(|(key, limit)| (key.as_str(), *limit));
        if let Err((refused, key)) = rate_limit::spend(conn, self.now_ms, &keys).await? {
            return Ok(Write::Discard(Err((refused, key.to_owned()))));
        }
        if let Some((user, link)) = &self.account {
            link.queue(conn, user.id, user.email.as_str()).await?;
        }
        audit::record(conn, self.now, &self.meta, self.entry()).await?;
        Ok(Write::Commit(Ok(())))
    }
}

/// What the page behind a link should show. Looking never uses a token up.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LinkState {
    Valid { invite: bool },
    Spent,
    Unknown,
}

pub async fn link_state(state: &AppState, raw: &str) -> Result<LinkState, ServiceError> {
    let mut conn = state.db.conn().await?;
    Ok(
        match tokens::inspect(&mut conn, raw, state.clock.now()).await? {
            TokenState::Valid(row) => LinkState::Valid {
                invite: row.purpose == Purpose::Invite.as_str(),
            },
            TokenState::Spent(_) => LinkState::Spent,
            TokenState::Unknown => LinkState::Unknown,
        },
    )
}

/// Sets a new password with a valid link: uses up every token of the user,
/// ends all their sessions and queues a notice. The user then logs in.
pub async fn reset_password(
    state: &AppState,
    raw: &str,
    new: PasswordPair,
    meta: &RequestMeta,
) -> Result<(), ServiceError> {
    rate_limit::hit(
        state,
        &rate_limit::key("reset:ip", &meta.throttle_subject()),
        Limits::reset_ip(state),
    )
    .await?;
    let (token, user) = {
        let mut conn = state.db.conn().await?;
        let TokenState::Valid(token) = tokens::inspect(&mut conn, raw, state.clock.now()).await?
        else {
            return Err(AppError::InvalidOrExpiredToken.into());
        };
        let user = db::users::find_by_id(&mut conn, token.user_id)
            .await?
            .filter(|u| u.active);
        (token, user.ok_or(AppError::InvalidOrExpiredToken)?)
    };
    let email = user.email.clone();
    let new = new.check(
        &state.settings.password_policy(),
        Field::NewPassword,
        Some(&email.local_part()),
    )?;
    let hash = state.hasher.hash(&new).await?;
    let now = state.clock.now();
    let mut tx = state.db.begin().await?;
    // Whoever uses the token first wins; a second submit finds it used.
    if now >= token.expires_at || !db::tokens::use_up(&mut tx, token.id, now).await? {
        return Err(AppError::InvalidOrExpiredToken.into());
    }
    db::users::set_password_hash(&mut tx, user.id, &hash, now).await?;
    db::tokens::use_up_all(&mut tx, user.id, now).await?;
    // A mailed link proves the mailbox; one an admin passed on does not.
    if !token.made_by_admin {
        db::users::mark_email_verified(&mut tx, user.id).await?;
    }
    let ended = sessions::end_everywhere(&mut tx, user.id, None, now).await?;
    let lang = language_for(state, user.language.as_deref(), meta.lang);
    queue_password_changed(&mut tx, state, (user.email.as_str(), lang), now).await?;
    let event = if token.purpose == Purpose::Invite.as_str() {
        Event::InvitationAccepted
    } else {
        Event::ResetCompleted
    };
    let detail = format!("{ended} sessions ended");
    audit::record(
        &mut tx,
        now,
        meta,
        Entry::new(event)
            .about(Who::user(user.id, &user.email))
            .detail(&detail),
    )
    .await?;
    tx.commit().await?;
    state.mail_notify.notify_one();
    // The owner proved control of the mailbox (a mailed link): lift the
    // account's login throttles across all networks and from this one.
    if !token.made_by_admin {
        let normalized = email.normalized();
        rate_limit::clear(state, &known_device::all_networks_key(&normalized)).await?;
        rate_limit::clear(
            state,
            &known_device::network_key(&normalized, &meta.network()),
        )
        .await?;
    }
    Ok(())
}

/// "Send me a new link" from an expired or used link: a fresh link goes to
/// the account's own address, never to one given in the request.
pub async fn resend_link(
    state: &AppState,
    raw: &str,
    meta: &RequestMeta,
) -> Result<(), ServiceError> {
    rate_limit::hit(
        state,
        &rate_limit::key("reset:ip", &meta.throttle_subject()),
        Limits::reset_ip(state),
    )
    .await?;
    let now = state.clock.now();
    let mut tx = state.db.begin().await?;
    let token = match tokens::inspect(&mut tx, raw, now).await? {
        TokenState::Valid(t) | TokenState::Spent(t) => t,
        TokenState::Unknown => return Err(AppError::InvalidOrExpiredToken.into()),
    };
    let Some(user) = db::users::find_by_id(&mut tx, token.user_id)
        .await?
        .filter(|u| u.active)
    else {
        return Err(AppError::InvalidOrExpiredToken.into());
    };
    drop(tx);
    rate_limit::hit(
        state,
        &rate_limit::key("reset:acct", &user.email.normalized()),
        Limits::reset_account(state),
    )
    .await?;
    let mut tx = state.db.begin().await?;
    let purpose = Purpose::for_account(user.password_hash.is_some());
    queue_link(
        &mut tx,
        state,
        (
            purpose,
            language_for(state, user.language.as_deref(), meta.lang),
        ),
        user.id,
        user.email.as_str(),
        now,
    )
    .await?;
    let (event, detail) = match purpose {
        Purpose::Invite => (Event::InvitationSent, "new link requested"),
        Purpose::Reset => (Event::ResetRequested, "new link from an old one"),
    };
    audit::record(
        &mut tx,
        now,
        meta,
        Entry::new(event)
            .on(Who::user(user.id, &user.email))
            .detail(detail),
    )
    .await?;
    tx.commit().await?;
    state.mail_notify.notify_one();
    Ok(())
}
