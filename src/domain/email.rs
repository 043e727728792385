//! An email address as typed, with its normalised form for matching.

use crate::error::Problem;
use serde::{Deserialize, Serialize};

/// Longest address we accept (RFC 5321 path limit).
pub const MAX_EMAIL_LEN: usize = 254;

/// A syntactically plausible email address. The text is kept as typed
/// (trimmed); comparisons use [`Email::normalized`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Email(String);

impl Email {
    pub fn parse(input: &str) -> Result<Self, Problem> {
        let s = input.trim();
        if s.is_empty() {
            return Err(Problem::Required);
        }
        if s.chars().count() > MAX_EMAIL_LEN {
            return Err(Problem::TooLong { max: MAX_EMAIL_LEN });
        }
        let Some((local, domain)) = s.rsplit_once('@') else {
            return Err(Problem::InvalidEmail);
        };
        let local_ok = !local.is_empty() && local.len() <= 64;
        let domain_ok = !domain.is_empty()
            && !domain.starts_with('.')
            && !domain.ends_with('.')
            && !domain.contains("..")
            && domain
                .chars()
                .all(|c| c.is_alphanumeric() || c == '-' || c == '.');
        let no_bad_chars = !s
            .chars()
            .any(|c| c.is_whitespace() || c.is_control() || "<>()[],;:\\\"".contains(c));
        if local_ok && domain_ok && no_bad_chars && !local.contains('@') {
            Ok(Self(s.to_owned()))
        } else {
            Err(Problem::InvalidEmail)
        }
    }

    /// An address to be stored (a new account, a changed email, the first
    /// admin): it must also be one the mailer can send to. Addresses
    /// already stored are only matched with [`Email::parse`], so accounts
    /// made under the older, looser rule can still log in and reset.
    pub fn parse_deliverable(input: &str) -> Result<Self, Problem> {
        let email = Self::parse(input)?;
        if mailer_accepts(email.as_str()) {
            Ok(email)
        } else {
            Err(Problem::InvalidEmail)
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The form used for uniqueness and matching: lower case.
    pub fn normalized(&self) -> String {
        self.0.to_lowercase()
    }

    /// The part before the `@`, lower case (passwords may not contain it).
    pub fn local_part(&self) -> String {
        self.0
            .rsplit_once('@')
            .map(|(l, _)| l.to_lowercase())
            .unwrap_or_default()
    }
}

/// The server only accepts addresses its mailer can send to: the same
/// parser as `mail::transport` (lettre's), and ASCII only, since SMTP
/// servers without the SMTPUTF8 extension refuse anything else (and the
/// message would fail on every retry). The browser leaves this to the server.
#[cfg(feature = "ssr")]
fn mailer_accepts(address: &str) -> bool {
    address.is_ascii() && address.parse::<lettre::Address>().is_ok()
}

#[cfg(not(feature = "ssr"))]
fn mailer_accepts(_: &str) -> bool {
    true
}

impl AsRef<str> for Email {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

/// An address as stored (the database's rows decode through this).
impl TryFrom<String> for Email {
    type Error = Problem;
    fn try_from(stored: String) -> Result<Self, Problem> {
        Self::parse(&stored)
    }
}

impl std::fmt::Display for Email {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_the_address_as_typed_and_normalises_for_matching() {
        let email = Email::parse("  Admin@Acme.Test ").unwrap();
        assert_eq!(email.as_str(), "Admin@Acme.Test");
        assert_eq!(email.normalized(), "admin@acme.test");
        assert_eq!(email.local_part(), "admin");
    }

    #[test]
    fn rejects_what_is_not_an_address() {
        for bad in [
            "",
            "   ",
            "plain",
            "@acme.test",
            "a@",
            "a b@c.d",
            "a@b..c",
            "<a@b.c>",
            "a@.b",
        ] {
            assert!(Email::parse(bad).is_err(), "{bad:?} was accepted");
        }
        let long = format!("{}@acme.test", "a".repeat(300));
        assert_eq!(
            Email::parse(&long),
            Err(Problem::TooLong { max: MAX_EMAIL_LEN })
        );
    }

    /// Each of these passed the form once and then failed in the mail
    /// worker on every retry.
    #[cfg(feature = "ssr")]
    #[test]
    fn only_addresses_the_mailer_can_send_to_are_accepted() {
        for bad in [
            "a..b@example.test",
            ".jane@example.test",
            "jane.@example.test",
            "jane@-example.test",
            "jane@example-.test",
            "jöhn@example.test",
            "jane@exämple.test",
        ] {
            assert_eq!(
                Email::parse_deliverable(bad),
                Err(Problem::InvalidEmail),
                "{bad}"
            );
            // Stored under the older rule, such an address still matches.
            assert!(Email::parse(bad).is_ok(), "{bad}");
        }
        for good in [
            "jane.doe+tag@example.test",
            "Admin@Acme.test",
            "o'neil@x.example",
        ] {
            let email = Email::parse_deliverable(good).unwrap();
            assert!(email.as_str().parse::<lettre::Address>().is_ok(), "{good}");
        }
    }

    #[test]
    fn empty_input_is_reported_as_required() {
        assert_eq!(Email::parse(" "), Err(Problem::Required));
    }
}
