//! A small SMTP server on 127.0.0.1 that keeps what it receives, so tests
//! can watch lettre hold a real SMTP conversation. It can be stopped and
//! started again on the same port to play a mail server that is down, or
//! made to hang without a greeting like one that is overloaded, or to refuse
//! given recipients as a real server refuses unknown or greylisted ones.

use base64::Engine as _;
use std::sync::{
    atomic::{AtomicBool, AtomicUsize, Ordering},
    Arc, Mutex,
};
use tokio::{
    io::{AsyncBufReadExt, AsyncWriteExt, BufReader},
    net::{TcpListener, TcpStream},
    task::JoinHandle,
};

/// Called with every message any sink receives (the test run's record of
/// secrets: `log_audit`).
static OBSERVER: std::sync::OnceLock<fn(&str)> = std::sync::OnceLock::new();

pub fn observe(observer: fn(&str)) {
    let _ = OBSERVER.set(observer);
}

#[derive(Debug, Clone)]
pub struct ReceivedMail {
    pub from: String,
    pub to: Vec<String>,
    pub data: String,
}

impl ReceivedMail {
    pub fn header(&self, name: &str) -> Option<String> {
        let prefix = format!("{}:", name.to_ascii_lowercase());
        self.data
            .split("\r\n\r\n")
            .next()?
            .lines()
            .find(|l| l.to_ascii_lowercase().starts_with(&prefix))
            .map(|l| l[prefix.len()..].trim().to_owned())
    }

    /// The subject, its RFC 2047 encoded words (`=?utf-8?b?…?=`, which
    /// lettre writes for words beyond ASCII) decoded.
    pub fn subject(&self) -> String {
        let raw = self.header("Subject").unwrap_or_default();
        let mut out = String::new();
        let mut rest = raw.as_str();
        while let Some(start) = rest.find("=?") {
            out.push_str(&rest[..start]);
            let word = &rest[start + 2..];
            let decoded = word.split_once("?=").and_then(|(inner, after)| {
                let mut parts = inner.splitn(3, '?');
                let (_charset, encoding, text) = (parts.next()?, parts.next()?, parts.next()?);
                let bytes = match encoding {
                    "b" | "B" => base64::engine::general_purpose::STANDARD
                        .decode(text)
                        .ok()?,
                    _ => return None,
                };
                Some((String::from_utf8(bytes).ok()?, after))
            });
            match decoded {
                Some((text, after)) => {
                    out.push_str(&text);
                    rest = after;
                }
                None => {
                    out.push_str("=?");
                    rest = word;
                }
            }
        }
        out.push_str(rest);
        out
    }

    /// The text/plain part's body (our mails are 8bit, so no decoding).
    pub fn text_part(&self) -> String {
        part_body(&self.data, "text/plain")
    }

    pub fn html_part(&self) -> String {
        part_body(&self.data, "text/html")
    }

    pub fn link(&self) -> Option<String> {
        self.data
            .split_whitespace()
            .find(|w| w.starts_with("http") && w.contains("/reset-password/"))
            .map(|w| {
                w.trim_end_matches(|c: char| !c.is_ascii_alphanumeric())
                    .to_owned()
            })
    }
}

fn part_body(data: &str, content_type: &str) -> String {
    let Some(start) = data.find(&format!("Content-Type: {content_type}")) else {
        return String::new();
    };
    let rest = &data[start..];
    let Some(body_start) = rest.find("\r\n\r\n") else {
        return String::new();
    };
    let body = &rest[body_start + 4..];
    let end = body.find("\r\n--").unwrap_or(body.len());
    body[..end].replace("\r\n", "\n")
}

/// The "reply" that is none: see [`SmtpSink::tarpit`].
const TARPIT: &str = "(no answer)";

/// What the sink saw of its clients.
#[derive(Default)]
pub struct Traffic {
    hang: AtomicBool,
    /// Lower-case address → the reply its `RCPT TO` gets.
    refused: Mutex<std::collections::HashMap<String, String>>,
    /// The conversations under way, ended by `stop`.
    live: Mutex<Vec<tokio::task::AbortHandle>>,
    connections: AtomicUsize,
    open: AtomicUsize,
    most_open: AtomicUsize,
}

pub struct SmtpSink {
    pub port: u16,
    mails: Arc<Mutex<Vec<ReceivedMail>>>,
    traffic: Arc<Traffic>,
    task: Option<JoinHandle<()>>,
}

impl SmtpSink {
    pub async fn start() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind smtp sink");
        let port = listener.local_addr().unwrap().port();
        let mails = Arc::new(Mutex::new(Vec::new()));
        let traffic = Arc::new(Traffic::default());
        let task = Some(tokio::spawn(accept_loop(
            listener,
            mails.clone(),
            traffic.clone(),
        )));
        Self {
            port,
            mails,
            traffic,
            task,
        }
    }

    /// New connections are accepted but never greeted (until `unhang`).
    pub fn hang(&self) {
        self.traffic.hang.store(true, Ordering::SeqCst);
    }

    /// `RCPT TO` for `address` gets `reply` (for example `550 5.1.1 User
    /// unknown`) until `stop_refusing`.
    pub fn refuse(&self, address: &str, reply: &str) {
        self.traffic
            .refused
            .lock()
            .unwrap()
            .insert(address.to_ascii_lowercase(), reply.to_owned());
    }

    /// `RCPT TO` for `address` is never answered, as a tarpit does.
    pub fn tarpit(&self, address: &str) {
        self.refuse(address, TARPIT);
    }

    pub fn stop_refusing(&self, address: &str) {
        self.traffic
            .refused
            .lock()
            .unwrap()
            .remove(&address.to_ascii_lowercase());
    }

    pub fn unhang(&self) {
        self.traffic.hang.store(false, Ordering::SeqCst);
    }

    /// Connections accepted so far.
    pub fn connections(&self) -> usize {
        self.traffic.connections.load(Ordering::SeqCst)
    }

    /// The most connections that were open at one time.
    pub fn most_open(&self) -> usize {
        self.traffic.most_open.load(Ordering::SeqCst)
    }

    pub fn url(&self) -> String {
        format!("smtp://127.0.0.1:{}", self.port)
    }

    /// Stops listening and drops every open connection: connections are
    /// refused until `resume`.
    pub fn stop(&mut self) {
        if let Some(task) = self.task.take() {
            task.abort();
        }
        for conversation in self.traffic.live.lock().unwrap().drain(..) {
            conversation.abort();
        }
    }

    pub async fn resume(&mut self) {
        let listener = TcpListener::bind(("127.0.0.1", self.port))
            .await
            .expect("rebind smtp sink");
        self.task = Some(tokio::spawn(accept_loop(
            listener,
            self.mails.clone(),
            self.traffic.clone(),
        )));
    }

    /// How many mails arrived.
    pub fn count(&self) -> usize {
        self.mails.lock().unwrap().len()
    }

    pub fn mails(&self) -> Vec<ReceivedMail> {
        self.mails.lock().unwrap().clone()
    }

    pub fn mails_to(&self, to: &str) -> Vec<ReceivedMail> {
        self.mails()
            .into_iter()
            .filter(|m| m.to.iter().any(|t| t.eq_ignore_ascii_case(to)))
            .collect()
    }

    /// Waits up to ten seconds for at least `n` mails to `to`.
    pub async fn wait_for(&self, to: &str, n: usize) -> Vec<ReceivedMail> {
        for _ in 0..200 {
            let got = self.mails_to(to);
            if got.len() >= n {
                return got;
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        panic!(
            "expected {n} mails to {to}, got {:?}",
            self.mails_to(to)
                .iter()
                .map(|m| m.subject())
                .collect::<Vec<_>>()
        );
    }
}

impl Drop for SmtpSink {
    fn drop(&mut self) {
        self.stop();
    }
}

async fn accept_loop(
    listener: TcpListener,
    mails: Arc<Mutex<Vec<ReceivedMail>>>,
    traffic: Arc<Traffic>,
) {
    loop {
        let Ok((stream, _)) = listener.accept().await else {
            continue;
        };
        let (mails, traffic) = (mails.clone(), traffic.clone());
        traffic.connections.fetch_add(1, Ordering::SeqCst);
        let open = traffic.open.fetch_add(1, Ordering::SeqCst) + 1;
        traffic.most_open.fetch_max(open, Ordering::SeqCst);
        let live = traffic.clone();
        let conversation = tokio::spawn(async move {
            if traffic.hang.load(Ordering::SeqCst) {
                // Say nothing; the client gives up when its timeout ends.
                let _ = tokio::time::timeout(std::time::Duration::from_secs(60), async {
                    let mut stream = stream;
                    let mut buf = [0u8; 64];
                    while tokio::io::AsyncReadExt::read(&mut stream, &mut buf)
                        .await
                        .unwrap_or(0)
                        > 0
                    {}
                })
                .await;
            } else {
                let _ = converse(stream, mails, &traffic).await;
            }
            traffic.open.fetch_sub(1, Ordering::SeqCst);
        });
        let mut live = live.live.lock().unwrap();
        live.retain(|c| !c.is_finished());
        live.push(conversation.abort_handle());
    }
}

async fn converse(
    stream: TcpStream,
    mails: Arc<Mutex<Vec<ReceivedMail>>>,
    traffic: &Traffic,
) -> std::io::Result<()> {
    let (read, mut write) = stream.into_split();
    let mut lines = BufReader::new(read);
    write.write_all(b"220 sink.test ESMTP ready\r\n").await?;
    let (mut from, mut to) = (String::new(), Vec::new());
    let mut line = String::new();
    loop {
        line.clear();
        if lines.read_line(&mut line).await? == 0 {
            return Ok(());
        }
        let command = line.trim_end().to_owned();
        let upper = command.to_ascii_uppercase();
        if upper.starts_with("EHLO") {
            write
                .write_all(b"250-sink.test\r\n250-8BITMIME\r\n250 SMTPUTF8\r\n")
                .await?;
        } else if upper.starts_with("HELO") {
            write.write_all(b"250 sink.test\r\n").await?;
        } else if upper.starts_with("MAIL FROM:") {
            from = address(&command[10..]);
            to.clear();
            write.write_all(b"250 OK\r\n").await?;
        } else if upper.starts_with("RCPT TO:") {
            let rcpt = address(&command[8..]);
            let refusal = traffic
                .refused
                .lock()
                .unwrap()
                .get(&rcpt.to_ascii_lowercase())
                .cloned();
            match refusal {
                Some(reply) if reply == TARPIT => {
                    tokio::time::sleep(std::time::Duration::from_secs(60)).await;
                    return Ok(());
                }
                Some(reply) => write.write_all(format!("{reply}\r\n").as_bytes()).await?,
                None => {
                    to.push(rcpt);
                    write.write_all(b"250 OK\r\n").await?;
                }
            }
        } else if upper == "DATA" {
            write
                .write_all(b"354 End data with <CR><LF>.<CR><LF>\r\n")
                .await?;
            let mut data = String::new();
            loop {
                line.clear();
                if lines.read_line(&mut line).await? == 0 {
                    return Ok(());
                }
                if line == ".\r\n" || line == ".\n" {
                    break;
                }
                let unstuffed = line.strip_prefix('.').unwrap_or(&line);
                data.push_str(unstuffed);
            }
            if let Some(observer) = OBSERVER.get() {
                observer(&data);
            }
            mails.lock().unwrap().push(ReceivedMail {
                from: from.clone(),
                to: to.clone(),
                data,
            });
            write.write_all(b"250 OK: queued\r\n").await?;
        } else if upper == "QUIT" {
            write.write_all(b"221 Bye\r\n").await?;
            return Ok(());
        } else if upper == "RSET" || upper == "NOOP" {
            write.write_all(b"250 OK\r\n").await?;
        } else {
            write.write_all(b"502 Command not implemented\r\n").await?;
        }
    }
}

fn address(s: &str) -> String {
    let s = s.trim();
    let s = s.split_whitespace().next().unwrap_or(s);
    s.trim_start_matches('<').trim_end_matches('>').to_owned()
}
