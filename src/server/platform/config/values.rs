//! The settings' values, each parsed into its type as it is read, with a
//! message that says what is wrong; the secrets among them (the database
//! and SMTP URLs) keep their passwords out of `Debug`.

use chrono_tz::Tz;
use ipnet::IpNet;
use serde::{de, Deserialize, Deserializer};
use std::{fmt, net::SocketAddr};
use url::Url;

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
pub(super) fn optional<'de, D, T>(deserializer: D) -> Result<Option<T>, D::Error>
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
pub(super) fn list<'de, D, T>(deserializer: D) -> Result<Vec<T>, D::Error>
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

pub(super) fn email<'de, D: Deserializer<'de>>(deserializer: D) -> Result<String, D::Error> {
    parsed(deserializer, |text| {
        crate::domain::Email::parse_deliverable(text)
            .map(|email| email.as_str().to_owned())
            .map_err(|_| format!("`{text}` is not an email address"))
    })
}

pub(super) fn socket_addr<'de, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<SocketAddr, D::Error> {
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

/// A secret key's 32 bytes (`site.secret_key`, base64); never printed.
#[derive(Clone, PartialEq, Eq)]
pub struct KeyBytes(pub [u8; 32]);

impl std::str::FromStr for KeyBytes {
    type Err = String;
    fn from_str(text: &str) -> Result<Self, String> {
        crate::server::platform::secret_key::parse(text).map(KeyBytes)
    }
}

impl fmt::Debug for KeyBytes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("KeyBytes(***)")
    }
}

/// A language Gatehouse has words for (`site.languages`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Language(pub crate::i18n::Lang);

impl std::str::FromStr for Language {
    type Err = String;
    fn from_str(text: &str) -> Result<Self, String> {
        crate::i18n::Lang::from_tag(text)
            .map(Language)
            .ok_or_else(|| {
                let known: Vec<&str> = crate::i18n::CATALOGUES.iter().map(|c| c.tag).collect();
                format!(
                    "`{text}` is not a language Gatehouse has words for ({})",
                    known.join(", ")
                )
            })
    }
}

impl<'de> Deserialize<'de> for Language {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        parsed(deserializer, str::parse)
    }
}

/// `database.url`: `sqlite:…` or `postgres://…`. A secret: shown without
/// its password.
#[derive(Clone, PartialEq, Eq)]
pub struct DatabaseUrl(String);

impl DatabaseUrl {
    /// The embedded default: `gatehouse.db` in `dir`.
    pub fn sqlite_in(dir: &std::path::Path) -> Self {
        Self(format!("sqlite://{}/gatehouse.db?mode=rwc", dir.display()))
    }

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
}
