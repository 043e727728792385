//! Where mail goes: `.eml` files for local use, or SMTP through lettre.

use crate::server::platform::config::{MailTransport, Settings, SmtpUrl};
use lettre::{
    message::{
        header::{ContentTransferEncoding, ContentType, Header, HeaderName, HeaderValue},
        Body, Mailbox, MultiPart, SinglePart,
    },
    transport::smtp::{self, PoolConfig},
    Address, AsyncFileTransport, AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor,
};
use std::{path::PathBuf, time::Duration};

/// One pooled connection per message in flight: a connection is reused
/// for the next message instead of greeting (and logging in) again.
fn smtp_transport(
    url: &SmtpUrl,
    connections: u32,
    timeout: Duration,
) -> Result<AsyncSmtpTransport<Tokio1Executor>, String> {
    // Checked when the settings were read; nothing connects yet.
    Ok(
        AsyncSmtpTransport::<Tokio1Executor>::from_url(&url.for_lettre())
            .map_err(|e| e.to_string())?
            .timeout(Some(timeout))
            .pool_config(PoolConfig::new().max_size(connections.max(1)))
            .build(),
    )
}

pub enum Transport {
    File {
        dir: PathBuf,
        inner: AsyncFileTransport<Tokio1Executor>,
    },
    Smtp(Smtp),
}

/// lettre's SMTP transport with its connection pool. lettre bounds only
/// the TCP connect by its timeout, so every exchange here is bounded as a
/// whole; and after a failure of the server the pool is replaced, since a
/// connection abandoned mid-exchange would otherwise go back to it.
pub struct Smtp {
    url: SmtpUrl,
    connections: u32,
    timeout: Duration,
    pool: std::sync::RwLock<AsyncSmtpTransport<Tokio1Executor>>,
}

impl Smtp {
    fn new(url: &SmtpUrl, connections: u32, timeout: Duration) -> Result<Self, String> {
        Ok(Self {
            url: url.clone(),
            connections,
            timeout,
            pool: std::sync::RwLock::new(smtp_transport(url, connections, timeout)?),
        })
    }

    fn current(&self) -> AsyncSmtpTransport<Tokio1Executor> {
        self.pool
            .read()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .clone()
    }

    /// A fresh pool; the old one's connections close as their last users
    /// let go.
    fn renew(&self) {
        if let Ok(fresh) = smtp_transport(&self.url, self.connections, self.timeout) {
            *self
                .pool
                .write()
                .unwrap_or_else(|poisoned| poisoned.into_inner()) = fresh;
        }
    }

    async fn bounded<T>(
        &self,
        exchange: impl std::future::Future<Output = Result<T, SendError>>,
    ) -> Result<T, SendError> {
        let result = tokio::time::timeout(self.timeout, exchange)
            .await
            .unwrap_or_else(|_| {
                Err(SendError::Server(format!(
                    "the mail server did not answer within {} s (timed out)",
                    self.timeout.as_secs()
                )))
            });
        if let Err(SendError::Server(_)) = &result {
            self.renew();
        }
        result
    }

    async fn send(&self, message: Message) -> Result<(), SendError> {
        let pool = self.current();
        self.bounded(async move {
            pool.send(message)
                .await
                .map(|_| ())
                .map_err(|e| classify(&e))
        })
        .await
    }

    async fn probe(&self) -> Result<(), String> {
        let pool = self.current();
        self.bounded(async move {
            match pool.test_connection().await {
                Ok(true) => Ok(()),
                Ok(false) => Err(SendError::Server(
                    "the mail server did not answer NOOP".into(),
                )),
                Err(e) => Err(SendError::Server(e.to_string())),
            }
        })
        .await
        .map_err(|e| e.message().to_owned())
    }
}

/// Why a message did not go.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SendError {
    /// The mail server cannot be used at all: unreachable, timed out, a TLS
    /// or login failure, or it is closing down. No message is to blame, so
    /// the outbox pauses instead of spending the queue's attempts.
    Server(String),
    /// The server refused this one message: for now (4xx, tried again
    /// later) or for good (5xx, or a message it could never take).
    Refused { error: String, permanent: bool },
}

impl SendError {
    pub fn message(&self) -> &str {
        match self {
            Self::Server(e) | Self::Refused { error: e, .. } => e,
        }
    }
}

impl std::fmt::Display for SendError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.message())
    }
}

/// Replies that speak for the whole server rather than one message: 421
/// (closing the channel), 454 (TLS or login unavailable for now) and the
/// login failures of RFC 4954 (530, 534, 535, 538).
const SERVER_WIDE_CODES: [u16; 6] = [421, 454, 530, 534, 535, 538];

fn classify(error: &smtp::Error) -> SendError {
    let text = error.to_string();
    match error.status() {
        Some(code) if SERVER_WIDE_CODES.contains(&u16::from(code)) => SendError::Server(text),
        Some(_) => SendError::Refused {
            error: text,
            permanent: error.is_permanent(),
        },
        // lettre refuses to send a message with non-ASCII content or
        // addresses to a server without 8BITMIME or SMTPUTF8: that message
        // never can go. Its other client errors (no STARTTLS, no login
        // mechanism in common, an unencrypted connection) are the setup's.
        None if error.is_client() && text.contains("non-ascii") => SendError::Refused {
            error: text,
            permanent: true,
        },
        // Connection, network, timeout, TLS, login setup, or a reply that
        // is not SMTP.
        None => SendError::Server(text),
    }
}

impl Transport {
    /// As configured: `mail.transport` and `mail.smtp_url`, with
    /// `mail.concurrency` pooled connections and `mail.timeout_secs` for
    /// one SMTP exchange, beyond which the server counts as unreachable.
    pub fn from_settings(settings: &Settings) -> Result<Self, String> {
        match &settings.mail {
            MailTransport::File { dir } => {
                std::fs::create_dir_all(dir)
                    .map_err(|e| format!("cannot create mail folder {}: {e}", dir.display()))?;
                Ok(Self::File {
                    dir: dir.clone(),
                    inner: AsyncFileTransport::new(dir),
                })
            }
            MailTransport::Smtp { url } => Ok(Self::Smtp(Smtp::new(
                url,
                settings.mail_concurrency,
                settings.mail_timeout,
            )?)),
        }
    }

    pub fn describe(&self) -> String {
        match self {
            Self::File { dir, .. } => format!("file ({})", dir.display()),
            Self::Smtp(_) => "smtp".into(),
        }
    }

    pub async fn send(&self, message: Message) -> Result<(), SendError> {
        match self {
            // A folder that cannot be written to fails every message alike.
            Self::File { inner, .. } => inner
                .send(message)
                .await
                .map(|_| ())
                .map_err(|e| SendError::Server(e.to_string())),
            Self::Smtp(smtp) => smtp.send(message).await,
        }
    }

    /// Whether the server can be used again: a connection (with TLS and
    /// login when configured) that answers `NOOP`.
    pub async fn probe(&self) -> Result<(), String> {
        match self {
            Self::File { dir, .. } => std::fs::create_dir_all(dir)
                .map_err(|e| format!("cannot create mail folder {}: {e}", dir.display())),
            Self::Smtp(smtp) => smtp.probe().await,
        }
    }
}

/// `Auto-Submitted: auto-generated` (RFC 3834): the message was sent by a
/// program, so auto-responders and vacation replies leave it alone.
#[derive(Clone)]
struct AutoSubmitted;

impl Header for AutoSubmitted {
    fn name() -> HeaderName {
        HeaderName::new_from_ascii_str("Auto-Submitted")
    }

    fn parse(_: &str) -> Result<Self, Box<dyn std::error::Error + Send + Sync>> {
        Ok(Self)
    }

    fn display(&self) -> HeaderValue {
        HeaderValue::new(Self::name(), "auto-generated".into())
    }
}

/// A multipart message (plain text and HTML), with a `Message-ID` in the
/// sender's domain (mail without one is scored as spam). Parts are sent as
/// 8bit so that the link stays on one unbroken line of the raw message.
/// The recipient is read by the same parser as `Email::parse_deliverable`, so
/// every address the forms accept can be sent to.
pub fn build_message(
    from: &str,
    from_name: &str,
    to: &str,
    subject: &str,
    text: &str,
    html: &str,
) -> Result<Message, String> {
    let from: Mailbox = format!("{} <{from}>", quote_name(from_name))
        .parse()
        .map_err(|e| format!("bad sender address: {e}"))?;
    let to = Mailbox::new(
        None,
        to.parse::<Address>()
            .map_err(|e| format!("bad recipient address `{to}`: {e}"))?,
    );
    let message_id = format!(
        "<{}@{}>",
        &crate::server::platform::tokens::generate()[..32],
        from.email.domain()
    );
    let part = |content_type: ContentType, body: &str| {
        SinglePart::builder()
            .header(content_type)
            .body(eight_bit(body))
    };
    Message::builder()
        .from(from)
        .to(to)
        .subject(subject)
        .message_id(Some(message_id))
        .header(AutoSubmitted)
        .multipart(
            MultiPart::alternative()
                .singlepart(part(ContentType::TEXT_PLAIN, text))
                .singlepart(part(ContentType::TEXT_HTML, html)),
        )
        .map_err(|e| e.to_string())
}

/// lettre only picks 8bit for lines under 76 characters; RFC 6152 allows
/// 998, which keeps every link whole for readers that do not decode.
fn eight_bit(text: &str) -> Body {
    let crlf = text.replace("\r\n", "\n").replace('\n', "\r\n");
    if crlf.split("\r\n").all(|line| line.len() <= 998) && !crlf.contains('\0') {
        Body::dangerous_pre_encoded(crlf.into_bytes(), ContentTransferEncoding::EightBit)
    } else {
        Body::new(text.to_owned())
    }
}

fn quote_name(name: &str) -> String {
    let cleaned: String = name
        .chars()
        .filter(|c| !c.is_control() && *c != '"' && *c != '\\')
        .collect();
    format!("\"{cleaned}\"")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_keep_long_links_on_one_line() {
        let link = format!(
            "https://accounts.example.com/reset-password/{}",
            "x".repeat(43)
        );
        let msg = build_message(
            "admin@example.com",
            "Acme \"Portal\"",
            "jane@example.com",
            "Password reset request",
            &format!("Visit:\n\n{link}\n"),
            "<p>x</p>",
        )
        .unwrap();
        let raw = String::from_utf8(msg.formatted()).unwrap();
        assert!(raw.contains(&link), "{raw}");
        assert!(raw.contains("multipart/alternative"));
        assert!(
            raw.contains("Acme Portal") && raw.contains("<admin@example.com>"),
            "{raw}"
        );
        assert!(
            raw.contains("\r\nAuto-Submitted: auto-generated\r\n"),
            "{raw}"
        );
        let id = raw
            .lines()
            .find_map(|l| l.strip_prefix("Message-ID: "))
            .expect("a Message-ID header");
        assert!(id.starts_with('<') && id.ends_with("@example.com>"), "{id}");
    }
}
