//! Configuration: `Leptos.toml`, then environment variables, checked once at start-up.

use chrono_tz::Tz;
use figment::{
    providers::{Env, Format, Serialized, Toml},
    Figment,
};
use serde::{Deserialize, Serialize};
use std::{net::SocketAddr, path::PathBuf};
use url::Url;

/// The settings as written. Every key is optional in a site's file: the
/// defaults come first (see [`DEFAULTS`]).
#[derive(Debug, Clone, Serialize, Deserialize)]
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

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SiteConfig {
    pub name: String,
    pub admin_email: String,
    pub public_url: String,
    pub time_zone: String,
    pub data_dir: PathBuf,
    pub addr: String,
    /// Proxies (addresses or CIDR ranges) whose forwarding header is
    /// believed. In the environment: comma-separated.
    #[serde(deserialize_with = "list_or_comma_separated")]
    pub trusted_proxies: Vec<String>,
    /// Which header trusted proxies set: `x-forwarded-for` or `forwarded`.
    pub proxy_headers: String,
    /// Hosts (`host` or `host:port`) that the login page and forward-auth
    /// may send a browser back to, besides this site. In the environment:
    /// comma-separated.
    #[serde(deserialize_with = "list_or_comma_separated")]
    pub allowed_return_hosts: Vec<String>,
    /// Parent domain the session cookie is shared with (apps on its
    /// sub-domains behind forward-auth); empty: this host only.
    pub cookie_domain: String,
}

/// A list in the file (`["a", "b"]`), or one comma-separated string (how
/// environment variables give lists).
fn list_or_comma_separated<'de, D: serde::Deserializer<'de>>(
    deserializer: D,
) -> Result<Vec<String>, D::Error> {
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
    Ok(items
        .into_iter()
        .map(|s| s.trim().to_owned())
        .filter(|s| !s.is_empty())
        .collect())
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct DatabaseConfig {
    pub url: String,
    pub max_connections: u32,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
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

#[derive(Debug, Clone, Serialize, Deserialize)]
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

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct MetricsConfig {
    /// Client addresses (and CIDR ranges) that may read `/metrics`. In the
    /// environment: comma-separated.
    #[serde(deserialize_with = "list_or_comma_separated")]
    pub allowed: Vec<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct LogConfig {
    /// `text` (for people) or `json` (one object per line, for collectors).
    pub format: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct AuditConfig {
    /// Entries older than this many days are deleted by housekeeping.
    pub retention_days: u32,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct MailConfig {
    pub transport: String,
    pub smtp_url: String,
    pub max_attempts: u32,
    /// Messages sent at once, each over its own pooled SMTP connection.
    pub concurrency: u32,
    /// How long one SMTP conversation may take before the server counts
    /// as unreachable.
    pub timeout_secs: u64,
}

/// The shipped `Leptos.toml`: every key with its default value. It is the
/// one place defaults are written; the server compiles it in, so a site's
/// own file needs only the keys it changes.
pub const DEFAULTS: &str = include_str!("../../Leptos.toml");

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
        let figment = Figment::from(Serialized::defaults(Config::default()))
            .merge(Toml::file(file))
            .merge(Env::prefixed("GATEHOUSE_").split("__").ignore(&["config"]))
            .merge(aliases);
        let mut config: Config = figment.extract().map_err(|e| {
            let key = e.path.join(".");
            let detail = e.kind.to_string();
            if key.is_empty() {
                format!("configuration: {detail}")
            } else {
                format!("configuration key `{key}`: {detail}")
            }
        })?;
        // Setting the SMTP URL selects the SMTP transport.
        if std::env::var("GATEHOUSE_SMTP_URL").is_ok_and(|v| !v.trim().is_empty()) {
            config.mail.transport = "smtp".into();
        }
        Ok(config)
    }
}

pub use crate::server::mail::transport::MailTransport;

/// The checked configuration the rest of the server works with.
#[derive(Debug, Clone)]
pub struct Settings {
    pub site_name: String,
    pub admin_email: String,
    pub public_url: Url,
    pub time_zone: Tz,
    pub data_dir: PathBuf,
    pub addr: SocketAddr,
    pub database_url: String,
    pub max_connections: u32,
    pub auth: AuthConfig,
    pub limits: LimitsConfig,
    pub mail: MailTransport,
    pub mail_max_attempts: u32,
    pub mail_concurrency: u32,
    pub mail_timeout: std::time::Duration,
    pub proxies: crate::server::client_addr::Proxies,
    pub audit_retention_days: u32,
    /// Lower-case `host` or `host:port` entries (see [`SiteConfig`]).
    pub allowed_return_hosts: Vec<String>,
    /// Lower-case, without a leading dot; `None`: a host-only cookie.
    pub cookie_domain: Option<String>,
    /// Log lines as JSON objects (`log.format = "json"`).
    pub log_json: bool,
    /// Who may read `/metrics`.
    pub metrics_allowed: Vec<ipnet::IpNet>,
}

impl Settings {
    pub fn from_config(config: Config) -> Result<Self, String> {
        let bad = |key: &str, problem: String| format!("configuration key `{key}`: {problem}");
        let site = config.site;
        let name = site.name.trim().to_owned();
        if name.is_empty() || name.chars().count() > 100 {
            return Err(bad("site.name", "must be 1 to 100 characters".into()));
        }
        let admin_email = crate::domain::Email::parse_deliverable(&site.admin_email)
            .map_err(|_| {
                bad(
                    "site.admin_email",
                    format!("`{}` is not an email address", site.admin_email),
                )
            })?
            .as_str()
            .to_owned();
        let addr: SocketAddr = site.addr.trim().parse().map_err(|_| {
            bad(
                "site.addr",
                format!("`{}` is not an address like 127.0.0.1:3000", site.addr),
            )
        })?;
        let public_url = if site.public_url.trim().is_empty() {
            Url::parse(&format!("http://{addr}"))
                .map_err(|e| bad("site.public_url", e.to_string()))?
        } else {
            let url = Url::parse(site.public_url.trim())
                .map_err(|e| bad("site.public_url", format!("`{}`: {e}", site.public_url)))?;
            if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() {
                return Err(bad(
                    "site.public_url",
                    "must be an http:// or https:// URL".into(),
                ));
            }
            url
        };
        let time_zone: Tz = site.time_zone.trim().parse().map_err(|_| {
            bad(
                "site.time_zone",
                format!(
                    "`{}` is not an IANA time zone such as Europe/London",
                    site.time_zone
                ),
            )
        })?;
        let database_url = if config.database.url.trim().is_empty() {
            format!("sqlite://{}/gatehouse.db?mode=rwc", site.data_dir.display())
        } else {
            config.database.url.trim().to_owned()
        };
        if !(database_url.starts_with("sqlite:")
            || database_url.starts_with("postgres://")
            || database_url.starts_with("postgresql://"))
        {
            return Err(bad(
                "database.url",
                "must start with sqlite:// or postgres://".into(),
            ));
        }
        if config.database.max_connections == 0 {
            return Err(bad("database.max_connections", "must be at least 1".into()));
        }
        let auth = config.auth;
        if !(8..=256).contains(&auth.min_password_length) {
            return Err(bad(
                "auth.min_password_length",
                "must be between 8 and 256".into(),
            ));
        }
        for (key, hours) in [
            ("auth.reset_hours", auth.reset_hours),
            ("auth.invite_hours", auth.invite_hours),
        ] {
            if !(1..=24 * 90).contains(&hours) {
                return Err(bad(key, "must be between 1 and 2160 hours".into()));
            }
        }
        if auth.session_idle_minutes == 0 || auth.session_absolute_hours == 0 {
            return Err(bad(
                "auth.session_idle_minutes",
                "session timeouts must be positive".into(),
            ));
        }
        argon2::Params::new(
            auth.argon2_memory_kib,
            auth.argon2_iterations,
            auth.argon2_parallelism,
            None,
        )
        .map_err(|e| {
            bad(
                "auth.argon2_memory_kib",
                format!("invalid argon2 parameters: {e}"),
            )
        })?;
        let proxies =
            crate::server::client_addr::Proxies::parse(&site.trusted_proxies, &site.proxy_headers)
                .map_err(|(key, problem)| bad(key, problem))?;
        let allowed_return_hosts = site
            .allowed_return_hosts
            .iter()
            .map(|h| {
                let h = h.trim().to_ascii_lowercase();
                let plain = !h.is_empty()
                    && h.chars()
                        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | ':' | '[' | ']'));
                plain
                    .then_some(h.clone())
                    .ok_or_else(|| bad("site.allowed_return_hosts", format!("`{h}` is not a host name (like app.example.com or app.example.com:8443)")))
            })
            .collect::<Result<Vec<_>, _>>()?;
        let cookie_domain = match site.cookie_domain.trim().trim_start_matches('.') {
            "" => None,
            domain => {
                let domain = domain.to_ascii_lowercase();
                let host = public_url
                    .host_str()
                    .unwrap_or_default()
                    .to_ascii_lowercase();
                if !domain.contains('.')
                    || !(host == domain || host.ends_with(&format!(".{domain}")))
                {
                    return Err(bad(
                        "site.cookie_domain",
                        format!(
                            "`{domain}` must be a parent domain of the public URL's host `{host}`"
                        ),
                    ));
                }
                Some(domain)
            }
        };
        let log_json = match config.log.format.trim() {
            "text" => false,
            "json" => true,
            other => {
                return Err(bad(
                    "log.format",
                    format!("`{other}` is neither `text` nor `json`"),
                ))
            }
        };
        let metrics_allowed = config
            .metrics
            .allowed
            .iter()
            .map(|a| {
                a.parse::<ipnet::IpNet>()
                    .or_else(|_| a.parse::<std::net::IpAddr>().map(ipnet::IpNet::from))
                    .map_err(|_| {
                        bad(
                            "metrics.allowed",
                            format!("`{a}` is not an address or CIDR range"),
                        )
                    })
            })
            .collect::<Result<Vec<_>, _>>()?;
        if config.audit.retention_days == 0 {
            return Err(bad("audit.retention_days", "must be at least 1".into()));
        }
        if !(1..=64).contains(&config.mail.concurrency) {
            return Err(bad(
                "mail.concurrency",
                format!("{} is not between 1 and 64", config.mail.concurrency),
            ));
        }
        // A claimed message is leased for 5 minutes: a send must end well
        // within it, or another worker could send it again.
        if !(1..=120).contains(&config.mail.timeout_secs) {
            return Err(bad(
                "mail.timeout_secs",
                format!("{} is not between 1 and 120", config.mail.timeout_secs),
            ));
        }
        let mail = match config.mail.transport.trim() {
            "file" => MailTransport::File {
                dir: site.data_dir.join("mail"),
            },
            "smtp" => {
                let url = config.mail.smtp_url.trim().to_owned();
                crate::server::mail::transport::check_smtp_url(&url)
                    .map_err(|e| bad("mail.smtp_url", e))?;
                MailTransport::Smtp { url }
            }
            other => {
                return Err(bad(
                    "mail.transport",
                    format!("`{other}` is neither `file` nor `smtp`"),
                ))
            }
        };
        Ok(Self {
            site_name: name,
            admin_email,
            public_url,
            time_zone,
            data_dir: site.data_dir,
            addr,
            database_url,
            max_connections: config.database.max_connections,
            auth,
            limits: config.limits,
            mail,
            mail_max_attempts: config.mail.max_attempts.max(1),
            mail_concurrency: config.mail.concurrency,
            mail_timeout: std::time::Duration::from_secs(config.mail.timeout_secs),
            proxies,
            audit_retention_days: config.audit.retention_days,
            allowed_return_hosts,
            cookie_domain,
            log_json,
            metrics_allowed,
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_give_sqlite_under_data_and_the_file_transport() {
        let s = Settings::from_config(Config::default()).unwrap();
        assert_eq!(s.database_url, "sqlite://data/gatehouse.db?mode=rwc");
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
        let c: Config = Figment::from(Serialized::defaults(Config::default()))
            .merge(Toml::string("[auth]\nreset_hours = 2\n"))
            .extract()
            .unwrap();
        assert_eq!(c.auth.reset_hours, 2);
        let shipped = Figment::from(Toml::string(DEFAULTS));
        let invite: u32 = shipped.extract_inner("auth.invite_hours").unwrap();
        assert_eq!(c.auth.invite_hours, invite);
        assert_eq!(c.site.name, Config::default().site.name);
    }

    #[test]
    fn a_bad_value_names_its_key() {
        let mut c = Config::default();
        c.site.time_zone = "Mars/Olympus".into();
        let err = Settings::from_config(c).unwrap_err();
        assert!(
            err.starts_with("configuration key `site.time_zone`"),
            "{err}"
        );

        let mut c = Config::default();
        c.site.public_url = "ftp://example.com".into();
        assert!(Settings::from_config(c)
            .unwrap_err()
            .contains("site.public_url"));

        let mut c = Config::default();
        c.mail.concurrency = 0;
        assert!(Settings::from_config(c)
            .unwrap_err()
            .starts_with("configuration key `mail.concurrency`"));
        let mut c = Config::default();
        c.mail.timeout_secs = 600;
        let err = Settings::from_config(c).unwrap_err();
        assert!(
            err.starts_with("configuration key `mail.timeout_secs`") && err.contains("120"),
            "{err}"
        );
    }

    #[test]
    fn trusted_proxies_come_as_a_list_or_comma_separated() {
        use figment::providers::Serialized;
        let from = |value: figment::value::Value| -> Vec<String> {
            let c: Config = Figment::from(Serialized::defaults(Config::default()))
                .merge(Serialized::default("site.trusted_proxies", value))
                .extract()
                .unwrap();
            c.site.trusted_proxies
        };
        let expected = vec!["127.0.0.1/32".to_owned(), "10.0.0.0/8".to_owned()];
        assert_eq!(from("127.0.0.1/32, 10.0.0.0/8".into()), expected);
        assert_eq!(from(vec!["127.0.0.1/32", "10.0.0.0/8"].into()), expected);

        let mut c = Config::default();
        c.site.trusted_proxies = vec!["10.0.0.0/33".into()];
        let err = Settings::from_config(c).unwrap_err();
        assert!(
            err.starts_with("configuration key `site.trusted_proxies`"),
            "{err}"
        );
        let mut c = Config::default();
        c.site.proxy_headers = "x-real-ip".into();
        let err = Settings::from_config(c).unwrap_err();
        assert!(
            err.starts_with("configuration key `site.proxy_headers`"),
            "{err}"
        );
    }

    #[test]
    fn return_hosts_are_plain_host_names_in_lower_case() {
        let mut c = Config::default();
        c.site.allowed_return_hosts =
            vec!["Wiki.Example.com".into(), "files.example.com:8443".into()];
        let s = Settings::from_config(c).unwrap();
        assert_eq!(
            s.allowed_return_hosts,
            ["wiki.example.com", "files.example.com:8443"]
        );
        let mut c = Config::default();
        c.site.allowed_return_hosts = vec!["https://wiki.example.com/".into()];
        assert!(Settings::from_config(c)
            .unwrap_err()
            .starts_with("configuration key `site.allowed_return_hosts`"));
    }

    #[test]
    fn https_public_urls_make_cookies_secure() {
        let mut c = Config::default();
        c.site.public_url = "https://accounts.example.com/".into();
        let s = Settings::from_config(c).unwrap();
        assert!(s.cookie_secure());
        assert_eq!(s.public_origin(), "https://accounts.example.com");
    }
}
