//! Password rules after NIST SP 800-63B, shared by the browser (live hint)
//! and the server (the authority, which also checks the common-password list).

use crate::error::Problem;
use serde::{Deserialize, Serialize};

pub const MAX_PASSWORD_LEN: usize = 256;

/// A password or other secret: never printed by `Debug`.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(transparent)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret(***)")
    }
}

impl From<String> for Secret {
    fn from(value: String) -> Self {
        Self(value)
    }
}

/// The rules that can be checked without the common-password list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PasswordPolicy {
    pub min_length: usize,
    pub site_name: String,
}

/// A word is only forbidden inside a password when it is long enough to
/// matter; a one-letter email local part must not ban half the alphabet.
const MIN_FORBIDDEN_WORD: usize = 3;

impl PasswordPolicy {
    /// Length and context rules. `email_local` is the local part of the
    /// owner's address, when known.
    pub fn check(&self, password: &str, email_local: Option<&str>) -> Result<(), Problem> {
        let len = password.chars().count();
        if len == 0 {
            return Err(Problem::Required);
        }
        if len < self.min_length {
            return Err(Problem::TooShort {
                min: self.min_length,
            });
        }
        if len > MAX_PASSWORD_LEN {
            return Err(Problem::TooLong {
                max: MAX_PASSWORD_LEN,
            });
        }
        let lower = super::lowercase(password);
        if let Some(local) = email_local {
            let local = super::lowercase(local);
            if local.chars().count() >= MIN_FORBIDDEN_WORD && lower.contains(&local) {
                return Err(Problem::ContainsEmail);
            }
        }
        let site = super::lowercase(self.site_name.trim());
        if site.chars().count() >= MIN_FORBIDDEN_WORD && lower.contains(&site) {
            return Err(Problem::ContainsSiteName);
        }
        Ok(())
    }

    /// The live hint shown while typing. The server has the last word.
    pub fn hint(&self, password: &str, email_local: Option<&str>) -> PasswordHint {
        use crate::i18n::{t, tf, tn, Msg, Plural};
        let len = password.chars().count();
        let min = self.min_length.to_string();
        if len == 0 {
            return PasswordHint {
                ok: false,
                text: tf(Msg::PasswordHintEmpty, &[("min", &min)]),
            };
        }
        match self.check(password, email_local) {
            Ok(()) => PasswordHint {
                ok: true,
                text: t(if len >= self.min_length + 8 {
                    Msg::PasswordHintStrong
                } else {
                    Msg::PasswordHintGood
                })
                .to_owned(),
            },
            Err(Problem::TooShort { min }) => PasswordHint {
                ok: false,
                text: tn(
                    Plural::PasswordHintTooShort,
                    i64::try_from(min).unwrap_or(i64::MAX),
                    &[("length", &len.to_string()), ("min", &min.to_string())],
                ),
            },
            Err(problem) => PasswordHint {
                ok: false,
                text: problem.message(),
            },
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PasswordHint {
    pub ok: bool,
    pub text: String,
}

/// A new password together with its confirmation, checked for agreement.
pub fn check_confirmation(password: &str, confirmation: &str) -> Result<(), Problem> {
    if confirmation.is_empty() {
        Err(Problem::Required)
    } else if password != confirmation {
        Err(Problem::Mismatch)
    } else {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy() -> PasswordPolicy {
        PasswordPolicy {
            min_length: 12,
            site_name: "Acme Portal".into(),
        }
    }

    #[test]
    fn length_is_counted_in_characters_without_truncation() {
        let p = policy();
        assert_eq!(p.check("short", None), Err(Problem::TooShort { min: 12 }));
        assert_eq!(p.check("ääääääääääää", None), Ok(()));
        assert_eq!(p.check(&"x".repeat(256), None), Ok(()));
        assert_eq!(
            p.check(&"x".repeat(257), None),
            Err(Problem::TooLong { max: 256 })
        );
    }

    #[test]
    fn no_composition_rules_apply() {
        assert_eq!(policy().check("all lower case words here", None), Ok(()));
    }

    #[test]
    fn the_email_local_part_and_site_name_are_refused_in_any_case() {
        let p = policy();
        assert_eq!(
            p.check("xxJaneDoe-2026-xx", Some("janedoe")),
            Err(Problem::ContainsEmail)
        );
        assert_eq!(
            p.check("my ACME PORTAL pass", None),
            Err(Problem::ContainsSiteName)
        );
        assert_eq!(p.check("jo-jo-jo-jo-jo-jo", Some("jo")), Ok(()));
    }

    #[test]
    fn the_hint_counts_towards_the_minimum() {
        let hint = policy().hint("abcde", None);
        assert!(!hint.ok);
        assert_eq!(hint.text, "Too short: 5 of at least 12 characters.");
        assert!(policy().hint("a fine long passphrase", None).ok);
    }

    #[test]
    fn secrets_are_not_printed() {
        assert_eq!(format!("{:?}", Secret::new("hunter2")), "Secret(***)");
    }

    #[test]
    fn confirmation_must_match() {
        assert_eq!(check_confirmation("a", "b"), Err(Problem::Mismatch));
        assert_eq!(check_confirmation("a", ""), Err(Problem::Required));
        assert_eq!(check_confirmation("a", "a"), Ok(()));
    }
}
