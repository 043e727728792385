//! Configuration: `Leptos.toml`, then environment variables, checked once at start-up.
//!
//! Each value is parsed into its type as it is read (addresses, URLs, time
//! zones, CIDR ranges, the choices), so a bad one names its key; the rules
//! between keys are small checks per section. The database and SMTP URLs
//! are secrets: their `Debug` hides the credentials.

use chrono_tz::Tz;
use figment::{
    providers::{Env, Format, Toml},
    Figment,
};
use ipnet::IpNet;
use serde::{de, Deserialize, Deserializer};
use std::{fmt, net::SocketAddr, path::PathBuf, time::Duration};
use url::Url;

/// The settings as written. Every key is optional in a site's file: the
/// defaults come first (see [`DEFAULTS`]); a key no section knows is an
/// error that names it.
#[derive(Debug, Clone, Deserialize)]
pub struct Config {
    pub site: SiteConfig,
    pub database: DatabaseConfig,
    pub auth: AuthConfig,
    pub limits: LimitsConfig,
    pub mail: MailConfig,
    pub audit: AuditConfig,
    pub log: LogConfig,
    pub metrics: MetricsConfig,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SiteConfig {
    pub name: String,
    #[serde(deserialize_with = "email")]
    pub admin_email: String,
    /// Empty: `http://{addr}`.
    #[serde(deserialize_with = "optional")]
    pub public_url: Option<PublicUrl>,
    pub time_zone: TimeZone,
    pub data_dir: PathBuf,
    #[serde(deserialize_with = "socket_addr")]
    pub addr: SocketAddr,
    /// Proxies (addresses or CIDR ranges) whose forwarding header is
    /// believed. In the environment: comma-separated.
    #[serde(deserialize_with = "list")]
    pub trusted_proxies: Vec<Network>,
    /// Which header trusted proxies set.
    pub proxy_headers: ProxyHeader,
    /// Hosts (`host` or `host:port`) that the login page and forward-auth
    /// may send a browser back to, besides this site. In the environment:
    /// comma-separated.
    #[serde(deserialize_with = "list")]
    pub allowed_return_hosts: Vec<ReturnHost>,
    /// Parent domain the session cookie is shared with (apps on its
    /// sub-domains behind forward-auth); empty: this host only.
    #[serde(deserialize_with = "optional")]
    pub cookie_domain: Option<CookieDomain>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DatabaseConfig {
    /// Empty: an SQLite file under `site.data_dir`.
    #[serde(deserialize_with = "optional")]
    pub url: Option<DatabaseUrl>,
    pub max_connections: u32,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AuthConfig {
    pub min_password_length: usize,
    pub reset_hours: u32,
    pub invite_hours: u32,
    pub session_idle_minutes: u32,
    pub session_absolute_hours: u32,
    pub argon2_memory_kib: u32,
    pub argon2_iterations: u32,
    pub argon2_parallelism: u32,
    pub hash_concurrency: usize,
    pub hash_queue_timeout_ms: u64,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LimitsConfig {
    pub login_per_ip_per_hour: u32,
    pub login_per_ip_burst: u32,
    pub login_per_account_per_hour: u32,
    pub login_per_account_burst: u32,
    pub reset_per_ip_per_hour: u32,
    pub reset_per_ip_burst: u32,
    pub reset_per_account_per_hour: u32,
    pub reset_per_account_burst: u32,
    pub max_body_bytes: usize,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MetricsConfig {
    /// Client addresses (and CIDR ranges) that may read `/metrics`. In the
    /// environment: comma-separated.
    #[serde(deserialize_with = "list")]
    pub allowed: Vec<Network>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LogConfig {
    pub format: LogFormat,
}

/// `text` (for people) or `json` (one object per line, for collectors).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    Text,
    Json,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AuditConfig {
    /// Entries older than this many days are deleted by housekeeping.
    pub retention_days: u32,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MailConfig {
    pub transport: TransportKind,
    #[serde(deserialize_with = "optional")]
    pub smtp_url: Option<SmtpUrl>,
    pub max_attempts: u32,
    /// Messages sent at once, each over its own pooled SMTP connection.
    pub concurrency: u32,
    /// How long one SMTP conversation may take before the server counts
    /// as unreachable.
    pub timeout_secs: u64,
}

/// `mail.transport`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TransportKind {
    File,
    Smtp,
}

/// The shipped `Leptos.toml`: every key with its default value. It is the
/// one place defaults are written; the server compiles it in, so a site's
/// own file needs only the keys it changes.
pub const DEFAULTS: &str = include_str!("../../../Leptos.toml");

impl Default for Config {
    fn default() -> Self {
        static PARSED: std::sync::LazyLock<Config> = std::sync::LazyLock::new(|| {
            Figment::from(Toml::string(DEFAULTS))
                .extract()
                .unwrap_or_else(|e| panic!("the shipped Leptos.toml must set every key: {e}"))
        });
        PARSED.clone()
    }
}

/// Each section's defaults, for code that builds one section alone.
macro_rules! section_defaults {
    ($($section:ident: $ty:ty),+ $(,)?) => {$(
        impl Default for $ty {
            fn default() -> Self {
                Config::default().$section
            }
        }
    )+};
}

section_defaults!(
    site: SiteConfig,
    database: DatabaseConfig,
    auth: AuthConfig,
    limits: LimitsConfig,
    mail: MailConfig,
    audit: AuditConfig,
    log: LogConfig,
    metrics: MetricsConfig,
);

/// Environment variables with short names, and the key each one sets.
const ENV_ALIASES: &[(&str, &str)] = &[
    ("GATEHOUSE_DATABASE_URL", "database.url"),
    ("GATEHOUSE_SMTP_URL", "mail.smtp_url"),
    ("GATEHOUSE_PUBLIC_URL", "site.public_url"),
    ("GATEHOUSE_SITE_NAME", "site.name"),
    ("GATEHOUSE_ADMIN_EMAIL", "site.admin_email"),
    ("GATEHOUSE_DATA_DIR", "site.data_dir"),
    ("GATEHOUSE_TIME_ZONE", "site.time_zone"),
    ("LEPTOS_SITE_ADDR", "site.addr"),
];

impl Config {
    /// Defaults, then the file (if it exists), then `GATEHOUSE_SECTION__KEY`
    /// variables, then the short names above.
    pub fn load(file: &std::path::Path) -> Result<Self, String> {
        let aliases = Env::raw().filter_map(|key| {
            ENV_ALIASES
                .iter()
                .find(|(name, _)| key.as_str().eq_ignore_ascii_case(name))
                .map(|(_, target)| (*target).into())
        });
        // Only the sections' keys: the short names above are read apart.
        let sections = Env::prefixed("GATEHOUSE_")
            .split("__")
            .filter(|key| key.as_str().contains('.'));
        let mut config: Config = Figment::from(Toml::string(DEFAULTS))
            .merge(Toml::file(file))
            .merge(sections)
            .merge(aliases)
            .extract()
            .map_err(|e| explain(&e))?;
        // Setting the SMTP URL selects the SMTP transport.
        if std::env::var("GATEHOUSE_SMTP_URL").is_ok_and(|v| !v.trim().is_empty()) {
            config.mail.transport = TransportKind::Smtp;
        }
        Ok(config)
    }
}

/// One line naming the key, for a value that did not parse or a key that
/// does not exist.
fn explain(e: &figment::Error) -> String {
    let mut key = e.path.join(".");
    let detail = match &e.kind {
        figment::error::Kind::UnknownField(field, known) => {
            if !key.ends_with(field.as_str()) {
                key = [key.as_str(), field].join(".");
            }
            format!("no such setting (this section has {})", known.join(", "))
        }
        kind => kind.to_string(),
    };
    if key.is_empty() {
        format!("configuration: {detail}")
    } else {
        format!("configuration key `{key}`: {detail}")
    }
}

/// Where mail goes (the checked `mail.*` settings).
#[derive(Debug, Clone)]
pub enum MailTransport {
    File { dir: PathBuf },
    Smtp { url: SmtpUrl },
}

/// The checked configuration the rest of the server works with.
#[derive(Debug, Clone)]
pub struct Settings {
    pub site_name: String,
    pub admin_email: String,
    pub public_url: Url,
    pub time_zone: Tz,
    pub data_dir: PathBuf,
    pub addr: SocketAddr,
    pub database_url: DatabaseUrl,
    pub max_connections: u32,
    pub auth: AuthConfig,
    pub limits: LimitsConfig,
    pub mail: MailTransport,
    pub mail_max_attempts: u32,
    pub mail_concurrency: u32,
    pub mail_timeout: Duration,
    /// Proxies whose forwarding header is believed, and that header.
    pub trusted_proxies: Vec<IpNet>,
    pub proxy_header: ProxyHeader,
    pub audit_retention_days: u32,
    /// Lower-case `host` or `host:port` entries (see [`SiteConfig`]).
    pub allowed_return_hosts: Vec<String>,
    /// Lower-case, without a leading dot; `None`: a host-only cookie.
    pub cookie_domain: Option<String>,
    /// Log lines as JSON objects (`log.format = "json"`).
    pub log_json: bool,
    /// Who may read `/metrics`.
    pub metrics_allowed: Vec<IpNet>,
}

/// A setting that is wrong, and why.
fn bad(key: &str, problem: impl fmt::Display) -> String {
    format!("configuration key `{key}`: {problem}")
}

impl Settings {
    pub fn from_config(config: Config) -> Result<Self, String> {
        let Config {
            site,
            database,
            auth,
            limits,
            mail,
            audit,
            log,
            metrics,
        } = config;
        site.check()?;
        auth.check()?;
        mail.check()?;
        if database.max_connections == 0 {
            return Err(bad("database.max_connections", "must be at least 1"));
        }
        if audit.retention_days == 0 {
            return Err(bad("audit.retention_days", "must be at least 1"));
        }
        let public_url = match site.public_url {
            Some(PublicUrl(url)) => url,
            None => {
                Url::parse(&format!("http://{}", site.addr)).map_err(|e| bad("site.addr", e))?
            }
        };
        let cookie_domain = site.cookie_domain.map(|CookieDomain(domain)| domain);
        if let Some(domain) = &cookie_domain {
            let host = public_url
                .host_str()
                .unwrap_or_default()
                .to_ascii_lowercase();
            if !(host == *domain || host.ends_with(&format!(".{domain}"))) {
                let problem =
                    format!("`{domain}` must be a parent domain of the public URL's host `{host}`");
                return Err(bad("site.cookie_domain", problem));
            }
        }
        let database_url = database.url.unwrap_or_else(|| {
            DatabaseUrl(format!(
                "sqlite://{}/gatehouse.db?mode=rwc",
                site.data_dir.display()
            ))
        });
        let transport = match (mail.transport, mail.smtp_url) {
            (TransportKind::File, _) => MailTransport::File {
                dir: site.data_dir.join("mail"),
            },
            (TransportKind::Smtp, Some(url)) => MailTransport::Smtp { url },
            (TransportKind::Smtp, None) => unreachable!("MailConfig::check requires the URL"),
        };
        Ok(Self {
            site_name: site.name.trim().to_owned(),
            admin_email: site.admin_email,
            public_url,
            time_zone: site.time_zone.0,
            data_dir: site.data_dir,
            addr: site.addr,
            database_url,
            max_connections: database.max_connections,
            auth,
            limits,
            mail: transport,
            mail_max_attempts: mail.max_attempts.max(1),
            mail_concurrency: mail.concurrency,
            mail_timeout: Duration::from_secs(mail.timeout_secs),
            trusted_proxies: site.trusted_proxies.into_iter().map(|n| n.0).collect(),
            proxy_header: site.proxy_headers,
            audit_retention_days: audit.retention_days,
            allowed_return_hosts: site.allowed_return_hosts.into_iter().map(|h| h.0).collect(),
            cookie_domain,
            log_json: log.format == LogFormat::Json,
            metrics_allowed: metrics.allowed.into_iter().map(|n| n.0).collect(),
        })
    }

    /// `scheme://host[:port]`, what browsers put in the Origin header.
    pub fn public_origin(&self) -> String {
        self.public_url.origin().ascii_serialization()
    }

    pub fn cookie_secure(&self) -> bool {
        self.public_url.scheme() == "https"
    }

    /// The OpenID Connect issuer: the public URL without a trailing slash.
    pub fn issuer(&self) -> String {
        self.public_url.as_str().trim_end_matches('/').to_owned()
    }

    /// Whether a browser may be sent to `url` after logging in: this site,
    /// or a host listed in `site.allowed_return_hosts` (exact match, http or
    /// https only).
    pub fn may_return_to(&self, url: &Url) -> bool {
        if !matches!(url.scheme(), "http" | "https") || !url.username().is_empty() {
            return false;
        }
        if url.origin() == self.public_url.origin() {
            return true;
        }
        let Some(host) = url.host_str() else {
            return false;
        };
        let host = host.to_ascii_lowercase();
        let with_port = url.port().map(|p| format!("{host}:{p}"));
        self.allowed_return_hosts
            .iter()
            .any(|allowed| *allowed == host || Some(allowed) == with_port.as_ref())
    }

    /// An absolute link to a path of this site, from the configured URL only.
    pub fn link(&self, path: &str) -> String {
        let base = self.public_url.as_str().trim_end_matches('/');
        format!("{base}{path}")
    }

    pub fn password_policy(&self) -> crate::domain::PasswordPolicy {
        crate::domain::PasswordPolicy {
            min_length: self.auth.min_password_length,
            site_name: self.site_name.clone(),
        }
    }
}

// --- The rules between keys, a section at a time ---------------------------

impl SiteConfig {
    fn check(&self) -> Result<(), String> {
        let name = self.name.trim();
        if name.is_empty() || name.chars().count() > 100 {
            return Err(bad("site.name", "must be 1 to 100 characters"));
        }
        Ok(())
    }
}

impl AuthConfig {
    fn check(&self) -> Result<(), String> {
        if !(8..=256).contains(&self.min_password_length) {
            return Err(bad("auth.min_password_length", "must be between 8 and 256"));
        }
        for (key, hours) in [
            ("auth.reset_hours", self.reset_hours),
            ("auth.invite_hours", self.invite_hours),
        ] {
            if !(1..=24 * 90).contains(&hours) {
                return Err(bad(key, "must be between 1 and 2160 hours"));
            }
        }
        if self.session_idle_minutes == 0 || self.session_absolute_hours == 0 {
            return Err(bad(
                "auth.session_idle_minutes",
                "session timeouts must be positive",
            ));
        }
        argon2::Params::new(
            self.argon2_memory_kib,
            self.argon2_iterations,
            self.argon2_parallelism,
            None,
        )
        .map(drop)
        .map_err(|e| {
            bad(
                "auth.argon2_memory_kib",
                format!("invalid argon2 parameters: {e}"),
            )
        })
    }
}

impl MailConfig {
    fn check(&self) -> Result<(), String> {
        if !(1..=64).contains(&self.concurrency) {
            let problem = format!("{} is not between 1 and 64", self.concurrency);
            return Err(bad("mail.concurrency", problem));
        }
        // A claimed message is leased for 5 minutes: a send must end well
        // within it, or another worker could send it again.
        if !(1..=120).contains(&self.timeout_secs) {
            let problem = format!("{} is not between 1 and 120", self.timeout_secs);
            return Err(bad("mail.timeout_secs", problem));
        }
        if self.transport == TransportKind::Smtp && self.smtp_url.is_none() {
            return Err(bad(
                "mail.smtp_url",
                "is empty; set GATEHOUSE_SMTP_URL=smtp://user:pass@host:587?tls=required",
            ));
        }
        Ok(())
    }
}

// --- Values parsed as they are read ----------------------------------------

/// Parses a value through [`std::str::FromStr`]-like `parse`, with its own
/// message on failure.
fn parsed<'de, D: Deserializer<'de>, T>(
    deserializer: D,
    parse: impl FnOnce(&str) -> Result<T, String>,
) -> Result<T, D::Error> {
    let text = String::deserialize(deserializer)?;
    parse(text.trim()).map_err(de::Error::custom)
}

/// An empty string is no value.
fn optional<'de, D, T>(deserializer: D) -> Result<Option<T>, D::Error>
where
    D: Deserializer<'de>,
    T: std::str::FromStr<Err = String>,
{
    let text = String::deserialize(deserializer)?;
    match text.trim() {
        "" => Ok(None),
        value => value.parse().map(Some).map_err(de::Error::custom),
    }
}

/// A list in the file (`["a", "b"]`), or one comma-separated string (how
/// environment variables give lists); empty entries are left out.
fn list<'de, D, T>(deserializer: D) -> Result<Vec<T>, D::Error>
where
    D: Deserializer<'de>,
    T: std::str::FromStr<Err = String>,
{
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum OneOrMany {
        One(String),
        Many(Vec<String>),
    }
    let items = match OneOrMany::deserialize(deserializer)? {
        OneOrMany::One(s) => s.split(',').map(str::to_owned).collect(),
        OneOrMany::Many(v) => v,
    };
    items
        .iter()
        .map(|s| s.trim())
        .filter(|s| !s.is_empty())
        .map(|s| s.parse().map_err(de::Error::custom))
        .collect()
}

fn email<'de, D: Deserializer<'de>>(deserializer: D) -> Result<String, D::Error> {
    parsed(deserializer, |text| {
        crate::domain::Email::parse_deliverable(text)
            .map(|email| email.as_str().to_owned())
            .map_err(|_| format!("`{text}` is not an email address"))
    })
}

fn socket_addr<'de, D: Deserializer<'de>>(deserializer: D) -> Result<SocketAddr, D::Error> {
    parsed(deserializer, |text| {
        text.parse()
            .map_err(|_| format!("`{text}` is not an address like 127.0.0.1:3000"))
    })
}

/// An IANA time zone (`site.time_zone`).
#[derive(Debug, Clone, Copy)]
pub struct TimeZone(pub Tz);

impl<'de> Deserialize<'de> for TimeZone {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        parsed(deserializer, |text| {
            text.parse()
                .map(TimeZone)
                .map_err(|_| format!("`{text}` is not an IANA time zone such as Europe/London"))
        })
    }
}

/// The address people use to reach the site: http:// or https://.
#[derive(Debug, Clone)]
pub struct PublicUrl(pub Url);

impl std::str::FromStr for PublicUrl {
    type Err = String;
    fn from_str(text: &str) -> Result<Self, String> {
        let url = Url::parse(text).map_err(|e| format!("`{text}`: {e}"))?;
        if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() {
            return Err("must be an http:// or https:// URL".into());
        }
        Ok(Self(url))
    }
}

/// An address or a CIDR range (`10.0.0.0/8`); a bare address is its own
/// range.
#[derive(Debug, Clone, Copy)]
pub struct Network(pub IpNet);

impl std::str::FromStr for Network {
    type Err = String;
    fn from_str(text: &str) -> Result<Self, String> {
        text.parse::<IpNet>()
            .or_else(|_| text.parse::<std::net::IpAddr>().map(IpNet::from))
            .map(|net| Self(net.trunc()))
            .map_err(|_| format!("`{text}` is not an address or CIDR range like 10.0.0.0/8"))
    }
}

/// Which forwarding header the trusted proxies set.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProxyHeader {
    /// `X-Forwarded-For: client, proxy1, …` (nginx, Caddy, Traefik, HAProxy).
    XForwardedFor,
    /// RFC 7239 `Forwarded: for=client, for=proxy1`.
    Forwarded,
}

impl<'de> Deserialize<'de> for ProxyHeader {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        parsed(deserializer, |text| {
            match text.to_ascii_lowercase().as_str() {
                "x-forwarded-for" => Ok(Self::XForwardedFor),
                "forwarded" => Ok(Self::Forwarded),
                other => Err(format!(
                    "`{other}` is neither `x-forwarded-for` nor `forwarded`"
                )),
            }
        })
    }
}

/// A host (`host` or `host:port`) a browser may be sent back to, in lower
/// case.
#[derive(Debug, Clone)]
pub struct ReturnHost(pub String);

impl std::str::FromStr for ReturnHost {
    type Err = String;
    fn from_str(text: &str) -> Result<Self, String> {
        let host = text.to_ascii_lowercase();
        let plain = host
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | ':' | '[' | ']'));
        if plain {
            Ok(Self(host))
        } else {
            Err(format!(
                "`{host}` is not a host name (like app.example.com or app.example.com:8443)"
            ))
        }
    }
}

/// A parent domain for the session cookie, in lower case without a
/// leading dot.
#[derive(Debug, Clone)]
pub struct CookieDomain(pub String);

impl std::str::FromStr for CookieDomain {
    type Err = String;
    fn from_str(text: &str) -> Result<Self, String> {
        let domain = text.trim_start_matches('.').to_ascii_lowercase();
        if !domain.contains('.') {
            return Err(format!(
                "`{domain}` is not a parent domain like example.com"
            ));
        }
        Ok(Self(domain))
    }
}

/// `database.url`: `sqlite:…` or `postgres://…`. A secret: shown without
/// its password.
#[derive(Clone, PartialEq, Eq)]
pub struct DatabaseUrl(String);

impl DatabaseUrl {
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The URL with its password replaced by `***`, for messages and logs.
    pub fn redacted(&self) -> String {
        redact_url(&self.0)
    }
}

impl std::str::FromStr for DatabaseUrl {
    type Err = String;
    fn from_str(text: &str) -> Result<Self, String> {
        if ["sqlite:", "postgres://", "postgresql://"]
            .iter()
            .any(|scheme| text.starts_with(scheme))
        {
            Ok(Self(text.to_owned()))
        } else {
            Err("must start with sqlite:// or postgres://".into())
        }
    }
}

impl fmt::Debug for DatabaseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("DatabaseUrl")
            .field(&self.redacted())
            .finish()
    }
}

/// `mail.smtp_url`: `smtp://user:pass@host:587?tls=required`,
/// `smtps://…`, or plain `smtp://host:port` for a local relay. A secret:
/// shown without its password.
#[derive(Clone, PartialEq, Eq)]
pub struct SmtpUrl(Url);

impl SmtpUrl {
    /// The URL as lettre reads it: lettre takes "no tls parameter" for
    /// plain SMTP, and we accept the explicit `tls=none` too.
    pub fn for_lettre(&self) -> String {
        let mut url = self.0.clone();
        let pairs: Vec<(String, String)> = url
            .query_pairs()
            .filter(|(k, v)| !(k == "tls" && v == "none"))
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect();
        url.set_query(None);
        if !pairs.is_empty() {
            url.query_pairs_mut().extend_pairs(pairs);
        }
        url.to_string()
    }

    pub fn redacted(&self) -> String {
        redact_url(self.0.as_str())
    }
}

impl std::str::FromStr for SmtpUrl {
    type Err = String;
    fn from_str(text: &str) -> Result<Self, String> {
        let url =
            Url::parse(text).map_err(|e| format!("`{}` is not a URL: {e}", redact_url(text)))?;
        if !matches!(url.scheme(), "smtp" | "smtps") {
            return Err(format!(
                "`{}` must start with smtp:// or smtps://",
                url.scheme()
            ));
        }
        let url = Self(url);
        // lettre's own reading, so that nothing it refuses starts.
        lettre::AsyncSmtpTransport::<lettre::Tokio1Executor>::from_url(&url.for_lettre())
            .map_err(|e| e.to_string())?;
        Ok(url)
    }
}

impl fmt::Debug for SmtpUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("SmtpUrl").field(&self.redacted()).finish()
    }
}

/// A URL with its password replaced by `***`.
pub fn redact_url(url: &str) -> String {
    match Url::parse(url) {
        Ok(mut u) if u.password().is_some() => {
            let _ = u.set_password(Some("***"));
            u.to_string()
        }
        _ => url.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with(toml: &str) -> Result<Settings, String> {
        let config: Config = Figment::from(Toml::string(DEFAULTS))
            .merge(Toml::string(toml))
            .extract()
            .map_err(|e| explain(&e))?;
        Settings::from_config(config)
    }

    #[test]
    fn defaults_give_sqlite_under_data_and_the_file_transport() {
        let s = Settings::from_config(Config::default()).unwrap();
        assert_eq!(
            s.database_url.as_str(),
            "sqlite://data/gatehouse.db?mode=rwc"
        );
        assert_eq!(s.public_url.as_str(), "http://127.0.0.1:3000/");
        assert!(matches!(s.mail, MailTransport::File { .. }));
        assert_eq!(
            s.link("/reset-password/x"),
            "http://127.0.0.1:3000/reset-password/x"
        );
    }

    /// A site's file names only what it changes; every other key keeps the
    /// default from the shipped Leptos.toml.
    #[test]
    fn a_site_file_needs_only_the_keys_it_changes() {
        let s = with("[auth]\nreset_hours = 2\n").unwrap();
        assert_eq!(s.auth.reset_hours, 2);
        let shipped = Figment::from(Toml::string(DEFAULTS));
        let invite: u32 = shipped.extract_inner("auth.invite_hours").unwrap();
        assert_eq!(s.auth.invite_hours, invite);
    }

    #[test]
    fn a_bad_value_names_its_key() {
        let err = with("[site]\ntime_zone = \"Mars/Olympus\"\n").unwrap_err();
        assert_eq!(
            err,
            "configuration key `site.time_zone`: `Mars/Olympus` is not an IANA time zone such as Europe/London"
        );
        for (toml, key) in [
            (
                "[site]\npublic_url = \"ftp://example.com\"",
                "site.public_url",
            ),
            ("[site]\naddr = \"localhost\"", "site.addr"),
            ("[mail]\nconcurrency = 0", "mail.concurrency"),
            ("[mail]\ntimeout_secs = 600", "mail.timeout_secs"),
            ("[mail]\ntransport = \"pigeon\"", "mail.transport"),
            ("[mail]\ntransport = \"smtp\"", "mail.smtp_url"),
            ("[log]\nformat = \"xml\"", "log.format"),
            ("[database]\nurl = \"mysql://x\"", "database.url"),
            ("[metrics]\nallowed = [\"everyone\"]", "metrics.allowed"),
        ] {
            let err = with(toml).unwrap_err();
            assert!(
                err.starts_with(&format!("configuration key `{key}`")),
                "{toml}: {err}"
            );
        }
    }

    #[test]
    fn an_unknown_key_is_an_error_that_names_it() {
        let err = with("[auth]\nreset_hour = 2\n").unwrap_err();
        assert!(
            err.starts_with("configuration key `auth.reset_hour`: no such setting"),
            "{err}"
        );
        assert!(err.contains("reset_hours"), "{err}");
    }

    #[test]
    fn secrets_in_urls_stay_out_of_debug_output() {
        let s = with(
            "[database]\nurl = \"postgres://gh:hunter2@db/gh\"\n[mail]\ntransport = \"smtp\"\nsmtp_url = \"smtp://mailer:s3cret@smtp.example.com:587?tls=required\"\n",
        )
        .unwrap();
        let shown = format!("{s:?}");
        assert!(
            !shown.contains("hunter2") && !shown.contains("s3cret"),
            "{shown}"
        );
        assert!(shown.contains("postgres://gh:***@db/gh"), "{shown}");
    }

    #[test]
    fn smtp_urls_are_checked_without_connecting() {
        for good in [
            "smtp://127.0.0.1:1025",
            "smtp://127.0.0.1:1025?tls=none",
            "smtp://user:pass@mail.example.com:587?tls=required",
            "smtps://mail.example.com",
        ] {
            assert!(good.parse::<SmtpUrl>().is_ok(), "{good}");
        }
        assert!("http://mail.example.com".parse::<SmtpUrl>().is_err());
        let none = "smtp://127.0.0.1:1025?tls=none".parse::<SmtpUrl>().unwrap();
        assert_eq!(none.for_lettre(), "smtp://127.0.0.1:1025");
    }

    #[test]
    fn lists_come_as_a_list_or_comma_separated() {
        let from_list =
            with("[site]\ntrusted_proxies = [\"127.0.0.1/32\", \"10.0.0.0/8\"]").unwrap();
        let from_text = with("[site]\ntrusted_proxies = \"127.0.0.1/32, 10.0.0.0/8\"").unwrap();
        assert_eq!(from_list.trusted_proxies, from_text.trusted_proxies);
        assert_eq!(from_list.trusted_proxies.len(), 2);
        let err = with("[site]\ntrusted_proxies = [\"10.0.0.0/33\"]").unwrap_err();
        assert!(
            err.starts_with("configuration key `site.trusted_proxies`"),
            "{err}"
        );
        let err = with("[site]\nproxy_headers = \"x-real-ip\"").unwrap_err();
        assert!(
            err.starts_with("configuration key `site.proxy_headers`"),
            "{err}"
        );
        let single: Network = "192.0.2.1".parse().unwrap();
        assert!(single
            .0
            .contains(&"192.0.2.1".parse::<std::net::IpAddr>().unwrap()));
        assert!(!single
            .0
            .contains(&"192.0.2.2".parse::<std::net::IpAddr>().unwrap()));
        let forwarded = with("[site]\nproxy_headers = \"Forwarded\"").unwrap();
        assert_eq!(forwarded.proxy_header, ProxyHeader::Forwarded);
    }

    #[test]
    fn return_hosts_are_plain_host_names_in_lower_case() {
        let s = with(
            "[site]\nallowed_return_hosts = [\"Wiki.Example.com\", \"files.example.com:8443\"]",
        )
        .unwrap();
        assert_eq!(
            s.allowed_return_hosts,
            ["wiki.example.com", "files.example.com:8443"]
        );
        let err =
            with("[site]\nallowed_return_hosts = [\"https://wiki.example.com/\"]").unwrap_err();
        assert!(
            err.starts_with("configuration key `site.allowed_return_hosts`"),
            "{err}"
        );
    }

    #[test]
    fn https_public_urls_make_cookies_secure() {
        let s = with("[site]\npublic_url = \"https://accounts.example.com/\"").unwrap();
        assert!(s.cookie_secure());
        assert_eq!(s.public_origin(), "https://accounts.example.com");
    }
}
