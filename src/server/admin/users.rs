//! What site admins do to other accounts. Every function here expects an
//! already checked admin (`request::require_admin`). None of them can set
//! or see a password: the only way is the owner's own reset link.

use super::password_again;
use crate::{
    domain::{
        AuditEntry, AuditPage, CurrentUser, Email, Invitation, InvitationState, Name, Role,
        UserPage, UserSummary,
    },
    error::{AppError, Field, Problem, Problems},
    server::{
        accounts::account_mail::{language_for, queue_link},
        accounts::new_account::{self, NewAccount},
        accounts::sessions,
        db::{self, user_search::Page},
        mail::{outbox, templates, templates::format_time},
        platform::audit::{self, Entry, Event, Who},
        platform::client::RequestMeta,
        platform::tokens::Purpose,
        AppState, ServiceError,
    },
};

pub const PAGE_SIZE: i64 = 50;

fn summary(state: &AppState, u: db::users::UserRow) -> UserSummary {
    let tz = state.settings.time_zone;
    UserSummary {
        id: u.id,
        role: u.role,
        active: u.active,
        has_password: u.password_hash.is_some(),
        created: format_time(u.created_at, tz),
        last_login: u.last_login_at.map(|t| format_time(t, tz)),
        mail_failed: None,
        two_step: Default::default(),
        groups: Vec::new(),
        email: u.email.as_str().to_owned(),
        name: u.name,
    }
}

pub async fn list_users(
    state: &AppState,
    query: Option<&str>,
    page: Page,
) -> Result<UserPage, ServiceError> {
    let term = query
        .map(|q| q.trim().to_lowercase())
        .filter(|q| !q.is_empty());
    if term.as_ref().is_some_and(|t| t.chars().count() > 100) {
        return Err(AppError::field(Field::Email, Problem::TooLong { max: 100 }).into());
    }
    let mut conn = state.db.conn().await?;
    let found = db::user_search::list(
        &mut conn,
        state.db.engine,
        term.as_deref(),
        page,
        PAGE_SIZE + 1,
    )
    .await?;
    let mut rows = found.users;
    let more = rows.len() as i64 > PAGE_SIZE;
    if more {
        match page {
            // Newest first: the extra row is the oldest, at the end...
            Page::First | Page::Before(_) => {
                rows.pop();
            }
            // ...but when walking back, it is the newest, at the start.
            Page::After(_) => {
                rows.remove(0);
            }
        }
    }
    let first = rows.first().map(|u| u.id);
    let last = rows.last().map(|u| u.id);
    let (mut newer, mut older) = match page {
        Page::First => (None, if more { last } else { None }),
        Page::Before(_) => (first, if more { last } else { None }),
        Page::After(_) => (if more { first } else { None }, last),
    };
    // A bounded search that stopped early goes on from where it stopped.
    match (found.scanned_to, page) {
        (Some(edge), Page::After(_)) => newer = Some(edge),
        (Some(edge), _) => older = Some(edge),
        (None, _) => {}
    }
    let addresses: Vec<String> = rows.iter().map(|u| u.email.as_str().to_owned()).collect();
    let failures = db::outbox::last_failures(&mut conn, &addresses).await?;
    let ids: Vec<i64> = rows.iter().map(|u| u.id).collect();
    let factors = db::two_step::factors_of(&mut conn, &ids).await?;
    let mut groups = db::groups::names_of_users(&mut conn, &ids).await?;
    let mut users: Vec<UserSummary> = rows.into_iter().map(|u| summary(state, u)).collect();
    for user in &mut users {
        user.groups = groups
            .extract_if(.., |(id, _)| *id == user.id)
            .map(|(_, name)| name)
            .collect();
        if let Some((_, app, passkeys)) = factors.iter().find(|(id, ..)| *id == user.id) {
            user.two_step = crate::domain::TwoStepSummary {
                app: *app,
                passkeys: *passkeys,
            };
        }
        let failed = failures
            .iter()
            .find(|(addr, _)| *addr == user.email.to_lowercase());
        user.mail_failed = failed.map(|(_, at)| format_time(*at, state.settings.time_zone));
    }
    Ok(UserPage {
        users,
        newer,
        older,
    })
}

pub async fn add_user(
    state: &AppState,
    actor: &CurrentUser,
    account: NewAccount,
    meta: &RequestMeta,
) -> Result<i64, ServiceError> {
    new_account::create_account(state, Some(actor), account, meta).await
}

/// A user's profile as an admin edits it, parsed.
pub struct ProfileEdit {
    pub email: Email,
    pub name: Name,
    pub role: Role,
}

impl ProfileEdit {
    /// Parses the edit form's fields, with every problem at once.
    pub fn parse(email: &str, name: &str, role: &str) -> Result<Self, AppError> {
        let mut problems = Problems::default();
        let email = problems.check(Field::Email, Email::parse_deliverable(email));
        let name = problems.check(Field::Name, Name::parse(name));
        let role = problems.check(Field::Role, Role::parse(role));
        let ((email, name), role) = problems.finish(email.zip(name).zip(role))?;
        Ok(Self { email, name, role })
    }
}

async fn load(conn: &mut db::Conn, id: i64) -> Result<db::users::UserRow, ServiceError> {
    Ok(db::users::find_by_id(conn, id)
        .await?
        .ok_or(AppError::NotFound)?)
}

/// Refuses to leave the site without an active site admin. The admins are
/// locked first, so concurrent changes are decided one after the other.
async fn keep_an_admin(
    conn: &mut db::Conn,
    state: &AppState,
    target: &db::users::UserRow,
) -> Result<(), ServiceError> {
    let admins = db::users::lock_active_admins(conn, state.db.engine).await?;
    if admins == [target.id] {
        return Err(AppError::LastAdmin.into());
    }
    Ok(())
}

pub async fn update_user(
    state: &AppState,
    actor: &CurrentUser,
    id: i64,
    edit: ProfileEdit,
    recent: password_again::Recent,
    meta: &RequestMeta,
) -> Result<(), ServiceError> {
    let ProfileEdit { email, name, role } = edit;
    let now = state.clock.now();
    let mut tx = state.db.begin().await?;
    let target = load(&mut tx, id).await?;
    let demoted = target.role == Role::SiteAdmin && role != Role::SiteAdmin;
    if demoted {
        if target.id == actor.id {
            return Err(AppError::OwnAccount.into());
        }
        keep_an_admin(&mut tx, state, &target).await?;
    }
    let mut changed = Vec::new();
    if target.email.as_str() != email.as_str() {
        changed.push("email");
    }
    if target.name != name.as_str() {
        changed.push("name");
    }
    if target.role != role {
        changed.push("role");
    }
    if changed.is_empty() {
        return Ok(());
    }
    if changed.iter().any(|c| matches!(*c, "email" | "role")) {
        // Another address would take the account's reset mail; another
        // role its admin powers.
        recent.require()?;
    }
    let updated = db::users::update_profile(
        &mut tx,
        id,
        email.as_str(),
        &email.normalized(),
        name.as_str(),
        role.as_str(),
        now,
    )
    .await;
    match updated {
        Err(e) if db::is_unique_violation(&e) => {
            return Err(AppError::field(Field::Email, Problem::AlreadyTaken).into())
        }
        other => other?,
    }
    let mut detail = format!("changed {}", changed.join(", "));
    if target.role != role {
        // Apps that admit only site admins stop answering for someone who
        // is one no more: their grants end now.
        let ended = db::oidc::revoke_unadmitted_of_user(&mut tx, id, now).await?;
        if ended > 0 {
            detail.push_str(&format!(" ({ended} app sign-ins ended)"));
        }
    }
    let address_changed = target.email.normalized() != email.normalized();
    if address_changed {
        // Links already mailed to the old address must not outlive the
        // change, nor sessions begun under it; and the owner hears of it
        // at the address they know.
        db::tokens::use_up_all(&mut tx, id, now).await?;
        let ended = sessions::end_everywhere(&mut tx, id, None, now).await?;
        let s = &state.settings;
        let lang = language_for(state, target.language.as_deref(), s.default_language());
        let notice = templates::Mails(lang).email_changed(
            &s.site_name,
            email.as_str(),
            &crate::server::mail::templates::format_time_in(now, s.time_zone, lang),
            &s.admin_email,
        );
        outbox::enqueue(&mut tx, target.email.as_str(), &notice, now).await?;
        detail.push_str(&format!(
            " (email was {}; notice sent there; {ended} sessions ended)",
            target.email
        ));
    }
    audit::record(
        &mut tx,
        now,
        meta,
        Entry::new(Event::UserEdited)
            .by(Who::user(actor.id, &actor.email))
            .on(Who::user(id, email.as_str()))
            .detail(&detail),
    )
    .await?;
    tx.commit().await?;
    if address_changed {
        state.mail_notify.notify_one();
    }
    Ok(())
}

/// Disables (ending every session at once) or enables an account.
pub async fn set_active(
    state: &AppState,
    actor: &CurrentUser,
    id: i64,
    active: bool,
    meta: &RequestMeta,
) -> Result<(), ServiceError> {
    let now = state.clock.now();
    let mut tx = state.db.begin().await?;
    let target = load(&mut tx, id).await?;
    if !active {
        if target.id == actor.id {
            return Err(AppError::OwnAccount.into());
        }
        keep_an_admin(&mut tx, state, &target).await?;
    }
    if target.active == active {
        return Ok(());
    }
    db::users::set_active(&mut tx, id, active, now).await?;
    let event = if active {
        Event::UserEnabled
    } else {
        sessions::end_everywhere(&mut tx, id, None, now).await?;
        db::tokens::use_up_all(&mut tx, id, now).await?;
        Event::UserDisabled
    };
    audit::record(
        &mut tx,
        now,
        meta,
        Entry::new(event)
            .by(Who::user(actor.id, &actor.email))
            .on(Who::user(id, &target.email)),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Deletes an account with its sessions and tokens; the audit log keeps
/// the address as text.
pub async fn delete_user(
    state: &AppState,
    actor: &CurrentUser,
    id: i64,
    confirmed: bool,
    meta: &RequestMeta,
) -> Result<(), ServiceError> {
    if !confirmed {
        return Err(AppError::field(Field::Confirm, Problem::NotConfirmed).into());
    }
    let now = state.clock.now();
    let mut tx = state.db.begin().await?;
    let target = load(&mut tx, id).await?;
    if target.id == actor.id {
        return Err(AppError::OwnAccount.into());
    }
    keep_an_admin(&mut tx, state, &target).await?;
    let detail = format!(
        "{} <{}>, role {}",
        target.name,
        target.email,
        target.role.as_str()
    );
    audit::record(
        &mut tx,
        now,
        meta,
        Entry::new(Event::UserDeleted)
            .by(Who::user(actor.id, &actor.email))
            .on(Who::user(id, &target.email))
            .detail(&detail),
    )
    .await?;
    db::users::delete(&mut tx, id).await?;
    tx.commit().await?;
    Ok(())
}

/// Sends the standard reset mail (or, to someone who never set a password,
/// a fresh invitation). The admin learns nothing of the link.
/// An active account to send or make a link for, and the kind of link it
/// gets (a reset once it has a password, an invitation until then).
async fn link_target(
    conn: &mut db::Conn,
    id: i64,
) -> Result<(db::users::UserRow, Purpose), ServiceError> {
    let target = load(conn, id).await?;
    if !target.active {
        return Err(AppError::AccountDisabled.into());
    }
    let purpose = Purpose::for_account(target.password_hash.is_some());
    Ok((target, purpose))
}

/// Returns the queued message's id in the outbox.
pub async fn send_reset(
    state: &AppState,
    actor: &CurrentUser,
    id: i64,
    meta: &RequestMeta,
) -> Result<i64, ServiceError> {
    let now = state.clock.now();
    let mut tx = state.db.begin().await?;
    let (target, purpose) = link_target(&mut tx, id).await?;
    // A fresh link replaces the ones sent before (a resent invitation
    // voids the old one).
    db::tokens::use_up_all(&mut tx, id, now).await?;
    let lang = language_for(
        state,
        target.language.as_deref(),
        state.settings.default_language(),
    );
    let mail_id = queue_link(
        &mut tx,
        state,
        (purpose, lang),
        id,
        target.email.as_str(),
        now,
    )
    .await?;
    audit::record(
        &mut tx,
        now,
        meta,
        Entry::new(Event::ResetSentByAdmin)
            .by(Who::user(actor.id, &actor.email))
            .on(Who::user(id, &target.email)),
    )
    .await?;
    tx.commit().await?;
    state.mail_notify.notify_one();
    Ok(mail_id)
}

/// The newest invitations and what became of them.
pub async fn list_invitations(state: &AppState) -> Result<Vec<Invitation>, ServiceError> {
    let now = state.clock.now();
    let tz = state.settings.time_zone;
    let mut conn = state.db.conn().await?;
    Ok(db::tokens::recent_invitations(&mut conn, 20)
        .await?
        .into_iter()
        .map(|t| Invitation {
            state: match (t.used_at, t.has_password) {
                (Some(_), true) => InvitationState::Accepted,
                (Some(_), false) => InvitationState::Replaced,
                (None, _) if t.expires_at <= now => InvitationState::Expired,
                (None, _) => InvitationState::Pending,
            },
            sent: format_time(t.created_at, tz),
            expires: format_time(t.expires_at, tz),
            user_id: t.user_id,
            email: t.email,
            name: t.name,
        })
        .collect())
}

/// A set-password link for a user whose mail does not arrive: the same
/// kind of token as a reset (or invitation) link, valid as long as an
/// invitation, stored only as a hash, audited with who made it. The admin
/// passes it on by other means; using it voids the user's other links.
/// Returns the token (shown once, in [`set_password_link`]).
pub async fn make_set_password_link(
    state: &AppState,
    actor: &CurrentUser,
    id: i64,
    meta: &RequestMeta,
) -> Result<String, ServiceError> {
    let now = state.clock.now();
    let mut tx = state.db.begin().await?;
    let (target, purpose) = link_target(&mut tx, id).await?;
    // A link that sets another site admin's password would be that
    // admin's account in this admin's hands.
    if target.role == Role::SiteAdmin && target.id != actor.id {
        return Err(AppError::Forbidden.into());
    }
    let hours = state.settings.auth.invite_hours;
    let (raw, _) = crate::server::platform::tokens::issue(&mut tx, id, purpose, now, hours).await?;
    // Passed on by hand: using it proves nothing about the mailbox.
    db::tokens::mark_made_by_admin(&mut tx, &crate::server::platform::tokens::hash(&raw)).await?;
    // The owner hears of it: a link they did not ask for is someone else
    // about to choose their password.
    let s = &state.settings;
    let lang = language_for(state, target.language.as_deref(), s.default_language());
    let notice = templates::Mails(lang).link_made(
        &s.site_name,
        &actor.email,
        &templates::format_time_in(now, s.time_zone, lang),
        &s.admin_email,
    );
    outbox::enqueue(&mut tx, target.email.as_str(), &notice, now).await?;
    audit::record(
        &mut tx,
        now,
        meta,
        Entry::new(Event::SetPasswordLinkMade)
            .by(Who::user(actor.id, &actor.email))
            .on(Who::user(id, &target.email)),
    )
    .await?;
    tx.commit().await?;
    state.mail_notify.notify_one();
    Ok(raw)
}

/// The link that carries a set-password token.
pub fn set_password_link(state: &AppState, token: &str) -> String {
    state.settings.link(&format!("/reset-password/{token}"))
}

/// The email of an account, if it exists.
pub async fn email_of(state: &AppState, id: i64) -> Result<Option<String>, ServiceError> {
    let mut conn = state.db.conn().await?;
    Ok(db::users::find_by_id(&mut conn, id)
        .await?
        .map(|u| u.email.as_str().to_owned()))
}

/// Repeated events say how often they happened within their hour.
fn with_count(detail: Option<String>, count: i64) -> Option<String> {
    if count <= 1 {
        return detail;
    }
    let times = format!("{count} times within the hour");
    Some(match detail {
        Some(d) => format!("{d} ({times})"),
        None => times,
    })
}

pub async fn list_audit(
    state: &AppState,
    event: Option<&str>,
    user_email: Option<&str>,
    before: Option<i64>,
) -> Result<AuditPage, ServiceError> {
    let event = event.map(str::trim).filter(|e| !e.is_empty());
    if let Some(e) = event {
        if Event::parse(e).is_none() {
            return Err(AppError::BadRequest.into());
        }
    }
    let mut conn = state.db.conn().await?;
    let user_id = match user_email.map(str::trim).filter(|e| !e.is_empty()) {
        Some(e) => match db::users::find_by_email(&mut conn, &e.to_lowercase()).await? {
            Some(u) => Some(u.id),
            None => return Ok(AuditPage::default()),
        },
        None => None,
    };
    let mut rows = db::audit::list(&mut conn, event, user_id, before, PAGE_SIZE + 1).await?;
    let more = rows.len() as i64 > PAGE_SIZE;
    rows.truncate(PAGE_SIZE as usize);
    let older = if more {
        rows.last().map(|r| r.id)
    } else {
        None
    };
    let tz = state.settings.time_zone;
    let entries = rows
        .into_iter()
        .map(|r| AuditEntry {
            id: r.id,
            at: format_time(r.at, tz),
            event: r.event,
            actor: r.actor_email,
            target: r.target_email,
            ip: r.ip,
            detail: with_count(r.detail, r.count),
        })
        .collect();
    Ok(AuditPage { entries, older })
}
