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
        if s.chars().any(char::is_control) || hides_or_reorders(s) {
            return Err(Problem::InvalidCharacters);
        }
        Ok(Self(s.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Whether `s` holds a character that changes how the text around it
/// reads without being seen: a bidirectional control (which can turn
/// "Eve" into what looks like another person's name in a list or a mail),
/// or a zero-width space, word joiner or byte-order mark. The zero-width
/// (non-)joiners stay allowed between two visible characters, where
/// Persian, Indic scripts and emoji sequences need them.
fn hides_or_reorders(s: &str) -> bool {
    let chars: Vec<char> = s.chars().collect();
    chars.iter().enumerate().any(|(i, &c)| match c {
        '\u{061C}'
        | '\u{200E}'
        | '\u{200F}'
        | '\u{202A}'..='\u{202E}'
        | '\u{2066}'..='\u{2069}' => true,
        '\u{200B}' | '\u{2060}'..='\u{2064}' | '\u{FEFF}' | '\u{180E}' => true,
        '\u{200C}' | '\u{200D}' => {
            let visible = |c: Option<&char>| {
                c.is_some_and(|c| !c.is_whitespace() && !matches!(c, '\u{200C}' | '\u{200D}'))
            };
            !(i > 0 && visible(chars.get(i - 1)) && visible(chars.get(i + 1)))
        }
        _ => false,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trims_and_accepts_any_script_but_not_control_characters() {
        assert_eq!(Name::parse("  Zoë 李 ").unwrap().as_str(), "Zoë 李");
        assert_eq!(Name::parse("a\u{0}b"), Err(Problem::InvalidCharacters));
        assert_eq!(Name::parse(""), Err(Problem::Required));
        // Bidirectional controls and invisible characters are refused;
        // the joiners that scripts and emoji need, inside a word, are not.
        for hidden in [
            "Eve\u{202E}nimda",
            "Eve\u{2067}x\u{2069}",
            "Ad\u{200B}min",
            "Admin\u{FEFF}",
            "Ad\u{2060}min",
            "\u{200D}Admin",
            "Ad \u{200C}min",
        ] {
            assert_eq!(
                Name::parse(hidden),
                Err(Problem::InvalidCharacters),
                "{hidden:?}"
            );
        }
        assert!(Name::parse("\u{0645}\u{06CC}\u{200C}\u{0634}\u{0648}\u{062F}").is_ok());
        assert!(Name::parse("Ana \u{1F469}\u{200D}\u{1F4BB}").is_ok());
        assert_eq!(
            Name::parse(&"x".repeat(101)),
            Err(Problem::TooLong { max: MAX_NAME_LEN })
        );
    }
}
