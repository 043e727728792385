//! A group's name: lower-case letters, digits, `-` and `_`, at most 64
//! (what apps compare in the `groups` claim and `Remote-Groups`).

use crate::error::Problem;
use serde::{Deserialize, Serialize};

pub const MAX_GROUP_NAME_LEN: usize = 64;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GroupName(String);

impl GroupName {
    pub fn parse(input: &str) -> Result<Self, Problem> {
        let s = input.trim();
        if s.is_empty() {
            return Err(Problem::Required);
        }
        if s.len() > MAX_GROUP_NAME_LEN {
            return Err(Problem::TooLong {
                max: MAX_GROUP_NAME_LEN,
            });
        }
        let allowed =
            |c: char| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_';
        if !s.chars().all(allowed) {
            return Err(Problem::InvalidCharacters);
        }
        Ok(Self(s.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn group_names_are_lower_case_letters_digits_dashes_and_underscores() {
        assert_eq!(
            GroupName::parse(" wiki-editors_2 ").unwrap().as_str(),
            "wiki-editors_2"
        );
        assert_eq!(GroupName::parse(""), Err(Problem::Required));
        assert_eq!(GroupName::parse("Editors"), Err(Problem::InvalidCharacters));
        assert_eq!(GroupName::parse("a b"), Err(Problem::InvalidCharacters));
        assert_eq!(GroupName::parse("a,b"), Err(Problem::InvalidCharacters));
        assert_eq!(GroupName::parse("ünï"), Err(Problem::InvalidCharacters));
        assert!(GroupName::parse(&"a".repeat(64)).is_ok());
        assert_eq!(
            GroupName::parse(&"a".repeat(65)),
            Err(Problem::TooLong { max: 64 })
        );
    }
}
