//! The server's half of the password rules: the shared policy
//! ([`PasswordPolicy`], which the browser also checks while people type),
//! the list of common passwords, and [`NewPassword`], the only kind of
//! password that is ever hashed for keeping.

use crate::{
    domain::{password::Secret, PasswordPolicy},
    error::{Field, Problem, Problems},
};
use std::{collections::HashSet, sync::LazyLock};

/// The 20,000 most common passwords, most common first, lower case
/// (from the zxcvbn-ts frequency list, `@zxcvbn-ts/language-common` 4.1.3).
static COMMON_PASSWORDS: LazyLock<HashSet<&'static str>> =
    LazyLock::new(|| include_str!("common_passwords.txt").lines().collect());

pub fn is_common(password: &str) -> bool {
    COMMON_PASSWORDS.contains(password.to_lowercase().as_str())
}

/// Every rule for a new password: the shared policy, then the common list.
pub fn check_new_password(
    policy: &PasswordPolicy,
    password: &str,
    email_local: Option<&str>,
) -> Result<(), Problem> {
    policy.check(password, email_local)?;
    if is_common(password) {
        return Err(Problem::CommonPassword);
    }
    Ok(())
}

/// A new password, typed twice alike, that meets every rule for its
/// owner: the only kind of password [`super::Hasher::hash`] hashes for
/// keeping. Only [`NewPassword::parse`] makes one.
pub struct NewPassword(Secret);

impl NewPassword {
    /// Checks `password` (the form's `field`) and its confirmation against
    /// `policy` and the common list, with the owner's email local part when
    /// known. Every problem is recorded, each on its field (the confirmation
    /// under `confirm_password`); `None` when there was one.
    pub fn parse(
        problems: &mut Problems,
        policy: &PasswordPolicy,
        field: Field,
        password: Secret,
        confirm: &Secret,
        email_local: Option<&str>,
    ) -> Option<Self> {
        let typed = password.expose();
        let checked = problems.check(field, check_new_password(policy, typed, email_local));
        let confirmed = problems.check(
            Field::ConfirmPassword,
            crate::domain::password::check_confirmation(typed, confirm.expose()),
        );
        checked.and(confirmed).map(|()| Self(password))
    }

    pub fn secret(&self) -> &Secret {
        &self.0
    }
}

/// A new password and its confirmation as typed, for a form whose owner is
/// known only once the request is checked (a reset link's account):
/// [`PasswordPair::check`] makes the [`NewPassword`] then.
pub struct PasswordPair {
    pub password: Secret,
    pub confirm: Secret,
}

impl PasswordPair {
    /// The pair, checked as [`NewPassword::parse`] does, under `field`.
    pub fn check(
        self,
        policy: &PasswordPolicy,
        field: Field,
        email_local: Option<&str>,
    ) -> Result<NewPassword, crate::error::AppError> {
        let mut problems = Problems::default();
        let new = NewPassword::parse(
            &mut problems,
            policy,
            field,
            self.password,
            &self.confirm,
            email_local,
        );
        problems.finish(new)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_common_list_is_real_and_case_insensitive() {
        assert!(COMMON_PASSWORDS.len() >= 10_000);
        assert!(is_common("password"));
        assert!(is_common("PassWord"));
        assert!(!is_common("correct horse battery staple 2026"));
    }

    #[test]
    fn new_passwords_are_checked_against_policy_and_list() {
        let policy = PasswordPolicy {
            min_length: 8,
            site_name: "Gatehouse".into(),
        };
        assert_eq!(
            check_new_password(&policy, "password1234", None),
            Err(Problem::CommonPassword)
        );
        assert_eq!(
            check_new_password(&policy, "abc", None),
            Err(Problem::TooShort { min: 8 })
        );
        assert_eq!(
            check_new_password(&policy, "tangerine lighthouse", None),
            Ok(())
        );
    }
}

#[cfg(test)]
mod new_password {
    use super::*;

    fn parse(password: &str, confirm: &str) -> Result<NewPassword, crate::error::AppError> {
        let policy = PasswordPolicy {
            min_length: 12,
            site_name: "Acme".into(),
        };
        let mut problems = Problems::default();
        let new = NewPassword::parse(
            &mut problems,
            &policy,
            Field::NewPassword,
            Secret::new(password),
            &Secret::new(confirm),
            Some("jane"),
        );
        problems.finish(new)
    }

    #[test]
    fn only_a_password_that_meets_every_rule_and_its_confirmation_is_one() {
        assert!(parse("tangerine lighthouse", "tangerine lighthouse").is_ok());
        let mismatch = parse("tangerine lighthouse", "tangerine lighthouses")
            .err()
            .unwrap();
        assert_eq!(
            mismatch.field_message(Field::ConfirmPassword),
            Some(Problem::Mismatch.message())
        );
        let both = parse("jane's tangerine", "password").err().unwrap();
        assert_eq!(
            both.field_message(Field::NewPassword),
            Some(Problem::ContainsEmail.message())
        );
        assert!(both.field_message(Field::ConfirmPassword).is_some());
    }
}
