//! The logs of a whole test run, and the secrets the tests came across:
//! every password they typed, every link and token that reached the mail
//! sink, every cookie the server set, every token and code an app got. After
//! `cargo test`, `scripts/check-test-logs.sh` looks for each secret in each
//! log line. With the smtp transport no password, token, link or session id
//! may ever appear there.
//!
//! Active when `GH_TEST_LOG_DIR` names a folder (`scripts/test.sh` sets it);
//! a single test run by hand logs nowhere.

use std::{
    io::Write,
    path::PathBuf,
    sync::{Mutex, OnceLock},
};

pub fn dir() -> Option<PathBuf> {
    std::env::var_os("GH_TEST_LOG_DIR").map(PathBuf::from)
}

/// Sends this test process's log, JSON lines as `log.format = "json"`
/// writes them, to `api-<pid>.log`; at debug level for Gatehouse, so that
/// even its quietest lines are searched.
pub fn init() {
    static ONCE: OnceLock<()> = OnceLock::new();
    ONCE.get_or_init(|| {
        let Some(dir) = dir() else { return };
        std::fs::create_dir_all(&dir).unwrap();
        let file = std::fs::File::create(dir.join(format!("api-{}.log", std::process::id())))
            .expect("the test log file");
        let filter =
            tracing_subscriber::EnvFilter::new("info,gatehouse=debug,sqlx=warn,leptos=warn");
        let _ = tracing_subscriber::fmt()
            .with_env_filter(filter)
            .with_writer(Mutex::new(file))
            .json()
            .flatten_event(true)
            .with_current_span(true)
            .with_span_list(false)
            .try_init();
        crate::smtp_sink::observe(note_mail);
        for password in [
            crate::helpers::USER_PASSWORD,
            crate::helpers::ADMIN_PASSWORD,
        ] {
            note(password);
        }
    });
}

/// A file in the log folder for a server run as its own process, or `None`.
pub fn file_for(what: &str) -> Option<PathBuf> {
    static NEXT: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
    dir().map(|d| d.join(format!("{what}-{}-{n}.log", std::process::id())))
}

/// Remembers `secret` for the check. Short strings are left out: they
/// could turn up in a log line by chance.
pub fn note(secret: &str) {
    static FILE: OnceLock<Option<Mutex<std::fs::File>>> = OnceLock::new();
    let secret = secret.trim();
    if secret.len() < 12 || secret.contains('\n') {
        return;
    }
    let file = FILE.get_or_init(|| {
        let dir = dir()?;
        std::fs::create_dir_all(&dir).ok()?;
        std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(dir.join(format!("secrets-{}.txt", std::process::id())))
            .ok()
            .map(Mutex::new)
    });
    if let Some(file) = file {
        let mut file = file.lock().unwrap();
        let _ = writeln!(file, "{secret}");
    }
}

/// Every link in a mail that carries a token, and the token. Tokens are
/// long and random; the site's other links (`/forgot-password`) are not
/// secrets.
fn note_mail(data: &str) {
    const TOKEN_LEN: usize = 20;
    for word in data.split_whitespace() {
        let Some(start) = word.find("http") else {
            continue;
        };
        let link = word[start..].trim_end_matches(|c: char| !c.is_ascii_alphanumeric() && c != '/');
        let link = link.split('"').next().unwrap_or(link);
        let Ok(url) = url::Url::parse(link) else {
            continue;
        };
        let mut tokens: Vec<String> = url
            .query_pairs()
            .map(|(_, v)| v.into_owned())
            .chain(url.path_segments().into_iter().flatten().map(str::to_owned))
            .filter(|part| part.len() >= TOKEN_LEN)
            .collect();
        if !tokens.is_empty() {
            tokens.push(link.to_owned());
        }
        for token in tokens {
            note(&token);
        }
    }
}

/// A cookie jar that remembers the value of every cookie the server sets.
#[derive(Default)]
pub struct RecordingJar(reqwest::cookie::Jar);

impl reqwest::cookie::CookieStore for RecordingJar {
    fn set_cookies(
        &self,
        headers: &mut dyn Iterator<Item = &reqwest::header::HeaderValue>,
        url: &url::Url,
    ) {
        let headers: Vec<&reqwest::header::HeaderValue> = headers.collect();
        for header in &headers {
            if let Some((_, value)) = header
                .to_str()
                .unwrap_or_default()
                .split(';')
                .next()
                .and_then(|pair| pair.split_once('='))
            {
                note(value);
            }
        }
        self.0.set_cookies(&mut headers.into_iter(), url);
    }

    fn cookies(&self, url: &url::Url) -> Option<reqwest::header::HeaderValue> {
        self.0.cookies(url)
    }
}

/// A client builder with a [`RecordingJar`].
pub fn client_builder() -> reqwest::ClientBuilder {
    reqwest::Client::builder().cookie_provider(std::sync::Arc::new(RecordingJar::default()))
}
