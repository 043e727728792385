//! The outbox: mail is queued in the caller's transaction and delivered by a
//! background worker, several messages at a time, each by one worker only.
//!
//! A refusal is one message's (a 4xx is retried with backoff, a 5xx fails
//! it at once); a server that cannot be reached is everyone's: delivery
//! pauses, the server is probed, and the queue resumes untouched.

use super::{
    templates::Rendered,
    transport::{build_message, SendError, Transport},
};
use crate::server::{
    db::{self, write::WriteConn},
    platform::metrics,
    AppState,
};
use std::{sync::Arc, time::Duration};
use tokio::{sync::watch, task::JoinSet};

/// How long a claimed message stays reserved for the worker that claimed it.
const LEASE_SECS: i64 = 300;
const MAX_BACKOFF_SECS: i64 = 3600;

/// Queues a message inside the caller's transaction.
pub async fn enqueue<C: WriteConn>(
    conn: &mut C,
    to: &str,
    mail: &Rendered,
    now: i64,
) -> Result<i64, db::Error> {
    conn.enqueue_mail(new_mail(to, mail), now).await
}

/// The outbox's row for a rendered message.
pub fn new_mail<'a>(to: &'a str, mail: &'a Rendered) -> db::outbox::NewMail<'a> {
    db::outbox::NewMail {
        kind: mail.kind,
        to,
        subject: &mail.subject,
        text: &mail.text,
        html: &mail.html,
    }
}

/// Delay before attempt `attempts + 1`: doubling from `base`, capped.
pub fn backoff_secs(base: i64, attempts: i64) -> i64 {
    let exp = (attempts - 1).clamp(0, 20) as u32;
    base.max(1)
        .saturating_mul(1i64 << exp)
        .min(MAX_BACKOFF_SECS)
}

/// What became of one claimed message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Delivery {
    Sent,
    /// Refused for now; tried again later.
    Retry(String),
    /// Refused for good, or out of attempts.
    GaveUp(String),
    /// The mail server could not be reached: the message went back to the
    /// queue untried and delivery pauses.
    ServerDown(String),
    /// Nothing was due.
    Idle,
}

/// The mail server as the worker last found it: `/admin/mail`, the
/// metrics and an admin waiting on a message read it.
#[derive(Default)]
pub struct ServerHealth(std::sync::Mutex<Health>);

#[derive(Default)]
struct Health {
    outage: Option<Outage>,
    /// The message whose failure began the last outage.
    began_with: Option<i64>,
}

/// Since when the mail server cannot be reached, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outage {
    pub since: i64,
    pub error: String,
    pub next_probe_at: i64,
}

/// What a server-wide failure while sending one message means.
#[derive(Debug, PartialEq, Eq)]
enum Blame {
    /// An outage begins with this message.
    NewOutage,
    /// The server was already known to be away.
    Ongoing,
    /// This message began the last outage too, and the server answered
    /// the probe in between: the message is the trouble (a recipient
    /// that is tarpitted, say), and it is retried like a refusal rather
    /// than pause the queue again and again.
    Message,
}

impl ServerHealth {
    pub fn outage(&self) -> Option<Outage> {
        self.lock().outage.clone()
    }

    pub fn is_down(&self) -> bool {
        self.lock().outage.is_some()
    }

    fn server_failed(&self, id: i64, error: &str, now: i64, next_probe_at: i64) -> Blame {
        let mut health = self.lock();
        if health.outage.is_some() {
            return Blame::Ongoing;
        }
        if health.began_with == Some(id) {
            return Blame::Message;
        }
        health.began_with = Some(id);
        health.outage = Some(Outage {
            since: now,
            error: error.to_owned(),
            next_probe_at,
        });
        metrics::mail_server_down(true);
        Blame::NewOutage
    }

    fn still_down(&self, error: String, next_probe_at: i64) {
        if let Some(outage) = self.lock().outage.as_mut() {
            outage.error = error;
            outage.next_probe_at = next_probe_at;
        }
    }

    /// Ends the outage; its start if there was one.
    fn up(&self) -> Option<i64> {
        metrics::mail_server_down(false);
        self.lock().outage.take().map(|o| o.since)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Health> {
        self.0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// The longest wait between two probes of a server that is down, in
/// retry periods (`mail_retry_base_secs`, 5 s): once it is back, delivery
/// resumes within 10 s.
const MAX_PROBE_PERIODS: i64 = 2;

fn probe_delay(base: i64, probes: i64) -> i64 {
    backoff_secs(base, probes).min(base.max(1) * MAX_PROBE_PERIODS)
}

/// Claims up to `limit` due messages.
async fn claim(state: &AppState, limit: usize) -> sqlx::Result<Vec<db::outbox::MailRow>> {
    let now = state.clock.now();
    let mut conn = state.db.conn().await?;
    db::outbox::claim_due(
        &mut conn,
        state.db.engine,
        now,
        now + LEASE_SECS,
        limit as i64,
    )
    .await
}

/// Claims one due message and delivers it (the command line, and tests
/// that drive the outbox by hand).
pub async fn deliver_one(state: &AppState, transport: &Transport) -> Result<Delivery, sqlx::Error> {
    match claim(state, 1).await?.pop() {
        Some(mail) => deliver(state, transport, mail).await,
        None => Ok(Delivery::Idle),
    }
}

/// Sends one claimed message and records what became of it.
async fn deliver(
    state: &AppState,
    transport: &Transport,
    mail: db::outbox::MailRow,
) -> Result<Delivery, sqlx::Error> {
    let settings = &state.settings;
    let result = match build_message(
        &settings.admin_email,
        &settings.site_name,
        &mail.to,
        &mail.subject,
        &mail.text,
        &mail.html,
    ) {
        Ok(message) => transport.send(message).await,
        Err(error) => Err(SendError::Refused {
            error,
            permanent: true,
        }),
    };
    let now = state.clock.now();
    let mut conn = state.db.conn().await?;
    let (id, kind) = (mail.id, mail.kind.as_str());
    match result {
        Ok(()) => {
            db::outbox::mark_sent(&mut conn, id, now).await?;
            metrics::mail(kind, "sent");
            // Who it went to is personal: at DEBUG only.
            tracing::info!(id, kind, via = %transport.describe(), "mail sent");
            tracing::debug!(id, to = %mail.to, "mail sent to");
            if let Transport::File { .. } = transport {
                // Trying Gatehouse out on this machine, the log is the
                // newcomer's inbox; a server others reach keeps links out
                // of its log, whatever its transport.
                if state.settings.addr.ip().is_loopback() {
                    if let Some(link) = first_link(&mail.text) {
                        tracing::info!(id, "{kind} link: {link}");
                    }
                }
            }
            Ok(Delivery::Sent)
        }
        Err(SendError::Server(error)) => {
            let next_probe = now + probe_delay(state.mail_retry_base_secs, 1);
            match state.mail_health.server_failed(id, &error, now, next_probe) {
                Blame::Message => {
                    return refused(state, &mut conn, &mail, error, false, now).await;
                }
                Blame::NewOutage => {
                    tracing::warn!(%error, "the mail server cannot be reached; delivery paused until it answers again");
                }
                Blame::Ongoing => {}
            }
            db::outbox::release(&mut conn, id, &error, now).await?;
            Ok(Delivery::ServerDown(error))
        }
        Err(SendError::Refused { error, permanent }) => {
            refused(state, &mut conn, &mail, error, permanent, now).await
        }
    }
}

/// Records a refusal of one message: failed for good when `permanent` or
/// out of attempts, else due again after a backoff.
async fn refused(
    state: &AppState,
    conn: &mut db::Conn,
    mail: &db::outbox::MailRow,
    error: String,
    permanent: bool,
    now: i64,
) -> Result<Delivery, sqlx::Error> {
    let (id, kind) = (mail.id, mail.kind.as_str());
    if permanent || mail.attempts >= i64::from(state.settings.mail_max_attempts) {
        db::outbox::mark_failed(conn, id, &error, now).await?;
        metrics::mail(kind, "failed");
        tracing::error!(id, kind, attempts = mail.attempts, %error, "mail given up");
        return Ok(Delivery::GaveUp(error));
    }
    let next = now + backoff_secs(state.mail_retry_base_secs, mail.attempts);
    db::outbox::mark_retry(conn, id, &error, next).await?;
    metrics::mail(kind, "retry");
    tracing::warn!(id, kind, attempts = mail.attempts, %error, retry_in = next - now, "mail refused for now; will retry");
    Ok(Delivery::Retry(error))
}

fn first_link(text: &str) -> Option<&str> {
    text.split_whitespace()
        .find(|w| w.starts_with("http://") || w.starts_with("https://"))
}

/// Delivers mail until `shutdown` turns true, up to `mail.concurrency`
/// messages at once over pooled connections. While the mail server cannot
/// be reached, nothing is claimed: the worker probes it, backing off, and
/// resumes when it answers. Messages being sent when shutdown comes are
/// finished first.
pub async fn run_worker(
    state: AppState,
    transport: Transport,
    mut shutdown: watch::Receiver<bool>,
) {
    let transport = Arc::new(transport);
    metrics::mail_server_down(false);
    let slots = state.settings.mail_concurrency.max(1) as usize;
    let poll = Duration::from_millis(state.mail_poll_ms);
    let mut sending: JoinSet<()> = JoinSet::new();
    let mut housekeeping_due = 0i64;
    let mut probes = 0i64;
    while !*shutdown.borrow() {
        if state.clock.now() >= housekeeping_due {
            crate::server::platform::housekeeping::run(&state).await;
            housekeeping_due = state.clock.now() + 600;
        }
        if let Some(outage) = state.mail_health.outage() {
            if sending.join_next().await.is_some() {
                continue; // let the messages in flight come back first
            }
            let wait = (outage.next_probe_at - state.clock.now()).max(0) as u64;
            tokio::select! {
                _ = tokio::time::sleep(Duration::from_secs(wait)) => {}
                _ = shutdown.changed() => continue,
            }
            probes += 1;
            match transport.probe().await {
                Ok(()) => {
                    probes = 0;
                    if let Some(since) = state.mail_health.up() {
                        let down_for = state.clock.now() - since;
                        tracing::info!(down_for, "the mail server answers again; delivery resumed");
                    }
                }
                Err(error) => {
                    tracing::debug!(%error, probes, "the mail server still cannot be reached");
                    let next =
                        state.clock.now() + probe_delay(state.mail_retry_base_secs, probes + 1);
                    state.mail_health.still_down(error, next);
                }
            }
            continue;
        }
        let free = slots - sending.len();
        let claimed = if free > 0 {
            claim(&state, free).await.unwrap_or_else(|e| {
                tracing::error!(error = %e, "outbox worker could not reach the database");
                Vec::new()
            })
        } else {
            Vec::new()
        };
        let got_some = !claimed.is_empty();
        for mail in claimed {
            let (state, transport) = (state.clone(), transport.clone());
            sending.spawn(async move {
                if let Err(e) = deliver(&state, &transport, mail).await {
                    tracing::error!(error = %e, "outbox worker could not record a delivery");
                }
            });
        }
        if got_some && sending.len() < slots {
            continue; // more may be due
        }
        // Full, or nothing due: wait for a slot, new mail, a retry coming
        // due, or shutdown.
        let room = sending.len() < slots;
        tokio::select! {
            Some(_) = sending.join_next(), if !sending.is_empty() => {}
            _ = state.mail_notify.notified(), if room => {}
            _ = tokio::time::sleep(poll), if room => {}
            _ = shutdown.changed() => {}
        }
    }
    while sending.join_next().await.is_some() {}
    tracing::info!("outbox worker stopped");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_and_is_capped() {
        assert_eq!(backoff_secs(5, 1), 5);
        assert_eq!(backoff_secs(5, 2), 10);
        assert_eq!(backoff_secs(5, 4), 40);
        assert_eq!(backoff_secs(5, 30), MAX_BACKOFF_SECS);
    }

    #[test]
    fn the_first_link_of_a_mail_is_found_for_the_log() {
        assert_eq!(
            first_link("visit:\n\nhttp://x.test/r/abc\n\nbye"),
            Some("http://x.test/r/abc")
        );
    }
}
