//! The audit log: who did what to whom, when, from where.

use crate::server::{db, request::RequestMeta};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Event {
    Login,
    LoginFailed,
    LoginThrottled,
    Logout,
    LogoutEverywhere,
    ResetRequested,
    ResetThrottled,
    ResetCompleted,
    InvitationSent,
    InvitationAccepted,
    PasswordChanged,
    UserCreated,
    UserEdited,
    UserDisabled,
    UserEnabled,
    UserDeleted,
    ResetSentByAdmin,
    AccessDenied,
    PasswordChangeFailed,
}

impl Event {
    pub const ALL: [Event; 19] = [
        Event::Login,
        Event::LoginFailed,
        Event::LoginThrottled,
        Event::Logout,
        Event::LogoutEverywhere,
        Event::ResetRequested,
        Event::ResetThrottled,
        Event::ResetCompleted,
        Event::InvitationSent,
        Event::InvitationAccepted,
        Event::PasswordChanged,
        Event::UserCreated,
        Event::UserEdited,
        Event::UserDisabled,
        Event::UserEnabled,
        Event::UserDeleted,
        Event::ResetSentByAdmin,
        Event::AccessDenied,
        Event::PasswordChangeFailed,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Event::Login => "login",
            Event::LoginFailed => "login_failed",
            Event::LoginThrottled => "login_throttled",
            Event::Logout => "logout",
            Event::LogoutEverywhere => "logout_everywhere",
            Event::ResetRequested => "reset_requested",
            Event::ResetThrottled => "reset_throttled",
            Event::ResetCompleted => "reset_completed",
            Event::InvitationSent => "invitation_sent",
            Event::InvitationAccepted => "invitation_accepted",
            Event::PasswordChanged => "password_changed",
            Event::UserCreated => "user_created",
            Event::UserEdited => "user_edited",
            Event::UserDisabled => "user_disabled",
            Event::UserEnabled => "user_enabled",
            Event::UserDeleted => "user_deleted",
            Event::ResetSentByAdmin => "reset_sent_by_admin",
            Event::AccessDenied => "access_denied",
            Event::PasswordChangeFailed => "password_change_failed",
        }
    }

    pub fn parse(s: &str) -> Option<Event> {
        Event::ALL.into_iter().find(|e| e.as_str() == s)
    }
}

/// Someone or something an entry is about.
#[derive(Debug, Clone, Copy, Default)]
pub struct Who<'a> {
    pub id: Option<i64>,
    pub email: Option<&'a str>,
}

impl<'a> Who<'a> {
    pub fn user(id: i64, email: &'a str) -> Self {
        Self {
            id: Some(id),
            email: Some(email),
        }
    }
    pub fn email(email: &'a str) -> Self {
        Self {
            id: None,
            email: Some(email),
        }
    }
}

/// Writes one entry, in the caller's transaction when given one.
pub async fn record(
    conn: &mut db::Conn,
    now: i64,
    event: Event,
    actor: Who<'_>,
    target: Who<'_>,
    meta: &RequestMeta,
    detail: Option<&str>,
) -> sqlx::Result<()> {
    let ip = meta.ip();
    db::audit::insert(
        conn,
        db::audit::NewEntry {
            event: event.as_str(),
            actor_id: actor.id,
            actor_email: actor.email,
            target_id: target.id,
            target_email: target.email,
            ip: ip.as_deref(),
            detail,
            window_key: None,
        },
        now,
    )
    .await
}

/// How long one entry of a [`Repeated`] event counts its repeats.
pub const WINDOW_SECS: i64 = 3600;

/// An event that a flood repeats (throttling, refused access): recorded as
/// one entry per `key` and hour, whose count goes up with each repeat, so a
/// flood can neither fill the disk nor bury the events around it.
pub struct Repeated<'a> {
    pub event: Event,
    /// What the repeats have in common (the throttled key, the user).
    pub key: &'a str,
    pub actor: Who<'a>,
    pub target: Who<'a>,
    pub detail: Option<&'a str>,
}

pub async fn record_repeated(
    conn: &mut db::Conn,
    now: i64,
    meta: &RequestMeta,
    entry: Repeated<'_>,
) -> sqlx::Result<()> {
    let window_key = format!(
        "{}:{}:{}",
        entry.event.as_str(),
        entry.key,
        now.div_euclid(WINDOW_SECS)
    );
    let ip = meta.ip();
    db::audit::insert(
        conn,
        db::audit::NewEntry {
            event: entry.event.as_str(),
            actor_id: entry.actor.id,
            actor_email: entry.actor.email,
            target_id: entry.target.id,
            target_email: entry.target.email,
            ip: ip.as_deref(),
            detail: entry.detail,
            window_key: Some(&window_key),
        },
        now,
    )
    .await
}

#[cfg(test)]
mod tests {
    use super::Event;

    #[test]
    fn event_names_round_trip() {
        for e in Event::ALL {
            assert_eq!(Event::parse(e.as_str()), Some(e));
        }
        assert_eq!(Event::parse("nope"), None);
    }
}
