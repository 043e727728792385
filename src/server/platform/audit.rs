//! The audit log: who did what to whom, when, from where.

pub use crate::domain::audit_event::Event;
use crate::{
    error::AppError,
    server::{
        db::{self, write::WriteConn},
        platform::{client::RequestMeta, rate_limit::Throttled},
        AppState, ServiceError,
    },
};

/// Someone or something an entry is about.
#[derive(Debug, Clone, Copy, Default)]
pub struct Who<'a> {
    pub id: Option<i64>,
    pub email: Option<&'a str>,
}

impl<'a> Who<'a> {
    pub fn user<E: AsRef<str> + ?Sized>(id: i64, email: &'a E) -> Self {
        Self {
            id: Some(id),
            email: Some(email.as_ref()),
        }
    }
    pub fn email(email: &'a str) -> Self {
        Self {
            id: None,
            email: Some(email),
        }
    }
}

/// One entry: what happened, who did it, to whom, and a detail.
/// `Entry::new(Event::UserEdited).by(admin).on(user).detail("…")`.
#[derive(Debug, Clone, Copy)]
pub struct Entry<'a> {
    pub event: Event,
    pub actor: Who<'a>,
    pub target: Who<'a>,
    pub detail: Option<&'a str>,
}

impl<'a> Entry<'a> {
    pub fn new(event: Event) -> Self {
        Self {
            event,
            actor: Who::default(),
            target: Who::default(),
            detail: None,
        }
    }

    /// Who did it.
    pub fn by(self, actor: Who<'a>) -> Self {
        Self { actor, ..self }
    }

    /// To whom.
    pub fn on(self, target: Who<'a>) -> Self {
        Self { target, ..self }
    }

    /// Someone acting on their own account (logging in, changing their
    /// password): actor and target at once.
    pub fn about(self, who: Who<'a>) -> Self {
        Self {
            actor: who,
            target: who,
            ..self
        }
    }

    pub fn detail(self, detail: &'a str) -> Self {
        Self {
            detail: Some(detail),
            ..self
        }
    }
}

/// Writes one entry, in the caller's transaction when given one.
pub async fn record<C: WriteConn>(
    conn: &mut C,
    now: i64,
    meta: &RequestMeta,
    entry: Entry<'_>,
) -> Result<(), db::Error> {
    insert(conn, now, meta, entry, None).await
}

/// How long one entry of a [`Repeated`] event counts its repeats.
pub const WINDOW_SECS: i64 = 3600;

/// An event that a flood repeats (throttling, refused access): recorded as
/// one entry per `key` and hour, whose count goes up with each repeat, so a
/// flood can neither fill the disk nor bury the events around it.
pub struct Repeated<'a> {
    pub entry: Entry<'a>,
    /// What the repeats have in common (the throttled key, the user).
    pub key: &'a str,
}

pub async fn record_repeated<C: WriteConn>(
    conn: &mut C,
    now: i64,
    meta: &RequestMeta,
    Repeated { entry, key }: Repeated<'_>,
) -> Result<(), db::Error> {
    let window_key = format!(
        "{}:{key}:{}",
        entry.event.as_str(),
        now.div_euclid(WINDOW_SECS)
    );
    insert(conn, now, meta, entry, Some(&window_key)).await
}

async fn insert<C: WriteConn>(
    conn: &mut C,
    now: i64,
    meta: &RequestMeta,
    entry: Entry<'_>,
    window_key: Option<&str>,
) -> Result<(), db::Error> {
    let ip = meta.ip();
    conn.insert_audit(row(entry, ip.as_deref(), window_key), now)
        .await
}

fn row<'a>(
    entry: Entry<'a>,
    ip: Option<&'a str>,
    window_key: Option<&'a str>,
) -> db::audit::NewEntry<'a> {
    db::audit::NewEntry {
        event: entry.event.as_str(),
        actor_id: entry.actor.id,
        actor_email: entry.actor.email,
        target_id: entry.target.id,
        target_email: entry.target.email,
        ip,
        detail: entry.detail,
        window_key,
    }
}

/// Records a throttled request (one counted audit entry per key and hour)
/// and returns the answer for it.
pub async fn record_throttled(
    state: &AppState,
    meta: &RequestMeta,
    entry: Entry<'_>,
    (throttled, key): (Throttled, &str),
) -> ServiceError {
    let recorded = async {
        let mut conn = state.db.conn().await?;
        let repeated = Repeated { entry, key };
        record_repeated(&mut conn, state.clock.now(), meta, repeated).await
    };
    let answer = AppError::TooManyRequests {
        retry_after_secs: throttled.retry_after_secs,
    };
    answer_once_recorded(recorded.await, answer)
}

/// The answer to a refused request once its audit entry is written, or the
/// database's error when writing it failed.
pub fn answer_once_recorded(recorded: Result<(), db::Error>, answer: AppError) -> ServiceError {
    match recorded {
        Ok(()) => answer.into(),
        Err(e) => e.into(),
    }
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
