//! Where mail goes: `.eml` files for local use, or SMTP through lettre.

use lettre::{
    message::{
        header::{ContentTransferEncoding, ContentType, Header, HeaderName, HeaderValue},
        Body, Mailbox, MultiPart, SinglePart,
    },
    Address, AsyncFileTransport, AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor,
};
use std::{path::PathBuf, time::Duration};

/// Checks an SMTP URL without connecting, for start-up errors with a key name.
pub fn check_smtp_url(url: &str) -> Result<(), String> {
    if url.is_empty() {
        return Err(
            "is empty; set GATEHOUSE_SMTP_URL=smtp://user:pass@host:587?tls=required".into(),
        );
    }
    smtp_builder(url).map(|_| ())
}

fn smtp_transport(url: &str) -> Result<AsyncSmtpTransport<Tokio1Executor>, String> {
    Ok(smtp_builder(url)?
        .timeout(Some(Duration::from_secs(20)))
        .build())
}

/// Parses the URL into a transport builder; nothing connects yet.
fn smtp_builder(url: &str) -> Result<lettre::transport::smtp::AsyncSmtpTransportBuilder, String> {
    // lettre reads "no tls parameter" as plain SMTP; accept the explicit form too.
    let mut parsed = url::Url::parse(url).map_err(|e| format!("`{url}` is not a URL: {e}"))?;
    if !matches!(parsed.scheme(), "smtp" | "smtps") {
        return Err(format!(
            "`{}` must start with smtp:// or smtps://",
            parsed.scheme()
        ));
    }
    let pairs: Vec<(String, String)> = parsed
        .query_pairs()
        .filter(|(k, v)| !(k == "tls" && v == "none"))
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    parsed.set_query(None);
    if !pairs.is_empty() {
        parsed.query_pairs_mut().extend_pairs(pairs);
    }
    AsyncSmtpTransport::<Tokio1Executor>::from_url(parsed.as_str()).map_err(|e| e.to_string())
}

pub enum Transport {
    File {
        dir: PathBuf,
        inner: AsyncFileTransport<Tokio1Executor>,
    },
    Smtp(AsyncSmtpTransport<Tokio1Executor>),
}

/// Where mail goes (the checked `mail.*` settings).
#[derive(Debug, Clone)]
pub enum MailTransport {
    File { dir: PathBuf },
    Smtp { url: String },
}

impl Transport {
    pub fn new(mail: &MailTransport) -> Result<Self, String> {
        match mail {
            MailTransport::File { dir } => {
                std::fs::create_dir_all(dir)
                    .map_err(|e| format!("cannot create mail folder {}: {e}", dir.display()))?;
                Ok(Self::File {
                    dir: dir.clone(),
                    inner: AsyncFileTransport::new(dir),
                })
            }
            MailTransport::Smtp { url } => Ok(Self::Smtp(smtp_transport(url)?)),
        }
    }

    pub fn describe(&self) -> String {
        match self {
            Self::File { dir, .. } => format!("file ({})", dir.display()),
            Self::Smtp(_) => "smtp".into(),
        }
    }

    pub async fn send(&self, message: Message) -> Result<(), String> {
        match self {
            Self::File { inner, .. } => inner
                .send(message)
                .await
                .map(|_| ())
                .map_err(|e| e.to_string()),
            Self::Smtp(inner) => inner
                .send(message)
                .await
                .map(|_| ())
                .map_err(|e| e.to_string()),
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
        &crate::server::tokens::generate()[..32],
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
    fn smtp_urls_are_checked_without_connecting() {
        assert!(check_smtp_url("smtp://127.0.0.1:1025").is_ok());
        assert!(check_smtp_url("smtp://127.0.0.1:1025?tls=none").is_ok());
        assert!(check_smtp_url("smtp://user:pass@mail.example.com:587?tls=required").is_ok());
        assert!(check_smtp_url("smtps://mail.example.com").is_ok());
        assert!(check_smtp_url("http://mail.example.com").is_err());
        assert!(check_smtp_url("").is_err());
    }

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
