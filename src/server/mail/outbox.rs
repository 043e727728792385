//! The outbox: mail is queued in the caller's transaction and delivered by a
//! background worker with retries, at most one instance per message.

use super::{
    templates::Rendered,
    transport::{build_message, Transport},
};
use crate::server::{db, metrics, AppState};
use std::time::Duration;
use tokio::sync::watch;

/// How long a claimed message stays reserved for the worker that claimed it.
const LEASE_SECS: i64 = 300;
const MAX_BACKOFF_SECS: i64 = 3600;

/// Queues a message inside the caller's transaction.
pub async fn enqueue(
    conn: &mut db::Conn,
    to: &str,
    mail: &Rendered,
    now: i64,
) -> sqlx::Result<i64> {
    db::outbox::enqueue(
        conn,
        db::outbox::NewMail {
            kind: mail.kind,
            to,
            subject: &mail.subject,
            text: &mail.text,
            html: &mail.html,
        },
        now,
    )
    .await
}

/// Delay before attempt `attempts + 1`: doubling from `base`, capped.
pub fn backoff_secs(base: i64, attempts: i64) -> i64 {
    let exp = (attempts - 1).clamp(0, 20) as u32;
    base.max(1)
        .saturating_mul(1i64 << exp)
        .min(MAX_BACKOFF_SECS)
}

pub enum Delivery {
    Sent,
    Retry(String),
    GaveUp(String),
    Idle,
}

/// Claims one due message and tries to deliver it.
pub async fn deliver_one(state: &AppState, transport: &Transport) -> Result<Delivery, sqlx::Error> {
    let now = state.clock.now();
    let claimed = {
        let mut conn = state.db.conn().await?;
        db::outbox::claim_next(&mut conn, state.db.engine, now, now + LEASE_SECS).await?
    };
    let Some(mail) = claimed else {
        return Ok(Delivery::Idle);
    };
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
        Err(e) => Err(e),
    };
    let now = state.clock.now();
    let mut conn = state.db.conn().await?;
    match result {
        Ok(()) => {
            db::outbox::mark_sent(&mut conn, mail.id, now).await?;
            metrics::mail(&mail.kind, "sent");
            tracing::info!(id = mail.id, kind = %mail.kind, to = %mail.to, via = %transport.describe(), "mail sent");
            if let Transport::File { .. } = transport {
                // Locally, the log is the newcomer's inbox.
                if let Some(link) = first_link(&mail.text) {
                    tracing::info!(to = %mail.to, "{} link: {link}", mail.kind);
                }
            }
            Ok(Delivery::Sent)
        }
        Err(error) if mail.attempts >= i64::from(settings.mail_max_attempts) => {
            db::outbox::mark_failed(&mut conn, mail.id, &error, now).await?;
            metrics::mail(&mail.kind, "failed");
            tracing::error!(id = mail.id, attempts = mail.attempts, %error, "mail given up");
            Ok(Delivery::GaveUp(error))
        }
        Err(error) => {
            let next = now + backoff_secs(state.mail_retry_base_secs, mail.attempts);
            db::outbox::mark_retry(&mut conn, mail.id, &error, next).await?;
            metrics::mail(&mail.kind, "retry");
            tracing::warn!(id = mail.id, attempts = mail.attempts, %error, retry_in = next - now, "mail delivery failed; will retry");
            Ok(Delivery::Retry(error))
        }
    }
}

fn first_link(text: &str) -> Option<&str> {
    text.split_whitespace()
        .find(|w| w.starts_with("http://") || w.starts_with("https://"))
}

/// Delivers mail until `shutdown` turns true; a message being sent when
/// that happens is finished first.
pub async fn run_worker(
    state: AppState,
    transport: Transport,
    mut shutdown: watch::Receiver<bool>,
) {
    let mut housekeeping_due = 0i64;
    loop {
        if *shutdown.borrow() {
            break;
        }
        let outcome = deliver_one(&state, &transport).await;
        let busy = matches!(
            outcome,
            Ok(Delivery::Sent | Delivery::Retry(_) | Delivery::GaveUp(_))
        );
        if let Err(e) = &outcome {
            tracing::error!(error = %e, "outbox worker could not reach the database");
        }
        if state.clock.now() >= housekeeping_due {
            crate::server::housekeeping::run(&state).await;
            housekeeping_due = state.clock.now() + 600;
        }
        if busy {
            continue;
        }
        tokio::select! {
            _ = state.mail_notify.notified() => {}
            _ = tokio::time::sleep(Duration::from_millis(state.mail_poll_ms)) => {}
            _ = shutdown.changed() => {}
        }
    }
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
