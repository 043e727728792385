//! The outbox for site admins: what was sent to whom and how it went, a
//! retry for a message given up on, and a test message to any address.

use crate::{
    domain::{CurrentUser, Email, MailEntry, MailPage, MailState},
    error::{AppError, Field},
    server::{
        db,
        mail::templates::{self, format_time},
        platform::audit::{self, Entry, Event, Who},
        platform::client::RequestMeta,
        AppState, ServiceError,
    },
};

pub const PAGE_SIZE: i64 = 50;

/// How long an admin's "send" waits to see what the mail server made of
/// the message.
const SEND_WAIT: std::time::Duration = std::time::Duration::from_secs(5);

/// What became of a message an admin just had sent, as far as can be known
/// within [`SEND_WAIT`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sent {
    /// The mail server took it.
    Yes,
    /// The mail server refused it for good.
    Refused,
    /// Not yet: refused for now, the server cannot be reached, or it is
    /// slow. The outbox keeps trying.
    NotYet,
}

/// Waits for the outbox to deliver message `id` (queued by the admin's
/// action that just committed), so that the admin learns at once when it
/// did not go and can choose another way.
pub async fn wait_for_message(state: &AppState, id: i64) -> Result<Sent, ServiceError> {
    wait_for(state, Awaited::Message(id)).await
}

/// The same for the invitation just queued for a new account at
/// `address`.
pub async fn wait_for_invitation(state: &AppState, address: &str) -> Result<Sent, ServiceError> {
    wait_for(state, Awaited::InvitationTo(address)).await
}

enum Awaited<'a> {
    Message(i64),
    InvitationTo(&'a str),
}

async fn wait_for(state: &AppState, awaited: Awaited<'_>) -> Result<Sent, ServiceError> {
    let deadline = tokio::time::Instant::now() + SEND_WAIT;
    loop {
        let mail = {
            let mut conn = state.db.conn().await?;
            match awaited {
                Awaited::Message(id) => db::outbox::find(&mut conn, id).await?,
                Awaited::InvitationTo(address) => {
                    db::outbox::newest_to(&mut conn, address, "invite").await?
                }
            }
        };
        let Some(mail) = mail else {
            return Ok(Sent::NotYet);
        };
        if mail.sent_at.is_some() {
            return Ok(Sent::Yes);
        }
        if mail.failed_at.is_some() {
            return Ok(Sent::Refused);
        }
        let retrying = mail.attempts > 0 && mail.last_error.is_some();
        if retrying || state.mail_health.is_down() || tokio::time::Instant::now() >= deadline {
            return Ok(Sent::NotYet);
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
}

fn entry(state: &AppState, m: db::outbox::ListedMail, now: i64) -> MailEntry {
    let tz = state.settings.time_zone;
    let (mail_state, when) = match (m.sent_at, m.failed_at) {
        (Some(at), _) => (MailState::Sent, Some(at)),
        (None, Some(at)) => (MailState::Failed, Some(at)),
        _ if m.locked_until.is_some_and(|until| until > now) => (MailState::Sending, None),
        _ if m.attempts > 0 => (MailState::Retrying, Some(m.next_attempt_at)),
        _ => (MailState::Queued, None),
    };
    MailEntry {
        id: m.id,
        kind: m.kind,
        to: m.to,
        state: mail_state,
        queued: format_time(m.created_at, tz),
        when: when.map(|t| format_time(t, tz)),
        attempts: m.attempts,
        last_error: m.last_error,
    }
}

pub async fn list(state: &AppState, before: Option<i64>) -> Result<MailPage, ServiceError> {
    let mut conn = state.db.conn().await?;
    let mut rows = db::outbox::list_recent(&mut conn, before, PAGE_SIZE + 1).await?;
    let more = rows.len() as i64 > PAGE_SIZE;
    rows.truncate(PAGE_SIZE as usize);
    let older = if more {
        rows.last().map(|m| m.id)
    } else {
        None
    };
    let now = state.clock.now();
    Ok(MailPage {
        entries: rows.into_iter().map(|m| entry(state, m, now)).collect(),
        older,
        server_down: server_down(state),
    })
}

/// The outage as the mail page states it (in the page's language), if
/// the server is away.
fn server_down(state: &AppState) -> Option<String> {
    let tz = state.settings.time_zone;
    state.mail_health.outage().map(|o| {
        crate::i18n::tf(
            crate::i18n::Msg::AdminMailServerDown,
            &[
                ("since", &format_time(o.since, tz)),
                ("error", &o.error),
                ("next", &format_time(o.next_probe_at, tz)),
            ],
        )
    })
}

/// Puts a message that was given up on back in the queue, due now.
pub async fn retry(
    state: &AppState,
    admin: &CurrentUser,
    id: i64,
    meta: &RequestMeta,
) -> Result<(), ServiceError> {
    let now = state.clock.now();
    let mut tx = state.db.begin().await?;
    if !db::outbox::retry_failed(&mut tx, id, now).await? {
        return Err(AppError::NotFound.into());
    }
    let detail = format!("message #{id}");
    audit::record(
        &mut tx,
        now,
        meta,
        Entry::new(Event::MailRetried)
            .by(Who::user(admin.id, &admin.email))
            .detail(&detail),
    )
    .await?;
    tx.commit().await?;
    state.mail_notify.notify_one();
    Ok(())
}

/// Queues a test message to `to` (any address), which the list then shows
/// like every other.
pub async fn send_test(
    state: &AppState,
    admin: &CurrentUser,
    to: &str,
    meta: &RequestMeta,
) -> Result<(), ServiceError> {
    let to = Email::parse_deliverable(to).map_err(|p| AppError::field(Field::Email, p))?;
    let now = state.clock.now();
    let mail = templates::Mails(meta.lang).test(&state.settings.site_name);
    let mut tx = state.db.begin().await?;
    db::outbox::enqueue(
        &mut tx,
        db::outbox::NewMail {
            kind: "test",
            to: to.as_str(),
            subject: &mail.subject,
            text: &mail.text,
            html: &mail.html,
        },
        now,
    )
    .await?;
    audit::record(
        &mut tx,
        now,
        meta,
        Entry::new(Event::TestMailQueued)
            .by(Who::user(admin.id, &admin.email))
            .on(Who::email(to.as_str())),
    )
    .await?;
    tx.commit().await?;
    state.mail_notify.notify_one();
    Ok(())
}
