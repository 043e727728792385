//! Which mail an account event queues: a reset or invitation link, and the
//! notice that a password was changed. Mail goes out through the outbox, in
//! the transaction of the change that caused it.

use crate::i18n::Lang;
use crate::server::{
    db::{self, write::WriteConn},
    mail::{
        outbox,
        templates::{self, Mails, NoticeAbout, TwoStepNotice},
    },
    platform::tokens::{self, Purpose},
    AppState,
};

/// The language of mail to someone: the one they chose (`chosen`, a tag),
/// else `fallback`: the language of the request they made themselves, or
/// the site's default when what a site admin did mails them (never the
/// admin's own language by accident).
pub fn language_for(state: &AppState, chosen: Option<&str>, fallback: Lang) -> Lang {
    chosen
        .and_then(Lang::from_tag)
        .filter(|lang| state.settings.languages.contains(lang))
        .unwrap_or(fallback)
}

/// A single-use link and its mail, made ready outside the write
/// transaction: only the rows are written inside it.
pub struct Link {
    token: tokens::Fresh,
    mail: templates::Rendered,
}

impl Link {
    /// A new link for an account: a reset link, or an invitation for an
    /// account that has no password yet; its mail in `lang`.
    pub fn new(state: &AppState, purpose: Purpose, now: i64, lang: Lang) -> Self {
        let s = &state.settings;
        let hours = match purpose {
            Purpose::Reset => s.auth.reset_hours,
            Purpose::Invite => s.auth.invite_hours,
        };
        let token = tokens::Fresh::new(purpose, now, hours);
        let link = s.link(&format!("/reset-password/{}", token.raw));
        let expires = templates::format_time_in(token.expires_at, s.time_zone, lang);
        let mails = Mails(lang);
        let mail = match purpose {
            Purpose::Reset => mails.reset(&s.site_name, &link, hours, &expires),
            Purpose::Invite => mails.invite(&s.site_name, &link, hours, &expires),
        };
        Self { token, mail }
    }

    /// Issues the link (its token's hash) and queues its mail, at the time
    /// it was made. Returns the message's id in the outbox.
    pub async fn queue<C: WriteConn>(
        &self,
        conn: &mut C,
        user_id: i64,
        to: &str,
    ) -> Result<i64, db::Error> {
        conn.insert_token(self.token.row(user_id)).await?;
        outbox::enqueue(conn, to, &self.mail, self.token.created_at).await
    }
}

/// Issues a single-use link and queues its mail: a reset link, or an
/// invitation for an account that has no password yet. Returns the
/// message's id in the outbox.
pub async fn queue_link<C: WriteConn>(
    conn: &mut C,
    state: &AppState,
    (purpose, lang): (Purpose, Lang),
    user_id: i64,
    to: &str,
    now: i64,
) -> Result<i64, db::Error> {
    Link::new(state, purpose, now, lang)
        .queue(conn, user_id, to)
        .await
}

/// Tells the owner that their password was changed, with a way back in if
/// it was not them.
pub async fn queue_password_changed<C: WriteConn>(
    conn: &mut C,
    state: &AppState,
    (to, lang): (&str, Lang),
    now: i64,
) -> Result<(), db::Error> {
    let s = &state.settings;
    let mail = Mails(lang).password_changed(
        &s.site_name,
        &templates::format_time_in(now, s.time_zone, lang),
        &s.link("/forgot-password"),
        &s.admin_email,
    );
    outbox::enqueue(conn, to, &mail, now).await.map(|_| ())
}

/// Tells the owner that their two-step verification changed
/// ([`TwoStepNotice`]), with the ways back if it was not them.
pub async fn queue_two_step_notice<C: WriteConn>(
    conn: &mut C,
    state: &AppState,
    (to, lang): (&str, Lang),
    notice: TwoStepNotice<'_>,
    now: i64,
) -> Result<(), db::Error> {
    let s = &state.settings;
    let (when, forgot_link, security_link) = (
        templates::format_time_in(now, s.time_zone, lang),
        s.link("/forgot-password"),
        s.link("/account/security"),
    );
    let about = NoticeAbout {
        site_name: &s.site_name,
        when: &when,
        admin_email: &s.admin_email,
        forgot_link: &forgot_link,
        security_link: &security_link,
    };
    let mail = Mails(lang).two_step(notice, &about);
    outbox::enqueue(conn, to, &mail, now).await.map(|_| ())
}
