//! Configuration: `Leptos.toml`, then environment variables, checked once at start-up.
//!
//! Each value is parsed into its type as it is read (addresses, URLs, time
//! zones, CIDR ranges, the choices), so a bad one names its key; the rules
//! between keys are small checks per section. The database and SMTP URLs
//! are secrets: their `Debug` hides the credentials.

mod values;

use crate::i18n::Lang;
use chrono_tz::Tz;
use figment::{
    providers::{Env, Format, Toml},
    Figment,
};
use ipnet::IpNet;
use serde::Deserialize;
use std::{fmt, net::SocketAddr, path::PathBuf, time::Duration};
use url::Url;
use values::{email, list, optional, socket_addr};
pub use values::{
    redact_url, CookieDomain, DatabaseUrl, KeyBytes, Language, Network, ProxyHeader, PublicUrl,
    ReturnHost, SmtpUrl, TimeZone,
};

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
    /// The server's own key (see `platform::secret_key`); empty: one made in
    /// the data directory.
    #[serde(deserialize_with = "optional")]
    pub secret_key: Option<KeyBytes>,
    /// The languages offered. In the environment: comma-separated.
    #[serde(deserialize_with = "list")]
    pub languages: Vec<Language>,
    pub default_language: Language,
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
    /// How long an app's refresh tokens may be renewed after the login
    /// they came from.
    pub refresh_absolute_days: u32,
    pub argon2_memory_kib: u32,
    pub argon2_iterations: u32,
    pub argon2_parallelism: u32,
    pub hash_concurrency: usize,
    pub hash_queue_timeout_ms: u64,
    /// A failed login's answer waits until this long after it arrived, or
    /// the slowest password check seen, whichever is longer.
    pub failed_login_floor_ms: u64,
    /// Who must have a second factor.
    pub two_factor: TwoFactorPolicy,
}

/// `auth.two_factor`: whose accounts need two-step verification.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TwoFactorPolicy {
    /// Anyone may set it up; nobody must.
    Optional,
    /// Site admins must.
    SiteAdmins,
    /// Everyone must.
    Everyone,
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
    pub header_read_timeout_secs: u64,
    pub body_read_timeout_secs: u64,
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
pub const DEFAULTS: &str = include_str!("../../../../Leptos.toml");

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
    ("GATEHOUSE_SECRET_KEY", "site.secret_key"),
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
    /// The languages offered, the default first.
    pub languages: Vec<Lang>,
    /// The server's own key, when the settings give it.
    pub secret_key: Option<KeyBytes>,
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
        let languages = site.languages();
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
        let database_url = database
            .url
            .unwrap_or_else(|| DatabaseUrl::sqlite_in(&site.data_dir));
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
            languages,
            secret_key: site.secret_key,
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

    /// Whether the site requires a second factor of someone in `role`.
    pub fn two_factor_required(&self, role: crate::domain::Role) -> bool {
        match self.auth.two_factor {
            TwoFactorPolicy::Optional => false,
            TwoFactorPolicy::SiteAdmins => role == crate::domain::Role::SiteAdmin,
            TwoFactorPolicy::Everyone => true,
        }
    }

    /// The language for those who chose none and asked for none.
    pub fn default_language(&self) -> Lang {
        self.languages[0]
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
        if !self.languages.contains(&self.default_language) {
            let problem = format!(
                "`{}` is not among site.languages",
                self.default_language.0.tag()
            );
            return Err(bad("site.default_language", problem));
        }
        Ok(())
    }

    /// The languages offered, the default first.
    fn languages(&self) -> Vec<Lang> {
        let default = self.default_language.0;
        let others = self.languages.iter().map(|l| l.0).filter(|l| *l != default);
        std::iter::once(default).chain(others).collect()
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
        if !(1..=3650).contains(&self.refresh_absolute_days) {
            return Err(bad(
                "auth.refresh_absolute_days",
                "must be between 1 and 3650 days",
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

#[cfg(test)]
mod tests;
