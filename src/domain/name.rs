//! A person's display name.

use crate::error::Problem;
use serde::{Deserialize, Serialize};

pub const MAX_NAME_LEN: usize = 100;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Name(String);

impl Name {
    pub fn parse(input: &str) -> Result<Self, Problem> {
        let s = input.trim();
        if s.is_empty() {
            return Err(Problem::Required);
        }
        if s.chars().count() > MAX_NAME_LEN {
            return Err(Problem::TooLong { max: MAX_NAME_LEN });
        }
        if s.chars().any(char::is_control) {
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
    fn trims_and_accepts_any_script_but_not_control_characters() {
        assert_eq!(Name::parse("  Zoë 李 ").unwrap().as_str(), "Zoë 李");
        assert_eq!(Name::parse("a\u{0}b"), Err(Problem::InvalidCharacters));
        assert_eq!(Name::parse(""), Err(Problem::Required));
        assert_eq!(
            Name::parse(&"x".repeat(101)),
            Err(Problem::TooLong { max: MAX_NAME_LEN })
        );
    }
}
