//! The outbox as the admin's mail page shows it: what was sent to whom and
//! how it went, never a message's body (it may hold a live link).

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MailState {
    Queued,
    Sending,
    Sent,
    Retrying,
    Failed,
}

impl MailState {
    /// How the mail page names the state, in the page's language.
    pub fn label(self) -> &'static str {
        use crate::i18n::{t, Msg};
        t(match self {
            MailState::Queued => Msg::OutboxStateQueued,
            MailState::Sending => Msg::OutboxStateSending,
            MailState::Sent => Msg::OutboxStateSent,
            MailState::Retrying => Msg::OutboxStateRetrying,
            MailState::Failed => Msg::OutboxStateFailed,
        })
    }
}

/// One message. Times come formatted in the site's zone.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MailEntry {
    pub id: i64,
    /// `reset`, `invite`, `password_changed`, `email_changed`, `test`…
    pub kind: String,
    pub to: String,
    pub state: MailState,
    pub queued: String,
    /// When it was sent or given up; for one being retried, the next try.
    pub when: Option<String>,
    pub attempts: i64,
    /// The mail server's last answer, in full.
    pub last_error: Option<String>,
}

/// A page of the outbox, newest first, with the cursor to older messages.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct MailPage {
    pub entries: Vec<MailEntry>,
    /// Show older messages: `?before=` this id.
    pub older: Option<i64>,
    /// While the mail server cannot be reached: since when, why, and that
    /// delivery waits for it.
    pub server_down: Option<String>,
}
