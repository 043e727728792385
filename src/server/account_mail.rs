//! Which mail an account event queues: a reset or invitation link, and the
//! notice that a password was changed. Mail goes out through the outbox, in
//! the transaction of the change that caused it.

use crate::server::{
    db,
    mail::{outbox, templates},
    tokens::{self, Purpose},
    AppState,
};

/// Issues a single-use link and queues its mail: a reset link, or an
/// invitation for an account that has no password yet. Returns the
/// message's id in the outbox.
pub async fn queue_link(
    conn: &mut db::Conn,
    state: &AppState,
    purpose: Purpose,
    user_id: i64,
    to: &str,
    now: i64,
) -> sqlx::Result<i64> {
    let s = &state.settings;
    let hours = match purpose {
        Purpose::Reset => s.auth.reset_hours,
        Purpose::Invite => s.auth.invite_hours,
    };
    let (raw, expires_at) = tokens::issue(conn, user_id, purpose, now, hours).await?;
    let link = s.link(&format!("/reset-password/{raw}"));
    let expires = templates::format_time(expires_at, s.time_zone);
    let mail = match purpose {
        Purpose::Reset => templates::reset_email(&s.site_name, &link, hours, &expires),
        Purpose::Invite => templates::invite_email(&s.site_name, &link, hours, &expires),
    };
    outbox::enqueue(conn, to, &mail, now).await
}

/// Tells the owner that their password was changed, with a way back in if
/// it was not them.
pub async fn queue_password_changed(
    conn: &mut db::Conn,
    state: &AppState,
    to: &str,
    now: i64,
) -> sqlx::Result<()> {
    let s = &state.settings;
    let mail = templates::password_changed_email(
        &s.site_name,
        &templates::format_time(now, s.time_zone),
        &s.link("/forgot-password"),
        &s.admin_email,
    );
    outbox::enqueue(conn, to, &mail, now).await.map(|_| ())
}
